//! The embedded default: one SQLite file in WAL mode with full fsync on commit.

use crate::audit::{self, AuditPage, AuditQuery, AuditRow};
use crate::{Expect, Record, Store, StoreError, Tx};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::Mutex;

/// Versioned schema migrations; `PRAGMA user_version` records how many were applied. Append only:
/// a released migration is never edited.
const MIGRATIONS: &[&str] = &[
    // 1: records and metadata.
    "CREATE TABLE records (
        kind    TEXT    NOT NULL,
        account TEXT    NOT NULL,
        key     TEXT    NOT NULL,
        version INTEGER NOT NULL,
        data    BLOB    NOT NULL,
        PRIMARY KEY (kind, account, key)
    ) WITHOUT ROWID;
    CREATE TABLE meta (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO meta (name, value) VALUES ('revision', '0');",
    // 2: the audit log (issue #14), append-only, outside the revisioned records.
    "CREATE TABLE audit_events (
        seq            INTEGER PRIMARY KEY,
        account        TEXT    NOT NULL,
        event_time     INTEGER NOT NULL,
        event_id       TEXT    NOT NULL UNIQUE,
        event_name     TEXT    NOT NULL,
        event_source   TEXT    NOT NULL,
        read_only      TEXT    NOT NULL,
        username       TEXT    NOT NULL,
        access_key_id  TEXT    NOT NULL,
        resource_types TEXT    NOT NULL,
        resource_names TEXT    NOT NULL,
        record         TEXT    NOT NULL
    );
    CREATE INDEX audit_events_by_account_time ON audit_events (account, event_time, seq);
    CREATE INDEX audit_events_by_time ON audit_events (event_time);",
];

const SQL_AUDIT_INSERT: &str =
    "INSERT INTO audit_events (account, event_time, event_id, event_name,
        event_source, read_only, username, access_key_id, resource_types, resource_names, record)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (event_id) DO NOTHING";

const SQL_AUDIT_COLUMNS: &str = "seq, account, event_time, event_id, event_name, event_source,
    read_only, username, access_key_id, resource_types, resource_names, record";

const SQL_AUDIT_QUERY: &str = "SELECT seq, account, event_time, event_id, event_name, event_source,
        read_only, username, access_key_id, resource_types, resource_names, record
    FROM audit_events
    WHERE account = ?1 AND event_time >= ?2 AND event_time <= ?3
      AND (event_time < ?4 OR (event_time = ?4 AND seq < ?5))
      AND CASE ?6
        WHEN '' THEN 1
        WHEN 'EventId' THEN event_id = ?7
        WHEN 'EventName' THEN event_name = ?7
        WHEN 'ReadOnly' THEN read_only = ?7
        WHEN 'Username' THEN username = ?7
        WHEN 'ResourceType' THEN instr(resource_types, char(10) || ?7 || char(10)) > 0
        WHEN 'ResourceName' THEN instr(resource_names, char(10) || ?7 || char(10)) > 0
        WHEN 'EventSource' THEN event_source = ?7
        WHEN 'AccessKeyId' THEN access_key_id = ?7
        ELSE 0 END
    ORDER BY event_time DESC, seq DESC
    LIMIT ?8";

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    let read_only: String = r.get(6)?;
    let types: String = r.get(9)?;
    let names: String = r.get(10)?;
    Ok(AuditRow {
        seq: r.get(0)?,
        account: r.get(1)?,
        event_time: r.get(2)?,
        event_id: r.get(3)?,
        event_name: r.get(4)?,
        event_source: r.get(5)?,
        read_only: read_only == "true",
        username: r.get(7)?,
        access_key_id: r.get(8)?,
        resource_types: audit::split_list(&types),
        resource_names: audit::split_list(&names),
        record: r.get(11)?,
    })
}

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

