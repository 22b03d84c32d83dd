//! ZIP download tickets (valid for minutes, for one user) and the listing of
//! a folder's files with their current blobs that a ZIP archive streams.

use crate::{Db, DbError};
use kura_core::Timestamp;
use sqlx::AssertSqlSafe;

/// A ZIP download ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ZipTicketRow {
    pub token_hash: String,
    pub tenant_id: i64,
    pub user_id: i64,
    /// JSON array of the requested paths.
    pub paths: String,
    pub name_encoding: String,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A live item below a folder, with its current version's blob (files).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TreeItem {
    pub id: i64,
    pub parent_id: i64,
    pub kind: String,
    pub name: String,
    pub modified_at: Timestamp,
    pub blob_key: Option<String>,
    pub size: Option<i64>,
    pub scan_status: Option<String>,
}

const TICKET_COLS: &str =
    "token_hash, tenant_id, user_id, paths, name_encoding, name, created_at, expires_at";

impl Db {
    /// Stores a ticket, dropping expired ones.
    pub async fn create_zip_ticket(&self, t: &ZipTicketRow) -> Result<(), DbError> {
        self.delete_expired_zip_tickets(t.created_at).await?;
        sqlx::query(
            "INSERT INTO zip_tickets (token_hash, tenant_id, user_id, paths, name_encoding, name, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&t.token_hash)
        .bind(t.tenant_id)
        .bind(t.user_id)
        .bind(&t.paths)
        .bind(&t.name_encoding)
        .bind(&t.name)
        .bind(t.created_at)
        .bind(t.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The caller's own unexpired ticket with this token hash.
    pub async fn zip_ticket(
        &self,
        token_hash: &str,
        tenant_id: i64,
        user_id: i64,
        now: Timestamp,
    ) -> Result<Option<ZipTicketRow>, DbError> {
        let sql = format!(
            "SELECT {TICKET_COLS} FROM zip_tickets
             WHERE token_hash = $1 AND tenant_id = $2 AND user_id = $3 AND expires_at > $4"
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(tenant_id)
            .bind(user_id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Removes expired tickets; returns how many.
    pub async fn delete_expired_zip_tickets(&self, now: Timestamp) -> Result<u64, DbError> {
        Ok(
            sqlx::query("DELETE FROM zip_tickets WHERE expires_at <= $1")
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Every live item below folder `id` (not the folder itself), parents
    /// before children, files with their current version's blob.
    pub async fn tree_items(&self, tenant_id: i64, id: i64) -> Result<Vec<TreeItem>, DbError> {
        Ok(sqlx::query_as(
            "WITH RECURSIVE sub(id, depth) AS (
                 SELECT id, 0 FROM nodes WHERE tenant_id = $1 AND id = $2
                 UNION ALL
                 SELECT n.id, sub.depth + 1 FROM nodes n JOIN sub ON n.parent_id = sub.id
                 WHERE n.trashed_at IS NULL
             )
             SELECT n.id, n.parent_id, n.kind, n.name, n.modified_at,
                    v.blob_key, v.size, v.scan_status
             FROM nodes n JOIN sub ON sub.id = n.id
             LEFT JOIN versions v ON v.id = n.current_version_id
             WHERE sub.depth > 0
             ORDER BY sub.depth, n.id",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }
}
