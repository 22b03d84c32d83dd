//! Row shapes as stored, and their conversion into domain records.

use crate::DbError;
use kura_core::allowlist::load_cidrs;
use kura_core::{
    Node, NodeKind, OversizePolicy, Role, ScanStatus, Tenant, TenantStatus, User, UserStatus,
    Version,
};

pub(crate) const TENANT_COLS: &str = "id, code, name, capacity_bytes, used_bytes, status, keep_versions, trash_days, scan_oversize, ip_allow, ip_allow_admin, password_min_length, lockout_threshold, lockout_minutes, password_max_age_days, session_idle_minutes, session_max_hours, otp_required, sso_only, client_cert_required, root_id, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    id: i64,
    code: String,
    name: String,
    capacity_bytes: i64,
    used_bytes: i64,
    status: String,
    keep_versions: i64,
    trash_days: i64,
    scan_oversize: String,
    ip_allow: Option<String>,
    ip_allow_admin: Option<String>,
    password_min_length: i64,
    lockout_threshold: i64,
    lockout_minutes: i64,
    password_max_age_days: Option<i64>,
    session_idle_minutes: Option<i64>,
    session_max_hours: Option<i64>,
    otp_required: i64,
    sso_only: i64,
    client_cert_required: i64,
    root_id: Option<i64>,
    created_at: i64,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = DbError;
    fn try_from(r: TenantRow) -> Result<Self, DbError> {
        Ok(Tenant {
            id: r.id,
            code: r.code,
            name: r.name,
            capacity_bytes: r.capacity_bytes,
            used_bytes: r.used_bytes,
            status: TenantStatus::parse(&r.status)?,
            keep_versions: r.keep_versions,
            trash_days: r.trash_days,
            scan_oversize: OversizePolicy::parse(&r.scan_oversize)?,
            ip_allow: load_cidrs(r.ip_allow.as_deref())?,
            ip_allow_admin: load_cidrs(r.ip_allow_admin.as_deref())?,
            password_min_length: r.password_min_length,
            lockout_threshold: r.lockout_threshold,
            lockout_minutes: r.lockout_minutes,
            password_max_age_days: r.password_max_age_days,
            session_idle_minutes: r.session_idle_minutes,
            session_max_hours: r.session_max_hours,
            otp_required: r.otp_required != 0,
            sso_only: r.sso_only != 0,
            client_cert_required: r.client_cert_required != 0,
            root_id: r
                .root_id
                .ok_or_else(|| DbError::Corrupt("tenant without root".into()))?,
            created_at: r.created_at,
        })
    }
}

pub(crate) const USER_COLS: &str = "id, tenant_id, login, display_name, email, role, status, password_hash, created_at, failed_logins, locked_until, password_changed_at, otp_enabled";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    tenant_id: i64,
    login: String,
    display_name: String,
    email: Option<String>,
    role: String,
    status: String,
    password_hash: Option<String>,
    created_at: i64,
    failed_logins: i64,
    locked_until: Option<i64>,
    password_changed_at: Option<i64>,
    otp_enabled: i64,
}

impl TryFrom<UserRow> for User {
    type Error = DbError;
    fn try_from(r: UserRow) -> Result<Self, DbError> {
        Ok(User {
            id: r.id,
            tenant_id: r.tenant_id,
            login: r.login,
            display_name: r.display_name,
            email: r.email,
            role: Role::parse(&r.role)?,
            status: UserStatus::parse(&r.status)?,
            password_hash: r.password_hash,
            created_at: r.created_at,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            password_changed_at: r.password_changed_at,
            otp_enabled: r.otp_enabled != 0,
        })
    }
}

pub(crate) const NODE_COLS: &str = "id, tenant_id, parent_id, kind, name, size, current_version_id, etag, content_type, created_at, modified_at, modified_by, trashed_at, scan_status";

#[derive(sqlx::FromRow)]
pub(crate) struct NodeRow {
    id: i64,
    tenant_id: i64,
    parent_id: Option<i64>,
    kind: String,
    name: String,
    size: i64,
    current_version_id: Option<i64>,
    etag: String,
    content_type: Option<String>,
    created_at: i64,
    modified_at: i64,
    modified_by: Option<i64>,
    trashed_at: Option<i64>,
    scan_status: Option<String>,
}

/// A node as one JSON array in NODE_COLS order (aggregated listings).
pub(crate) type NodeJson = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    i64,
    Option<i64>,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

impl From<NodeJson> for NodeRow {
    fn from(j: NodeJson) -> Self {
        let (
            id,
            tenant_id,
            parent_id,
            kind,
            name,
            size,
            current_version_id,
            etag,
            content_type,
            created_at,
            modified_at,
            modified_by,
            trashed_at,
            scan_status,
        ) = j;
        NodeRow {
            id,
            tenant_id,
            parent_id,
            kind,
            name,
            size,
            current_version_id,
            etag,
            content_type,
            created_at,
            modified_at,
            modified_by,
            trashed_at,
            scan_status,
        }
    }
}

