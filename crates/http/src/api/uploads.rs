//! `/api/v1/uploads`: resumable uploads with tus 1.0.0 (core, creation,
//! creation-with-upload, termination, expiration, checksum). The protocol's
//! headers are read and written here; every rule is the service's.

use crate::error::ApiError;
use crate::extract::Caller;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{options, patch};
use base64::Engine;
use kura_service::{Checksum, NewUpload, OnConflict, PatchOutcome, ServiceError, UploadInfo};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::time::{Duration, UNIX_EPOCH};

const PREFIX: &str = "/api/v1/uploads";
const TUS_VERSION: &str = "1.0.0";
const OFFSET_STREAM: &str = "application/offset+octet-stream";

/// The tus routes, with the protocol's version header on every answer.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PREFIX, options(discover).post(create))
        .route(
            "/api/v1/uploads/{id}",
            patch(append).head(status).delete(terminate),
        )
        .layer(axum::middleware::from_fn(tus_version))
}

/// Refuses other tus versions (a request without the header is served, so
/// plain HTTP clients work) and marks every answer `Tus-Resumable: 1.0.0`.
async fn tus_version(req: Request, next: Next) -> Response {
    let wrong = req.method() != Method::OPTIONS
        && req
            .headers()
            .get("tus-resumable")
            .is_some_and(|v| v.as_bytes() != TUS_VERSION.as_bytes());
    let mut res = if wrong {
        ApiError(ServiceError::TusVersionUnsupported).into_response()
    } else {
        next.run(req).await
    };
    res.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    res
}

fn set(h: &mut HeaderMap, k: &'static str, v: &str) {
    if let Ok(v) = HeaderValue::from_str(v) {
        h.insert(k, v);
    }
}

fn http_date(ms: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

fn number_header(h: &HeaderMap, name: &str) -> Result<Option<u64>, ApiError> {
    match h.get(name) {
        None => Ok(None),
        Some(v) => Ok(Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ServiceError::InvalidInput(format!("{name} must be a non-negative integer"))
                })?,
        )),
    }
}

/// `OPTIONS /api/v1/uploads`: what this server supports (no sign-in needed).
async fn discover() -> Response {
    let mut h = HeaderMap::new();
    set(&mut h, "tus-version", TUS_VERSION);
    set(
        &mut h,
        "tus-extension",
        "creation,creation-with-upload,termination,expiration,checksum",
    );
    set(
        &mut h,
        "tus-max-size",
        &kura_service::MAX_UPLOAD_BYTES.to_string(),
    );
    set(&mut h, "tus-checksum-algorithm", "sha1,sha256");
    (StatusCode::NO_CONTENT, h).into_response()
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn parse_metadata(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let bad = |why: String| {
        ApiError(ServiceError::InvalidInput(format!(
            "Upload-Metadata: {why}"
        )))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((k, v)) => (k, v.trim()),
            None => (pair, ""),
        };
        if out.iter().any(|(k, _)| k == key) {
            return Err(bad(format!("the key {key:?} appears twice")));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| bad(format!("the value of {key:?} is not base64")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| bad(format!("the value of {key:?} is not UTF-8")))?;
        out.push((key.to_string(), text));
    }
    Ok(out)
}

fn new_upload(h: &HeaderMap) -> Result<NewUpload, ApiError> {
    if h.contains_key("upload-defer-length") {
        return Err(ServiceError::InvalidInput(
            "Upload-Defer-Length is not supported: send Upload-Length".into(),
        )
        .into());
    }
    let length = number_header(h, "upload-length")?
        .ok_or_else(|| ServiceError::InvalidInput("Upload-Length is required".into()))?;
    let raw = h
        .get("upload-metadata")
        .map(|v| {
            v.to_str()
                .map(str::to_string)
                .map_err(|_| ServiceError::InvalidInput("Upload-Metadata is not ASCII".into()))
        })
        .transpose()?
        .unwrap_or_default();
    let meta = parse_metadata(&raw)?;
    let get = |k: &str| {
        meta.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    // `name` is what several tus clients (Uppy) send.
    let filename = get("filename")
        .or_else(|| get("name"))
        .ok_or_else(|| ServiceError::InvalidInput("Upload-Metadata must have a filename".into()))?;
    let attributes = match get("attributes") {
        None => None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => Some(m),
            _ => {
                return Err(ServiceError::InvalidInput(
                    "Upload-Metadata attributes must be a JSON object".into(),
                )
                .into());
            }
        },
    };
    let on_conflict = match get("on_conflict") {
        Some(v) => OnConflict::parse(&v)?,
        None => OnConflict::Version,
    };
    Ok(NewUpload {
        length,
        filename,
        parent: get("parent").unwrap_or_else(|| "/".into()),
        attributes,
        on_conflict,
        metadata: raw,
    })
}

/// Headers of a PATCH answer (also a creation-with-upload one).
fn progress_headers(h: &mut HeaderMap, out: &PatchOutcome) {
    set(h, "upload-offset", &out.offset.to_string());
    if let Some((put, path)) = &out.committed {
        // Where the file now is (the name may have been changed by on_conflict=rename).
        set(
            h,
            "x-kura-path",
            &utf8_percent_encode(path, NON_ALPHANUMERIC).to_string(),
        );
        set(h, "etag", &format!("\"{}\"", put.node.etag));
    } else {
        set(h, "upload-expires", &http_date(out.expires_at));
    }
}

/// Runs a PATCH in a task of its own: if the client goes away, the handler
/// is dropped, but the bytes that arrived are still stored and recorded.
async fn run_patch(
    st: &AppState,
    who: kura_service::Identity,
    id: String,
    offset: u64,
    checksum: Option<Checksum>,
    content_length: Option<u64>,
    body: axum::body::Body,
) -> Result<PatchOutcome, ApiError> {
    let svc = st.svc.clone();
    let stream = body.into_data_stream();
    let task = tokio::spawn(async move {
        svc.patch_upload(&who, &id, offset, checksum, content_length, stream)
            .await
    });
    match task.await {
        Ok(r) => Ok(r?),
        Err(e) => Err(ServiceError::Internal(format!("upload task: {e}")).into()),
    }
}

fn is_offset_stream(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_STREAM))
}

