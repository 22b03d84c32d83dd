//! Tenant administration (`/api/v1/users`, `/api/v1/usage`) and operation
//! (`/api/v1/admin/tenants`).

use super::json;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_core::size::parse_size;
use kura_core::{OversizePolicy, Role, TenantStatus};
use kura_service::{NewTenant, NewUser, ServiceError, TenantChanges};
use serde::Deserialize;

/// A capacity as a number of bytes or a string like "10GiB".
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Capacity {
    Bytes(u64),
    Text(String),
}

impl Capacity {
    fn bytes(&self) -> Result<u64, ApiError> {
        match self {
            Capacity::Bytes(b) => Ok(*b),
            Capacity::Text(s) => Ok(parse_size(s)?),
        }
    }
}

#[derive(Deserialize)]
pub struct TenantBody {
    code: String,
    name: String,
    capacity: Capacity,
    keep_versions: Option<i64>,
    trash_days: Option<i64>,
}

#[derive(Deserialize)]
pub struct TenantPatch {
    name: Option<String>,
    capacity: Option<Capacity>,
    status: Option<String>,
    keep_versions: Option<i64>,
    trash_days: Option<i64>,
    /// `refuse` or `accept_unscanned`.
    scan_oversize: Option<String>,
}

#[derive(Deserialize)]
pub struct UserBody {
    login: String,
    role: String,
    display_name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

fn new_user(b: UserBody) -> Result<NewUser, ApiError> {
    let role = Role::parse(&b.role)?;
    Ok(NewUser {
        login: b.login,
        display_name: b.display_name,
        email: b.email,
        role,
        password: b.password,
    })
}

/// `GET /api/v1/admin/tenants`
pub async fn list_tenants(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    let items: Vec<_> = st
        .svc
        .list_tenants(&who)
        .await?
        .iter()
        .map(json::tenant)
        .collect();
    Ok(Json(serde_json::json!({ "items": items })).into_response())
}

/// `POST /api/v1/admin/tenants`
pub async fn create_tenant(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<TenantBody>,
) -> Result<Response, ApiError> {
    let t = NewTenant {
        code: b.code,
        name: b.name,
        capacity_bytes: b.capacity.bytes()?,
        keep_versions: b.keep_versions,
        trash_days: b.trash_days,
    };
    let t = st.svc.create_tenant(&who, t).await?;
    Ok((StatusCode::CREATED, Json(json::tenant(&t))).into_response())
}

/// `GET /api/v1/admin/tenants/{code}`
pub async fn get_tenant(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    let t = st.svc.tenant(&who, &code).await?;
    Ok(Json(json::tenant(&t)).into_response())
}

/// `PATCH /api/v1/admin/tenants/{code}`
pub async fn patch_tenant(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<TenantPatch>,
) -> Result<Response, ApiError> {
    let cap = b.capacity.as_ref().map(Capacity::bytes).transpose()?;
    let status = b
        .status
        .as_deref()
        .map(TenantStatus::parse)
        .transpose()
        .map_err(|_| ServiceError::InvalidInput("status must be active or suspended".into()))?;
    let scan_oversize = b
        .scan_oversize
        .as_deref()
        .map(OversizePolicy::parse)
        .transpose()?;
    let changes = TenantChanges {
        name: b.name.as_deref(),
        capacity_bytes: cap,
        status,
        keep_versions: b.keep_versions,
        trash_days: b.trash_days,
        scan_oversize,
    };
    let t = st.svc.update_tenant(&who, &code, changes).await?;
    Ok(Json(json::tenant(&t)).into_response())
}

/// `GET /api/v1/admin/tenants/{code}/usage`
pub async fn tenant_usage(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.usage(&who, Some(&code)).await?).into_response())
}

/// `POST /api/v1/admin/tenants/{code}/users`
pub async fn create_tenant_user(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<UserBody>,
) -> Result<Response, ApiError> {
    let u = st.svc.create_user(&who, Some(&code), new_user(b)?).await?;
    Ok((StatusCode::CREATED, Json(json::user(&u))).into_response())
}

/// `GET /api/v1/usage`: the caller's tenant.
pub async fn usage(State(st): State<AppState>, Caller(who): Caller) -> Result<Response, ApiError> {
    Ok(Json(st.svc.usage(&who, None).await?).into_response())
}

/// `GET /api/v1/users`
pub async fn list_users(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    let items: Vec<_> = st
        .svc
        .list_users(&who)
        .await?
        .iter()
        .map(json::user)
        .collect();
    Ok(Json(serde_json::json!({ "items": items })).into_response())
}

/// `POST /api/v1/users`
pub async fn create_user(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<UserBody>,
) -> Result<Response, ApiError> {
    let u = st.svc.create_user(&who, None, new_user(b)?).await?;
    Ok((StatusCode::CREATED, Json(json::user(&u))).into_response())
}
