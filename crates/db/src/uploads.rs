//! Resumable uploads in progress (tus): the row per upload and its stored
//! pieces. The offset only moves by compare-and-set, in the same transaction
//! that records the piece, so two requests racing on one upload cannot both
//! append at the same offset.

use crate::{Db, DbError};
use kura_core::Timestamp;
use sqlx::AssertSqlSafe;

/// An upload in progress, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadRow {
    pub id: String,
    pub tenant_id: i64,
    pub user_id: i64,
    pub parent_path: String,
    pub filename: String,
    pub on_conflict: String,
    pub attributes: Option<String>,
    pub metadata: String,
    pub length: i64,
    pub upload_offset: i64,
    pub claimed_until: Timestamp,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// One stored piece of an upload.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadPart {
    pub part_offset: i64,
    pub size: i64,
    pub blob_key: String,
}

const UPLOAD_COLS: &str = "id, tenant_id, user_id, parent_path, filename, on_conflict, attributes, metadata, length, upload_offset, claimed_until, created_at, expires_at";

impl Db {
    /// Records a new upload (offset 0).
    pub async fn create_upload(&self, u: &UploadRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO uploads (id, tenant_id, user_id, parent_path, filename, on_conflict, attributes, metadata, length, upload_offset, claimed_until, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&u.id)
        .bind(u.tenant_id)
        .bind(u.user_id)
        .bind(&u.parent_path)
        .bind(&u.filename)
        .bind(&u.on_conflict)
        .bind(u.attributes.as_deref())
        .bind(&u.metadata)
        .bind(u.length)
        .bind(u.upload_offset)
        .bind(u.claimed_until)
        .bind(u.created_at)
        .bind(u.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Bytes declared by a tenant's unexpired uploads (reserved against its capacity).
    pub async fn open_upload_bytes(&self, tenant_id: i64, now: Timestamp) -> Result<i64, DbError> {
        let n: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(length) AS BIGINT) FROM uploads WHERE tenant_id = $1 AND expires_at > $2",
        )
        .bind(tenant_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(n.unwrap_or(0))
    }

    /// The caller's own upload (`None` for anyone else's, or none at all).
    pub async fn upload(
        &self,
        tenant_id: i64,
        user_id: i64,
        id: &str,
    ) -> Result<Option<UploadRow>, DbError> {
        let sql = format!(
            "SELECT {UPLOAD_COLS} FROM uploads WHERE id = $1 AND tenant_id = $2 AND user_id = $3"
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Appends stored pieces if the offset is still `from`: moves it to the
    /// end of the last piece and sets the new expiry. False (and nothing
    /// recorded) when another request moved the offset first.
    pub async fn advance_upload(
        &self,
        id: &str,
        from: i64,
        parts: &[UploadPart],
        expires_at: Timestamp,
    ) -> Result<bool, DbError> {
        let to = from + parts.iter().map(|p| p.size).sum::<i64>();
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE uploads SET upload_offset = $3, expires_at = $4 WHERE id = $1 AND upload_offset = $2",
        )
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for p in parts {
            sqlx::query(
                "INSERT INTO upload_parts (upload_id, part_offset, size, blob_key) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(p.part_offset)
            .bind(p.size)
            .bind(&p.blob_key)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The stored pieces of an upload, in offset order.
    pub async fn upload_parts(&self, id: &str) -> Result<Vec<UploadPart>, DbError> {
        Ok(sqlx::query_as(
            "SELECT part_offset, size, blob_key FROM upload_parts WHERE upload_id = $1 ORDER BY part_offset",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Takes the upload for committing until `until`, unless another request
    /// holds it. True if this caller now holds it.
    pub async fn claim_upload(
        &self,
        id: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, DbError> {
        let n = sqlx::query(
            "UPDATE uploads SET claimed_until = $3 WHERE id = $1 AND claimed_until <= $2",
        )
        .bind(id)
        .bind(now)
        .bind(until)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Gives a claimed upload back (a commit that may be retried failed).
    pub async fn release_upload(&self, id: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE uploads SET claimed_until = 0 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes an upload and its pieces' records; returns the pieces' blob
    /// keys for the caller to delete (the orphan sweep removes any it misses).
    pub async fn delete_upload(&self, id: &str) -> Result<Vec<String>, DbError> {
        let mut tx = self.begin_write().await?;
        let keys: Vec<String> =
            sqlx::query_scalar("DELETE FROM upload_parts WHERE upload_id = $1 RETURNING blob_key")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(keys)
    }

    /// Uploads past their expiry that no request is committing, oldest first.
    pub async fn expired_uploads(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<String>, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM uploads WHERE expires_at <= $1 AND claimed_until <= $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Which of these blob keys are recorded pieces of an upload.
    pub async fn referenced_upload_parts(&self, keys: &[String]) -> Result<Vec<String>, DbError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(500) {
            if chunk.is_empty() {
                continue;
            }
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT blob_key FROM upload_parts WHERE blob_key IN ({})",
                params.join(", ")
            );
            let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
            for k in chunk {
                q = q.bind(k);
            }
            out.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(out)
    }
}
