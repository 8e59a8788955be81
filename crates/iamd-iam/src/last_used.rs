//! Last use of access keys, roles and service namespaces (issue #14 item 6): what
//! GetAccessKeyLastUsed, RoleLastUsed, the credential report and the service-last-accessed
//! reports answer.
//!
//! The server records every authenticated request here ([`LastUsed::record_request`], called
//! once the signature verified, before the operation runs: AWS counts attempts, denied ones
//! included). The hot path only touches memory: a sharded map of the latest use per subject,
//! marked dirty. A background flush ([`LastUsed::flush`], every [`FLUSH_PERIOD`] and at
//! shutdown) writes the dirty entries to the store in one transaction, so each subject is
//! written at most once per period whatever the request rate, survives restarts and reaches
//! the other nodes. Reads merge this node's memory with the store, so a use is visible on the
//! node that served it at once (AWS documents a delay of up to four hours; a later use within
//! the same period overwrites an earlier one here, where AWS keeps the first of 15 minutes).
//! Memory is bounded: past [`MAX_ENTRIES`] the entries already flushed are forgotten (they are
//! in the store), and if every entry is still dirty a new subject is dropped and counted.

use crate::accounts::{Caller, Principal};
use crate::error::Error;
use iamd_store::{Expect, Store, StoreExt, Tx};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Store kind of last-use records; key `<subject>` (see [`Subject::store_key`]), per account.
pub const KIND_LAST_USED: &str = "last_used";
/// How often the server writes the uses recorded in memory to the store.
pub const FLUSH_PERIOD: std::time::Duration = std::time::Duration::from_secs(60);
/// Most subjects kept in memory (all shards together).
pub const MAX_ENTRIES: usize = 200_000;
const SHARDS: usize = 16;
/// Most records one prefix listing reads (one entity's services: a handful).
const MAX_LISTED: usize = 10_000;

/// One use: when, of which service namespace (`iam`, `sts`, `secretsmanager`), in which Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Use {
    /// Unix seconds.
    pub at: i64,
    pub service: String,
    pub region: String,
}

/// What a use is recorded against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A long-term access key, by id (GetAccessKeyLastUsed, the credential report).
    AccessKey(String),
    /// A role, by unique id (RoleLastUsed): a role deleted and created again starts unused.
    Role(String),
    /// A principal (user or role unique id; `root` for the account root) and a service
    /// namespace (service last accessed).
    Service { entity: String, namespace: String },
}

impl Subject {
    pub fn store_key(&self) -> String {
        match self {
            Subject::AccessKey(id) => format!("key:{id}"),
            Subject::Role(id) => format!("role:{id}"),
            Subject::Service { entity, namespace } => format!("svc:{entity}:{namespace}"),
        }
    }
}

/// The store-key prefix of one entity's per-service records.
pub fn service_prefix(entity: &str) -> String {
    format!("svc:{entity}:")
}

#[derive(Debug)]
struct Slot {
    used: Use,
    dirty: bool,
}

type Shard = HashMap<(String, String), Slot>;

/// The tracker (one per process; see the module documentation).
pub struct LastUsed {
    shards: Vec<Mutex<Shard>>,
    hasher: std::collections::hash_map::RandomState,
    dropped: AtomicU64,
    capacity: usize,
}

impl Default for LastUsed {
    fn default() -> Self {
        Self::with_capacity(MAX_ENTRIES)
    }
}

