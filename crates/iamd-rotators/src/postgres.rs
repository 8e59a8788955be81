//! `postgresql-single-user` and `postgresql-alternating-users`: what AWS's published rotation
//! templates `SecretsManagerRDSPostgreSQLRotationSingleUser` and
//! `SecretsManagerRDSPostgreSQLRotationMultiUser` do, with the same secret shape, the same checks
//! and the same error texts (reference: aws-semantics-2.md §7.4 and §7.5; the templates'
//! behaviour only, none of their code).
//!
//! The secret is a JSON object: `engine` (`postgres` or `aurora-postgresql`), `host`,
//! `username`, `password` (all four required), `port` (default 5432), `dbname` (default
//! `postgres`), `ssl`, and for alternating users `masterarn`, the ARN of a secret holding the
//! credentials of a user that may create roles on the same host.
//!
//! Connections: 5 s connect timeout. `ssl` `true` (or `"true"`, any case): TLS with the server's
//! certificate verified against the CA bundle and the host name (`sslmode=verify-full`), no
//! fallback; `false` (or `"false"`): no TLS; absent or anything else: TLS as for `true`, then,
//! if that fails, without TLS — as the templates do. The CA bundle is
//! [`PostgresOptions::root_cert`], or the first system bundle found (the templates use
//! `/etc/pki/tls/cert.pem`, the Amazon Linux bundle).
//!
//! One deliberate difference: the new password is sent to the database as a SCRAM-SHA-256
//! verifier made here (`ALTER USER … WITH PASSWORD 'SCRAM-SHA-256$…'`, as psql's `\password`
//! does), never in plain text, so it cannot show up in the database's statement log. PostgreSQL
//! stores such a verifier as it is; the role then logs in with the password (SCRAM, or `md5`
//! authentication, which switches to SCRAM for a SCRAM verifier). PostgreSQL 10 or newer.
//!
//! Every step is blocking (the sync `postgres` client) and runs its database work on a thread of
//! its own, so it may be called from anywhere, a Tokio worker included.

use crate::{RotationError, RotationHost, Rotator, Values, password_params};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::{Zeroize, Zeroizing};

/// The templates' `connect_timeout=5`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A dead peer is given up after this long (TCP user timeout, keepalive idle time); a statement
/// after [`SESSION_SETUP`]'s 30 s. (The templates rely on the Lambda function's time limit.)
const DEAD_PEER: Duration = Duration::from_secs(30);
const SESSION_SETUP: &str = "SET statement_timeout = 30000";
const DEFAULT_PORT: u16 = 5432;
const DEFAULT_DBNAME: &str = "postgres";
const CLONE_SUFFIX: &str = "_clone";
/// PostgreSQL's identifier limit (NAMEDATALEN - 1 bytes).
const MAX_USERNAME_LEN: usize = 63;
/// Where systems keep their CA bundle, the templates' (Amazon Linux) first.
const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Server configuration of the PostgreSQL rotators.
#[derive(Debug, Clone, Default)]
pub struct PostgresOptions {
    /// A PEM file of the CA certificates that database servers' certificates must chain to when
    /// a secret asks for TLS; `None`: the first system CA bundle found.
    pub root_cert: Option<PathBuf>,
    /// The databases the rotators may connect to (`--rotation-postgres-allow`): `host` (any
    /// port) or `host:port`, compared case-insensitively with the secret's `host` and `port`.
    /// Anyone allowed to call RotateSecret chooses the host a rotator connects to; without this
    /// list iamd would connect wherever a secret says (a request forgery from the server's
    /// network position). Empty: no database is allowed, except loopback with `allow_loopback`.
    pub allowed_hosts: Vec<String>,
    /// `--dev`: `127.0.0.1`, `::1` and `localhost` are allowed too.
    pub allow_loopback: bool,
}

impl PostgresOptions {
    /// Whether a rotator may connect to `host`:`port`. A Unix socket directory (a host starting
    /// with `/`) is allowed only when listed exactly: a local socket is often trusted without a
    /// password.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        if self.allow_loopback && matches!(host, "127.0.0.1" | "::1" | "localhost") {
            return true;
        }
        self.allowed_hosts.iter().any(|rule| {
            if rule.eq_ignore_ascii_case(host) {
                return true;
            }
            match rule.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') || h.starts_with('[') => {
                    let h = h.trim_start_matches('[').trim_end_matches(']');
                    h.eq_ignore_ascii_case(host) && p.parse::<u16>().is_ok_and(|p| p == port)
                }
                _ => false,
            }
        })
    }
}

