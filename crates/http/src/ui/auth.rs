//! Who is looking at a page: the same session cookie as the API. Pages
//! without a session send the browser to the sign-in page (htmx requests get
//! `HX-Redirect`); form posts must carry the session's CSRF token.

use super::i18n::{Lang, Tr};
use super::page::{error_page, redirect};
use crate::extract::{ClientIp, SESSION_COOKIE, cookie, user_agent};
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kura_service::{AuthMethod, Identity, ServiceError};
use serde::de::DeserializeOwned;

/// A signed-in user of the web UI.
pub struct UiUser {
    pub who: Identity,
    /// The session's CSRF token (for forms and `X-CSRF-Token`).
    pub csrf: String,
    pub t: Tr,
    /// The session cookie's secret (to end the session).
    pub secret: String,
    /// The client certificate of this request (for lock-out checks).
    pub cert: Option<kura_service::ClientCert>,
}

/// True for requests made by htmx (they want fragments, not pages).
pub fn is_htmx(parts: &Parts) -> bool {
    parts.headers.contains_key("hx-request")
}

/// Where a request without a valid session goes.
pub fn to_sign_in(parts: &Parts) -> Response {
    if is_htmx(parts) {
        let mut res = StatusCode::UNAUTHORIZED.into_response();
        res.headers_mut()
            .insert("hx-redirect", HeaderValue::from_static("/ui/signin"));
        return res;
    }
    let here = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/ui/files/");
    let next: String =
        percent_encoding::utf8_percent_encode(here, percent_encoding::NON_ALPHANUMERIC).to_string();
    redirect(&format!("/ui/signin?next={next}"))
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let t = Tr(Lang::of_request(parts));
        let Some(secret) = cookie(parts, SESSION_COOKIE) else {
            return Err(to_sign_in(parts));
        };
        let ip = ClientIp::from_parts(parts, st).as_string();
        let ua = user_agent(parts);
        let cert = crate::client_cert::presented(parts, st);
        match st
            .svc
            .authenticate_session(secret, ip.as_deref(), ua.as_deref(), cert.as_ref())
            .await
        {
            Ok(who) => {
                let csrf = match &who.method {
                    AuthMethod::Session { csrf_token } => csrf_token.clone(),
                    _ => String::new(),
                };
                Ok(Self {
                    who,
                    csrf,
                    t,
                    secret: secret.to_string(),
                    cert,
                })
            }
            Err(ServiceError::Unauthenticated | ServiceError::Expired) => Err(to_sign_in(parts)),
            Err(ServiceError::OtpRequired(_)) => Err(redirect("/ui/signin/otp")),
            Err(e) => Err(error_page(t, &e)),
        }
    }
}

impl UiUser {
    /// True for tenant administrators (and the operator).
    pub fn is_admin(&self) -> bool {
        self.who.user.role.is_admin()
    }

    /// True for the service operator.
    pub fn is_operator(&self) -> bool {
        self.who.user.role == kura_core::Role::Operator
    }
}

/// A form that carries the session's CSRF token in a `csrf` field.
pub trait CsrfField {
    fn csrf(&self) -> &str;
}

/// A signed-in user's form post, CSRF token checked.
pub struct UiForm<T> {
    pub user: UiUser,
    pub form: T,
}

impl<T> FromRequest<AppState> for UiForm<T>
where
    T: DeserializeOwned + CsrfField + Send,
{
    type Rejection = Response;
    async fn from_request(req: Request, st: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let user = UiUser::from_request_parts(&mut parts, st).await?;
        let req = Request::from_parts(parts, body);
        let axum::Form(form) = axum::Form::<T>::from_request(req, st)
            .await
            .map_err(|_| error_page(user.t, &ServiceError::InvalidInput("form".into())))?;
        user.who
            .check_csrf(Some(form.csrf()))
            .map_err(|e| error_page(user.t, &e))?;
        Ok(Self { user, form })
    }
}
