//! The security policy page (`/ui/admin/security`): the tenant's policy
//! document of `/api/v1/tenant/policy` (IP allowlists, sign-in methods,
//! password, lockout and session rules), over the same service calls as the
//! API; the page's single sign-on section is in sso_settings.rs. A change
//! that would lock the caller out is shown with its reason and can be
//! repeated with `confirm`.

use super::auth::{CsrfField, UiForm, UiUser};
use super::format;
use super::i18n::Tr;
use super::page::{Chrome, error_page, redirect, render};
use super::sso_settings::{SsoSection, stored_sso};
use super::tenant_scope::{Scope, refuse_non_admin};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_service::{LockOut, ServiceError, TenantPolicyChange, invalid_cidr_lines, policy_range};
use serde::Deserialize;

/// A number input of the policy form.
pub struct NumField {
    pub name: &'static str,
    /// Catalogue key of its label.
    pub label: &'static str,
    pub value: String,
    pub min: i64,
    pub max: i64,
    pub hint: String,
    pub error: Option<String>,
    /// Empty is allowed (no limit, or the server's default).
    pub optional: bool,
}

/// The policy form's values (as stored, or as just submitted).
#[derive(Default)]
pub(super) struct PolicyValues {
    ip_allowlist: String,
    admin_ip_allowlist: String,
    otp_required: bool,
    sso_only: bool,
    client_cert_required: bool,
    /// Number fields by name, as text.
    nums: Vec<(&'static str, String)>,
}

/// (name, catalogue key, optional, extra hint key)
const PASSWORD_FIELDS: [(&str, &str, bool, Option<&str>); 4] = [
    (
        "password_min_length",
        "security.password_min_length",
        false,
        None,
    ),
    (
        "password_max_age_days",
        "security.password_max_age_days",
        true,
        Some("security.empty_never"),
    ),
    (
        "lockout_threshold",
        "security.lockout_threshold",
        false,
        Some("security.zero_never"),
    ),
    ("lockout_minutes", "security.lockout_minutes", false, None),
];

const SESSION_FIELDS: [(&str, &str, bool, Option<&str>); 2] = [
    (
        "session_idle_minutes",
        "security.session_idle_minutes",
        true,
        Some("security.empty_default"),
    ),
    (
        "session_max_hours",
        "security.session_max_hours",
        true,
        Some("security.empty_default"),
    ),
];

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    t: Tr,
    c: Chrome,
    /// `?tenant=...` for links (operator), or empty.
    tq: String,
    tenant: String,
    your_ip: String,
    notice: Option<&'static str>,
    error: Option<String>,
    lockout: Option<String>,
    ip_allowlist: String,
    admin_ip_allowlist: String,
    ip_errors: Vec<String>,
    admin_ip_errors: Vec<String>,
    otp_required: bool,
    sso_only: bool,
    client_cert_required: bool,
    password_fields: Vec<NumField>,
    session_fields: Vec<NumField>,
    sso: SsoSection,
}

/// What a re-rendered page shows besides the stored settings.
#[derive(Default)]
pub(super) struct Shown {
    pub(super) notice: Option<&'static str>,
    pub(super) error: Option<String>,
    pub(super) lockout: Option<String>,
    /// Submitted policy values (kept when nothing was saved).
    pub(super) policy: Option<PolicyValues>,
    pub(super) ip_errors: Vec<String>,
    pub(super) admin_ip_errors: Vec<String>,
    pub(super) num_errors: Vec<(&'static str, String)>,
    /// Submitted SSO values (never the secret).
    pub(super) sso: Option<SsoSection>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    tenant: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    ip_allowlist: String,
    #[serde(default)]
    admin_ip_allowlist: String,
    otp_required: Option<String>,
    sso_only: Option<String>,
    client_cert_required: Option<String>,
    #[serde(default)]
    password_min_length: String,
    #[serde(default)]
    password_max_age_days: String,
    #[serde(default)]
    lockout_threshold: String,
    #[serde(default)]
    lockout_minutes: String,
    #[serde(default)]
    session_idle_minutes: String,
    #[serde(default)]
    session_max_hours: String,
    /// `true`: apply even if it would lock the caller out.
    #[serde(default)]
    confirm: String,
}

impl CsrfField for PolicyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl PolicyForm {
    fn num(&self, name: &str) -> &str {
        match name {
            "password_min_length" => &self.password_min_length,
            "password_max_age_days" => &self.password_max_age_days,
            "lockout_threshold" => &self.lockout_threshold,
            "lockout_minutes" => &self.lockout_minutes,
            "session_idle_minutes" => &self.session_idle_minutes,
            "session_max_hours" => &self.session_max_hours,
            _ => "",
        }
    }

