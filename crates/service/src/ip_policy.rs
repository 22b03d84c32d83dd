//! Per-tenant IP allowlists: everyone in a tenant, and optionally its admins
//! more strictly, must come from listed address ranges. Checked on login and
//! on every authenticated request, whatever the protocol.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::allowlist::{allows, parse_cidrs, store_cidrs};
use kura_core::{Role, Tenant};
use std::net::IpAddr;

/// A tenant's allowlists as set by its admins (`None`: no restriction).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IpAllowlists {
    pub all: Option<Vec<String>>,
    pub admins: Option<Vec<String>>,
}

fn parse_ip(ip: Option<&str>) -> Option<IpAddr> {
    ip.and_then(|s| s.parse().ok())
}

/// Refuses `role` reaching `tenant` from `ip` unless its allowlists allow it.
pub(crate) fn check_ip(tenant: &Tenant, role: Role, ip: Option<&str>) -> Result<()> {
    if tenant.ip_allowed(role, parse_ip(ip)) {
        return Ok(());
    }
    Err(ServiceError::IpNotAllowed(
        ip.unwrap_or("an unknown address").to_string(),
    ))
}

/// Refuses `ip` if the tenant-wide list excludes it (before the role is known).
pub(crate) fn check_ip_for_anyone(tenant: &Tenant, ip: Option<&str>) -> Result<()> {
    if allows(tenant.ip_allow.as_deref(), parse_ip(ip)) {
        return Ok(());
    }
    Err(ServiceError::IpNotAllowed(
        ip.unwrap_or("an unknown address").to_string(),
    ))
}

fn shown(list: Option<&[kura_core::allowlist::IpNet]>) -> Option<Vec<String>> {
    list.map(|l| l.iter().map(ToString::to_string).collect())
}

impl Service {
    /// The caller's tenant's allowlists (tenant admins).
    pub async fn ip_allowlists(&self, who: &Identity) -> Result<IpAllowlists> {
        who.require_tenant_admin()?;
        let t = self.db.tenant_by_id(who.tenant_id()).await?;
        Ok(IpAllowlists {
            all: shown(t.ip_allow.as_deref()),
            admins: shown(t.ip_allow_admin.as_deref()),
        })
    }

    /// Replaces the caller's tenant's allowlists (tenant admins; the operator
    /// for the system tenant). An empty or absent list lifts the restriction.
    /// A change that would shut out the caller's own address is refused.
    pub async fn set_ip_allowlists(
        &self,
        who: &Identity,
        all: Option<Vec<String>>,
        admins: Option<Vec<String>>,
    ) -> Result<IpAllowlists> {
        who.require_tenant_admin()?;
        let parse = |l: Option<Vec<String>>| -> Result<Option<Vec<kura_core::allowlist::IpNet>>> {
            match l {
                None => Ok(None),
                Some(items) => {
                    let nets = parse_cidrs(&items)?;
                    Ok((!nets.is_empty()).then_some(nets))
                }
            }
        };
        let all = parse(all)?;
        let admins = parse(admins)?;
        let mut next = who.tenant.clone();
        next.ip_allow = all.clone();
        next.ip_allow_admin = admins.clone();
        if !next.ip_allowed(who.user.role, parse_ip(who.ip.as_deref())) {
            return Err(ServiceError::InvalidInput(format!(
                "these lists would shut out your own address ({}); include it, or make the change from an allowed address",
                who.ip.as_deref().unwrap_or("unknown")
            )));
        }
        let t = self
            .db
            .set_ip_allowlists(
                who.tenant_id(),
                store_cidrs(all.as_deref()).as_deref(),
                store_cidrs(admins.as_deref()).as_deref(),
            )
            .await?;
        // Cached identities carry the tenant and its lists.
        self.auth_cache.clear();
        let out = IpAllowlists {
            all: shown(t.ip_allow.as_deref()),
            admins: shown(t.ip_allow_admin.as_deref()),
        };
        let detail = serde_json::to_string(&out).unwrap_or_default();
        self.audit(who, "policy.ip_allowlist", &t.code, Some(&detail))
            .await?;
        Ok(out)
    }
}
