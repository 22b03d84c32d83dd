//! One-time passcodes: the second sign-in step, enrolment, recovery codes,
//! and an admin's reset.

use super::session::session_response;
use crate::error::ApiError;
use crate::extract::{
    ApiJson, ApiPath, Caller, ClientIp, SESSION_COOKIE, cookie, is_https, user_agent,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use kura_service::{OtpCaller, ServiceError};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// A 6-digit passcode, or a recovery code.
    code: String,
}

/// The request split into what the handlers need.
struct Ctx {
    parts: axum::http::request::Parts,
    ip: Option<String>,
    ua: Option<String>,
    secure: bool,
}

async fn ctx(st: &AppState, req: Request) -> Result<(Ctx, axum::body::Body), ApiError> {
    let (mut parts, body) = req.into_parts();
    let ip = ClientIp::from_request_parts(&mut parts, st)
        .await?
        .as_string();
    let ua = user_agent(&parts);
    let secure = is_https(&parts, st);
    Ok((
        Ctx {
            parts,
            ip,
            ua,
            secure,
        },
        body,
    ))
}

async fn code_body(st: &AppState, c: &Ctx, body: axum::body::Body) -> Result<String, ApiError> {
    let req = Request::from_parts(c.parts.clone(), body);
    let ApiJson(b) = ApiJson::<CodeBody>::from_request(req, st).await?;
    Ok(b.code)
}

/// The session cookie's secret, if any.
fn session_secret(c: &Ctx) -> Result<String, ApiError> {
    cookie(&c.parts, SESSION_COOKIE)
        .map(str::to_string)
        .ok_or_else(|| ServiceError::Unauthenticated.into())
}

/// The caller of an enrolment step (full session or a half one that must
/// enrol), with its CSRF token checked.
async fn otp_caller(st: &AppState, c: &Ctx) -> Result<(OtpCaller, String), ApiError> {
    if c.parts
        .headers
        .contains_key(axum::http::header::AUTHORIZATION)
    {
        return Err(ServiceError::Forbidden(
            "one-time passcodes are set up in a browser session, not with a token".into(),
        )
        .into());
    }
    let secret = session_secret(c)?;
    let who = st.svc.otp_caller(&secret, c.ip.as_deref()).await?;
    if c.parts.method != Method::GET {
        let presented = c
            .parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        who.check_csrf(presented)?;
    }
    Ok((who, secret))
}

/// `POST /api/v1/session/otp`: completes a half-signed-in session.
pub async fn complete(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (c, body) = ctx(&st, req).await?;
    let secret = session_secret(&c)?;
    let code = code_body(&st, &c, body).await?;
    let s = st
        .svc
        .complete_otp(&secret, &code, c.ip.as_deref(), c.ua.as_deref())
        .await?;
    Ok(session_response(&st, &s, c.secure, serde_json::Map::new()))
}

/// `POST /api/v1/me/otp`: starts enrolment.
pub async fn start(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (c, _) = ctx(&st, req).await?;
    let (who, _) = otp_caller(&st, &c).await?;
    let e = st.svc.start_otp_enrolment(&who, c.ua.as_deref()).await?;
    let mut res = Json(e).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// `POST /api/v1/me/otp/confirm`: turns OTP on with a first code; answers
/// the recovery codes and a new session (cookie and CSRF token).
pub async fn confirm(State(st): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (c, body) = ctx(&st, req).await?;
    let (who, _) = otp_caller(&st, &c).await?;
    let code = code_body(&st, &c, body).await?;
    let (codes, s) = st
        .svc
        .confirm_otp_enrolment(&who, &code, c.ua.as_deref())
        .await?;
    let mut extra = serde_json::Map::new();
    extra.insert("recovery_codes".into(), json!(codes));
    Ok(session_response(&st, &s, c.secure, extra))
}

/// `GET /api/v1/me/otp`: whether OTP is on, and recovery codes left.
pub async fn status(State(st): State<AppState>, Caller(who): Caller) -> Result<Response, ApiError> {
    let left = if who.user.otp_enabled {
        st.svc.recovery_codes_left(&who).await?
    } else {
        0
    };
    Ok(Json(json!({
        "enabled": who.user.otp_enabled,
        "required": who.tenant.otp_required,
        "recovery_codes_left": left,
    }))
    .into_response())
}

/// `DELETE /api/v1/me/otp` with `{"code"}`: turns OTP off.
pub async fn disable(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<Response, ApiError> {
    st.svc.disable_own_otp(&who, &b.code).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/me/otp/recovery-codes`: ten new codes replace the old.
pub async fn renew_codes(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    let codes = st.svc.new_recovery_codes(&who).await?;
    let mut res = Json(json!({ "recovery_codes": codes })).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// `DELETE /api/v1/users/{id}/otp`: a tenant admin resets a user's OTP.
pub async fn reset_user(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    st.svc.reset_user_otp(&who, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
