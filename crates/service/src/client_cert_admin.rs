//! Managing a tenant's client-certificate trust: its CA certificates, its CRL
//! and whether a certificate must name the user. Tenant admins manage their
//! own tenant; the operator any tenant. Every change is audited, and a change
//! that would refuse the caller's own current certificate needs `confirm`.

use crate::client_cert::{CertUserMatch, ClientCert, Trust};
use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_auth::client_cert::{
    CrlInfo, cert_pem, certs_from_pem, crl_info, crls_from_pem, parse_ca_pem, parse_crl_pem,
};
use kura_db::{DbError, NewClientCa};

/// Most CA certificates one tenant may trust (each is tried per request).
const MAX_CAS: usize = 50;

/// A trusted CA certificate as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCaInfo {
    pub id: i64,
    pub subject: String,
    pub sha256: String,
    pub not_before: i64,
    pub not_after: i64,
    pub created_at: i64,
    pub pem: String,
}

/// A tenant's CRL document as shown: one entry per CRL in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCrlInfo {
    pub crls: Vec<CrlInfo>,
    pub updated_at: i64,
}

fn bad(msg: String) -> ServiceError {
    ServiceError::InvalidInput(msg)
}

impl Service {
    /// The tenant's trusted CA certificates.
    pub async fn client_cas(
        &self,
        who: &Identity,
        code: Option<&str>,
    ) -> Result<Vec<ClientCaInfo>> {
        let t = self.policy_tenant(who, code).await?;
        Ok(self
            .db
            .client_cas(t.id)
            .await?
            .into_iter()
            .map(|r| ClientCaInfo {
                id: r.id,
                subject: r.subject,
                sha256: r.sha256,
                not_before: r.not_before,
                not_after: r.not_after,
                created_at: r.created_at,
                pem: r.pem,
            })
            .collect())
    }

    /// Adds CA certificates (PEM, one or more). Each must be a CA certificate
    /// that has not expired; one already trusted is kept as it is. Returns
    /// the certificates of the upload as stored.
    pub async fn add_client_cas(
        &self,
        who: &Identity,
        code: Option<&str>,
        pem: &str,
    ) -> Result<Vec<ClientCaInfo>> {
        let t = self.policy_tenant(who, code).await?;
        let now = self.now();
        let cas = parse_ca_pem(pem, now).map_err(bad)?;
        let have = self.db.client_cas(t.id).await?;
        let new = cas
            .iter()
            .filter(|c| !have.iter().any(|h| h.sha256 == c.sha256))
            .count();
        if have.len() + new > MAX_CAS {
            return Err(bad(format!(
                "a tenant may trust at most {MAX_CAS} CA certificates; remove some first"
            )));
        }
        let pems: Vec<String> = cas.iter().map(|c| cert_pem(&c.der)).collect();
        let rows: Vec<NewClientCa<'_>> = cas
            .iter()
            .zip(&pems)
            .map(|(c, pem)| NewClientCa {
                subject: &c.subject,
                sha256: &c.sha256,
                not_before: c.not_before_ms,
                not_after: c.not_after_ms,
                pem,
            })
            .collect();
        let ids = self.db.add_client_cas(t.id, &rows, now).await?;
        self.client_trust.forget(t.id);
        let detail = cas
            .iter()
            .map(|c| format!("{} sha256={}", c.subject, c.sha256))
            .collect::<Vec<_>>()
            .join("; ");
        self.audit(who, "client_ca.add", &t.code, Some(&detail))
            .await?;
        let all = self.client_cas(who, code).await?;
        Ok(all.into_iter().filter(|c| ids.contains(&c.id)).collect())
    }