/// `postgresql-single-user`: the user changes its own password (AWS's single-user template).
pub struct PostgresSingleUser {
    db: Db,
}

impl PostgresSingleUser {
    pub fn new(options: PostgresOptions) -> Self {
        Self { db: Db { options } }
    }
}

impl Default for PostgresSingleUser {
    fn default() -> Self {
        Self::new(PostgresOptions::default())
    }
}

/// `postgresql-alternating-users`: the master secret's user sets the password of the other of two
/// users, `app` and `app_clone` (created, with the grants of `app`, at the first rotation), so the
/// current user's password keeps working until the next rotation (AWS's multi-user template).
pub struct PostgresAlternatingUsers {
    db: Db,
}

impl PostgresAlternatingUsers {
    pub fn new(options: PostgresOptions) -> Self {
        Self { db: Db { options } }
    }
}

impl Default for PostgresAlternatingUsers {
    fn default() -> Self {
        Self::new(PostgresOptions::default())
    }
}

impl Rotator for PostgresSingleUser {
    fn name(&self) -> &'static str {
        "postgresql-single-user"
    }

    fn create_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<Zeroizing<String>, RotationError> {
        let current = DbSecret::parse(values.current)?;
        let password = host.random_password(&password_params(host.tags())?)?;
        current.with_new_login(None, &password)
    }

    fn set_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<(), RotationError> {
        let arn = host.secret_arn();
        // As the template: a previous version that is absent or unusable is simply not tried.
        let previous = values.previous.and_then(|p| DbSecret::parse(p).ok());
        let current = DbSecret::parse(values.current)?;
        let pending = DbSecret::parse(pending_value(host, values)?)?;

        // A retried rotation: the database already has the pending password.
        if self.db.can_log_in(&pending.login(None, None)?, true)? {
            return Ok(());
        }
        if current.username()? != pending.username()? {
            return Err(RotationError::new(format!(
                "Attempting to modify user {} other than current user {}",
                pending.username()?,
                current.username()?
            )));
        }
        if current.host()? != pending.host()? {
            return Err(RotationError::new(format!(
                "Attempting to modify user for host {} other than current host {}",
                pending.host()?,
                current.host()?
            )));
        }

        let statement = alter_password_statement(pending.username()?, pending.password()?)?;
        let set = |login: &Login<'_>| {
            self.db.session(login, false, |client| {
                client.batch_execute(&statement).map_err(|e| {
                    sql_failure("setSecret", "setting the password", pending.username(), &e)
                })
            })
        };
        if set(&current.login(None, None)?)?.is_some() {
            return Ok(());
        }
        // The previous password, with the current version's `ssl` setting (as the template).
        if let Some(previous) = &previous {
            if previous.username()? != pending.username()? {
                return Err(RotationError::new(format!(
                    "Attempting to modify user {} other than previous valid user {}",
                    pending.username()?,
                    previous.username()?
                )));
            }
            if previous.host()? != pending.host()? {
                // The template's text, "current previous valid" included.
                return Err(RotationError::new(format!(
                    "Attempting to modify user for host {} other than current previous valid {}",
                    pending.host()?,
                    previous.host()?
                )));
            }
            let ssl = SslChoice::of(current.object.get("ssl"));
            if set(&previous.login(None, Some(ssl))?)?.is_some() {
                return Ok(());
            }
        }
        Err(RotationError::new(format!(
            "Unable to log into database with previous, current, or pending secret of secret arn {arn}"
        )))
    }

    fn test_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<(), RotationError> {
        test_pending(&self.db, host, values)
    }
}

