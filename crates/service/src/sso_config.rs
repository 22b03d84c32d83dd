//! A tenant's single sign-on settings (its OpenID provider), managed by its
//! admins or the operator, and the lock-out check for the "SSO only" policy.

use crate::identity::{AuthMethod, Identity};
use crate::{Result, Service, ServiceError};
use kura_core::{Role, Tenant};
use kura_db::{DbError, SsoConfigRow};

/// Which ID token claim finds the Kura user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchClaim {
    /// The verified email equals the user's email (one user only).
    Email,
    /// The provider's subject identifier equals the user's login.
    Sub,
}

impl MatchClaim {
    fn parse(s: &str) -> Result<Self> {
        match s {
            "email" => Ok(Self::Email),
            "sub" => Ok(Self::Sub),
            _ => Err(ServiceError::InvalidInput(
                "match_claim must be \"email\" or \"sub\"".into(),
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sub => "sub",
        }
    }
}

/// The settings as shown: never the client secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfigView {
    pub tenant: String,
    pub issuer: String,
    pub client_id: String,
    pub match_claim: String,
    /// Role of users created at their first sign-in; `None`: none are created.
    pub jit_role: Option<String>,
    pub label: Option<String>,
    pub updated_at: i64,
}

/// New settings. `client_secret: None` keeps the stored one.
#[derive(Debug, Clone, Default)]
pub struct SsoConfigChange {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `email` (default) or `sub`.
    pub match_claim: Option<String>,
    /// `member` or `guest`; `None`: no just-in-time creation.
    pub jit_role: Option<String>,
    pub label: Option<String>,
}

fn view(t: &Tenant, c: &SsoConfigRow) -> SsoConfigView {
    SsoConfigView {
        tenant: t.code.clone(),
        issuer: c.issuer.clone(),
        client_id: c.client_id.clone(),
        match_claim: c.match_claim.clone(),
        jit_role: c.jit_role.clone(),
        label: c.label.clone(),
        updated_at: c.updated_at,
    }
}

/// The issuer as the provider spells it in its tokens (no trailing slash
/// added or removed: discovery checks it matches exactly).
fn check_issuer(issuer: &str, allow_http: bool) -> Result<String> {
    let issuer = issuer.trim();
    let bad = |why: &str| ServiceError::InvalidInput(format!("issuer: {why}"));
    if issuer.is_empty() || issuer.len() > 500 {
        return Err(bad("an https URL of at most 500 characters is required"));
    }
    let rest = if let Some(r) = issuer.strip_prefix("https://") {
        r
    } else if let Some(r) = issuer.strip_prefix("http://") {
        if !allow_http {
            return Err(bad(
                "must be an https URL (plain http is allowed only when [auth] sso_allow_http_issuers is set)",
            ));
        }
        r
    } else {
        return Err(bad("must be an https URL"));
    };
    if rest.is_empty()
        || rest.starts_with('/')
        || issuer.contains(['?', '#', ' ', '\\'])
        || issuer.chars().any(char::is_control)
    {
        return Err(bad(
            "must be a URL with a host and without query or fragment",
        ));
    }
    Ok(issuer.to_string())
}

fn check_text(name: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ServiceError::InvalidInput(format!(
            "{name} must have 1-{max} characters without control characters"
        )));
    }
    Ok(v.to_string())
}

impl Service {
    /// The tenant an SSO settings call is about: the caller's own (tenant
    /// admins) or `code` (the operator).
    async fn sso_tenant(&self, who: &Identity, code: Option<&str>) -> Result<Tenant> {
        match code {
            Some(c) => self.tenant(who, c).await,
            None => {
                who.require_tenant_admin()?;
                Ok(self.db.tenant_by_id(who.tenant_id()).await?)
            }
        }
    }

    /// A tenant's SSO settings.
    pub async fn sso_config(&self, who: &Identity, code: Option<&str>) -> Result<SsoConfigView> {
        let t = self.sso_tenant(who, code).await?;
        match self.db.sso_config(t.id).await {
            Ok(c) => Ok(view(&t, &c)),
            Err(DbError::NotFound) => Err(not_configured(&t.code)),
            Err(e) => Err(e.into()),
        }
    }

