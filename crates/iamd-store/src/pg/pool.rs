//! Connections: opening one (bounded by the connect timeout, with iamd's session settings) and
//! the small pool that transactions borrow them from.

use super::{PostgresSettings, pg_error};
use crate::StoreError;
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

impl PostgresSettings {
    /// Opens one connection, giving up after the connect timeout even when the server accepts the
    /// TCP connection but never answers (the client's own timeout covers only the TCP connect).
    pub(super) fn connect(&self) -> Result<Client, StoreError> {
        let mut config = self.config.clone();
        // Session settings: bounded lock waits; the server notices a vanished client within about
        // a minute (its own keepalives) and ends a session left idle inside a transaction, so a
        // dead node cannot hold the writer lock for long. The URL's own `options` come after
        // ours and so win; the schema comes last.
        let mut options = format!(
            "-c lock_timeout={} -c idle_in_transaction_session_timeout={} \
             -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
            self.lock_timeout.as_millis().max(1),
            self.idle_in_transaction_timeout.as_millis().max(1),
        );
        if let Some(o) = self.config.get_options().filter(|o| !o.is_empty()) {
            options.push(' ');
            options.push_str(o);
        }
        if let Some(schema) = &self.schema {
            options.push_str(&format!(" -c search_path={schema}"));
        }
        config.options(&options);
        let tls = self.tls.clone();
        let (send, recv) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("iamd-pg-connect".into())
            .spawn(move || {
                // If nobody waits any more the client is dropped here, off any runtime.
                let _ = send.send(match tls {
                    Some(tls) => config.connect(tls),
                    None => config.connect(NoTls),
                });
            })
            .map_err(|e| StoreError::Unavailable(format!("postgres: cannot connect: {e}")))?;
        match recv.recv_timeout(self.connect_timeout + Duration::from_millis(500)) {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(match pg_error(&e) {
                StoreError::Unavailable(m) => {
                    StoreError::Unavailable(format!("cannot connect: {m}"))
                }
                other => other,
            }),
            Err(_) => Err(StoreError::Unavailable(format!(
                "postgres: no answer within {:?}",
                self.connect_timeout
            ))),
        }
    }
}

/// One pooled connection with its prepared statements.
pub(super) struct Conn {
    pub(super) client: Client,
    pub(super) stmts: HashMap<&'static str, Statement>,
    /// Set when the connection must not be reused (broken, or a session lock may be held).
    pub(super) broken: bool,
}

impl Conn {
    fn new(client: Client) -> Self {
        Self {
            client,
            stmts: HashMap::new(),
            broken: false,
        }
    }

    /// A statement prepared once per connection (an unprepared query costs an extra round trip).
    pub(super) fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.stmts.insert(sql, s.clone());
        Ok(s)
    }
}

struct PoolState {
    idle: Vec<Conn>,
    open: usize,
}

/// At most [`pool_size`](PostgresSettings::pool_size) connections, opened on demand and kept
/// while they work.
pub(super) struct Pool {
    pub(super) settings: PostgresSettings,
    state: Mutex<PoolState>,
    freed: Condvar,
}

impl Pool {
    /// A pool whose first idle connection is `first` (the one that ran the migrations).
    pub(super) fn new(settings: PostgresSettings, first: Client) -> Self {
        Self {
            settings,
            state: Mutex::new(PoolState {
                idle: vec![Conn::new(first)],
                open: 1,
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, PoolState>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Unavailable("postgres pool lock poisoned".into()))
    }

    pub(super) fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let deadline = Instant::now() + self.settings.acquire_timeout;
        let mut st = self.lock()?;
        loop {
            while let Some(conn) = st.idle.pop() {
                if conn.client.is_closed() {
                    st.open -= 1;
                    continue;
                }
                return Ok(Pooled {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if st.open < self.settings.pool_size.max(1) {
                st.open += 1;
                drop(st);
                return match self.settings.connect() {
                    Ok(client) => Ok(Pooled {
                        pool: self,
                        conn: Some(Conn::new(client)),
                    }),
                    Err(e) => {
                        if let Ok(mut st) = self.lock() {
                            st.open -= 1;
                        }
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Unavailable(format!(
                    "postgres: all {} connections busy for {:?}",
                    st.open, self.settings.acquire_timeout
                )));
            }
            st = self
                .freed
                .wait_timeout(st, deadline - now)
                .map_err(|_| StoreError::Unavailable("postgres pool lock poisoned".into()))?
                .0;
        }
    }

    /// Closes every idle connection: after one connection failed, the others (opened to the same
    /// server) are most likely dead too.
    pub(super) fn discard_idle(&self) -> Vec<Conn> {
        let idle = match self.lock() {
            Ok(mut st) => {
                let idle = std::mem::take(&mut st.idle);
                st.open -= idle.len();
                idle
            }
            Err(_) => Vec::new(),
        };
        self.freed.notify_all();
        idle
    }
}

/// A borrowed connection, returned to the pool (or closed, when broken) on drop.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Pooled<'_> {
    pub(super) fn conn(&mut self) -> Result<&mut Conn, StoreError> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("postgres connection already returned".into()))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let reusable = !conn.broken && !conn.client.is_closed();
        if let Ok(mut st) = self.pool.lock() {
            if reusable {
                st.idle.push(conn);
            } else {
                st.open -= 1;
                drop(st);
                drop(conn);
            }
        }
        self.pool.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use crate::pg::testing::{TestSchema, pg_url};
    use crate::pg::{PostgresSettings, PostgresStore};
    use crate::{Expect, Store, StoreError, StoreExt};
    use std::time::{Duration, Instant};

    #[test]
    fn recovers_after_its_connections_are_killed() {
        let Some(url) = pg_url("recovers_after_its_connections_are_killed") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let mut settings = schema.settings();
        settings.pool_size = 3;
        let store = PostgresStore::connect(settings).unwrap();
        store
            .write(|tx| tx.put("k", "1", "a", b"x", Expect::Absent))
            .unwrap();
        // Kill every backend of this store (pool connections and all).
        let mut admin = schema.client();
        let n = admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&schema.name],
            )
            .unwrap();
        assert!(n >= 1);
        // The pooled connections are dead; the store notices and reconnects without an error
        // surfacing to the caller (the closure is simply run again on a fresh connection).
        let rec = store.read(|tx| tx.get("k", "1", "a")).unwrap().unwrap();
        assert_eq!(rec.data, b"x");
        store
            .write(|tx| tx.put("k", "1", "b", b"y", Expect::Absent))
            .unwrap();
        assert_eq!(store.revision().unwrap(), 2);
    }

    #[test]
    fn dead_server_is_unavailable_quickly() {
        // Runs without PostgreSQL: nothing listens on port 1.
        let started = Instant::now();
        let r = PostgresStore::open_url("postgres://postgres@127.0.0.1:1/test");
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        assert!(crate::open_url("postgresql://postgres@127.0.0.1:1/test").is_err());
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn silent_server_is_unavailable_after_the_connect_timeout() {
        // A listener that accepts TCP connections but never speaks PostgreSQL.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let settings =
            PostgresSettings::from_url(&format!("postgres://postgres@127.0.0.1:{port}/test"))
                .unwrap()
                .with_connect_timeout(Duration::from_millis(300));
        let started = Instant::now();
        let r = PostgresStore::connect(settings);
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        drop(listener);
    }
}
