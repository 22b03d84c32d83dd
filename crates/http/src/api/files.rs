//! `/api/v1/files/{path}`: upload (PUT), download (GET/HEAD), delete to trash.

use super::json;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, tree_path};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_core::{Node, NodeKind};
use kura_service::{PutOptions, ServiceError};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use std::ops::Range;
use std::time::{Duration, UNIX_EPOCH};

pub const PREFIX: &str = "/api/v1/files";

#[derive(Deserialize, Default)]
pub struct PutQuery {
    #[serde(default)]
    parents: bool,
}

#[derive(Deserialize, Default)]
pub struct GetQuery {
    version: Option<i64>,
    /// `inline=true` asks the browser to show rather than save.
    #[serde(default)]
    inline: bool,
    /// `meta=true` answers the item's metadata and attributes as JSON.
    #[serde(default)]
    meta: bool,
}

fn etag_header(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// Strips quotes and a weak prefix from an entity tag as sent by a client.
fn bare_etag(v: &str) -> &str {
    let v = v.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.trim_matches('"')
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `X-Kura-Attributes`: a JSON object of attribute key to value, UTF-8, sent
/// percent-encoded when it has non-ASCII characters (header values are ASCII).
fn attributes_header(
    v: &HeaderValue,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let bad = |why: &str| {
        ServiceError::InvalidInput(format!(
            "X-Kura-Attributes must be a JSON object (UTF-8, percent-encoded if not ASCII): {why}"
        ))
    };
    let raw = v.to_str().map_err(|_| bad("not ASCII"))?;
    let text = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| bad("not UTF-8"))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("not an object").into()),
        Err(e) => Err(bad(&e.to_string()).into()),
    }
}

/// `PUT /api/v1/files/{path}`: the body is the content, streamed to storage.
pub async fn put(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<PutQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let path = tree_path(req.uri(), PREFIX)?;
    let h = req.headers();
    let content_length = match h.get(header::CONTENT_LENGTH) {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ServiceError::InvalidInput("Content-Length is not a number".into())
                })?,
        ),
        None => None,
    };
    let if_none_match_any = header_str(h, header::IF_NONE_MATCH).is_some_and(|v| v.trim() == "*");
    if header_str(h, header::IF_NONE_MATCH).is_some_and(|v| v.trim() != "*") {
        return Err(ServiceError::InvalidInput(
            "only If-None-Match: * is supported on uploads".into(),
        )
        .into());
    }
    // RFC 9110 13.1.1: If-Match uses the strong comparison, so a weak tag
    // never matches; of a list, the one that names the current etag counts.
    let if_match = header_str(h, header::IF_MATCH).map(|v| {
        if v.trim() == "*" {
            return "*".to_string();
        }
        let strong: Vec<&str> = v
            .split(',')
            .map(str::trim)
            .filter(|t| !t.starts_with("W/"))
            .map(|t| t.trim_matches('"'))
            .collect();
        match strong.as_slice() {
            [one] => (*one).to_string(),
            // Several candidates: resolved against the current etag below.
            _ => strong.join(","),
        }
    });
    let attributes = match h.get("x-kura-attributes") {
        Some(v) => Some(attributes_header(v)?),
        None => None,
    };
    let opts = PutOptions {
        parents: q.parents,
        if_none_match_any,
        if_match,
        content_length,
        attributes,
    };
    let body = req.into_body().into_data_stream();
    let out = st.svc.put_file(&who, &path, body, opts).await?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    // The path as stored: the name keeps the case of the first upload.
    let stored = match path.split_last() {
        Some((parent, _)) => json::join(&parent.to_string(), &out.node.name),
        None => path.to_string(),
    };
    let mut res = (status, Json(json::node(&out.node, &stored))).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag_header(&out.node.etag)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

/// `DELETE /api/v1/files/{path}` (and folders): moves to the trash.
pub async fn delete(
    State(st): State<AppState>,
    Caller(who): Caller,
    req: Request,
) -> Result<Response, ApiError> {
    let prefix = if req.uri().path().starts_with(super::folders::PREFIX) {
        super::folders::PREFIX
    } else {
        PREFIX
    };
    let path = tree_path(req.uri(), prefix)?;
    let expect = if prefix == PREFIX {
        NodeKind::File
    } else {
        NodeKind::Folder
    };
    let n = st.svc.delete(&who, &path, Some(expect)).await?;
    Ok(
        Json(serde_json::json!({ "trash_id": n.id, "item": json::node(&n, &path.to_string()) }))
            .into_response(),
    )
}

