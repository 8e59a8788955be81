//! Transactions: the writer lock, `SERIALIZABLE` writes and `REPEATABLE READ` reads, retries
//! when PostgreSQL asks for them, and the [`Tx`] operations over prepared statements.

use super::pool::{Conn, Pool};
use super::{CHANGES_CHANNEL, pg_error};
use crate::{Expect, Record, StoreError, Tx};
use postgres::error::SqlState;
use postgres::{IsolationLevel, Statement};
use std::collections::HashMap;
use std::time::Duration;

/// Advisory lock key (`classid`) of the writer lock — "iamd" in ASCII (the migration lock is the
/// next value).
const WRITER_LOCK_CLASS: i32 = 0x6961_6d64;

const SQL_LOCK: &str = "SELECT pg_advisory_lock($1, hashtext(current_schema()))";
const SQL_UNLOCK: &str = "SELECT pg_advisory_unlock($1, hashtext(current_schema()))";
const SQL_REVISION: &str = "SELECT value::bigint FROM meta WHERE name = 'revision'";
/// Bumps the revision and queues its notification (delivered only if the transaction commits).
const SQL_BUMP_AND_NOTIFY: &str = "WITH r AS (UPDATE meta SET value = (value::bigint + 1)::text
                WHERE name = 'revision' RETURNING value)
     SELECT pg_notify($1, r.value) FROM r";

/// What one attempt of a transaction ended with.
pub(super) enum Failure {
    /// PostgreSQL asked for a retry (serialization failure, deadlock, a lost race on a unique
    /// key) or the connection died before anything was committed: run the closure again.
    Retry(StoreError),
    /// Final: the closure's own error, or a failure after which retrying could apply a write twice.
    Final(StoreError),
}

/// Serialization failures, deadlocks, lost unique-key races, and a connection that broke (nothing
/// was committed when these arrive before `COMMIT`; `write_tx` treats a lost `COMMIT` apart).
fn is_retryable(e: &postgres::Error) -> bool {
    let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
    let code = e.code().map(SqlState::code).unwrap_or_default();
    matches!(code, "40001" | "40P01" | "23505")
        // Connection exceptions, and the server shutting down, restarting, killing our backend
        // or closing an idle session (57P01-57P03, 57P05; not 57014, a cancelled statement).
        || code.starts_with("08")
        || matches!(code, "57P01" | "57P02" | "57P03" | "57P05")
        || e.is_closed()
        || io
}

pub(super) fn classify(e: &postgres::Error) -> Failure {
    if is_retryable(e) {
        Failure::Retry(pg_error(e))
    } else {
        Failure::Final(pg_error(e))
    }
}

/// Runs a write transaction: `f` is run again when PostgreSQL asks for a retry.
pub(super) fn write(
    pool: &Pool,
    f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    with_retries(pool, |conn| write_attempt(conn, f))
}

/// Runs a read-only transaction.
pub(super) fn read(
    pool: &Pool,
    f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    with_retries(pool, |conn| read_attempt(conn, f))
}

/// The revision counter, which every committed write transaction bumps.
pub(super) fn revision(pool: &Pool) -> Result<i64, StoreError> {
    with_retries(pool, |conn| {
        let stmt = conn.prepared(SQL_REVISION).map_err(|e| classify(&e))?;
        let row = conn
            .client
            .query_one(&stmt, &[])
            .map_err(|e| classify(&e))?;
        row.try_get(0).map_err(|e| Failure::Final(pg_error(&e)))
    })
}

