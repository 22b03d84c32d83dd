//! Users list and end their browser sessions; admins end all of a user's.

use crate::identity::{AuthMethod, Identity};
use crate::{Result, Service, ServiceError};
use kura_db::DbError;

/// A session as its owner sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionView {
    pub id: String,
    pub created: i64,
    pub last_seen: i64,
    pub expires: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session making this request.
    pub current: bool,
}

impl Service {
    /// The caller's live sessions, most recently used first.
    pub async fn my_sessions(&self, who: &Identity) -> Result<Vec<SessionView>> {
        let current = match &who.method {
            AuthMethod::Session { csrf_token } => Some(csrf_token.as_str()),
            _ => None,
        };
        let list = self.db.user_sessions(who.user.id, self.now()).await?;
        Ok(list
            .into_iter()
            .map(|s| SessionView {
                current: current.is_some_and(|c| kura_auth::constant_time_eq(c, &s.csrf_token)),
                id: s.id,
                created: s.created_at,
                last_seen: s.last_seen_at,
                expires: s.expires_at,
                ip: s.ip,
                user_agent: s.user_agent,
            })
            .collect())
    }

    /// Ends one of the caller's sessions (e.g. a lost laptop's).
    pub async fn end_my_session(&self, who: &Identity, id: &str) -> Result<()> {
        match self.db.end_user_session(who.user.id, id).await {
            Ok(()) => {}
            Err(DbError::NotFound) => return Err(ServiceError::NotFound(format!("session {id}"))),
            Err(e) => return Err(e.into()),
        }
        self.auth_cache.clear();
        self.audit(who, "session.end", id, None).await?;
        Ok(())
    }

    /// Ends every session of a user of the caller's tenant (tenant admins).
    pub async fn end_user_sessions(&self, who: &Identity, user_id: i64) -> Result<u64> {
        who.require_tenant_admin()?;
        let user = match self.db.user_by_id(who.tenant_id(), user_id).await {
            Ok(u) => u,
            Err(DbError::NotFound) => {
                return Err(ServiceError::NotFound(format!("user {user_id}")));
            }
            Err(e) => return Err(e.into()),
        };
        let n = self.db.delete_user_sessions(user.id, None).await?;
        self.auth_cache.clear();
        self.audit(
            who,
            "user.sessions_ended",
            &user.login,
            Some(&n.to_string()),
        )
        .await?;
        Ok(n)
    }
}
