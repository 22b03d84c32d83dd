//! Thumbnail records: what the thumbnail job made of a version, per size.

use crate::{Db, DbError};
use kura_core::Timestamp;

/// One rendition of a version as stored (or the reason there is none).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ThumbnailRow {
    pub version_id: i64,
    /// The longest side asked for.
    pub size: i64,
    /// ok | original | failed | unsupported
    pub status: String,
    pub blob_key: Option<String>,
    pub content_type: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub bytes: Option<i64>,
    pub detail: Option<String>,
}

const COLS: &str = "version_id, size, status, blob_key, content_type, width, height, bytes, detail";

impl Db {
    /// Every rendition recorded for a version of the tenant, smallest first.
    pub async fn thumbnails(
        &self,
        tenant_id: i64,
        version_id: i64,
    ) -> Result<Vec<ThumbnailRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM thumbnails WHERE tenant_id = $1 AND version_id = $2 ORDER BY size"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(version_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Whether a job for this version is queued or running.
    pub async fn job_pending(&self, kind: &str, version_id: i64) -> Result<bool, DbError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND version_id = $2")
                .bind(kind)
                .bind(version_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// Records what a job made and removes the job, in one transaction.
    /// Returns the blob keys that were *not* recorded (the version is gone, or
    /// another node recorded that size first): the caller deletes them.
    pub async fn finish_thumbnail_job(
        &self,
        job_id: i64,
        tenant_id: i64,
        rows: &[ThumbnailRow],
        now: Timestamp,
    ) -> Result<Vec<String>, DbError> {
        let mut tx = self.begin_write().await?;
        let mut unused = Vec::new();
        for r in rows {
            // Inserted only while the version exists (and the foreign key
            // holds it until commit), so a purge racing this job leaves no
            // record pointing at a deleted version.
            let done = sqlx::query(
                "INSERT INTO thumbnails (version_id, size, tenant_id, status, blob_key, content_type, width, height, bytes, detail, created_at)
                 SELECT v.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM versions v WHERE v.id = $1 AND v.tenant_id = $3
                 ON CONFLICT (version_id, size) DO NOTHING",
            )
            .bind(r.version_id)
            .bind(r.size)
            .bind(tenant_id)
            .bind(&r.status)
            .bind(&r.blob_key)
            .bind(&r.content_type)
            .bind(r.width)
            .bind(r.height)
            .bind(r.bytes)
            .bind(&r.detail)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0
                && let Some(k) = &r.blob_key
            {
                unused.push(k.clone());
            }
        }
        sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(unused)
    }

    /// Which of these derived blob keys a thumbnail record refers to.
    pub async fn referenced_derived_blobs(&self, keys: &[String]) -> Result<Vec<String>, DbError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT blob_key FROM thumbnails WHERE blob_key IN ({})",
            params.join(", ")
        );
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for k in keys {
            q = q.bind(k.as_str());
        }
        Ok(q.fetch_all(&self.pool).await?)
    }
}
