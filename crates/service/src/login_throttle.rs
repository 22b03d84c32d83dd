//! Throttling failed sign-ins per client address, on this node: after too
//! many failures in a window, that address may not try again until the window
//! ends (whatever account it tries). Account lockout (per user, in the
//! database) is the other half; this one stops spraying many accounts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Addresses remembered at most; older windows are dropped first.
const MAX_TRACKED: usize = 100_000;

/// Failure counts per address in fixed windows.
pub(crate) struct LoginThrottle {
    max_failures: u32,
    window_ms: i64,
    seen: Mutex<HashMap<IpAddr, (u32, i64)>>,
}

impl LoginThrottle {
    pub(crate) fn new(max_failures: u32, window_ms: i64) -> Self {
        Self {
            max_failures,
            window_ms: window_ms.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` if `ip` has used up its failures.
    pub(crate) fn blocked(&self, ip: Option<IpAddr>, now: i64) -> Option<u64> {
        let ip = ip?;
        if self.max_failures == 0 {
            return None;
        }
        let seen = self.seen.lock().ok()?;
        let (count, start) = *seen.get(&ip)?;
        let ends = start + self.window_ms;
        (count >= self.max_failures && now < ends)
            .then(|| u64::try_from((ends - now + 999) / 1000).unwrap_or(1).max(1))
    }

    /// Counts a failed sign-in from `ip`.
    pub(crate) fn failed(&self, ip: Option<IpAddr>, now: i64) {
        let Some(ip) = ip else { return };
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if seen.len() >= MAX_TRACKED {
            let window = self.window_ms;
            seen.retain(|_, (_, start)| now < *start + window);
        }
        let e = seen.entry(ip).or_insert((0, now));
        if now >= e.1 + self.window_ms {
            *e = (0, now);
        }
        e.0 = e.0.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let t = LoginThrottle::new(3, 60_000);
        let ip: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        let other: Option<IpAddr> = Some("192.0.2.2".parse().unwrap());
        for _ in 0..2 {
            t.failed(ip, 1_000);
        }
        assert_eq!(t.blocked(ip, 1_000), None);
        t.failed(ip, 2_000);
        assert_eq!(t.blocked(ip, 2_000), Some(59));
        assert_eq!(t.blocked(other, 2_000), None);
        assert_eq!(t.blocked(ip, 61_000), None, "the window has passed");
        t.failed(ip, 61_000);
        assert_eq!(t.blocked(ip, 61_000), None, "a new window starts at one");
        assert_eq!(LoginThrottle::new(0, 1).blocked(ip, 0), None);
    }
}
