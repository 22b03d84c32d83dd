//! The second sign-in step: one-time passcodes (TOTP) and recovery codes.
//!
//! A correct password for an account with OTP opens a *half* session (stage
//! `otp`) that can do nothing but present a code; a tenant that requires OTP
//! gives members without it a half session of stage `enrol` that can do
//! nothing but set it up. Completing either step replaces the half session
//! with a new full one (a new id: privileges never ride on an old cookie).

use crate::auth::NewSession;
use crate::auth_events::AuthEvent;
use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_auth::otp;
use kura_auth::{random_secret, secret_hash};
use kura_core::{Role, Tenant, TenantStatus, User, UserStatus};
use kura_db::DbError;

/// How long a half-signed-in session may wait for its second step.
pub(crate) const HALF_SESSION_MS: i64 = 10 * 60_000;
/// Wrong codes one half session may present before it ends.
const CODES_PER_HALF_SESSION: i64 = 5;
/// Shown as the issuer in authenticator apps.
const ISSUER: &str = "Kura";

/// Where a browser session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Signed in.
    Full,
    /// Password accepted; a passcode is due (`POST /api/v1/session/otp`).
    Otp,
    /// Password accepted; OTP must be set up first (tenant policy).
    Enrol,
}

impl SessionStage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Otp => "otp",
            Self::Enrol => "enrol",
        }
    }
}

/// A session that may set up OTP: a full browser session, or a half one of
/// stage `enrol`.
#[derive(Debug, Clone)]
pub struct OtpCaller {
    pub user: User,
    pub tenant: Tenant,
    pub csrf_token: String,
    /// The session's secret (the cookie), replaced when enrolment completes.
    session_secret: String,
    pub half: bool,
    pub ip: Option<String>,
}

impl OtpCaller {
    /// Enrolment changes state: the session's CSRF token must come with it.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<()> {
        match presented {
            Some(p) if kura_auth::constant_time_eq(p, &self.csrf_token) => Ok(()),
            _ => Err(ServiceError::CsrfFailed),
        }
    }
}

/// A started enrolment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OtpEnrolment {
    /// Base32, for typing into an app.
    pub secret: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

/// A half session as found.
struct Half {
    id_hash: String,
    stage: String,
    user: User,
    tenant: Tenant,
    csrf_token: String,
}

impl Service {
    /// Opens a session at `stage`; half sessions live only `HALF_SESSION_MS`.
    pub(crate) async fn open_staged_session(
        &self,
        tenant: Tenant,
        user: User,
        ip: Option<&str>,
        user_agent: Option<&str>,
        stage: SessionStage,
    ) -> Result<NewSession> {
        if stage == SessionStage::Full {
            return self
                .open_session(tenant, user, ip, user_agent, "login.success")
                .await;
        }
        let now = self.now();
        let secret = random_secret(32);
        let csrf_token = random_secret(24);
        let expires_at = now + HALF_SESSION_MS;
        self.db
            .create_session(
                &secret_hash(&secret),
                tenant.id,
                user.id,
                &csrf_token,
                now,
                expires_at,
                ip,
                user_agent,
                stage.as_str(),
            )
            .await?;
        let action = match stage {
            SessionStage::Enrol => "login.otp_enrol_due",
            _ => "login.otp_due",
        };
        self.auth_event(AuthEvent {
            tenant_id: Some(tenant.id),
            user_id: Some(user.id),
            action,
            target: Some(&user.login),
            ip,
            user_agent,
            ..Default::default()
        })
        .await?;
        Ok(NewSession {
            secret,
            csrf_token: csrf_token.clone(),
            identity: Identity {
                user,
                tenant,
                method: crate::identity::AuthMethod::Session { csrf_token },
                ip: ip.map(str::to_string),
                user_agent: user_agent.map(str::to_string),
            },
            expires_at,
            stage,
        })
    }

