//! Durable storage behind one trait.
//!
//! iamd keeps its state as versioned records — `(kind, account, key) → (version, data)` — and
//! changes them only inside closure transactions: the caller never opens, commits or rolls back.
//! A closure that returns `Err` rolls everything back; a transaction that returns `Ok` has been
//! committed durably (SQLite in WAL mode with `synchronous=FULL`; PostgreSQL's own commit) before
//! the caller sees it.
//!
//! Backends: [`SqliteStore`] (embedded, one process) and [`PostgresStore`] (several iamd nodes over
//! one database; see the `pg` module notes on its transactions, migrations and notifications).
//!
//! Uniqueness lives in the key: callers that need case-insensitive names store the lower-cased
//! name as the key, so the database itself refuses a second `Alice` when `alice` exists, even under
//! concurrent writers.
//!
//! Only this crate knows SQL. Every backend runs the same behavioural suite in [`conformance`].
//!
//! # Threads
//!
//! Every store call blocks its thread until the database has answered: run store calls on
//! blocking threads (`tokio::task::spawn_blocking`, or threads of your own), never on an async
//! worker. The service layer runs every store-reading operation on the blocking pool. The
//! PostgreSQL backend keeps a guard for the few cold paths that still call it from a worker
//! (authentication cache misses): it steps off the worker with `tokio::task::block_in_place`
//! and logs a debug event each time (target `iamd_store::pg::guard`), so that those calls can be
//! counted with `IAMD_LOG=iamd_store=debug`; see the `pg` module notes.

// Issue #12: cedar's lints, crate by crate until every crate is clean and they move to
// `[workspace.lints]`.
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub mod audit;
pub mod conformance;
mod pg;
mod sqlite;

pub use audit::{AuditAttribute, AuditCursor, AuditPage, AuditQuery, AuditRow};
pub use pg::tls::SslMode;
pub use pg::tls::connector as postgres_tls_connector;
pub use pg::{CHANGES_CHANNEL, PostgresSettings, PostgresStore, Subscription};
pub use sqlite::SqliteStore;

/// One stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: String,
    pub account: String,
    pub key: String,
    /// Starts at 1 and grows by one on every update.
    pub version: i64,
    pub data: Vec<u8>,
}

/// What a write expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Create or overwrite.
    Any,
    /// The record must not exist (create).
    Absent,
    /// The record must exist with exactly this version (optimistic concurrency).
    Version(i64),
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("record {kind}/{account}/{key} already exists")]
    AlreadyExists {
        kind: String,
        account: String,
        key: String,
    },
    #[error("record {kind}/{account}/{key} was changed or removed concurrently")]
    Conflict {
        kind: String,
        account: String,
        key: String,
    },
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("the store holds data this version cannot read: {0}")]
    Incompatible(String),
    /// The transaction closure returned an error; everything it did was rolled back.
    #[error("transaction aborted by its caller")]
    Aborted,
    /// The calling thread must not block (it runs an in-memory hot path on an async worker, see
    /// [`without_blocking`]): the caller runs the request again where blocking is allowed.
    #[error("a store access was attempted where blocking is not allowed")]
    WouldBlock,
}

