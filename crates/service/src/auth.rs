//! Sign-in, sessions and personal access tokens.

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
}

impl Service {
    /// Checks credentials and opens a session. Every failure (unknown tenant,
    /// unknown login, wrong password, disabled user) gives the same error after
    /// the same work, so nothing can be learnt about which accounts exist.
    pub async fn login(
        &self,
        tenant: &str,
        login: &str,
        password: &str,
        new_password: Option<&str>,
        ip: Option<&str>,
        user_agent: Option<&str>,
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
            self.db
                .audit(
                    Some(t.id),
                    None,
                    "login.ip_refused",
                    Some(login),
                    None,
                    ip,
                    self.now(),
                )
                .await?;
            return Err(e);
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
            self.db
                .audit(
                    Some(t.id),
                    Some(u.id),
                    "login.locked",
                    Some(&u.login),
                    None,
                    ip,
                    now,
                )
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
                    self.db
                        .audit(
                            Some(t.id),
                            Some(u.id),
                            "login.lockout",
                            Some(&u.login),
                            None,
                            ip,
                            now,
                        )
                        .await?;
                }
            } else if u.failed_logins > 0 {
                self.db.reset_login_failures(t.id, u.id).await?;
            }
        }
        let Some((tenant, user)) = found.filter(|(_, u)| ok && u.status == UserStatus::Active)
        else {
            self.db
                .audit(
                    None,
                    None,
                    "login.failure",
                    Some(&format!("{tenant}/{login}")),
                    None,
                    ip,
                    now,
                )
                .await?;
            return Err(ServiceError::InvalidCredentials);
        };
        if tenant.status != TenantStatus::Active && user.role != kura_core::Role::Operator {
            return Err(ServiceError::TenantSuspended);
        }
        if let Err(e) = crate::ip_policy::check_ip(&tenant, user.role, ip) {
            self.db
                .audit(
                    Some(tenant.id),
                    Some(user.id),
                    "login.ip_refused",
                    Some(&user.login),
                    None,
                    ip,
                    now,
                )
                .await?;
            return Err(e);
        }
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
                self.db
                    .audit(
                        Some(tenant.id),
                        Some(user.id),
                        "login.password_expired",
                        Some(&user.login),
                        None,
                        ip,
                        now,
                    )
                    .await?;
                return Err(ServiceError::PasswordExpired);
            };
            self.store_new_password(&tenant, &user, new_pw).await?;
            self.db.delete_user_sessions(user.id, None).await?;
            self.auth_cache.clear();
            self.db
                .audit(
                    Some(tenant.id),
                    Some(user.id),
                    "user.password_change",
                    Some(&user.login),
                    Some("expired password replaced at sign-in"),
                    ip,
                    now,
                )
                .await?;
        }
        self.open_session(tenant, user, ip, user_agent, "login.success")
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
            )
            .await?;
        self.auth_event(crate::auth_events::AuthEvent {
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
        };
        Ok(NewSession {
            secret,
            csrf_token,
            identity,
            expires_at,
        })
    }

    /// Ends a session.
    pub async fn logout(&self, secret: &str) -> Result<()> {
        self.db.delete_session(&secret_hash(secret)).await?;
        self.auth_cache.clear();
        Ok(())
    }

    /// The identity behind a session cookie.
    pub async fn authenticate_session(&self, secret: &str, ip: Option<&str>) -> Result<Identity> {
        let id_hash = secret_hash(secret);
        let s = match self.auth_cache.session(&id_hash) {
            Some(s) => s,
            None => match self.db.session(&id_hash).await {
                Ok(s) => {
                    self.auth_cache.put_session(&id_hash, &s);
                    s
                }
                Err(DbError::NotFound) => return Err(ServiceError::Unauthenticated),
                Err(e) => return Err(e.into()),
            },
        };
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
        crate::ip_policy::check_ip(&s.tenant, s.user.role, ip)?;
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
        })
    }

    /// The identity behind a bearer token.
    pub async fn authenticate_token(&self, token: &str, ip: Option<&str>) -> Result<Identity> {
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
        crate::ip_policy::check_ip(&t.tenant, t.user.role, ip)?;
        if t.last_used_at.is_none_or(|l| now - l > TOUCH_EVERY_MS) {
            self.db.touch_token(t.id, now).await?;
            let mut fresh = t.clone();
            fresh.last_used_at = Some(now);
            self.auth_cache.put_token(&hash, &fresh);
        }
        Ok(Identity {
            user: t.user,
            tenant: t.tenant,
            method: AuthMethod::Token { id: t.id },
            ip: ip.map(str::to_string),
        })
    }

    /// Creates a personal access token for the caller; the secret is returned once.
    pub async fn create_token(
        &self,
        who: &Identity,
        name: &str,
        expires_in_days: Option<i64>,
    ) -> Result<(i64, String)> {
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
            )
            .await?;
        self.db
            .audit(
                Some(who.tenant_id()),
                Some(who.user.id),
                "token.create",
                Some(name),
                None,
                who.ip.as_deref(),
                now,
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
        self.db
            .audit(
                Some(who.tenant_id()),
                Some(who.user.id),
                "token.revoke",
                Some(&id.to_string()),
                None,
                who.ip.as_deref(),
                now,
            )
            .await?;
        Ok(())
    }
}
