//! `/api/v1/zip`: many files and folders as one streamed ZIP archive. A POST
//! checks the paths and answers a short-lived download URL; a GET of that URL
//! streams the archive.

use super::files::disposition;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_service::NameEncoding;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZipRequest {
    #[serde(default)]
    paths: Vec<String>,
    /// `utf8` (default) or `cp932`.
    name_encoding: Option<String>,
    /// The archive's file name (default `download.zip`).
    name: Option<String>,
}

/// `POST /api/v1/zip`: a download ticket for the caller, valid 10 minutes.
pub async fn create(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(req): ApiJson<ZipRequest>,
) -> Result<Response, ApiError> {
    let encoding = match req.name_encoding.as_deref() {
        Some(e) => NameEncoding::parse(e)?,
        None => NameEncoding::Utf8,
    };
    let t = st
        .svc
        .create_zip_ticket(&who, &req.paths, encoding, req.name.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "url": format!("/api/v1/zip/{}", t.token),
            "expires": kura_core::clock::rfc3339(t.expires_at),
        })),
    )
        .into_response())
}

/// `GET /api/v1/zip/{token}`: streams the archive.
pub async fn download(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(token): ApiPath<String>,
) -> Result<Response, ApiError> {
    let z = st.svc.open_zip(&who, &token).await?;
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&z.name, false)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&z.files.to_string()) {
        h.insert("x-kura-file-count", v);
    }
    Ok((StatusCode::OK, h, Body::from_stream(z.body)).into_response())
}
