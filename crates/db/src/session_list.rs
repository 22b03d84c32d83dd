//! A user's browser sessions, as they can list and end them.

use crate::{Db, DbError};
use kura_core::Timestamp;

/// One live session. `id` is a prefix of the stored hash of the session
/// secret: enough to name it, useless to sign in with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Db {
    /// The user's sessions that have not expired, most recently used first.
    pub async fn user_sessions(
        &self,
        user_id: i64,
        now: Timestamp,
    ) -> Result<Vec<SessionInfo>, DbError> {
        Ok(sqlx::query_as(
            "SELECT SUBSTR(id_hash, 1, 16) AS id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent
             FROM sessions WHERE user_id = $1 AND expires_at > $2 AND stage = 'full' ORDER BY last_seen_at DESC",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends the user's session whose id (hash prefix) is `id`.
    pub async fn end_user_session(&self, user_id: i64, id: &str) -> Result<(), DbError> {
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DbError::NotFound);
        }
        let done =
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND SUBSTR(id_hash, 1, 16) = $2")
                .bind(user_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }
}
