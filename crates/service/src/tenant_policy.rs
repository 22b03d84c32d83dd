//! A tenant's authentication policy in one document: IP allowlists, password
//! rules, lockout and session idle time. Tenant admins manage their own; the
//! operator any tenant's. A change that would shut out the caller is refused
//! unless confirmed.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::Tenant;
use kura_core::allowlist::{IpNet, parse_cidrs, store_cidrs};
use kura_db::PolicyRow;

/// The policy as shown (`ip_allowlist` empty = any address).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantPolicy {
    pub ip_allowlist: Vec<String>,
    pub admin_ip_allowlist: Vec<String>,
    pub password_min_length: i64,
    pub lockout_threshold: i64,
    pub lockout_minutes: i64,
    pub password_max_age_days: Option<i64>,
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
    pub otp_required: bool,
    pub sso_only: bool,
    pub client_cert_required: bool,
}

/// Changes to the policy; `None` leaves a field as it is. For the two
/// nullable fields, `Some(None)` clears them (no limit / server default).
#[derive(Debug, Clone, Default)]
pub struct TenantPolicyChange {
    pub ip_allowlist: Option<Vec<String>>,
    pub admin_ip_allowlist: Option<Vec<String>>,
    pub password_min_length: Option<i64>,
    pub lockout_threshold: Option<i64>,
    pub lockout_minutes: Option<i64>,
    pub password_max_age_days: Option<Option<i64>>,
    pub session_idle_minutes: Option<Option<i64>>,
    pub session_max_hours: Option<Option<i64>>,
    pub otp_required: Option<bool>,
    pub sso_only: Option<bool>,
    pub client_cert_required: Option<bool>,
}

fn shown(list: Option<&[IpNet]>) -> Vec<String> {
    list.map(|l| l.iter().map(ToString::to_string).collect())
        .unwrap_or_default()
}

/// The allowed range (inclusive) of each numeric policy field, by its name in
/// the policy document; forms show them, `set_tenant_policy` enforces them.
pub fn policy_range(field: &str) -> Option<(i64, i64)> {
    let floor = i64::try_from(crate::admin::MIN_PASSWORD_FLOOR).unwrap_or(8);
    match field {
        "password_min_length" => Some((floor, 128)),
        "lockout_threshold" => Some((0, 100)),
        "lockout_minutes" => Some((1, 1440)),
        "password_max_age_days" => Some((1, 3650)),
        "session_idle_minutes" => Some((5, 10_080)),
        "session_max_hours" => Some((1, 8_760)),
        _ => None,
    }
}

fn range(name: &str, v: i64) -> Result<()> {
    let (lo, hi) = policy_range(name).unwrap_or((i64::MIN, i64::MAX));
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(ServiceError::InvalidInput(format!(
            "{name} must be between {lo} and {hi}"
        )))
    }
}

impl Service {
    /// The tenant a policy call is about: the caller's own (tenant admins),
    /// or `code` (the operator).
    pub(crate) async fn policy_tenant(&self, who: &Identity, code: Option<&str>) -> Result<Tenant> {
        match code {
            Some(c) => self.tenant(who, c).await,
            None => {
                who.require_tenant_admin()?;
                Ok(self.db.tenant_by_id(who.tenant_id()).await?)
            }
        }
    }

    fn policy_of(&self, t: &Tenant) -> TenantPolicy {
        TenantPolicy {
            ip_allowlist: shown(t.ip_allow.as_deref()),
            admin_ip_allowlist: shown(t.ip_allow_admin.as_deref()),
            password_min_length: t.password_min_length,
            lockout_threshold: t.lockout_threshold,
            lockout_minutes: t.lockout_minutes,
            password_max_age_days: t.password_max_age_days,
            session_idle_minutes: t
                .session_idle_minutes
                .unwrap_or(self.cfg.session_idle_ms / 60_000),
            session_max_hours: t
                .session_max_hours
                .unwrap_or(self.cfg.session_max_ms / 3_600_000),
            otp_required: t.otp_required,
            sso_only: t.sso_only,
            client_cert_required: t.client_cert_required,
        }
    }

    /// Reads a tenant's policy.
    pub async fn tenant_policy(&self, who: &Identity, code: Option<&str>) -> Result<TenantPolicy> {
        let t = self.policy_tenant(who, code).await?;
        Ok(self.policy_of(&t))
    }

