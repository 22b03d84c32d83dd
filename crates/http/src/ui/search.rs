//! The search page: the frame with its form; static/js/search.js runs the
//! searches (POST /api/v1/search), shows results and facet counts, and keeps
//! the saved searches (/api/v1/saved-searches).

use super::auth::UiUser;
use super::i18n::Tr;
use super::page::{Chrome, render};
use askama::Template;
use axum::extract::Query;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;

/// What the header's search box sends.
#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    name: String,
    /// The folder the user was in ("" or "/": everywhere).
    #[serde(default)]
    folder: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    t: Tr,
    c: Chrome,
    icons: String,
    name: String,
    folder: String,
}

/// `GET /ui/search?name&folder`
pub async fn page(user: UiUser, Query(q): Query<SearchQuery>, uri: Uri) -> Response {
    let here = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/ui/search".into());
    let folder = if q.folder == "/" {
        String::new()
    } else {
        q.folder
    };
    render(&SearchPage {
        t: user.t,
        c: Chrome::of(&user, "search", &here),
        icons: super::assets::url("icons.svg"),
        name: q.name,
        folder,
    })
}
