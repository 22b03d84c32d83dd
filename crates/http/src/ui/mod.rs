//! The web UI: server-rendered pages (askama templates in web/templates),
//! htmx fragments, and small ES modules (web/static/js). Handlers are thin:
//! every read and change goes through the same service calls as the API, so
//! permission, quota, scanning and audit apply alike.

mod account;
mod account_otp;
mod admin;
mod assets;
mod attributes;
mod auth;
mod certificates;
mod csp;
mod detections;
mod enrol;
mod explorer;
mod format;
mod i18n;
mod operator;
mod page;
mod password_errors;
mod reset;
mod search;
mod security;
mod signin;
mod sso_settings;
mod tenant_scope;
mod trash;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

/// Every UI route, with the UI's security headers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(signin::root))
        .route("/ui", get(|| async { page::redirect("/ui/files/") }))
        .route("/ui/", get(|| async { page::redirect("/ui/files/") }))
        .route("/ui/signin", get(signin::page).post(signin::submit))
        .route(
            "/ui/signin/otp",
            get(signin::otp_page).post(signin::otp_submit),
        )
        .route("/ui/signin/enrol", post(enrol::confirm))
        .route("/ui/reset", get(reset::page).post(reset::submit))
        .route("/ui/signout", post(signin::sign_out_form))
        .route("/ui/account", get(account::page))
        .route("/ui/account/password", post(account::change_password))
        .route("/ui/account/sessions/{id}/end", post(account::end_session))
        .route("/ui/account/tokens", post(account::create_token))
        .route(
            "/ui/account/tokens/{id}/revoke",
            post(account::revoke_token),
        )
        .route(
            "/ui/account/otp",
            get(account_otp::page).post(account_otp::start),
        )
        .route("/ui/account/otp/confirm", post(account_otp::confirm))
        .route("/ui/account/otp/disable", post(account_otp::disable))
        .route("/ui/account/otp/codes", post(account_otp::new_codes))
        .route("/ui/lang/{lang}", get(signin::switch_language))
        .route("/ui/files", get(explorer::page))
        .route("/ui/files/", get(explorer::page))
        .route("/ui/files/{*path}", get(explorer::page))
        .route("/ui/list", get(explorer::more))
        .route("/ui/list/", get(explorer::more))
        .route("/ui/list/{*path}", get(explorer::more))
        .route("/ui/tree", get(explorer::tree))
        .route("/ui/tree/", get(explorer::tree))
        .route("/ui/tree/{*path}", get(explorer::tree))
        .route("/ui/details/{*path}", get(explorer::details))
        .route("/ui/trash", get(trash::page))
        .route("/ui/admin", get(admin::page))
        .route("/ui/admin/users", post(admin::create_user))
        .route("/ui/admin/users/{id}", post(admin::edit_user))
        .route(
            "/ui/admin/security",
            get(security::page).post(security::save_policy),
        )
        .route("/ui/admin/security/sso", post(sso_settings::save_sso))
        .route(
            "/ui/admin/security/sso/delete",
            post(sso_settings::delete_sso),
        )
        .route("/ui/admin/certificates", get(certificates::page))
        .route("/ui/admin/certificates/cas", post(certificates::add_cas))
        .route(
            "/ui/admin/certificates/cas/{id}/delete",
            post(certificates::delete_ca),
        )
        .route("/ui/admin/certificates/crl", post(certificates::set_crl))
        .route(
            "/ui/admin/certificates/crl/delete",
            post(certificates::delete_crl),
        )
        .route(
            "/ui/admin/certificates/user-match",
            post(certificates::set_user_match),
        )
        .route("/ui/admin/detections", get(detections::page))
        .route("/ui/attributes", get(attributes::page))
        .route("/ui/search", get(search::page))
        .route("/ui/operator", get(operator::page))
        .route("/ui/operator/tenants", post(operator::create))
        .route("/ui/operator/tenants/{code}", post(operator::edit))
        .route("/static/{version}/{*path}", get(assets::serve))
        .layer(axum::middleware::from_fn(csp::ui_headers))
}