    /// A live half session (never a full one), checked like any session.
    async fn half_session(
        &self,
        secret: &str,
        ip: Option<&str>,
        cert: Option<&crate::ClientCert>,
    ) -> Result<Half> {
        let id_hash = secret_hash(secret);
        let s = match self.db.session(&id_hash).await {
            Ok(s) => s,
            Err(DbError::NotFound) => return Err(ServiceError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        if s.stage == SessionStage::Full.as_str() {
            return Err(ServiceError::InvalidInput(
                "this session is already signed in; no passcode is due".into(),
            ));
        }
        let now = self.now();
        if now >= s.expires_at {
            self.db.delete_session(&id_hash).await?;
            return Err(ServiceError::Expired);
        }
        if s.user.status != UserStatus::Active {
            return Err(ServiceError::Unauthenticated);
        }
        if s.tenant.status != TenantStatus::Active && s.user.role != Role::Operator {
            return Err(ServiceError::TenantSuspended);
        }
        crate::ip_policy::check_ip(&s.tenant, s.user.role, ip)?;
        self.check_client_cert(&s.tenant, Some(&s.user), cert, ip, None)
            .await?;
        Ok(Half {
            id_hash,
            stage: s.stage,
            user: s.user,
            tenant: s.tenant,
            csrf_token: s.csrf_token,
        })
    }

    /// Completes a half session of stage `otp` with a passcode or a recovery
    /// code: the half session ends and a new full one begins.
    pub async fn complete_otp(
        &self,
        secret: &str,
        code: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
        cert: Option<&crate::ClientCert>,
    ) -> Result<NewSession> {
        let client: Option<std::net::IpAddr> = ip.and_then(|s| s.parse().ok());
        if let Some(wait) = self.login_throttle.blocked(client, self.now()) {
            return Err(ServiceError::TooManyAttempts(wait));
        }
        let h = self.half_session(secret, ip, cert).await?;
        if h.stage != SessionStage::Otp.as_str() {
            return Err(ServiceError::OtpRequired(
                "set up a one-time passcode first (POST /api/v1/me/otp)".into(),
            ));
        }
        let now = self.now();
        if h.user.locked_until.is_some_and(|l| l > now) {
            self.db.delete_session(&h.id_hash).await?;
            return Err(ServiceError::AccountLocked);
        }
        let event = |action| AuthEvent {
            tenant_id: Some(h.tenant.id),
            user_id: Some(h.user.id),
            action,
            target: Some(&h.user.login),
            ip,
            user_agent,
            ..Default::default()
        };
        match self.second_factor(&h.user, code).await? {
            Some(factor) => {
                self.db.delete_session(&h.id_hash).await?;
                if h.user.failed_logins > 0 {
                    self.db.reset_login_failures(h.tenant.id, h.user.id).await?;
                }
                self.auth_event(event(factor)).await?;
                self.open_session(h.tenant, h.user, ip, user_agent, "login.success")
                    .await
            }
            None => {
                self.login_throttle.failed(client, now);
                self.auth_event(event("otp.failure")).await?;
                let failures = self.db.otp_session_failed(&h.id_hash).await?;
                // Wrong codes count towards the account's lockout like wrong
                // passwords, so a stolen password cannot buy unlimited guesses.
                let until = now + h.tenant.lockout_minutes.max(1) * 60_000;
                let locked = self
                    .db
                    .record_login_failure(h.user.id, h.tenant.lockout_threshold, until)
                    .await?;
                if locked {
                    self.auth_event(event("login.lockout")).await?;
                }
                if locked || failures >= CODES_PER_HALF_SESSION {
                    self.db.delete_session(&h.id_hash).await?;
                }
                Err(ServiceError::InvalidOtp)
            }
        }
    }

    /// Checks a TOTP code (each step accepted once) or uses up a recovery
    /// code; returns the audit action of the factor that matched.
    async fn second_factor(&self, user: &User, code: &str) -> Result<Option<&'static str>> {
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == usize::from(otp::DIGITS) && digits.bytes().all(|b| b.is_ascii_digit()) {
            let state = match self.db.otp_state(user.id).await {
                Ok(s) => s,
                Err(DbError::NotFound) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let step = otp::check(&state.secret, &digits, self.unix_seconds())
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            let Some(step) = step.and_then(|s| i64::try_from(s).ok()) else {
                return Ok(None);
            };
            if state.last_step.is_some_and(|l| step <= l) {
                return Ok(None);
            }
            return Ok(self
                .db
                .accept_otp_step(user.id, step)
                .await?
                .then_some("otp.success"));
        }
        let Some(normal) = otp::normalize_recovery_code(code) else {
            return Ok(None);
        };
        Ok(self
            .db
            .use_recovery_code(user.id, &secret_hash(&normal), self.now())
            .await?
            .then_some("otp.recovery_code_used"))
    }

    fn unix_seconds(&self) -> u64 {
        u64::try_from(self.now() / 1000).unwrap_or(0)
    }

    /// The caller of an enrolment request: a full browser session, or a half
    /// session of stage `enrol`. Bearer tokens cannot set up OTP.
    pub async fn otp_caller(
        &self,
        secret: &str,
        ip: Option<&str>,
        cert: Option<&crate::ClientCert>,
    ) -> Result<OtpCaller> {
        match self.authenticate_session(secret, ip, None, cert).await {
            Ok(who) => {
                let crate::identity::AuthMethod::Session { csrf_token } = who.method else {
                    return Err(ServiceError::Unauthenticated);
                };
                Ok(OtpCaller {
                    user: who.user,
                    tenant: who.tenant,
                    csrf_token,
                    session_secret: secret.to_string(),
                    half: false,
                    ip: who.ip,
                })
            }
            Err(ServiceError::OtpRequired(_)) => {
                let h = self.half_session(secret, ip, cert).await?;
                if h.stage != SessionStage::Enrol.as_str() {
                    return Err(ServiceError::OtpRequired(
                        "enter your one-time passcode first (POST /api/v1/session/otp)".into(),
                    ));
                }
                Ok(OtpCaller {
                    user: h.user,
                    tenant: h.tenant,
                    csrf_token: h.csrf_token,
                    session_secret: secret.to_string(),
                    half: true,
                    ip: ip.map(str::to_string),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Starts (or restarts) enrolment: a new secret waits for its first code.
    pub async fn start_otp_enrolment(
        &self,
        who: &OtpCaller,
        user_agent: Option<&str>,
    ) -> Result<OtpEnrolment> {
        if who.user.otp_enabled {
            return Err(ServiceError::OtpAlreadyEnabled);
        }
        let view = self.enrolment_view(who, otp::new_secret())?;
        self.db.set_otp_pending(who.user.id, &view.secret).await?;
        self.auth_event(AuthEvent {
            tenant_id: Some(who.tenant.id),
            user_id: Some(who.user.id),
            action: "otp.enrol_start",
            target: Some(&who.user.login),
            ip: who.ip.as_deref(),
            user_agent,
            ..Default::default()
        })
        .await?;
        Ok(view)
    }

    /// The enrolment in progress (the secret waiting for its first code),
    /// shown again, so a page can be reloaded without starting over.
    pub async fn pending_otp_enrolment(&self, who: &OtpCaller) -> Result<Option<OtpEnrolment>> {
        if who.user.otp_enabled {
            return Ok(None);
        }
        let secret = match self.db.otp_pending(who.user.id).await {
            Ok(s) => s,
            Err(DbError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some(self.enrolment_view(who, secret)?))
    }

    /// What an authenticator app needs of a secret: the URI and its QR code.
    fn enrolment_view(&self, who: &OtpCaller, secret: String) -> Result<OtpEnrolment> {
        let account = format!("{}/{}", who.tenant.code, who.user.login);
        let otpauth_url = otp::otpauth_url(&secret, ISSUER, &account)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let qr_svg =
            otp::qr_svg(&otpauth_url).map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(OtpEnrolment {
            secret,
            otpauth_url,
            qr_svg,
        })
    }

    /// Confirms enrolment with a first code: OTP is on, ten recovery codes are
    /// returned (once), and the caller's session is replaced by a new full one.
    pub async fn confirm_otp_enrolment(
        &self,
        who: &OtpCaller,
        code: &str,
        user_agent: Option<&str>,
    ) -> Result<(Vec<String>, NewSession)> {
        if who.user.otp_enabled {
            return Err(ServiceError::OtpAlreadyEnabled);
        }
        let pending = match self.db.otp_pending(who.user.id).await {
            Ok(s) => s,
            Err(DbError::NotFound) => {
                return Err(ServiceError::InvalidInput(
                    "no enrolment is in progress; start one with POST /api/v1/me/otp".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let step = otp::check(&pending, code, self.unix_seconds())
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .and_then(|s| i64::try_from(s).ok())
            .ok_or(ServiceError::InvalidOtp)?;
        let codes = otp::recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| secret_hash(c)).collect();
        match self
            .db
            .enable_otp(who.user.id, &pending, step, &hashes)
            .await
        {
            Ok(()) => {}
            Err(DbError::NotFound) => return Err(ServiceError::InvalidOtp),
            Err(e) => return Err(e.into()),
        }
        self.auth_cache.clear();
        self.auth_event(AuthEvent {
            tenant_id: Some(who.tenant.id),
            user_id: Some(who.user.id),
            action: "otp.enrol",
            target: Some(&who.user.login),
            ip: who.ip.as_deref(),
            user_agent,
            ..Default::default()
        })
        .await?;
        // Privileges changed: the session id changes with them.
        self.db
            .delete_session(&secret_hash(&who.session_secret))
            .await?;
        let mut user = who.user.clone();
        user.otp_enabled = true;
        let session = self
            .open_session(
                who.tenant.clone(),
                user,
                who.ip.as_deref(),
                user_agent,
                if who.half {
                    "login.success"
                } else {
                    "session.rotate"
                },
            )
            .await?;
        Ok((codes, session))
    }

    /// Replaces the caller's recovery codes (OTP must be on).
    pub async fn new_recovery_codes(&self, who: &Identity) -> Result<Vec<String>> {
        Self::require_browser(who)?;
        if !who.user.otp_enabled {
            return Err(ServiceError::InvalidInput(
                "one-time passcodes are not set up for this account".into(),
            ));
        }
        let codes = otp::recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| secret_hash(c)).collect();
        self.db
            .replace_recovery_codes(who.tenant_id(), who.user.id, &hashes)
            .await?;
        self.audit(who, "otp.recovery_codes_renew", &who.user.login, None)
            .await?;
        Ok(codes)
    }

    /// How many of the caller's recovery codes are left.
    pub async fn recovery_codes_left(&self, who: &Identity) -> Result<i64> {
        Ok(self.db.recovery_codes_left(who.user.id).await?)
    }

    /// Turns OTP off for the caller, proven by a current code; refused when
    /// the tenant requires OTP.
    pub async fn disable_own_otp(&self, who: &Identity, code: &str) -> Result<()> {
        Self::require_browser(who)?;
        if who.tenant.otp_required {
            return Err(ServiceError::Forbidden(
                "your organisation requires one-time passcodes; they cannot be turned off".into(),
            ));
        }
        if !who.user.otp_enabled {
            return Err(ServiceError::InvalidInput(
                "one-time passcodes are not set up for this account".into(),
            ));
        }
        if self.second_factor(&who.user, code).await?.is_none() {
            return Err(ServiceError::InvalidOtp);
        }
        self.db.reset_otp(who.tenant_id(), who.user.id).await?;
        self.auth_cache.clear();
        self.audit(who, "otp.disable", &who.user.login, None).await
    }

    /// A tenant admin turns OTP off for a user of the tenant (lost phone);
    /// the user enrols again at their next sign-in if the tenant requires it.
    pub async fn reset_user_otp(&self, who: &Identity, user_id: i64) -> Result<()> {
        who.require_tenant_admin()?;
        let user = self
            .db
            .user_by_id(who.tenant_id(), user_id)
            .await
            .map_err(|e| match e {
                DbError::NotFound => ServiceError::NotFound("the user".into()),
                e => e.into(),
            })?;
        if user.role == Role::Operator && who.user.role != Role::Operator {
            return Err(ServiceError::Forbidden(
                "only the operator can reset the operator's passcodes".into(),
            ));
        }
        self.db.reset_otp(who.tenant_id(), user.id).await?;
        self.auth_cache.clear();
        self.audit(who, "otp.reset", &user.login, None).await
    }

    /// Enrolment and recovery codes belong to browser sessions: an app
    /// password must not be able to change how its owner signs in.
    fn require_browser(who: &Identity) -> Result<()> {
        match who.method {
            crate::identity::AuthMethod::Session { .. } => Ok(()),
            _ => Err(ServiceError::Forbidden(
                "one-time passcodes are managed in a browser session, not with an app password"
                    .into(),
            )),
        }
    }
}