impl std::fmt::Debug for LastUsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LastUsed")
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn lock(m: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LastUsed {
    /// A tracker holding at most `capacity` subjects in memory.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: Default::default(),
            dropped: AtomicU64::new(0),
            capacity: capacity.max(SHARDS),
        }
    }

    fn shard(&self, key: &(String, String)) -> Option<&Mutex<Shard>> {
        let mut h = self.hasher.build_hasher();
        key.hash(&mut h);
        let i = usize::try_from(h.finish() % SHARDS as u64).unwrap_or(0);
        self.shards.get(i)
    }

    /// Uses dropped because memory was full of uses not yet flushed.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records one use of `subject` in memory (the hot path: no store access).
    pub fn record(&self, account: &str, subject: &Subject, used: &Use) {
        let key = (account.to_owned(), subject.store_key());
        let Some(shard) = self.shard(&key) else {
            return;
        };
        let mut map = lock(shard);
        if let Some(slot) = map.get_mut(&key) {
            // The same use again within the second changes nothing.
            if slot.used.at >= used.at
                && slot.used.service == used.service
                && slot.used.region == used.region
            {
                return;
            }
            if used.at >= slot.used.at {
                slot.used = used.clone();
                slot.dirty = true;
            }
            return;
        }
        if map.len() >= self.capacity / SHARDS {
            map.retain(|_, s| s.dirty);
            if map.len() >= self.capacity / SHARDS {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        map.insert(
            key,
            Slot {
                used: used.clone(),
                dirty: true,
            },
        );
    }

    /// Records an authenticated request of `caller` to `service` (its signing name, which is
    /// the service namespace) in `region`: the access key for long-term keys, the role for
    /// role sessions, and the principal's use of the service.
    pub fn record_request(&self, caller: &Caller, service: &str, region: &str, now: i64) {
        let used = Use {
            at: now,
            service: service.to_owned(),
            region: region.to_owned(),
        };
        let entity = match &caller.principal {
            Principal::Root => Some("root"),
            Principal::User { id, .. } => Some(id.as_str()),
            Principal::AssumedRole { role_id, .. } => {
                self.record(&caller.account, &Subject::Role(role_id.clone()), &used);
                Some(role_id.as_str())
            }
            Principal::FederatedUser { .. } => None,
        };
        if caller.session.is_none() {
            self.record(
                &caller.account,
                &Subject::AccessKey(caller.access_key_id.clone()),
                &used,
            );
        }
        if let Some(entity) = entity {
            self.record(
                &caller.account,
                &Subject::Service {
                    entity: entity.to_owned(),
                    namespace: service.to_owned(),
                },
                &used,
            );
        }
    }

    /// This node's use of `subject` not necessarily flushed yet.
    fn in_memory(&self, account: &str, key: &str) -> Option<Use> {
        let key = (account.to_owned(), key.to_owned());
        let shard = self.shard(&key)?;
        lock(shard).get(&key).map(|s| s.used.clone())
    }

    /// The last use of `subject`: the later of this node's memory and the store.
    pub fn get(
        &self,
        store: &dyn Store,
        account: &str,
        subject: &Subject,
    ) -> Result<Option<Use>, Error> {
        let key = subject.store_key();
        let stored = store.read(|tx| stored_use(tx, account, &key))?;
        Ok(later(stored, self.in_memory(account, &key)))
    }

    /// Every recorded use whose store key starts with `prefix` in `account`, by store key.
    pub fn with_prefix(
        &self,
        store: &dyn Store,
        account: &str,
        prefix: &str,
    ) -> Result<Vec<(String, Use)>, Error> {
        let stored: Vec<(String, Use)> = store.read(|tx| {
            Ok::<_, Error>(
                tx.list_after(KIND_LAST_USED, account, Some(prefix), MAX_LISTED)?
                    .into_iter()
                    .take_while(|r| r.key.starts_with(prefix))
                    .filter_map(|r| {
                        serde_json::from_slice::<Use>(&r.data)
                            .ok()
                            .map(|u| (r.key, u))
                    })
                    .collect(),
            )
        })?;
        let mut out: std::collections::BTreeMap<String, Use> = stored.into_iter().collect();
        for shard in &self.shards {
            for ((a, k), slot) in lock(shard).iter() {
                if a == account && k.starts_with(prefix) {
                    let merged = later(out.remove(k), Some(slot.used.clone()));
                    if let Some(u) = merged {
                        out.insert(k.clone(), u);
                    }
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Writes the uses recorded since the last flush to the store, keeping a later use another
    /// node wrote; returns how many were written. On failure they stay dirty for the next one.
    pub fn flush(&self, store: &dyn Store) -> Result<usize, Error> {
        let mut batch: Vec<((String, String), Use)> = Vec::new();
        for shard in &self.shards {
            for (k, slot) in lock(shard).iter_mut() {
                if slot.dirty {
                    slot.dirty = false;
                    batch.push((k.clone(), slot.used.clone()));
                }
            }
        }
        if batch.is_empty() {
            return Ok(0);
        }
        let written = store.write(|tx| {
            let mut n = 0;
            for ((account, key), used) in &batch {
                let stored = stored_use(tx, account, key)?;
                if stored.as_ref().is_some_and(|s| s.at >= used.at) {
                    continue;
                }
                let data = serde_json::to_vec(used)
                    .map_err(|e| Error::Internal(format!("encoding a last use: {e}")))?;
                tx.put(KIND_LAST_USED, account, key, &data, Expect::Any)?;
                n += 1;
            }
            Ok::<_, Error>(n)
        });
        if written.is_err() {
            for (k, used) in batch {
                if let Some(shard) = self.shard(&k) {
                    let mut map = lock(shard);
                    if let Some(slot) = map.get_mut(&k)
                        && slot.used == used
                    {
                        slot.dirty = true;
                    }
                }
            }
        }
        written
    }

    /// Forgets every use held in memory (the dev-mode reset, which also empties the store).
    pub fn reset(&self) {
        for shard in &self.shards {
            lock(shard).clear();
        }
    }

    /// How many subjects are held in memory.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn stored_use(tx: &mut dyn Tx, account: &str, key: &str) -> Result<Option<Use>, Error> {
    Ok(tx
        .get(KIND_LAST_USED, account, key)?
        .and_then(|r| serde_json::from_slice::<Use>(&r.data).ok()))
}

fn later(a: Option<Use>, b: Option<Use>) -> Option<Use> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.at >= a.at { b } else { a }),
        (a, b) => a.or(b),
    }
}
