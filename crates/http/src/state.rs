//! Shared state of every handler.

use ipnet::IpNet;
use kura_service::Service;
use std::net::IpAddr;
use std::sync::Arc;

/// HTTP-level settings.
#[derive(Debug, Clone, Default)]
pub struct HttpConfig {
    /// Peers whose X-Forwarded-For / X-Forwarded-Proto / Forwarded headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Force the Secure cookie flag even on plain http (e.g. TLS terminated by an untrusted hop).
    pub force_secure_cookies: bool,
    /// The header in which a trusted proxy passes the client certificate
    /// (URL-escaped PEM); `None`: `X-Client-Cert`.
    pub client_cert_header: Option<axum::http::HeaderName>,
    /// The URL browsers reach Kura at (scheme, host, port, no trailing
    /// slash); single sign-on's callback URL is built from it.
    pub public_url: String,
}

impl HttpConfig {
    /// True if `ip` is a configured trusted proxy.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }

    /// The single sign-on callback URL to register at identity providers.
    pub fn sso_redirect_uri(&self) -> String {
        format!(
            "{}/api/v1/sso/callback",
            self.public_url.trim_end_matches('/')
        )
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub svc: Service,
    pub cfg: Arc<HttpConfig>,
}

impl AppState {
    /// Builds the state.
    pub fn new(svc: Service, cfg: HttpConfig) -> Self {
        Self {
            svc,
            cfg: Arc::new(cfg),
        }
    }
}
