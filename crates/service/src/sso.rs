//! Sign-in through a tenant's OpenID provider. `sso_start` sends the browser
//! to the provider and remembers the sign-in (server-side, single-use, bound
//! to the browser by a cookie secret); `sso_finish` takes the provider's
//! answer, verifies it, finds (or creates) the user in that tenant only, and
//! opens a session.

use crate::auth::NewSession;
use crate::auth_events::AuthEvent;
use crate::sso_config::MatchClaim;
use crate::{Result, Service, ServiceError};
use kura_auth::oidc::{OidcError, RelyingParty, VerifiedUser};
use kura_auth::{constant_time_eq, random_secret, secret_hash};
use kura_core::name::validate_login;
use kura_core::{Role, Tenant, TenantCode, TenantStatus, User, UserStatus};
use kura_db::{DbError, SsoConfigRow, SsoPendingRow};

/// How long a started sign-in may take at the provider.
pub const SSO_PENDING_MS: i64 = 10 * 60_000;

/// A started sign-in.
#[derive(Debug, Clone)]
pub struct SsoStart {
    /// Where to send the browser.
    pub authorize_url: String,
    /// For the browser-binding cookie.
    pub browser_secret: String,
}

/// What the provider sent back to the callback, and the binding cookie.
#[derive(Debug, Clone, Default)]
pub struct SsoCallback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    /// The provider's `error` (e.g. `access_denied`).
    pub error: Option<&'a str>,
    /// The issuer the provider names in its answer (RFC 9207), if it does.
    pub iss: Option<&'a str>,
    pub browser_secret: Option<&'a str>,
}

/// A finished sign-in: the session and where to send the browser.
#[derive(Debug, Clone)]
pub struct SsoDone {
    pub session: NewSession,
    pub return_to: String,
}

/// The tenant's public sign-in option (for the login page).
#[derive(Debug, Clone)]
pub struct SsoOption {
    pub tenant: String,
    pub label: Option<String>,
}

