//! `/api/v1/attributes`: the tenant's attribute schema.

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_core::attributes::{ChoiceDef, Labels};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// `archived=true` includes archived attributes.
    #[serde(default)]
    archived: bool,
}

/// A choice as sent: a bare value (labelled with itself) or `{value, labels}`.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum ChoiceIn {
    Bare(String),
    Full(ChoiceDef),
}

fn choices(cs: Vec<ChoiceIn>) -> Vec<ChoiceDef> {
    cs.into_iter()
        .map(|c| match c {
            ChoiceIn::Bare(v) => ChoiceDef {
                labels: Labels {
                    ja: v.clone(),
                    en: v.clone(),
                },
                value: v,
            },
            ChoiceIn::Full(c) => c,
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    key: String,
    #[serde(rename = "type")]
    attr_type: String,
    labels: Labels,
    #[serde(default)]
    required: bool,
    default: Option<Value>,
    #[serde(default)]
    choices: Vec<ChoiceIn>,
    position: Option<i64>,
    /// A folder path: the attribute applies to its subtree only.
    folder: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    #[serde(rename = "type")]
    attr_type: Option<String>,
    labels: Option<Labels>,
    required: Option<bool>,
    /// Absent: unchanged; null: no default.
    #[serde(default, deserialize_with = "crate::extract::present")]
    default: Option<Option<Value>>,
    choices: Option<Vec<ChoiceIn>>,
    #[serde(default)]
    rename_choices: BTreeMap<String, String>,
    position: Option<i64>,
    /// Absent: unchanged; null: everywhere.
    #[serde(default, deserialize_with = "crate::extract::present")]
    folder: Option<Option<String>>,
}

/// `GET /api/v1/attributes[?archived=true]`
pub async fn list(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let items = st.svc.list_attributes(&who, q.archived).await?;
    Ok(Json(serde_json::json!({ "items": items })).into_response())
}

/// `POST /api/v1/attributes` (tenant admins)
pub async fn create(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<NewBody>,
) -> Result<Response, ApiError> {
    let a = st
        .svc
        .create_attribute(
            &who,
            kura_service::NewAttribute {
                key: b.key,
                attr_type: b.attr_type,
                labels: b.labels,
                required: b.required,
                default: b.default,
                choices: choices(b.choices),
                position: b.position,
                folder: b.folder,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// `PATCH /api/v1/attributes/{key}` (tenant admins)
pub async fn update(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<ChangeBody>,
) -> Result<Response, ApiError> {
    let a = st
        .svc
        .update_attribute(
            &who,
            &key,
            kura_service::AttributeChange {
                attr_type: b.attr_type,
                labels: b.labels,
                required: b.required,
                default: b.default,
                choices: b.choices.map(choices),
                rename_choices: b.rename_choices,
                position: b.position,
                folder: b.folder,
            },
        )
        .await?;
    Ok(Json(a).into_response())
}

/// `DELETE /api/v1/attributes/{key}`: archives it (values are kept).
pub async fn archive(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiPath(key): ApiPath<String>,
) -> Result<Response, ApiError> {
    st.svc.archive_attribute(&who, &key).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// Up to 10,000 paths of files and folders.
    paths: Vec<String>,
    /// Key to value (`null` clears).
    set: serde_json::Map<String, Value>,
}

/// `POST /api/v1/attributes/bulk`: the same values on many items, all or nothing.
pub async fn bulk(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(b): ApiJson<BulkBody>,
) -> Result<Response, ApiError> {
    let n = st.svc.bulk_set_attributes(&who, &b.paths, &b.set).await?;
    Ok(Json(serde_json::json!({ "updated": n })).into_response())
}

/// Largest CSV accepted for an import.
const MAX_CSV_BYTES: usize = 50 << 20;

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    folder: Option<String>,
    /// `utf-8` (default, with a BOM) or `shift_jis`.
    encoding: Option<String>,
}

/// `GET /api/v1/attributes/export`: attribute values of every file under a
/// folder as CSV, streamed.
pub async fn export(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let enc = kura_service::CsvEncoding::parse(q.encoding.as_deref())?;
    let rx = st
        .svc
        .export_attributes(&who, q.folder.as_deref(), enc)
        .await?;
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|item| (item.map_err(|e| std::io::Error::other(e.to_string())), rx))
    });
    let charset = match enc {
        kura_service::CsvEncoding::Utf8 => "utf-8",
        kura_service::CsvEncoding::ShiftJis => "Shift_JIS",
    };
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                format!("text/csv; charset={charset}"),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"attributes.csv\"".to_string(),
            ),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
    encoding: Option<String>,
}

/// `POST /api/v1/attributes/import[?dry_run=true&encoding=shift_jis]` with the
/// CSV as the body.
pub async fn import(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let enc = kura_service::CsvEncoding::parse(q.encoding.as_deref())?;
    let bytes = axum::body::to_bytes(body, MAX_CSV_BYTES)
        .await
        .map_err(|_| {
            kura_service::ServiceError::InvalidInput(format!(
                "the CSV file is larger than {} MiB or was cut off; split it",
                MAX_CSV_BYTES >> 20
            ))
        })?;
    let report = st
        .svc
        .import_attributes(&who, &bytes, enc, q.dry_run)
        .await?;
    Ok(Json(report).into_response())
}
