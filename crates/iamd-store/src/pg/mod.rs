//! The multi-node backend: PostgreSQL through the synchronous `postgres` client and a small pool.
//!
//! Modules: [`settings`] (the store URL), [`tls`] (`sslmode`), [`pool`] (connections), [`tx`]
//! (transactions, retries, the writer lock), [`migrations`], [`feed`] (change notifications) and
//! [`guard`] (calls from async workers); this one ties them into [`PostgresStore`].
//!
//! # Transactions
//!
//! Write transactions run at `SERIALIZABLE`, and each one first takes a session-level advisory
//! lock (one per schema) that every iamd writer on every node takes. Every write transaction ends
//! by bumping the single `revision` row, so two concurrent writers would conflict in PostgreSQL
//! anyway (one of them would fail with a serialization error and retry); the lock makes them
//! queue instead of failing and retrying in storms. `SERIALIZABLE` stays as the safety net: a
//! write that races anything not following the lock protocol (an operator's manual `UPDATE`, a
//! future code path) fails with SQLSTATE 40001/40P01 and the closure is run again, up to
//! [`PostgresSettings::max_attempts`] times. The lock is taken before `BEGIN`, so the
//! transaction's snapshot is taken after every earlier writer committed. Because the lock is
//! session-level, a transaction-pooling proxy (PgBouncer in `transaction` mode) is not supported
//! in front of iamd; session pooling is fine.
//!
//! Read transactions run at `REPEATABLE READ READ ONLY` (one consistent snapshot, never blocked by
//! writers) and take no lock.
//!
//! # Schema and migrations
//!
//! Migrations are append-only and numbered; `schema_migrations` records the applied ones. They run
//! at start inside one transaction holding `pg_advisory_xact_lock`, so nodes starting together
//! apply each migration once. A database whose schema is newer than this binary is refused with
//! [`StoreError::Incompatible`]. Key columns use the `"C"` collation so that listings are ordered
//! bytewise, exactly like SQLite.
//!
//! # Change notifications
//!
//! A write transaction that changed something runs `NOTIFY iamd_changes, '<revision>'` before it
//! commits; PostgreSQL delivers it only if the commit succeeds. [`PostgresStore::subscribe`]
//! listens on a dedicated connection.
//!
//! # Calling from async code
//!
//! Every store call blocks its thread until the database answers: callers run them on blocking
//! threads (`spawn_blocking`, or threads of their own), never on an async worker. The service
//! layer runs every store-reading operation on the blocking pool.
//!
//! The `postgres` client also drives each connection with its own small runtime, which tokio
//! refuses to start on a worker thread (it panics). As a guard for the few cold paths that still
//! reach the store from a worker (authentication cache misses), every public entry point steps off
//! the runtime with `tokio::task::block_in_place` when it finds itself on a multi-threaded tokio
//! runtime; when it does so on a worker it logs a debug event (target `iamd_store::pg::guard`,
//! field `op`), so those calls can be counted with `IAMD_LOG=iamd_store=debug`. On a current-thread
//! runtime there is no guard: call the store from `spawn_blocking`.

mod audit;
mod feed;
mod guard;
mod migrations;
mod pool;
mod settings;
#[cfg(test)]
mod testing;
pub(crate) mod tls;
mod tx;

pub use feed::{CHANGES_CHANNEL, Subscription};
pub use settings::PostgresSettings;

use crate::{Store, StoreError, Tx};
use guard::{drop_off_runtime, off_runtime};
use pool::Pool;
use std::fmt;

fn pg_error(e: &postgres::Error) -> StoreError {
    // `Display` of a server error says only "db error"; the server's message and SQLSTATE are
    // what an operator needs.
    match e.as_db_error() {
        Some(db) => StoreError::Unavailable(format!(
            "postgres: {} (SQLSTATE {})",
            db.message(),
            db.code().code()
        )),
        None => StoreError::Unavailable(format!("postgres: {}", with_causes(e))),
    }
}

/// An error with its causes: the client's own text is often only the kind ("error performing
/// TLS handshake", "invalid configuration"), and the cause says what went wrong.
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !text.ends_with(&c_text) {
            text.push_str(": ");
            text.push_str(&c_text);
        }
        cause = c.source();
    }
    text
}

/// A PostgreSQL-backed [`Store`]. Cheap to share behind an `Arc`; all methods are thread safe.
pub struct PostgresStore {
    pool: Pool,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("settings", &self.pool.settings)
            .finish()
    }
}