impl Rotator for PostgresAlternatingUsers {
    fn name(&self) -> &'static str {
        "postgresql-alternating-users"
    }

    fn create_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<Zeroizing<String>, RotationError> {
        let current = DbSecret::parse(values.current)?;
        let username = alternate_username(current.username()?)?;
        let password = host.random_password(&password_params(host.tags())?)?;
        current.with_new_login(Some(&username), &password)
    }

    fn set_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<(), RotationError> {
        let arn = host.secret_arn();
        let current = DbSecret::parse(values.current)?;
        let pending = DbSecret::parse(pending_value(host, values)?)?;

        if self.db.can_log_in(&pending.login(None, None)?, true)? {
            return Ok(());
        }
        if alternate_username(current.username()?)? != pending.username()? {
            return Err(RotationError::new(format!(
                "Attempting to modify user {} other than current user or clone {}",
                pending.username()?,
                current.username()?
            )));
        }
        if current.host()? != pending.host()? {
            return Err(RotationError::new(format!(
                "Attempting to modify user for host {} other than current host {}",
                pending.host()?,
                current.host()?
            )));
        }
        // The confused-deputy guard: the master acts only for whoever holds a working login.
        if !self.db.can_log_in(&current.login(None, None)?, false)? {
            return Err(RotationError::new(format!(
                "Unable to log into database using current credentials for secret {arn}"
            )));
        }

        let master_arn = current.string("masterarn")?;
        let master = DbSecret::parse(&host.other_secret_value(master_arn)?)?;
        if current.host()? != master.host()? {
            return Err(RotationError::new(format!(
                "Current database host {} is not the same host as/rds replica of master {}",
                current.host()?,
                master.host()?
            )));
        }
        // The master logs into the current secret's database.
        let master_login = master.login(Some(current.dbname()?), None)?;

        let pending_user = pending.username()?;
        let create = format!(
            "CREATE ROLE {} WITH LOGIN PASSWORD {}; GRANT {} TO {}",
            quote_ident(pending_user)?,
            Zeroizing::new(quote_literal(&scram_verifier(pending.password()?))?).as_str(),
            quote_ident(current.username()?)?,
            quote_ident(pending_user)?,
        );
        let create = Zeroizing::new(create);
        let alter = alter_password_statement(pending_user, pending.password()?)?;
        let done = self.db.session(&master_login, false, |client| {
            let failed = |what: &str, e: &::postgres::Error| {
                sql_failure("setSecret", what, Ok(pending_user), e)
            };
            let mut tx = client
                .transaction()
                .map_err(|e| failed("starting a transaction", &e))?;
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM pg_roles WHERE rolname = $1",
                    &[&pending_user],
                )
                .map_err(|e| failed("looking the user up", &e))?
                .is_some();
            if exists {
                tx.batch_execute(&alter)
                    .map_err(|e| failed("setting the password", &e))?;
            } else {
                tx.batch_execute(&create)
                    .map_err(|e| failed("creating the user", &e))?;
            }
            tx.commit().map_err(|e| failed("committing", &e))
        })?;
        match done {
            Some(()) => Ok(()),
            None => Err(RotationError::new(format!(
                "Unable to log into database using credentials in master secret {master_arn}"
            ))),
        }
    }

    fn test_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<(), RotationError> {
        test_pending(&self.db, host, values)
    }
}

/// testSecret of both templates: log in with the pending value and `SELECT NOW()`.
fn test_pending(
    db: &Db,
    host: &dyn RotationHost,
    values: &Values<'_>,
) -> Result<(), RotationError> {
    let pending = DbSecret::parse(pending_value(host, values)?)?;
    let tested = db.session(&pending.login(None, None)?, false, |client| {
        client
            .simple_query("SELECT NOW()")
            .map(|_| ())
            .map_err(|e| sql_failure("testSecret", "SELECT NOW()", pending.username(), &e))
    })?;
    match tested {
        Some(()) => Ok(()),
        None => Err(RotationError::new(format!(
            "Unable to log into database with pending secret of secret ARN {}",
            host.secret_arn()
        ))),
    }
}

fn pending_value<'a>(
    host: &dyn RotationHost,
    values: &Values<'a>,
) -> Result<&'a str, RotationError> {
    values.pending.ok_or_else(|| {
        RotationError::new(format!(
            "the AWSPENDING version {} of secret {} has no value",
            host.token(),
            host.secret_arn()
        ))
    })
}