    /// Removes a trusted CA certificate.
    pub async fn delete_client_ca(
        &self,
        who: &Identity,
        code: Option<&str>,
        id: i64,
        presented: Option<&ClientCert>,
        confirm: bool,
    ) -> Result<()> {
        let t = self.policy_tenant(who, code).await?;
        let have = self.db.client_cas(t.id).await?;
        let Some(gone) = have.iter().find(|c| c.id == id) else {
            return Err(ServiceError::NotFound("the CA certificate".into()));
        };
        let mut next = Trust::clone(&*self.client_trust(t.id).await?);
        next.cas = have
            .iter()
            .filter(|c| c.id != id)
            .filter_map(|c| certs_from_pem(&c.pem).ok())
            .flatten()
            .collect();
        self.guard_cert_lock_out(who, &t, &next, presented, confirm)?;
        self.db
            .delete_client_ca(t.id, id)
            .await
            .map_err(|e| match e {
                DbError::NotFound => ServiceError::NotFound("the CA certificate".into()),
                e => e.into(),
            })?;
        self.client_trust.forget(t.id);
        let detail = format!("{} sha256={}", gone.subject, gone.sha256);
        self.audit(who, "client_ca.delete", &t.code, Some(&detail))
            .await
    }

    /// The tenant's CRL document, if it has one.
    pub async fn client_crl(
        &self,
        who: &Identity,
        code: Option<&str>,
    ) -> Result<Option<ClientCrlInfo>> {
        let t = self.policy_tenant(who, code).await?;
        let s = self.db.client_cert_settings(t.id).await?;
        Ok(s.crl_pem.map(|pem| ClientCrlInfo {
            crls: crls_from_pem(&pem)
                .iter()
                .filter_map(|d| crl_info(d))
                .collect(),
            updated_at: s.crl_updated_at.unwrap_or_default(),
        }))
    }

    /// Replaces the tenant's CRL document (PEM, one or more CRLs, each signed
    /// by one of the tenant's CA certificates).
    pub async fn set_client_crl(
        &self,
        who: &Identity,
        code: Option<&str>,
        pem: &str,
        presented: Option<&ClientCert>,
        confirm: bool,
    ) -> Result<ClientCrlInfo> {
        let t = self.policy_tenant(who, code).await?;
        let mut next = Trust::clone(&*self.client_trust(t.id).await?);
        let crls = parse_crl_pem(pem, &next.cas).map_err(bad)?;
        next.crls = crls.clone();
        self.guard_cert_lock_out(who, &t, &next, presented, confirm)?;
        self.db.set_client_crl(t.id, Some(pem), self.now()).await?;
        self.client_trust.forget(t.id);
        let info = ClientCrlInfo {
            crls: crls.iter().filter_map(|d| crl_info(d)).collect(),
            updated_at: self.now(),
        };
        let detail = info
            .crls
            .iter()
            .map(|c| format!("{} ({} revoked)", c.issuer, c.revoked))
            .collect::<Vec<_>>()
            .join("; ");
        self.audit(who, "client_crl.set", &t.code, Some(&detail))
            .await?;
        Ok(info)
    }

    /// Removes the tenant's CRL document (it only ever accepts more).
    pub async fn delete_client_crl(&self, who: &Identity, code: Option<&str>) -> Result<()> {
        let t = self.policy_tenant(who, code).await?;
        self.db.set_client_crl(t.id, None, self.now()).await?;
        self.client_trust.forget(t.id);
        self.audit(who, "client_crl.delete", &t.code, None).await
    }

    /// Whether a certificate must also name the signed-in user.
    pub async fn client_cert_user_match(
        &self,
        who: &Identity,
        code: Option<&str>,
    ) -> Result<CertUserMatch> {
        let t = self.policy_tenant(who, code).await?;
        Ok(self.client_trust(t.id).await?.user_match)
    }

    /// Sets whether a certificate must also name the signed-in user.
    pub async fn set_client_cert_user_match(
        &self,
        who: &Identity,
        code: Option<&str>,
        user_match: CertUserMatch,
        presented: Option<&ClientCert>,
        confirm: bool,
    ) -> Result<CertUserMatch> {
        let t = self.policy_tenant(who, code).await?;
        let mut next = Trust::clone(&*self.client_trust(t.id).await?);
        next.user_match = user_match;
        self.guard_cert_lock_out(who, &t, &next, presented, confirm)?;
        self.db
            .set_client_cert_user_match(t.id, user_match.as_str())
            .await?;
        self.client_trust.forget(t.id);
        self.audit(
            who,
            "client_cert.user_match",
            &t.code,
            Some(user_match.as_str()),
        )
        .await?;
        Ok(user_match)
    }
}
