//! The attribute schema editor (tenant admins): the page frame; the list and
//! the changes go through the JSON API from static/js/schema-editor.js, so
//! the service's rules and its `attribute_in_use` answers apply as for any
//! client.

use super::auth::UiUser;
use super::i18n::Tr;
use super::page::{Chrome, error_page, render};
use askama::Template;
use axum::response::Response;
use kura_service::ServiceError;

#[derive(Template)]
#[template(path = "attributes.html")]
struct AttributesPage {
    t: Tr,
    c: Chrome,
    icons: String,
    /// The attribute types, as (value, catalogue key of the name).
    types: Vec<(&'static str, &'static str)>,
}

/// `GET /ui/attributes`
pub async fn page(user: UiUser) -> Response {
    if !user.is_admin() {
        return error_page(
            user.t,
            &ServiceError::Forbidden("tenant administrators only".into()),
        );
    }
    render(&AttributesPage {
        t: user.t,
        c: Chrome::of(&user, "admin", "/ui/attributes"),
        icons: super::assets::url("icons.svg"),
        types: vec![
            ("text", "js.attr.type.text"),
            ("number", "js.attr.type.number"),
            ("date", "js.attr.type.date"),
            ("choice", "js.attr.type.choice"),
            ("multi_choice", "js.attr.type.multi_choice"),
            ("boolean", "js.attr.type.boolean"),
        ],
    })
}