    /// Changes a tenant's policy. Refused with `would_lock_out_caller` if the
    /// caller's own address, or the client certificate of the caller's
    /// current request (`presented`), would no longer be allowed, unless `confirm`.
    pub async fn set_tenant_policy(
        &self,
        who: &Identity,
        code: Option<&str>,
        change: TenantPolicyChange,
        confirm: bool,
        presented: Option<&crate::ClientCert>,
    ) -> Result<TenantPolicy> {
        let t = self.policy_tenant(who, code).await?;
        let list =
            |l: Option<Vec<String>>, cur: &Option<Vec<IpNet>>| -> Result<Option<Vec<IpNet>>> {
                match l {
                    None => Ok(cur.clone()),
                    Some(items) => {
                        let nets = parse_cidrs(&items)?;
                        Ok((!nets.is_empty()).then_some(nets))
                    }
                }
            };
        let mut next = t.clone();
        next.ip_allow = list(change.ip_allowlist, &t.ip_allow)?;
        next.ip_allow_admin = list(change.admin_ip_allowlist, &t.ip_allow_admin)?;
        next.password_min_length = change.password_min_length.unwrap_or(t.password_min_length);
        next.lockout_threshold = change.lockout_threshold.unwrap_or(t.lockout_threshold);
        next.lockout_minutes = change.lockout_minutes.unwrap_or(t.lockout_minutes);
        next.password_max_age_days = change
            .password_max_age_days
            .unwrap_or(t.password_max_age_days);
        next.session_idle_minutes = change
            .session_idle_minutes
            .unwrap_or(t.session_idle_minutes);
        next.session_max_hours = change.session_max_hours.unwrap_or(t.session_max_hours);
        next.otp_required = change.otp_required.unwrap_or(t.otp_required);
        next.sso_only = change.sso_only.unwrap_or(t.sso_only);
        next.client_cert_required = change
            .client_cert_required
            .unwrap_or(t.client_cert_required);
        range("password_min_length", next.password_min_length)?;
        range("lockout_threshold", next.lockout_threshold)?;
        range("lockout_minutes", next.lockout_minutes)?;
        if let Some(d) = next.password_max_age_days {
            range("password_max_age_days", d)?;
        }
        if let Some(m) = next.session_idle_minutes {
            range("session_idle_minutes", m)?;
        }
        if let Some(h) = next.session_max_hours {
            range("session_max_hours", h)?;
        }
        self.check_sso_only_change(who, &t, next.sso_only, confirm)
            .await?;
        let own = t.id == who.tenant_id();
        let ip = who.ip.as_deref().and_then(|s| s.parse().ok());
        if own && !confirm && !next.ip_allowed(who.user.role, ip) {
            return Err(ServiceError::WouldLockOutCaller(
                crate::LockOut::OwnAddress,
                format!(
                    "this policy would shut out your own address ({}); include it, or repeat with ?confirm=true",
                    who.ip.as_deref().unwrap_or("unknown")
                ),
            ));
        }
        if own && !confirm && next.client_cert_required {
            let trust = self.client_trust(t.id).await?;
            self.guard_cert_lock_out(who, &next, &trust, presented, confirm)?;
        }
        let ip_allow = store_cidrs(next.ip_allow.as_deref());
        let ip_allow_admin = store_cidrs(next.ip_allow_admin.as_deref());
        let saved = self
            .db
            .set_tenant_policy(
                t.id,
                &PolicyRow {
                    ip_allow: ip_allow.as_deref(),
                    ip_allow_admin: ip_allow_admin.as_deref(),
                    password_min_length: next.password_min_length,
                    lockout_threshold: next.lockout_threshold,
                    lockout_minutes: next.lockout_minutes,
                    password_max_age_days: next.password_max_age_days,
                    session_idle_minutes: next.session_idle_minutes,
                    session_max_hours: next.session_max_hours,
                    otp_required: next.otp_required,
                    sso_only: next.sso_only,
                    client_cert_required: next.client_cert_required,
                },
            )
            .await?;
        // Cached identities carry the tenant and its policy.
        self.auth_cache.clear();
        let out = self.policy_of(&saved);
        let detail = serde_json::to_string(&out).unwrap_or_default();
        self.audit(who, "policy.update", &saved.code, Some(&detail))
            .await?;
        Ok(out)
    }

    /// The idle timeout of a tenant's browser sessions, in ms.
    pub(crate) fn session_idle_ms(&self, t: &Tenant) -> i64 {
        t.session_idle_minutes
            .map(|m| m * 60_000)
            .unwrap_or(self.cfg.session_idle_ms)
    }

    /// The absolute lifetime of a tenant's browser sessions, in ms.
    pub(crate) fn session_max_ms(&self, t: &Tenant) -> i64 {
        t.session_max_hours
            .map(|h| h * 3_600_000)
            .unwrap_or(self.cfg.session_max_ms)
    }
}
