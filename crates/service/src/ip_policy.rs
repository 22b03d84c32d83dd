//! Per-tenant IP allowlists: everyone in a tenant, and optionally its admins
//! more strictly, must come from listed address ranges. Checked on login and
//! on every authenticated request, whatever the protocol.

use crate::{Result, ServiceError};
use kura_core::allowlist::allows;
use kura_core::{Role, Tenant};
use std::net::IpAddr;

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
