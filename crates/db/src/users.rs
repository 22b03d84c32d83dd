//! Users of a tenant.

use crate::error::conflict_on_unique;
use crate::rows::{USER_COLS, UserRow};
use crate::{Db, DbError};
use kura_core::name::name_key;
use kura_core::{Role, Timestamp, User, UserStatus};
use sqlx::AssertSqlSafe;

impl Db {
    /// Creates a user; the login must be unique in the tenant (ignoring case).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_user(
        &self,
        tenant_id: i64,
        login: &str,
        display_name: &str,
        email: Option<&str>,
        role: Role,
        password_hash: Option<&str>,
        now: Timestamp,
    ) -> Result<User, DbError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (tenant_id, login, login_key, display_name, email, role, password_hash, created_at, password_changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 IS NULL THEN NULL ELSE $8 END) RETURNING id",
        )
        .bind(tenant_id)
        .bind(login)
        .bind(name_key(login))
        .bind(display_name)
        .bind(email)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| conflict_on_unique(e, "a user with this login already exists in the tenant"))?;
        self.user_by_id(tenant_id, id).await
    }

    /// A user of a tenant by id.
    pub async fn user_by_id(&self, tenant_id: i64, id: i64) -> Result<User, DbError> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 AND id = $2");
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(DbError::NotFound)?.try_into()
    }

    /// A user of a tenant by login (case-insensitive).
    pub async fn user_by_login(&self, tenant_id: i64, login: &str) -> Result<User, DbError> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 AND login_key = $2");
        let row: Option<UserRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(name_key(login))
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(DbError::NotFound)?.try_into()
    }

    /// Every user of a tenant, by login.
    pub async fn list_users(&self, tenant_id: i64) -> Result<Vec<User>, DbError> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 ORDER BY login_key");
        let rows: Vec<UserRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        crate::rows::all(rows)
    }

    /// How many users have a role (any tenant).
    pub async fn count_role(&self, role: Role) -> Result<i64, DbError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
                .bind(role.as_str())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Changes a user's role, status or password hash; `None` leaves it.
    pub async fn update_user(
        &self,
        tenant_id: i64,
        id: i64,
        role: Option<Role>,
        status: Option<UserStatus>,
        password_hash: Option<&str>,
    ) -> Result<User, DbError> {
        let done = sqlx::query(
            "UPDATE users SET role = COALESCE($3, role), status = COALESCE($4, status),
             password_hash = COALESCE($5, password_hash) WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(role.map(|r| r.as_str()))
        .bind(status.map(|s| s.as_str()))
        .bind(password_hash)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        self.user_by_id(tenant_id, id).await
    }

    /// Counts a failed sign-in; at `threshold` (if > 0) the account is locked
    /// until `lock_until` and the count starts again. True if it locked now.
    pub async fn record_login_failure(
        &self,
        user_id: i64,
        threshold: i64,
        lock_until: i64,
    ) -> Result<bool, DbError> {
        // One statement: concurrent failures count exactly.
        let locked: Option<Option<i64>> = sqlx::query_scalar(
            "UPDATE users SET
                 failed_logins = CASE WHEN $2 > 0 AND failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
                 locked_until = CASE WHEN $2 > 0 AND failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
             WHERE id = $1 RETURNING locked_until",
        )
        .bind(user_id)
        .bind(threshold)
        .bind(lock_until)
        .fetch_optional(&self.pool)
        .await?;
        Ok(locked.flatten() == Some(lock_until))
    }

    /// Clears failed sign-ins and any lock.
    pub async fn reset_login_failures(&self, tenant_id: i64, user_id: i64) -> Result<(), DbError> {
        let done = sqlx::query(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Sets a new password hash; clears any reset token, failures and lock.
    pub async fn set_password(
        &self,
        tenant_id: i64,
        user_id: i64,
        hash: &str,
        now: Timestamp,
    ) -> Result<(), DbError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $3, password_changed_at = $4, reset_token_hash = NULL,
             reset_expires_at = NULL, failed_logins = 0, locked_until = NULL
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Stores a one-time reset token (its hash) for a user, replacing any other.
    pub async fn set_reset_token(
        &self,
        tenant_id: i64,
        user_id: i64,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> Result<(), DbError> {
        let done = sqlx::query(
            "UPDATE users SET reset_token_hash = $3, reset_expires_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(token_hash)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Ends a user's sessions, except the one with this CSRF token (if any).
    pub async fn delete_user_sessions(
        &self,
        user_id: i64,
        keep_csrf: Option<&str>,
    ) -> Result<u64, DbError> {
        Ok(sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR csrf_token <> $2)",
        )
        .bind(user_id)
        .bind(keep_csrf)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
