//! The client certificate a request came with: from our own TLS connection,
//! or, behind a TLS-terminating proxy, from the header that proxy sets
//! (nginx `$ssl_client_escaped_cert`: the URL-escaped PEM). The header counts
//! only when the direct peer is a configured trusted proxy; from anyone else
//! it is ignored, so it cannot be forged.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use kura_service::ClientCert;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::net::SocketAddr;
use std::sync::Arc;

/// The default header a trusted proxy puts the client certificate in.
pub const DEFAULT_CLIENT_CERT_HEADER: &str = "x-client-cert";

/// The peer's certificate chain on a TLS connection (end-entity first, DER);
/// set by the TLS accept loop on every request of the connection.
#[derive(Debug, Clone)]
pub struct PeerCertificates(pub Arc<Vec<Vec<u8>>>);

/// The certificate the request presented, if any.
pub fn presented(parts: &Parts, state: &AppState) -> Option<ClientCert> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if peer.is_some_and(|p| state.cfg.is_trusted_proxy(p)) {
        // A proxy's own certificate (if it sends one to us) is not the
        // client's: behind a proxy, only its header speaks for the client.
        return from_header(parts, state);
    }
    parts
        .extensions
        .get::<PeerCertificates>()
        .filter(|c| !c.0.is_empty())
        .map(|c| ClientCert {
            chain: c.0.as_ref().clone(),
        })
}

fn from_header(parts: &Parts, state: &AppState) -> Option<ClientCert> {
    let name = state
        .cfg
        .client_cert_header
        .as_ref()
        .map_or(DEFAULT_CLIENT_CERT_HEADER, |h| h.as_str());
    let raw = parts.headers.get(name)?.to_str().ok()?.trim();
    // nginx sends an empty value (or "-" in some set-ups) when there is none.
    if raw.is_empty() || raw == "-" {
        return None;
    }
    let pem = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    let chain = pem_certs(&pem);
    // Unreadable is treated as absent; the rule then refuses as usual.
    (!chain.is_empty()).then_some(ClientCert { chain })
}

/// Every readable certificate in a PEM text, in order.
fn pem_certs(pem: &str) -> Vec<Vec<u8>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .map_while(Result::ok)
        .map(|c| c.as_ref().to_vec())
        .collect()
}

/// Extractor: the certificate the request presented.
pub struct Presented(pub Option<ClientCert>);

impl FromRequestParts<AppState> for Presented {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(presented(parts, state)))
    }
}
