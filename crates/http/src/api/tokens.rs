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
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    expires_in_days: Option<i64>,
    /// `read_write` (the default) or `read_only`.
    scope: Option<String>,
}

/// `POST /api/v1/tokens`: the secret is in this response and nowhere else, ever.
pub async fn create(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<NewToken>,
) -> Result<Response, ApiError> {
    let read_only = match b.scope.as_deref() {
        None | Some("read_write") => false,
        Some("read_only") => true,
        Some(other) => {
            return Err(kura_service::ServiceError::InvalidInput(format!(
                "scope must be read_write or read_only, not {other:?}"
            ))
            .into());
        }
    };
    let (id, token) = st
        .svc
        .create_token(&who, &b.name, b.expires_in_days, read_only)
        .await?;
    let scope = if read_only { "read_only" } else { "read_write" };
    Ok((
        StatusCode::CREATED,
        Json(
            serde_json::json!({ "id": id, "name": b.name.trim(), "scope": scope, "token": token }),
        ),
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
                "scope": t.scope,
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
