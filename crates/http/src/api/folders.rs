//! `/api/v1/folders/{path}`: create, list (paged, sorted), delete to trash.

use super::json;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, tree_path};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_service::{ListOptions, ServiceError, SortKey};
use serde::Deserialize;

pub const PREFIX: &str = "/api/v1/folders";

#[derive(Deserialize, Default)]
pub struct CreateQuery {
    #[serde(default)]
    parents: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    sort: Option<String>,
    order: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `POST /api/v1/folders/{path}`
pub async fn create(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<CreateQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let path = tree_path(req.uri(), PREFIX)?;
    let (node, created) = st.svc.create_folder(&who, &path, q.parents).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json::node(&node, &path.to_string()))).into_response())
}

/// `GET /api/v1/folders/{path}`
pub async fn list(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let path = tree_path(req.uri(), PREFIX)?;
    let sort = match q.sort.as_deref().unwrap_or("name") {
        "name" => SortKey::Name,
        "size" => SortKey::Size,
        "modified" => SortKey::Modified,
        "modified_by" => SortKey::ModifiedBy,
        other => {
            return Err(ServiceError::InvalidInput(format!(
                "sort must be name, size, modified or modified_by, not {other:?}"
            ))
            .into());
        }
    };
    let descending = match q.order.as_deref().unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        other => {
            return Err(ServiceError::InvalidInput(format!(
                "order must be asc or desc, not {other:?}"
            ))
            .into());
        }
    };
    let opts = ListOptions {
        sort,
        descending,
        limit: q.limit,
        cursor: q.cursor,
    };
    let page = st.svc.list_folder(&who, &path, &opts).await?;
    let base = path.to_string();
    let items: Vec<_> = page
        .items
        .iter()
        .map(|n| json::node(n, &json::join(&base, &n.name)))
        .collect();
    Ok(Json(ListOut {
        path: &base,
        folder: json::node(&page.folder, &base),
        items,
        next_cursor: page.next_cursor.as_deref(),
    })
    .into_response())
}

/// A folder page, serialised in one pass.
#[derive(serde::Serialize)]
struct ListOut<'a> {
    path: &'a str,
    folder: json::NodeOut<'a>,
    items: Vec<json::NodeOut<'a>>,
    next_cursor: Option<&'a str>,
}
