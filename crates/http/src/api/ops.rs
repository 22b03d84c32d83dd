//! `POST /api/v1/move` and `POST /api/v1/copy`.

use super::json;
use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_core::NodePath;
use serde::Deserialize;

/// Source and full destination path (plain UTF-8, not percent-encoded).
#[derive(Deserialize)]
pub struct FromTo {
    from: String,
    to: String,
}

fn paths(b: &FromTo) -> Result<(NodePath, NodePath), ApiError> {
    Ok((NodePath::parse(&b.from)?, NodePath::parse(&b.to)?))
}

/// Moves or renames a file or folder.
pub async fn move_node(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<FromTo>,
) -> Result<Response, ApiError> {
    let (from, to) = paths(&b)?;
    let n = st.svc.move_node(&who, &from, &to).await?;
    Ok(Json(json::node(&n, &to.to_string())).into_response())
}

/// Copies a file or folder (recursively).
pub async fn copy(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<FromTo>,
) -> Result<Response, ApiError> {
    let (from, to) = paths(&b)?;
    let n = st.svc.copy_node(&who, &from, &to).await?;
    Ok((StatusCode::CREATED, Json(json::node(&n, &to.to_string()))).into_response())
}
