//! Single sign-on: each tenant's OpenID provider settings, sign-ins in
//! progress (single-use, keyed by a hash of their state), users found by
//! email, and the mark on sessions opened by SSO.

use crate::rows::{USER_COLS, UserRow};
use crate::{Db, DbError};
use kura_core::{Timestamp, User};
use sqlx::AssertSqlSafe;

/// A tenant's OpenID provider settings as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SsoConfigRow {
    pub tenant_id: i64,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub match_claim: String,
    pub jit_role: Option<String>,
    pub label: Option<String>,
    pub updated_at: Timestamp,
}

/// A sign-in started at the provider and not yet finished.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SsoPendingRow {
    pub state_hash: String,
    pub browser_hash: String,
    pub tenant_id: i64,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

const CONFIG_COLS: &str =
    "tenant_id, issuer, client_id, client_secret, match_claim, jit_role, label, updated_at";
const PENDING_COLS: &str =
    "state_hash, browser_hash, tenant_id, nonce, pkce_verifier, return_to, created_at, expires_at";

impl Db {
    /// A tenant's SSO settings.
    pub async fn sso_config(&self, tenant_id: i64) -> Result<SsoConfigRow, DbError> {
        let sql = format!("SELECT {CONFIG_COLS} FROM sso_configs WHERE tenant_id = $1");
        let row: Option<SsoConfigRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(DbError::NotFound)
    }

    /// Creates or replaces a tenant's SSO settings.
    pub async fn put_sso_config(&self, c: &SsoConfigRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO sso_configs (tenant_id, issuer, client_id, client_secret, match_claim, jit_role, label, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
               client_secret = excluded.client_secret, match_claim = excluded.match_claim,
               jit_role = excluded.jit_role, label = excluded.label, updated_at = excluded.updated_at",
        )
        .bind(c.tenant_id)
        .bind(&c.issuer)
        .bind(&c.client_id)
        .bind(&c.client_secret)
        .bind(&c.match_claim)
        .bind(c.jit_role.as_deref())
        .bind(c.label.as_deref())
        .bind(c.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes a tenant's SSO settings and its sign-ins in progress.
    pub async fn delete_sso_config(&self, tenant_id: i64) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sso_pending WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&self.pool)
            .await?;
        let n = sqlx::query("DELETE FROM sso_configs WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// Records a sign-in in progress, dropping any that have expired.
    pub async fn create_sso_pending(&self, p: &SsoPendingRow) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sso_pending WHERE expires_at <= $1")
            .bind(p.created_at)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sso_pending (state_hash, browser_hash, tenant_id, nonce, pkce_verifier, return_to, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.state_hash)
        .bind(&p.browser_hash)
        .bind(p.tenant_id)
        .bind(&p.nonce)
        .bind(&p.pkce_verifier)
        .bind(&p.return_to)
        .bind(p.created_at)
        .bind(p.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a sign-in in progress: it is deleted in the same statement, so
    /// of two requests with the same state only one ever gets it.
    pub async fn take_sso_pending(&self, state_hash: &str) -> Result<SsoPendingRow, DbError> {
        let sql = format!("DELETE FROM sso_pending WHERE state_hash = $1 RETURNING {PENDING_COLS}");
        let row: Option<SsoPendingRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(state_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(DbError::NotFound)
    }

    /// Users of a tenant whose email is `email` (ignoring ASCII case).
    pub async fn users_by_email(&self, tenant_id: i64, email: &str) -> Result<Vec<User>, DbError> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE tenant_id = $1 AND LOWER(email) = LOWER($2) ORDER BY id LIMIT 2"
        );
        let rows: Vec<UserRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(email)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Marks a session as opened by single sign-on.
    pub async fn mark_session_sso(&self, id_hash: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE sessions SET via_sso = 1 WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// True if the user's session with this CSRF token was opened by SSO.
    pub async fn session_is_sso(&self, user_id: i64, csrf_token: &str) -> Result<bool, DbError> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT via_sso FROM sessions WHERE user_id = $1 AND csrf_token = $2",
        )
        .bind(user_id)
        .bind(csrf_token)
        .fetch_optional(&self.pool)
        .await?;
        Ok(v.is_some_and(|v| v != 0))
    }
}
