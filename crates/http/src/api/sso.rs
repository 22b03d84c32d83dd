//! Single sign-on: the tenant's provider settings (`/api/v1/tenant/sso`,
//! `/api/v1/tenants/{code}/sso`) and the browser flow (`/api/v1/sso/...`).

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, ClientIp, cookie, is_https, user_agent};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_service::{SSO_PENDING_MS, SsoCallback, SsoConfigChange, SsoConfigView};
use serde::Deserialize;
use serde_json::json;

/// The cookie binding a started sign-in to the browser that started it.
const SSO_COOKIE: &str = "kura_sso";
/// The only path the binding cookie is sent to.
const CALLBACK_PATH: &str = "/api/v1/sso/callback";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoBody {
    issuer: String,
    client_id: String,
    /// Absent: keep the stored secret.
    client_secret: Option<String>,
    match_claim: Option<String>,
    /// Absent or null: no just-in-time creation.
    jit_role: Option<String>,
    label: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ConfirmQuery {
    #[serde(default)]
    confirm: bool,
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    return_to: Option<String>,
}

/// The provider's answer; providers add more parameters, which are ignored.
#[derive(Deserialize, Default)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

fn shown(st: &AppState, v: SsoConfigView) -> Response {
    Json(json!({
        "tenant": v.tenant,
        "issuer": v.issuer,
        "client_id": v.client_id,
        "client_secret_set": true,
        "match_claim": v.match_claim,
        "jit_role": v.jit_role,
        "label": v.label,
        "redirect_uri": st.cfg.sso_redirect_uri(),
        "updated": kura_core::clock::rfc3339(v.updated_at),
    }))
    .into_response()
}

fn change(b: SsoBody) -> SsoConfigChange {
    SsoConfigChange {
        issuer: b.issuer,
        client_id: b.client_id,
        client_secret: b.client_secret,
        match_claim: b.match_claim,
        jit_role: b.jit_role,
        label: b.label,
    }
}

/// `GET /api/v1/tenant/sso` (tenant admins).
pub async fn get_own(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    let v = st.svc.sso_config(&who, None).await?;
    Ok(shown(&st, v))
}

/// `PUT /api/v1/tenant/sso`: checks the issuer by discovery before saving.
pub async fn put_own(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<SsoBody>,
) -> Result<Response, ApiError> {
    let v = st.svc.set_sso_config(&who, None, change(b)).await?;
    Ok(shown(&st, v))
}

/// `DELETE /api/v1/tenant/sso[?confirm=true]`
pub async fn delete_own(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
) -> Result<Response, ApiError> {
    st.svc.delete_sso_config(&who, None, q.confirm).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/tenants/{code}/sso` (operator).
pub async fn get_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    let v = st.svc.sso_config(&who, Some(&code)).await?;
    Ok(shown(&st, v))
}

/// `PUT /api/v1/tenants/{code}/sso` (operator).
pub async fn put_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<SsoBody>,
) -> Result<Response, ApiError> {
    let v = st.svc.set_sso_config(&who, Some(&code), change(b)).await?;
    Ok(shown(&st, v))
}

/// `DELETE /api/v1/tenants/{code}/sso[?confirm=true]` (operator).
pub async fn delete_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
) -> Result<Response, ApiError> {
    st.svc
        .delete_sso_config(&who, Some(&code), q.confirm)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/sso/{tenant}`: whether the tenant offers SSO (no sign-in
/// needed; for the login page's button).
pub async fn option(
    State(st): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
) -> Result<Response, ApiError> {
    let o = st.svc.sso_option(&tenant).await?;
    let login_url = format!("/api/v1/sso/{}/login", o.tenant);
    Ok(
        Json(json!({ "tenant": o.tenant, "label": o.label, "login_url": login_url }))
            .into_response(),
    )
}

fn binding_cookie(value: &str, max_age_s: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    // Lax, not Strict: the provider's redirect back is a cross-site
    // top-level navigation, which must carry it.
    HeaderValue::from_str(&format!(
        "{SSO_COOKIE}={value}; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}"
    ))
    .ok()
}

fn no_store(res: &mut Response) {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// `GET /api/v1/sso/{tenant}/login[?return_to=/path]`: 302 to the provider.
pub async fn login(
    State(st): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
    ApiQuery(q): ApiQuery<StartQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let secure = is_https(&req.into_parts().0, &st);
    let started = st
        .svc
        .sso_start(&tenant, q.return_to.as_deref(), &st.cfg.sso_redirect_uri())
        .await?;
    let location = HeaderValue::from_str(&started.authorize_url).map_err(|_| {
        kura_service::ServiceError::SsoProviderUnavailable(
            "the provider's authorization URL is not usable".into(),
        )
    })?;
    let mut res = StatusCode::FOUND.into_response();
    res.headers_mut().insert(header::LOCATION, location);
    if let Some(c) = binding_cookie(&started.browser_secret, SSO_PENDING_MS / 1000, secure) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    no_store(&mut res);
    Ok(res)
}

/// `GET /api/v1/sso/callback?code&state`: the provider's redirect back. On
/// success a session cookie and 303 to the page the sign-in started from;
/// otherwise a problem. The binding cookie is cleared either way.
pub async fn callback(State(st): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let secure = is_https(&parts, &st);
    let ip = ClientIp::from_parts(&parts, &st).as_string();
    let ua = user_agent(&parts);
    let q: CallbackQuery = axum::extract::Query::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let cb = SsoCallback {
        state: q.state.as_deref(),
        code: q.code.as_deref(),
        error: q.error.as_deref(),
        iss: q.iss.as_deref(),
        browser_secret: cookie(&parts, SSO_COOKIE),
    };
    let done = st
        .svc
        .sso_finish(cb, &st.cfg.sso_redirect_uri(), ip.as_deref(), ua.as_deref())
        .await;
    let mut res = match done {
        Ok(done) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            // Always a local path (checked when the sign-in started).
            if let Ok(v) = HeaderValue::from_str(&done.return_to) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            super::session::set_session_cookie(&mut res, &st, &done.session, secure);
            res
        }
        Err(e) => ApiError(e).into_response(),
    };
    if let Some(c) = binding_cookie("", 0, secure) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    no_store(&mut res);
    res
}
