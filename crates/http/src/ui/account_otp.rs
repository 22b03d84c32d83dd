//! Two-step verification on the account page: turn it on (QR code, secret,
//! first code; then the recovery codes, once), turn it off (the service
//! refuses where the tenant requires it), and new recovery codes.

use super::account::outcome;
use super::auth::{UiForm, UiUser};
use super::enrol::{CodeForm, RecoveryPage, chrome_of, enrol_page};
use super::page::{Chrome, error_page, redirect, render};
use super::signin::CsrfOnly;
use crate::api::session::set_session_cookie;
use crate::extract::{ClientIp, is_https, user_agent};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use kura_service::{ClientCert, OtpCaller, ServiceError};
use serde::Deserialize;

/// What the connection says, for the service's enrolment calls.
pub struct Conn {
    ip: Option<String>,
    ua: Option<String>,
    cert: Option<ClientCert>,
    secure: bool,
}

impl FromRequestParts<AppState> for Conn {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self {
            ip: ClientIp::from_parts(parts, st).as_string(),
            ua: user_agent(parts),
            cert: crate::client_cert::presented(parts, st),
            secure: is_https(parts, st),
        })
    }
}

/// The signed-in user as an enrolment caller (the same session).
async fn caller(st: &AppState, user: &UiUser, conn: &Conn) -> Result<OtpCaller, ServiceError> {
    st.svc
        .otp_caller(&user.secret, conn.ip.as_deref(), conn.cert.as_ref())
        .await
}

#[derive(Deserialize, Default)]
pub struct ErrorQuery {
    error: Option<String>,
}

/// `POST /ui/account/otp`: starts enrolment (a new secret), then shows it.
pub async fn start(
    State(st): State<AppState>,
    conn: Conn,
    UiForm { user, .. }: UiForm<CsrfOnly>,
) -> Response {
    let run = async {
        let who = caller(&st, &user, &conn).await?;
        st.svc.start_otp_enrolment(&who, conn.ua.as_deref()).await
    };
    match run.await {
        Ok(_) => redirect("/ui/account/otp"),
        Err(e) => outcome(Err(e)),
    }
}

/// `GET /ui/account/otp`: the enrolment in progress (QR code, secret, a
/// field for the first code); none in progress: back to the account page.
pub async fn page(
    State(st): State<AppState>,
    conn: Conn,
    user: UiUser,
    Query(q): Query<ErrorQuery>,
) -> Response {
    let t = user.t;
    let run = async {
        let who = caller(&st, &user, &conn).await?;
        st.svc.pending_otp_enrolment(&who).await
    };
    match run.await {
        Ok(Some(e)) => {
            let error = q.error.as_deref().map(|c| t.error(c));
            let c = Chrome::of(&user, "account", "/ui/account/otp");
            enrol_page(
                t,
                c,
                &e,
                error,
                "/ui/account/otp/confirm",
                "/ui/account",
                t.get("account.back"),
            )
        }
        Ok(None) => redirect("/ui/account"),
        Err(e) => error_page(t, &e),
    }
}

/// `POST /ui/account/otp/confirm`: the first code. Right: OTP is on, the
/// session is renewed and the recovery codes are shown, once.
pub async fn confirm(
    State(st): State<AppState>,
    conn: Conn,
    UiForm { user, form }: UiForm<CodeForm>,
) -> Response {
    let run = async {
        let who = caller(&st, &user, &conn).await?;
        st.svc
            .confirm_otp_enrolment(&who, form.code.trim(), conn.ua.as_deref())
            .await
    };
    match run.await {
        Ok((codes, s)) => {
            let page = RecoveryPage {
                t: user.t,
                c: chrome_of(&s, "account", "/ui/account"),
                codes,
                title: "enrol.codes_title",
                next: "/ui/account?done=otp_enabled",
            };
            let mut res = render(&page);
            set_session_cookie(&mut res, &st, &s, conn.secure);
            res
        }
        Err(ServiceError::OtpAlreadyEnabled) => redirect("/ui/account"),
        Err(e) => redirect(&format!("/ui/account/otp?error={}", e.code())),
    }
}

/// `POST /ui/account/otp/disable` with a current code.
pub async fn disable(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<CodeForm>,
) -> Response {
    match st.svc.disable_own_otp(&user.who, form.code.trim()).await {
        Ok(()) => redirect("/ui/account?done=otp_disabled"),
        // A browser session is never refused for its kind: this is the
        // tenant's policy speaking.
        Err(ServiceError::Forbidden(_)) => redirect("/ui/account?error=otp_required"),
        Err(e) => outcome(Err(e)),
    }
}

/// `POST /ui/account/otp/codes`: ten new recovery codes, shown once.
pub async fn new_codes(
    State(st): State<AppState>,
    UiForm { user, .. }: UiForm<CsrfOnly>,
) -> Response {
    match st.svc.new_recovery_codes(&user.who).await {
        Ok(codes) => render(&RecoveryPage {
            t: user.t,
            c: Chrome::of(&user, "account", "/ui/account"),
            codes,
            title: "account.otp.codes_title",
            next: "/ui/account?done=codes_renewed",
        }),
        Err(e) => outcome(Err(e)),
    }
}
