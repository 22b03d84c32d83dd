//! The REST API under /api/v1.

mod admin;
mod attributes;
mod client_certs;
mod file_meta;
mod files;
mod folders;
mod health;
pub(crate) mod json;
mod openapi;
mod ops;
mod otp;
pub(crate) mod policy;
mod saved_searches;
mod scan;
mod search;
pub(crate) mod session;
mod sso;
mod thumbnails;
mod tokens;
mod trash;
mod uploads;
mod versions;
mod zip;

use crate::error::problem;
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};

/// Every route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route(
            "/api/v1/session",
            post(session::login).delete(session::logout),
        )
        .route("/api/v1/me", get(session::me))
        .route("/api/v1/session/otp", post(otp::complete))
        .route(
            "/api/v1/me/otp",
            get(otp::status).post(otp::start).delete(otp::disable),
        )
        .route("/api/v1/me/otp/confirm", post(otp::confirm))
        .route("/api/v1/me/otp/recovery-codes", post(otp::renew_codes))
        .route("/api/v1/users/{id}/otp", delete(otp::reset_user))
        .route(
            "/api/v1/files/{*path}",
            get(files::get)
                .put(files::put)
                .delete(files::delete)
                .patch(file_meta::patch),
        )
        .route("/api/v1/thumbnails/{*path}", get(thumbnails::get))
        .route(
            "/api/v1/attributes",
            get(attributes::list).post(attributes::create),
        )
        .route("/api/v1/attributes/bulk", post(attributes::bulk))
        .route("/api/v1/attributes/export", get(attributes::export))
        .route("/api/v1/attributes/import", post(attributes::import))
        .route(
            "/api/v1/attributes/{key}",
            axum::routing::patch(attributes::update).delete(attributes::archive),
        )
        .route("/api/v1/search", post(search::search))
        .route(
            "/api/v1/saved-searches",
            get(saved_searches::list).post(saved_searches::create),
        )
        .route(
            "/api/v1/saved-searches/{id}",
            delete(saved_searches::delete),
        )
        .route("/api/v1/folders", get(folders::list))
        .route("/api/v1/folders/", get(folders::list))
        .route(
            "/api/v1/folders/{*path}",
            get(folders::list)
                .post(folders::create)
                .delete(files::delete),
        )
        .route(
            "/api/v1/versions/{*path}",
            get(versions::list).post(versions::restore),
        )
        .route("/api/v1/zip", post(zip::create))
        .route("/api/v1/zip/{token}", get(zip::download))
        .route("/api/v1/move", post(ops::move_node))
        .route("/api/v1/copy", post(ops::copy))
        .route("/api/v1/trash", get(trash::list).delete(trash::empty))
        .route("/api/v1/trash/{id}", delete(trash::purge))
        .route("/api/v1/trash/{id}/restore", post(trash::restore))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}", delete(tokens::revoke))
        .route("/api/v1/usage", get(admin::usage))
        .route("/api/v1/detections", get(scan::detections))
        .route(
            "/api/v1/tenant/policy",
            get(policy::get_own).put(policy::put_own),
        )
        .route(
            "/api/v1/tenants/{code}/policy",
            get(policy::get_any).put(policy::put_any),
        )
        .route(
            "/api/v1/tenant/client-cas",
            get(client_certs::list_own).post(client_certs::add_own),
        )
        .route(
            "/api/v1/tenant/client-cas/{id}",
            delete(client_certs::delete_own),
        )
        .route(
            "/api/v1/tenant/crl",
            get(client_certs::crl_own)
                .put(client_certs::put_crl_own)
                .delete(client_certs::delete_crl_own),
        )
        .route(
            "/api/v1/tenant/client-cert",
            get(client_certs::settings_own).put(client_certs::put_settings_own),
        )
        .route(
            "/api/v1/tenants/{code}/client-cas",
            get(client_certs::list_any).post(client_certs::add_any),
        )
        .route(
            "/api/v1/tenants/{code}/client-cas/{id}",
            delete(client_certs::delete_any),
        )
        .route(
            "/api/v1/tenants/{code}/crl",
            get(client_certs::crl_any)
                .put(client_certs::put_crl_any)
                .delete(client_certs::delete_crl_any),
        )
        .route(
            "/api/v1/tenants/{code}/client-cert",
            get(client_certs::settings_any).put(client_certs::put_settings_any),
        )
        .route(
            "/api/v1/tenant/sso",
            get(sso::get_own).put(sso::put_own).delete(sso::delete_own),
        )
        .route(
            "/api/v1/tenants/{code}/sso",
            get(sso::get_any).put(sso::put_any).delete(sso::delete_any),
        )
        .route("/api/v1/sso/callback", get(sso::callback))
        .route("/api/v1/sso/{code}", get(sso::option))
        .route("/api/v1/sso/{code}/login", get(sso::login))
        .route("/api/v1/users/{id}/unlock", post(policy::unlock_user))
        .route(
            "/api/v1/users/{id}/password-reset",
            post(policy::start_password_reset),
        )
        .route("/api/v1/me/password", post(policy::change_password))
        .route("/api/v1/me/sessions", get(policy::my_sessions))
        .route("/api/v1/me/sessions/{id}", delete(policy::end_my_session))
        .route(
            "/api/v1/users/{id}/sessions",
            delete(policy::end_user_sessions),
        )
        .route(
            "/api/v1/password-reset",
            post(policy::finish_password_reset),
        )
        .route("/api/v1/admin/scanner", get(scan::scanner))
        .route(
            "/api/v1/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route(
            "/api/v1/admin/tenants",
            get(admin::list_tenants).post(admin::create_tenant),
        )
        .route(
            "/api/v1/admin/tenants/{code}",
            get(admin::get_tenant).patch(admin::patch_tenant),
        )
        .route(
            "/api/v1/admin/tenants/{code}/usage",
            get(admin::tenant_usage),
        )
        .route(
            "/api/v1/admin/tenants/{code}/users",
            post(admin::create_tenant_user),
        )
        .merge(uploads::routes())
        .fallback(|| async {
            problem(
                StatusCode::NOT_FOUND,
                "no_route",
                "there is no such endpoint",
            )
        })
        .method_not_allowed_fallback(|| async {
            problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not support that method",
            )
        })
}