std::thread_local! {
    static NO_BLOCKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static REFUSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with store access forbidden on this thread: every [`StoreExt`] transaction it starts
/// fails at once with [`StoreError::WouldBlock`], touching nothing. Answers `f`'s result and
/// whether any store access was refused — then the result is not to be trusted (a caller may
/// have turned the error into a default), and the work must run again where blocking is allowed.
///
/// The server runs in-memory hot paths (a warm GetSecretValue, AssumeRole, GetCallerIdentity)
/// this way on its async workers, and runs the request again on the blocking pool when one of
/// them needed the store after all (a cold cache): no store access happens on an async worker.
pub fn without_blocking<R>(f: impl FnOnce() -> R) -> (R, bool) {
    /// Restores the enclosing state, even if `f` unwinds; an enclosing call learns of refusals.
    struct Restore {
        forbidden: bool,
        refused: bool,
    }
    impl Drop for Restore {
        fn drop(&mut self) {
            NO_BLOCKING.with(|c| c.set(self.forbidden));
            REFUSED.with(|c| c.set(self.refused || c.get()));
        }
    }
    let restore = Restore {
        forbidden: NO_BLOCKING.with(|c| c.replace(true)),
        refused: REFUSED.with(|c| c.replace(false)),
    };
    let out = f();
    let refused = REFUSED.with(|c| c.get());
    drop(restore);
    (out, refused)
}

/// Whether a store access was refused so far in the current [`without_blocking`] scope: results
/// computed since may rest on an error turned into a default, and must not be cached.
pub fn refused_so_far() -> bool {
    REFUSED.with(|c| c.get())
}

/// For store calls that are not [`StoreExt`] transactions (the audit log's): refuses, as a
/// transaction would, when store access is forbidden on this thread (see [`without_blocking`]),
/// so that the caller's work runs again where blocking is allowed.
pub fn check_blocking() -> Result<(), StoreError> {
    if blocking_forbidden() {
        REFUSED.with(|c| c.set(true));
        return Err(StoreError::WouldBlock);
    }
    Ok(())
}

/// Whether store access is forbidden on this thread (see [`without_blocking`]).
pub fn blocking_forbidden() -> bool {
    NO_BLOCKING.with(|c| c.get())
}

/// Operations available inside a transaction.
pub trait Tx {
    fn get(&mut self, kind: &str, account: &str, key: &str) -> Result<Option<Record>, StoreError>;
    /// Records of one kind in one account, ordered by key.
    fn list(&mut self, kind: &str, account: &str) -> Result<Vec<Record>, StoreError>;
    /// Up to `limit` records of one kind in one account whose key sorts after `after` (all keys
    /// when `None`), ordered by key: one page of a listing, without reading the rest.
    fn list_after(
        &mut self,
        kind: &str,
        account: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError>;
    /// Records of one kind in every account, ordered by account then key.
    fn list_kind(&mut self, kind: &str) -> Result<Vec<Record>, StoreError>;
    /// Writes `data`; returns the new version.
    fn put(
        &mut self,
        kind: &str,
        account: &str,
        key: &str,
        data: &[u8],
        expect: Expect,
    ) -> Result<i64, StoreError>;
    /// Removes a record; returns whether it existed. With `Expect::Version(v)` a different or
    /// missing version is a [`StoreError::Conflict`].
    fn delete(
        &mut self,
        kind: &str,
        account: &str,
        key: &str,
        expect: Expect,
    ) -> Result<bool, StoreError>;
    /// Removes every record (the dev-mode reset). Metadata written with `set_meta` stays.
    fn clear(&mut self) -> Result<(), StoreError>;
    fn get_meta(&mut self, name: &str) -> Result<Option<String>, StoreError>;
    fn set_meta(&mut self, name: &str, value: &str) -> Result<(), StoreError>;
}

/// A durable store. Object safe; use the generic helpers in [`StoreExt`].
pub trait Store: Send + Sync {
    /// `"sqlite"`, `"postgres"`, …
    fn backend(&self) -> &'static str;
    /// Runs `f` in a write transaction and commits it if `f` returns `Ok`. Backends may run `f`
    /// more than once when the database asks for a retry, so `f` must not have outside effects.
    fn write_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs `f` in a read-only snapshot.
    fn read_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// A counter that grows with every committed write transaction.
    fn revision(&self) -> Result<i64, StoreError>;
    /// A feed of committed revisions pushed by the database (PostgreSQL `LISTEN`), for nodes
    /// sharing one database; `None` when the backend has none (SQLite: one process).
    fn changes(&self) -> Option<Result<Box<dyn ChangeFeed>, StoreError>> {
        None
    }
    /// Appends audit events in one committed transaction (durable when this returns `Ok`).
    /// Does not move the revision: the audit log invalidates no cache.
    fn audit_append(&self, rows: &[AuditRow]) -> Result<(), StoreError> {
        let _ = rows;
        Err(StoreError::Unavailable(format!(
            "the {} store keeps no audit log",
            self.backend()
        )))
    }
    /// One page of one account's events, newest first.
    fn audit_query(&self, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let _ = query;
        Err(StoreError::Unavailable(format!(
            "the {} store keeps no audit log",
            self.backend()
        )))
    }
    /// Every account's events stored after `after_seq`, oldest first, at most `limit`
    /// (`iamd audit dump`, tests).
    fn audit_scan(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let _ = (after_seq, limit);
        Err(StoreError::Unavailable(format!(
            "the {} store keeps no audit log",
            self.backend()
        )))
    }
    /// Deletes the events older than `before` (Unix seconds); answers how many went.
    fn audit_prune(&self, before: i64) -> Result<u64, StoreError> {
        let _ = before;
        Err(StoreError::Unavailable(format!(
            "the {} store keeps no audit log",
            self.backend()
        )))
    }
}

/// Committed revisions as the database announces them.
pub trait ChangeFeed: Send {
    /// Waits up to `timeout` for a revision: `Ok(None)` on timeout, `Err` when the feed is lost
    /// (the caller subscribes again and compares [`Store::revision`]).
    fn wait(&mut self, timeout: std::time::Duration) -> Result<Option<i64>, StoreError>;
}

/// Typed closure transactions over any [`Store`].
pub trait StoreExt {
    /// Runs `f` in a write transaction. `Err` from `f` rolls back and is returned as is; a failure
    /// to commit is returned as `E::from(StoreError)`.
    fn write<R, E: From<StoreError>>(
        &self,
        f: impl FnMut(&mut dyn Tx) -> Result<R, E>,
    ) -> Result<R, E>;
    fn read<R, E: From<StoreError>>(
        &self,
        f: impl FnMut(&mut dyn Tx) -> Result<R, E>,
    ) -> Result<R, E>;
}

fn run<R, E: From<StoreError>>(
    mut f: impl FnMut(&mut dyn Tx) -> Result<R, E>,
    stats: &iamd_metrics::TxStats,
    exec: impl FnOnce(&mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError>,
) -> Result<R, E> {
    if blocking_forbidden() {
        REFUSED.with(|c| c.set(true));
        return Err(E::from(StoreError::WouldBlock));
    }
    let started = std::time::Instant::now();
    let mut out: Option<Result<R, E>> = None;
    let res = exec(&mut |tx| match f(tx) {
        Ok(v) => {
            out = Some(Ok(v));
            Ok(())
        }
        Err(e) => {
            out = Some(Err(e));
            Err(StoreError::Aborted)
        }
    });
    stats.duration.observe(started.elapsed());
    match (&res, &out) {
        (Ok(()), Some(Ok(_))) => stats.ok.inc(),
        (Err(StoreError::Aborted), Some(Err(_))) => stats.aborted.inc(),
        _ => stats.failed.inc(),
    }
    match (res, out) {
        (Ok(()), Some(Ok(v))) => Ok(v),
        (Err(StoreError::Aborted), Some(Err(e))) => Err(e),
        (Err(e), _) => Err(E::from(e)),
        // Committed without running the closure, or the closure's error was swallowed by the
        // backend: both are backend bugs; report them rather than inventing a value.
        (Ok(()), _) => Err(E::from(StoreError::Unavailable(
            "transaction finished without a result".into(),
        ))),
    }
}

impl<S: Store + ?Sized> StoreExt for S {
    fn write<R, E: From<StoreError>>(
        &self,
        f: impl FnMut(&mut dyn Tx) -> Result<R, E>,
    ) -> Result<R, E> {
        run(f, &iamd_metrics::GLOBAL.store_write, |g| self.write_dyn(g))
    }

    fn read<R, E: From<StoreError>>(
        &self,
        f: impl FnMut(&mut dyn Tx) -> Result<R, E>,
    ) -> Result<R, E> {
        run(f, &iamd_metrics::GLOBAL.store_read, |g| self.read_dyn(g))
    }
}

/// The store URL fit for logs and error messages: a password in the user part or in a
/// `password=` parameter is replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some(parts) => parts,
        None => return url.to_owned(),
    };
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{hosts}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Opens the store a `--store` URL names: `sqlite:PATH` / `sqlite://PATH`, a bare path, or
/// `postgres://…` / `postgresql://…` (see [`PostgresSettings::from_url`]).
pub fn open_url(url: &str) -> Result<Box<dyn Store>, StoreError> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        return Ok(Box::new(SqliteStore::open(std::path::Path::new(rest))?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(PostgresStore::open_url(url)?));
    }
    if url.contains("://") {
        return Err(StoreError::Unavailable(format!(
            "unsupported store URL scheme in `{}`",
            url.split("://").next().unwrap_or_default()
        )));
    }
    Ok(Box::new(SqliteStore::open(std::path::Path::new(url))?))
}

#[cfg(test)]
mod blocking_tests {
    use super::*;

    #[test]
    fn a_transaction_where_blocking_is_forbidden_fails_before_touching_the_store() {
        let store = SqliteStore::open_in_memory().expect("store");
        let mut ran = false;
        let (r, refused) = without_blocking(|| {
            store
                .read(|_| {
                    ran = true;
                    Ok::<_, StoreError>(())
                })
                // A caller that swallows the error still cannot hide the refusal.
                .unwrap_or(())
        });
        assert_eq!(r, ());
        assert!(refused, "the refusal is reported");
        assert!(!ran, "the closure must not run");
        let (w, _) = without_blocking(|| store.write(|_| Ok::<_, StoreError>(())));
        assert_eq!(w, Err(StoreError::WouldBlock));
        assert_eq!(without_blocking(|| 1), (1, false));
        // Nested: the outer call learns of the inner refusal; the flags are restored.
        let ((_, inner), outer) =
            without_blocking(|| without_blocking(|| store.read(|_| Ok::<_, StoreError>(()))));
        assert!(inner && outer);
        assert!(!blocking_forbidden());
        assert_eq!(store.read(|_| Ok::<_, StoreError>(7)), Ok(7));
    }
}
