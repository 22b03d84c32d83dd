//! Tenant security policy set by tenant admins: `/api/v1/policy/...`.

use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistBody {
    /// Ranges everyone must come from; null or empty: anywhere.
    all: Option<Vec<String>>,
    /// A stricter list for admins; null or empty: as `all`.
    admins: Option<Vec<String>>,
}

/// `GET /api/v1/policy/ip-allowlist`
pub async fn get_ip_allowlist(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.ip_allowlists(&who).await?).into_response())
}

/// `PUT /api/v1/policy/ip-allowlist`
pub async fn put_ip_allowlist(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<AllowlistBody>,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.set_ip_allowlists(&who, b.all, b.admins).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicyBody {
    min_length: Option<i64>,
    lockout_threshold: Option<i64>,
    lockout_minutes: Option<i64>,
}

/// `GET /api/v1/policy/password`
pub async fn get_password_policy(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.password_policy(&who).await?).into_response())
}

/// `PUT /api/v1/policy/password`
pub async fn put_password_policy(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<PasswordPolicyBody>,
) -> Result<Response, ApiError> {
    let change = kura_service::PasswordPolicyChange {
        min_length: b.min_length,
        lockout_threshold: b.lockout_threshold,
        lockout_minutes: b.lockout_minutes,
    };
    Ok(Json(st.svc.set_password_policy(&who, change).await?).into_response())
}

/// `POST /api/v1/users/{id}/unlock`
pub async fn unlock_user(
    State(st): State<AppState>,
    Caller(who): Caller,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> Result<Response, ApiError> {
    st.svc.unlock_user(&who, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
