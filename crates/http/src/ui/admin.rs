//! The tenant administrator's page: usage against capacity, and users
//! (create, change role, disable or enable, password reset).

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
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    t: Tr,
    c: Chrome,
    used_text: String,
    capacity_text: String,
    percent: i64,
    files: String,
    folders: String,
    users: Vec<UserRow>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    /// A password-reset token just made, and for whom.
    reset: Option<(String, String)>,
}

/// `?done=<message>` or `?error=<code>` after a form post.
#[derive(Deserialize, Default)]
pub struct Outcome {
    done: Option<String>,
    error: Option<String>,
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
    /// `reset`: make a password-reset token.
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
    notice: Option<&str>,
    error: Option<&str>,
    reset: Option<(String, String)>,
) -> Result<Response, ServiceError> {
    let usage = st.svc.usage(&user.who, None).await?;
    let users = st.svc.list_users(&user.who).await?;
    let lang = user.t.0;
    let users = users
        .iter()
        .map(|u| UserRow {
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
    let notice = q
        .done
        .as_deref()
        .and_then(|d| t.lookup(&format!("admin.done.{d}")));
    let error = q.error.as_deref().map(|c| t.error(c));
    match show(&st, &user, notice, error, None).await {
        Ok(r) => r,
        Err(e) => error_page(t, &e),
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
                let notice = user.t.lookup("admin.done.reset");
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