/// The templates' `get_alt_username`: `app` ⇄ `app_clone`.
pub fn alternate_username(username: &str) -> Result<String, RotationError> {
    if let Some(base) = username.strip_suffix(CLONE_SUFFIX) {
        return Ok(base.to_owned());
    }
    let clone = format!("{username}{CLONE_SUFFIX}");
    // The template counts characters; PostgreSQL's limit is in bytes (a longer name would be
    // truncated by the server), so bytes are counted here: the same for ASCII names.
    if clone.len() > MAX_USERNAME_LEN {
        return Err(RotationError::new(
            "Unable to clone user, username length with _clone appended would exceed 63 characters",
        ));
    }
    Ok(clone)
}

/// A PostgreSQL identifier, always quoted (so its case and any character are kept as they are,
/// as `quote_ident` keeps them).
pub fn quote_ident(name: &str) -> Result<String, RotationError> {
    if name.contains('\0') {
        return Err(RotationError::new(
            "a PostgreSQL user name cannot hold a NUL character",
        ));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// A PostgreSQL string literal in the escape form (`E'…'`), whose meaning does not depend on
/// `standard_conforming_strings`: `'` and `\` doubled.
pub fn quote_literal(value: &str) -> Result<String, RotationError> {
    if value.contains('\0') {
        return Err(RotationError::new(
            "a PostgreSQL string cannot hold a NUL character",
        ));
    }
    let mut out = String::with_capacity(value.len() + 3);
    out.push_str("E'");
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

/// A SCRAM-SHA-256 verifier of the password, with a fresh salt, as PostgreSQL stores it.
fn scram_verifier(password: &str) -> Zeroizing<String> {
    Zeroizing::new(postgres_protocol::password::scram_sha_256(
        password.as_bytes(),
    ))
}

/// `ALTER USER <user> WITH PASSWORD '<verifier>'`.
fn alter_password_statement(
    username: &str,
    password: &str,
) -> Result<Zeroizing<String>, RotationError> {
    let literal = Zeroizing::new(quote_literal(&scram_verifier(password))?);
    Ok(Zeroizing::new(format!(
        "ALTER USER {} WITH PASSWORD {}",
        quote_ident(username)?,
        literal.as_str()
    )))
}

/// A failed statement, told without the statement (it holds a password verifier): the step, what
/// was being done, the user, PostgreSQL's SQLSTATE and message.
fn sql_failure(
    step: &str,
    what: &str,
    user: Result<&str, RotationError>,
    e: &::postgres::Error,
) -> RotationError {
    let user = user.unwrap_or("?");
    let reason = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => "the connection failed".to_owned(),
    };
    RotationError::new(format!("{step}: {what} for user {user} failed: {reason}"))
}

/// How to connect, from the secret's `ssl` (the templates' `get_ssl_config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslChoice {
    /// `verify-full`, nothing else.
    Tls,
    /// No TLS.
    Plain,
    /// `verify-full`, and without TLS if that fails.
    TlsThenPlain,
}

impl SslChoice {
    fn of(ssl: Option<&Value>) -> Self {
        match ssl {
            Some(Value::Bool(true)) => SslChoice::Tls,
            Some(Value::Bool(false)) => SslChoice::Plain,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => SslChoice::Tls,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => SslChoice::Plain,
            _ => SslChoice::TlsThenPlain,
        }
    }
}

/// A database secret's JSON, checked as the templates' `get_secret_dict` checks it. Its password
/// is wiped when it is dropped.
struct DbSecret {
    object: Map<String, Value>,
}

impl Drop for DbSecret {
    fn drop(&mut self) {
        if let Some(Value::String(p)) = self.object.get_mut("password") {
            p.zeroize();
        }
    }
}

impl DbSecret {
    fn parse(value: &str) -> Result<Self, RotationError> {
        // serde_json's error names a position, never the text: still, say nothing of it.
        let object = match serde_json::from_str::<Value>(value) {
            Ok(Value::Object(object)) => object,
            Ok(mut other) => {
                wipe(&mut other);
                return Err(RotationError::new("the secret value is not a JSON object"));
            }
            Err(_) => return Err(RotationError::new("the secret value is not valid JSON")),
        };
        let secret = DbSecret { object };
        for key in ["host", "username", "password", "engine"] {
            if !secret.object.contains_key(key) {
                return Err(RotationError::new(format!(
                    "{key} key is missing from secret JSON"
                )));
            }
        }
        match secret.object.get("engine") {
            Some(Value::String(e)) if e == "postgres" || e == "aurora-postgresql" => {}
            _ => {
                return Err(RotationError::new(
                    "Database engine must be set to 'postgres' in order to use this rotation lambda",
                ));
            }
        }
        Ok(secret)
    }

    fn string(&self, key: &str) -> Result<&str, RotationError> {
        match self.object.get(key) {
            Some(Value::String(s)) => Ok(s),
            None => Err(RotationError::new(format!(
                "{key} key is missing from secret JSON"
            ))),
            Some(_) => Err(RotationError::new(format!(
                "the {key} of the secret JSON must be a string"
            ))),
        }
    }

    fn host(&self) -> Result<&str, RotationError> {
        self.string("host")
    }

    fn username(&self) -> Result<&str, RotationError> {
        self.string("username")
    }

    fn password(&self) -> Result<&str, RotationError> {
        self.string("password")
    }

    /// `port`: a number or a string of one (the template's `int()`), 5432 when absent.
    fn port(&self) -> Result<u16, RotationError> {
        let bad =
            || RotationError::new("the port of the secret JSON must be a number from 1 to 65535");
        match self.object.get("port") {
            None | Some(Value::Null) => Ok(DEFAULT_PORT),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(bad),
            Some(Value::String(s)) => s
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    /// `dbname`, `postgres` when absent or null.
    fn dbname(&self) -> Result<&str, RotationError> {
        match self.object.get("dbname") {
            None | Some(Value::Null) => Ok(DEFAULT_DBNAME),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(RotationError::new(
                "the dbname of the secret JSON must be a string",
            )),
        }
    }

    fn login<'a>(
        &'a self,
        dbname: Option<&'a str>,
        ssl: Option<SslChoice>,
    ) -> Result<Login<'a>, RotationError> {
        Ok(Login {
            host: self.host()?,
            port: self.port()?,
            user: self.username()?,
            password: self.password()?,
            dbname: match dbname {
                Some(d) => d,
                None => self.dbname()?,
            },
            ssl: ssl.unwrap_or_else(|| SslChoice::of(self.object.get("ssl"))),
        })
    }

    /// This secret's JSON with a new password (and user name): createSecret's value.
    fn with_new_login(
        &self,
        username: Option<&str>,
        password: &str,
    ) -> Result<Zeroizing<String>, RotationError> {
        let mut object = self.object.clone();
        if let Some(username) = username {
            object.insert("username".to_owned(), Value::String(username.to_owned()));
        }
        object.insert("password".to_owned(), Value::String(password.to_owned()));
        let out = serde_json::to_string(&object)
            .map(Zeroizing::new)
            .map_err(|e| RotationError::new(format!("encoding the new value: {e}")));
        let mut object = Value::Object(object);
        wipe(&mut object);
        out
    }
}

/// Wipes every string of a JSON value (a copy of a secret about to be dropped).
fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(a) => a.iter_mut().for_each(wipe),
        Value::Object(o) => o.values_mut().for_each(wipe),
        _ => {}
    }
}