/// `POST /api/v1/uploads`: creates an upload (checked like a PUT before any
/// byte is stored); with a body of `application/offset+octet-stream`, its
/// first bytes too.
async fn create(
    State(st): State<AppState>,
    Caller(who): Caller,
    req: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let new = new_upload(&parts.headers)?;
    let with_body = is_offset_stream(&parts.headers);
    let checksum = checksum(&parts.headers)?;
    let content_length = number_header(&parts.headers, "content-length")?;
    let info = st.svc.create_upload(&who, new).await?;
    let mut h = HeaderMap::new();
    set(&mut h, "location", &format!("{PREFIX}/{}", info.id));
    if with_body || info.length == 0 {
        let body = if with_body {
            body
        } else {
            axum::body::Body::empty()
        };
        let out = run_patch(&st, who, info.id, 0, checksum, content_length, body).await?;
        progress_headers(&mut h, &out);
    } else {
        set(&mut h, "upload-expires", &http_date(info.expires_at));
    }
    Ok((StatusCode::CREATED, h).into_response())
}

/// `HEAD /api/v1/uploads/{id}`: how far the upload got.
async fn status(
    State(st): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let info: UploadInfo = st.svc.upload_info(&who, &id).await?;
    let mut h = HeaderMap::new();
    set(&mut h, "upload-offset", &info.offset.to_string());
    set(&mut h, "upload-length", &info.length.to_string());
    if !info.metadata.is_empty() {
        set(&mut h, "upload-metadata", &info.metadata);
    }
    set(&mut h, "upload-expires", &http_date(info.expires_at));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((StatusCode::OK, h).into_response())
}

/// `Upload-Checksum: <algorithm> <base64 digest>`.
fn checksum(h: &HeaderMap) -> Result<Option<Checksum>, ApiError> {
    let Some(v) = h.get("upload-checksum") else {
        return Ok(None);
    };
    let bad = |why: &str| {
        ApiError(ServiceError::InvalidInput(format!(
            "Upload-Checksum: {why}"
        )))
    };
    let text = v.to_str().map_err(|_| bad("not ASCII"))?;
    let (alg, digest) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("expected `<algorithm> <base64 digest>`"))?;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(digest.trim())
        .map_err(|_| bad("the digest is not base64"))?;
    match alg.to_ascii_lowercase().as_str() {
        "sha1" => Ok(Some(Checksum::Sha1(digest))),
        "sha256" => Ok(Some(Checksum::Sha256(digest))),
        _ => Err(bad("supported algorithms are sha1 and sha256")),
    }
}

/// `PATCH /api/v1/uploads/{id}`: appends the body at `Upload-Offset`.
async fn append(
    State(st): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    if !is_offset_stream(&parts.headers) {
        return Err(ServiceError::UnsupportedMediaType(format!(
            "a PATCH body must be sent as Content-Type: {OFFSET_STREAM}"
        ))
        .into());
    }
    let offset = number_header(&parts.headers, "upload-offset")?
        .ok_or_else(|| ServiceError::InvalidInput("Upload-Offset is required".into()))?;
    let checksum = checksum(&parts.headers)?;
    let content_length = number_header(&parts.headers, "content-length")?;
    let out = run_patch(&st, who, id, offset, checksum, content_length, body).await?;
    let mut h = HeaderMap::new();
    progress_headers(&mut h, &out);
    Ok((StatusCode::NO_CONTENT, h).into_response())
}

/// `DELETE /api/v1/uploads/{id}`: ends the upload and removes its bytes.
async fn terminate(
    State(st): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    st.svc.terminate_upload(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs() {
        let m = parse_metadata("filename 5Zuz6Z2iLnBkZg==,parent Lw==,empty").unwrap();
        assert_eq!(m[0], ("filename".into(), "図面.pdf".into()));
        assert_eq!(m[1], ("parent".into(), "/".into()));
        assert_eq!(m[2], ("empty".into(), String::new()));
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        assert!(parse_metadata("a !!").is_err());
    }
}
