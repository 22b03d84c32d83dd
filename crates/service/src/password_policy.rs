//! A tenant's password and lockout policy, and unlocking accounts.

use crate::admin::MIN_PASSWORD_FLOOR;
use crate::identity::Identity;
use crate::{Result, Service, ServiceError};

/// What a tenant asks of passwords and sign-in failures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PasswordPolicy {
    /// Shortest password, in characters (8-128; default 12).
    pub min_length: i64,
    /// Failed sign-ins in a row that lock an account (0 = never; default 10).
    pub lockout_threshold: i64,
    /// Minutes a locked account stays locked (1-1440; default 15).
    pub lockout_minutes: i64,
    /// Days a password may be used before it must be changed (1-3650; `None`: no limit).
    pub max_age_days: Option<i64>,
}

/// Changes to the policy; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PasswordPolicyChange {
    pub min_length: Option<i64>,
    pub lockout_threshold: Option<i64>,
    pub lockout_minutes: Option<i64>,
    /// `Some(None)` lifts the limit.
    pub max_age_days: Option<Option<i64>>,
}

impl Service {
    /// The caller's tenant's policy (tenant admins).
    pub async fn password_policy(&self, who: &Identity) -> Result<PasswordPolicy> {
        who.require_tenant_admin()?;
        let t = self.db.tenant_by_id(who.tenant_id()).await?;
        Ok(PasswordPolicy {
            min_length: t.password_min_length,
            lockout_threshold: t.lockout_threshold,
            lockout_minutes: t.lockout_minutes,
            max_age_days: t.password_max_age_days,
        })
    }

    /// Changes the caller's tenant's policy (tenant admins). A longer minimum
    /// applies to passwords set from now on.
    pub async fn set_password_policy(
        &self,
        who: &Identity,
        change: PasswordPolicyChange,
    ) -> Result<PasswordPolicy> {
        let cur = self.password_policy(who).await?;
        let next = PasswordPolicy {
            min_length: change.min_length.unwrap_or(cur.min_length),
            lockout_threshold: change.lockout_threshold.unwrap_or(cur.lockout_threshold),
            lockout_minutes: change.lockout_minutes.unwrap_or(cur.lockout_minutes),
            max_age_days: change.max_age_days.unwrap_or(cur.max_age_days),
        };
        if next.max_age_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(ServiceError::InvalidInput(
                "max_age_days must be between 1 and 3650, or null for no limit".into(),
            ));
        }
        let floor = i64::try_from(MIN_PASSWORD_FLOOR).unwrap_or(8);
        if !(floor..=128).contains(&next.min_length) {
            return Err(ServiceError::InvalidInput(format!(
                "min_length must be between {floor} and 128 characters"
            )));
        }
        if !(0..=100).contains(&next.lockout_threshold) {
            return Err(ServiceError::InvalidInput(
                "lockout_threshold must be between 0 (never lock) and 100".into(),
            ));
        }
        if !(1..=1440).contains(&next.lockout_minutes) {
            return Err(ServiceError::InvalidInput(
                "lockout_minutes must be between 1 and 1440".into(),
            ));
        }
        self.db
            .set_password_policy(
                who.tenant_id(),
                next.min_length,
                next.lockout_threshold,
                next.lockout_minutes,
                next.max_age_days,
            )
            .await?;
        self.auth_cache.clear();
        let detail = serde_json::to_string(&next).unwrap_or_default();
        self.audit(who, "policy.password", &who.tenant.code, Some(&detail))
            .await?;
        Ok(next)
    }

    /// Clears a user's failed sign-ins and lock (tenant admins, own tenant).
    pub async fn unlock_user(&self, who: &Identity, user_id: i64) -> Result<()> {
        who.require_tenant_admin()?;
        match self.db.reset_login_failures(who.tenant_id(), user_id).await {
            Ok(()) => {}
            Err(kura_db::DbError::NotFound) => {
                return Err(ServiceError::NotFound(format!("user {user_id}")));
            }
            Err(e) => return Err(e.into()),
        }
        self.auth_cache.clear();
        self.audit(who, "user.unlock", &user_id.to_string(), None)
            .await?;
        Ok(())
    }
}
