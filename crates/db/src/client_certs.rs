//! A tenant's client-certificate trust: the CA certificates it uploaded, its
//! CRL and whether a certificate must name the signed-in user.

use crate::{Db, DbError};
use kura_core::Timestamp;

/// One trusted CA certificate as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientCaRow {
    pub id: i64,
    pub subject: String,
    pub sha256: String,
    pub not_before: i64,
    pub not_after: i64,
    pub pem: String,
    pub created_at: i64,
}

/// A new CA certificate to store.
#[derive(Debug, Clone, Copy)]
pub struct NewClientCa<'a> {
    pub subject: &'a str,
    pub sha256: &'a str,
    pub not_before: i64,
    pub not_after: i64,
    pub pem: &'a str,
}

/// The tenant's settings; a tenant that never set any gets the defaults.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ClientCertSettingsRow {
    /// `none`, `email` or `cn`.
    pub user_match: String,
    pub crl_pem: Option<String>,
    pub crl_updated_at: Option<i64>,
}

impl Db {
    /// The tenant's CA certificates, oldest first.
    pub async fn client_cas(&self, tenant_id: i64) -> Result<Vec<ClientCaRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, subject, sha256, not_before, not_after, pem, created_at
             FROM tenant_client_cas WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stores CA certificates; one the tenant already has is skipped. Returns
    /// the ids of those stored (or already there), in order.
    pub async fn add_client_cas(
        &self,
        tenant_id: i64,
        cas: &[NewClientCa<'_>],
        now: Timestamp,
    ) -> Result<Vec<i64>, DbError> {
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(cas.len());
        for ca in cas {
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM tenant_client_cas WHERE tenant_id = $1 AND sha256 = $2",
            )
            .bind(tenant_id)
            .bind(ca.sha256)
            .fetch_optional(&mut *tx)
            .await?;
            let id = match existing {
                Some(id) => id,
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO tenant_client_cas
                         (tenant_id, subject, sha256, not_before, not_after, pem, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(tenant_id)
                    .bind(ca.subject)
                    .bind(ca.sha256)
                    .bind(ca.not_before)
                    .bind(ca.not_after)
                    .bind(ca.pem)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Removes one of the tenant's CA certificates.
    pub async fn delete_client_ca(&self, tenant_id: i64, id: i64) -> Result<(), DbError> {
        let done = sqlx::query("DELETE FROM tenant_client_cas WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound);
        }
        Ok(())
    }

    /// The tenant's settings (defaults if it never set any).
    pub async fn client_cert_settings(
        &self,
        tenant_id: i64,
    ) -> Result<ClientCertSettingsRow, DbError> {
        let row: Option<ClientCertSettingsRow> = sqlx::query_as(
            "SELECT user_match, crl_pem, crl_updated_at
             FROM tenant_client_cert_settings WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.unwrap_or_else(|| ClientCertSettingsRow {
            user_match: "none".into(),
            ..Default::default()
        }))
    }

    /// Sets whether a certificate must name the signed-in user.
    pub async fn set_client_cert_user_match(
        &self,
        tenant_id: i64,
        user_match: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO tenant_client_cert_settings (tenant_id, user_match) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO UPDATE SET user_match = excluded.user_match",
        )
        .bind(tenant_id)
        .bind(user_match)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces (or, with `None`, removes) the tenant's CRL.
    pub async fn set_client_crl(
        &self,
        tenant_id: i64,
        crl_pem: Option<&str>,
        now: Timestamp,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO tenant_client_cert_settings (tenant_id, crl_pem, crl_updated_at)
             VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id) DO UPDATE SET crl_pem = excluded.crl_pem,
             crl_updated_at = excluded.crl_updated_at",
        )
        .bind(tenant_id)
        .bind(crl_pem)
        .bind(crl_pem.map(|_| now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
