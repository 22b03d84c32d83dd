//! File versions: listing, lookup, and pruning beyond the kept count.

use crate::rows::{VERSION_COLS, VersionRow};
use crate::{Db, DbError};
use kura_core::{Timestamp, Version};
use sqlx::{AnyConnection, AssertSqlSafe};

impl Db {
    /// Versions of a file, newest first.
    pub async fn versions(&self, tenant_id: i64, node_id: i64) -> Result<Vec<Version>, DbError> {
        let sql = format!(
            "SELECT {VERSION_COLS} FROM versions WHERE tenant_id = $1 AND node_id = $2 ORDER BY id DESC"
        );
        let rows: Vec<VersionRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(node_id)
            .fetch_all(&self.pool)
            .await?;
        crate::rows::all(rows)
    }

    /// One version of the tenant by id.
    pub async fn version(&self, tenant_id: i64, id: i64) -> Result<Version, DbError> {
        let sql = format!("SELECT {VERSION_COLS} FROM versions WHERE tenant_id = $1 AND id = $2");
        let row: Option<VersionRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(DbError::NotFound)?.try_into()
    }

    /// Which of these blob keys are referenced by a version (any tenant).
    pub async fn referenced_blobs(&self, keys: &[String]) -> Result<Vec<String>, DbError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT blob_key FROM versions WHERE blob_key IN ({})",
            params.join(", ")
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for k in keys {
            q = q.bind(k.as_str());
        }
        Ok(q.fetch_all(&self.pool).await?)
    }
}

/// Deletes the oldest versions of a node beyond `keep`, releases their bytes and
/// queues their blobs for deletion; returns the blob keys.
pub(crate) async fn prune_in(
    tx: &mut AnyConnection,
    tenant_id: i64,
    node_id: i64,
    keep: i64,
    now: Timestamp,
) -> Result<Vec<String>, DbError> {
    // Few versions per file: read them all and skip the kept ones here, which
    // avoids LIMIT/OFFSET dialect differences.
    let all: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, blob_key, size FROM versions WHERE node_id = $1 ORDER BY id DESC",
    )
    .bind(node_id)
    .fetch_all(&mut *tx)
    .await?;
    let old: Vec<_> = all
        .into_iter()
        .skip(usize::try_from(keep).unwrap_or(usize::MAX))
        .collect();
    let mut keys = Vec::with_capacity(old.len());
    for (id, key, size) in old {
        // Its thumbnails' blobs go with it (their rows by ON DELETE CASCADE).
        keys.extend(queue_derived_in(tx, tenant_id, id, now).await?);
        sqlx::query("DELETE FROM versions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        release_in(tx, tenant_id, size).await?;
        queue_deletion_in(tx, tenant_id, &key, now).await?;
        keys.push(key);
    }
    Ok(keys)
}

/// Gives bytes back to a tenant's capacity.
pub(crate) async fn release_in(
    tx: &mut AnyConnection,
    tenant_id: i64,
    bytes: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE tenants SET used_bytes = CASE WHEN used_bytes > $2 THEN used_bytes - $2 ELSE 0 END WHERE id = $1")
        .bind(tenant_id)
        .bind(bytes)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Records that a blob must be deleted once the transaction commits.
pub(crate) async fn queue_deletion_in(
    tx: &mut AnyConnection,
    tenant_id: i64,
    key: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO blob_deletions (blob_key, tenant_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (blob_key) DO NOTHING")
        .bind(key)
        .bind(tenant_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Queues the derived blobs (thumbnails) of a version for deletion; returns their keys.
pub(crate) async fn queue_derived_in(
    tx: &mut AnyConnection,
    tenant_id: i64,
    version_id: i64,
    now: Timestamp,
) -> Result<Vec<String>, DbError> {
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT blob_key FROM thumbnails WHERE version_id = $1 AND blob_key IS NOT NULL",
    )
    .bind(version_id)
    .fetch_all(&mut *tx)
    .await?;
    for k in &keys {
        queue_deletion_in(tx, tenant_id, k, now).await?;
    }
    Ok(keys)
}