impl TryFrom<NodeRow> for Node {
    type Error = DbError;
    fn try_from(r: NodeRow) -> Result<Self, DbError> {
        Ok(Node {
            id: r.id,
            tenant_id: r.tenant_id,
            parent_id: r.parent_id,
            kind: NodeKind::parse(&r.kind)?,
            name: r.name,
            size: r.size,
            current_version_id: r.current_version_id,
            etag: r.etag,
            content_type: r.content_type,
            created_at: r.created_at,
            modified_at: r.modified_at,
            modified_by: r.modified_by,
            trashed_at: r.trashed_at,
            scan_status: r
                .scan_status
                .as_deref()
                .map(ScanStatus::parse)
                .transpose()?,
        })
    }
}

pub(crate) const VERSION_COLS: &str = "id, tenant_id, node_id, blob_key, size, etag, created_at, created_by, scan_status, scan_engine, scanned_at, scan_detail";

#[derive(sqlx::FromRow)]
pub(crate) struct VersionRow {
    id: i64,
    tenant_id: i64,
    node_id: i64,
    blob_key: String,
    size: i64,
    etag: String,
    created_at: i64,
    created_by: Option<i64>,
    scan_status: String,
    scan_engine: Option<String>,
    scanned_at: Option<i64>,
    scan_detail: Option<String>,
}

impl TryFrom<VersionRow> for Version {
    type Error = DbError;
    fn try_from(r: VersionRow) -> Result<Self, DbError> {
        Ok(Version {
            id: r.id,
            tenant_id: r.tenant_id,
            node_id: r.node_id,
            blob_key: r.blob_key,
            size: r.size,
            etag: r.etag,
            created_at: r.created_at,
            created_by: r.created_by,
            scan_status: ScanStatus::parse(&r.scan_status)?,
            scan_engine: r.scan_engine,
            scanned_at: r.scanned_at,
            scan_detail: r.scan_detail,
        })
    }
}

/// Converts a list of rows.
pub(crate) fn all<R, T>(rows: Vec<R>) -> Result<Vec<T>, DbError>
where
    T: TryFrom<R, Error = DbError>,
{
    rows.into_iter().map(T::try_from).collect()
}

impl TenantRow {
    /// Reads a tenant whose columns were selected as `t_<column>` in a join.
    pub(crate) fn from_prefixed(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(TenantRow {
            id: row.try_get("t_id")?,
            code: row.try_get("t_code")?,
            name: row.try_get("t_name")?,
            capacity_bytes: row.try_get("t_capacity_bytes")?,
            used_bytes: row.try_get("t_used_bytes")?,
            status: row.try_get("t_status")?,
            keep_versions: row.try_get("t_keep_versions")?,
            trash_days: row.try_get("t_trash_days")?,
            scan_oversize: row.try_get("t_scan_oversize")?,
            ip_allow: row.try_get("t_ip_allow")?,
            ip_allow_admin: row.try_get("t_ip_allow_admin")?,
            password_min_length: row.try_get("t_password_min_length")?,
            lockout_threshold: row.try_get("t_lockout_threshold")?,
            lockout_minutes: row.try_get("t_lockout_minutes")?,
            password_max_age_days: row.try_get("t_password_max_age_days")?,
            session_idle_minutes: row.try_get("t_session_idle_minutes")?,
            session_max_hours: row.try_get("t_session_max_hours")?,
            otp_required: row.try_get("t_otp_required")?,
            sso_only: row.try_get("t_sso_only")?,
            client_cert_required: row.try_get("t_client_cert_required")?,
            root_id: row.try_get("t_root_id")?,
            created_at: row.try_get("t_created_at")?,
        })
    }
}

impl VersionRow {
    /// Reads a version selected as `v_<column>` in a LEFT JOIN; `None` if absent.
    pub(crate) fn from_prefixed(row: &sqlx::any::AnyRow) -> Result<Option<Self>, sqlx::Error> {
        use sqlx::Row;
        let id: Option<i64> = row.try_get("v_id")?;
        let Some(id) = id else { return Ok(None) };
        Ok(Some(VersionRow {
            id,
            tenant_id: row.try_get("v_tenant_id")?,
            node_id: row.try_get("v_node_id")?,
            blob_key: row.try_get("v_blob_key")?,
            size: row.try_get("v_size")?,
            etag: row.try_get("v_etag")?,
            created_at: row.try_get("v_created_at")?,
            created_by: row.try_get("v_created_by")?,
            scan_status: row.try_get("v_scan_status")?,
            scan_engine: row.try_get("v_scan_engine")?,
            scanned_at: row.try_get("v_scanned_at")?,
            scan_detail: row.try_get("v_scan_detail")?,
        }))
    }
}
