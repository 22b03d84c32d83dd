//! Unlocking accounts locked after failed sign-ins.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};

impl Service {
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
