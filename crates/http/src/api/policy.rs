//! Authentication policy (`/api/v1/tenant/policy`, `/api/v1/tenants/{code}/policy`),
//! unlocking users, and password changes and resets.

use crate::client_cert::Presented;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    ip_allowlist: Option<Vec<String>>,
    admin_ip_allowlist: Option<Vec<String>>,
    password_min_length: Option<i64>,
    lockout_threshold: Option<i64>,
    lockout_minutes: Option<i64>,
    /// Absent: unchanged; null: no limit.
    #[serde(default, deserialize_with = "crate::extract::present")]
    password_max_age_days: Option<Option<i64>>,
    /// Absent: unchanged; null: the server's default.
    #[serde(default, deserialize_with = "crate::extract::present")]
    session_idle_minutes: Option<Option<i64>>,
    /// Absent: unchanged; null: the server's default.
    #[serde(default, deserialize_with = "crate::extract::present")]
    session_max_hours: Option<Option<i64>>,
    otp_required: Option<bool>,
    sso_only: Option<bool>,
    client_cert_required: Option<bool>,
}

#[derive(Deserialize, Default)]
pub struct ConfirmQuery {
    #[serde(default)]
    pub(crate) confirm: bool,
}

fn change(b: PolicyBody) -> kura_service::TenantPolicyChange {
    kura_service::TenantPolicyChange {
        ip_allowlist: b.ip_allowlist,
        admin_ip_allowlist: b.admin_ip_allowlist,
        password_min_length: b.password_min_length,
        lockout_threshold: b.lockout_threshold,
        lockout_minutes: b.lockout_minutes,
        password_max_age_days: b.password_max_age_days,
        session_idle_minutes: b.session_idle_minutes,
        session_max_hours: b.session_max_hours,
        otp_required: b.otp_required,
        sso_only: b.sso_only,
        client_cert_required: b.client_cert_required,
    }
}

/// `GET /api/v1/tenant/policy`: the caller's tenant (tenant admins).
pub async fn get_own(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.tenant_policy(&who, None).await?).into_response())
}

/// `PUT /api/v1/tenant/policy[?confirm=true]`
pub async fn put_own(
    State(st): State<AppState>,
    Caller(who): Caller,
    Presented(cert): Presented,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
    ApiJson(b): ApiJson<PolicyBody>,
) -> Result<Response, ApiError> {
    let p = st
        .svc
        .set_tenant_policy(&who, None, change(b), q.confirm, cert.as_ref())
        .await?;
    Ok(Json(p).into_response())
}

/// `GET /api/v1/tenants/{code}/policy` (operator).
pub async fn get_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.tenant_policy(&who, Some(&code)).await?).into_response())
}

/// `PUT /api/v1/tenants/{code}/policy[?confirm=true]` (operator).
pub async fn put_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    Presented(cert): Presented,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
    ApiJson(b): ApiJson<PolicyBody>,
) -> Result<Response, ApiError> {
    let p = st
        .svc
        .set_tenant_policy(&who, Some(&code), change(b), q.confirm, cert.as_ref())
        .await?;
    Ok(Json(p).into_response())
}

/// `POST /api/v1/users/{id}/unlock`
pub async fn unlock_user(
    State(st): State<AppState>,
    Caller(who): Caller,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> Result<Response, ApiError> {
    st.svc.unlock_user(&who, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password`: the caller's other sessions end.
pub async fn change_password(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<ChangePasswordBody>,
) -> Result<Response, ApiError> {
    st.svc
        .change_password(&who, &b.current_password, &b.new_password)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/users/{id}/password-reset`: a one-time token, shown once.
pub async fn start_password_reset(
    State(st): State<AppState>,
    Caller(who): Caller,
    crate::extract::ApiPath(id): crate::extract::ApiPath<i64>,
) -> Result<Response, ApiError> {
    let t = st.svc.start_password_reset(&who, id).await?;
    let body = serde_json::json!({
        "token": t.token,
        "expires": kura_core::clock::rfc3339(t.expires_at),
    });
    Ok((axum::http::StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishResetBody {
    token: String,
    new_password: String,
}

/// `POST /api/v1/password-reset`: no sign-in; the token is the credential.
pub async fn finish_password_reset(
    State(st): State<AppState>,
    ip: crate::extract::ClientIp,
    ApiJson(b): ApiJson<FinishResetBody>,
) -> Result<Response, ApiError> {
    st.svc
        .finish_password_reset(&b.token, &b.new_password, ip.as_string().as_deref())
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/me/sessions`
pub async fn my_sessions(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    let items: Vec<_> = st
        .svc
        .my_sessions(&who)
        .await?
        .into_iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "created": kura_core::clock::rfc3339(s.created),
                "last_seen": kura_core::clock::rfc3339(s.last_seen),
                "expires": kura_core::clock::rfc3339(s.expires),
                "ip": s.ip,
                "user_agent": s.user_agent,
                "current": s.current,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })).into_response())
}

/// `DELETE /api/v1/me/sessions/{id}`
pub async fn end_my_session(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    st.svc.end_my_session(&who, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/users/{id}/sessions` (tenant admins)
pub async fn end_user_sessions(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let n = st.svc.end_user_sessions(&who, id).await?;
    Ok(Json(serde_json::json!({ "ended": n })).into_response())
}