/// Runs one attempt after another on a pooled connection, up to
/// [`max_attempts`](super::PostgresSettings::max_attempts) while they end in [`Failure::Retry`].
pub(super) fn with_retries<R>(
    pool: &Pool,
    mut f: impl FnMut(&mut Conn) -> Result<R, Failure>,
) -> Result<R, StoreError> {
    let max = pool.settings.max_attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut pooled = pool.get()?;
        let conn = pooled.conn()?;
        let res = f(conn);
        let lost = conn.client.is_closed();
        if lost {
            conn.broken = true;
        }
        drop(pooled);
        if lost {
            drop(pool.discard_idle());
        }
        match res {
            Ok(v) => return Ok(v),
            Err(Failure::Final(e)) => return Err(e),
            Err(Failure::Retry(e)) if attempt >= max => return Err(e),
            Err(Failure::Retry(_)) => {
                iamd_metrics::GLOBAL.store_retries.inc();
                // Small growing pause so that the racing transaction can finish.
                std::thread::sleep(Duration::from_millis(u64::from(attempt.min(10)) * 2));
            }
        }
    }
}

fn write_attempt(
    conn: &mut Conn,
    f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
) -> Result<(), Failure> {
    // Session-level: taken before BEGIN so that the snapshot postdates every earlier writer.
    let lock = conn.prepared(SQL_LOCK).map_err(|e| classify(&e))?;
    conn.client
        .execute(&lock, &[&WRITER_LOCK_CLASS])
        .map_err(|e| classify(&e))?;
    let res = write_tx(conn, f);
    let unlocked = conn
        .prepared(SQL_UNLOCK)
        .and_then(|unlock| conn.client.query_one(&unlock, &[&WRITER_LOCK_CLASS]))
        .ok()
        .and_then(|r| r.try_get::<_, bool>(0).ok());
    if unlocked != Some(true) {
        // Closing the session is what surely releases a session lock.
        conn.broken = true;
    }
    res
}

fn write_tx(
    conn: &mut Conn,
    f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
) -> Result<(), Failure> {
    let mut tx = conn
        .client
        .build_transaction()
        .isolation_level(IsolationLevel::Serializable)
        .start()
        .map_err(|e| classify(&e))?;
    let mut ptx = PgTx {
        tx: &mut tx,
        stmts: &mut conn.stmts,
        wrote: false,
        failure: None,
    };
    let res = f(&mut ptx);
    // A database error aborts the whole transaction: even if the closure swallowed it,
    // nothing may be committed.
    if let Some(failure) = ptx.failure.take() {
        return Err(failure);
    }
    res.map_err(Failure::Final)?;
    if ptx.wrote {
        let bump = match conn.stmts.get(SQL_BUMP_AND_NOTIFY) {
            Some(s) => s.clone(),
            None => {
                let s = tx.prepare(SQL_BUMP_AND_NOTIFY).map_err(|e| classify(&e))?;
                conn.stmts.insert(SQL_BUMP_AND_NOTIFY, s.clone());
                s
            }
        };
        tx.query_one(&bump, &[&CHANGES_CHANNEL])
            .map_err(|e| classify(&e))?;
    }
    tx.commit().map_err(|e| {
        let code = e.code().map(SqlState::code).unwrap_or_default();
        if matches!(code, "40001" | "40P01") {
            // The server refused the commit: nothing was written, run the closure again.
            Failure::Retry(pg_error(&e))
        } else if e.as_db_error().is_some() {
            Failure::Final(pg_error(&e))
        } else {
            // The connection broke: the commit may or may not have happened, and running
            // the closure again could apply it twice.
            Failure::Final(StoreError::Unavailable(format!(
                "postgres: connection lost during commit, outcome unknown: {e}"
            )))
        }
    })
}

fn read_attempt(
    conn: &mut Conn,
    f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
) -> Result<(), Failure> {
    let mut tx = conn
        .client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| classify(&e))?;
    let mut ptx = PgTx {
        tx: &mut tx,
        stmts: &mut conn.stmts,
        wrote: false,
        failure: None,
    };
    let res = f(&mut ptx);
    if let Some(failure) = ptx.failure.take() {
        return Err(failure);
    }
    res.map_err(Failure::Final)?;
    if ptx.wrote {
        return Err(Failure::Final(StoreError::Unavailable(
            "write attempted in a read transaction".into(),
        )));
    }
    tx.rollback().map_err(|e| classify(&e))
}

