//! The single sign-on section of the security page: the tenant's OpenID
//! provider settings of `/api/v1/tenant/sso` (issuer, client id, a
//! write-only secret, how users are matched and created), saved and removed
//! through the same service calls as the API.

use super::auth::{CsrfField, UiForm, UiUser};
use super::format;
use super::page::{error_page, redirect};
use super::security::{Shown, lockout_text, show};
use super::tenant_scope::{Scope, refuse_non_admin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kura_service::{ServiceError, SsoConfigChange};
use serde::Deserialize;

/// The single sign-on section.
#[derive(Default)]
pub struct SsoSection {
    pub configured: bool,
    pub issuer: String,
    pub client_id: String,
    pub match_claim: String,
    /// `none`, `member` or `guest`.
    pub jit_role: String,
    pub label: String,
    pub redirect_uri: String,
    pub updated_iso: String,
    pub updated_text: String,
    pub error: Option<String>,
    /// Why removing it would lock people out (then "Remove anyway").
    pub lockout: Option<String>,
}

#[derive(Deserialize)]
pub struct SsoForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    match_claim: String,
    #[serde(default)]
    jit_role: String,
    #[serde(default)]
    label: String,
}

impl CsrfField for SsoForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    confirm: String,
}

impl CsrfField for ConfirmForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn stored_sso(
    st: &AppState,
    user: &UiUser,
    scope: &Scope,
) -> Result<SsoSection, ServiceError> {
    let lang = user.t.0;
    match st.svc.sso_config(&user.who, scope.code()).await {
        Ok(v) => Ok(SsoSection {
            configured: true,
            issuer: v.issuer,
            client_id: v.client_id,
            match_claim: v.match_claim,
            jit_role: v.jit_role.unwrap_or_else(|| "none".into()),
            label: v.label.unwrap_or_default(),
            redirect_uri: st.cfg.sso_redirect_uri(),
            updated_iso: format::iso(v.updated_at),
            updated_text: format::datetime(v.updated_at, lang),
            error: None,
            lockout: None,
        }),
        Err(ServiceError::NotFound(_)) => Ok(SsoSection {
            match_claim: "email".into(),
            jit_role: "none".into(),
            redirect_uri: st.cfg.sso_redirect_uri(),
            ..SsoSection::default()
        }),
        Err(e) => Err(e),
    }
}

/// `POST /ui/admin/security/sso`: saves the provider settings (an empty
/// secret keeps the stored one).
pub async fn save_sso(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<SsoForm>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let t = user.t;
    let scope = Scope::new(Some(&form.tenant));
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let change = SsoConfigChange {
        issuer: form.issuer.trim().to_string(),
        client_id: form.client_id.trim().to_string(),
        client_secret: (!form.client_secret.is_empty()).then(|| form.client_secret.clone()),
        match_claim: opt(&form.match_claim),
        jit_role: opt(&form.jit_role).filter(|r| r != "none"),
        label: opt(&form.label),
    };
    match st.svc.set_sso_config(&user.who, scope.code(), change).await {
        Ok(_) => redirect(&format!(
            "/ui/admin/security?done=sso_saved{}#sso-h",
            scope.and()
        )),
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::NotFound(_))) => error_page(t, &e),
        Err(e) => {
            let message = match &e {
                ServiceError::InvalidInput(_) => t.get("sso.bad_input"),
                e => t.error(e.code()),
            };
            let sso = SsoSection {
                issuer: form.issuer.clone(),
                client_id: form.client_id.clone(),
                match_claim: form.match_claim.clone(),
                jit_role: form.jit_role.clone(),
                label: form.label.clone(),
                redirect_uri: st.cfg.sso_redirect_uri(),
                error: Some(message.to_string()),
                ..SsoSection::default()
            };
            let s = Shown {
                sso: Some(sso),
                ..Shown::default()
            };
            show(&st, &user, &scope, crate::error::status_of(&e), s).await
        }
    }
}

/// `POST /ui/admin/security/sso/delete[confirm=true]`
pub async fn delete_sso(
    State(st): State<AppState>,
    UiForm { user, form }: UiForm<ConfirmForm>,
) -> Response {
    if let Some(r) = refuse_non_admin(&user) {
        return r;
    }
    let t = user.t;
    let scope = Scope::new(Some(&form.tenant));
    match st
        .svc
        .delete_sso_config(&user.who, scope.code(), form.confirm == "true")
        .await
    {
        Ok(()) => redirect(&format!(
            "/ui/admin/security?done=sso_removed{}",
            scope.and()
        )),
        Err(ServiceError::WouldLockOutCaller(reason, _)) => {
            let mut sso = match stored_sso(&st, &user, &scope).await {
                Ok(s) => s,
                Err(e) => return error_page(t, &e),
            };
            sso.lockout = Some(lockout_text(t, reason, user.who.ip.as_deref()));
            let s = Shown {
                sso: Some(sso),
                ..Shown::default()
            };
            show(&st, &user, &scope, StatusCode::CONFLICT, s).await
        }
        Err(e) => error_page(t, &e),
    }
}
