//! `/ui/account`: what a signed-in user manages about themselves: profile,
//! password, two-step verification (see account_otp.rs), their sessions
//! and personal access tokens. Changes are form posts (CSRF checked) that
//! come back with `?done=` or `?error=`; secrets made here (a new token)
//! are in the answer to the post and nowhere else.

use super::admin::role_label;
use super::auth::{CsrfField, UiForm, UiUser};
use super::format;
use super::i18n::Tr;
use super::page::{Chrome, error_page, redirect, render};
use super::password_errors;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_service::ServiceError;
use serde::Deserialize;

/// A session as the account page lists it.
pub struct SessionRow {
    pub id: String,
    pub device: String,
    pub user_agent: String,
    pub ip: String,
    pub last_seen_iso: String,
    pub last_seen_text: String,
    pub current: bool,
}

/// A personal access token as the account page lists it.
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// Catalogue key of the scope.
    pub scope: &'static str,
    pub created_iso: String,
    pub created_text: String,
    /// Never used: empty.
    pub last_used_text: String,
    /// Never expires: empty.
    pub expires_text: String,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    t: Tr,
    c: Chrome,
    name: &'a str,
    login: &'a str,
    tenant_name: &'a str,
    tenant_code: &'a str,
    role: &'static str,
    notice: Option<&'a str>,
    error: Option<String>,
    /// The password form's own error (shown beside it).
    password_error: Option<String>,
    otp_enabled: bool,
    otp_required: bool,
    /// "Recovery codes left: n".
    codes_left: String,
    sessions: Vec<SessionRow>,
    tokens: Vec<TokenRow>,
    /// A token just made: its name and secret, shown this once.
    new_token: Option<(String, String)>,
}

/// `?done=<what>` or `?error=<code>` after a form post.
#[derive(Deserialize, Default)]
pub struct Outcome {
    done: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password2: String,
}

impl CsrfField for PasswordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    /// Days, or empty for no expiry.
    #[serde(default)]
    expires: String,
    /// `read_only` when ticked.
    scope: Option<String>,
}

impl CsrfField for TokenForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

use super::signin::CsrfOnly;

/// What the page shows besides the account's state.
#[derive(Default)]
struct Flash<'a> {
    notice: Option<&'a str>,
    error: Option<String>,
    password_error: Option<String>,
    new_token: Option<(String, String)>,
}

async fn show(st: &AppState, user: &UiUser, f: Flash<'_>) -> Result<Response, ServiceError> {
    let lang = user.t.0;
    let who = &user.who;
    let codes_left = if who.user.otp_enabled {
        st.svc.recovery_codes_left(who).await?
    } else {
        0
    };
    let sessions = st
        .svc
        .my_sessions(who)
        .await?
        .into_iter()
        .map(|s| {
            let ua = s.user_agent.unwrap_or_default();
            SessionRow {
                device: format::device(&ua).unwrap_or_default(),
                user_agent: ua,
                ip: s.ip.unwrap_or_default(),
                last_seen_iso: format::iso(s.last_seen),
                last_seen_text: format::datetime(s.last_seen, lang),
                current: s.current,
                id: s.id,
            }
        })
        .collect();
    let now = st.svc.now_ms();
    let tokens = st
        .svc
        .list_tokens(who)
        .await?
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .map(|t| TokenRow {
            id: t.id,
            scope: if t.scope == "read_only" {
                "account.scope.read_only"
            } else {
                "account.scope.read_write"
            },
            created_iso: format::iso(t.created_at),
            created_text: format::datetime(t.created_at, lang),
            last_used_text: t
                .last_used_at
                .map(|l| format::datetime(l, lang))
                .unwrap_or_default(),
            expires_text: t
                .expires_at
                .map(|e| format::datetime(e, lang))
                .unwrap_or_default(),
            expired: t.expires_at.is_some_and(|e| e <= now),
            name: t.name,
        })
        .collect();
    Ok(render(&AccountPage {
        t: user.t,
        c: Chrome::of(user, "account", "/ui/account"),
        name: &who.user.display_name,
        login: &who.user.login,
        tenant_name: &who.tenant.name,
        tenant_code: &who.tenant.code,
        role: role_label(who.user.role),
        notice: f.notice,
        error: f.error,
        password_error: f.password_error,
        otp_enabled: who.user.otp_enabled,
        otp_required: who.tenant.otp_required,
        codes_left: user
            .t
            .get("account.otp.codes_left")
            .replace("{n}", &codes_left.to_string()),
        sessions,
        tokens,
        new_token: f.new_token,
    }))
}

