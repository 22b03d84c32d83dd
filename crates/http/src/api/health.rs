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

/// Readiness: the database and the blob store answer. The virus scanner's
/// state is reported too; when it is down the node stays ready (downloads and
/// listings work) but says `degraded`, and uploads are refused with 503.
pub async fn readyz(State(st): State<AppState>) -> Response {
    let (db, blobs, scanner) = tokio::join!(
        st.svc.db().ping(),
        st.svc.blobs().check(),
        st.svc.scanner_status()
    );
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
    if scanner.state == "unavailable" {
        tracing::warn!(error = ?scanner.error, "readiness: virus scanner unavailable; uploads are refused");
    }
    let status_text = match (ok, scanner.state) {
        (false, _) => "unavailable",
        (true, "unavailable") => "degraded",
        (true, _) => "ready",
    };
    let body = serde_json::json!({
        "status": status_text,
        "database": if db.is_ok() { "ok" } else { "unavailable" },
        "storage": if blobs.is_ok() { "ok" } else { "unavailable" },
        // ok | unavailable | disabled (scanning switched off in the configuration)
        "scanner": scanner.state,
        "scanner_detail": scanner,
    });
    (status, Json(body)).into_response()
}
