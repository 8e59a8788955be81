//! Helpers shared by the PostgreSQL tests of every `pg` module.

use super::PostgresSettings;
use super::PostgresStore;
use postgres::{Client, NoTls};
use std::sync::atomic::{AtomicUsize, Ordering};

const URL_VAR: &str = "IAMD_TEST_POSTGRES_URL";

/// The test server's URL, or `None` after saying loudly that the test did not run.
pub(super) fn pg_url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            // Straight to the stderr handle: libtest captures `eprintln!` of passing tests,
            // and a skip must be seen.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {test}: PostgreSQL tests need {URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
            None
        }
    }
}

/// A uniquely named schema, dropped with everything in it at the end of the test.
pub(super) struct TestSchema {
    url: String,
    pub(super) name: String,
}

impl TestSchema {
    pub(super) fn new(url: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "iamd_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        Self {
            url: url.to_owned(),
            name,
        }
    }

    /// Connections of this test's stores carry the schema name as `application_name`, so
    /// that a test can kill its own backends and nobody else's.
    pub(super) fn settings(&self) -> PostgresSettings {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        PostgresSettings::from_url(&format!("{}{sep}application_name={}", self.url, self.name))
            .unwrap()
            .with_schema(&self.name)
            .unwrap()
    }

    pub(super) fn store(&self) -> PostgresStore {
        PostgresStore::connect(self.settings()).unwrap()
    }

    /// A plain client with this schema on its search path.
    pub(super) fn client(&self) -> Client {
        let mut c = postgres::Client::connect(&self.url, NoTls).unwrap();
        c.batch_execute(&format!("SET search_path = {}", self.name))
            .unwrap();
        c
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pg-tls");

pub(super) fn tls_file(name: &str) -> String {
    format!("{TLS_DIR}/{name}")
}
