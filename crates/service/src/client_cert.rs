//! The client-certificate rule: when a tenant requires client certificates,
//! every sign-in and every authenticated request for it (whatever the
//! protocol) must come with a certificate that chains to one of the tenant's
//! CAs, is within its validity period, is not on the tenant's CRL and, if the
//! tenant says so, names the signed-in user.

use crate::{Result, Service, ServiceError};
use kura_auth::client_cert::{Refusal, cert_names, certs_from_pem, crls_from_pem, verify_chain};
use kura_core::{Tenant, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The certificate chain a request came with, end-entity first (DER), from
/// the TLS connection or from a trusted proxy's header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientCert {
    pub chain: Vec<Vec<u8>>,
}

/// How a certificate must also name the signed-in user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertUserMatch {
    /// Any valid certificate from the tenant's CAs will do.
    #[default]
    None,
    /// A subject e-mail address or rfc822Name SAN equals the user's e-mail.
    Email,
    /// The subject common name equals the user's login.
    Cn,
}

impl CertUserMatch {
    /// Reads the stored form; anything unknown is treated as the strictest
    /// reading that still has a meaning (`email`) rather than as `none`.
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "none" => Self::None,
            "cn" => Self::Cn,
            _ => Self::Email,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Email => "email",
            Self::Cn => "cn",
        }
    }
}

/// What a tenant trusts, loaded from the database.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trust {
    pub(crate) cas: Vec<Vec<u8>>,
    pub(crate) crls: Vec<Vec<u8>>,
    pub(crate) user_match: CertUserMatch,
}

impl Trust {
    /// Judges a presented chain for `user` (`None` before the user is known).
    pub(crate) fn judge(
        &self,
        user: Option<&User>,
        presented: Option<&ClientCert>,
        now_ms: i64,
    ) -> std::result::Result<(), Refusal> {
        let chain = presented.map(|c| c.chain.as_slice()).unwrap_or(&[]);
        verify_chain(chain, &self.cas, &self.crls, now_ms)?;
        let (Some(user), Some(end)) = (user, chain.first()) else {
            return Ok(());
        };
        let names = cert_names(end);
        let named = match self.user_match {
            CertUserMatch::None => true,
            CertUserMatch::Email => user
                .email
                .as_deref()
                .is_some_and(|e| names.emails.iter().any(|n| n.eq_ignore_ascii_case(e))),
            CertUserMatch::Cn => {
                let login = user.login.to_lowercase();
                names.common_names.iter().any(|n| n.to_lowercase() == login)
            }
        };
        if named {
            Ok(())
        } else {
            Err(Refusal::WrongUser)
        }
    }
}

/// A per-node cache of tenants' trust, like the credential cache: entries
/// live `ttl`; changes made on this node clear it at once.
pub(crate) struct TrustCache {
    ttl: Duration,
    map: Mutex<HashMap<i64, (Instant, Arc<Trust>)>>,
}

impl TrustCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::default(),
        }
    }

    fn get(&self, tenant_id: i64) -> Option<Arc<Trust>> {
        let m = self.map.lock().ok()?;
        m.get(&tenant_id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, t)| t.clone())
    }

    fn put(&self, tenant_id: i64, t: &Arc<Trust>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut m) = self.map.lock() {
            // Bounded by the number of tenants that require certificates.
            m.insert(tenant_id, (Instant::now(), t.clone()));
        }
    }

    pub(crate) fn forget(&self, tenant_id: i64) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&tenant_id);
        }
    }
}

/// The message people see; it says what to do, not only what failed.
pub(crate) fn refused(r: &Refusal) -> ServiceError {
    ServiceError::ClientCertificateRequired(format!(
        "this organisation requires a valid client certificate from its own certificate authority for every sign-in and request, and {r}; install the certificate your administrator issued to you in your browser or client and try again"
    ))
}

impl Service {
    /// A tenant's trust, from the cache or the database.
    pub(crate) async fn client_trust(&self, tenant_id: i64) -> Result<Arc<Trust>> {
        if let Some(t) = self.client_trust.get(tenant_id) {
            return Ok(t);
        }
        let cas = self
            .db
            .client_cas(tenant_id)
            .await?
            .iter()
            .filter_map(|row| certs_from_pem(&row.pem).ok())
            .flatten()
            .collect();
        let settings = self.db.client_cert_settings(tenant_id).await?;
        let trust = Arc::new(Trust {
            cas,
            crls: settings
                .crl_pem
                .as_deref()
                .map(crls_from_pem)
                .unwrap_or_default(),
            user_match: CertUserMatch::parse(&settings.user_match),
        });
        self.client_trust.put(tenant_id, &trust);
        Ok(trust)
    }

    /// Enforces the tenant's client-certificate rule on a sign-in (`user`
    /// `None` while only the tenant is known) or a request. Refusals are
    /// audited as `cert.refused`.
    pub async fn check_client_cert(
        &self,
        tenant: &Tenant,
        user: Option<&User>,
        presented: Option<&ClientCert>,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<()> {
        if !tenant.client_cert_required {
            return Ok(());
        }
        let trust = self.client_trust(tenant.id).await?;
        let Err(why) = trust.judge(user, presented, self.now()) else {
            return Ok(());
        };
        let detail = why.to_string();
        self.auth_event(crate::auth_events::AuthEvent {
            tenant_id: Some(tenant.id),
            user_id: user.map(|u| u.id),
            action: "cert.refused",
            target: user.map(|u| u.login.as_str()),
            detail: Some(&detail),
            ip,
            user_agent,
        })
        .await?;
        Err(refused(&why))
    }

    /// Refuses (unless `confirm`) a change to the caller's own tenant after
    /// which `next` would not accept the certificate of the caller's current
    /// request, so an admin never shuts themself out by accident.
    pub(crate) fn guard_cert_lock_out(
        &self,
        who: &crate::Identity,
        tenant: &Tenant,
        next: &Trust,
        presented: Option<&ClientCert>,
        confirm: bool,
    ) -> Result<()> {
        if confirm || tenant.id != who.tenant_id() || !tenant.client_cert_required {
            return Ok(());
        }
        if next.cas.is_empty() {
            return Err(ServiceError::WouldLockOutCaller(
                crate::LockOut::NoClientCa,
                "client certificates would be required, but this tenant has no CA certificate, so nobody could sign in; upload your CA first, or repeat with ?confirm=true".into(),
            ));
        }
        match next.judge(Some(&who.user), presented, self.now()) {
            Ok(()) => Ok(()),
            Err(why) => Err(ServiceError::WouldLockOutCaller(
                crate::LockOut::OwnCertificate,
                format!(
                    "after this change your own request would be refused ({why}); present a certificate that stays valid, or repeat with ?confirm=true"
                ),
            )),
        }
    }
}
