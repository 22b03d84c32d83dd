//! `/ui/reset`: a new password with the one-time token an administrator
//! issued. Public (before sign-in), so the form carries the double-submit
//! token of the sign-in page; every bad token (unknown, used, expired) gets
//! the same answer.

use super::i18n::{Lang, Tr};
use super::page::{Chrome, redirect, render};
use super::password_errors;
use super::signin::{form_token, form_token_ok, read_form, with_form_cookie};
use crate::extract::{ClientIp, is_https};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    t: Tr,
    c: Chrome,
    error: Option<String>,
    /// The token typed, kept when the refusal was about the password.
    token: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password2: String,
}

/// `GET /ui/reset`
pub async fn page(State(st): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let t = Tr(Lang::of_request(&parts));
    let (token, fresh) = form_token(&parts);
    let mut c = Chrome::anonymous("/ui/reset");
    c.csrf = token.clone();
    let page = ResetPage {
        t,
        c,
        error: None,
        token: String::new(),
    };
    with_form_cookie(render(&page), &token, fresh, is_https(&parts, &st))
}

/// `POST /ui/reset`: on success, to the sign-in page with a notice.
pub async fn submit(State(st): State<AppState>, req: Request) -> Response {
    let (parts, form) = read_form::<ResetForm>(&st, req).await;
    let t = Tr(Lang::of_request(&parts));
    let Some(f) = form else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (token, fresh) = form_token(&parts);
    let again = |error: String, keep: bool, status: StatusCode| {
        let mut c = Chrome::anonymous("/ui/reset");
        c.csrf = token.clone();
        let page = ResetPage {
            t,
            c,
            error: Some(error),
            token: if keep { f.token.clone() } else { String::new() },
        };
        with_form_cookie(
            (status, render(&page)).into_response(),
            &token,
            fresh,
            is_https(&parts, &st),
        )
    };
    if !form_token_ok(&parts, &f.csrf) {
        return again(t.error("csrf_failed").into(), false, StatusCode::FORBIDDEN);
    }
    if !password_errors::repeated(&f.new_password, &f.new_password2) {
        return again(
            t.get("reset.mismatch").into(),
            true,
            StatusCode::BAD_REQUEST,
        );
    }
    let ip = ClientIp::from_parts(&parts, &st).as_string();
    match st
        .svc
        .finish_password_reset(&f.token, &f.new_password, ip.as_deref())
        .await
    {
        Ok(()) => redirect("/ui/signin?done=password_reset"),
        Err(e) => {
            let keep = matches!(e, kura_service::ServiceError::PasswordRejected(_));
            again(
                password_errors::message(t, &e),
                keep,
                crate::error::status_of(&e),
            )
        }
    }
}
