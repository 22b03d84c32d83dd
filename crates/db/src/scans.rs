//! Virus scanning records: detections, rescans and quarantine.

use crate::{Db, DbError};
use kura_core::{ScanStatus, Timestamp};
use sqlx::AssertSqlSafe;

/// A virus found at upload or by a rescan.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Detection {
    pub id: i64,
    pub tenant_id: i64,
    pub user_id: Option<i64>,
    pub ip: Option<String>,
    pub path: String,
    pub signature: String,
    /// `upload` (refused) or `rescan` (stored version quarantined).
    pub source: String,
    pub version_id: Option<i64>,
    pub engine: Option<String>,
    pub created_at: i64,
}

/// A detection to record.
#[derive(Debug, Clone)]
pub struct NewDetection<'a> {
    pub tenant_id: i64,
    pub user_id: Option<i64>,
    pub ip: Option<&'a str>,
    pub path: &'a str,
    pub signature: &'a str,
    pub source: &'a str,
    pub version_id: Option<i64>,
    pub engine: Option<&'a str>,
    pub now: Timestamp,
}

/// A stored version to rescan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RescanItem {
    pub version_id: i64,
    pub tenant_id: i64,
    pub node_id: i64,
    pub blob_key: String,
    pub size: i64,
    pub scan_status: String,
}

const DETECTION_COLS: &str =
    "id, tenant_id, user_id, ip, path, signature, source, version_id, engine, created_at";

impl Db {
    /// Records a detection and its security audit event, together.
    pub async fn record_detection(&self, d: &NewDetection<'_>) -> Result<i64, DbError> {
        let mut tx = self.begin_write().await?;
        let id = insert_detection(&mut tx, d).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Detections, newest first; of one tenant or (operator) of all.
    pub async fn detections(
        &self,
        tenant_id: Option<i64>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Detection>, DbError> {
        let sql = format!(
            "SELECT {DETECTION_COLS} FROM detections
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR id < $2)
             ORDER BY id DESC LIMIT $3"
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(before_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Versions to rescan, in id order after `after_id`: not quarantined,
    /// of one tenant or all, stored at or after `since`.
    pub async fn rescan_batch(
        &self,
        tenant_id: Option<i64>,
        since: Option<Timestamp>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<RescanItem>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id AS version_id, tenant_id, node_id, blob_key, size, scan_status FROM versions
             WHERE id > $1 AND ($2 IS NULL OR tenant_id = $2) AND ($3 IS NULL OR created_at >= $3)
               AND scan_status <> 'quarantined'
             ORDER BY id LIMIT $4",
        )
        .bind(after_id)
        .bind(tenant_id)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a rescan's result on a version (and on its file, if current).
    pub async fn set_scan_result(
        &self,
        version_id: i64,
        status: ScanStatus,
        engine: Option<&str>,
        at: Timestamp,
        detail: Option<&str>,
    ) -> Result<(), DbError> {
        let mut tx = self.begin_write().await?;
        set_scan_in(&mut tx, version_id, status, engine, at, detail).await?;
        tx.commit().await?;
        self.tree_changed();
        Ok(())
    }

    /// Quarantines a stored version a rescan found infected: status, the
    /// detection and its audit event in one transaction. The bytes stay.
    pub async fn quarantine_version(&self, d: &NewDetection<'_>) -> Result<(), DbError> {
        let version_id = d.version_id.ok_or(DbError::NotFound)?;
        let mut tx = self.begin_write().await?;
        set_scan_in(
            &mut tx,
            version_id,
            ScanStatus::Quarantined,
            d.engine,
            d.now,
            Some(d.signature),
        )
        .await?;
        insert_detection(&mut tx, d).await?;
        tx.commit().await?;
        self.tree_changed();
        Ok(())
    }
}

async fn set_scan_in(
    tx: &mut sqlx::AnyConnection,
    version_id: i64,
    status: ScanStatus,
    engine: Option<&str>,
    at: Timestamp,
    detail: Option<&str>,
) -> Result<(), DbError> {
    let done = sqlx::query(
        "UPDATE versions SET scan_status = $2, scan_engine = $3, scanned_at = $4, scan_detail = $5 WHERE id = $1",
    )
    .bind(version_id)
    .bind(status.as_str())
    .bind(engine)
    .bind(at)
    .bind(detail)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    sqlx::query("UPDATE nodes SET scan_status = $2 WHERE current_version_id = $1")
        .bind(version_id)
        .bind(status.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn insert_detection(
    tx: &mut sqlx::AnyConnection,
    d: &NewDetection<'_>,
) -> Result<i64, DbError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO detections (tenant_id, user_id, ip, path, signature, source, version_id, engine, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(d.tenant_id)
    .bind(d.user_id)
    .bind(d.ip)
    .bind(d.path)
    .bind(d.signature)
    .bind(d.source)
    .bind(d.version_id)
    .bind(d.engine)
    .bind(d.now)
    .fetch_one(&mut *tx)
    .await?;
    let action = if d.source == "upload" {
        "security.virus_detected"
    } else {
        "security.file_quarantined"
    };
    let detail = format!(
        "signature {}{}",
        d.signature,
        d.engine
            .map(|e| format!(", engine {e}"))
            .unwrap_or_default()
    );
    crate::audit::event_in(
        tx,
        &crate::audit::EventRef {
            tenant_id: Some(d.tenant_id),
            user_id: d.user_id,
            action,
            target: Some(d.path),
            detail: Some(detail.as_str().into()),
            ip: d.ip,
            user_agent: None,
            at: d.now,
        },
    )
    .await?;
    Ok(id)
}