/// `GET`/`HEAD /api/v1/files/{path}`: download with ranges and conditional requests.
pub async fn get(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<GetQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let path = tree_path(req.uri(), PREFIX)?;
    if q.meta {
        return super::file_meta::meta(&st, &who, &path).await;
    }
    let (node, version) = st.svc.file_at(&who, &path, q.version).await?;
    // HEAD too: a quarantined file answers the same to both.
    kura_service::refuse_quarantined(&path.to_string(), &version)?;
    let h = req.headers();
    let size = u64::try_from(version.size).unwrap_or_default();
    // An old version was last modified when it was stored.
    let stamp = if q.version.is_some() {
        version.created_at
    } else {
        node.modified_at
    };
    let modified = UNIX_EPOCH + Duration::from_millis(u64::try_from(stamp).unwrap_or_default());
    let etag = etag_header(&version.etag);
    let mut headers = HeaderMap::new();
    let set = |hm: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            hm.insert(k, v);
        }
    };
    set(&mut headers, header::ETAG, &etag);
    set(
        &mut headers,
        header::LAST_MODIFIED,
        &httpdate::fmt_http_date(modified),
    );
    set(&mut headers, header::ACCEPT_RANGES, "bytes");
    set(&mut headers, header::CACHE_CONTROL, "private, no-cache");
    set(
        &mut headers,
        header::HeaderName::from_static("x-kura-scan-status"),
        version.scan_status.as_str(),
    );
    if not_modified(h, &version.etag, modified) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let range = requested_range(h, &version.etag, size)?;
    set(
        &mut headers,
        header::CONTENT_TYPE,
        node.content_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
    );
    set(
        &mut headers,
        header::CONTENT_DISPOSITION,
        &content_disposition(&node, q.inline),
    );
    // The preview frames a PDF shown inline in Kura's own page. Only PDFs:
    // the browser's PDF viewer does not run in a sandboxed document, and no
    // other type (HTML above all) may be rendered unsandboxed on this origin.
    if q.inline && node.content_type.as_deref() == Some("application/pdf") {
        set(
            &mut headers,
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'self'",
        );
        set(&mut headers, header::X_FRAME_OPTIONS, "SAMEORIGIN");
    }
    let (status, len) = match &range {
        Some(r) => {
            set(
                &mut headers,
                header::CONTENT_RANGE,
                &format!("bytes {}-{}/{size}", r.start, r.end - 1),
            );
            (StatusCode::PARTIAL_CONTENT, r.end - r.start)
        }
        None => (StatusCode::OK, size),
    };
    set(&mut headers, header::CONTENT_LENGTH, &len.to_string());
    if req.method() == Method::HEAD {
        return Ok((status, headers).into_response());
    }
    let vid = version.id;
    let dl = st.svc.open_version(node, version, range).await?;
    st.svc.audit_download(&who, &path, vid).await;
    Ok((status, headers, Body::from_stream(dl.body)).into_response())
}

/// RFC 9110 13.1.2-3: If-None-Match wins; If-Modified-Since only without it.
fn not_modified(h: &HeaderMap, etag: &str, modified: std::time::SystemTime) -> bool {
    if let Some(inm) = header_str(h, header::IF_NONE_MATCH) {
        return inm
            .split(',')
            .any(|t| t.trim() == "*" || bare_etag(t) == etag);
    }
    if let Some(ims) =
        header_str(h, header::IF_MODIFIED_SINCE).and_then(|v| httpdate::parse_http_date(v).ok())
    {
        // HTTP dates have whole seconds.
        let m = modified
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let i = ims
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        return m <= i;
    }
    false
}

/// The single byte range asked for, if any and if it applies. Multiple ranges
/// and malformed headers are ignored (the whole file is sent), as RFC 9110 allows.
fn requested_range(h: &HeaderMap, etag: &str, size: u64) -> Result<Option<Range<u64>>, ApiError> {
    let Some(spec) = header_str(h, header::RANGE) else {
        return Ok(None);
    };
    if let Some(ir) = header_str(h, header::IF_RANGE)
        && (bare_etag(ir) != etag || ir.trim().starts_with("W/"))
    {
        return Ok(None);
    }
    let Some(spec) = spec.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let unsatisfiable = || ApiError(ServiceError::RangeNotSatisfiable(size));
    let range = if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 || size == 0 {
            return Err(unsatisfiable());
        }
        size.saturating_sub(n)..size
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return Ok(None);
        };
        let end = if b.is_empty() {
            size
        } else {
            let Ok(last) = b.parse::<u64>() else {
                return Ok(None);
            };
            if last < start {
                return Ok(None);
            }
            last.saturating_add(1).min(size)
        };
        if start >= size {
            return Err(unsatisfiable());
        }
        start..end
    };
    Ok(Some(range))
}

/// RFC 6266 with an RFC 8187 `filename*` so non-ASCII names survive, and an
/// ASCII fallback for old clients.
fn content_disposition(node: &Node, inline: bool) -> String {
    disposition(&node.name, inline)
}

/// RFC 6266 Content-Disposition for a file name (see `content_disposition`).
pub(crate) fn disposition(name: &str, inline: bool) -> String {
    const ATTR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn ranges() {
        let r = |v: &str| requested_range(&hm(&[("range", v)]), "e", 100);
        assert_eq!(r("bytes=0-9").unwrap(), Some(0..10));
        assert_eq!(r("bytes=90-").unwrap(), Some(90..100));
        assert_eq!(r("bytes=-10").unwrap(), Some(90..100));
        assert_eq!(r("bytes=95-200").unwrap(), Some(95..100));
        assert!(r("bytes=100-").is_err());
        assert!(r("bytes=-0").is_err());
        assert_eq!(r("bytes=0-1,5-6").unwrap(), None);
        assert_eq!(r("items=0-1").unwrap(), None);
        assert_eq!(r("bytes=5-2").unwrap(), None);
        let stale = requested_range(
            &hm(&[("range", "bytes=0-1"), ("if-range", "\"other\"")]),
            "e",
            100,
        );
        assert_eq!(stale.unwrap(), None);
    }

    #[test]
    fn disposition_keeps_japanese_names() {
        let mut n = Node {
            id: 1,
            tenant_id: 1,
            parent_id: Some(1),
            kind: kura_core::NodeKind::File,
            name: "図面 A.pdf".into(),
            size: 1,
            current_version_id: None,
            etag: "e".into(),
            content_type: None,
            created_at: 0,
            modified_at: 0,
            modified_by: None,
            trashed_at: None,
            scan_status: None,
        };
        assert_eq!(
            content_disposition(&n, false),
            "attachment; filename=\"__ A.pdf\"; filename*=UTF-8''%E5%9B%B3%E9%9D%A2%20A.pdf"
        );
        n.name = "a\"b.txt".into();
        assert!(content_disposition(&n, true).starts_with("inline; filename=\"a_b.txt\""));
    }
}
