//! The tenant administrator's page: usage against capacity, and users
//! (create, change role, disable or enable, password reset, unlock after
//! failed sign-ins, reset two-step verification, end all sessions).

use super::auth::{CsrfField, UiForm, UiUser};
use super::format;
use super::i18n::Tr;
use super::page::{Chrome, error_page, redirect, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kura_core::{Role, UserStatus};
use kura_service::{NewUser, ServiceError};
use serde::Deserialize;

/// A user as the admin page lists them.
pub struct UserRow {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    /// Catalogue key of the role's name.
    pub role_label: &'static str,
    /// The roles an admin may give: (value, catalogue key, current).
    pub choices: Vec<(&'static str, &'static str, bool)>,
    pub active: bool,
    pub me: bool,
    /// Locked after too many failed sign-ins (until a time still ahead).
    pub locked: bool,
    /// Signs in with a one-time passcode.
    pub otp: bool,
    /// Confirmation texts of the unlock, two-step reset and sign-out actions.
    pub unlock_text: String,
    pub otp_text: String,
    pub sessions_text: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    t: Tr,
    c: Chrome,
    /// For the administration sub-navigation (always the caller's own tenant).
    tq: String,
    tenant: String,
    used_text: String,
    capacity_text: String,
    percent: i64,
    files: String,
    folders: String,
    users: Vec<UserRow>,
    notice: Option<String>,
    error: Option<&'a str>,
    /// A password-reset token just made, and for whom.
    reset: Option<(String, String)>,
}

/// `?done=<message>` or `?error=<code>` after a form post; `user` and `n`
/// fill in the message of a user action.
#[derive(Deserialize, Default)]
pub struct Outcome {
    done: Option<String>,
    error: Option<String>,
    user: Option<i64>,
    n: Option<u64>,
}

#[derive(Deserialize)]
pub struct CreateUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

impl CsrfField for CreateUserForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize)]
pub struct EditUserForm {
    #[serde(default)]
    csrf: String,
    role: Option<String>,
    status: Option<String>,
    /// `reset`: make a password-reset token; `unlock`, `otp_reset`,
    /// `end_sessions`: the actions of the same name.
    action: Option<String>,
}

impl CsrfField for EditUserForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn role_key(r: Role) -> &'static str {
    match r {
        Role::Operator => "operator",
        Role::Admin => "admin",
        Role::Member => "member",
        Role::Guest => "guest",
    }
}

pub(super) fn role_label(r: Role) -> &'static str {
    match r {
        Role::Operator => "role.operator",
        Role::Admin => "role.admin",
        Role::Member => "role.member",
        Role::Guest => "role.guest",
    }
}

async fn show(
    st: &AppState,
    user: &UiUser,
    notice: Option<String>,
    error: Option<&str>,
    reset: Option<(String, String)>,
) -> Result<Response, ServiceError> {
    let usage = st.svc.usage(&user.who, None).await?;
    let users = st.svc.list_users(&user.who).await?;
    let t = user.t;
    let lang = t.0;
    let now = st.svc.now_ms();
    let text = |key: &str, login: &str| t.get(key).replace("{login}", login);
    let users = users
        .iter()
        .map(|u| UserRow {
            locked: u.locked_until.is_some_and(|until| until > now),
            otp: u.otp_enabled,
            unlock_text: text("admin.user_unlock_text", &u.login),
            otp_text: text("admin.user_otp_reset_text", &u.login),
            sessions_text: text("admin.user_end_sessions_text", &u.login),
            id: u.id,
            login: u.login.clone(),
            name: u.display_name.clone(),
            email: u.email.clone().unwrap_or_default(),
            role: role_key(u.role),
            role_label: role_label(u.role),
            choices: [Role::Admin, Role::Member, Role::Guest]
                .into_iter()
                .map(|r| (role_key(r), role_label(r), r == u.role))
                .collect(),
            active: u.status == UserStatus::Active,
            me: u.id == user.who.user.id,
        })
        .collect();
    Ok(render(&AdminPage {
        t: user.t,
        c: Chrome::of(user, "admin", "/ui/admin"),
        tq: String::new(),
        tenant: String::new(),
        used_text: format::size(usage.used_bytes, lang),
        capacity_text: format::size(usage.capacity_bytes, lang),
        percent: format::percent(usage.used_bytes, usage.capacity_bytes),
        files: format::number(usage.files),
        folders: format::number(usage.folders),
        users,
        notice,
        error,
        reset,
    }))
}