    /// Saves a tenant's SSO settings after checking that the issuer can be
    /// discovered, so a typo shows now rather than at the next sign-in.
    pub async fn set_sso_config(
        &self,
        who: &Identity,
        code: Option<&str>,
        change: SsoConfigChange,
    ) -> Result<SsoConfigView> {
        let t = self.sso_tenant(who, code).await?;
        let issuer = check_issuer(&change.issuer, self.cfg.sso_allow_http_issuers)?;
        let client_id = check_text("client_id", &change.client_id, 255)?;
        let match_claim = MatchClaim::parse(change.match_claim.as_deref().unwrap_or("email"))?;
        let jit_role = match change.jit_role.as_deref() {
            None => None,
            Some(r) => match Role::parse(r) {
                Ok(role @ (Role::Member | Role::Guest)) => Some(role.as_str().to_string()),
                // An identity provider must never be able to mint administrators.
                _ => {
                    return Err(ServiceError::InvalidInput(
                        "jit_role must be \"member\" or \"guest\" (or null for no automatic creation)"
                            .into(),
                    ));
                }
            },
        };
        let label = change
            .label
            .as_deref()
            .map(|l| check_text("label", l, 100))
            .transpose()?;
        let existing = match self.db.sso_config(t.id).await {
            Ok(c) => Some(c),
            Err(DbError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let client_secret = match (change.client_secret.as_deref(), &existing) {
            (Some(s), _) => check_text("client_secret", s, 1000)?,
            (None, Some(c)) => c.client_secret.clone(),
            (None, None) => {
                return Err(ServiceError::InvalidInput(
                    "client_secret is required when single sign-on is first set up".into(),
                ));
            }
        };
        self.oidc
            .discover(&issuer, true)
            .await
            .map_err(|e| ServiceError::SsoProviderUnavailable(e.to_string()))?;
        let row = SsoConfigRow {
            tenant_id: t.id,
            issuer,
            client_id,
            client_secret,
            match_claim: match_claim.as_str().to_string(),
            jit_role,
            label,
            updated_at: self.now(),
        };
        self.db.put_sso_config(&row).await?;
        let shown = view(&t, &row);
        let detail = format!(
            "issuer={} client_id={} match_claim={} jit_role={} secret_changed={}",
            row.issuer,
            row.client_id,
            row.match_claim,
            row.jit_role.as_deref().unwrap_or("none"),
            change.client_secret.is_some()
        );
        self.audit(who, "sso.config_update", &t.code, Some(&detail))
            .await?;
        Ok(shown)
    }

    /// Removes a tenant's SSO settings. While the tenant is "SSO only" its
    /// members could then not sign in at all, so that needs `confirm`.
    pub async fn delete_sso_config(
        &self,
        who: &Identity,
        code: Option<&str>,
        confirm: bool,
    ) -> Result<()> {
        let t = self.sso_tenant(who, code).await?;
        if t.sso_only && !confirm {
            return Err(ServiceError::WouldLockOutCaller(
                crate::LockOut::NoSsoProvider,
                "this tenant allows single sign-on only: without a provider no member could sign in; turn sso_only off first, or repeat with ?confirm=true".into(),
            ));
        }
        match self.db.delete_sso_config(t.id).await {
            Ok(()) => {}
            Err(DbError::NotFound) => return Err(not_configured(&t.code)),
            Err(e) => return Err(e.into()),
        }
        self.audit(who, "sso.config_delete", &t.code, None).await?;
        Ok(())
    }

    /// Refuses turning "SSO only" on, unless confirmed, when it would shut
    /// people out: the tenant has no provider (no member could sign in), or
    /// the caller is one of its admins not signed in through SSO (they could
    /// not sign in again). The operator keeps the password break-glass login.
    pub(crate) async fn check_sso_only_change(
        &self,
        who: &Identity,
        t: &Tenant,
        sso_only: bool,
        confirm: bool,
    ) -> Result<()> {
        if !sso_only || t.sso_only || confirm {
            return Ok(());
        }
        match self.db.sso_config(t.id).await {
            Ok(_) => {}
            Err(DbError::NotFound) => {
                return Err(ServiceError::WouldLockOutCaller(
                    crate::LockOut::NoSsoProvider,
                    "no single sign-on provider is set up for this tenant, so nobody could sign in; set one up (PUT /api/v1/tenant/sso) first, or repeat with ?confirm=true".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        if t.id != who.tenant_id() || who.user.role == Role::Operator {
            return Ok(());
        }
        let via_sso = match &who.method {
            AuthMethod::Session { csrf_token } => {
                self.db.session_is_sso(who.user.id, csrf_token).await?
            }
            AuthMethod::Token { .. } | AuthMethod::Cli => false,
        };
        if via_sso {
            return Ok(());
        }
        Err(ServiceError::WouldLockOutCaller(
            crate::LockOut::NotSignedInWithSso,
            "you did not sign in through single sign-on, so with sso_only you could not sign in with your password again; sign in through SSO first to check it works, or repeat with ?confirm=true".into(),
        ))
    }
}

fn not_configured(code: &str) -> ServiceError {
    ServiceError::NotFound(format!("single sign-on for tenant {code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https_urls_unless_allowed() {
        assert!(check_issuer("https://id.example.com", false).is_ok());
        assert!(check_issuer("https://id.example.com/tenant/v2.0", false).is_ok());
        assert!(check_issuer("http://127.0.0.1:3000", false).is_err());
        assert!(check_issuer("http://127.0.0.1:3000", true).is_ok());
        assert!(check_issuer("ftp://x", true).is_err());
        assert!(check_issuer("https://", false).is_err());
        assert!(check_issuer("https://x/?a=b", false).is_err());
        assert!(check_issuer("https://x/#f", false).is_err());
        assert!(check_issuer("", false).is_err());
    }

    #[test]
    fn match_claims_parse() {
        assert_eq!(MatchClaim::parse("email").ok(), Some(MatchClaim::Email));
        assert_eq!(MatchClaim::parse("sub").ok(), Some(MatchClaim::Sub));
        assert!(MatchClaim::parse("name").is_err());
    }
}
