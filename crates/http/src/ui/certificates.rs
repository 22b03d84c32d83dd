//! The client certificate page (`/ui/admin/certificates`): the tenant's
//! trusted certificate authorities (list, add by PEM paste or file, remove),
//! its revocation list and whether a certificate must name the user; the
//! same service calls as `/api/v1/tenant/client-cas`, `/crl` and
//! `/client-cert`. A change that would refuse the caller's own certificate is
//! shown with its reason and can be repeated with `confirm`.

use super::auth::{CsrfField, UiForm, UiUser};
use super::format;
use super::i18n::Tr;
use super::page::{Chrome, error_page, redirect, render};
use super::security::lockout_text;
use super::tenant_scope::{Scope, refuse_non_admin};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kura_service::{CertUserMatch, ServiceError};
use serde::Deserialize;

/// A trusted CA certificate as listed.
pub struct CaRow {
    pub id: i64,
    pub subject: String,
    pub sha256: String,
    pub from_iso: String,
    pub from_text: String,
    pub to_iso: String,
    pub to_text: String,
    pub added_iso: String,
    pub added_text: String,
    /// The remove button's accessible name and confirmation text.
    pub delete_label: String,
    pub confirm_text: String,
}

/// One CRL of the tenant's revocation list.
pub struct CrlRow {
    pub issuer: String,
    pub this_iso: String,
    pub this_text: String,
    pub next_iso: String,
    pub next_text: String,
    pub revoked: String,
}

/// A refused change that can be repeated with `confirm=true`.
pub struct Retry {
    pub message: String,
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct CertificatesPage {
    t: Tr,
    c: Chrome,
    tq: String,
    tenant: String,
    notice: Option<&'static str>,
    error: Option<String>,
    /// The service's technical reason (English), under the message.
    detail: Option<String>,
    required: bool,
    cas: Vec<CaRow>,
    crls: Vec<CrlRow>,
    crl_loaded: bool,
    crl_updated_iso: String,
    crl_updated_text: String,
    user_match: &'static str,
    retry: Option<Retry>,
    /// PEM text kept in the form after a refusal.
    ca_pem: String,
    crl_pem: String,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    tenant: Option<String>,
    done: Option<String>,
}

/// Every form of the page (each uses some of the fields).
#[derive(Deserialize)]
pub struct CertForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    pem: String,
    #[serde(default)]
    user_match: String,
    #[serde(default)]
    confirm: String,
}

impl CsrfField for CertForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl CertForm {
    fn confirmed(&self) -> bool {
        self.confirm == "true"
    }
}

/// What a re-rendered page shows besides the stored settings.
#[derive(Default)]
struct Shown {
    notice: Option<&'static str>,
    error: Option<String>,
    detail: Option<String>,
    retry: Option<Retry>,
    ca_pem: String,
    crl_pem: String,
}

fn match_str(m: CertUserMatch) -> &'static str {
    match m {
        CertUserMatch::None => "none",
        CertUserMatch::Email => "email",
        CertUserMatch::Cn => "cn",
    }
}

fn parse_match(s: &str) -> Option<CertUserMatch> {
    match s {
        "none" => Some(CertUserMatch::None),
        "email" => Some(CertUserMatch::Email),
        "cn" => Some(CertUserMatch::Cn),
        _ => None,
    }
}

