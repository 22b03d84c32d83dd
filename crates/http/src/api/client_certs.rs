//! A tenant's client-certificate trust: CA certificates
//! (`/api/v1/tenant/client-cas`), the CRL (`/api/v1/tenant/crl`) and whether a
//! certificate must name the user (`/api/v1/tenant/client-cert`); the operator
//! uses the same under `/api/v1/tenants/{code}/...`. Uploads are PEM text.

use super::policy::ConfirmQuery;
use crate::client_cert::Presented;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_core::clock::rfc3339;
use kura_service::{CertUserMatch, ClientCaInfo, ClientCrlInfo, ServiceError};
use serde::Deserialize;
use serde_json::{Value, json};

/// A PEM text body; rejections are problem+json.
pub struct PemBody(pub String);

impl<S: Send + Sync> FromRequest<S> for PemBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                ServiceError::InvalidInput(format!("the body could not be read: {}", e.body_text()))
            })?;
        String::from_utf8(bytes.to_vec())
            .map(Self)
            .map_err(|_| ServiceError::InvalidInput("the body must be PEM text".into()).into())
    }
}

fn ca_json(c: &ClientCaInfo) -> Value {
    json!({
        "id": c.id,
        "subject": c.subject,
        "sha256": c.sha256,
        "not_before": rfc3339(c.not_before),
        "not_after": rfc3339(c.not_after),
        "created": rfc3339(c.created_at),
        "pem": c.pem,
    })
}

fn crl_json(c: Option<&ClientCrlInfo>) -> Value {
    let crls: Vec<Value> = c
        .map(|c| c.crls.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|x| {
            json!({
                "issuer": x.issuer,
                "this_update": rfc3339(x.this_update_ms),
                "next_update": x.next_update_ms.map(rfc3339),
                "revoked": x.revoked,
            })
        })
        .collect();
    json!({ "crls": crls, "updated": c.map(|c| rfc3339(c.updated_at)) })
}

fn cas_json(items: &[ClientCaInfo]) -> Value {
    json!({ "items": items.iter().map(ca_json).collect::<Vec<_>>() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    user_match: CertUserMatch,
}

// Each handler has an own-tenant form and an operator form (`{code}`); both
// call the same service method with `code` `None` or `Some`.

/// `GET /api/v1/tenant/client-cas`
pub async fn list_own(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    Ok(Json(cas_json(&st.svc.client_cas(&who, None).await?)).into_response())
}

/// `GET /api/v1/tenants/{code}/client-cas`
pub async fn list_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    Ok(Json(cas_json(&st.svc.client_cas(&who, Some(&code)).await?)).into_response())
}

/// `POST /api/v1/tenant/client-cas` (PEM body)
pub async fn add_own(
    State(st): State<AppState>,
    Caller(who): Caller,
    PemBody(pem): PemBody,
) -> Result<Response, ApiError> {
    let added = st.svc.add_client_cas(&who, None, &pem).await?;
    Ok((StatusCode::CREATED, Json(cas_json(&added))).into_response())
}

/// `POST /api/v1/tenants/{code}/client-cas` (PEM body)
pub async fn add_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
    PemBody(pem): PemBody,
) -> Result<Response, ApiError> {
    let added = st.svc.add_client_cas(&who, Some(&code), &pem).await?;
    Ok((StatusCode::CREATED, Json(cas_json(&added))).into_response())
}

/// `DELETE /api/v1/tenant/client-cas/{id}[?confirm=true]`
pub async fn delete_own(
    State(st): State<AppState>,
    Caller(who): Caller,
    Presented(cert): Presented,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
) -> Result<Response, ApiError> {
    st.svc
        .delete_client_ca(&who, None, id, cert.as_ref(), q.confirm)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/tenants/{code}/client-cas/{id}[?confirm=true]`
pub async fn delete_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    Presented(cert): Presented,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
) -> Result<Response, ApiError> {
    st.svc
        .delete_client_ca(&who, Some(&code), id, cert.as_ref(), q.confirm)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/tenant/crl`
pub async fn crl_own(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    Ok(Json(crl_json(st.svc.client_crl(&who, None).await?.as_ref())).into_response())
}

/// `GET /api/v1/tenants/{code}/crl`
pub async fn crl_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    let c = st.svc.client_crl(&who, Some(&code)).await?;
    Ok(Json(crl_json(c.as_ref())).into_response())
}

/// `PUT /api/v1/tenant/crl[?confirm=true]` (PEM body)
pub async fn put_crl_own(
    State(st): State<AppState>,
    Caller(who): Caller,
    Presented(cert): Presented,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
    PemBody(pem): PemBody,
) -> Result<Response, ApiError> {
    let c = st
        .svc
        .set_client_crl(&who, None, &pem, cert.as_ref(), q.confirm)
        .await?;
    Ok(Json(crl_json(Some(&c))).into_response())
}

/// `PUT /api/v1/tenants/{code}/crl[?confirm=true]` (PEM body)
pub async fn put_crl_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    Presented(cert): Presented,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
    PemBody(pem): PemBody,
) -> Result<Response, ApiError> {
    let c = st
        .svc
        .set_client_crl(&who, Some(&code), &pem, cert.as_ref(), q.confirm)
        .await?;
    Ok(Json(crl_json(Some(&c))).into_response())
}

/// `DELETE /api/v1/tenant/crl`
pub async fn delete_crl_own(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    st.svc.delete_client_crl(&who, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/tenants/{code}/crl`
pub async fn delete_crl_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    st.svc.delete_client_crl(&who, Some(&code)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/tenant/client-cert`
pub async fn settings_own(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    let m = st.svc.client_cert_user_match(&who, None).await?;
    Ok(Json(json!({ "user_match": m })).into_response())
}

/// `GET /api/v1/tenants/{code}/client-cert`
pub async fn settings_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    let m = st.svc.client_cert_user_match(&who, Some(&code)).await?;
    Ok(Json(json!({ "user_match": m })).into_response())
}

/// `PUT /api/v1/tenant/client-cert[?confirm=true]`
pub async fn put_settings_own(
    State(st): State<AppState>,
    Caller(who): Caller,
    Presented(cert): Presented,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
    ApiJson(b): ApiJson<SettingsBody>,
) -> Result<Response, ApiError> {
    let m = st
        .svc
        .set_client_cert_user_match(&who, None, b.user_match, cert.as_ref(), q.confirm)
        .await?;
    Ok(Json(json!({ "user_match": m })).into_response())
}

/// `PUT /api/v1/tenants/{code}/client-cert[?confirm=true]`
pub async fn put_settings_any(
    State(st): State<AppState>,
    Caller(who): Caller,
    Presented(cert): Presented,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ConfirmQuery>,
    ApiJson(b): ApiJson<SettingsBody>,
) -> Result<Response, ApiError> {
    let m = st
        .svc
        .set_client_cert_user_match(&who, Some(&code), b.user_match, cert.as_ref(), q.confirm)
        .await?;
    Ok(Json(json!({ "user_match": m })).into_response())
}