struct PgTx<'a, 'c> {
    tx: &'a mut postgres::Transaction<'c>,
    stmts: &'a mut HashMap<&'static str, Statement>,
    wrote: bool,
    /// The first database error; the transaction is aborted from then on.
    failure: Option<Failure>,
}

const SQL_GET: &str = "SELECT kind, account, key, version, data FROM records
     WHERE kind = $1 AND account = $2 AND key = $3";
const SQL_LIST: &str = "SELECT kind, account, key, version, data FROM records
     WHERE kind = $1 AND account = $2 ORDER BY key";
const SQL_LIST_AFTER: &str = "SELECT kind, account, key, version, data FROM records
     WHERE kind = $1 AND account = $2 AND key > $3 ORDER BY key LIMIT $4";
const SQL_LIST_KIND: &str = "SELECT kind, account, key, version, data FROM records
     WHERE kind = $1 ORDER BY account, key";
const SQL_CREATE: &str = "INSERT INTO records (kind, account, key, version, data)
     VALUES ($1, $2, $3, 1, $4) ON CONFLICT (kind, account, key) DO NOTHING RETURNING version";
const SQL_UPDATE_VERSION: &str = "UPDATE records SET version = version + 1, data = $4
     WHERE kind = $1 AND account = $2 AND key = $3 AND version = $5 RETURNING version";
const SQL_UPSERT: &str = "INSERT INTO records (kind, account, key, version, data)
     VALUES ($1, $2, $3, 1, $4) ON CONFLICT (kind, account, key)
     DO UPDATE SET version = records.version + 1, data = excluded.data RETURNING version";
const SQL_DELETE: &str = "DELETE FROM records WHERE kind = $1 AND account = $2 AND key = $3";
const SQL_DELETE_VERSION: &str =
    "DELETE FROM records WHERE kind = $1 AND account = $2 AND key = $3 AND version = $4";
const SQL_GET_META: &str = "SELECT value FROM meta WHERE name = $1";
const SQL_SET_META: &str = "INSERT INTO meta (name, value) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value";

fn row_to_record(r: &postgres::Row) -> Result<Record, postgres::Error> {
    Ok(Record {
        kind: r.try_get(0)?,
        account: r.try_get(1)?,
        key: r.try_get(2)?,
        version: r.try_get(3)?,
        data: r.try_get(4)?,
    })
}

impl PgTx<'_, '_> {
    fn fail(&mut self, e: &postgres::Error) -> StoreError {
        let f = classify(e);
        let err = match &f {
            Failure::Retry(e) | Failure::Final(e) => e.clone(),
        };
        if self.failure.is_none() {
            self.failure = Some(f);
        }
        err
    }

    fn guard(&self) -> Result<(), StoreError> {
        match &self.failure {
            Some(Failure::Retry(e) | Failure::Final(e)) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn stmt(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        self.guard()?;
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        match self.tx.prepare(sql) {
            Ok(s) => {
                self.stmts.insert(sql, s.clone());
                Ok(s)
            }
            Err(e) => Err(self.fail(&e)),
        }
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let stmt = self.stmt(sql)?;
        self.tx.query(&stmt, params).map_err(|e| self.fail(&e))
    }

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let stmt = self.stmt(sql)?;
        self.tx.execute(&stmt, params).map_err(|e| self.fail(&e))
    }

    fn records(
        &mut self,
        sql: &'static str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Record>, StoreError> {
        let rows = self.query(sql, params)?;
        rows.iter()
            .map(row_to_record)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.fail(&e))
    }

    fn version_of(&mut self, rows: &[postgres::Row]) -> Result<Option<i64>, StoreError> {
        match rows.first() {
            None => Ok(None),
            Some(r) => r.try_get(0).map(Some).map_err(|e| self.fail(&e)),
        }
    }
}

fn who(kind: &str, account: &str, key: &str) -> (String, String, String) {
    (kind.to_owned(), account.to_owned(), key.to_owned())
}

impl Tx for PgTx<'_, '_> {
    fn get(&mut self, kind: &str, account: &str, key: &str) -> Result<Option<Record>, StoreError> {
        Ok(self
            .records(SQL_GET, &[&kind, &account, &key])?
            .into_iter()
            .next())
    }