    fn values(&self) -> PolicyValues {
        PolicyValues {
            ip_allowlist: self.ip_allowlist.clone(),
            admin_ip_allowlist: self.admin_ip_allowlist.clone(),
            otp_required: self.otp_required.is_some(),
            sso_only: self.sso_only.is_some(),
            client_cert_required: self.client_cert_required.is_some(),
            nums: PASSWORD_FIELDS
                .iter()
                .chain(SESSION_FIELDS.iter())
                .map(|(n, ..)| (*n, self.num(n).trim().to_string()))
                .collect(),
        }
    }
}

/// A person's explanation of a refused change that would lock someone out.
pub fn lockout_text(t: Tr, reason: LockOut, ip: Option<&str>) -> String {
    t.get(match reason {
        LockOut::OwnAddress => "security.lockout.own_address",
        LockOut::NoSsoProvider => "security.lockout.no_sso_provider",
        LockOut::NotSignedInWithSso => "security.lockout.not_signed_in_with_sso",
        LockOut::NoClientCa => "security.lockout.no_client_ca",
        LockOut::OwnCertificate => "security.lockout.own_certificate",
    })
    .replace("{ip}", ip.unwrap_or("?"))
}

fn num_fields(
    t: Tr,
    spec: &[(&'static str, &'static str, bool, Option<&'static str>)],
    v: &PolicyValues,
    errors: &[(&'static str, String)],
) -> Vec<NumField> {
    spec.iter()
        .map(|&(name, label, optional, extra)| {
            let (min, max) = policy_range(name).unwrap_or((0, i64::MAX));
            let mut hint = t
                .get("security.range_hint")
                .replace("{min}", &format::number(min))
                .replace("{max}", &format::number(max));
            if let Some(k) = extra {
                hint.push(' ');
                hint.push_str(t.get(k));
            }
            NumField {
                name,
                label,
                value: v
                    .nums
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, x)| x.clone())
                    .unwrap_or_default(),
                min,
                max,
                hint,
                error: errors
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, e)| e.clone()),
                optional,
            }
        })
        .collect()
}

async fn stored_policy(
    st: &AppState,
    user: &UiUser,
    scope: &Scope,
) -> Result<PolicyValues, ServiceError> {
    let p = st.svc.tenant_policy(&user.who, scope.code()).await?;
    let n = |v: i64| v.to_string();
    Ok(PolicyValues {
        ip_allowlist: p.ip_allowlist.join("\n"),
        admin_ip_allowlist: p.admin_ip_allowlist.join("\n"),
        otp_required: p.otp_required,
        sso_only: p.sso_only,
        client_cert_required: p.client_cert_required,
        nums: vec![
            ("password_min_length", n(p.password_min_length)),
            (
                "password_max_age_days",
                p.password_max_age_days.map(n).unwrap_or_default(),
            ),
            ("lockout_threshold", n(p.lockout_threshold)),
            ("lockout_minutes", n(p.lockout_minutes)),
            ("session_idle_minutes", n(p.session_idle_minutes)),
            ("session_max_hours", n(p.session_max_hours)),
        ],
    })
}

pub(super) async fn show(
    st: &AppState,
    user: &UiUser,
    scope: &Scope,
    status: StatusCode,
    s: Shown,
) -> Response {
    let t = user.t;
    let Shown {
        notice,
        error,
        lockout,
        policy,
        ip_errors,
        admin_ip_errors,
        num_errors,
        sso: submitted_sso,
    } = s;
    let run = async {
        let stored = stored_policy(st, user, scope).await?;
        let mut sso = stored_sso(st, user, scope).await?;
        if let Some(mut submitted) = submitted_sso {
            submitted.configured = sso.configured;
            submitted.updated_iso = std::mem::take(&mut sso.updated_iso);
            submitted.updated_text = std::mem::take(&mut sso.updated_text);
            sso = submitted;
        }
        Ok::<_, ServiceError>((policy.unwrap_or(stored), sso))
    };
    let (v, sso) = match run.await {
        Ok(x) => x,
        Err(e) => return error_page(t, &e),
    };
    let page = SecurityPage {
        t,
        c: Chrome::of(
            user,
            "admin",
            &format!("/ui/admin/security{}", scope.query()),
        ),
        tq: scope.query(),
        tenant: scope.shown(),
        your_ip: user.who.ip.clone().unwrap_or_default(),
        notice,
        error,
        lockout,
        password_fields: num_fields(t, &PASSWORD_FIELDS, &v, &num_errors),
        session_fields: num_fields(t, &SESSION_FIELDS, &v, &num_errors),
        ip_allowlist: v.ip_allowlist,
        admin_ip_allowlist: v.admin_ip_allowlist,
        ip_errors,
        admin_ip_errors,
        otp_required: v.otp_required,
        sso_only: v.sso_only,
        client_cert_required: v.client_cert_required,
        sso,
    };
    (status, render(&page)).into_response()
}

/// `GET /ui/admin/security[?tenant=<code>]`
pub async fn page(
    State(st): State<AppState>,
    user: UiUser,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let scope = Scope::new(q.tenant.as_deref());
    let notice = q
        .done
        .as_deref()
        .and_then(|d| user.t.lookup(&format!("security.done.{d}")));
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    show(&st, &user, &scope, StatusCode::OK, shown).await
}

/// The lines of an allowlist field that are not addresses, as messages.
fn cidr_errors(t: Tr, text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    invalid_cidr_lines(&lines)
        .into_iter()
        .map(|(n, bad)| {
            t.get("security.bad_cidr")
                .replace("{line}", &n.to_string())
                .replace("{text}", &bad)
        })
        .collect()
}

fn cidr_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A number field: `Ok(None)` for an empty optional one.
fn parse_num(name: &str, text: &str, optional: bool) -> Result<Option<i64>, (i64, i64)> {
    let (lo, hi) = policy_range(name).unwrap_or((0, i64::MAX));
    let text = text.trim();
    if text.is_empty() && optional {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(Some(v)),
        _ => Err((lo, hi)),
    }
}

/// `POST /ui/admin/security`: saves the policy (with `confirm=true`, even if
/// it would lock the caller out).
pub async fn save_policy(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<PolicyForm>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let t = user.t;
    let scope = Scope::new(Some(&form.tenant));
    let mut s = Shown {
        ip_errors: cidr_errors(t, &form.ip_allowlist),
        admin_ip_errors: cidr_errors(t, &form.admin_ip_allowlist),
        ..Shown::default()
    };
    let mut nums: Vec<(&'static str, Option<i64>)> = Vec::new();
    for &(name, _, optional, _) in PASSWORD_FIELDS.iter().chain(SESSION_FIELDS.iter()) {
        match parse_num(name, form.num(name), optional) {
            Ok(v) => nums.push((name, v)),
            Err((lo, hi)) => s.num_errors.push((
                name,
                t.get("security.bad_number")
                    .replace("{min}", &format::number(lo))
                    .replace("{max}", &format::number(hi)),
            )),
        }
    }
    if !s.ip_errors.is_empty() || !s.admin_ip_errors.is_empty() || !s.num_errors.is_empty() {
        s.error = Some(t.get("security.not_saved").to_string());
        s.policy = Some(form.values());
        return show(&st, &user, &scope, StatusCode::BAD_REQUEST, s).await;
    }
    let num = |n: &str| nums.iter().find(|(k, _)| *k == n).and_then(|(_, v)| *v);
    let change = TenantPolicyChange {
        ip_allowlist: Some(cidr_list(&form.ip_allowlist)),
        admin_ip_allowlist: Some(cidr_list(&form.admin_ip_allowlist)),
        password_min_length: num("password_min_length"),
        lockout_threshold: num("lockout_threshold"),
        lockout_minutes: num("lockout_minutes"),
        password_max_age_days: Some(num("password_max_age_days")),
        session_idle_minutes: Some(num("session_idle_minutes")),
        session_max_hours: Some(num("session_max_hours")),
        otp_required: Some(form.otp_required.is_some()),
        sso_only: Some(form.sso_only.is_some()),
        client_cert_required: Some(form.client_cert_required.is_some()),
    };
    let confirm = form.confirm == "true";
    match st
        .svc
        .set_tenant_policy(&user.who, scope.code(), change, confirm, user.cert.as_ref())
        .await
    {
        Ok(_) => redirect(&format!(
            "/ui/admin/security?done=policy_saved{}",
            scope.and()
        )),
        Err(ServiceError::WouldLockOutCaller(reason, _)) => {
            s.lockout = Some(lockout_text(t, reason, user.who.ip.as_deref()));
            s.policy = Some(form.values());
            show(&st, &user, &scope, StatusCode::CONFLICT, s).await
        }
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::NotFound(_))) => error_page(t, &e),
        Err(e) => {
            s.error = Some(t.error(e.code()).to_string());
            s.policy = Some(form.values());
            show(&st, &user, &scope, crate::error::status_of(&e), s).await
        }
    }
}
