//! Extractors: the authenticated caller, the client address, JSON and query
//! bodies whose rejections become problem+json, and tenant paths.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, Uri, header};
use kura_core::NodePath;
use kura_service::{Identity, ServiceError};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "kura_session";

/// The client's address: the socket peer, or what a trusted proxy reports.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    pub fn from_parts(parts: &Parts, state: &AppState) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let Some(peer) = peer else { return Self(None) };
        if !state.cfg.is_trusted_proxy(peer) {
            return Self(Some(peer));
        }
        // Walk X-Forwarded-For (or, without it, RFC 7239 Forwarded `for=`)
        // from the right, skipping our own proxies.
        let mut hops: Vec<IpAddr> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        if hops.is_empty() {
            hops = parts
                .headers
                .get_all(header::FORWARDED)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(forwarded_for)
                .collect();
        }
        while let Some(ip) = hops.pop() {
            if !state.cfg.is_trusted_proxy(ip) {
                return Self(Some(ip));
            }
        }
        Self(Some(peer))
    }

    pub fn as_string(&self) -> Option<String> {
        self.0.map(|i| i.to_string())
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self::from_parts(parts, state))
    }
}

/// The address of one `Forwarded` element's `for=` (quotes, brackets and
/// port removed); `None` for obfuscated or unknown nodes.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let v = element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
    })?;
    let v = v.trim_matches('"');
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.parse()
        .ok()
        .or_else(|| v.rsplit_once(':').and_then(|(h, _)| h.parse().ok()))
}

/// True if the client reached us over HTTPS (directly or via a trusted proxy).
pub fn is_https(parts: &Parts, state: &AppState) -> bool {
    if state.cfg.force_secure_cookies || parts.uri.scheme_str() == Some("https") {
        return true;
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if !peer.is_some_and(|p| state.cfg.is_trusted_proxy(p)) {
        return false;
    }
    let xfp = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let fwd = parts
        .headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    xfp || fwd
}

/// Value of a cookie in the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The authenticated caller. Bearer tokens win over cookies; a cookie-based
/// caller must send the CSRF token on every state-changing request. The
/// service checks the tenant's IP allowlist and client-certificate rule on
/// every request, so the request's address and certificate go along.
pub struct Caller(pub Identity);

/// Whether a request only reads: the safe methods, and searches (a POST
/// only because the query is structured JSON). Read-only app passwords may
/// make these.
fn reads_only(parts: &Parts) -> bool {
    matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        || (parts.method == Method::POST && parts.uri.path() == "/api/v1/search")
}

/// `Authorization: Basic base64(user:password)` decoded, if that is what it is.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    use base64::Engine;
    let (scheme, value) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The User-Agent header, cut to a length worth storing in the audit log.
pub(crate) fn user_agent(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect::<String>())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = ClientIp::from_parts(parts, state).as_string();
        let ua = user_agent(parts);
        let cert = crate::client_cert::presented(parts, state);
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let auth = auth.to_str().map_err(|_| ServiceError::Unauthenticated)?;
            if let Some((user, password)) = basic_credentials(auth) {
                let who = state
                    .svc
                    .authenticate_app_password(
                        &user,
                        &password,
                        ip.as_deref(),
                        ua.as_deref(),
                        cert.as_ref(),
                    )
                    .await?;
                who.check_scope(reads_only(parts))?;
                return Ok(Self(who));
            }
            let token = auth
                .strip_prefix("Bearer ")
                .or_else(|| auth.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or(ServiceError::Unauthenticated)?;
            let who = state
                .svc
                .authenticate_token(token, ip.as_deref(), ua.as_deref(), cert.as_ref())
                .await?;
            who.check_scope(reads_only(parts))?;
            return Ok(Self(who));
        }
        let Some(secret) = cookie(parts, SESSION_COOKIE) else {
            return Err(ServiceError::Unauthenticated.into());
        };
        let who = state
            .svc
            .authenticate_session(secret, ip.as_deref(), ua.as_deref(), cert.as_ref())
            .await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let presented = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            who.check_csrf(presented)?;
        }
        Ok(Self(who))
    }
}

/// JSON body whose rejections are problem+json.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(e) => Err(ServiceError::InvalidInput(format!(
                "the JSON body is not valid: {}",
                e.body_text()
            ))
            .into()),
        }
    }
}

/// Query string whose rejections are problem+json.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(e) => Err(ServiceError::InvalidInput(format!(
                "the query string is not valid: {}",
                e.body_text()
            ))
            .into()),
        }
    }
}

/// The tenant path after `prefix` in the raw (still percent-encoded) URL path,
/// so that an encoded slash can never act as a separator.
pub fn tree_path(uri: &Uri, prefix: &str) -> Result<NodePath, ApiError> {
    let raw = uri.path();
    let rest = raw.strip_prefix(prefix).unwrap_or("");
    Ok(NodePath::parse_url_encoded(rest)?)
}

/// Path parameters whose rejections are problem+json.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            Err(e) => Err(ServiceError::InvalidInput(format!(
                "the URL is not valid: {}",
                e.body_text()
            ))
            .into()),
        }
    }
}

/// For optional JSON fields where `null` means something (clear, reset):
/// absent is `None` (use with `#[serde(default)]`), `null` is `Some(None)`.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Some(<Option<T> as serde::Deserialize>::deserialize(d)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn forwarded_for_values() {
        let f = super::forwarded_for;
        assert_eq!(
            f("for=192.0.2.60;proto=http"),
            Some("192.0.2.60".parse().unwrap())
        );
        assert_eq!(
            f(" for=\"[2001:db8:cafe::17]:4711\""),
            Some("2001:db8:cafe::17".parse().unwrap())
        );
        assert_eq!(
            f("proto=https;For=198.51.100.1:8080"),
            Some("198.51.100.1".parse().unwrap())
        );
        assert_eq!(f("for=_hidden"), None);
        assert_eq!(f("for=unknown"), None);
        assert_eq!(f("by=203.0.113.43"), None);
    }
}
