//! The trash: what was deleted, where it was, when; restore and purge go
//! through the JSON API from static/js/trash.js.

use super::auth::UiUser;
use super::format;
use super::i18n::Tr;
use super::page::{Chrome, error_page, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use kura_core::NodeKind;

/// One item in the trash.
pub struct TrashRow {
    pub id: i64,
    pub name: String,
    pub original_path: String,
    pub folder: bool,
    pub size_text: String,
    pub deleted_iso: String,
    pub deleted_text: String,
}

#[derive(Template)]
#[template(path = "trash.html")]
struct TrashPage {
    t: Tr,
    c: Chrome,
    items: Vec<TrashRow>,
}

/// `GET /ui/trash`
pub async fn page(State(st): State<AppState>, user: UiUser) -> Response {
    let items = match st.svc.list_trash(&user.who).await {
        Ok(i) => i,
        Err(e) => return error_page(user.t, &e),
    };
    let lang = user.t.0;
    let items = items
        .iter()
        .map(|i| {
            let folder = i.node.kind == NodeKind::Folder;
            let at = i.node.trashed_at.unwrap_or(i.node.modified_at);
            TrashRow {
                id: i.node.id,
                name: i.node.name.clone(),
                original_path: i.original_path.clone(),
                folder,
                size_text: if folder {
                    String::new()
                } else {
                    format::size(i.node.size, lang)
                },
                deleted_iso: format::iso(at),
                deleted_text: format::datetime(at, lang),
            }
        })
        .collect();
    render(&TrashPage {
        t: user.t,
        c: Chrome::of(&user, "trash", "/ui/trash"),
        items,
    })
}
