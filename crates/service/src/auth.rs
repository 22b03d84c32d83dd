//! Sign-in, sessions and personal access tokens.

use crate::auth_events::AuthEvent;
use crate::identity::{AuthMethod, Identity};
use crate::{Result, Service, ServiceError};
use kura_auth::{dummy_hash, new_token, random_secret, secret_hash};
use kura_core::name::validate_login;
use kura_core::{TenantCode, TenantStatus, UserStatus};
use kura_db::{DbError, TokenInfo};

/// Activity is written back at most this often per session or token, so reads
/// do not turn into writes.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A new session: the secret for the cookie and the CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
    pub identity: Identity,
    pub expires_at: i64,
    /// `Full`, or half signed in (a second step is due).
    pub stage: crate::otp::SessionStage,
}

impl Service {
    /// Checks credentials and opens a session. Every failure (unknown tenant,
    /// unknown login, wrong password, disabled user) gives the same error after
    /// the same work, so nothing can be learnt about which accounts exist.
    // What the connection says (address, agent, certificate) comes alongside
    // the credentials; bundling them is left to whoever next reshapes sign-in.
    #[allow(clippy::too_many_arguments)]
    pub async fn login(
        &self,
        tenant: &str,
        login: &str,
        password: &str,
        new_password: Option<&str>,
        ip: Option<&str>,
        user_agent: Option<&str>,
        cert: Option<&crate::ClientCert>,
    ) -> Result<NewSession> {
        let client: Option<std::net::IpAddr> = ip.and_then(|s| s.parse().ok());
        if let Some(wait) = self.login_throttle.blocked(client, self.now()) {
            return Err(ServiceError::TooManyAttempts(wait));
        }
        let found = match (TenantCode::parse(tenant), validate_login(login)) {
            (Ok(code), Ok(login)) => match self.db.tenant_by_code(code.as_str()).await {
                Ok(t) => match self.db.user_by_login(t.id, &login).await {
                    Ok(u) => Some((t, u)),
                    Err(DbError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                },
                Err(DbError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            _ => None,
        };
        // A tenant's allowlist applies before any password is checked, so
        // guessing from outside its ranges learns nothing.
        if let Some((t, _)) = &found
            && let Err(e) = crate::ip_policy::check_ip_for_anyone(t, ip)
        {
            self.auth_event(AuthEvent {
                tenant_id: Some(t.id),
                action: "login.ip_refused",
                target: Some(login),
                ip,
                user_agent,
                ..Default::default()
            })
            .await?;
            return Err(e);
        }
        if let Some((t, _)) = &found {
            self.check_client_cert(t, None, cert, ip, user_agent)
                .await?;
        }
        let hash = found
            .as_ref()
            .and_then(|(_, u)| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_string());
        let ok = crate::passwords::verify(password, Some(&hash)).await;
        let now = self.now();
        if !ok {
            self.login_throttle.failed(client, now);
        }
        // A locked account: the right password learns that it is locked (so
        // its owner knows why); a wrong one gets the usual answer.
        if let Some((t, u)) = &found
            && u.locked_until.is_some_and(|l| l > now)
        {
            self.auth_event(AuthEvent {
                tenant_id: Some(t.id),
                user_id: Some(u.id),
                action: "login.locked",
                target: Some(&u.login),
                detail: None,
                ip,
                user_agent,
            })
            .await?;
            return Err(if ok {
                ServiceError::AccountLocked
            } else {
                ServiceError::InvalidCredentials
            });
        }
        if let Some((t, u)) = &found {
            if !ok {
                let until = now + t.lockout_minutes.max(1) * 60_000;
                if self
                    .db
                    .record_login_failure(u.id, t.lockout_threshold, until)
                    .await?
                {
                    self.auth_cache.clear();
                    self.auth_event(AuthEvent {
                        tenant_id: Some(t.id),
                        user_id: Some(u.id),
                        action: "login.lockout",
                        target: Some(&u.login),
                        detail: None,
                        ip,
                        user_agent,
                    })
                    .await?;
                }
            } else if u.failed_logins > 0 && !u.otp_enabled {
                // With OTP the count is cleared only once the code is right,
                // so wrong codes add up to a lockout across sign-ins.
                self.db.reset_login_failures(t.id, u.id).await?;
            }
        }
        // Failures against a real account are filed under its tenant and user
        // (so the tenant's admins see them); others under no tenant.
        let known = found.as_ref().map(|(t, u)| (t.id, u.id));
        let Some((tenant, user)) = found.filter(|(_, u)| ok && u.status == UserStatus::Active)
        else {
            self.auth_event(AuthEvent {
                tenant_id: known.map(|k| k.0),
                user_id: known.map(|k| k.1),
                action: "login.failure",
                target: Some(&format!("{tenant}/{login}")),
                detail: None,
                ip,
                user_agent,
            })
            .await?;
            return Err(ServiceError::InvalidCredentials);
        };
        if tenant.status != TenantStatus::Active && user.role != kura_core::Role::Operator {
            return Err(ServiceError::TenantSuspended);
        }
        if let Err(e) = crate::ip_policy::check_ip(&tenant, user.role, ip) {
            self.auth_event(AuthEvent {
                tenant_id: Some(tenant.id),
                user_id: Some(user.id),
                action: "login.ip_refused",
                target: Some(&user.login),
                detail: None,
                ip,
                user_agent,
            })
            .await?;
            return Err(e);
        }
        self.check_client_cert(&tenant, Some(&user), cert, ip, user_agent)
            .await?;
        // "SSO only": members sign in at their identity provider; the
        // operator keeps this password login as the break-glass way in.
        if tenant.sso_only && user.role != kura_core::Role::Operator {
            self.auth_event(crate::auth_events::AuthEvent {
                tenant_id: Some(tenant.id),
                user_id: Some(user.id),
                action: "login.sso_required",
                target: Some(&user.login),
                ip,
                user_agent,
                ..Default::default()
            })
            .await?;
            return Err(ServiceError::SsoRequired);
        }
        // An expired password must be replaced in this same request.
        if self.password_expired(&tenant, &user) {
            let Some(new_pw) = new_password else {
                self.auth_event(AuthEvent {
                    tenant_id: Some(tenant.id),
                    user_id: Some(user.id),
                    action: "login.password_expired",
                    target: Some(&user.login),
                    detail: None,
                    ip,
                    user_agent,
                })
                .await?;
                return Err(ServiceError::PasswordExpired);
            };
            self.store_new_password(&tenant, &user, new_pw).await?;
            self.db.delete_user_sessions(user.id, None).await?;
            self.auth_cache.clear();
            self.auth_event(AuthEvent {
                tenant_id: Some(tenant.id),
                user_id: Some(user.id),
                action: "user.password_change",
                target: Some(&user.login),
                detail: Some("expired password replaced at sign-in"),
                ip,
                user_agent,
            })
            .await?;
        }
        // A second factor, if the account has one or the tenant demands it.
        let stage = if user.otp_enabled {
            crate::otp::SessionStage::Otp
        } else if tenant.otp_required {
            crate::otp::SessionStage::Enrol
        } else {
            crate::otp::SessionStage::Full
        };
        self.open_staged_session(tenant, user, ip, user_agent, stage)
            .await
    }

    /// Opens a fully signed-in browser session for a user whose credentials
    /// were just checked (password, SSO...), and audits `action`. Always a new
    /// session id, so a session is never carried across a sign-in.
    pub(crate) async fn open_session(
        &self,
        tenant: kura_core::Tenant,
        user: kura_core::User,
        ip: Option<&str>,
        user_agent: Option<&str>,
        action: &str,
    ) -> Result<NewSession> {
        let now = self.now();
        let secret = random_secret(32);
        let csrf_token = random_secret(24);
        let expires_at = now
            + self
                .session_idle_ms(&tenant)
                .min(self.session_max_ms(&tenant));
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
                "full",
            )
            .await?;
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
        let identity = Identity {
            user,
            tenant,
            method: AuthMethod::Session {
                csrf_token: csrf_token.clone(),
            },
            ip: ip.map(str::to_string),
            user_agent: user_agent.map(str::to_string),
        };
        Ok(NewSession {
            secret,
            csrf_token,
            identity,
            expires_at,
            stage: crate::otp::SessionStage::Full,
        })
    }

    /// The tenant's IP allowlist for an authenticated request; refusals are
    /// audited (`ip.refused`).
    async fn check_ip_audited(
        &self,
        tenant: &kura_core::Tenant,
        user: &kura_core::User,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<()> {
        let Err(e) = crate::ip_policy::check_ip(tenant, user.role, ip) else {
            return Ok(());
        };
        self.auth_event(AuthEvent {
            tenant_id: Some(tenant.id),
            user_id: Some(user.id),
            action: "ip.refused",
            target: Some(&user.login),
            ip,
            user_agent,
            ..Default::default()
        })
        .await?;
        Err(e)
    }

    /// Ends a session.
    pub async fn logout(&self, secret: &str) -> Result<()> {
        self.db.delete_session(&secret_hash(secret)).await?;
        self.auth_cache.clear();
        Ok(())
    }

    /// The identity behind a session cookie.
    pub async fn authenticate_session(
        &self,
        secret: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
        cert: Option<&crate::ClientCert>,
    ) -> Result<Identity> {
        let id_hash = secret_hash(secret);
        let s = match self.auth_cache.session(&id_hash) {
            Some(s) => s,
            None => match self.db.session(&id_hash).await {
                Ok(s) => {
                    if s.stage == "full" {
                        self.auth_cache.put_session(&id_hash, &s);
                    }
                    s
                }
                Err(DbError::NotFound) => return Err(ServiceError::Unauthenticated),
                Err(e) => return Err(e.into()),
            },
        };
        if s.stage != "full" {
            return Err(ServiceError::OtpRequired(if s.stage == "enrol" {
                "your organisation requires a one-time passcode: set it up first (POST /api/v1/me/otp)".into()
            } else {
                "enter your one-time passcode to finish signing in (POST /api/v1/session/otp)"
                    .into()
            }));
        }
        let now = self.now();
        if now >= s.expires_at || now >= s.created_at + self.session_max_ms(&s.tenant) {
            self.db.delete_session(&id_hash).await?;
            self.auth_cache.clear();
            return Err(ServiceError::Expired);
        }
        if s.user.status != UserStatus::Active {
            return Err(ServiceError::Unauthenticated);
        }
        if s.tenant.status != TenantStatus::Active && s.user.role != kura_core::Role::Operator {
            return Err(ServiceError::TenantSuspended);
        }
        self.check_ip_audited(&s.tenant, &s.user, ip, user_agent)
            .await?;
        self.check_client_cert(&s.tenant, Some(&s.user), cert, ip, user_agent)
            .await?;
        if now - s.last_seen_at > TOUCH_EVERY_MS {
            let expires = (now + self.session_idle_ms(&s.tenant))
                .min(s.created_at + self.session_max_ms(&s.tenant));
            self.db.touch_session(&id_hash, now, expires).await?;
            let mut fresh = s.clone();
            fresh.last_seen_at = now;
            fresh.expires_at = expires;
            self.auth_cache.put_session(&id_hash, &fresh);
        }
        Ok(Identity {
            user: s.user,
            tenant: s.tenant,
            method: AuthMethod::Session {
                csrf_token: s.csrf_token,
            },
            ip: ip.map(str::to_string),
            user_agent: user_agent.map(str::to_string),
        })
    }

    /// The identity behind a bearer token.
    pub async fn authenticate_token(
        &self,
        token: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
        cert: Option<&crate::ClientCert>,
    ) -> Result<Identity> {
        let hash = secret_hash(token);
        let t = match self.auth_cache.token(&hash) {
            Some(t) => t,
            None => match self.db.token(&hash).await {
                Ok(t) => {
                    self.auth_cache.put_token(&hash, &t);
                    t
                }
                Err(DbError::NotFound) => return Err(ServiceError::Unauthenticated),
                Err(e) => return Err(e.into()),
            },
        };
        let now = self.now();
        if t.revoked_at.is_some() || t.user.status != UserStatus::Active {
            return Err(ServiceError::Unauthenticated);
        }
        if t.expires_at.is_some_and(|e| now >= e) {
            return Err(ServiceError::Expired);
        }
        if t.tenant.status != TenantStatus::Active && t.user.role != kura_core::Role::Operator {
            return Err(ServiceError::TenantSuspended);
        }
        self.check_ip_audited(&t.tenant, &t.user, ip, user_agent)
            .await?;
        self.check_client_cert(&t.tenant, Some(&t.user), cert, ip, user_agent)
            .await?;
        if t.last_used_at.is_none_or(|l| now - l > TOUCH_EVERY_MS) {
            self.db.touch_token(t.id, now).await?;
            // Token use is audited as often as it is recorded: at most once a
            // minute per token, so scripts do not flood the log.
            self.auth_event(AuthEvent {
                tenant_id: Some(t.tenant.id),
                user_id: Some(t.user.id),
                action: "token.use",
                target: Some(&t.id.to_string()),
                ip,
                user_agent,
                ..Default::default()
            })
            .await?;
            let mut fresh = t.clone();
            fresh.last_used_at = Some(now);
            self.auth_cache.put_token(&hash, &fresh);
        }
        Ok(Identity {
            user: t.user,
            tenant: t.tenant,
            method: AuthMethod::Token {
                id: t.id,
                read_only: t.scope == "read_only",
            },
            ip: ip.map(str::to_string),
            user_agent: user_agent.map(str::to_string),
        })
    }

    /// Creates a personal access token for the caller; the secret is returned once.
    pub async fn create_token(
        &self,
        who: &Identity,
        name: &str,
        expires_in_days: Option<i64>,
        read_only: bool,
    ) -> Result<(i64, String)> {
        // A token cannot mint a stronger one than itself.
        if matches!(
            who.method,
            AuthMethod::Token {
                read_only: true,
                ..
            }
        ) {
            return Err(ServiceError::ReadOnlyToken);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::InvalidInput(
                "a token name has 1-100 characters".into(),
            ));
        }
        if let Some(d) = expires_in_days
            && !(1..=3650).contains(&d)
        {
            return Err(ServiceError::InvalidInput(
                "expires_in_days must be between 1 and 3650".into(),
            ));
        }
        let now = self.now();
        let token = new_token();
        let expires = expires_in_days.map(|d| now + d * 86_400_000);
        let id = self
            .db
            .create_token(
                who.tenant_id(),
                who.user.id,
                name,
                &secret_hash(&token),
                now,
                expires,
                if read_only { "read_only" } else { "read_write" },
            )
            .await?;
        self.audit(
            who,
            "token.create",
            name,
            Some(if read_only { "read_only" } else { "read_write" }),
        )
        .await?;
        Ok((id, token))
    }

    /// The caller's tokens (never their secrets).
    pub async fn list_tokens(&self, who: &Identity) -> Result<Vec<TokenInfo>> {
        Ok(self.db.list_tokens(who.user.id).await?)
    }

    /// Revokes one of the caller's tokens.
    pub async fn revoke_token(&self, who: &Identity, id: i64) -> Result<()> {
        let now = self.now();
        self.db
            .revoke_token(who.user.id, id, now)
            .await
            .map_err(|e| match e {
                DbError::NotFound => ServiceError::NotFound("the token".into()),
                e => e.into(),
            })?;
        self.auth_cache.clear();
        self.audit(who, "token.revoke", &id.to_string(), None)
            .await?;
        Ok(())
    }
}
