//! The operator's page: every tenant with its usage against capacity;
//! create a tenant, change its capacity, suspend or resume it.

use super::auth::{CsrfField, UiForm, UiUser};
use super::format;
use super::i18n::Tr;
use super::page::{Chrome, error_page, redirect, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kura_core::TenantStatus;
use kura_core::size::parse_size;
use kura_service::{NewTenant, ServiceError, TenantChanges};
use serde::Deserialize;

/// A tenant as the operator's page lists it.
pub struct TenantRow {
    pub code: String,
    pub name: String,
    pub used_text: String,
    pub capacity_text: String,
    pub percent: i64,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "operator.html")]
struct OperatorPage<'a> {
    t: Tr,
    c: Chrome,
    tenants: Vec<TenantRow>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Deserialize, Default)]
pub struct Outcome {
    done: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CreateTenantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    capacity: String,
}

impl CsrfField for CreateTenantForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize)]
pub struct EditTenantForm {
    #[serde(default)]
    csrf: String,
    capacity: Option<String>,
    status: Option<String>,
}

impl CsrfField for EditTenantForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `GET /ui/operator`
pub async fn page(State(st): State<AppState>, user: UiUser, Query(q): Query<Outcome>) -> Response {
    let t = user.t;
    let tenants = match st.svc.list_tenants(&user.who).await {
        Ok(v) => v,
        Err(e) => return error_page(t, &e),
    };
    let lang = t.0;
    let tenants = tenants
        .iter()
        .map(|x| TenantRow {
            code: x.code.clone(),
            name: x.name.clone(),
            used_text: format::size(x.used_bytes, lang),
            capacity_text: format::size(x.capacity_bytes, lang),
            percent: format::percent(x.used_bytes, x.capacity_bytes),
            active: x.status == TenantStatus::Active,
        })
        .collect();
    let notice = q
        .done
        .as_deref()
        .and_then(|d| t.lookup(&format!("operator.done.{d}")));
    let error = q.error.as_deref().map(|c| t.error(c));
    render(&OperatorPage {
        t,
        c: Chrome::of(&user, "operator", "/ui/operator"),
        tenants,
        notice,
        error,
    })
}

fn outcome(r: Result<&str, ServiceError>) -> Response {
    match r {
        Ok(done) => redirect(&format!("/ui/operator?done={done}")),
        Err(e) => redirect(&format!("/ui/operator?error={}", e.code())),
    }
}

/// `POST /ui/operator/tenants`
pub async fn create(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<CreateTenantForm>,
) -> Response {
    let run = async {
        let capacity_bytes = parse_size(form.capacity.trim())?;
        st.svc
            .create_tenant(
                &user.who,
                NewTenant {
                    code: form.code.trim().to_string(),
                    name: form.name.trim().to_string(),
                    capacity_bytes,
                    keep_versions: None,
                    trash_days: None,
                },
            )
            .await?;
        Ok("tenant_created")
    };
    outcome(run.await)
}

/// `POST /ui/operator/tenants/{code}`: capacity and/or status.
pub async fn edit(
    State(st): State<AppState>,
    Path(code): Path<String>,
    UiForm { user, form }: UiForm<EditTenantForm>,
) -> Response {
    let run = async {
        let capacity_bytes = form
            .capacity
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(parse_size)
            .transpose()?;
        let status = form
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(TenantStatus::parse)
            .transpose()?;
        st.svc
            .update_tenant(
                &user.who,
                &code,
                TenantChanges {
                    capacity_bytes,
                    status,
                    ..Default::default()
                },
            )
            .await?;
        Ok("tenant_updated")
    };
    outcome(run.await)
}