/// The page, or the error page if it cannot be read.
async fn show_or_error(st: &AppState, user: &UiUser, f: Flash<'_>, status: StatusCode) -> Response {
    match show(st, user, f).await {
        Ok(r) => (status, r).into_response(),
        Err(e) => error_page(user.t, &e),
    }
}

/// The message of `?error=`: the account page's own wording if it has
/// one, else the error code's.
pub fn error_text(t: Tr, code: &str) -> String {
    t.lookup(&format!("account.error.{code}"))
        .unwrap_or_else(|| t.error(code))
        .to_string()
}

/// `GET /ui/account`
pub async fn page(State(st): State<AppState>, user: UiUser, Query(q): Query<Outcome>) -> Response {
    let t = user.t;
    let f = Flash {
        notice: q
            .done
            .as_deref()
            .and_then(|d| t.lookup(&format!("account.done.{d}"))),
        error: q.error.as_deref().map(|c| error_text(t, c)),
        ..Flash::default()
    };
    show_or_error(&st, &user, f, StatusCode::OK).await
}

/// Back to the account page with the outcome of a change.
pub fn outcome(r: Result<&str, ServiceError>) -> Response {
    match r {
        Ok(done) => redirect(&format!("/ui/account?done={done}")),
        Err(e) => redirect(&format!("/ui/account?error={}", e.code())),
    }
}

/// `POST /ui/account/password`: the current password and a new one (twice);
/// the user's other sessions end.
pub async fn change_password(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<PasswordForm>,
) -> Response {
    let t = user.t;
    let refused = |msg: String| Flash {
        password_error: Some(msg),
        ..Flash::default()
    };
    if !password_errors::repeated(&form.new_password, &form.new_password2) {
        let f = refused(t.get("account.password_mismatch").to_string());
        return show_or_error(&st, &user, f, StatusCode::BAD_REQUEST).await;
    }
    match st
        .svc
        .change_password(&user.who, &form.current, &form.new_password)
        .await
    {
        Ok(()) => redirect("/ui/account?done=password"),
        Err(e) => {
            let msg = match &e {
                ServiceError::InvalidCredentials => t.get("account.password_wrong").to_string(),
                other => password_errors::message(t, other),
            };
            let status = crate::error::status_of(&e);
            let status = if status == StatusCode::UNAUTHORIZED {
                StatusCode::BAD_REQUEST
            } else {
                status
            };
            show_or_error(&st, &user, refused(msg), status).await
        }
    }
}

/// `POST /ui/account/sessions/{id}/end`: ends another of the user's sessions.
pub async fn end_session(
    State(st): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, .. }: UiForm<CsrfOnly>,
) -> Response {
    // This session ends by signing out, not here.
    let mine = st
        .svc
        .my_sessions(&user.who)
        .await
        .map(|l| l.iter().any(|s| s.current && s.id == id))
        .unwrap_or(false);
    if mine {
        return redirect("/ui/account?error=current_session");
    }
    outcome(
        st.svc
            .end_my_session(&user.who, &id)
            .await
            .map(|()| "session_ended"),
    )
}

/// `POST /ui/account/tokens`: a new token, shown in this answer only.
pub async fn create_token(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<TokenForm>,
) -> Response {
    let days = match form.expires.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => return redirect("/ui/account?error=invalid_input"),
        },
    };
    let read_only = form.scope.as_deref() == Some("read_only");
    match st
        .svc
        .create_token(&user.who, &form.name, days, read_only)
        .await
    {
        Ok((_, token)) => {
            let f = Flash {
                notice: user.t.lookup("account.done.token_created"),
                new_token: Some((form.name.trim().to_string(), token)),
                ..Flash::default()
            };
            show_or_error(&st, &user, f, StatusCode::CREATED).await
        }
        Err(ServiceError::InvalidInput(_)) => redirect("/ui/account?error=token_name"),
        Err(e) => outcome(Err(e)),
    }
}

/// `POST /ui/account/tokens/{id}/revoke`
pub async fn revoke_token(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    UiForm { user, .. }: UiForm<CsrfOnly>,
) -> Response {
    outcome(
        st.svc
            .revoke_token(&user.who, id)
            .await
            .map(|()| "token_revoked"),
    )
}
