//! Browser sessions and personal access tokens. Only hashes of the secrets are stored.

use crate::rows::{TENANT_COLS, TenantRow, USER_COLS, UserRow};
use crate::{Db, DbError};
use kura_core::{Tenant, Timestamp, User};
use sqlx::AssertSqlSafe;

/// A live session with its user and tenant.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub csrf_token: String,
    /// `full`, or half signed in: `otp` (a passcode is due) or `enrol`.
    pub stage: String,
    /// Wrong passcodes presented in this half-signed-in session.
    pub otp_failures: i64,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub user: User,
    pub tenant: Tenant,
}

/// A token with its user and tenant.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: i64,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    /// `read_write` or `read_only`.
    pub scope: String,
    pub user: User,
    pub tenant: Tenant,
}

/// A token as listed to its owner (never the secret).
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub scope: String,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_token: String,
    stage: String,
    otp_failures: i64,
    s_created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    user_id: i64,
}

fn prefixed(cols: &str, prefix: &str) -> String {
    cols.split(", ")
        .map(|c| format!("{prefix}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Db {
    /// Stores a new session.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        id_hash: &str,
        tenant_id: i64,
        user_id: i64,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
        ip: Option<&str>,
        user_agent: Option<&str>,
        stage: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, tenant_id, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent, stage)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)",
        )
        .bind(id_hash)
        .bind(tenant_id)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .bind(ip)
        .bind(user_agent)
        .bind(stage)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Finds a session (whatever its expiry; the caller judges it).
    pub async fn session(&self, id_hash: &str) -> Result<SessionRecord, DbError> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT csrf_token, stage, otp_failures, created_at AS s_created_at, last_seen_at, expires_at, user_id
             FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or(DbError::NotFound)?;
        let (user, tenant) = self.user_and_tenant(row.user_id).await?;
        Ok(SessionRecord {
            csrf_token: row.csrf_token,
            stage: row.stage,
            otp_failures: row.otp_failures,
            created_at: row.s_created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            user,
            tenant,
        })
    }

    /// Records activity on a session and pushes its idle expiry.
    pub async fn touch_session(
        &self,
        id_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes sessions past their expiry; returns how many.
    pub async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, DbError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Stores a new token hash.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_token(
        &self,
        tenant_id: i64,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now: Timestamp,
        expires_at: Option<Timestamp>,
        scope: &str,
    ) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (tenant_id, user_id, name, token_hash, created_at, expires_at, scope)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .bind(scope)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Finds a token by the hash of its secret.
    pub async fn token(&self, token_hash: &str) -> Result<TokenRecord, DbError> {
        // One query on the hot path of every API call: token, user and tenant.
        let sql = format!(
            "SELECT k.id AS k_id, k.expires_at AS k_expires_at, k.revoked_at AS k_revoked_at,
                    k.last_used_at AS k_last_used_at, k.scope AS k_scope, {}
             FROM api_tokens k JOIN users u ON u.id = k.user_id JOIN tenants t ON t.id = u.tenant_id
             WHERE k.token_hash = $1",
            user_tenant_cols()
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DbError::NotFound)?;
        use sqlx::Row;
        let user: UserRow = sqlx::FromRow::from_row(&row)?;
        let tenant = TenantRow::from_prefixed(&row)?;
        Ok(TokenRecord {
            id: row.try_get("k_id")?,
            expires_at: row.try_get("k_expires_at")?,
            revoked_at: row.try_get("k_revoked_at")?,
            last_used_at: row.try_get("k_last_used_at")?,
            scope: row.try_get("k_scope")?,
            user: user.try_into()?,
            tenant: tenant.try_into()?,
        })
    }

    /// Records that a token was used.
    pub async fn touch_token(&self, id: i64, now: Timestamp) -> Result<(), DbError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A user's tokens, newest first.
    pub async fn list_tokens(&self, user_id: i64) -> Result<Vec<TokenInfo>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, name, created_at, expires_at, last_used_at, revoked_at, scope FROM api_tokens
             WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes one of a user's tokens.
    pub async fn revoke_token(&self, user_id: i64, id: i64, now: Timestamp) -> Result<(), DbError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE user_id = $1 AND id = $2",
        )
        .bind(user_id)
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// A user together with their tenant, in one query.
    async fn user_and_tenant(&self, user_id: i64) -> Result<(User, Tenant), DbError> {
        let sql = format!(
            "SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1",
            user_tenant_cols()
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DbError::NotFound)?;
        let user: UserRow = sqlx::FromRow::from_row(&row)?;
        let tenant = TenantRow::from_prefixed(&row)?;
        Ok((user.try_into()?, tenant.try_into()?))
    }
}

impl Db {
    /// The user (and tenant) a live reset token belongs to.
    pub async fn user_by_reset_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<(User, Tenant), DbError> {
        let sql = format!(
            "SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id
             WHERE u.reset_token_hash = $1 AND u.reset_expires_at > $2",
            user_tenant_cols()
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DbError::NotFound)?;
        let user: UserRow = sqlx::FromRow::from_row(&row)?;
        let tenant = TenantRow::from_prefixed(&row)?;
        Ok((user.try_into()?, tenant.try_into()?))
    }
}

/// User columns as they are, tenant columns as `t_<column>`, for `users u JOIN tenants t`.
fn user_tenant_cols() -> String {
    let t = TENANT_COLS
        .split(", ")
        .map(|c| format!("t.{c} AS t_{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{}, {t}", prefixed(USER_COLS, "u"))
}