/// Where and as whom to log in.
struct Login<'a> {
    host: &'a str,
    port: u16,
    user: &'a str,
    password: &'a str,
    dbname: &'a str,
    ssl: SslChoice,
}

/// The connections of the rotators.
struct Db {
    options: PostgresOptions,
}

impl Db {
    /// Whether the login works (the templates' `get_connection(...)` being truthy). `expected`:
    /// a failure is the usual answer (is the pending password already set?), logged at debug
    /// level only.
    fn can_log_in(&self, login: &Login<'_>, expected: bool) -> Result<bool, RotationError> {
        Ok(self.session(login, expected, |_| Ok(()))?.is_some())
    }

    /// Logs in and runs `work`: `None` if the login failed (why is logged, never the password),
    /// `work`'s error if it failed. On a thread of its own: the sync client must not run on an
    /// async runtime's thread.
    fn session<T: Send>(
        &self,
        login: &Login<'_>,
        expected_failure: bool,
        work: impl FnOnce(&mut ::postgres::Client) -> Result<T, RotationError> + Send,
    ) -> Result<Option<T>, RotationError> {
        if !self.options.allows(login.host, login.port) {
            return Err(RotationError::new(format!(
                "The database host {}:{} is not on this server's allow list of databases to rotate \
                 (iamd serve --rotation-postgres-allow)",
                login.host, login.port
            )));
        }
        std::thread::scope(|s| {
            s.spawn(|| match self.connect(login) {
                Ok(mut client) => {
                    client.batch_execute(SESSION_SETUP).map_err(|e| {
                        sql_failure("login", "setting statement_timeout", Ok(login.user), &e)
                    })?;
                    work(&mut client).map(Some)
                }
                Err(reason) => {
                    log_failure(login, expected_failure, &reason);
                    Ok(None)
                }
            })
            .join()
        })
        .map_err(|_| RotationError::new("the PostgreSQL client failed unexpectedly"))?
    }

