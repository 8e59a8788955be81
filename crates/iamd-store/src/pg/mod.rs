//! The multi-node backend: PostgreSQL through the synchronous `postgres` client and a small pool.
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
//! The `postgres` client drives each connection with its own small runtime, which must not be
//! started from inside a tokio worker. Every public entry point therefore steps off the runtime
//! with `tokio::task::block_in_place` when it finds itself on a multi-threaded tokio runtime. On a
//! current-thread runtime call the store from `spawn_blocking`.

pub(crate) mod tls;

use crate::{Expect, Record, Store, StoreError, Tx};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, IsolationLevel, NoTls, Statement};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The channel [`PostgresStore`] notifies after every committed write; the payload is the new
/// revision in decimal.
pub const CHANGES_CHANNEL: &str = "iamd_changes";

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
];

/// Advisory lock keys (`classid`) — "iamd" in ASCII, and the next value for migrations.
const WRITER_LOCK_CLASS: i32 = 0x6961_6d64;
const MIGRATION_LOCK_CLASS: i32 = 0x6961_6d65;

/// How to reach the database and how hard to try.
#[derive(Clone)]
pub struct PostgresSettings {
    config: postgres::Config,
    schema: Option<String>,
    /// `sslmode` (with `sslrootcert` folded in) and the TLS connector it needs.
    ssl_mode: self::tls::SslMode,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// Most connections this store opens for transactions (the `subscribe` connections are extra).
    pub pool_size: usize,
    /// How long a transaction waits for a free pooled connection before `Unavailable`.
    pub acquire_timeout: Duration,
    /// How many times a write closure runs at most when PostgreSQL asks for a retry.
    pub max_attempts: u32,
    /// How long a write waits for the writer lock (or any row lock) before `Unavailable`.
    pub lock_timeout: Duration,
    /// After this long idle inside a transaction the server ends the session (and so releases
    /// the writer lock of a node that vanished mid-transaction).
    pub idle_in_transaction_timeout: Duration,
    connect_timeout: Duration,
}

