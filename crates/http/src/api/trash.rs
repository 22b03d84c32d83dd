//! `/api/v1/trash`: list, restore, purge, empty.

use super::json;
use crate::error::ApiError;
use crate::extract::{ApiPath, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_core::NodePath;
use kura_service::ServiceError;
use serde::Deserialize;

/// `GET /api/v1/trash`
pub async fn list(State(st): State<AppState>, Caller(who): Caller) -> Result<Response, ApiError> {
    let items: Vec<_> = st
        .svc
        .list_trash(&who)
        .await?
        .iter()
        .map(|t| {
            let mut v =
                serde_json::to_value(json::node(&t.node, &t.original_path)).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("original_path".into(), t.original_path.clone().into());
            }
            v
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })).into_response())
}

#[derive(Deserialize, Default)]
pub struct RestoreBody {
    /// Full path to restore to; default: where it was.
    to: Option<String>,
}

/// `POST /api/v1/trash/{id}/restore` with an optional `{"to": "/path"}`
pub async fn restore(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: empty means "where it was".
    let b: RestoreBody = if body.iter().all(u8::is_ascii_whitespace) {
        RestoreBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ServiceError::InvalidInput(format!("the JSON body is not valid: {e}")))?
    };
    let to = b.to.map(|p| NodePath::parse(&p)).transpose()?;
    let n = st.svc.restore(&who, id, to.as_ref()).await?;
    let path = st.svc.path_of(who.tenant_id(), &n).await?;
    Ok(Json(json::node(&n, &path)).into_response())
}

/// `DELETE /api/v1/trash/{id}`
pub async fn purge(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let bytes = st.svc.purge(&who, id).await?;
    Ok(Json(serde_json::json!({ "released_bytes": bytes })).into_response())
}

/// `DELETE /api/v1/trash`
pub async fn empty(State(st): State<AppState>, Caller(who): Caller) -> Result<Response, ApiError> {
    let bytes = st.svc.empty_trash(&who).await?;
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "released_bytes": bytes })),
    )
        .into_response())
}
