//! Users as the web UI shows them: names for "modified by", and a tenant
//! administrator's changes to a user's role and status.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::{Role, User, UserStatus};
use kura_db::DbError;
use std::collections::HashMap;

impl Service {
    /// Display names of users of the caller's tenant, by id (ids of users
    /// that no longer exist are left out).
    pub async fn display_names(
        &self,
        who: &Identity,
        ids: Vec<i64>,
    ) -> Result<HashMap<i64, String>> {
        who.require_read()?;
        let mut out = HashMap::new();
        for id in ids {
            if out.contains_key(&id) {
                continue;
            }
            match self.db.user_by_id(who.tenant_id(), id).await {
                Ok(u) => {
                    out.insert(id, u.display_name);
                }
                Err(DbError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// Changes the role or status of a user of the caller's tenant (tenant
    /// admin). Nobody changes their own role or disables themselves (the
    /// tenant could lose its last admin), and nobody becomes operator.
    /// Disabling a user ends their sessions.
    pub async fn update_user(
        &self,
        who: &Identity,
        user_id: i64,
        role: Option<Role>,
        status: Option<UserStatus>,
    ) -> Result<User> {
        who.require_tenant_admin()?;
        if role == Some(Role::Operator) {
            return Err(ServiceError::InvalidInput(
                "the role must be admin, member or guest".into(),
            ));
        }
        if user_id == who.user.id && (role.is_some() || status.is_some()) {
            return Err(ServiceError::Forbidden(
                "you cannot change your own role or status".into(),
            ));
        }
        let user = self
            .db
            .update_user(who.tenant_id(), user_id, role, status, None)
            .await
            .map_err(|e| match e {
                DbError::NotFound => ServiceError::NotFound(format!("user {user_id}")),
                e => e.into(),
            })?;
        if status == Some(UserStatus::Disabled) {
            self.db.delete_user_sessions(user.id, None).await?;
        }
        self.auth_cache.clear();
        let detail = format!(
            "role={} status={}",
            user.role.as_str(),
            user.status.as_str()
        );
        self.audit(
            who,
            "user.update",
            &format!("{}/{}", who.tenant.code, user.login),
            Some(&detail),
        )
        .await?;
        Ok(user)
    }
}
