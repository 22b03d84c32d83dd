//! Login, logout and "who am I".

use crate::error::ApiError;
use crate::extract::{ApiJson, Caller, ClientIp, SESSION_COOKIE, is_https, user_agent};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_core::clock::rfc3339;
use kura_service::{AuthMethod, NewSession, SessionStage};
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

fn session_cookie(value: &str, max_age_s: i64, secure: bool) -> Option<HeaderValue> {
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
    let cert = crate::client_cert::presented(&parts, &st);
    let ua = user_agent(&parts);
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
            cert.as_ref(),
        )
        .await?;
    Ok(session_response(&st, &s, secure, serde_json::Map::new()))
}

/// The answer to a sign-in step: the session cookie, and either the signed-in
/// user or `{"next": "otp" | "otp_enrol"}` for a half-signed-in session.
/// `extra` members are added (e.g. recovery codes).
pub(crate) fn session_response(
    st: &AppState,
    s: &NewSession,
    secure: bool,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Response {
    let mut body = match s.stage {
        SessionStage::Full => json!({
            "csrf_token": s.csrf_token,
            "expires": rfc3339(s.expires_at),
            "user": super::json::user(&s.identity.user),
            "tenant": { "code": s.identity.tenant.code, "name": s.identity.tenant.name },
        }),
        SessionStage::Otp | SessionStage::Enrol => json!({
            "next": if s.stage == SessionStage::Otp { "otp" } else { "otp_enrol" },
            "csrf_token": s.csrf_token,
            "expires": rfc3339(s.expires_at),
        }),
    };
    if let Some(obj) = body.as_object_mut() {
        obj.extend(extra);
    }
    let mut res = Json(body).into_response();
    set_session_cookie(&mut res, st, s, secure);
    res
}

/// Sets the cookie of a session just opened (password or SSO sign-in).
pub(crate) fn set_session_cookie(res: &mut Response, st: &AppState, s: &NewSession, secure: bool) {
    let max_age = ((s.expires_at - st.svc.now_ms()) / 1000).max(1);
    if let Some(c) = session_cookie(&s.secret, max_age, secure) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// `DELETE /api/v1/session`: also ends a half-signed-in session.
pub async fn logout(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = req.into_parts();
    let secure = is_https(&parts, &st);
    let mut provider_logout = None;
    match Caller::from_request_parts(&mut parts, &st).await {
        Ok(Caller(who)) => {
            // A session opened by SSO is told where to end the provider's session too.
            provider_logout = st.svc.sso_end_session_url(&who).await;
            if let AuthMethod::Session { .. } = who.method
                && let Some(secret) = crate::extract::cookie(&parts, SESSION_COOKIE)
            {
                st.svc.logout(secret).await?;
            }
        }
        Err(e) if matches!(e.0, kura_service::ServiceError::OtpRequired(_)) => {
            if let Some(secret) = crate::extract::cookie(&parts, SESSION_COOKIE) {
                st.svc.logout(secret).await?;
            }
        }
        Err(e) => return Err(e),
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
