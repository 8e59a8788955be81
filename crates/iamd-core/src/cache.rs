//! One cache for everything derived from stored state: a bounded map whose entries are valid for
//! the generation of the data they were built from.
//!
//! Derived views (compiled policies per principal, the engine's view of a credential, unique ids
//! of users and roles, opened session tokens) are rebuilt on demand; a write moves the generation
//! of what it changed, and every entry built before is ignored from then on. The bound keeps
//! memory flat however many principals or tokens a node sees: past it the map is emptied and
//! refilled on demand (an O(1) policy whose worst case is one rebuild per entry).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

/// A bounded, generation-checked cache.
pub struct GenCache<K, V> {
    map: RwLock<HashMap<K, (u64, V)>>,
    capacity: usize,
    name: &'static str,
    /// Hits, misses and size, under the cache's metric name.
    stats: std::sync::Arc<iamd_metrics::CacheStats>,
}

impl<K: Hash + Eq, V: Clone> GenCache<K, V> {
    /// A cache holding at most `capacity` entries; `name` appears in diagnostics, `metric` (fixed,
    /// snake_case) is its `cache` label in the metrics.
    pub fn new(name: &'static str, metric: &'static str, capacity: usize) -> Self {
        GenCache {
            map: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
            name,
            stats: iamd_metrics::cache(metric, capacity.max(1)),
        }
    }

    /// The entry for `key` if it was built at `generation`.
    pub fn get<Q>(&self, key: &Q, generation: u64) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.map.read().ok()?;
        match map.get(key) {
            Some((g, v)) if *g == generation => {
                self.stats.hit();
                Some(v.clone())
            }
            _ => {
                self.stats.miss();
                None
            }
        }
    }

    /// Stores `value`, built at `generation` — unless a store access was refused while it was
    /// being built (an in-memory attempt on an async worker, see
    /// [`iamd_store::without_blocking`]): it may rest on an error turned into a default.
    pub fn insert(&self, key: K, generation: u64, value: V) {
        if iamd_store::refused_so_far() {
            return;
        }
        if let Ok(mut map) = self.map.write() {
            if map.len() >= self.capacity && !map.contains_key(&key) {
                tracing::debug!(
                    cache = self.name,
                    entries = map.len(),
                    "cache full: emptied"
                );
                self.stats.entries.add(-(map.len() as i64));
                map.clear();
            }
            if map.insert(key, (generation, value)).is_none() {
                self.stats.entries.add(1);
            }
        }
    }

    /// The entry for `key` at `generation`, built by `build` when absent or stale.
    pub fn get_or_try_insert<E>(
        &self,
        key: K,
        generation: u64,
        build: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(v) = self.get(&key, generation) {
            return Ok(v);
        }
        let v = build()?;
        self.insert(key, generation, v.clone());
        Ok(v)
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.map.write() {
            self.stats.entries.add(-(map.len() as i64));
            map.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K, V> Drop for GenCache<K, V> {
    fn drop(&mut self) {
        let held = match self.map.get_mut() {
            Ok(m) => m.len(),
            Err(poisoned) => poisoned.into_inner().len(),
        };
        self.stats.entries.add(-(held as i64));
    }
}

impl<K, V> std::fmt::Debug for GenCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenCache")
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lives_for_its_generation_only() {
        let c: GenCache<String, u32> = GenCache::new("t", "test", 10);
        c.insert("a".into(), 1, 7);
        assert_eq!(c.get("a", 1), Some(7));
        assert_eq!(c.get("a", 2), None);
        let v: Result<u32, ()> = c.get_or_try_insert("a".into(), 2, || Ok(8));
        assert_eq!(v, Ok(8));
        assert_eq!(c.get("a", 2), Some(8));
        let e: Result<u32, &str> = c.get_or_try_insert("b".into(), 2, || Err("no"));
        assert_eq!(e, Err("no"));
        assert_eq!(c.get("b", 2), None);
    }

    #[test]
    fn nothing_built_after_a_refused_store_access_is_kept() {
        let c: GenCache<u32, u32> = GenCache::new("t", "test", 10);
        let store = iamd_store::SqliteStore::open_in_memory().unwrap();
        let ((), refused) = iamd_store::without_blocking(|| {
            c.insert(1, 0, 1);
            let _ = iamd_store::StoreExt::read(&store, |_| Ok::<_, iamd_store::StoreError>(()));
            c.insert(2, 0, 2);
        });
        assert!(refused);
        assert_eq!(c.get(&1, 0), Some(1), "built before the refusal: kept");
        assert_eq!(c.get(&2, 0), None, "built after it: dropped");
    }

    #[test]
    fn hits_misses_and_entries_are_counted() {
        let c: GenCache<u32, u32> = GenCache::new("t", "test_counted", 2);
        let stats = iamd_metrics::cache("test_counted", 2);
        assert_eq!(c.get(&1, 0), None);
        c.insert(1, 0, 1);
        c.insert(1, 1, 1);
        assert_eq!(c.get(&1, 1), Some(1));
        c.insert(2, 0, 2);
        assert_eq!((stats.hits.get(), stats.misses.get()), (1, 1));
        assert_eq!(stats.entries.get(), 2);
        c.insert(3, 0, 3); // full: emptied, then one entry
        assert_eq!(stats.entries.get(), 1);
        c.clear();
        assert_eq!(stats.entries.get(), 0);
        c.insert(4, 0, 4);
        drop(c);
        assert_eq!(stats.entries.get(), 0);
    }

    #[test]
    fn the_bound_holds() {
        let c: GenCache<u32, u32> = GenCache::new("t", "test", 3);
        for i in 0..100 {
            c.insert(i, 0, i);
            assert!(c.len() <= 3);
        }
        // Replacing an existing key never empties the cache.
        c.insert(99, 1, 0);
        assert_eq!(c.get(&99, 1), Some(0));
    }
}
