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
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Store kind of last-use records; key `<subject>` (see [`Subject::store_key`]), per account.
pub const KIND_LAST_USED: &str = "last_used";
/// How often the server writes the uses recorded in memory to the store. Every write
/// transaction makes the other nodes of a PostgreSQL cluster reload their in-memory views
/// (`Iamd::refresh_from_store`), so this is minutes, not seconds; AWS itself documents a delay
/// of up to four hours. A clean stop flushes too; `kill -9` loses at most this much.
pub const FLUSH_PERIOD: std::time::Duration = std::time::Duration::from_secs(300);
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
        let i = usize::try_from(self.hasher.hash_one(key) % SHARDS as u64).unwrap_or(0);
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

#[cfg(test)]
mod tests {
    use super::*;
    use iamd_store::SqliteStore;
    use std::sync::Arc;

    const A: &str = "111122223333";

    fn store() -> Arc<dyn Store> {
        Arc::new(SqliteStore::open_in_memory().unwrap())
    }

    fn used(at: i64, service: &str, region: &str) -> Use {
        Use {
            at,
            service: service.into(),
            region: region.into(),
        }
    }

    fn user_caller(key: &str) -> Caller {
        Caller::long_term(
            A,
            Principal::User {
                name: "alice".into(),
                path: "/".into(),
                id: "AIDAALICE".into(),
            },
            key,
        )
    }

    #[test]
    fn a_use_is_visible_at_once_and_the_store_is_written_only_by_the_flush() {
        let s = store();
        let t = LastUsed::default();
        let key = Subject::AccessKey("AKIAEXAMPLE".into());
        assert_eq!(t.get(s.as_ref(), A, &key).unwrap(), None);
        t.record_request(&user_caller("AKIAEXAMPLE"), "sts", "eu-west-1", 100);
        assert_eq!(
            t.get(s.as_ref(), A, &key).unwrap(),
            Some(used(100, "sts", "eu-west-1"))
        );
        let rev = s.revision().unwrap();
        // Many uses between two flushes: memory only, one write each at the flush.
        for i in 0..1000 {
            t.record_request(
                &user_caller("AKIAEXAMPLE"),
                "secretsmanager",
                "us-east-2",
                101 + i,
            );
        }
        assert_eq!(s.revision().unwrap(), rev, "the hot path never writes");
        // The key and the user's use of each service namespace.
        assert_eq!(t.flush(s.as_ref()).unwrap(), 3);
        assert_eq!(t.flush(s.as_ref()).unwrap(), 0, "nothing dirty: no write");
        // Another node (a fresh tracker over the same store) sees the last use.
        let other = LastUsed::default();
        assert_eq!(
            other.get(s.as_ref(), A, &key).unwrap(),
            Some(used(1100, "secretsmanager", "us-east-2"))
        );
        let services = other
            .with_prefix(s.as_ref(), A, &service_prefix("AIDAALICE"))
            .unwrap();
        assert_eq!(
            services,
            vec![
                (
                    "svc:AIDAALICE:secretsmanager".to_owned(),
                    used(1100, "secretsmanager", "us-east-2")
                ),
                (
                    "svc:AIDAALICE:sts".to_owned(),
                    used(100, "sts", "eu-west-1")
                ),
            ]
        );
    }

    #[test]
    fn a_flush_keeps_a_later_use_another_node_wrote() {
        let s = store();
        let (a, b) = (LastUsed::default(), LastUsed::default());
        let key = Subject::AccessKey("AKIAEXAMPLE".into());
        b.record(A, &key, &used(200, "iam", "us-east-1"));
        b.flush(s.as_ref()).unwrap();
        a.record(A, &key, &used(150, "sts", "us-east-1"));
        assert_eq!(a.flush(s.as_ref()).unwrap(), 0);
        assert_eq!(
            LastUsed::default().get(s.as_ref(), A, &key).unwrap(),
            Some(used(200, "iam", "us-east-1"))
        );
        // And a read on `a` merges: the store's later use wins over its own memory.
        assert_eq!(
            a.get(s.as_ref(), A, &key).unwrap(),
            Some(used(200, "iam", "us-east-1"))
        );
    }