impl fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-written so that the password can never be printed, whatever the client's own
        // `Debug` does.
        f.debug_struct("PostgresSettings")
            .field("user", &self.config.get_user())
            .field(
                "password",
                &self.config.get_password().map(|_| "<redacted>"),
            )
            .field("hosts", &self.config.get_hosts())
            .field("ports", &self.config.get_ports())
            .field("dbname", &self.config.get_dbname())
            .field("schema", &self.schema)
            .field("ssl_mode", &self.ssl_mode)
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl PostgresSettings {
    /// Parses a `postgres://user[:password]@host[:port]/db[?param=value…]` URL: libpq's URL
    /// parameters (e.g. `connect_timeout=10`, `application_name=…`, `sslmode=verify-full`,
    /// `sslrootcert=/path/ca.pem`: see `tls.rs`) plus iamd's own `schema=NAME`
    /// (see [`with_schema`](Self::with_schema); without it the tables go to the connection's
    /// current schema, normally `public`).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let (url, params) = take_params(url, &["schema", "sslmode", "sslrootcert"]);
        let [schema, sslmode, sslrootcert] = params;
        let sslmode = self::tls::SslMode::parse(sslmode.as_deref().unwrap_or("prefer"))?;
        let sslrootcert = sslrootcert.map(|p| std::path::PathBuf::from(percent_decode(&p)));
        let (ssl_mode, tls) = self::tls::connector(sslmode, sslrootcert.as_deref())?;
        let mut config: postgres::Config = url.parse().map_err(|e| {
            StoreError::Unavailable(format!("invalid PostgreSQL URL: {}", with_causes(&e)))
        })?;
        config.ssl_mode(ssl_mode.client_mode());
        let connect_timeout = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(5));
        config.connect_timeout(connect_timeout);
        if config.get_application_name().is_none() {
            config.application_name("iamd");
        }
        // Notice a dead peer within about a minute instead of the kernel's default two hours.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.tcp_user_timeout(Duration::from_secs(30));
        let settings = Self {
            config,
            schema: None,
            ssl_mode,
            tls,
            pool_size: 10,
            acquire_timeout: Duration::from_secs(30),
            max_attempts: 10,
            lock_timeout: Duration::from_secs(30),
            idle_in_transaction_timeout: Duration::from_secs(60),
            connect_timeout,
        };
        match schema {
            Some(schema) => settings.with_schema(&schema),
            None => Ok(settings),
        }
    }

    /// Keeps every table in `schema` (created at start if missing): several deployments, or test
    /// runs, can share one database. Only `[a-z_][a-z0-9_]*`, at most 63 bytes.
    pub fn with_schema(mut self, schema: &str) -> Result<Self, StoreError> {
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !schema.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err(StoreError::Unavailable(format!(
                "invalid PostgreSQL schema name `{schema}`"
            )));
        }
        self.schema = Some(schema.to_owned());
        Ok(self)
    }

    /// Bounds the TCP connect and the whole connection handshake.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout(timeout);
        self.connect_timeout = timeout;
        self
    }

    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The TLS mode in force (`require` with `sslrootcert` is `verify-ca`).
    pub fn ssl_mode(&self) -> self::tls::SslMode {
        self.ssl_mode
    }

    /// Opens one connection, giving up after the connect timeout even when the server accepts the
    /// TCP connection but never answers (the client's own timeout covers only the TCP connect).
    fn connect(&self) -> Result<Client, StoreError> {
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

/// Splits the parameters iamd handles itself (`schema=`, and the TLS ones the client library
/// does not know) off a URL; the last occurrence of each wins.
fn take_params<const N: usize>(url: &str, names: &[&str; N]) -> (String, [Option<String>; N]) {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), found);
    };
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match names.iter().position(|n| *n == k) {
                Some(i) => {
                    found[i] = Some(v.to_owned());
                    false
                }
                None => true,
            }
        })
        .collect();
    if rest.is_empty() {
        (base.to_owned(), found)
    } else {
        (format!("{base}?{}", rest.join("&")), found)
    }
}

/// `%XX` escapes of a URL parameter value (a path may hold any byte).
fn percent_decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs blocking client work where the `postgres` client may start its own runtime: directly on
/// plain threads and `spawn_blocking` threads, through `block_in_place` on a multi-threaded tokio
/// runtime. On a current-thread runtime tokio offers neither a way out nor a way to tell a
/// `spawn_blocking` thread from the runtime's own thread: callers there must use
/// `spawn_blocking` (the client panics otherwise).
fn off_runtime<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Drops clients (which stops their private runtimes) where that is allowed.
fn drop_off_runtime<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| drop(value))
        }
        Ok(_) => {
            // A current-thread runtime may be driving this very thread: close elsewhere. If no
            // thread can be started the clients are dropped with the closure, on this thread.
            let _ = std::thread::Builder::new()
                .name("iamd-pg-close".into())
                .spawn(move || drop(value));
        }
        Err(_) => drop(value),
    }
}

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

/// One pooled connection with its prepared statements.
struct Conn {
    client: Client,
    stmts: HashMap<&'static str, Statement>,
    /// Set when the connection must not be reused (broken, or a session lock may be held).
    broken: bool,
}

impl Conn {
    /// A statement prepared once per connection (an unprepared query costs an extra round trip).
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.stmts.insert(sql, s.clone());
        Ok(s)
    }
}

const SQL_LOCK: &str = "SELECT pg_advisory_lock($1, hashtext(current_schema()))";
const SQL_UNLOCK: &str = "SELECT pg_advisory_unlock($1, hashtext(current_schema()))";
const SQL_REVISION: &str = "SELECT value::bigint FROM meta WHERE name = 'revision'";
/// Bumps the revision and queues its notification (delivered only if the transaction commits).
const SQL_BUMP_AND_NOTIFY: &str = "WITH r AS (UPDATE meta SET value = (value::bigint + 1)::text
                WHERE name = 'revision' RETURNING value)
     SELECT pg_notify($1, r.value) FROM r";

