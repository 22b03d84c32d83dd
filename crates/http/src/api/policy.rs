//! Tenant security policy set by tenant admins: `/api/v1/policy/...`.

use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistBody {
    /// Ranges everyone must come from; null or empty: anywhere.
    all: Option<Vec<String>>,
    /// A stricter list for admins; null or empty: as `all`.
    admins: Option<Vec<String>>,
}

/// `GET /api/v1/policy/ip-allowlist`
pub async fn get_ip_allowlist(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.ip_allowlists(&who).await?).into_response())
}

/// `PUT /api/v1/policy/ip-allowlist`
pub async fn put_ip_allowlist(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<AllowlistBody>,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.set_ip_allowlists(&who, b.all, b.admins).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicyBody {
    min_length: Option<i64>,
    lockout_threshold: Option<i64>,
    lockout_minutes: Option<i64>,
    /// Absent: unchanged; null: no limit; a number: days.
    #[serde(default, deserialize_with = "present")]
    max_age_days: Option<Option<i64>>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::<i64>::deserialize(d)?))
}

/// `GET /api/v1/policy/password`
pub async fn get_password_policy(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.password_policy(&who).await?).into_response())
}

/// `PUT /api/v1/policy/password`
pub async fn put_password_policy(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<PasswordPolicyBody>,
) -> Result<Response, ApiError> {
    let change = kura_service::PasswordPolicyChange {
        min_length: b.min_length,
        lockout_threshold: b.lockout_threshold,
        lockout_minutes: b.lockout_minutes,
        max_age_days: b.max_age_days,
    };
    Ok(Json(st.svc.set_password_policy(&who, change).await?).into_response())
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