    fn list(&mut self, kind: &str, account: &str) -> Result<Vec<Record>, StoreError> {
        self.records(SQL_LIST, &[&kind, &account])
    }

    fn list_after(
        &mut self,
        kind: &str,
        account: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let after = after.unwrap_or("");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.records(SQL_LIST_AFTER, &[&kind, &account, &after, &limit])
    }

    fn list_kind(&mut self, kind: &str) -> Result<Vec<Record>, StoreError> {
        self.records(SQL_LIST_KIND, &[&kind])
    }

    fn put(
        &mut self,
        kind: &str,
        account: &str,
        key: &str,
        data: &[u8],
        expect: Expect,
    ) -> Result<i64, StoreError> {
        let (sql, params): (&'static str, Vec<&(dyn postgres::types::ToSql + Sync)>) = match &expect
        {
            Expect::Absent => (SQL_CREATE, vec![&kind, &account, &key, &data]),
            Expect::Version(v) => (SQL_UPDATE_VERSION, vec![&kind, &account, &key, &data, v]),
            Expect::Any => (SQL_UPSERT, vec![&kind, &account, &key, &data]),
        };
        let stmt = self.stmt(sql)?;
        let rows = match self.tx.query(&stmt, &params) {
            Ok(rows) => rows,
            // `ON CONFLICT` makes this unlikely, but a creator racing outside the writer lock
            // can still hit the key: report it as the duplicate it is, and run the closure again
            // (the transaction is aborted) so that it sees the winner's record.
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                let (kind, account, key) = who(kind, account, key);
                let err = StoreError::AlreadyExists { kind, account, key };
                if self.failure.is_none() {
                    self.failure = Some(Failure::Retry(err.clone()));
                }
                return Err(err);
            }
            Err(e) => return Err(self.fail(&e)),
        };
        match (self.version_of(&rows)?, expect) {
            (Some(v), _) => {
                self.wrote = true;
                Ok(v)
            }
            (None, Expect::Absent) => {
                let (kind, account, key) = who(kind, account, key);
                Err(StoreError::AlreadyExists { kind, account, key })
            }
            (None, _) => {
                let (kind, account, key) = who(kind, account, key);
                Err(StoreError::Conflict { kind, account, key })
            }
        }
    }

    fn delete(
        &mut self,
        kind: &str,
        account: &str,
        key: &str,
        expect: Expect,
    ) -> Result<bool, StoreError> {
        let n = match expect {
            Expect::Version(v) => {
                let n = self.execute(SQL_DELETE_VERSION, &[&kind, &account, &key, &v])?;
                if n == 0 {
                    let (kind, account, key) = who(kind, account, key);
                    return Err(StoreError::Conflict { kind, account, key });
                }
                n
            }
            Expect::Any | Expect::Absent => self.execute(SQL_DELETE, &[&kind, &account, &key])?,
        };
        self.wrote |= n > 0;
        Ok(n > 0)
    }

    fn clear(&mut self) -> Result<(), StoreError> {
        self.guard()?;
        self.tx
            .execute("DELETE FROM records", &[])
            .map_err(|e| self.fail(&e))?;
        self.wrote = true;
        Ok(())
    }

    fn get_meta(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        let rows = self.query(SQL_GET_META, &[&name])?;
        match rows.first() {
            None => Ok(None),
            Some(r) => r.try_get(0).map(Some).map_err(|e| self.fail(&e)),
        }
    }

    fn set_meta(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        self.execute(SQL_SET_META, &[&name, &value])?;
        self.wrote = true;
        Ok(())
    }
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of arrays the tests build"
)]
mod tests {
    use super::*;
    use crate::pg::PostgresStore;
    use crate::pg::testing::{TestSchema, pg_url};
    use crate::{Store, StoreExt};
    use std::sync::{Arc, Barrier};
    use std::time::Instant;

