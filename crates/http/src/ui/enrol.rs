//! Setting up one-time passcodes: at sign-in when the tenant requires them
//! (a half session of stage `enrol`, which can do nothing else), and the
//! pieces the account page shares: the QR code as an image and the recovery
//! codes, shown once.

use super::i18n::{Lang, Tr};
use super::page::{Chrome, redirect, render};
use super::signin::read_form;
use crate::api::session::set_session_cookie;
use crate::extract::{ClientIp, SESSION_COOKIE, cookie, is_https, user_agent};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use kura_service::{NewSession, OtpCaller, OtpEnrolment, ServiceError};
use serde::Deserialize;

/// An enrolment as a page shows it.
pub struct Setup {
    /// The QR code as a `data:` URL (an image, so no markup of ours is
    /// inlined and the CSP's `img-src data:` covers it).
    pub qr: String,
    /// The secret, for typing into an app.
    pub secret: String,
}

impl Setup {
    pub fn of(e: &OtpEnrolment) -> Self {
        let svg = base64::engine::general_purpose::STANDARD.encode(e.qr_svg.as_bytes());
        Self {
            qr: format!("data:image/svg+xml;base64,{svg}"),
            secret: e.secret.clone(),
        }
    }

    /// The secret in groups of four, easier to read and type.
    pub fn grouped(&self) -> String {
        self.secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage<'a> {
    t: Tr,
    c: Chrome,
    setup: Setup,
    error: Option<&'a str>,
    /// Where the code is posted.
    action: &'a str,
    /// A link away (back to sign-in, or to the account page).
    back: &'a str,
    back_label: &'a str,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryPage<'a> {
    pub t: Tr,
    pub c: Chrome,
    pub codes: Vec<String>,
    /// Catalogue key of the heading (set up, or renewed).
    pub title: &'a str,
    /// Where "I have saved them" goes.
    pub next: &'a str,
}

/// `?error=<code>` after a wrong code.
#[derive(Deserialize, Default)]
pub struct ErrorQuery {
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub code: String,
}

impl super::auth::CsrfField for CodeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The frame of a page right after a session was (re)opened.
pub fn chrome_of(s: &NewSession, section: &'static str, here: &str) -> Chrome {
    let mut c = Chrome::anonymous(here);
    c.csrf = s.csrf_token.clone();
    c.user_name = s.identity.user.display_name.clone();
    c.tenant_name = s.identity.tenant.name.clone();
    c.is_admin = s.identity.user.role.is_admin();
    c.is_operator = s.identity.user.role == kura_core::Role::Operator;
    c.section = section;
    c
}

/// Renders an enrolment page (sign-in or account).
pub fn enrol_page(
    t: Tr,
    c: Chrome,
    e: &OtpEnrolment,
    error: Option<&str>,
    action: &str,
    back: &str,
    back_label: &str,
) -> Response {
    render(&EnrolPage {
        t,
        c,
        setup: Setup::of(e),
        error,
        action,
        back,
        back_label,
    })
}

/// The enrolment in progress, or a new one.
pub async fn current_or_new(
    st: &AppState,
    who: &OtpCaller,
    ua: Option<&str>,
) -> Result<OtpEnrolment, ServiceError> {
    match st.svc.pending_otp_enrolment(who).await? {
        Some(e) => Ok(e),
        None => st.svc.start_otp_enrolment(who, ua).await,
    }
}

/// `GET /ui/signin/otp` for a half session that must enrol: the QR code,
/// the secret and a field for the first code.
pub async fn page(st: &AppState, parts: &Parts, who: &OtpCaller) -> Response {
    let t = Tr(Lang::of_request(parts));
    let q = Query::<ErrorQuery>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let ua = user_agent(parts);
    let e = match current_or_new(st, who, ua.as_deref()).await {
        Ok(e) => e,
        Err(e) => return super::page::error_page(t, &e),
    };
    let mut c = Chrome::anonymous("/ui/signin/otp?enrol=1");
    c.csrf = who.csrf_token.clone();
    let error = q.error.as_deref().map(|code| t.error(code));
    enrol_page(
        t,
        c,
        &e,
        error,
        "/ui/signin/enrol",
        "/ui/signin",
        t.get("otp.back"),
    )
}

/// `POST /ui/signin/enrol`: the first code. Right: OTP is on, the half
/// session becomes a full one and the recovery codes are shown, once.
pub async fn confirm(State(st): State<AppState>, req: Request) -> Response {
    let (parts, form) = read_form::<CodeForm>(&st, req).await;
    let t = Tr(Lang::of_request(&parts));
    let Some(f) = form else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(secret) = cookie(&parts, SESSION_COOKIE) else {
        return redirect("/ui/signin");
    };
    let ip = ClientIp::from_parts(&parts, &st).as_string();
    let ua = user_agent(&parts);
    let cert = crate::client_cert::presented(&parts, &st);
    let who = match st
        .svc
        .otp_caller(secret, ip.as_deref(), cert.as_ref())
        .await
    {
        Ok(w) if w.half => w,
        Ok(_) => return redirect("/ui/files/"),
        Err(ServiceError::OtpRequired(_)) => return redirect("/ui/signin/otp"),
        Err(_) => return redirect("/ui/signin"),
    };
    if let Err(e) = who.check_csrf(Some(&f.csrf)) {
        return redirect(&format!("/ui/signin/otp?enrol=1&error={}", e.code()));
    }
    match st
        .svc
        .confirm_otp_enrolment(&who, f.code.trim(), ua.as_deref())
        .await
    {
        Ok((codes, s)) => {
            let page = RecoveryPage {
                t,
                c: chrome_of(&s, "account", "/ui/files/"),
                codes,
                title: "enrol.codes_title",
                next: "/ui/files/",
            };
            let mut res = render(&page);
            set_session_cookie(&mut res, &st, &s, is_https(&parts, &st));
            res
        }
        Err(e) => redirect(&format!("/ui/signin/otp?enrol=1&error={}", e.code())),
    }
}
