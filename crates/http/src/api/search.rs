//! `POST /api/v1/search`: files by name, attributes, folder, type, size,
//! date and uploader, with facets and cursor paging.

use crate::error::ApiError;
use crate::extract::{ApiJson, Caller};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// `POST /api/v1/search` (a POST because queries are structured JSON; it
/// changes nothing, so read-only app passwords may use it).
pub async fn search(
    State(st): State<AppState>,
    Caller(who): Caller,
    ApiJson(r): ApiJson<kura_service::SearchRequest>,
) -> Result<Response, ApiError> {
    Ok(Json(st.svc.search(&who, &r).await?).into_response())
}
