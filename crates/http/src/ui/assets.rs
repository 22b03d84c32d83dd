//! The browser files (web/static), compiled into the binary and served under
//! `/static/<version>/...`, where the version is a hash of them all: a page
//! always asks for the files it was made with, so they can be cached for a year.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One embedded file.
struct Asset {
    path: &'static str,
    bytes: &'static [u8],
    mime: &'static str,
}

macro_rules! asset {
    ($path:literal, $mime:expr) => {
        Asset {
            path: $path,
            bytes: include_bytes!(concat!("../../../../web/static/", $path)),
            mime: $mime,
        }
    };
}

macro_rules! js {
    () => {
        "text/javascript; charset=utf-8"
    };
}

static ASSETS: &[Asset] = &[
    asset!("css/kura.css", "text/css; charset=utf-8"),
    asset!("icons.svg", "image/svg+xml"),
    asset!("js/app.js", js!()),
    asset!("js/api.js", js!()),
    asset!("js/i18n.js", js!()),
    asset!("js/dialogs.js", js!()),
    asset!("js/explorer.js", js!()),
    asset!("js/selection.js", js!()),
    asset!("js/tree.js", js!()),
    asset!("js/upload.js", js!()),
    asset!("js/tus.js", js!()),
    asset!("js/upload-panel.js", js!()),
    asset!("js/trash.js", js!()),
    asset!("js/attrs.js", js!()),
    asset!("js/attr-panel.js", js!()),
    asset!("js/bulk-edit.js", js!()),
    asset!("js/schema-editor.js", js!()),
    asset!("js/search.js", js!()),
    asset!("js/preview.js", js!()),
    asset!("js/thumbs.js", js!()),
    asset!("js/admin-forms.js", js!()),
    asset!("js/account.js", js!()),
    asset!("vendor/htmx-2.0.11/htmx.min.js", js!()),
    asset!("vendor/htmx-2.0.11/LICENSE", "text/plain; charset=utf-8"),
];

/// A hash of every embedded file (12 hex digits).
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for a in ASSETS {
        h.update(a.path.as_bytes());
        h.update([0]);
        h.update(a.bytes);
    }
    let d = h.finalize();
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
});

/// The URL of an embedded file.
pub fn url(path: &str) -> String {
    format!("/static/{}/{path}", VERSION.as_str())
}

/// `GET /static/{version}/{*path}`: long-cached when the version is current;
/// an old version's page still gets today's file, uncached.
pub async fn serve(Path((version, path)): Path<(String, String)>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.path == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if version == *VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = a.bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_static_file_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/static");
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let rel = p
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                assert!(
                    super::ASSETS.iter().any(|a| a.path == rel),
                    "{rel} is in web/static but not embedded"
                );
            }
        }
        assert_eq!(super::VERSION.len(), 12);
    }
}
