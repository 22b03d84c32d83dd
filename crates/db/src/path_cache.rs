//! A cache of path lookups (path → file and version) for the SQLite backend.
//!
//! With SQLite exactly one server process owns the database, and every change
//! to the tree goes through this `Db`, so a generation counter bumped after each
//! committed change makes stale entries impossible: a lookup stores the
//! generation it read *before* querying, and an entry is used only while the
//! generation is unchanged. PostgreSQL deployments have several nodes that
//! cannot see each other's writes, so there the cache is off.

use kura_core::{Node, Version};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Entries kept before the cache is emptied (bounds memory).
const MAX_ENTRIES: usize = 20_000;

type Key = (i64, String, Option<i64>);
/// A resolved path: the generation it was read at, the node and its version.
type Entry = (u64, Node, Option<Version>);

/// Path → (node, version) entries stamped with the generation they were read at.
#[derive(Default)]
pub(crate) struct PathCache {
    generation: AtomicU64,
    map: Mutex<HashMap<Key, Entry>>,
}

impl PathCache {
    /// The current generation; read it before querying the database.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Marks every entry stale (after any committed change to the tree).
    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn get(&self, key: &Key) -> Option<(Node, Option<Version>)> {
        let now = self.generation();
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(g, _, _)| *g == now)
            .map(|(_, n, v)| (n.clone(), v.clone()))
    }

    pub(crate) fn put(&self, key: Key, generation: u64, node: &Node, version: &Option<Version>) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (generation, node.clone(), version.clone()));
        }
    }
}
