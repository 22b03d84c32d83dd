//! Contents of small blobs kept in memory. Blob keys are never reused and a
//! blob's bytes never change, so an entry can never be stale; the cache is
//! bounded by total bytes and evicts the oldest entries first.

use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Blobs up to this size are cached.
pub(crate) const MAX_ITEM: u64 = 64 << 10;

#[derive(Default)]
struct Inner {
    map: HashMap<String, Bytes>,
    order: VecDeque<String>,
    bytes: usize,
}

/// A byte-bounded FIFO cache of whole small blobs.
pub(crate) struct SmallCache {
    budget: usize,
    inner: Mutex<Inner>,
}

impl SmallCache {
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            budget,
            inner: Mutex::default(),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<Bytes> {
        self.inner.lock().ok()?.map.get(key).cloned()
    }

    pub(crate) fn put(&self, key: &str, data: Bytes) {
        if data.len() as u64 > MAX_ITEM || data.len() > self.budget {
            return;
        }
        let Ok(mut g) = self.inner.lock() else { return };
        if g.map.contains_key(key) {
            return;
        }
        while g.bytes + data.len() > self.budget {
            let Some(old) = g.order.pop_front() else {
                break;
            };
            if let Some(b) = g.map.remove(&old) {
                g.bytes -= b.len();
            }
        }
        g.bytes += data.len();
        g.order.push_back(key.to_string());
        g.map.insert(key.to_string(), data);
    }

    pub(crate) fn remove(&self, key: &str) {
        if let Ok(mut g) = self.inner.lock()
            && let Some(b) = g.map.remove(key)
        {
            g.bytes -= b.len();
            g.order.retain(|k| k != key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_within_budget() {
        let c = SmallCache::new(10);
        c.put("a", Bytes::from_static(b"12345"));
        c.put("b", Bytes::from_static(b"12345"));
        assert!(c.get("a").is_some());
        c.put("c", Bytes::from_static(b"123"));
        assert!(c.get("a").is_none(), "oldest evicted");
        assert_eq!(c.get("b").unwrap(), Bytes::from_static(b"12345"));
        c.remove("b");
        assert!(c.get("b").is_none());
        c.put("big", Bytes::from(vec![0u8; 11]));
        assert!(
            c.get("big").is_none(),
            "larger than the budget is not cached"
        );
    }
}
