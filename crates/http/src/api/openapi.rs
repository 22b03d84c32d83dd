//! `GET /api/v1/openapi.json`: the API contract, kept beside the handlers and
//! checked against the router by tests.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The OpenAPI 3.1 document.
pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> Response {
    let mut res = DOCUMENT.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}