/// A local path to return to after sign-in; anything that could leave this
/// site (`//host`, `/\host`, a scheme) falls back to `/`.
pub fn safe_return_path(p: Option<&str>) -> String {
    match p {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 2000
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

/// A refused sign-in: what the user is told.
fn failed(msg: impl Into<String>) -> ServiceError {
    ServiceError::SsoFailed(msg.into())
}

/// The provider's error code as safe to show and record (it comes from the URL).
fn provider_error(e: &str) -> String {
    let e: String = e
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    if e.is_empty() { "error".into() } else { e }
}

impl Service {
    async fn sso_tenant_by_code(&self, code: &str) -> Result<(Tenant, SsoConfigRow)> {
        let unknown = || ServiceError::NotFound(format!("single sign-on for tenant {code:?}"));
        let code = TenantCode::parse(code).map_err(|_| unknown())?;
        let t = match self.db.tenant_by_code(code.as_str()).await {
            Ok(t) => t,
            Err(DbError::NotFound) => return Err(unknown()),
            Err(e) => return Err(e.into()),
        };
        match self.db.sso_config(t.id).await {
            Ok(c) => Ok((t, c)),
            Err(DbError::NotFound) => Err(unknown()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether a tenant offers single sign-on (no sign-in needed).
    pub async fn sso_option(&self, code: &str) -> Result<SsoOption> {
        let (t, c) = self.sso_tenant_by_code(code).await?;
        Ok(SsoOption {
            tenant: t.code,
            label: c.label,
        })
    }

    /// Starts a sign-in at tenant `code`'s provider.
    pub async fn sso_start(
        &self,
        code: &str,
        return_to: Option<&str>,
        redirect_uri: &str,
    ) -> Result<SsoStart> {
        let (t, c) = self.sso_tenant_by_code(code).await?;
        if t.status != TenantStatus::Active {
            return Err(ServiceError::TenantSuspended);
        }
        let rp = RelyingParty {
            issuer: &c.issuer,
            client_id: &c.client_id,
            client_secret: &c.client_secret,
            redirect_uri,
        };
        let started = self.oidc.start(&rp).await.map_err(provider_down)?;
        let browser_secret = random_secret(32);
        let now = self.now();
        self.db
            .create_sso_pending(&SsoPendingRow {
                state_hash: secret_hash(&started.state),
                browser_hash: secret_hash(&browser_secret),
                tenant_id: t.id,
                nonce: started.nonce,
                pkce_verifier: started.pkce_verifier,
                return_to: safe_return_path(return_to),
                created_at: now,
                expires_at: now + SSO_PENDING_MS,
            })
            .await?;
        Ok(SsoStart {
            authorize_url: started.authorize_url,
            browser_secret,
        })
    }

    /// Finishes a sign-in from the provider's redirect. Every refusal is
    /// audited as `sso.failure` with its reason.
    pub async fn sso_finish(
        &self,
        cb: SsoCallback<'_>,
        redirect_uri: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<SsoDone> {
        let mut tenant_id = None;
        let mut user_id = None;
        let r = self
            .sso_finish_inner(
                cb,
                redirect_uri,
                ip,
                user_agent,
                &mut tenant_id,
                &mut user_id,
            )
            .await;
        if let Err(e) = &r {
            let reason = e.to_string();
            self.auth_event(AuthEvent {
                tenant_id,
                user_id,
                action: "sso.failure",
                detail: Some(&reason),
                ip,
                user_agent,
                ..Default::default()
            })
            .await?;
        }
        r
    }

    async fn sso_finish_inner(
        &self,
        cb: SsoCallback<'_>,
        redirect_uri: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
        tenant_id: &mut Option<i64>,
        user_id: &mut Option<i64>,
    ) -> Result<SsoDone> {
        let state = cb
            .state
            .filter(|s| !s.is_empty())
            .ok_or_else(|| failed("the sign-in answer has no state; start the sign-in again"))?;
        // Taken (deleted) before anything else: a state works once, whatever follows.
        let pending = match self.db.take_sso_pending(&secret_hash(state)).await {
            Ok(p) => p,
            Err(DbError::NotFound) => {
                return Err(failed(
                    "this sign-in is unknown, was already used or has expired; start the sign-in again",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        *tenant_id = Some(pending.tenant_id);
        if self.now() >= pending.expires_at {
            return Err(failed(
                "this sign-in took too long and has expired; start the sign-in again",
            ));
        }
        let same_browser = cb
            .browser_secret
            .is_some_and(|b| constant_time_eq(&secret_hash(b), &pending.browser_hash));
        if !same_browser {
            return Err(failed(
                "this sign-in was started in another browser (or its cookie is missing); start the sign-in again here",
            ));
        }
        if let Some(e) = cb.error {
            return Err(failed(format!(
                "the identity provider did not sign you in ({})",
                provider_error(e)
            )));
        }
        let code = cb
            .code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| failed("the identity provider sent no authorization code"))?;
        let t = self.db.tenant_by_id(pending.tenant_id).await?;
        let c = match self.db.sso_config(t.id).await {
            Ok(c) => c,
            Err(DbError::NotFound) => {
                return Err(failed("single sign-on is no longer set up for this tenant"));
            }
            Err(e) => return Err(e.into()),
        };
        // An answer naming another issuer was meant for another provider
        // (mix-up attack, RFC 9207).
        if cb.iss.is_some_and(|i| i != c.issuer) {
            return Err(failed(
                "the answer comes from another identity provider than this tenant's",
            ));
        }
        let rp = RelyingParty {
            issuer: &c.issuer,
            client_id: &c.client_id,
            client_secret: &c.client_secret,
            redirect_uri,
        };
        let who = self
            .oidc
            .finish(
                &rp,
                code,
                &pending.pkce_verifier,
                &pending.nonce,
                self.now(),
            )
            .await
            .map_err(|e| match e {
                OidcError::Rejected(m) => failed(m),
                d @ OidcError::Discovery(_) => provider_down(d),
            })?;
        let user = self.sso_user(&t, &c, &who, ip, user_agent).await?;
        *user_id = Some(user.id);
        if user.status != UserStatus::Active {
            return Err(failed("this account is disabled"));
        }
        if t.status != TenantStatus::Active && user.role != Role::Operator {
            return Err(ServiceError::TenantSuspended);
        }
        crate::ip_policy::check_ip(&t, user.role, ip)?;
        let session = self
            .open_session(t, user, ip, user_agent, "sso.login")
            .await?;
        self.db
            .mark_session_sso(&secret_hash(&session.secret))
            .await?;
        Ok(SsoDone {
            session,
            return_to: pending.return_to,
        })
    }

    /// The user the verified claims name in tenant `t` (never another
    /// tenant), created if the settings allow it.
    async fn sso_user(
        &self,
        t: &Tenant,
        c: &SsoConfigRow,
        who: &VerifiedUser,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<User> {
        let claim = if c.match_claim == "sub" {
            MatchClaim::Sub
        } else {
            MatchClaim::Email
        };
        // An address the provider itself has not verified proves nothing.
        if who.email_verified == Some(false) && claim == MatchClaim::Email {
            return Err(failed(
                "the identity provider says this email address is not verified",
            ));
        }
        let email = who
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        let (login, found) = match claim {
            MatchClaim::Email => {
                let email = email.ok_or_else(|| {
                    failed("the identity provider did not share an email address")
                })?;
                let mut users = self.db.users_by_email(t.id, email).await?;
                if users.len() > 1 {
                    return Err(failed(
                        "more than one account has this email address; ask your administrator",
                    ));
                }
                (email.to_string(), users.pop())
            }
            MatchClaim::Sub => match self.db.user_by_login(t.id, &who.subject).await {
                Ok(u) => (who.subject.clone(), Some(u)),
                Err(DbError::NotFound) => (who.subject.clone(), None),
                Err(e) => return Err(e.into()),
            },
        };
        if let Some(u) = found {
            return Ok(u);
        }
        let Some(role) = c.jit_role.as_deref() else {
            return Err(failed(format!(
                "no account of tenant {} matches this sign-in; ask your administrator to create one",
                t.code
            )));
        };
        let role = Role::parse(role)?;
        let login = validate_login(&login)
            .map_err(|_| failed("the identity provider's identifier cannot be used as a login"))?;
        let display = who
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.chars().count() <= 200)
            .unwrap_or(&login)
            .to_string();
        let email = email.filter(|e| e.contains('@') && e.len() <= 254);
        let user = match self
            .db
            .create_user(t.id, &login, &display, email, role, None, self.now())
            .await
        {
            Ok(u) => u,
            Err(DbError::Conflict(_)) => {
                return Err(failed(format!(
                    "an account with login {login} already exists but does not match this sign-in; ask your administrator"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        self.auth_event(AuthEvent {
            tenant_id: Some(t.id),
            user_id: Some(user.id),
            action: "user.jit_create",
            target: Some(&user.login),
            detail: Some(role.as_str()),
            ip,
            user_agent,
        })
        .await?;
        Ok(user)
    }

    /// The provider's logout URL for the caller's tenant, if it has one (so a
    /// browser can end its provider session too after Kura's).
    /// Only for a session that was opened by SSO.
    pub async fn sso_end_session_url(&self, who: &crate::Identity) -> Option<String> {
        let crate::AuthMethod::Session { csrf_token } = &who.method else {
            return None;
        };
        if !self.db.session_is_sso(who.user.id, csrf_token).await.ok()? {
            return None;
        }
        let c = self.db.sso_config(who.tenant_id()).await.ok()?;
        self.oidc.end_session_url(&c.issuer, &c.client_id).await
    }
}

fn provider_down(e: OidcError) -> ServiceError {
    ServiceError::SsoProviderUnavailable(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_path(Some("/files/a?b=c")), "/files/a?b=c");
        assert_eq!(safe_return_path(Some("//evil.example/x")), "/");
        assert_eq!(safe_return_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_return_path(Some("https://evil.example/")), "/");
        assert_eq!(safe_return_path(Some("files")), "/");
        assert_eq!(safe_return_path(Some("/a\r\nSet-Cookie: x")), "/");
        assert_eq!(safe_return_path(None), "/");
    }

    #[test]
    fn provider_errors_are_cleaned() {
        assert_eq!(provider_error("access_denied"), "access_denied");
        assert_eq!(provider_error("<script>"), "script");
        assert_eq!(provider_error("!!"), "error");
    }
}
