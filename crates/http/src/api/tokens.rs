//! `/api/v1/tokens`: personal access tokens of the caller.

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_core::clock::rfc3339;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NewToken {
    name: String,
    expires_in_days: Option<i64>,
}

/// `POST /api/v1/tokens`: the secret is in this response and nowhere else, ever.
pub async fn create(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<NewToken>,
) -> Result<Response, ApiError> {
    let (id, token) = st
        .svc
        .create_token(&who, &b.name, b.expires_in_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": id, "name": b.name.trim(), "token": token })),
    )
        .into_response())
}

/// `GET /api/v1/tokens`
pub async fn list(State(st): State<AppState>, Caller(who): Caller) -> Result<Response, ApiError> {
    let items: Vec<_> = st
        .svc
        .list_tokens(&who)
        .await?
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "name": t.name,
                "created": rfc3339(t.created_at),
                "expires": t.expires_at.map(rfc3339),
                "last_used": t.last_used_at.map(rfc3339),
                "revoked": t.revoked_at.map(rfc3339),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })).into_response())
}

/// `DELETE /api/v1/tokens/{id}`
pub async fn revoke(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    st.svc.revoke_token(&who, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
