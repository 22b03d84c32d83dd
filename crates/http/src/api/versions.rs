//! `/api/v1/versions/{path}`: list a file's versions, restore one.

use super::json;
use crate::error::ApiError;
use crate::extract::{ApiJson, Caller, tree_path};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

pub const PREFIX: &str = "/api/v1/versions";

/// `GET /api/v1/versions/{path}`
pub async fn list(
    State(st): State<AppState>,
    Caller(who): Caller,
    req: Request,
) -> Result<Response, ApiError> {
    let path = tree_path(req.uri(), PREFIX)?;
    let (node, versions) = st.svc.versions(&who, &path).await?;
    let items: Vec<_> = versions
        .iter()
        .map(|v| json::version(v, node.current_version_id))
        .collect();
    Ok(Json(serde_json::json!({ "path": path.to_string(), "items": items })).into_response())
}

#[derive(Deserialize)]
pub struct RestoreBody {
    restore: i64,
}

/// `POST /api/v1/versions/{path}` with `{"restore": <version id>}`
pub async fn restore(
    State(st): State<AppState>,
    Caller(who): Caller,
    req: Request,
) -> Result<Response, ApiError> {
    let path = tree_path(req.uri(), PREFIX)?;
    let ApiJson(b) = ApiJson::<RestoreBody>::from_request(req, &st).await?;
    let n = st.svc.restore_version(&who, &path, b.restore).await?;
    Ok(Json(json::node(&n, &path.to_string())).into_response())
}
