//! Serving over TLS: our own accept loop (tokio-rustls + hyper-util), so
//! each request can carry the connection's client certificates. Handshakes
//! run in per-connection tasks under a timeout, so a slow client never holds
//! up the others; HTTP/1.1 headers must arrive within a timeout too.

use crate::client_cert::PeerCertificates;
use crate::tls::TlsConfig;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// A client must finish the TLS handshake within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A client must send a request's headers within this (HTTP/1.1).
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` over TLS on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish.
pub(crate) async fn serve_tls<F>(
    listener: TcpListener,
    tls: TlsConfig,
    app: Router,
    shutdown: F,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let acceptor = TlsAcceptor::from(tls.0);
    // Connection tasks watch `stop_rx` to begin a graceful shutdown, and hold
    // `done_rx` clones so we know when the last one has finished.
    let (stop_tx, stop_rx) = watch::channel(());
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Usually out of file descriptors: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let acceptor = acceptor.clone();
        let app = app.clone();
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%remote, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%remote, "TLS handshake timed out");
                    return;
                }
            };
            let certs = stream.get_ref().1.peer_certificates().map(|c| {
                PeerCertificates(Arc::new(c.iter().map(|d| d.as_ref().to_vec()).collect()))
            });
            let svc =
                tower::ServiceExt::map_request(app, move |mut req: http::Request<Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(remote));
                    if let Some(c) = &certs {
                        req.extensions_mut().insert(c.clone());
                    }
                    req
                });
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let conn = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(svc),
            );
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                res = conn.as_mut() => {
                    if let Err(e) = res {
                        tracing::trace!(%remote, error = %e, "connection ended with an error");
                    }
                }
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    if let Err(e) = conn.await {
                        tracing::trace!(%remote, error = %e, "connection ended with an error");
                    }
                }
            }
            drop(done);
        });
    }
    drop(listener);
    drop(done_rx);
    stop_tx.send(()).ok();
    done_tx.closed().await;
    Ok(())
}
