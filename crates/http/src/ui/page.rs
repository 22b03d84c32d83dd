//! What every page shares: the header (user, navigation, language switch),
//! rendering a template, redirects and the error page.

use super::assets;
use super::i18n::Tr;
use crate::error::status_of;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kura_service::ServiceError;

/// The page frame's data.
pub struct Chrome {
    /// The session's CSRF token (empty before sign-in).
    pub csrf: String,
    pub user_name: String,
    pub tenant_name: String,
    pub is_admin: bool,
    pub is_operator: bool,
    /// Which navigation entry is current: files, trash, admin, operator.
    pub section: &'static str,
    /// This page's URL, to come back to after a language switch.
    pub here: String,
}

impl Chrome {
    /// The frame of a signed-in page.
    pub fn of(user: &super::auth::UiUser, section: &'static str, here: &str) -> Self {
        Self {
            csrf: user.csrf.clone(),
            user_name: user.who.user.display_name.clone(),
            tenant_name: user.who.tenant.name.clone(),
            is_admin: user.is_admin(),
            is_operator: user.is_operator(),
            section,
            here: here.to_string(),
        }
    }

    /// The frame of a page before sign-in.
    pub fn anonymous(here: &str) -> Self {
        Self {
            csrf: String::new(),
            user_name: String::new(),
            tenant_name: String::new(),
            is_admin: false,
            is_operator: false,
            section: "",
            here: here.to_string(),
        }
    }

    /// URL of an embedded static file.
    pub fn asset(&self, path: &str) -> String {
        assets::url(path)
    }

    /// URL that switches the language and comes back here.
    pub fn lang_url(&self, lang: &str) -> String {
        let back: String =
            percent_encoding::utf8_percent_encode(&self.here, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        format!("/ui/lang/{lang}?back={back}")
    }

    /// `aria-current` value for an administration sub-page (by its path).
    pub fn sub(&self, path: &str) -> &'static str {
        if self.here.split('?').next() == Some(path) {
            "page"
        } else {
            "false"
        }
    }

    /// `aria-current` value for a navigation entry.
    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section {
            "page"
        } else {
            "false"
        }
    }
}

/// Renders a template as an HTML response.
pub fn render<T: Template>(tpl: &T) -> Response {
    match tpl.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a UI template failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A 303 to `to` (a path on this server).
pub fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: Tr,
    c: Chrome,
    message: &'a str,
}

/// A page that says what went wrong, translated, with the error's status.
pub fn error_page(t: Tr, e: &ServiceError) -> Response {
    if matches!(e, ServiceError::Internal(_)) {
        tracing::error!(error = %e, "UI request failed");
    }
    let page = ErrorPage {
        t,
        c: Chrome::anonymous("/ui/files/"),
        message: t.error(e.code()),
    };
    (status_of(e), render(&page)).into_response()
}

/// A path in the tenant as URL path segments (each percent-encoded).
pub fn encode_path(path: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    path.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}