async fn show(
    st: &AppState,
    user: &UiUser,
    scope: &Scope,
    status: StatusCode,
    s: Shown,
) -> Response {
    let t = user.t;
    let lang = t.0;
    let code = scope.code();
    let run = async {
        let policy = st.svc.tenant_policy(&user.who, code).await?;
        let cas = st.svc.client_cas(&user.who, code).await?;
        let crl = st.svc.client_crl(&user.who, code).await?;
        let m = st.svc.client_cert_user_match(&user.who, code).await?;
        Ok::<_, ServiceError>((policy.client_cert_required, cas, crl, m))
    };
    let (required, cas, crl, m) = match run.await {
        Ok(x) => x,
        Err(e) => return error_page(t, &e),
    };
    let cas = cas
        .into_iter()
        .map(|c| CaRow {
            delete_label: t.get("certs.delete_named").replace("{subject}", &c.subject),
            confirm_text: t
                .get("certs.delete_confirm_text")
                .replace("{subject}", &c.subject),
            id: c.id,
            sha256: c.sha256,
            from_iso: format::iso(c.not_before),
            from_text: format::datetime(c.not_before, lang),
            to_iso: format::iso(c.not_after),
            to_text: format::datetime(c.not_after, lang),
            added_iso: format::iso(c.created_at),
            added_text: format::datetime(c.created_at, lang),
            subject: c.subject,
        })
        .collect();
    let (crl_loaded, crl_updated_iso, crl_updated_text) = match &crl {
        Some(c) => (
            true,
            format::iso(c.updated_at),
            format::datetime(c.updated_at, lang),
        ),
        None => (false, String::new(), String::new()),
    };
    let crls = crl
        .map(|c| c.crls)
        .unwrap_or_default()
        .into_iter()
        .map(|x| CrlRow {
            issuer: x.issuer,
            this_iso: format::iso(x.this_update_ms),
            this_text: format::datetime(x.this_update_ms, lang),
            next_iso: x.next_update_ms.map(format::iso).unwrap_or_default(),
            next_text: x
                .next_update_ms
                .map(|ms| format::datetime(ms, lang))
                .unwrap_or_default(),
            revoked: format::number(i64::try_from(x.revoked).unwrap_or(i64::MAX)),
        })
        .collect();
    let page = CertificatesPage {
        t,
        c: Chrome::of(
            user,
            "admin",
            &format!("/ui/admin/certificates{}", scope.query()),
        ),
        tq: scope.query(),
        tenant: scope.shown(),
        notice: s.notice,
        error: s.error,
        detail: s.detail,
        required,
        cas,
        crls,
        crl_loaded,
        crl_updated_iso,
        crl_updated_text,
        user_match: match_str(m),
        retry: s.retry,
        ca_pem: s.ca_pem,
        crl_pem: s.crl_pem,
    };
    (status, render(&page)).into_response()
}

/// `GET /ui/admin/certificates[?tenant=<code>]`
pub async fn page(
    State(st): State<AppState>,
    user: UiUser,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let scope = Scope::new(q.tenant.as_deref());
    let notice = q
        .done
        .as_deref()
        .and_then(|d| user.t.lookup(&format!("certs.done.{d}")));
    let s = Shown {
        notice,
        ..Shown::default()
    };
    show(&st, &user, &scope, StatusCode::OK, s).await
}

/// Back to the page after a change, or the page again with why it was refused.
async fn outcome(
    st: &AppState,
    user: &UiUser,
    scope: &Scope,
    r: Result<&str, ServiceError>,
    refused: impl FnOnce(Shown) -> Shown,
) -> Response {
    let t = user.t;
    match r {
        Ok(done) => redirect(&format!(
            "/ui/admin/certificates?done={done}{}",
            scope.and()
        )),
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::NotFound(_))) => error_page(t, &e),
        Err(e) => {
            let status = crate::error::status_of(&e);
            let s = match &e {
                ServiceError::WouldLockOutCaller(reason, _) => Shown {
                    error: Some(lockout_text(t, *reason, user.who.ip.as_deref())),
                    ..Shown::default()
                },
                ServiceError::InvalidInput(why) => Shown {
                    error: Some(t.error("invalid_input").to_string()),
                    detail: Some(why.clone()),
                    ..Shown::default()
                },
                e => Shown {
                    error: Some(t.error(e.code()).to_string()),
                    ..Shown::default()
                },
            };
            show(st, user, scope, status, refused(s)).await
        }
    }
}