    #[test]
    fn role_sessions_record_the_role_and_not_a_key_while_long_term_keys_record_the_key() {
        let s = store();
        let t = LastUsed::default();
        let mut session = Caller::long_term(
            A,
            Principal::AssumedRole {
                role_name: "r".into(),
                role_path: "/".into(),
                role_id: "AROAROLE".into(),
                session_name: "s".into(),
            },
            "ASIATEMP",
        );
        session.session = Some(Arc::new(iamd_core::sessions::SessionClaims {
            account: A.into(),
            principal: iamd_core::sessions::SessionPrincipal::Root,
            access_key_id: "ASIATEMP".into(),
            secret_access_key: String::from("x").into(),
            issued_at: 0,
            expires_at: 1,
            mfa_at: None,
            source_identity: None,
            tags: vec![],
            transitive_tag_keys: vec![],
            policy: None,
            policy_arns: vec![],
            chained: false,
        }));
        t.record_request(&session, "iam", "us-east-1", 50);
        assert_eq!(
            t.get(s.as_ref(), A, &Subject::Role("AROAROLE".into()))
                .unwrap(),
            Some(used(50, "iam", "us-east-1"))
        );
        assert_eq!(
            t.get(s.as_ref(), A, &Subject::AccessKey("ASIATEMP".into()))
                .unwrap(),
            None,
            "temporary keys have no last-used record"
        );
        // Another account's subject of the same id is another subject.
        assert_eq!(
            t.get(
                s.as_ref(),
                "999999999999",
                &Subject::Role("AROAROLE".into())
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn memory_is_bounded_and_a_full_tracker_forgets_flushed_entries_first() {
        let s = store();
        let t = LastUsed::with_capacity(SHARDS * 4);
        for i in 0..1000 {
            t.record(
                A,
                &Subject::AccessKey(format!("K{i}")),
                &used(i, "iam", "r"),
            );
        }
        assert!(t.len() <= SHARDS * 4, "{} entries", t.len());
        assert!(t.dropped() > 0);
        // Once flushed, room is made for new subjects.
        t.flush(s.as_ref()).unwrap();
        let before = t.dropped();
        t.record(
            A,
            &Subject::AccessKey("NEW".into()),
            &used(5000, "iam", "r"),
        );
        assert_eq!(t.dropped(), before);
        assert!(
            t.get(s.as_ref(), A, &Subject::AccessKey("NEW".into()))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn a_failed_flush_leaves_the_uses_dirty_for_the_next() {
        // A store whose writes fail: the in-memory store forbids nothing, so fail by forbidding
        // blocking, which makes every transaction refuse before touching the store.
        let s = store();
        let t = LastUsed::default();
        t.record(
            A,
            &Subject::Role("AROAX".into()),
            &used(7, "sts", "us-east-1"),
        );
        let (r, _) = iamd_store::without_blocking(|| t.flush(s.as_ref()));
        assert!(r.is_err());
        assert_eq!(t.flush(s.as_ref()).unwrap(), 1);
    }

    /// Two nodes over one PostgreSQL database: a use flushed by one is read by the other, and
    /// the later of two nodes' uses wins whichever flushes last.
    #[test]
    fn a_use_flushed_on_one_postgres_node_is_seen_on_another() {
        let Some(url) = std::env::var("IAMD_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: a_use_flushed_on_one_postgres_node_is_seen_on_another needs IAMD_TEST_POSTGRES_URL"
            );
            return;
        };
        let schema = format!("iamd_last_used_test_{}", std::process::id());
        let sep = if url.contains('?') { '&' } else { '?' };
        let store_url = format!("{url}{sep}schema={schema}");
        let result = std::panic::catch_unwind(|| {
            let open =
                || -> Arc<dyn Store> { Arc::from(iamd_store::open_url(&store_url).unwrap()) };
            let (s1, s2) = (open(), open());
            let (n1, n2) = (LastUsed::default(), LastUsed::default());
            let key = Subject::AccessKey("AKIAPGEXAMPLE".into());
            n1.record(A, &key, &used(100, "sts", "eu-west-1"));
            assert_eq!(
                n2.get(s2.as_ref(), A, &key).unwrap(),
                None,
                "not flushed yet"
            );
            assert_eq!(n1.flush(s1.as_ref()).unwrap(), 1);
            assert_eq!(
                n2.get(s2.as_ref(), A, &key).unwrap(),
                Some(used(100, "sts", "eu-west-1"))
            );
            n2.record(A, &key, &used(300, "iam", "us-east-1"));
            n1.record(A, &key, &used(200, "secretsmanager", "us-east-2"));
            n2.flush(s2.as_ref()).unwrap();
            n1.flush(s1.as_ref()).unwrap();
            assert_eq!(
                LastUsed::default().get(s1.as_ref(), A, &key).unwrap(),
                Some(used(300, "iam", "us-east-1"))
            );
        });
        let _ = std::process::Command::new("psql")
            .args([
                url.as_str(),
                "-q",
                "-c",
                &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            ])
            .output();
        if let Err(e) = result {
            std::panic::resume_unwind(e);
        }
    }

    /// The hot path's cost: `cargo test -p iamd-iam --release -- --ignored hot_path --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn hot_path_cost() {
        let t = LastUsed::default();
        let callers: Vec<Caller> = (0..1000)
            .map(|i| user_caller(&format!("AKIA{i:016}")))
            .collect();
        let n = 2_000_000;
        let start = std::time::Instant::now();
        for (i, c) in callers.iter().cycle().take(n).enumerate() {
            t.record_request(
                c,
                "secretsmanager",
                "us-east-1",
                1_700_000_000 + (i / 100_000) as i64,
            );
        }
        let per = start.elapsed().as_nanos() / n as u128;
        println!(
            "record_request: {per} ns per request ({} subjects)",
            t.len()
        );
    }
}