/// Creates the database file with mode 0600 if it does not exist (SQLite takes an empty file for a
/// new database), and narrows an existing one and its `-wal` / `-shm` files to 0600. SQLite's Unix
/// VFS creates the `-wal` and `-shm` files with the database file's permissions (and fchmods them
/// to exactly those, so the umask does not widen them). Narrowing a file someone else owns may
/// fail; that is left to the server's start-up check to report.
#[cfg(unix)]
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let mut files = vec![path.to_path_buf()];
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        files.push(p.into());
    }
    for f in files {
        if let Ok(meta) = std::fs::metadata(&f)
            && meta.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600));
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn make_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations. The file is
    /// private to its owner (0600 on Unix, whatever the umask), and so are the `-wal` and `-shm`
    /// files SQLite creates beside it, which take the database file's permissions.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        make_private(path)
            .map_err(|e| StoreError::Unavailable(format!("sqlite: {}: {e}", path.display())))?;
        let conn = Connection::open(path).map_err(unavailable)?;
        Self::init(conn)
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        // WAL lets readers proceed during a write; FULL makes every commit durable across power
        // loss, not only across a process crash.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(unavailable)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(unavailable)?;
        let applied: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(unavailable)?;
        let known = MIGRATIONS.len() as i64;
        if applied > known {
            return Err(StoreError::Incompatible(format!(
                "schema version {applied} is newer than this build knows ({known})"
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            tx.execute_batch(sql).map_err(unavailable)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
        }
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with_conn<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| StoreError::Unavailable("sqlite connection lock poisoned".into()))?;
        f(&mut guard)
    }
}

struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    wrote: bool,
}

fn row_to_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        kind: r.get(0)?,
        account: r.get(1)?,
        key: r.get(2)?,
        version: r.get(3)?,
        data: r.get(4)?,
    })
}

