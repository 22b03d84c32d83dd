//! Virus scanning: the scanner's status (operator) and the list of
//! detections (tenant admins for their tenant, the operator for all).

use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use kura_core::clock::rfc3339;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DetectionQuery {
    /// Operator only: one tenant's code.
    tenant: Option<String>,
    /// Page before this detection id (the previous page's `next`).
    before: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/detections`
pub async fn detections(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<DetectionQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let items = st
        .svc
        .detections(&who, q.tenant.as_deref(), q.before, limit)
        .await?;
    let next = if items.len() as i64 == limit {
        items.last().map(|d| d.id)
    } else {
        None
    };
    let items: Vec<_> = items
        .iter()
        .map(|d| {
            serde_json::json!({
                "id": d.id,
                "tenant_id": d.tenant_id,
                "user_id": d.user_id,
                "ip": d.ip,
                "path": d.path,
                "signature": d.signature,
                "source": d.source,
                "version_id": d.version_id,
                "engine": d.engine,
                "created": rfc3339(d.created_at),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items, "next": next })).into_response())
}

/// `GET /api/v1/admin/scanner`: mode, state, engine and limit (operator).
pub async fn scanner(
    State(st): State<AppState>,
    Caller(who): Caller,
) -> Result<Response, ApiError> {
    who.require_operator()?;
    Ok(Json(st.svc.scanner_status().await).into_response())
}
