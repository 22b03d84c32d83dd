//! One-time passcode state of users: secrets, the last accepted step, recovery
//! codes, and the half-signed-in sessions waiting for a passcode.

use crate::{Db, DbError};
use kura_core::Timestamp;

/// A user's confirmed OTP secret.
#[derive(Debug, Clone)]
pub struct OtpState {
    pub secret: String,
    pub last_step: Option<i64>,
}

impl Db {
    /// The confirmed secret of a user with OTP enabled.
    pub async fn otp_state(&self, user_id: i64) -> Result<OtpState, DbError> {
        let row: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT otp_secret, otp_last_step FROM users WHERE id = $1 AND otp_enabled = 1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((Some(secret), last_step)) => Ok(OtpState { secret, last_step }),
            _ => Err(DbError::NotFound),
        }
    }

    /// Stores a secret waiting for its first code (replacing an earlier one).
    pub async fn set_otp_pending(&self, user_id: i64, secret: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE users SET otp_pending_secret = $2 WHERE id = $1")
            .bind(user_id)
            .bind(secret)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The secret waiting for its first code.
    pub async fn otp_pending(&self, user_id: i64) -> Result<String, DbError> {
        let s: Option<Option<String>> =
            sqlx::query_scalar("SELECT otp_pending_secret FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        s.flatten().ok_or(DbError::NotFound)
    }

    /// Turns the pending secret on, with `step` already used and fresh
    /// recovery codes (replacing any old ones), in one transaction.
    /// `NotFound` if the pending secret changed meanwhile.
    pub async fn enable_otp(
        &self,
        user_id: i64,
        secret: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<(), DbError> {
        let mut tx = self.begin_write().await?;
        let tenant_id: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET otp_secret = otp_pending_secret, otp_enabled = 1,
                 otp_pending_secret = NULL, otp_last_step = $3
             WHERE id = $1 AND otp_pending_secret = $2 RETURNING tenant_id",
        )
        .bind(user_id)
        .bind(secret)
        .bind(step)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(tenant_id) = tenant_id else {
            tx.rollback().await?;
            return Err(DbError::NotFound);
        };
        sqlx::query("DELETE FROM otp_recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for h in recovery_hashes {
            sqlx::query(
                "INSERT INTO otp_recovery_codes (tenant_id, user_id, code_hash) VALUES ($1, $2, $3)",
            )
            .bind(tenant_id)
            .bind(user_id)
            .bind(h)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Accepts `step` if it is later than any accepted before (one statement,
    /// so two requests with the same code cannot both pass).
    pub async fn accept_otp_step(&self, user_id: i64, step: i64) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE users SET otp_last_step = $2
             WHERE id = $1 AND otp_enabled = 1 AND (otp_last_step IS NULL OR otp_last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Uses up a recovery code; false if unknown or already used.
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE otp_recovery_codes SET used_at = $3
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Recovery codes not used yet.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM otp_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Replaces a user's recovery codes.
    pub async fn replace_recovery_codes(
        &self,
        tenant_id: i64,
        user_id: i64,
        recovery_hashes: &[String],
    ) -> Result<(), DbError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM otp_recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for h in recovery_hashes {
            sqlx::query(
                "INSERT INTO otp_recovery_codes (tenant_id, user_id, code_hash) VALUES ($1, $2, $3)",
            )
            .bind(tenant_id)
            .bind(user_id)
            .bind(h)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Turns OTP off for a user of the tenant and forgets secrets and codes.
    pub async fn reset_otp(&self, tenant_id: i64, user_id: i64) -> Result<(), DbError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET otp_secret = NULL, otp_enabled = 0, otp_last_step = NULL,
                 otp_pending_secret = NULL WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(DbError::NotFound);
        }
        sqlx::query("DELETE FROM otp_recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Counts a wrong passcode in a half-signed-in session; returns the count.
    pub async fn otp_session_failed(&self, id_hash: &str) -> Result<i64, DbError> {
        let n: Option<i64> = sqlx::query_scalar(
            "UPDATE sessions SET otp_failures = otp_failures + 1 WHERE id_hash = $1
             RETURNING otp_failures",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        n.ok_or(DbError::NotFound)
    }
}
