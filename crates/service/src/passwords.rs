//! Password changes: by the user (other sessions end), on expiry at sign-in,
//! and by a one-time reset token an admin issues.

use crate::admin::check_password;
use crate::identity::{AuthMethod, Identity};
use crate::{Result, Service, ServiceError};
use kura_auth::{hash_password, random_secret, secret_hash, verify_password};
use kura_core::{Tenant, User};

/// How long an admin-issued reset token works.
const RESET_VALID_MS: i64 = 24 * 3_600_000;

/// A reset token, shown once to the admin who asked for it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResetToken {
    pub token: String,
    pub expires_at: i64,
}

/// Checks a password against a stored hash, off the async threads (argon2 is slow on purpose).
pub(crate) async fn verify(password: &str, hash: Option<&str>) -> bool {
    let Some(hash) = hash.map(str::to_string) else {
        return false;
    };
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .unwrap_or(false)
}

/// Hashes a password with argon2id, off the async threads.
pub(crate) async fn hash(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

impl Service {
    /// True if the user's password is older than the tenant allows.
    pub(crate) fn password_expired(&self, tenant: &Tenant, user: &User) -> bool {
        let Some(days) = tenant.password_max_age_days else {
            return false;
        };
        let set = user.password_changed_at.unwrap_or(user.created_at);
        self.now() >= set + days * 86_400_000
    }

    /// Checks and stores a new password for `user` (same rules everywhere).
    pub(crate) async fn store_new_password(
        &self,
        tenant: &Tenant,
        user: &User,
        new_password: &str,
    ) -> Result<()> {
        check_password(new_password, tenant)?;
        if verify(new_password, user.password_hash.as_deref()).await {
            return Err(ServiceError::PasswordRejected(
                kura_auth::PasswordProblem::SameAsCurrent,
            ));
        }
        let h = hash(new_password).await?;
        self.db
            .set_password(tenant.id, user.id, &h, self.now())
            .await?;
        Ok(())
    }

    /// The caller changes their own password; their other sessions end.
    pub async fn change_password(
        &self,
        who: &Identity,
        current: &str,
        new_password: &str,
    ) -> Result<()> {
        if matches!(who.method, AuthMethod::Cli) || who.user.id == 0 {
            return Err(ServiceError::Forbidden(
                "the command line has no password".into(),
            ));
        }
        let user = self.db.user_by_id(who.tenant_id(), who.user.id).await?;
        if !verify(current, user.password_hash.as_deref()).await {
            return Err(ServiceError::InvalidCredentials);
        }
        let tenant = self.db.tenant_by_id(who.tenant_id()).await?;
        self.store_new_password(&tenant, &user, new_password)
            .await?;
        let keep = match &who.method {
            AuthMethod::Session { csrf_token } => Some(csrf_token.as_str()),
            _ => None,
        };
        let ended = self.db.delete_user_sessions(user.id, keep).await?;
        self.auth_cache.clear();
        self.audit(
            who,
            "user.password_change",
            &user.login,
            Some(&format!("{ended} other sessions ended")),
        )
        .await?;
        Ok(())
    }

    /// A tenant admin issues a one-time reset token for a user of their tenant.
    pub async fn start_password_reset(&self, who: &Identity, user_id: i64) -> Result<ResetToken> {
        who.require_tenant_admin()?;
        let user = match self.db.user_by_id(who.tenant_id(), user_id).await {
            Ok(u) => u,
            Err(kura_db::DbError::NotFound) => {
                return Err(ServiceError::NotFound(format!("user {user_id}")));
            }
            Err(e) => return Err(e.into()),
        };
        let token = format!("kura_reset_{}", random_secret(32));
        let expires_at = self.now() + RESET_VALID_MS;
        self.db
            .set_reset_token(who.tenant_id(), user.id, &secret_hash(&token), expires_at)
            .await?;
        self.audit(who, "user.password_reset_issued", &user.login, None)
            .await?;
        Ok(ResetToken { token, expires_at })
    }

    /// Sets a new password with a reset token (used once); every session of
    /// the user ends and any lock is lifted.
    pub async fn finish_password_reset(
        &self,
        token: &str,
        new_password: &str,
        ip: Option<&str>,
    ) -> Result<()> {
        let (user, tenant) = match self
            .db
            .user_by_reset_token(&secret_hash(token.trim()), self.now())
            .await
        {
            Ok(found) => found,
            Err(kura_db::DbError::NotFound) => return Err(ServiceError::InvalidResetToken),
            Err(e) => return Err(e.into()),
        };
        crate::ip_policy::check_ip(&tenant, user.role, ip)?;
        self.store_new_password(&tenant, &user, new_password)
            .await?;
        self.db.delete_user_sessions(user.id, None).await?;
        self.auth_cache.clear();
        self.db
            .audit(
                Some(tenant.id),
                Some(user.id),
                "user.password_reset",
                Some(&user.login),
                None,
                ip,
                self.now(),
            )
            .await?;
        Ok(())
    }
}
