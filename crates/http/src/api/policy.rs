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
