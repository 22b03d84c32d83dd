//! `/healthz` (the process answers) and `/readyz` (its backends answer too).

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Liveness: no dependencies are checked.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database and the blob store answer.
pub async fn readyz(State(st): State<AppState>) -> Response {
    let db = st.svc.db().ping().await;
    let blobs = st.svc.blobs().check().await;
    let ok = db.is_ok() && blobs.is_ok();
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if let Err(e) = &db {
        tracing::warn!(error = %e, "readiness: database unavailable");
    }
    if let Err(e) = &blobs {
        tracing::warn!(error = %e, "readiness: blob store unavailable");
    }
    let body = serde_json::json!({
        "status": if ok { "ready" } else { "unavailable" },
        "database": if db.is_ok() { "ok" } else { "unavailable" },
        "storage": if blobs.is_ok() { "ok" } else { "unavailable" },
        // Virus scanning arrives with its own issue; until then, say so plainly.
        "scanner": "not_configured",
    });
    (status, Json(body)).into_response()
}
