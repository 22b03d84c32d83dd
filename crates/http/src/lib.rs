//! Kura's HTTP surface: the REST API (and later the web UI and WebDAV), kept
//! thin over the service layer. One error mapping, one authentication
//! extractor, one set of security headers.

mod api;
mod error;
mod extract;
mod headers;
mod state;

pub use error::ApiError;
pub use state::{AppState, HttpConfig};

use axum::Router;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    api::routes()
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}