/// `POST /ui/admin/certificates/cas`: adds the CA certificates of a PEM text.
pub async fn add_cas(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<CertForm>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let scope = Scope::new(Some(&form.tenant));
    let r = st
        .svc
        .add_client_cas(&user.who, scope.code(), &form.pem)
        .await
        .map(|_| "cas_added");
    let t = user.t;
    outcome(&st, &user, &scope, r, |mut s| {
        if s.detail.is_some() {
            s.error = Some(t.get("certs.bad_pem").to_string());
        }
        s.ca_pem = form.pem.clone();
        s
    })
    .await
}

/// `POST /ui/admin/certificates/cas/{id}/delete[confirm=true]`
pub async fn delete_ca(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    UiForm { user, form }: UiForm<CertForm>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let scope = Scope::new(Some(&form.tenant));
    let r = st
        .svc
        .delete_client_ca(
            &user.who,
            scope.code(),
            id,
            user.cert.as_ref(),
            form.confirmed(),
        )
        .await
        .map(|()| "ca_deleted");
    let action = format!("/ui/admin/certificates/cas/{id}/delete");
    let retry = lockout_retry(&r, action, vec![]);
    outcome(&st, &user, &scope, r, |s| with_retry(s, retry)).await
}

/// `POST /ui/admin/certificates/crl[confirm=true]`: replaces the CRL.
pub async fn set_crl(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<CertForm>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let scope = Scope::new(Some(&form.tenant));
    let r = st
        .svc
        .set_client_crl(
            &user.who,
            scope.code(),
            &form.pem,
            user.cert.as_ref(),
            form.confirmed(),
        )
        .await
        .map(|_| "crl_saved");
    let retry = lockout_retry(
        &r,
        "/ui/admin/certificates/crl".into(),
        vec![("pem", form.pem.clone())],
    );
    let t = user.t;
    outcome(&st, &user, &scope, r, |mut s| {
        if s.detail.is_some() {
            s.error = Some(t.get("certs.bad_crl").to_string());
        }
        s.crl_pem = form.pem.clone();
        with_retry(s, retry)
    })
    .await
}

/// `POST /ui/admin/certificates/crl/delete`
pub async fn delete_crl(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<CertForm>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let scope = Scope::new(Some(&form.tenant));
    let r = st
        .svc
        .delete_client_crl(&user.who, scope.code())
        .await
        .map(|()| "crl_deleted");
    outcome(&st, &user, &scope, r, |s| s).await
}

/// `POST /ui/admin/certificates/user-match[confirm=true]`
pub async fn set_user_match(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<CertForm>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let scope = Scope::new(Some(&form.tenant));
    let r = match parse_match(&form.user_match) {
        Some(m) => st
            .svc
            .set_client_cert_user_match(
                &user.who,
                scope.code(),
                m,
                user.cert.as_ref(),
                form.confirmed(),
            )
            .await
            .map(|_| "user_match_saved"),
        None => Err(ServiceError::InvalidInput(
            "user_match must be none, email or cn".into(),
        )),
    };
    let retry = lockout_retry(
        &r,
        "/ui/admin/certificates/user-match".into(),
        vec![("user_match", form.user_match.clone())],
    );
    outcome(&st, &user, &scope, r, |s| with_retry(s, retry)).await
}

/// For a lock-out refusal: the form that repeats the change with `confirm`.
fn lockout_retry(
    r: &Result<&str, ServiceError>,
    action: String,
    fields: Vec<(&'static str, String)>,
) -> Option<Retry> {
    match r {
        Err(ServiceError::WouldLockOutCaller(..)) => Some(Retry {
            message: String::new(),
            action,
            fields,
        }),
        _ => None,
    }
}

/// Moves a lock-out message into the retry box.
fn with_retry(mut s: Shown, retry: Option<Retry>) -> Shown {
    if let Some(mut r) = retry {
        r.message = s.error.take().unwrap_or_default();
        s.retry = Some(r);
    }
    s
}
