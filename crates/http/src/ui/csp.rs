//! Headers of every web UI response: a Content-Security-Policy that allows
//! only our own scripts and styles (no inline script, no framing), and no
//! caching of pages (they carry CSRF tokens).

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The UI's policy.
pub const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; \
object-src 'none'; base-uri 'none'; form-action 'self'";

/// Sets the UI's CSP (the API's stricter one is the default elsewhere).
pub async fn ui_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    if !is_static && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
