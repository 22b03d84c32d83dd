//! The background job queue. Any node claims a due job by taking its lease
//! with a compare-and-set UPDATE (on PostgreSQL the candidate row is also
//! locked with SKIP LOCKED, so nodes do not queue behind each other's picks);
//! a node that dies mid-job loses the lease and another retakes the job once
//! it expires.

use crate::script::Arg;
use crate::{Backend, Db, DbError};
use kura_core::Timestamp;
use sqlx::AssertSqlSafe;

/// Kind of the thumbnail job.
pub const JOB_THUMBNAIL: &str = "thumbnail";

/// A job this node holds the lease of.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub tenant_id: i64,
    pub version_id: i64,
    /// Claims so far, this one included.
    pub attempts: i64,
}

/// Queues a job of `kind` for the version stored under `blob_key`, as a
/// statement of the upload's commit script (see commit.rs).
pub(crate) fn enqueue_for_blob_stmt<'a>(
    kind: &'a str,
    tenant_id: i64,
    blob_key: &'a str,
    now: Timestamp,
) -> (&'static str, Vec<Arg<'a>>) {
    (
        "INSERT INTO jobs (kind, tenant_id, version_id, run_after, created_at)
         VALUES ($1, $2, (SELECT v.id FROM versions v WHERE v.blob_key = $3), $4, $4)
         ON CONFLICT (kind, version_id) DO NOTHING",
        vec![kind.into(), tenant_id.into(), blob_key.into(), now.into()],
    )
}

impl Db {
    /// Takes the lease of the oldest due job of `kind` until `now + lease_ms`.
    pub async fn claim_job(
        &self,
        kind: &str,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<Job>, DbError> {
        let skip = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        // The outer `locked_until < $2` is the compare-and-set: of two nodes
        // that picked the same row, only the first update matches it.
        let sql = format!(
            "UPDATE jobs SET locked_until = $3, attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs WHERE kind = $1 AND run_after <= $2 AND locked_until < $2
                         ORDER BY run_after, id LIMIT 1{skip})
               AND locked_until < $2
             RETURNING id, kind, tenant_id, version_id, attempts"
        );
        let mut tx = self.begin_write().await?;
        let job: Option<Job> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(kind)
            .bind(now)
            .bind(now.saturating_add(lease_ms))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Gives a claimed job back to run again no earlier than `run_after`.
    pub async fn retry_job(&self, id: i64, run_after: Timestamp) -> Result<(), DbError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE jobs SET locked_until = 0, run_after = $2 WHERE id = $1")
            .bind(id)
            .bind(run_after)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Jobs queued (due or not), for tests and health figures.
    pub async fn queued_jobs(&self, kind: &str) -> Result<i64, DbError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1")
                .bind(kind)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Queues thumbnail jobs for current versions of these content types that
    /// have neither a thumbnail nor a job (files stored before thumbnails
    /// existed); at most `limit` per call. Returns how many were queued.
    pub async fn enqueue_missing_thumbnails(
        &self,
        content_types: &[&str],
        now: Timestamp,
        limit: i64,
    ) -> Result<u64, DbError> {
        if content_types.is_empty() {
            return Ok(0);
        }
        // Found by a read (no write lock held while a million files are
        // looked at: uploads go on meanwhile), then queued in a short write
        // transaction that checks again.
        let missing = format!(
            "n.kind = 'file' AND n.current_version_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM thumbnails t WHERE t.version_id = n.current_version_id)
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.version_id = n.current_version_id AND j.kind = '{JOB_THUMBNAIL}')"
        );
        let marks: Vec<String> = (0..content_types.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "SELECT n.id FROM nodes n WHERE n.content_type IN ({}) AND {missing} ORDER BY n.id LIMIT $1",
            marks.join(", ")
        );
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql)).bind(limit);
        for ct in content_types {
            q = q.bind(*ct);
        }
        let ids = q.fetch_all(&self.pool).await?;
        let mut queued = 0;
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "INSERT INTO jobs (kind, tenant_id, version_id, run_after, created_at)
                 SELECT '{JOB_THUMBNAIL}', n.tenant_id, n.current_version_id, $1, $1 FROM nodes n
                 WHERE n.id IN ({}) AND {missing}",
                marks.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now);
            for id in chunk {
                q = q.bind(*id);
            }
            let mut tx = self.begin_write().await?;
            let done = q.execute(&mut *tx).await?;
            tx.commit().await?;
            queued += done.rows_affected();
        }
        Ok(queued)
    }
}
