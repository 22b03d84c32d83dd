//! The queue of blobs to delete after their metadata is gone.

use crate::{Db, DbError};

impl Db {
    /// Blobs waiting for deletion (oldest first), with their tenant.
    pub async fn pending_blob_deletions(&self, limit: i64) -> Result<Vec<(String, i64)>, DbError> {
        Ok(sqlx::query_as(
            "SELECT blob_key, tenant_id FROM blob_deletions ORDER BY created_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks a queued blob as deleted from the store.
    pub async fn blob_deleted(&self, key: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM blob_deletions WHERE blob_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
