//! Kura's HTTP surface: the REST API and the web UI (and later WebDAV), kept
//! thin over the service layer. One error mapping, one authentication
//! extractor, one set of security headers.

pub(crate) mod api;
mod client_cert;
mod error;
mod extract;
mod headers;
mod state;
mod tls;
mod tls_serve;
mod ui;

pub use client_cert::{DEFAULT_CLIENT_CERT_HEADER, PeerCertificates};
pub use error::ApiError;
pub use state::{AppState, HttpConfig};
pub use tls::TlsConfig;

use axum::Router;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    api::routes()
        .merge(ui::routes())
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// The router with the layers every connection gets (tracing, request ids).
fn app(state: AppState) -> Router {
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    router(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Serves the application on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish. Accepted sockets get TCP_NODELAY: without it,
/// small responses on kept-alive connections stall on Nagle's algorithm.
pub async fn serve<F>(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    use axum::serve::ListenerExt;
    let app = app(state);
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// As `serve`, over TLS: HTTP/2 and HTTP/1.1 by ALPN, and each request
/// carries the client certificate of its connection (if the client sent one).
pub async fn serve_tls<F>(
    listener: tokio::net::TcpListener,
    tls: TlsConfig,
    state: AppState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    tls_serve::serve_tls(listener, tls, app(state), shutdown).await
}
