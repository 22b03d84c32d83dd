//! A short-lived, per-node cache of credential lookups (token or session →
//! user and tenant), so that most API calls need no query to know who calls.
//!
//! Entries live `ttl` (config `auth.cache_seconds`, default 5 s; 0 disables).
//! Every change this node makes to tokens, sessions, users or tenants clears
//! the cache at once; a change made on another node is seen here within `ttl`.
//! The rules (expiry, revocation, suspension) are re-checked on every hit.

use kura_db::{SessionRecord, TokenRecord};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept before the cache is simply emptied (bounds memory).
const MAX_ENTRIES: usize = 50_000;

#[derive(Default)]
struct Maps {
    tokens: HashMap<String, (Instant, TokenRecord)>,
    sessions: HashMap<String, (Instant, SessionRecord)>,
}

/// The cache; keys are hashes of the secrets, never the secrets.
pub(crate) struct AuthCache {
    ttl: Duration,
    maps: Mutex<Maps>,
}

impl AuthCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            maps: Mutex::default(),
        }
    }

    pub(crate) fn token(&self, hash: &str) -> Option<TokenRecord> {
        let m = self.maps.lock().ok()?;
        m.tokens
            .get(hash)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, r)| r.clone())
    }

    pub(crate) fn put_token(&self, hash: &str, r: &TokenRecord) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut m) = self.maps.lock() {
            if m.tokens.len() >= MAX_ENTRIES {
                m.tokens.clear();
            }
            m.tokens
                .insert(hash.to_string(), (Instant::now(), r.clone()));
        }
    }

    pub(crate) fn session(&self, hash: &str) -> Option<SessionRecord> {
        let m = self.maps.lock().ok()?;
        m.sessions
            .get(hash)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, r)| r.clone())
    }

    pub(crate) fn put_session(&self, hash: &str, r: &SessionRecord) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut m) = self.maps.lock() {
            if m.sessions.len() >= MAX_ENTRIES {
                m.sessions.clear();
            }
            m.sessions
                .insert(hash.to_string(), (Instant::now(), r.clone()));
        }
    }

    /// Forgets everything (after any change to credentials, users or tenants).
    pub(crate) fn clear(&self) {
        if let Ok(mut m) = self.maps.lock() {
            m.tokens.clear();
            m.sessions.clear();
        }
    }
}
