//! A cache of path lookups (path → file and version) for the SQLite backend.
//!
//! With SQLite exactly one server process owns the database, and every change
//! to the tree goes through this `Db`, so generation counters bumped after each
//! committed change make stale entries impossible: a lookup stores the
//! generations it read *before* querying, and an entry is used only while they
//! are unchanged. PostgreSQL deployments have several nodes that cannot see
//! each other's writes, so there the cache is off.
//!
//! There are two counters. Any change bumps `files`; changes that can move,
//! hide or reveal an existing path (moves, renames, trash, restore, purge,
//! new folders, quarantine) also bump `tree`. Folder entries only need `tree`
//! unchanged: a new file or a new version changes no folder and no other
//! path, so a steady stream of uploads into one folder keeps finding that
//! folder in the cache. File entries (they carry the current version) need
//! both.

use kura_core::{Node, NodeKind, Version};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Entries kept before the cache is emptied (bounds memory).
const MAX_ENTRIES: usize = 20_000;

type Key = (i64, String, Option<i64>);
/// The (tree, files) counters an entry was read at.
pub(crate) type Generation = (u64, u64);
/// A resolved path: the generations it was read at, the node and its version.
type Entry = (Generation, Node, Option<Version>);

/// Path → (node, version) entries stamped with the generations they were read at.
#[derive(Default)]
pub(crate) struct PathCache {
    tree: AtomicU64,
    files: AtomicU64,
    map: Mutex<HashMap<Key, Entry>>,
}

impl PathCache {
    /// The current generations; read them before querying the database.
    pub(crate) fn generation(&self) -> Generation {
        // Bumps follow commits and the query follows these loads, so an
        // entry is never stamped newer than the data it holds.
        (
            self.tree.load(Ordering::Acquire),
            self.files.load(Ordering::Acquire),
        )
    }

    /// Marks every entry stale (after a change that can move, hide or
    /// reveal a path).
    pub(crate) fn bump_tree(&self) {
        self.tree.fetch_add(1, Ordering::AcqRel);
        self.files.fetch_add(1, Ordering::AcqRel);
    }

    /// Marks file entries stale (after a new file or a new version).
    pub(crate) fn bump_files(&self) {
        self.files.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn get(&self, key: &Key) -> Option<(Node, Option<Version>)> {
        let (tree, files) = self.generation();
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|((t, f), n, _)| *t == tree && (n.kind == NodeKind::Folder || *f == files))
            .map(|(_, n, v)| (n.clone(), v.clone()))
    }

    pub(crate) fn put(
        &self,
        key: Key,
        generation: Generation,
        node: &Node,
        version: &Option<Version>,
    ) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (generation, node.clone(), version.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PathCache;
    use kura_core::{Node, NodeKind};

    fn node(id: i64, kind: NodeKind) -> Node {
        Node {
            id,
            tenant_id: 1,
            parent_id: Some(1),
            kind,
            name: format!("n{id}"),
            size: 0,
            current_version_id: None,
            etag: "e".into(),
            content_type: None,
            created_at: 0,
            modified_at: 0,
            modified_by: None,
            trashed_at: None,
            scan_status: None,
        }
    }

    #[test]
    fn uploads_keep_folders_and_tree_changes_drop_everything() {
        let c = PathCache::default();
        let (folder, file) = ((1, "a".to_string(), None), (1, "a/f".to_string(), None));
        let g = c.generation();
        c.put(folder.clone(), g, &node(2, NodeKind::Folder), &None);
        c.put(file.clone(), g, &node(3, NodeKind::File), &None);
        assert!(c.get(&folder).is_some() && c.get(&file).is_some());
        // A new file or version: the folder stays, the file entry goes.
        c.bump_files();
        assert_eq!(c.get(&folder).map(|(n, _)| n.id), Some(2));
        assert!(c.get(&file).is_none());
        // A move, trash or restore: everything goes.
        c.bump_tree();
        assert!(c.get(&folder).is_none());
        // An entry read before a bump is stale at once.
        let before = c.generation();
        c.bump_tree();
        c.put(folder.clone(), before, &node(2, NodeKind::Folder), &None);
        assert!(c.get(&folder).is_none());
    }
}
