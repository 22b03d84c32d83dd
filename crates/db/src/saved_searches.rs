//! Saved searches of users, and those shared with their tenant.

use crate::{Db, DbError};
use kura_core::Timestamp;

/// A saved search (the query is the JSON of a search request).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedSearch {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub query: String,
    pub shared: i64,
    pub created_at: i64,
}

impl Db {
    /// A user's own saved searches and those shared in the tenant.
    pub async fn saved_searches(
        &self,
        tenant_id: i64,
        user_id: i64,
    ) -> Result<Vec<SavedSearch>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, name, query, shared, created_at FROM saved_searches
             WHERE tenant_id = $1 AND (user_id = $2 OR shared = 1) ORDER BY shared, name, id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Saves a search.
    pub async fn save_search(
        &self,
        tenant_id: i64,
        user_id: i64,
        name: &str,
        query: &str,
        shared: bool,
        now: Timestamp,
    ) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO saved_searches (tenant_id, user_id, name, query, shared, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(name)
        .bind(query)
        .bind(i64::from(shared))
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
    }

    /// One saved search of the tenant.
    pub async fn saved_search(&self, tenant_id: i64, id: i64) -> Result<SavedSearch, DbError> {
        sqlx::query_as(
            "SELECT id, user_id, name, query, shared, created_at FROM saved_searches
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(DbError::NotFound)
    }

    /// Deletes a saved search of the tenant.
    pub async fn delete_saved_search(&self, tenant_id: i64, id: i64) -> Result<(), DbError> {
        sqlx::query("DELETE FROM saved_searches WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