    /// A connection, or why there is none (every attempt's reason).
    fn connect(&self, login: &Login<'_>) -> Result<::postgres::Client, String> {
        match login.ssl {
            SslChoice::Plain => self.connect_plain(login),
            SslChoice::Tls => self.connect_tls(login),
            SslChoice::TlsThenPlain => self.connect_tls(login).or_else(|tls| {
                self.connect_plain(login)
                    .map_err(|plain| format!("{tls}; then without TLS: {plain}"))
            }),
        }
    }

    fn config(login: &Login<'_>) -> ::postgres::Config {
        let mut config = ::postgres::Config::new();
        config
            .host(login.host)
            .port(login.port)
            .user(login.user)
            .password(login.password)
            .dbname(login.dbname)
            .application_name("iamd-rotator")
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_user_timeout(DEAD_PEER)
            .keepalives_idle(DEAD_PEER);
        config
    }

    fn connect_plain(&self, login: &Login<'_>) -> Result<::postgres::Client, String> {
        let mut config = Self::config(login);
        config.ssl_mode(::postgres::config::SslMode::Disable);
        config
            .connect(::postgres::NoTls)
            .map_err(|e| format!("without TLS: {}", reason(&e)))
    }

    fn connect_tls(&self, login: &Login<'_>) -> Result<::postgres::Client, String> {
        let root_cert = self
            .root_cert()
            .ok_or("TLS: no CA bundle to verify the server with")?;
        let tls = match iamd_store::postgres_tls_connector(
            iamd_store::SslMode::VerifyFull,
            Some(&root_cert),
        ) {
            Ok((_, Some(tls))) => tls,
            Ok((_, None)) => return Err("TLS: no connector".to_owned()),
            Err(e) => return Err(format!("TLS: {e}")),
        };
        let mut config = Self::config(login);
        config.ssl_mode(::postgres::config::SslMode::Require);
        config
            .connect(tls)
            .map_err(|e| format!("TLS (verify-full): {}", reason(&e)))
    }

    fn root_cert(&self) -> Option<PathBuf> {
        match &self.options.root_cert {
            Some(path) => Some(path.clone()),
            None => SYSTEM_CA_BUNDLES
                .iter()
                .map(Path::new)
                .find(|p| p.is_file())
                .map(Path::to_path_buf),
        }
    }
}

