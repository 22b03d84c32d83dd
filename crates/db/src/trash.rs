//! The trash: moving items in, listing, restoring, purging (by hand and by age).

use crate::error::conflict_on_unique;
use crate::nodes::{node_in, node_sql, require_live_folder};
use crate::rows::NodeRow;
use crate::versions::{queue_deletion_in, release_in};
use crate::{Db, DbError};
use kura_core::name::name_key;
use kura_core::{Node, Timestamp};
use sqlx::AssertSqlSafe;

/// What a purge removed.
#[derive(Debug, Clone, Default)]
pub struct Purged {
    /// Blobs to delete from the store, then confirm with [`Db::blob_deleted`].
    pub blobs: Vec<String>,
    pub bytes: i64,
}

impl Db {
    /// Moves a live node (and so everything below it) to the trash.
    pub async fn trash_node(
        &self,
        tenant_id: i64,
        id: i64,
        now: Timestamp,
        user_id: Option<i64>,
    ) -> Result<Node, DbError> {
        let done = sqlx::query(
            "UPDATE nodes SET trashed_at = $3, trashed_by = $4
             WHERE tenant_id = $1 AND id = $2 AND parent_id IS NOT NULL AND trashed_at IS NULL",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        self.tree_changed();
        self.node(tenant_id, id).await
    }

    /// Items in a tenant's trash, most recently deleted first.
    pub async fn list_trash(&self, tenant_id: i64, limit: i64) -> Result<Vec<Node>, DbError> {
        let sql = format!(
            "{} ORDER BY trashed_at DESC, id DESC LIMIT $2",
            node_sql("tenant_id = $1 AND trashed_at IS NOT NULL")
        );
        let rows: Vec<NodeRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        crate::rows::all(rows)
    }

    /// Takes a node out of the trash into a live folder, under `name`.
    pub async fn restore_node(
        &self,
        tenant_id: i64,
        id: i64,
        parent_id: i64,
        name: &str,
        now: Timestamp,
    ) -> Result<Node, DbError> {
        let mut tx = self.begin_write().await?;
        let node = node_in(&mut tx, tenant_id, id).await?;
        if node.trashed_at.is_none() {
            return Err(DbError::NotFound);
        }
        require_live_folder(&mut tx, tenant_id, parent_id).await?;
        sqlx::query(
            "UPDATE nodes SET trashed_at = NULL, trashed_by = NULL, parent_id = $3, name = $4, name_key = $5, modified_at = $6,
                 name_fold = $7
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(parent_id)
        .bind(name)
        .bind(name_key(name))
        .bind(now)
        .bind(kura_core::attributes::search_fold(name))
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "an item with this name already exists there"))?;
        let n = node_in(&mut tx, tenant_id, id).await?;
        tx.commit().await?;
        self.tree_changed();
        Ok(n)
    }

    /// Deletes a trashed node, everything below it and all their versions; the
    /// bytes are released and the blobs queued for deletion in the same transaction.
    pub async fn purge_node(
        &self,
        tenant_id: i64,
        id: i64,
        now: Timestamp,
    ) -> Result<Purged, DbError> {
        let mut tx = self.begin_write().await?;
        let node = node_in(&mut tx, tenant_id, id).await?;
        if node.trashed_at.is_none() {
            return Err(DbError::NotFound);
        }
        let blobs: Vec<(String, i64)> = sqlx::query_as(
            "WITH RECURSIVE sub(id) AS (
                 SELECT id FROM nodes WHERE tenant_id = $1 AND id = $2
                 UNION ALL
                 SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id
             )
             SELECT blob_key, size FROM versions WHERE node_id IN (SELECT id FROM sub)
             UNION ALL
             SELECT t.blob_key, 0 FROM thumbnails t JOIN versions v ON v.id = t.version_id
             WHERE v.node_id IN (SELECT id FROM sub) AND t.blob_key IS NOT NULL",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        // Versions' blobs count against the capacity; their thumbnails' (size 0 here) do not.
        let mut purged = Purged::default();
        for (key, size) in blobs {
            queue_deletion_in(&mut tx, tenant_id, &key, now).await?;
            purged.bytes += size;
            purged.blobs.push(key);
        }
        release_in(&mut tx, tenant_id, purged.bytes).await?;
        // ON DELETE CASCADE removes descendants and versions.
        sqlx::query("DELETE FROM nodes WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.tree_changed();
        Ok(purged)
    }

    /// Trashed items older than their tenant's trash retention, as (tenant, node).
    pub async fn expired_trash(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<(i64, i64)>, DbError> {
        Ok(sqlx::query_as(
            "SELECT n.tenant_id, n.id FROM nodes n JOIN tenants t ON t.id = n.tenant_id
             WHERE n.trashed_at IS NOT NULL AND n.trashed_at + t.trash_days * 86400000 <= $1
             ORDER BY n.trashed_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
