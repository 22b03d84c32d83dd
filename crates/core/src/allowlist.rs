//! IP allowlists: lists of CIDR ranges a tenant's users may connect from.

use crate::CoreError;
pub use ipnet::IpNet;
use std::net::IpAddr;

/// Parses ranges such as `203.0.113.0/24`, `2001:db8::/32` or a bare address
/// (a single host). Empty entries are skipped; duplicates are kept once.
pub fn parse_cidrs<S: AsRef<str>>(items: &[S]) -> Result<Vec<IpNet>, CoreError> {
    let mut out: Vec<IpNet> = Vec::new();
    for item in items {
        let s = item.as_ref().trim();
        if s.is_empty() {
            continue;
        }
        let net = s
            .parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| {
                CoreError::InvalidValue(format!(
                    "{s:?} is not an IP address or CIDR range (e.g. 203.0.113.0/24 or 2001:db8::/32)"
                ))
            })?
            .trunc();
        if !out.contains(&net) {
            out.push(net);
        }
    }
    Ok(out)
}

/// The stored form: comma-separated, or `None` for "no restriction".
pub fn store_cidrs(list: Option<&[IpNet]>) -> Option<String> {
    list.map(|l| l.iter().map(IpNet::to_string).collect::<Vec<_>>().join(","))
}

/// Reads the stored form back.
pub fn load_cidrs(stored: Option<&str>) -> Result<Option<Vec<IpNet>>, CoreError> {
    stored
        .map(|s| parse_cidrs(&s.split(',').collect::<Vec<_>>()))
        .transpose()
}

/// True if `ip` is inside one of `list`; `None` (no list) allows everyone,
/// an unknown address is allowed only by no list. IPv4-mapped IPv6 addresses
/// count as their IPv4 address.
pub fn allows(list: Option<&[IpNet]>, ip: Option<IpAddr>) -> bool {
    let Some(list) = list else { return true };
    let Some(ip) = ip else { return false };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    list.iter().any(|n| n.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_and_matching() {
        let l = parse_cidrs(&["203.0.113.7/24", " 2001:db8::/32", "198.51.100.5", ""]).unwrap();
        assert_eq!(
            store_cidrs(Some(&l)).unwrap(),
            "203.0.113.0/24,2001:db8::/32,198.51.100.5/32"
        );
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert!(allows(Some(&l), ip("203.0.113.200")));
        assert!(allows(Some(&l), ip("::ffff:203.0.113.9")));
        assert!(allows(Some(&l), ip("2001:db8:1::1")));
        assert!(allows(Some(&l), ip("198.51.100.5")));
        assert!(!allows(Some(&l), ip("198.51.100.6")));
        assert!(!allows(Some(&l), ip("127.0.0.1")));
        assert!(!allows(Some(&l), None));
        assert!(allows(None, None));
        assert!(!allows(Some(&[]), ip("127.0.0.1")));
        assert!(parse_cidrs(&["10.0.0.0/33"]).is_err());
        assert!(parse_cidrs(&["office"]).is_err());
        assert_eq!(load_cidrs(Some("10.0.0.0/8")).unwrap().unwrap().len(), 1);
        assert_eq!(load_cidrs(None).unwrap(), None);
    }
}