impl Tx for SqliteTx<'_> {
    fn get(&mut self, kind: &str, account: &str, key: &str) -> Result<Option<Record>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT kind, account, key, version, data FROM records
                 WHERE kind = ?1 AND account = ?2 AND key = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![kind, account, key], row_to_record)
                    .optional()
            })
            .map_err(unavailable)
    }

    fn list(&mut self, kind: &str, account: &str) -> Result<Vec<Record>, StoreError> {
        let mut s = self
            .tx
            .prepare_cached(
                "SELECT kind, account, key, version, data FROM records
                 WHERE kind = ?1 AND account = ?2 ORDER BY key",
            )
            .map_err(unavailable)?;
        let rows = s
            .query_map(params![kind, account], row_to_record)
            .map_err(unavailable)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
    }

    fn list_after(
        &mut self,
        kind: &str,
        account: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut s = self
            .tx
            .prepare_cached(
                "SELECT kind, account, key, version, data FROM records
                 WHERE kind = ?1 AND account = ?2 AND key > ?3 ORDER BY key LIMIT ?4",
            )
            .map_err(unavailable)?;
        // Every key sorts after the empty string.
        let rows = s
            .query_map(
                params![kind, account, after.unwrap_or(""), limit],
                row_to_record,
            )
            .map_err(unavailable)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
    }

    fn list_kind(&mut self, kind: &str) -> Result<Vec<Record>, StoreError> {
        let mut s = self
            .tx
            .prepare_cached(
                "SELECT kind, account, key, version, data FROM records
                 WHERE kind = ?1 ORDER BY account, key",
            )
            .map_err(unavailable)?;
        let rows = s
            .query_map(params![kind], row_to_record)
            .map_err(unavailable)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
    }

    fn put(
        &mut self,
        kind: &str,
        account: &str,
        key: &str,
        data: &[u8],
        expect: Expect,
    ) -> Result<i64, StoreError> {
        let current = self.get(kind, account, key)?.map(|r| r.version);
        let who = || (kind.to_owned(), account.to_owned(), key.to_owned());
        let next = match (expect, current) {
            (Expect::Absent, Some(_)) => {
                let (kind, account, key) = who();
                return Err(StoreError::AlreadyExists { kind, account, key });
            }
            (Expect::Version(v), c) if c != Some(v) => {
                let (kind, account, key) = who();
                return Err(StoreError::Conflict { kind, account, key });
            }
            (_, Some(v)) => v + 1,
            (_, None) => 1,
        };
        self.tx
            .execute(
                "INSERT INTO records (kind, account, key, version, data) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind, account, key) DO UPDATE SET version = excluded.version, data = excluded.data",
                params![kind, account, key, next, data],
            )
            .map_err(unavailable)?;
        self.wrote = true;
        Ok(next)
    }

    fn delete(
        &mut self,
        kind: &str,
        account: &str,
        key: &str,
        expect: Expect,
    ) -> Result<bool, StoreError> {
        if let Expect::Version(v) = expect {
            let current = self.get(kind, account, key)?.map(|r| r.version);
            if current != Some(v) {
                return Err(StoreError::Conflict {
                    kind: kind.to_owned(),
                    account: account.to_owned(),
                    key: key.to_owned(),
                });
            }
        }
        let n = self
            .tx
            .execute(
                "DELETE FROM records WHERE kind = ?1 AND account = ?2 AND key = ?3",
                params![kind, account, key],
            )
            .map_err(unavailable)?;
        self.wrote |= n > 0;
        Ok(n > 0)
    }

    fn clear(&mut self) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM records", [])
            .map_err(unavailable)?;
        self.wrote = true;
        Ok(())
    }

    fn get_meta(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        self.tx
            .query_row(
                "SELECT value FROM meta WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()
            .map_err(unavailable)
    }

    fn set_meta(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map_err(unavailable)?;
        self.wrote = true;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn audit_append(&self, rows: &[AuditRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.with_conn(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            {
                let mut s = tx.prepare_cached(SQL_AUDIT_INSERT).map_err(unavailable)?;
                for r in rows {
                    s.execute(params![
                        r.account,
                        r.event_time,
                        r.event_id,
                        r.event_name,
                        r.event_source,
                        if r.read_only { "true" } else { "false" },
                        r.username,
                        r.access_key_id,
                        audit::join_list(&r.resource_types),
                        audit::join_list(&r.resource_names),
                        r.record,
                    ])
                    .map_err(unavailable)?;
                }
            }
            tx.commit().map_err(unavailable)
        })
    }

    fn audit_query(&self, q: &AuditQuery) -> Result<AuditPage, StoreError> {
        let (start, end, cursor, limit, key, value) = audit::bounds(q);
        self.with_conn(|conn| {
            let mut s = conn.prepare_cached(SQL_AUDIT_QUERY).map_err(unavailable)?;
            // One more than asked, to know whether there is a next page.
            let rows = s
                .query_map(
                    params![
                        q.account,
                        start,
                        end,
                        cursor.time,
                        cursor.seq,
                        key,
                        value,
                        limit.saturating_add(1)
                    ],
                    audit_row,
                )
                .map_err(unavailable)?;
            let events = rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)?;
            Ok(audit::page(events, limit))
        })
    }

    fn audit_scan(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_conn(|conn| {
            let mut s = conn
                .prepare_cached(&format!(
                    "SELECT {SQL_AUDIT_COLUMNS} FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))
                .map_err(unavailable)?;
            let rows = s
                .query_map(params![after_seq, limit], audit_row)
                .map_err(unavailable)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)
        })
    }

    fn audit_prune(&self, before: i64) -> Result<u64, StoreError> {
        // In small batches, releasing the connection between them: a first prune after a long
        // pause must not hold every writer back while it deletes millions of rows.
        let mut total = 0u64;
        loop {
            let n = self.with_conn(|conn| {
                conn.execute(
                    "DELETE FROM audit_events WHERE seq IN
                        (SELECT seq FROM audit_events WHERE event_time < ?1 LIMIT 5000)",
                    params![before],
                )
                .map_err(unavailable)
            })?;
            total += n as u64;
            if n < 5000 {
                return Ok(total);
            }
        }
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn write_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let mut stx = SqliteTx {
                tx: &tx,
                wrote: false,
            };
            // On error `tx` is dropped, which rolls back.
            f(&mut stx)?;
            if stx.wrote {
                tx.execute(
                    "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'revision'",
                    [],
                )
                .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)
        })
    }

    fn read_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(unavailable)?;
            let mut stx = SqliteTx {
                tx: &tx,
                wrote: false,
            };
            f(&mut stx)?;
            if stx.wrote {
                return Err(StoreError::Unavailable(
                    "write attempted in a read transaction".into(),
                ));
            }
            tx.rollback().map_err(unavailable)
        })
    }

    fn revision(&self) -> Result<i64, StoreError> {
        self.with_conn(|conn| {
            conn.query_row(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'revision'",
                [],
                |r| r.get(0),
            )
            .map_err(unavailable)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreExt;
    use crate::conformance;

    #[test]
    fn conformance_suite_in_memory() {
        for (name, case) in conformance::CASES {
            let store = SqliteStore::open_in_memory().unwrap();
            eprintln!("case {name}");
            case(&store);
        }
    }

    #[test]
    fn conformance_suite_on_disk() {
        for (name, case) in conformance::CASES {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(&dir.path().join("iamd.db")).unwrap();
            eprintln!("case {name}");
            case(&store);
        }
    }

    #[test]
    fn committed_writes_survive_reopen_and_schema_is_versioned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iamd.db");
        {
            let s = SqliteStore::open(&path).unwrap();
            s.write(|tx| tx.put("user", "111111111111", "alice", b"{}", Expect::Absent))
                .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        let rec = s
            .read(|tx| tx.get("user", "111111111111", "alice"))
            .unwrap()
            .unwrap();
        assert_eq!(rec.version, 1);
        assert_eq!(s.revision().unwrap(), 1);
        let mode: String = s
            .with_conn(|c| {
                c.pragma_query_value(None, "journal_mode", |r| r.get(0))
                    .map_err(unavailable)
            })
            .unwrap();
        assert_eq!(mode, "wal");
    }

    /// Issue #11, finding 16: the database and its WAL and SHM files were 0644 (the umask's
    /// default), readable by every local user.
    #[cfg(unix)]
    #[test]
    fn database_wal_and_shm_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iamd.db");
        let s = SqliteStore::open(&path).unwrap();
        s.write(|tx| tx.put("user", "111111111111", "alice", b"{}", Expect::Absent))
            .unwrap();
        for f in ["iamd.db", "iamd.db-wal", "iamd.db-shm"] {
            assert_eq!(mode(&dir.path().join(f)), 0o600, "{f}");
        }
        drop(s);
        // An existing database left world-readable (by an older iamd) is narrowed on open.
        for f in ["iamd.db", "iamd.db-wal", "iamd.db-shm"] {
            let p = dir.path().join(f);
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
        let s = SqliteStore::open(&path).unwrap();
        s.read(|tx| tx.get("user", "111111111111", "alice"))
            .unwrap()
            .unwrap();
        for f in ["iamd.db", "iamd.db-wal", "iamd.db-shm"] {
            let p = dir.path().join(f);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{f}");
            }
        }
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iamd.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 999).unwrap();
        }
        match SqliteStore::open(&path) {
            Err(StoreError::Incompatible(msg)) => assert!(msg.contains("999"), "{msg}"),
            other => panic!("expected Incompatible, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn redacted_url_hides_passwords() {
        use crate::redacted_url;
        assert_eq!(
            redacted_url("postgres://iamd:s3cr:et@db:5432/prod?sslmode=disable"),
            "postgres://iamd:***@db:5432/prod?sslmode=disable"
        );
        assert_eq!(
            redacted_url("postgresql://iamd@db/prod?password=s3cret&connect_timeout=3"),
            "postgresql://iamd@db/prod?password=***&connect_timeout=3"
        );
        assert_eq!(redacted_url("postgres://db"), "postgres://db");
        assert_eq!(
            redacted_url("sqlite:/var/lib/iamd.db"),
            "sqlite:/var/lib/iamd.db"
        );
    }

    #[test]
    fn open_url_forms() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.db");
        assert_eq!(
            crate::open_url(&format!("sqlite://{}", p.display()))
                .unwrap()
                .backend(),
            "sqlite"
        );
        assert!(p.exists());
        assert!(crate::open_url("mysql://x").is_err());
        assert!(matches!(
            crate::open_url("postgres://u@127.0.0.1:1/db"),
            Err(StoreError::Unavailable(_))
        ));
    }
}
