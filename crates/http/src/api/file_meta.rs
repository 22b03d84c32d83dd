//! Metadata and attributes of a file or folder: `GET /api/v1/files/{path}?meta=true`
//! and `PATCH /api/v1/files/{path}/attributes`.

use super::files::PREFIX;
use super::json;
use crate::error::ApiError;
use crate::extract::{Caller, tree_path};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use kura_service::ServiceError;

/// The JSON of an item with its attributes.
pub(crate) async fn meta(
    st: &AppState,
    who: &kura_service::Identity,
    path: &kura_core::NodePath,
) -> Result<Response, ApiError> {
    let (node, attributes) = st.svc.node_meta(who, path).await?;
    let stored = match path.split_last() {
        Some((parent, _)) => json::join(&parent.to_string(), &node.name),
        None => path.to_string(),
    };
    let mut v = serde_json::to_value(json::node(&node, &stored))
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("attributes".into(), serde_json::Value::Object(attributes));
    }
    Ok(Json(v).into_response())
}

/// `PATCH /api/v1/files/{path}/attributes` with a JSON object of key to value
/// (`null` clears one): changes the attributes of a file or folder.
pub async fn patch(
    State(st): State<AppState>,
    Caller(who): Caller,
    req: Request,
) -> Result<Response, ApiError> {
    let path = tree_path(req.uri(), PREFIX)?;
    let Some((item, last)) = path.split_last() else {
        return Err(ServiceError::NotFound("/".into()).into());
    };
    if last.as_str() != "attributes" {
        return Err(ServiceError::InvalidInput(
            "PATCH is for /api/v1/files/{path}/attributes".into(),
        )
        .into());
    }
    type Body = crate::extract::ApiJson<serde_json::Map<String, serde_json::Value>>;
    let crate::extract::ApiJson(values) =
        <Body as axum::extract::FromRequest<AppState>>::from_request(req, &st).await?;
    let attributes = st.svc.set_attributes(&who, &item, &values).await?;
    Ok(Json(serde_json::json!({ "attributes": attributes })).into_response())
}