/// `GET /ui/admin`
pub async fn page(State(st): State<AppState>, user: UiUser, Query(q): Query<Outcome>) -> Response {
    let t = user.t;
    let notice = match q.done.as_deref() {
        Some(d) if d.starts_with("user_done_") => {
            action_notice(&st, &user, d, q.user, q.n.unwrap_or(0)).await
        }
        Some(d) => t.lookup(&format!("admin.done.{d}")).map(str::to_string),
        None => None,
    };
    let error = q.error.as_deref().map(|c| t.error(c));
    match show(&st, &user, notice, error, None).await {
        Ok(r) => r,
        Err(e) => error_page(t, &e),
    }
}

/// The message after an unlock, two-step reset or sign-out, naming the user.
async fn action_notice(
    st: &AppState,
    user: &UiUser,
    done: &str,
    id: Option<i64>,
    n: u64,
) -> Option<String> {
    let msg = user.t.lookup(&format!("admin.{done}"))?;
    let login = match id {
        Some(id) => st
            .svc
            .list_users(&user.who)
            .await
            .ok()?
            .into_iter()
            .find(|u| u.id == id)
            .map(|u| u.login)?,
        None => String::new(),
    };
    Some(
        msg.replace("{login}", &login)
            .replace("{n}", &n.to_string()),
    )
}

/// Unlock, two-step reset or sign-out of user `id`: back to the admin page
/// with a message naming the user (the service audits each).
async fn user_action(st: &AppState, user: &UiUser, id: i64, action: &str) -> Response {
    let r = match action {
        "unlock" => st
            .svc
            .unlock_user(&user.who, id)
            .await
            .map(|()| ("unlocked", 0)),
        "otp_reset" => st
            .svc
            .reset_user_otp(&user.who, id)
            .await
            .map(|()| ("otp_reset", 0)),
        _ => st
            .svc
            .end_user_sessions(&user.who, id)
            .await
            .map(|n| ("sessions_ended", n)),
    };
    match r {
        Ok((done, n)) => redirect(&format!("/ui/admin?done=user_done_{done}&user={id}&n={n}")),
        Err(e) => outcome(Err(e)),
    }
}

/// Back to the admin page with the outcome of a change.
fn outcome(r: Result<&str, ServiceError>) -> Response {
    match r {
        Ok(done) => redirect(&format!("/ui/admin?done={done}")),
        Err(ServiceError::Forbidden(_)) => redirect("/ui/admin?error=forbidden"),
        Err(e) => redirect(&format!("/ui/admin?error={}", e.code())),
    }
}

/// `POST /ui/admin/users`
pub async fn create_user(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<CreateUserForm>,
) -> Response {
    let run = async {
        let role = Role::parse(&form.role)?;
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        st.svc
            .create_user(
                &user.who,
                None,
                NewUser {
                    login: form.login.trim().to_string(),
                    display_name: opt(&form.display_name),
                    email: opt(&form.email),
                    role,
                    password: (!form.password.is_empty()).then(|| form.password.clone()),
                },
            )
            .await?;
        Ok("user_created")
    };
    outcome(run.await)
}

/// `POST /ui/admin/users/{id}`: role, status, or a password reset.
pub async fn edit_user(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    UiForm { user, form }: UiForm<EditUserForm>,
) -> Response {
    if let Some(a @ ("unlock" | "otp_reset" | "end_sessions")) = form.action.as_deref() {
        return user_action(&st, &user, id, a).await;
    }
    if form.action.as_deref() == Some("reset") {
        let made = async {
            let target = st
                .svc
                .list_users(&user.who)
                .await?
                .into_iter()
                .find(|u| u.id == id)
                .ok_or_else(|| ServiceError::NotFound(format!("user {id}")))?;
            let token = st.svc.start_password_reset(&user.who, id).await?;
            Ok::<_, ServiceError>((target.login, token.token))
        };
        return match made.await {
            Ok(reset) => {
                let notice = user.t.lookup("admin.done.reset").map(str::to_string);
                match show(&st, &user, notice, None, Some(reset)).await {
                    Ok(r) => r,
                    Err(e) => error_page(user.t, &e),
                }
            }
            Err(e) => outcome(Err(e)),
        };
    }
    let run = async {
        let role = form
            .role
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(Role::parse)
            .transpose()?;
        let status = match form.status.as_deref() {
            Some("active") => Some(UserStatus::Active),
            Some("disabled") => Some(UserStatus::Disabled),
            _ => None,
        };
        st.svc.update_user(&user.who, id, role, status).await?;
        Ok("user_updated")
    };
    outcome(run.await)
}
