//! Versioned schema migrations, applied at start under a transaction-level advisory lock so that
//! nodes starting together apply each one once.

use super::pg_error;
use crate::StoreError;
use postgres::Client;

/// Versioned schema migrations, applied in order; `schema_migrations` records which ran. Append
/// only: a released migration is never edited.
const MIGRATIONS: &[&str] = &[
    // 1: records and metadata.
    r#"CREATE TABLE records (
        kind    text COLLATE "C" NOT NULL,
        account text COLLATE "C" NOT NULL,
        key     text COLLATE "C" NOT NULL,
        version bigint NOT NULL,
        data    bytea  NOT NULL,
        PRIMARY KEY (kind, account, key)
    );
    CREATE TABLE meta (
        name  text COLLATE "C" PRIMARY KEY,
        value text NOT NULL
    );
    INSERT INTO meta (name, value) VALUES ('revision', '0');"#,
    // 2: the audit log (issue #14), append-only, outside the revisioned records.
    r#"CREATE TABLE audit_events (
        seq            bigserial PRIMARY KEY,
        account        text COLLATE "C" NOT NULL,
        event_time     bigint NOT NULL,
        event_id       text COLLATE "C" NOT NULL UNIQUE,
        event_name     text COLLATE "C" NOT NULL,
        event_source   text COLLATE "C" NOT NULL,
        read_only      text COLLATE "C" NOT NULL,
        username       text COLLATE "C" NOT NULL,
        access_key_id  text COLLATE "C" NOT NULL,
        resource_types text COLLATE "C" NOT NULL,
        resource_names text COLLATE "C" NOT NULL,
        record         text NOT NULL
    );
    CREATE INDEX audit_events_by_account_time ON audit_events (account, event_time, seq);
    CREATE INDEX audit_events_by_time ON audit_events (event_time);"#,
];

/// Advisory lock key (`classid`) of the migration lock: the writer lock's, plus one.
const MIGRATION_LOCK_CLASS: i32 = 0x6961_6d65;

/// Applies pending migrations in one transaction holding a transaction-level advisory lock.
pub(super) fn migrate(client: &mut Client, schema: Option<&str>) -> Result<(), StoreError> {
    let err = |e: postgres::Error| pg_error(&e);
    let mut tx = client.transaction().map_err(err)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, 0)",
        &[&MIGRATION_LOCK_CLASS],
    )
    .map_err(err)?;
    if let Some(schema) = schema {
        // `with_schema` admits only plain lower-case identifiers.
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .map_err(err)?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .map_err(err)?;
    let applied: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .map_err(err)?;
    let known = MIGRATIONS.len() as i32;
    if applied > known {
        return Err(StoreError::Incompatible(format!(
            "schema version {applied} is newer than this build knows ({known})"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        tx.batch_execute(sql).map_err(err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )
        .map_err(err)?;
    }
    tx.commit().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::PostgresStore;
    use crate::pg::testing::{TestSchema, pg_url};
    use crate::{Store, StoreError};
    use std::sync::{Arc, Barrier};

    #[test]
    fn concurrent_migrations_succeed_once() {
        let Some(url) = pg_url("concurrent_migrations_succeed_once") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let settings = schema.settings();
        let barrier = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let settings = settings.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    PostgresStore::connect(settings).map(|_| ())
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
        let mut c = schema.client();
        let rows = c
            .query(
                "SELECT version FROM schema_migrations ORDER BY version",
                &[],
            )
            .unwrap();
        let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
        let expected: Vec<i32> = (1..=MIGRATIONS.len() as i32).collect();
        assert_eq!(versions, expected);
        let store = schema.store();
        assert_eq!(store.revision().unwrap(), 0);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let Some(url) = pg_url("refuses_a_newer_schema") else {
            return;
        };
        let schema = TestSchema::new(&url);
        drop(schema.store());
        schema
            .client()
            .execute("INSERT INTO schema_migrations (version) VALUES (999)", &[])
            .unwrap();
        match PostgresStore::connect(schema.settings()) {
            Err(StoreError::Incompatible(msg)) => assert!(msg.contains("999"), "{msg}"),
            other => panic!("expected Incompatible, got {other:?}"),
        }
    }
}
