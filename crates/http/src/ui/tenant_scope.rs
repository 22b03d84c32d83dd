//! Which tenant an administration page is about: the tenant admin's own, or,
//! for the operator, any tenant named by `?tenant=<code>` (the service
//! refuses anyone else who names a tenant).

use super::auth::UiUser;
use super::page::error_page;
use axum::response::Response;
use kura_service::ServiceError;

/// The tenant of a page: `None` is the caller's own.
#[derive(Debug, Clone, Default)]
pub struct Scope(Option<String>);

impl Scope {
    /// From a `tenant` query or form field (empty: the caller's own).
    pub fn new(code: Option<&str>) -> Self {
        Self(
            code.map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        )
    }

    /// The tenant code for service calls.
    pub fn code(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The code to show (empty for the caller's own tenant).
    pub fn shown(&self) -> String {
        self.0.clone().unwrap_or_default()
    }

    /// `?tenant=<code>`, or nothing: keeps the scope on links.
    pub fn query(&self) -> String {
        self.0
            .as_deref()
            .map(|c| format!("?tenant={}", encode(c)))
            .unwrap_or_default()
    }

    /// `&tenant=<code>`, or nothing: keeps the scope after other parameters.
    pub fn and(&self) -> String {
        self.0
            .as_deref()
            .map(|c| format!("&tenant={}", encode(c)))
            .unwrap_or_default()
    }
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The 403 page for members and guests; `None` for tenant admins and the
/// operator.
pub fn refuse_non_admin(user: &UiUser) -> Option<Response> {
    (!user.is_admin()).then(|| {
        error_page(
            user.t,
            &ServiceError::Forbidden("tenant administrators only".into()),
        )
    })
}
