//! Login, logout and "who am I".

use crate::error::ApiError;
use crate::extract::{ApiJson, Caller, ClientIp, SESSION_COOKIE, is_https};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_core::clock::rfc3339;
use kura_service::AuthMethod;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct LoginBody {
    tenant: String,
    login: String,
    password: String,
    /// Replaces an expired password in the same request.
    new_password: Option<String>,
}

pub(crate) fn session_cookie(value: &str, max_age_s: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}"
    ))
    .ok()
}

/// `POST /api/v1/session`
pub async fn login(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    let ip = ClientIp::from_request_parts(&mut parts, &st).await?;
    let secure = is_https(&parts, &st);
    let ua = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect::<String>());
    let ApiJson(b): ApiJson<LoginBody> = <ApiJson<LoginBody> as axum::extract::FromRequest<
        AppState,
    >>::from_request(Request::from_parts(parts, body), &st)
    .await?;
    let s = st
        .svc
        .login(
            &b.tenant,
            &b.login,
            &b.password,
            b.new_password.as_deref(),
            ip.as_string().as_deref(),
            ua.as_deref(),
        )
        .await?;
    let mut res = Json(json!({
        "csrf_token": s.csrf_token,
        "expires": rfc3339(s.expires_at),
        "user": super::json::user(&s.identity.user),
        "tenant": { "code": s.identity.tenant.code, "name": s.identity.tenant.name },
    }))
    .into_response();
    set_session_cookie(&mut res, &st, &s, secure);
    Ok(res)
}

/// Sets the cookie of a session just opened (password or SSO sign-in).
pub(crate) fn set_session_cookie(
    res: &mut Response,
    st: &AppState,
    s: &kura_service::NewSession,
    secure: bool,
) {
    let max_age = ((s.expires_at - st.svc.now_ms()) / 1000).max(1);
    if let Some(c) = session_cookie(&s.secret, max_age, secure) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// `DELETE /api/v1/session`
pub async fn logout(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = req.into_parts();
    let secure = is_https(&parts, &st);
    let Caller(who) = Caller::from_request_parts(&mut parts, &st).await?;
    // A session opened by SSO is told where to end the provider's session too.
    let provider_logout = st.svc.sso_end_session_url(&who).await;
    if let AuthMethod::Session { .. } = who.method
        && let Some(secret) = crate::extract::cookie(&parts, SESSION_COOKIE)
    {
        st.svc.logout(secret).await?;
    }
    let mut res = match provider_logout {
        Some(url) => Json(json!({ "provider_logout_url": url })).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    if let Some(c) = session_cookie("", 0, secure) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// `GET /api/v1/me`
pub async fn me(Caller(who): Caller) -> Result<Response, ApiError> {
    let csrf = match &who.method {
        AuthMethod::Session { csrf_token } => Some(csrf_token.clone()),
        _ => None,
    };
    let mut res = Json(json!({
        "user": super::json::user(&who.user),
        "tenant": { "code": who.tenant.code, "name": who.tenant.name, "status": who.tenant.status },
        "auth": match who.method { AuthMethod::Session { .. } => "session", AuthMethod::Token { .. } => "token", AuthMethod::Cli => "cli" },
        "csrf_token": csrf,
    }))
    .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
