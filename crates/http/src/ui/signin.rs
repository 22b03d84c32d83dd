//! Sign-in (tenant code, login, password), the one-time passcode step,
//! sign-out and the language switch. Forms before sign-in are protected by
//! a double-submit token (an HttpOnly cookie and a hidden field).

use super::auth::{CsrfField, UiForm, UiUser};
use super::i18n::{LANG_COOKIE, Lang, Tr};
use super::page::{Chrome, redirect, render};
use super::password_errors;
use crate::api::session::set_session_cookie;
use crate::extract::{ClientIp, SESSION_COOKIE, cookie, is_https, user_agent};
use crate::state::AppState;
use askama::Template;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kura_service::{NewSession, ServiceError, SessionStage};
use serde::Deserialize;

/// The cookie of the double-submit token of forms shown before sign-in.
const FORM_COOKIE: &str = "kura_form";

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage<'a> {
    t: Tr,
    c: Chrome,
    tenant: &'a str,
    login: &'a str,
    next: &'a str,
    error: Option<String>,
    notice: Option<&'a str>,
    /// The password has expired: ask for a new one (twice) as well.
    expired: bool,
}

#[derive(Template)]
#[template(path = "otp.html")]
struct OtpPage<'a> {
    t: Tr,
    c: Chrome,
    error: Option<&'a str>,
}

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    next: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    /// Set when the form asked for a new password (it had expired).
    #[serde(default)]
    expired: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password2: String,
}

#[derive(Deserialize)]
pub struct OtpForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// A form with only the CSRF token (sign-out).
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl CsrfField for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The pre-sign-in form token: the cookie's, or a new one to set.
pub(super) fn form_token(parts: &Parts) -> (String, bool) {
    match cookie(parts, FORM_COOKIE) {
        Some(v) if v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (v.to_string(), false)
        }
        _ => (uuid::Uuid::new_v4().simple().to_string(), true),
    }
}

