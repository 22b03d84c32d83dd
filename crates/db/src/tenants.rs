//! Tenants (customer contracts), their root folder and their usage.

use crate::error::conflict_on_unique;
use crate::rows::{TENANT_COLS, TenantRow};
use crate::{Db, DbError};
use kura_core::{OversizePolicy, Tenant, TenantStatus, Timestamp};
use sqlx::AssertSqlSafe;

/// What a tenant stores, for admins and the operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    pub capacity_bytes: i64,
    pub used_bytes: i64,
    /// Files, including those in the trash.
    pub files: i64,
    pub folders: i64,
    /// Stored versions, current and old.
    pub versions: i64,
}

impl Db {
    /// Creates a tenant with its root folder.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_tenant(
        &self,
        code: &str,
        name: &str,
        capacity_bytes: i64,
        keep_versions: i64,
        trash_days: i64,
        root_etag: &str,
        now: Timestamp,
    ) -> Result<Tenant, DbError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tenants (code, name, capacity_bytes, keep_versions, trash_days, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(code)
        .bind(name)
        .bind(capacity_bytes)
        .bind(keep_versions)
        .bind(trash_days)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "a tenant with this code already exists"))?;
        let root: i64 = sqlx::query_scalar(
            "INSERT INTO nodes (tenant_id, parent_id, kind, name, name_key, etag, created_at, modified_at)
             VALUES ($1, NULL, 'folder', '', '', $2, $3, $3) RETURNING id",
        )
        .bind(id)
        .bind(root_etag)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE tenants SET root_id = $1 WHERE id = $2")
            .bind(root)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.tenant_by_id(id).await
    }

    /// One tenant by id.
    pub async fn tenant_by_id(&self, id: i64) -> Result<Tenant, DbError> {
        let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE id = $1");
        let row: Option<TenantRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(DbError::NotFound)?.try_into()
    }

    /// One tenant by its code.
    pub async fn tenant_by_code(&self, code: &str) -> Result<Tenant, DbError> {
        let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE code = $1");
        let row: Option<TenantRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(DbError::NotFound)?.try_into()
    }

    /// Every tenant, by code.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, DbError> {
        let sql = format!("SELECT {TENANT_COLS} FROM tenants ORDER BY code");
        let rows: Vec<TenantRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        crate::rows::all(rows)
    }

    /// Changes a tenant's contract settings; `None` leaves a field as it is.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_tenant(
        &self,
        id: i64,
        name: Option<&str>,
        capacity_bytes: Option<i64>,
        status: Option<TenantStatus>,
        keep_versions: Option<i64>,
        trash_days: Option<i64>,
        scan_oversize: Option<OversizePolicy>,
    ) -> Result<Tenant, DbError> {
        let done = sqlx::query(
            "UPDATE tenants SET name = COALESCE($2, name), capacity_bytes = COALESCE($3, capacity_bytes),
             status = COALESCE($4, status), keep_versions = COALESCE($5, keep_versions),
             trash_days = COALESCE($6, trash_days), scan_oversize = COALESCE($7, scan_oversize) WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(capacity_bytes)
        .bind(status.map(|s| s.as_str()))
        .bind(keep_versions)
        .bind(trash_days)
        .bind(scan_oversize.map(|p| p.as_str()))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        self.tenant_by_id(id).await
    }

    /// Sets a tenant's authentication policy (allowlists in stored form,
    /// `None` = no restriction / server default).
    pub async fn set_tenant_policy(
        &self,
        tenant_id: i64,
        p: &PolicyRow<'_>,
    ) -> Result<Tenant, DbError> {
        let done = sqlx::query(
            "UPDATE tenants SET ip_allow = $2, ip_allow_admin = $3, password_min_length = $4,
             lockout_threshold = $5, lockout_minutes = $6, password_max_age_days = $7,
             session_idle_minutes = $8, session_max_hours = $9, otp_required = $10,
             sso_only = $11, client_cert_required = $12 WHERE id = $1",
        )
        .bind(tenant_id)
        .bind(p.ip_allow)
        .bind(p.ip_allow_admin)
        .bind(p.password_min_length)
        .bind(p.lockout_threshold)
        .bind(p.lockout_minutes)
        .bind(p.password_max_age_days)
        .bind(p.session_idle_minutes)
        .bind(p.session_max_hours)
        .bind(i64::from(p.otp_required))
        .bind(i64::from(p.sso_only))
        .bind(i64::from(p.client_cert_required))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        self.tenant_by_id(tenant_id).await
    }

    /// Bytes and item counts of a tenant.
    pub async fn usage(&self, tenant_id: i64) -> Result<Usage, DbError> {
        let t = self.tenant_by_id(tenant_id).await?;
        let (files, folders): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'file' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN kind = 'folder' AND parent_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM nodes WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_one(&self.pool)
        .await?;
        let versions: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM versions WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(Usage {
            capacity_bytes: t.capacity_bytes,
            used_bytes: t.used_bytes,
            files,
            folders,
            versions,
        })
    }
}

/// A tenant's authentication policy as stored.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRow<'a> {
    pub ip_allow: Option<&'a str>,
    pub ip_allow_admin: Option<&'a str>,
    pub password_min_length: i64,
    pub lockout_threshold: i64,
    pub lockout_minutes: i64,
    pub password_max_age_days: Option<i64>,
    pub session_idle_minutes: Option<i64>,
    pub session_max_hours: Option<i64>,
    pub otp_required: bool,
    pub sso_only: bool,
    pub client_cert_required: bool,
}