/// The client's reason for a failure: PostgreSQL's message and SQLSTATE, or the connection's
/// error. Neither ever holds the password.
fn reason(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// A failed login, as the templates log it: host, user, the reasons (never the password).
/// `expected`: the usual answer of a check, at debug level.
fn log_failure(login: &Login<'_>, expected: bool, reason: &str) {
    if expected {
        tracing::debug!(
            host = login.host,
            port = login.port,
            user = login.user,
            dbname = login.dbname,
            reason,
            "rotator: PostgreSQL login failed (expected until the password is set)"
        );
    } else {
        tracing::warn!(
            host = login.host,
            port = login.port,
            user = login.user,
            dbname = login.dbname,
            reason,
            "rotator: PostgreSQL login failed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_kept_exactly() {
        assert_eq!(quote_ident("app").unwrap(), "\"app\"");
        assert_eq!(quote_ident("My \"App\"").unwrap(), "\"My \"\"App\"\"\"");
        assert!(quote_ident("a\0b").is_err());
    }

    #[test]
    fn literals_double_quotes_and_backslashes() {
        assert_eq!(quote_literal("abc").unwrap(), "E'abc'");
        assert_eq!(quote_literal(r"a'b\c").unwrap(), r"E'a''b\\c'");
        assert_eq!(quote_literal(r"\'").unwrap(), r"E'\\'''");
        assert!(quote_literal("a\0").is_err());
    }

    #[test]
    fn usernames_alternate_with_the_clone_suffix() {
        assert_eq!(alternate_username("app").unwrap(), "app_clone");
        assert_eq!(alternate_username("app_clone").unwrap(), "app");
        let long = "a".repeat(57);
        assert_eq!(alternate_username(&long).unwrap().len(), 63);
        assert_eq!(
            alternate_username(&"a".repeat(58)).unwrap_err().message,
            "Unable to clone user, username length with _clone appended would exceed 63 characters"
        );
        // A long clone still strips back.
        let clone = format!("{}_clone", "a".repeat(70));
        assert_eq!(alternate_username(&clone).unwrap(), "a".repeat(70));
    }

    #[test]
    fn ssl_setting_as_the_templates_read_it() {
        use serde_json::json;
        assert_eq!(SslChoice::of(None), SslChoice::TlsThenPlain);
        assert_eq!(SslChoice::of(Some(&json!(true))), SslChoice::Tls);
        assert_eq!(SslChoice::of(Some(&json!(false))), SslChoice::Plain);
        assert_eq!(SslChoice::of(Some(&json!("TRUE"))), SslChoice::Tls);
        assert_eq!(SslChoice::of(Some(&json!("False"))), SslChoice::Plain);
        assert_eq!(SslChoice::of(Some(&json!("yes"))), SslChoice::TlsThenPlain);
        assert_eq!(SslChoice::of(Some(&json!(1))), SslChoice::TlsThenPlain);
    }

    #[test]
    fn the_secret_json_is_checked_as_the_templates_check_it() {
        let err = |v: &str| DbSecret::parse(v).err().unwrap().message;
        assert_eq!(
            err(r#"{"username":"u","password":"p","engine":"postgres"}"#),
            "host key is missing from secret JSON"
        );
        assert_eq!(
            err(r#"{"host":"h","password":"p","engine":"postgres"}"#),
            "username key is missing from secret JSON"
        );
        assert_eq!(
            err(r#"{"host":"h","username":"u","engine":"postgres"}"#),
            "password key is missing from secret JSON"
        );
        assert_eq!(
            err(r#"{"host":"h","username":"u","password":"p"}"#),
            "engine key is missing from secret JSON"
        );
        assert_eq!(
            err(r#"{"host":"h","username":"u","password":"p","engine":"mysql"}"#),
            "Database engine must be set to 'postgres' in order to use this rotation lambda"
        );
        assert_eq!(err("not json"), "the secret value is not valid JSON");
        assert_eq!(err(r#""s3cret""#), "the secret value is not a JSON object");
        let s = DbSecret::parse(
            r#"{"host":"h","username":"u","password":"p","engine":"aurora-postgresql"}"#,
        )
        .unwrap();
        assert_eq!(s.port().unwrap(), 5432);
        assert_eq!(s.dbname().unwrap(), "postgres");
        let s = DbSecret::parse(
            r#"{"host":"h","username":"u","password":"p","engine":"postgres","port":"6543","dbname":null}"#,
        )
        .unwrap();
        assert_eq!(s.port().unwrap(), 6543);
        assert_eq!(s.dbname().unwrap(), "postgres");
        let s = DbSecret::parse(
            r#"{"host":"h","username":"u","password":"p","engine":"postgres","port":70000}"#,
        )
        .unwrap();
        assert!(s.port().is_err());
    }

    #[test]
    fn the_password_goes_as_a_scram_verifier_never_in_plain_text() {
        let statement = alter_password_statement("app", r"pa'ss\word").unwrap();
        assert!(statement.starts_with("ALTER USER \"app\" WITH PASSWORD E'SCRAM-SHA-256$4096:"));
        assert!(!statement.contains("pa'ss"));
        assert!(!statement.contains("pa''ss"));
    }
}