    #[test]
    fn racing_creators_on_two_stores_create_each_key_once() {
        let Some(url) = pg_url("racing_creators_on_two_stores_create_each_key_once") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let stores = [Arc::new(schema.store()), Arc::new(schema.store())];
        const KEYS: usize = 25;
        const THREADS: usize = 8;
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = stores[t % 2].clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut created = Vec::new();
                    for i in 0..KEYS {
                        // Every thread walks the keys from a different starting point.
                        let k = format!("user{}", (i + t * 3) % KEYS);
                        match store.write(|tx| {
                            tx.put("user", "1", &k, t.to_string().as_bytes(), Expect::Absent)
                        }) {
                            Ok(v) => {
                                assert_eq!(v, 1);
                                created.push(k);
                            }
                            Err(StoreError::AlreadyExists { key, .. }) => assert_eq!(key, k),
                            Err(e) => panic!("unexpected error for {k}: {e:?}"),
                        }
                    }
                    created
                })
            })
            .collect();
        let mut all: Vec<String> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort();
        let mut expected: Vec<String> = (0..KEYS).map(|i| format!("user{i}")).collect();
        expected.sort();
        assert_eq!(all, expected, "each key created exactly once");
        assert_eq!(
            stores[0].read(|tx| tx.list("user", "1")).unwrap().len(),
            KEYS
        );
        assert_eq!(stores[1].revision().unwrap(), KEYS as i64);
    }

    #[test]
    fn concurrent_version_updates_let_exactly_one_win() {
        let Some(url) = pg_url("concurrent_version_updates_let_exactly_one_win") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let stores = [Arc::new(schema.store()), Arc::new(schema.store())];
        stores[0]
            .write(|tx| tx.put("role", "1", "r", b"v1", Expect::Absent))
            .unwrap();
        const THREADS: usize = 8;
        let barrier = Arc::new(Barrier::new(THREADS));
        let results: Vec<Result<i64, StoreError>> = (0..THREADS)
            .map(|t| {
                let store = stores[t % 2].clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    store.write(|tx| {
                        tx.put(
                            "role",
                            "1",
                            "r",
                            format!("t{t}").as_bytes(),
                            Expect::Version(1),
                        )
                    })
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let winners: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        assert_eq!(*winners[0], Ok(2));
        for r in results.iter().filter(|r| r.is_err()) {
            assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
        }
        let rec = stores[1]
            .read(|tx| tx.get("role", "1", "r"))
            .unwrap()
            .unwrap();
        assert_eq!(rec.version, 2);
    }

    #[test]
    fn writers_on_two_nodes_queue_instead_of_failing() {
        let Some(url) = pg_url("writers_on_two_nodes_queue_instead_of_failing") else {
            return;
        };
        let schema = TestSchema::new(&url);
        // No retries allowed: every increment must get through on its first attempt, which only
        // the writer lock makes possible (without it, concurrent writers conflict on the revision
        // row and SERIALIZABLE fails all but one).
        let mut settings = schema.settings();
        settings.max_attempts = 1;
        let stores = [
            Arc::new(PostgresStore::connect(settings.clone()).unwrap()),
            Arc::new(PostgresStore::connect(settings).unwrap()),
        ];
        stores[0]
            .write(|tx| tx.put("counter", "1", "c", b"0", Expect::Absent))
            .unwrap();
        const THREADS: usize = 8;
        const EACH: usize = 10;
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = stores[t % 2].clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..EACH {
                        store
                            .write(|tx| {
                                let cur = tx.get("counter", "1", "c")?.unwrap();
                                let n: usize =
                                    String::from_utf8(cur.data).unwrap().parse().unwrap();
                                let next = (n + 1).to_string();
                                tx.put(
                                    "counter",
                                    "1",
                                    "c",
                                    next.as_bytes(),
                                    Expect::Version(cur.version),
                                )
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let rec = stores[1]
            .read(|tx| tx.get("counter", "1", "c"))
            .unwrap()
            .unwrap();
        assert_eq!(rec.data, (THREADS * EACH).to_string().as_bytes());
        assert_eq!(rec.version, (THREADS * EACH) as i64 + 1);
        assert_eq!(stores[0].revision().unwrap(), (THREADS * EACH) as i64 + 1);
    }

    #[test]
    fn a_held_writer_lock_times_out_into_unavailable() {
        let Some(url) = pg_url("a_held_writer_lock_times_out_into_unavailable") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let mut settings = schema.settings();
        settings.lock_timeout = Duration::from_millis(300);
        let store = PostgresStore::connect(settings).unwrap();
        // Another node holds this schema's writer lock and does not let go.
        let mut other = schema.client();
        other
            .execute(
                "SELECT pg_advisory_lock($1, hashtext($2))",
                &[&WRITER_LOCK_CLASS, &schema.name],
            )
            .unwrap();
        let started = Instant::now();
        let r = store.write(|tx| tx.put("k", "1", "a", b"x", Expect::Absent));
        match &r {
            Err(StoreError::Unavailable(m)) => assert!(m.contains("55P03"), "{m}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(3));
        // Readers are not blocked by the writer lock.
        assert_eq!(store.read(|tx| tx.get("k", "1", "a")).unwrap(), None);
        other
            .execute("SELECT pg_advisory_unlock_all()", &[])
            .unwrap();
        assert_eq!(
            store.write(|tx| tx.put("k", "1", "a", b"x", Expect::Absent)),
            Ok(1)
        );
    }

    #[test]
    fn read_transactions_cannot_write() {
        let Some(url) = pg_url("read_transactions_cannot_write") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let store = schema.store();
        let r = store.read(|tx| tx.put("k", "1", "a", b"x", Expect::Any));
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        assert_eq!(store.read(|tx| tx.get("k", "1", "a")).unwrap(), None);
        assert_eq!(store.revision().unwrap(), 0);
    }

    #[test]
    fn serialization_failure_reruns_the_closure() {
        let Some(url) = pg_url("serialization_failure_reruns_the_closure") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let store = schema.store();
        store
            .write(|tx| tx.put("k", "1", "a", b"v1", Expect::Absent))
            .unwrap();
        // A writer that does not follow iamd's lock protocol changes the record after our
        // transaction took its snapshot: SERIALIZABLE must refuse our update (40001) and the
        // closure must run again and see the outside change.
        let mut outside = schema.client();
        let mut runs = 0;
        let mut seen = Vec::new();
        let v = store
            .write(|tx| {
                runs += 1;
                let cur = tx.get("k", "1", "a")?.unwrap();
                seen.push(cur.version);
                if runs == 1 {
                    outside
                        .execute(
                            "UPDATE records SET version = version + 1, data = 'outside'
                             WHERE kind = 'k' AND account = '1' AND key = 'a'",
                            &[],
                        )
                        .unwrap();
                }
                tx.put("k", "1", "a", b"mine", Expect::Version(cur.version))
            })
            .unwrap();
        assert_eq!(runs, 2);
        assert_eq!(seen, [1, 2]);
        assert_eq!(v, 3);
        let rec = store.read(|tx| tx.get("k", "1", "a")).unwrap().unwrap();
        assert_eq!(rec.data, b"mine");
    }

    #[test]
    fn a_swallowed_database_error_never_commits() {
        let Some(url) = pg_url("a_swallowed_database_error_never_commits") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let store = schema.store();
        // Make every later statement fail: drop the table behind the store's back.
        let before = store.revision().unwrap();
        let mut outside = schema.client();
        outside
            .batch_execute("ALTER TABLE records RENAME TO records_gone")
            .unwrap();
        let r = store.write(|tx| {
            let _ignored = tx.put("k", "1", "a", b"x", Expect::Any);
            tx.set_meta("after", "error")
        });
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        outside
            .batch_execute("ALTER TABLE records_gone RENAME TO records")
            .unwrap();
        assert_eq!(store.read(|tx| tx.get_meta("after")).unwrap(), None);
        assert_eq!(store.revision().unwrap(), before);
    }
}
