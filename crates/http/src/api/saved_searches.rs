//! `/api/v1/saved-searches`: the caller's saved searches and shared ones.

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSaved {
    name: String,
    /// A search request as for `POST /api/v1/search`.
    query: serde_json::Value,
    #[serde(default)]
    shared: bool,
}

/// `GET /api/v1/saved-searches`
pub async fn list(State(st): State<AppState>, Caller(who): Caller) -> Result<Response, ApiError> {
    let items = st.svc.saved_searches(&who).await?;
    Ok(Json(serde_json::json!({ "items": items })).into_response())
}

/// `POST /api/v1/saved-searches`
pub async fn create(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<NewSaved>,
) -> Result<Response, ApiError> {
    let s = st
        .svc
        .save_search(&who, &b.name, &b.query, b.shared)
        .await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

/// `DELETE /api/v1/saved-searches/{id}`
pub async fn delete(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    st.svc.delete_saved_search(&who, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
