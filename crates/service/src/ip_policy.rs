//! Per-tenant IP allowlists: everyone in a tenant, and optionally its admins
//! more strictly, must come from listed address ranges. Checked on login and
//! on every authenticated request, whatever the protocol.

use crate::{Result, ServiceError};
use kura_core::allowlist::{allows, parse_cidrs};
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

/// The lines of an allowlist, as a person typed them one per line, that are
/// not an address or range: (line number from 1, the line as typed). Empty
/// lines are fine (they are skipped when the list is saved).
pub fn invalid_cidr_lines(lines: &[&str]) -> Vec<(usize, String)> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| parse_cidrs(&[l.trim()]).is_err())
        .map(|(i, l)| (i + 1, l.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_named_by_number() {
        let lines = [
            "203.0.113.0/24",
            "",
            "10.0.0.0/33",
            " 2001:db8::/32 ",
            "office",
        ];
        assert_eq!(
            invalid_cidr_lines(&lines),
            vec![(3, "10.0.0.0/33".to_string()), (5, "office".to_string())]
        );
        assert!(invalid_cidr_lines(&["127.0.0.1"]).is_empty());
    }
}
