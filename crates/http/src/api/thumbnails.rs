//! `GET /api/v1/thumbnails/{path}?size=256`: a file's thumbnail, with the
//! same permission checks as its download.

use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, tree_path};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_service::ServiceError;
use serde::Deserialize;

pub const PREFIX: &str = "/api/v1/thumbnails";

#[derive(Deserialize, Default)]
pub struct ThumbQuery {
    /// Longest side wanted, in pixels (the closest rendition made is served).
    size: Option<u32>,
    version: Option<i64>,
}

/// `GET`/`HEAD /api/v1/thumbnails/{path}`
pub async fn get(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ThumbQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let path = tree_path(req.uri(), PREFIX)?;
    let size = q.size.unwrap_or(kura_core::thumbnail::SMALL);
    if !(16..=4096).contains(&size) {
        return Err(ServiceError::InvalidInput("size must be between 16 and 4096".into()).into());
    }
    let t = st.svc.thumbnail(&who, &path, size, q.version).await?;
    let mut headers = HeaderMap::new();
    let etag = format!("\"{}\"", t.etag);
    for (k, v) in [
        (header::ETAG, etag.as_str()),
        (header::CACHE_CONTROL, "private, no-cache"),
        (header::CONTENT_TYPE, t.content_type.as_str()),
        (header::CONTENT_LENGTH, &t.len.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(v) {
            headers.insert(k, v);
        }
    }
    let inm = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if inm.is_some_and(|v| {
        v.split(',')
            .any(|e| e.trim().trim_start_matches("W/") == etag || e.trim() == "*")
    }) {
        headers.remove(header::CONTENT_LENGTH);
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    if req.method() == Method::HEAD {
        return Ok((StatusCode::OK, headers).into_response());
    }
    let body = st.svc.open_thumbnail(&t).await?;
    Ok((StatusCode::OK, headers, Body::from_stream(body)).into_response())
}
