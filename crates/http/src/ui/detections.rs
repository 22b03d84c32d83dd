//! The virus detections page (`/ui/admin/detections`): what
//! `GET /api/v1/detections` lists (newest first, paged by `before`), with
//! the uploader's name. The API offers no action on a detection (a refused
//! upload was never stored; a quarantined version cannot be opened), so the
//! page lists only. The operator sees every tenant's, or one with
//! `?tenant=<code>`.

use super::auth::UiUser;
use super::format;
use super::i18n::Tr;
use super::page::{Chrome, error_page, render};
use super::tenant_scope::{Scope, refuse_non_admin};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kura_service::ServiceError;
use serde::Deserialize;
use std::collections::HashMap;

/// Detections per page.
const PAGE: i64 = 50;

/// A detection as listed.
pub struct DetectionRow {
    pub path: String,
    pub signature: String,
    pub when_iso: String,
    pub when_text: String,
    /// The uploader's name and login (empty if unknown here).
    pub user_name: String,
    pub user_login: String,
    /// Catalogue key of what happened to the file.
    pub outcome: &'static str,
    pub ip: String,
    pub engine: String,
    pub tenant: String,
}

#[derive(Template)]
#[template(path = "detections.html")]
struct DetectionsPage {
    t: Tr,
    c: Chrome,
    tq: String,
    tenant: String,
    /// The operator's view: a tenant column.
    all_tenants: bool,
    rows: Vec<DetectionRow>,
    /// The link to the next (older) page, if there is one.
    older: Option<String>,
    /// The link back to the newest page, when not on it.
    newest: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    tenant: Option<String>,
    before: Option<i64>,
}

fn outcome_key(source: &str) -> &'static str {
    match source {
        "rescan" => "detections.source.rescan",
        _ => "detections.source.upload",
    }
}

/// `GET /ui/admin/detections[?before=<id>][&tenant=<code>]`
pub async fn page(
    State(st): State<AppState>,
    user: UiUser,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let t = user.t;
    let lang = t.0;
    let scope = Scope::new(q.tenant.as_deref());
    let operator = user.is_operator();
    let run = async {
        let items = st
            .svc
            .detections(&user.who, scope.code(), q.before, PAGE)
            .await?;
        // Names of the caller's own tenant; the operator's view of other
        // tenants shows user ids.
        let users: HashMap<i64, (String, String)> = st
            .svc
            .list_users(&user.who)
            .await?
            .into_iter()
            .filter(|u| u.tenant_id == user.who.tenant_id())
            .map(|u| (u.id, (u.display_name, u.login)))
            .collect();
        let tenants: HashMap<i64, String> = if operator {
            st.svc
                .list_tenants(&user.who)
                .await?
                .into_iter()
                .map(|x| (x.id, x.code))
                .collect()
        } else {
            HashMap::new()
        };
        Ok::<_, ServiceError>((items, users, tenants))
    };
    let (items, users, tenants) = match run.await {
        Ok(x) => x,
        Err(e) => return error_page(t, &e),
    };
    let older = (i64::try_from(items.len()).unwrap_or(0) == PAGE)
        .then(|| items.last().map(|d| d.id))
        .flatten()
        .map(|id| format!("/ui/admin/detections?before={id}{}", scope.and()));
    let newest = q
        .before
        .map(|_| format!("/ui/admin/detections{}", scope.query()));
    let rows = items
        .into_iter()
        .map(|d| {
            let (user_name, user_login) = d
                .user_id
                .filter(|_| d.tenant_id == user.who.tenant_id())
                .and_then(|id| users.get(&id).cloned())
                .unwrap_or_else(|| {
                    let shown = d.user_id.map(|id| format!("#{id}")).unwrap_or_default();
                    (t.get("detections.unknown_user").to_string(), shown)
                });
            DetectionRow {
                when_iso: format::iso(d.created_at),
                when_text: format::datetime(d.created_at, lang),
                user_name,
                user_login,
                outcome: outcome_key(&d.source),
                ip: d.ip.unwrap_or_default(),
                engine: d.engine.unwrap_or_default(),
                tenant: tenants
                    .get(&d.tenant_id)
                    .cloned()
                    .unwrap_or_else(|| d.tenant_id.to_string()),
                path: d.path,
                signature: d.signature,
            }
        })
        .collect();
    render(&DetectionsPage {
        t,
        c: Chrome::of(
            &user,
            "admin",
            &format!("/ui/admin/detections{}", scope.query()),
        ),
        tq: scope.query(),
        tenant: scope.shown(),
        all_tenants: operator && scope.code().is_none(),
        rows,
        older,
        newest,
    })
}