pub(super) fn with_form_cookie(
    mut res: Response,
    token: &str,
    fresh: bool,
    secure: bool,
) -> Response {
    if fresh {
        let secure = if secure { "; Secure" } else { "" };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{FORM_COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict{secure}"
        )) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Where to go after sign-in: a UI path, or the explorer.
fn next_page(next: &str) -> String {
    let p = kura_service::safe_return_path(Some(next));
    if p.starts_with("/ui/") {
        p
    } else {
        "/ui/files/".into()
    }
}

/// `GET /`: the explorer when signed in, else the sign-in page.
pub async fn root(user: Result<UiUser, Response>) -> Response {
    match user {
        Ok(_) => redirect("/ui/files/"),
        Err(_) => redirect("/ui/signin"),
    }
}

/// `GET /ui/lang/{lang}?back=/ui/...`: remembers the language for a year.
pub async fn switch_language(Path(lang): Path<String>, req: Request) -> Response {
    let lang = Lang::parse(&lang).unwrap_or(Lang::En);
    let back = back_param(req.uri().query());
    let mut res = redirect(&next_page(&back));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The decoded `back` query parameter.
fn back_param(query: Option<&str>) -> String {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "back")
        .map(|(_, v)| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default()
}

/// `GET /ui/signin`
pub async fn page(
    State(st): State<AppState>,
    Query(q): Query<SignInQuery>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    if cookie(&parts, SESSION_COOKIE).is_some() {
        let mut p = parts.clone();
        if let Ok(_u) =
            <UiUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut p, &st)
                .await
        {
            return redirect(&next_page(q.next.as_deref().unwrap_or("")));
        }
    }
    let t = Tr(Lang::of_request(&parts));
    let notice = match q.done.as_deref() {
        Some("signed_out") => t.lookup("signin.signed_out"),
        Some("password_reset") => t.lookup("reset.done"),
        _ => None,
    };
    let (token, fresh) = form_token(&parts);
    let here = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let mut c = Chrome::anonymous(&here);
    c.csrf = token.clone();
    let page = SignInPage {
        t,
        c,
        tenant: "",
        login: "",
        next: q.next.as_deref().unwrap_or(""),
        error: None,
        notice,
        expired: false,
    };
    with_form_cookie(render(&page), &token, fresh, is_https(&parts, &st))
}

/// Reads a url-encoded form from a request, keeping its head.
pub(super) async fn read_form<T: serde::de::DeserializeOwned>(
    st: &AppState,
    req: Request,
) -> (Parts, Option<T>) {
    let (parts, body) = req.into_parts();
    let form = axum::Form::<T>::from_request(Request::from_parts(parts.clone(), body), st)
        .await
        .ok()
        .map(|f| f.0);
    (parts, form)
}

/// True if the form's token matches the cookie's.
pub(super) fn form_token_ok(parts: &Parts, presented: &str) -> bool {
    cookie(parts, FORM_COOKIE).is_some_and(|c| !c.is_empty() && c == presented)
}

/// After a sign-in step: the session cookie, and on to the next step.
fn signed_in(st: &AppState, s: &NewSession, secure: bool, next: &str) -> Response {
    let to = match s.stage {
        SessionStage::Full => next_page(next),
        SessionStage::Otp => "/ui/signin/otp".to_string(),
        SessionStage::Enrol => "/ui/signin/otp?enrol=1".to_string(),
    };
    let mut res = redirect(&to);
    set_session_cookie(&mut res, st, s, secure);
    res
}

/// `POST /ui/signin`
pub async fn submit(State(st): State<AppState>, req: Request) -> Response {
    let (parts, form) = read_form::<SignInForm>(&st, req).await;
    let t = Tr(Lang::of_request(&parts));
    let secure = is_https(&parts, &st);
    let Some(f) = form else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (token, fresh) = form_token(&parts);
    let asked_new = f.expired == "1";
    // The form again, with a message; `expired` adds the new-password fields.
    let again = |error: Option<String>, expired: bool, status: StatusCode| {
        let mut c = Chrome::anonymous("/ui/signin");
        c.csrf = token.clone();
        let page = SignInPage {
            t,
            c,
            tenant: &f.tenant,
            login: &f.login,
            next: &f.next,
            notice: (expired && error.is_none()).then(|| t.get("signin.expired_notice")),
            error,
            expired,
        };
        with_form_cookie(
            (status, render(&page)).into_response(),
            &token,
            fresh,
            secure,
        )
    };
    if !form_token_ok(&parts, &f.csrf) {
        let e = Some(t.error("csrf_failed").to_string());
        return again(e, asked_new, StatusCode::FORBIDDEN);
    }
    if asked_new && !password_errors::repeated(&f.new_password, &f.new_password2) {
        let e = Some(t.get("signin.expired_mismatch").to_string());
        return again(e, true, StatusCode::BAD_REQUEST);
    }
    let new_password = (asked_new && !f.new_password.is_empty()).then_some(f.new_password.as_str());
    let ip = ClientIp::from_parts(&parts, &st).as_string();
    let ua = user_agent(&parts);
    let cert = crate::client_cert::presented(&parts, &st);
    match st
        .svc
        .login(
            f.tenant.trim(),
            f.login.trim(),
            &f.password,
            new_password,
            ip.as_deref(),
            ua.as_deref(),
            cert.as_ref(),
        )
        .await
    {
        Ok(s) => signed_in(&st, &s, secure, &f.next),
        // The right password, but too old: the same form asks for a new one.
        Err(ServiceError::PasswordExpired) => again(None, true, StatusCode::OK),
        Err(e @ ServiceError::PasswordRejected(_)) => {
            let msg = password_errors::message(t, &e);
            again(Some(msg), true, crate::error::status_of(&e))
        }
        Err(e) => {
            let code = match &e {
                // One message for every wrong credential: nothing to learn
                // about which tenants or logins exist.
                ServiceError::InvalidCredentials | ServiceError::Unauthenticated => {
                    "invalid_credentials"
                }
                other => other.code(),
            };
            again(
                Some(t.error(code).to_string()),
                asked_new,
                crate::error::status_of(&e),
            )
        }
    }
}

/// `GET /ui/signin/otp`
pub async fn otp_page(State(st): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let t = Tr(Lang::of_request(&parts));
    let Some(secret) = cookie(&parts, SESSION_COOKIE) else {
        return redirect("/ui/signin");
    };
    // A half session that must set OTP up gets the enrolment instead.
    let ip = ClientIp::from_parts(&parts, &st).as_string();
    let cert = crate::client_cert::presented(&parts, &st);
    match st
        .svc
        .otp_caller(secret, ip.as_deref(), cert.as_ref())
        .await
    {
        Ok(who) if who.half => return super::enrol::page(&st, &parts, &who).await,
        Ok(_) => return redirect("/ui/files/"),
        Err(ServiceError::Unauthenticated | ServiceError::Expired) => {
            return redirect("/ui/signin");
        }
        Err(_) => {}
    }
    let (token, fresh) = form_token(&parts);
    let mut c = Chrome::anonymous("/ui/signin/otp");
    c.csrf = token.clone();
    let error = None;
    with_form_cookie(
        render(&OtpPage { t, c, error }),
        &token,
        fresh,
        is_https(&parts, &st),
    )
}

/// `POST /ui/signin/otp`
pub async fn otp_submit(State(st): State<AppState>, req: Request) -> Response {
    let (parts, form) = read_form::<OtpForm>(&st, req).await;
    let t = Tr(Lang::of_request(&parts));
    let secure = is_https(&parts, &st);
    let Some(f) = form else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(secret) = cookie(&parts, SESSION_COOKIE) else {
        return redirect("/ui/signin");
    };
    let (token, fresh) = form_token(&parts);
    let again = |code: &str, status: StatusCode| {
        let mut c = Chrome::anonymous("/ui/signin/otp");
        c.csrf = token.clone();
        let page = OtpPage {
            t,
            c,
            error: Some(t.error(code)),
        };
        with_form_cookie(
            (status, render(&page)).into_response(),
            &token,
            fresh,
            secure,
        )
    };
    if !form_token_ok(&parts, &f.csrf) {
        return again("csrf_failed", StatusCode::FORBIDDEN);
    }
    let ip = ClientIp::from_parts(&parts, &st).as_string();
    let ua = user_agent(&parts);
    let cert = crate::client_cert::presented(&parts, &st);
    match st
        .svc
        .complete_otp(secret, &f.code, ip.as_deref(), ua.as_deref(), cert.as_ref())
        .await
    {
        Ok(s) => signed_in(&st, &s, secure, ""),
        Err(ServiceError::Unauthenticated | ServiceError::Expired) => redirect("/ui/signin"),
        Err(ServiceError::OtpRequired(_)) => redirect("/ui/signin/otp?enrol=1"),
        Err(e) => again(e.code(), crate::error::status_of(&e)),
    }
}

/// `POST /ui/signout` (with the session's CSRF token): ends the session
/// (and, after single sign-on, goes on to the provider's logout).
pub async fn sign_out_form(
    State(st): State<AppState>,
    UiForm { user, .. }: UiForm<CsrfOnly>,
) -> Response {
    let provider = st.svc.sso_end_session_url(&user.who).await;
    if let Err(e) = st.svc.logout(&user.secret).await {
        return super::page::error_page(user.t, &e);
    }
    let mut res = match provider {
        Some(url) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&url) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        None => redirect("/ui/signin?done=signed_out"),
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