impl PostgresStore {
    /// Connects, applies pending migrations under an advisory lock, and opens the pool.
    /// Connection failures are [`StoreError::Unavailable`]; a schema newer than this build is
    /// [`StoreError::Incompatible`].
    pub fn connect(settings: PostgresSettings) -> Result<Self, StoreError> {
        off_runtime("connect", || {
            let mut client = settings.connect()?;
            migrations::migrate(&mut client, settings.schema())?;
            // Keep the migration connection as the pool's first idle connection.
            Ok(Self {
                pool: Pool::new(settings, client),
            })
        })
    }

    /// `PostgresStore::connect(PostgresSettings::from_url(url)?)`.
    pub fn open_url(url: &str) -> Result<Self, StoreError> {
        Self::connect(PostgresSettings::from_url(url)?)
    }

    pub fn settings(&self) -> &PostgresSettings {
        &self.pool.settings
    }

    /// Opens a dedicated connection that `LISTEN`s on [`CHANGES_CHANNEL`]. Every write
    /// transaction committed afterwards, by this node or any other on the same database, arrives
    /// as its revision. Notifications are a hint: they can be lost when the connection drops (the
    /// subscription then reports `Unavailable`; subscribe again and compare [`Store::revision`]).
    /// Stores in other schemas of the same database notify the same channel, so treat a revision
    /// only as "something may have changed".
    pub fn subscribe(&self) -> Result<Subscription, StoreError> {
        Subscription::open(&self.pool.settings)
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing a client stops its private runtime, which tokio forbids on a worker thread.
        drop_off_runtime(self.pool.discard_idle());
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn changes(&self) -> Option<Result<Box<dyn crate::ChangeFeed>, StoreError>> {
        Some(
            self.subscribe()
                .map(|s| Box::new(s) as Box<dyn crate::ChangeFeed>),
        )
    }

    fn write_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        off_runtime("write", || tx::write(&self.pool, f))
    }

    fn read_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        off_runtime("read", || tx::read(&self.pool, f))
    }

    fn revision(&self) -> Result<i64, StoreError> {
        off_runtime("revision", || tx::revision(&self.pool))
    }

    fn audit_append(&self, rows: &[crate::AuditRow]) -> Result<(), StoreError> {
        off_runtime("audit_append", || audit::append(&self.pool, rows))
    }

    fn audit_query(&self, query: &crate::AuditQuery) -> Result<crate::AuditPage, StoreError> {
        off_runtime("audit_query", || audit::query(&self.pool, query))
    }

    fn audit_scan(&self, after_seq: i64, limit: usize) -> Result<Vec<crate::AuditRow>, StoreError> {
        off_runtime("audit_scan", || audit::scan(&self.pool, after_seq, limit))
    }

    fn audit_prune(&self, before: i64) -> Result<u64, StoreError> {
        off_runtime("audit_prune", || audit::prune(&self.pool, before))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{TestSchema, pg_url};
    use super::*;
    use crate::conformance;
    use crate::{Expect, StoreExt};

    #[test]
    fn conformance_suite_on_postgres() {
        let Some(url) = pg_url("conformance_suite_on_postgres") else {
            return;
        };
        for (name, case) in conformance::CASES {
            let schema = TestSchema::new(&url);
            let store = schema.store();
            eprintln!("case {name} in schema {}", schema.name);
            case(&store);
            assert_eq!(store.backend(), "postgres");
        }
    }

    #[test]
    fn open_url_selects_postgres() {
        let Some(url) = pg_url("open_url_selects_postgres") else {
            return;
        };
        let store = crate::open_url(&url).unwrap();
        assert_eq!(store.backend(), "postgres");
        let alt = url.replacen("postgres://", "postgresql://", 1);
        assert_eq!(crate::open_url(&alt).unwrap().backend(), "postgres");
    }

    #[test]
    fn usable_from_a_tokio_worker_thread() {
        let Some(url) = pg_url("usable_from_a_tokio_worker_thread") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let settings = schema.settings();
        let rev = rt.block_on(async move {
            tokio::spawn(async move {
                let store = PostgresStore::connect(settings).unwrap();
                store
                    .write(|tx| tx.put("k", "1", "a", b"x", Expect::Absent))
                    .unwrap();
                let rev = store.revision().unwrap();
                drop(store); // closing clients on a worker must not panic either
                rev
            })
            .await
            .unwrap()
        });
        assert_eq!(rev, 1);
    }

    #[test]
    fn usable_from_spawn_blocking_on_a_current_thread_runtime() {
        let Some(url) = pg_url("usable_from_spawn_blocking_on_a_current_thread_runtime") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let store = schema.store();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // From spawn_blocking it works, and dropping the store inside a task does not panic.
        let rev = rt.block_on(async move {
            let (rev, store) = tokio::task::spawn_blocking(move || (store.revision(), store))
                .await
                .unwrap();
            tokio::spawn(async move { drop(store) }).await.unwrap();
            rev
        });
        assert_eq!(rev, Ok(0));
    }
}