struct PoolState {
    idle: Vec<Conn>,
    open: usize,
}

struct Pool {
    settings: PostgresSettings,
    state: Mutex<PoolState>,
    freed: Condvar,
}

impl Pool {
    fn lock(&self) -> Result<MutexGuard<'_, PoolState>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Unavailable("postgres pool lock poisoned".into()))
    }

    fn get(&self) -> Result<Pooled<'_>, StoreError> {
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
                        conn: Some(Conn {
                            client,
                            stmts: HashMap::new(),
                            broken: false,
                        }),
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
    fn discard_idle(&self) -> Vec<Conn> {
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

struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Pooled<'_> {
    fn conn(&mut self) -> Result<&mut Conn, StoreError> {
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

/// What one attempt of a transaction ended with.
enum Failure {
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

fn classify(e: &postgres::Error) -> Failure {
    if is_retryable(e) {
        Failure::Retry(pg_error(e))
    } else {
        Failure::Final(pg_error(e))
    }
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
        off_runtime(|| {
            let mut client = settings.connect()?;
            migrate(&mut client, settings.schema())?;
            let store = Self {
                pool: Pool {
                    settings,
                    state: Mutex::new(PoolState {
                        idle: Vec::new(),
                        open: 0,
                    }),
                    freed: Condvar::new(),
                },
            };
            // Keep the migration connection as the pool's first idle connection.
            if let Ok(mut st) = store.pool.lock() {
                st.open += 1;
                st.idle.push(Conn {
                    client,
                    stmts: HashMap::new(),
                    broken: false,
                });
            }
            Ok(store)
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
        off_runtime(|| {
            let mut client = self.pool.settings.connect()?;
            client
                .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
                .map_err(|e| pg_error(&e))?;
            Ok(Subscription {
                client: Some(client),
            })
        })
    }

    fn with_conn<R>(
        &self,
        mut f: impl FnMut(&mut Conn) -> Result<R, Failure>,
    ) -> Result<R, StoreError> {
        let max = self.pool.settings.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut pooled = self.pool.get()?;
            let conn = pooled.conn()?;
            let res = f(conn);
            let lost = conn.client.is_closed();
            if lost {
                conn.broken = true;
            }
            drop(pooled);
            if lost {
                drop(self.pool.discard_idle());
            }
            match res {
                Ok(v) => return Ok(v),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry(e)) if attempt >= max => return Err(e),
                Err(Failure::Retry(_)) => {
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
        let res = Self::write_tx(conn, f);
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
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing a client stops its private runtime, which tokio forbids on a worker thread.
        drop_off_runtime(self.pool.discard_idle());
    }
}

impl crate::ChangeFeed for Subscription {
    fn wait(&mut self, timeout: Duration) -> Result<Option<i64>, StoreError> {
        self.recv_timeout(timeout)
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
        off_runtime(|| self.with_conn(|conn| Self::write_attempt(conn, f)))
    }

    fn read_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        off_runtime(|| self.with_conn(|conn| Self::read_attempt(conn, f)))
    }

    fn revision(&self) -> Result<i64, StoreError> {
        off_runtime(|| {
            self.with_conn(|conn| {
                let stmt = conn.prepared(SQL_REVISION).map_err(|e| classify(&e))?;
                let row = conn
                    .client
                    .query_one(&stmt, &[])
                    .map_err(|e| classify(&e))?;
                row.try_get(0).map_err(|e| Failure::Final(pg_error(&e)))
            })
        })
    }
}

/// Change notifications from [`PostgresStore::subscribe`].
pub struct Subscription {
    client: Option<Client>,
}

impl Subscription {
    /// Waits up to `timeout` for the next committed revision. `Ok(None)`: nothing arrived.
    /// `Err(Unavailable)`: the connection is gone; subscribe again.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<i64>, StoreError> {
        let client = self
            .client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("subscription closed".into()))?;
        off_runtime(|| {
            let deadline = Instant::now() + timeout;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let next = client.notifications().timeout_iter(left).next();
                match next {
                    Ok(Some(n)) => {
                        if n.channel() != CHANGES_CHANNEL {
                            continue;
                        }
                        match n.payload().parse::<i64>() {
                            Ok(rev) => return Ok(Some(rev)),
                            // Not ours (someone else notifying the channel): ignore.
                            Err(_) => continue,
                        }
                    }
                    Ok(None) if client.is_closed() => {
                        return Err(StoreError::Unavailable(
                            "postgres: notification connection lost".into(),
                        ));
                    }
                    Ok(None) => return Ok(None),
                    Err(e) => return Err(pg_error(&e)),
                }
            }
        })
    }
}

impl Iterator for Subscription {
    type Item = Result<i64, StoreError>;

    /// Blocks until the next revision; ends after reporting a lost connection once.
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.client.as_ref()?;
            match self.recv_timeout(Duration::from_secs(3600)) {
                Ok(Some(rev)) => return Some(Ok(rev)),
                Ok(None) => continue,
                Err(e) => {
                    drop_off_runtime(self.client.take());
                    return Some(Err(e));
                }
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop_off_runtime(self.client.take());
    }
}

/// Applies pending migrations in one transaction holding a transaction-level advisory lock.
fn migrate(client: &mut Client, schema: Option<&str>) -> Result<(), StoreError> {
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
mod tests {
    use super::*;
    use crate::StoreExt;
    use crate::conformance;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    const URL_VAR: &str = "IAMD_TEST_POSTGRES_URL";

    /// The test server's URL, or `None` after saying loudly that the test did not run.
    fn pg_url(test: &str) -> Option<String> {
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
    struct TestSchema {
        url: String,
        name: String,
    }

    impl TestSchema {
        fn new(url: &str) -> Self {
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
        fn settings(&self) -> PostgresSettings {
            let sep = if self.url.contains('?') { '&' } else { '?' };
            PostgresSettings::from_url(&format!("{}{sep}application_name={}", self.url, self.name))
                .unwrap()
                .with_schema(&self.name)
                .unwrap()
        }

        fn store(&self) -> PostgresStore {
            PostgresStore::connect(self.settings()).unwrap()
        }

        /// A plain client with this schema on its search path.
        fn client(&self) -> Client {
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

    #[test]
    fn notifications_carry_committed_revisions() {
        let Some(url) = pg_url("notifications_carry_committed_revisions") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let a = schema.store();
        let b = schema.store();
        // Start from a revision no concurrently running test reaches, so that notifications from
        // other schemas on the channel cannot satisfy the assertions.
        a.write(|tx| tx.set_meta("revision", "7000000000")).unwrap();
        let mut sub = b.subscribe().unwrap();
        a.write(|tx| tx.put("user", "1", "x", b"1", Expect::Absent))
            .unwrap();
        // Refused and read-only transactions notify nothing.
        let _ = a.write(|tx| tx.put("user", "1", "x", b"1", Expect::Absent));
        a.write(|tx| tx.get("user", "1", "x").map(|_| ())).unwrap();
        a.write(|tx| tx.put("user", "1", "y", b"1", Expect::Absent))
            .unwrap();
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while got.len() < 2 && Instant::now() < deadline {
            if let Some(rev) = sub.recv_timeout(Duration::from_millis(200)).unwrap()
                && rev > 7_000_000_000
            {
                got.push(rev);
            }
        }
        assert_eq!(got, [7_000_000_002, 7_000_000_003]);
        assert_eq!(b.revision().unwrap(), 7_000_000_003);
        assert_eq!(
            sub.recv_timeout(Duration::from_millis(300))
                .unwrap()
                .filter(|r| *r > 7_000_000_000),
            None
        );
    }

    #[test]
    fn a_lost_listener_connection_is_reported() {
        let Some(url) = pg_url("a_lost_listener_connection_is_reported") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let store = schema.store();
        let mut sub = store.subscribe().unwrap();
        let mut admin = schema.client();
        let n = admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE query = 'LISTEN iamd_changes' AND application_name = $1",
                &[&schema.name],
            )
            .unwrap();
        assert!(n >= 1);
        let mut outcome = Ok(None);
        for _ in 0..25 {
            outcome = sub.recv_timeout(Duration::from_millis(200));
            if outcome.is_err() {
                break;
            }
        }
        assert!(
            matches!(outcome, Err(StoreError::Unavailable(_))),
            "{outcome:?}"
        );
        assert!(matches!(sub.next(), Some(Err(_)) | None));
    }

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

    #[test]
    fn settings_debug_hides_the_password() {
        let s = PostgresSettings::from_url("postgres://iamd:hunter2-secret@db.example:6543/prod")
            .unwrap()
            .with_schema("iamd")
            .unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(
            dbg.contains("<redacted>") && dbg.contains("6543") && dbg.contains("iamd"),
            "{dbg}"
        );
        let e = PostgresStore::connect(s.clone().with_connect_timeout(Duration::from_millis(1)));
        if let Err(e) = e {
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
        assert!(
            PostgresSettings::from_url("postgres://x@h/db")
                .unwrap()
                .with_schema("Bad;drop")
                .is_err()
        );
        assert!(
            PostgresSettings::from_url("postgres://x@h/db")
                .unwrap()
                .with_schema("1abc")
                .is_err()
        );
        assert!(PostgresSettings::from_url("not a url ://").is_err());
        let s = PostgresSettings::from_url("postgres://x@h/db?connect_timeout=2&schema=iamd_a")
            .unwrap();
        assert_eq!(s.schema(), Some("iamd_a"));
        assert_eq!(s.connect_timeout, Duration::from_secs(2));
        assert_eq!(
            PostgresSettings::from_url("postgres://x@h/db?schema=iamd_b")
                .unwrap()
                .schema(),
            Some("iamd_b")
        );
        assert!(PostgresSettings::from_url("postgres://x@h/db?schema=Bad-Name").is_err());
        assert_eq!(
            PostgresSettings::from_url("postgres://x@h/db")
                .unwrap()
                .schema(),
            None
        );
    }

    // --- TLS (`sslmode`, `sslrootcert`; tls.rs) -------------------------------------------------

    const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pg-tls");

    fn tls_file(name: &str) -> String {
        format!("{TLS_DIR}/{name}")
    }

    #[test]
    fn sslmode_and_sslrootcert_parsing() {
        use crate::SslMode;
        let mode = |q: &str| PostgresSettings::from_url(&format!("postgres://x@h/db{q}"));
        // libpq's default is prefer; allow behaves as prefer.
        assert_eq!(mode("").unwrap().ssl_mode(), SslMode::Prefer);
        assert_eq!(mode("?sslmode=allow").unwrap().ssl_mode(), SslMode::Prefer);
        assert_eq!(
            mode("?sslmode=disable").unwrap().ssl_mode(),
            SslMode::Disable
        );
        assert_eq!(
            mode("?sslmode=require").unwrap().ssl_mode(),
            SslMode::Require
        );
        let ca = tls_file("ca.pem");
        // require + a root certificate verifies the chain, as libpq does.
        assert_eq!(
            mode(&format!("?sslmode=require&sslrootcert={ca}"))
                .unwrap()
                .ssl_mode(),
            SslMode::VerifyCa
        );
        assert_eq!(
            mode(&format!("?sslmode=verify-ca&sslrootcert={ca}"))
                .unwrap()
                .ssl_mode(),
            SslMode::VerifyCa
        );
        let s = mode(&format!(
            "?connect_timeout=3&sslrootcert={}&schema=iamd_t&sslmode=verify-full",
            ca.replace('/', "%2F")
        ))
        .unwrap();
        assert_eq!(s.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(s.schema(), Some("iamd_t"));
        assert_eq!(s.connect_timeout, Duration::from_secs(3));
        // Bad input is refused at start with what is wrong.
        let err = |q: &str| match mode(q) {
            Err(StoreError::Unavailable(m)) => m,
            other => panic!("{q}: {other:?}"),
        };
        assert!(err("?sslmode=verify-full").contains("needs sslrootcert"));
        assert!(err("?sslmode=verify-ca").contains("needs sslrootcert"));
        assert!(err("?sslmode=sometimes").contains("sslmode=`sometimes`"));
        assert!(
            err("?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
                .contains("/nonexistent/ca.pem")
        );
        assert!(
            err(&format!(
                "?sslmode=verify-full&sslrootcert={}",
                tls_file("README.md")
            ))
            .contains("no PEM certificate")
        );
        assert!(err("?sslmode=verify-full&sslrootcert=system").contains("not supported"));
        assert!(err("?sslcert=/c.pem").contains("sslcert"));
    }

    /// A fake PostgreSQL server on 127.0.0.1 for one connection: it answers the client's
    /// SSLRequest with `S` (then a TLS handshake with the test certificate) or `N` (`tls` false),
    /// reads the startup message and refuses it with an error naming how it arrived, so the
    /// client's error says whether TLS was used and accepted.
    fn fake_server(tls: bool) -> (u16, std::thread::JoinHandle<String>) {
        use rustls::pki_types::pem::PemObject;
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            fn error_response(message: &str) -> Vec<u8> {
                let mut fields = Vec::new();
                for (k, v) in [
                    (b'S', "FATAL"),
                    (b'V', "FATAL"),
                    (b'C', "28000"),
                    (b'M', message),
                ] {
                    fields.push(k);
                    fields.extend_from_slice(v.as_bytes());
                    fields.push(0);
                }
                fields.push(0);
                let mut out = vec![b'E'];
                out.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
                out.extend_from_slice(&fields);
                out
            }
            fn read_message(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
                let mut len = [0u8; 4];
                r.read_exact(&mut len)?;
                let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
                r.read_exact(&mut body)?;
                Ok(body)
            }
            let first = read_message(&mut tcp).unwrap();
            if first != 80877103u32.to_be_bytes() {
                // No SSLRequest: a plaintext startup message.
                tcp.write_all(&error_response("fake server: plaintext"))
                    .unwrap();
                return "plaintext".to_owned();
            }
            if !tls {
                tcp.write_all(b"N").unwrap();
                if read_message(&mut tcp).is_ok() {
                    tcp.write_all(&error_response("fake server: plaintext"))
                        .unwrap();
                    return "plaintext after N".to_owned();
                }
                return "client left after N".to_owned();
            }
            tcp.write_all(b"S").unwrap();
            let certs = rustls::pki_types::CertificateDer::pem_file_iter(tls_file("server.pem"))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key =
                rustls::pki_types::PrivateKeyDer::from_pem_file(tls_file("server.key")).unwrap();
            let config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut stream = rustls::StreamOwned::new(conn, tcp);
            match read_message(&mut stream) {
                Ok(_) => {
                    stream
                        .write_all(&error_response("fake server: TLS accepted"))
                        .unwrap();
                    let _ = stream.flush();
                    "TLS accepted".to_owned()
                }
                Err(e) => format!("TLS failed: {e}"),
            }
        });
        (port, handle)
    }

    /// Connects to a fake server with `query` and returns (client error, what the server saw).
    fn via_fake(tls: bool, query: &str) -> (String, String) {
        let (port, server) = fake_server(tls);
        let url = format!("postgres://iamd@127.0.0.1:{port}/db?connect_timeout=5&{query}");
        let err = match PostgresSettings::from_url(&url).unwrap().connect() {
            Err(StoreError::Unavailable(m)) => m,
            Ok(_) => panic!("the fake server accepted nothing"),
            Err(e) => panic!("{e:?}"),
        };
        (err, server.join().unwrap())
    }

    #[test]
    fn sslmode_decides_whether_and_how_the_server_is_trusted() {
        let ca = tls_file("ca.pem");
        let other = tls_file("other-ca.pem");
        // The server's certificate is signed by `ca` for `localhost`; we connect to 127.0.0.1.
        for (query, accepted) in [
            ("sslmode=require".to_owned(), true),
            ("sslmode=prefer".to_owned(), true),
            (String::new(), true),
            (format!("sslmode=verify-ca&sslrootcert={ca}"), true),
            (format!("sslmode=require&sslrootcert={ca}"), true),
            // Right CA, wrong name.
            (format!("sslmode=verify-full&sslrootcert={ca}"), false),
            // Wrong CA.
            (format!("sslmode=verify-ca&sslrootcert={other}"), false),
            (format!("sslmode=require&sslrootcert={other}"), false),
            (format!("sslmode=verify-full&sslrootcert={other}"), false),
        ] {
            let (err, seen) = via_fake(true, &query);
            if accepted {
                assert!(err.contains("fake server: TLS accepted"), "{query}: {err}");
                assert_eq!(seen, "TLS accepted", "{query}");
            } else {
                assert!(err.contains("certificate"), "{query}: {err}");
                assert!(seen.starts_with("TLS failed"), "{query}: {seen}");
            }
        }
        // verify-full against the name the certificate holds.
        let (port, server) = fake_server(true);
        let url = format!(
            "postgres://iamd@localhost:{port}/db?connect_timeout=5&sslmode=verify-full&sslrootcert={ca}"
        );
        match PostgresSettings::from_url(&url).unwrap().connect() {
            Err(StoreError::Unavailable(m)) => {
                assert!(m.contains("fake server: TLS accepted"), "{m}")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(server.join().unwrap(), "TLS accepted");
        // disable never asks for TLS.
        let (err, seen) = via_fake(true, "sslmode=disable");
        assert!(err.contains("fake server: plaintext"), "{err}");
        assert_eq!(seen, "plaintext");
        // A server without TLS: prefer goes on in plaintext, require and verify-* refuse.
        let (err, seen) = via_fake(false, "sslmode=prefer");
        assert!(err.contains("fake server: plaintext"), "{err}");
        assert_eq!(seen, "plaintext after N");
        for query in [
            "sslmode=require".to_owned(),
            format!("sslmode=verify-full&sslrootcert={ca}"),
        ] {
            let (err, seen) = via_fake(false, &query);
            assert!(!err.contains("fake server"), "{query}: {err}");
            assert_eq!(seen, "client left after N", "{query}");
        }
    }

    #[test]
    fn sslmode_against_the_test_server() {
        let Some(url) = pg_url("sslmode_against_the_test_server") else {
            return;
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let ssl_on = postgres::Client::connect(&url, NoTls)
            .unwrap()
            .query_one("SHOW ssl", &[])
            .unwrap()
            .get::<_, String>(0)
            == "on";
        let uses_tls = |mode: &str| {
            PostgresSettings::from_url(&format!("{url}{sep}sslmode={mode}"))
                .unwrap()
                .connect()
                .map(|mut c| {
                    c.query_one(
                        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                        &[],
                    )
                    .unwrap()
                    .get::<_, bool>(0)
                })
        };
        assert!(!uses_tls("disable").unwrap());
        if ssl_on {
            assert!(uses_tls("require").unwrap());
            assert!(uses_tls("prefer").unwrap());
        } else {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "NOTE: the test server has ssl=off: checking that sslmode=require is refused"
            );
            assert!(uses_tls("require").is_err());
            assert!(!uses_tls("prefer").unwrap());
        }
        // A CA that did not sign the server's certificate is refused, whatever the server has.
        let other = tls_file("other-ca.pem");
        assert!(uses_tls(&format!("verify-ca&sslrootcert={other}")).is_err());
    }
}
