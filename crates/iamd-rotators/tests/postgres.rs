#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The PostgreSQL rotators against a real PostgreSQL that checks passwords.
//!
//! The tests need `IAMD_TEST_POSTGRES_URL` (a superuser URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/test`) and skip loudly without it. A server whose
//! `pg_hba.conf` trusts TCP logins (as this machine's does: `host all all 127.0.0.1/32 trust`)
//! accepts any password, which would make every "the old password no longer works" check
//! meaningless and turn setSecret's "does the pending password already work?" into a yes every
//! time. So the tests first find out: they create a role with a password and try a wrong one. If
//! the server refuses it, the tests use that server; if it lets the wrong password in, they start
//! a private cluster of their own (`initdb` from `pg_config --bindir`, SCRAM-SHA-256 on TCP,
//! trust only on its private Unix socket, TLS with iamd-store's test certificates), which a
//! watchdog stops and removes when the test process ends. Without PostgreSQL binaries there,
//! they skip loudly.

use iamd_rotators::{
    PasswordParams, PostgresAlternatingUsers, PostgresOptions, PostgresSingleUser, RotationError,
    RotationHost, Rotator, Values,
};
use postgres::{Client, NoTls};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

const URL_VAR: &str = "IAMD_TEST_POSTGRES_URL";
const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../iamd-store/testdata/pg-tls");

fn skip(test: &str, why: &str) {
    // Straight to stderr: libtest captures `eprintln!` of passing tests, and a skip must be seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
}

/// A PostgreSQL server that checks passwords on TCP.
struct Server {
    /// Superuser connection settings.
    admin: postgres::Config,
    /// Where the rotators connect (TCP).
    host: String,
    port: u16,
    dbname: String,
    /// The private cluster's TLS: a host name its certificate is valid for, and the CA.
    tls: Option<(String, PathBuf)>,
}

impl Server {
    fn admin(&self) -> Client {
        self.admin.connect(NoTls).unwrap()
    }

    /// Whether `user` logs in over TCP (no TLS) with `password`.
    fn logs_in(&self, user: &str, password: &str) -> bool {
        let mut c = postgres::Config::new();
        c.host(&self.host)
            .port(self.port)
            .user(user)
            .password(password)
            .dbname(&self.dbname)
            .ssl_mode(postgres::config::SslMode::Disable)
            .connect_timeout(Duration::from_secs(5));
        c.connect(NoTls).is_ok()
    }

    /// A role with a login and a password, dropped at the end of the test.
    fn role(&self, roles: &mut Roles, name: &str, password: &str, extra: &str) {
        roles.names.push(name.to_owned());
        self.admin()
            .batch_execute(&format!(
                "CREATE ROLE {} WITH LOGIN {extra} PASSWORD {}",
                ident(name),
                literal(password)
            ))
            .unwrap();
    }

    fn set_password(&self, name: &str, password: &str) {
        self.admin()
            .batch_execute(&format!(
                "ALTER ROLE {} WITH PASSWORD {}",
                ident(name),
                literal(password)
            ))
            .unwrap();
    }

    fn role_exists(&self, name: &str) -> bool {
        self.admin()
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
            .unwrap()
            .is_some()
    }

    /// The AWS-shaped secret JSON of a login on this server.
    fn secret(&self, user: &str, password: &str) -> Value {
        json!({
            "engine": "postgres",
            "host": self.host,
            "port": self.port,
            "username": user,
            "password": password,
            "dbname": self.dbname,
            "ssl": false,
        })
    }
}

/// Roles a test made, dropped when it ends.
struct Roles<'a> {
    server: &'a Server,
    names: Vec<String>,
}

impl Drop for Roles<'_> {
    fn drop(&mut self) {
        if let Ok(mut c) = self.server.admin.connect(NoTls) {
            // Clones first: they are members of the originals.
            for name in self.names.iter().rev() {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {}", ident(name)));
            }
        }
    }
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn literal(s: &str) -> String {
    format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "rot_{tag}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The server for the tests, or `None` after saying loudly why they do not run.
fn server(test: &str) -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    let url = match std::env::var(URL_VAR) {
        Ok(u) if !u.is_empty() => u,
        _ => {
            skip(
                test,
                &format!(
                    "PostgreSQL tests need {URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/test)"
                ),
            );
            return None;
        }
    };
    match SERVER.get_or_init(|| find_server(&url)) {
        Ok(s) => Some(s),
        Err(why) => {
            skip(test, why);
            None
        }
    }
}

fn find_server(url: &str) -> Result<Server, String> {
    let admin: postgres::Config = url.parse().map_err(|e| format!("{URL_VAR}: {e}"))?;
    let host = match admin.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = admin.get_ports().first().copied().unwrap_or(5432);
    let dbname = admin.get_dbname().unwrap_or("postgres").to_owned();
    let shared = Server {
        admin,
        host,
        port,
        dbname,
        tls: None,
    };
    // Does it check passwords on TCP?
    let probe = unique("probe");
    {
        let mut roles = Roles {
            server: &shared,
            names: vec![],
        };
        shared.role(&mut roles, &probe, "the-right-one", "");
        if !shared.logs_in(&probe, "a-wrong-one") {
            let _ = writeln!(
                std::io::stderr(),
                "postgres rotator tests: the server at {URL_VAR} checks passwords: using it"
            );
            drop(roles);
            return Ok(shared);
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "postgres rotator tests: the server at {URL_VAR} lets a wrong password in (pg_hba trust): \
         starting a private PostgreSQL cluster that checks passwords"
    );
    start_private_cluster()
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// initdb refuses to run as root: then everything runs as the `postgres` system user.
fn as_postgres_user(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start_private_cluster() -> Result<Server, String> {
    let why = |e: String| {
        format!(
            "the server at {URL_VAR} accepts any password and no private cluster could be started ({e})"
        )
    };
    let bindir = PathBuf::from(run(Command::new("pg_config").arg("--bindir")).map_err(why)?);
    let root = run(Command::new("id").arg("-u")).map_err(why)? == "0";
    let dir = std::env::temp_dir().join(format!(
        "iamd-rotators-pg-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    ));
    std::fs::create_dir(&dir).map_err(|e| why(e.to_string()))?;
    for f in ["server.pem", "server.key", "ca.pem"] {
        std::fs::copy(Path::new(TLS_DIR).join(f), dir.join(f)).map_err(|e| why(e.to_string()))?;
    }
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(
            dir.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .map_err(|e| why(e.to_string()))?;
    }
    if root {
        let uid: u32 = run(Command::new("id").args(["-u", "postgres"]))
            .map_err(why)?
            .parse()
            .map_err(|_| why("uid of postgres".into()))?;
        let gid: u32 = run(Command::new("id").args(["-g", "postgres"]))
            .map_err(why)?
            .parse()
            .map_err(|_| why("gid of postgres".into()))?;
        for p in [
            dir.clone(),
            dir.join("server.pem"),
            dir.join("server.key"),
            dir.join("ca.pem"),
        ] {
            std::os::unix::fs::chown(&p, Some(uid), Some(gid)).map_err(|e| why(e.to_string()))?;
        }
    }
    let data = dir.join("data");
    run(as_postgres_user(root, &bindir.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]))
    .map_err(why)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| why(e.to_string()))?
        .port();
    let conf = format!(
        "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{d}'\n\
         ssl = on\nssl_cert_file = '{d}/server.pem'\nssl_key_file = '{d}/server.key'\n\
         fsync = off\nmax_connections = 50\npassword_encryption = 'scram-sha-256'\n",
        d = dir.display()
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .and_then(|mut f| f.write_all(conf.as_bytes()))
        .map_err(|e| why(e.to_string()))?;
    // The watchdog: stop the cluster and remove it once this test process is gone.
    let script = r#""$PGBIN/postgres" -D "$DIR/data" >"$DIR/log" 2>&1 &
pg=$!
while [ -d "/proc/$TESTPID" ] && kill -0 "$pg" 2>/dev/null; do sleep 1; done
kill -INT "$pg" 2>/dev/null; wait "$pg"; rm -rf "$DIR""#;
    as_postgres_user(root, Path::new("/bin/sh"))
        .args(["-c", script])
        .env("PGBIN", &bindir)
        .env("DIR", &dir)
        .env("TESTPID", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| why(e.to_string()))?;
    let mut admin = postgres::Config::new();
    admin
        .host_path(&dir)
        .port(port)
        .user("postgres")
        .dbname("postgres");
    let deadline = Instant::now() + Duration::from_secs(60);
    while admin.connect(NoTls).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(why(format!("the private cluster did not start: {log}")));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let server = Server {
        admin,
        host: "127.0.0.1".to_owned(),
        port,
        dbname: "postgres".to_owned(),
        tls: Some(("localhost".to_owned(), Path::new(TLS_DIR).join("ca.pem"))),
    };
    // The point of it all: a wrong password must be refused.
    let mut roles = Roles {
        server: &server,
        names: vec![],
    };
    let probe = unique("probe");
    server.role(&mut roles, &probe, "the-right-one", "");
    if server.logs_in(&probe, "a-wrong-one") || !server.logs_in(&probe, "the-right-one") {
        return Err(why("the private cluster does not check passwords".into()));
    }
    drop(roles);
    Ok(server)
}

/// The engine's side of a rotation, faked: the secret's ARN, token and tags, the passwords
/// GetRandomPassword would give, and the other secrets the configuring principal may read.
struct FakeHost {
    arn: String,
    token: String,
    tags: Vec<(String, String)>,
    passwords: Mutex<VecDeque<String>>,
    others: HashMap<String, String>,
    reads: Mutex<Vec<String>>,
}

impl FakeHost {
    fn new(passwords: &[&str]) -> Self {
        Self {
            arn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:app-AbCdEf".to_owned(),
            token: "3b2f0a47-5d6e-4b8f-9a1c-0d2e3f405162".to_owned(),
            tags: vec![],
            passwords: Mutex::new(passwords.iter().map(|p| (*p).to_owned()).collect()),
            others: HashMap::new(),
            reads: Mutex::new(vec![]),
        }
    }

    fn with_other(mut self, arn: &str, value: &Value) -> Self {
        self.others.insert(arn.to_owned(), value.to_string());
        self
    }
}

impl RotationHost for FakeHost {
    fn secret_arn(&self) -> &str {
        &self.arn
    }
    fn token(&self) -> &str {
        &self.token
    }
    fn tags(&self) -> &[(String, String)] {
        &self.tags
    }
    fn other_secret_value(&self, secret_id: &str) -> Result<Zeroizing<String>, RotationError> {
        self.reads.lock().unwrap().push(secret_id.to_owned());
        self.others
            .get(secret_id)
            .map(|v| Zeroizing::new(v.clone()))
            .ok_or_else(|| {
                RotationError::new(format!(
                    "User is not authorized to perform secretsmanager:GetSecretValue on {secret_id}"
                ))
            })
    }
    fn random_password(&self, params: &PasswordParams) -> Result<Zeroizing<String>, RotationError> {
        assert_eq!(params.length, 32, "the templates' default length");
        let p = self.passwords.lock().unwrap().pop_front();
        Ok(Zeroizing::new(p.unwrap_or_else(|| {
            format!("Fresh-{}-{}", std::process::id(), unique("pw"))
        })))
    }
}

/// What the engine does around a rotator: createSecret, then setSecret and testSecret with the
/// value createSecret gave; the new value, or the first failing step and its error.
fn rotate(
    rotator: &dyn Rotator,
    host: &FakeHost,
    current: &Value,
    previous: Option<&Value>,
) -> Result<Value, (&'static str, String)> {
    let current_s = current.to_string();
    let previous_s = previous.map(Value::to_string);
    let values = Values {
        current: &current_s,
        previous: previous_s.as_deref(),
        pending: None,
    };
    let pending = rotator
        .create_secret(host, &values)
        .map_err(|e| ("createSecret", e.message))?;
    let values = Values {
        pending: Some(&pending),
        ..values
    };
    rotator
        .set_secret(host, &values)
        .map_err(|e| ("setSecret", e.message))?;
    rotator
        .test_secret(host, &values)
        .map_err(|e| ("testSecret", e.message))?;
    Ok(serde_json::from_str(&pending).unwrap())
}

/// Options that allow the test databases (loopback).
fn options() -> PostgresOptions {
    PostgresOptions {
        allow_loopback: true,
        ..PostgresOptions::default()
    }
}

fn single() -> PostgresSingleUser {
    PostgresSingleUser::new(options())
}

fn alternating() -> PostgresAlternatingUsers {
    PostgresAlternatingUsers::new(options())
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap()
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn single_user_rotation_sets_the_new_password_and_the_old_one_stops_working() {
    let Some(db) = server("single_user_rotation") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let user = unique("single");
    db.role(&mut roles, &user, "Initial-Pass-1", "");
    let mut current = db.secret(&user, "Initial-Pass-1");
    current["note"] = json!("kept");
    let host = FakeHost::new(&["New-Pass-2-abcdefghijklmnopqrstu"]);

    let new = rotate(&single(), &host, &current, None).unwrap();
    assert_eq!(s(&new, "username"), user);
    assert_eq!(s(&new, "password"), "New-Pass-2-abcdefghijklmnopqrstu");
    assert_eq!(new["note"], "kept", "createSecret copies the current JSON");
    assert_eq!(new["port"], current["port"]);
    assert!(db.logs_in(&user, "New-Pass-2-abcdefghijklmnopqrstu"));
    assert!(
        !db.logs_in(&user, "Initial-Pass-1"),
        "the old password must stop working"
    );

    // A retried setSecret (the engine failed after it): the pending value already logs in.
    let (cur_s, new_s) = (current.to_string(), new.to_string());
    let values = Values {
        current: &cur_s,
        previous: None,
        pending: Some(&new_s),
    };
    single().set_secret(&host, &values).unwrap();
    single().test_secret(&host, &values).unwrap();
    assert!(db.logs_in(&user, "New-Pass-2-abcdefghijklmnopqrstu"));

    // And the next rotation starts from the new value.
    let third = rotate(&single(), &host, &new, Some(&current)).unwrap();
    assert!(db.logs_in(&user, s(&third, "password")));
    assert!(!db.logs_in(&user, "New-Pass-2-abcdefghijklmnopqrstu"));
}

#[test]
fn passwords_and_user_names_with_quotes_and_backslashes_are_set_exactly() {
    let Some(db) = server("quotes_and_backslashes") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let user = format!("{} Q\"u'o\\te", unique("Quoted"));
    db.role(&mut roles, &user, "plain-old", "");
    let current = db.secret(&user, "plain-old");
    let nasty = r#"it's a "quoted" \ back\\slash\' '' $$ E'x' ; DROP ROLE x; --"#;
    let host = FakeHost::new(&[nasty]);
    let new = rotate(&single(), &host, &current, None).unwrap();
    assert_eq!(s(&new, "password"), nasty);
    assert!(
        db.logs_in(&user, nasty),
        "the exact password, quotes and backslashes included"
    );
    assert!(!db.logs_in(&user, "plain-old"));
    // Neither a lookalike: backslashes were not eaten, quotes not doubled.
    assert!(!db.logs_in(&user, &nasty.replace("\\\\", "\\")));
    assert!(!db.logs_in(&user, &nasty.replace('\'', "''")));
}

#[test]
fn a_wrong_current_password_fails_set_secret_with_the_templates_message_and_changes_nothing() {
    let Some(db) = server("wrong_current_password") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let user = unique("behind");
    db.role(&mut roles, &user, "In-The-Secret", "");
    let current = db.secret(&user, "In-The-Secret");
    // Changed behind iamd's back.
    db.set_password(&user, "Changed-Behind-The-Back");
    let host = FakeHost::new(&["Would-Be-New-1"]);
    let err = rotate(&single(), &host, &current, None).unwrap_err();
    assert_eq!(
        err,
        (
            "setSecret",
            format!(
                "Unable to log into database with previous, current, or pending secret of secret arn {}",
                host.arn
            )
        )
    );
    assert!(
        db.logs_in(&user, "Changed-Behind-The-Back"),
        "the database is untouched"
    );
    assert!(!db.logs_in(&user, "Would-Be-New-1"));
    assert!(!err.1.contains("In-The-Secret") && !err.1.contains("Would-Be-New-1"));

    // testSecret on its own says the template's words too.
    let pending = db.secret(&user, "Would-Be-New-1").to_string();
    let cur_s = current.to_string();
    let values = Values {
        current: &cur_s,
        previous: None,
        pending: Some(&pending),
    };
    assert_eq!(
        single().test_secret(&host, &values).unwrap_err().message,
        format!(
            "Unable to log into database with pending secret of secret ARN {}",
            host.arn
        )
    );
}

#[test]
fn the_previous_password_is_used_when_the_current_one_fails() {
    let Some(db) = server("previous_password") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let user = unique("prev");
    db.role(&mut roles, &user, "Still-Previous", "");
    // AWSCURRENT was changed in the secret, but never made it to the database.
    let previous = db.secret(&user, "Still-Previous");
    let current = db.secret(&user, "Never-Set");
    let host = FakeHost::new(&["After-Rescue-1"]);
    rotate(&single(), &host, &current, Some(&previous)).unwrap();
    assert!(db.logs_in(&user, "After-Rescue-1"));
    assert!(!db.logs_in(&user, "Still-Previous"));
}

#[test]
fn a_previous_version_of_another_user_is_never_used() {
    let Some(db) = server("previous_of_another_user") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let user = unique("prevguard");
    let other = unique("prevother");
    db.role(&mut roles, &user, "Real-Pass", "");
    db.role(&mut roles, &other, "Other-Real-Pass", "");
    // The current password does not work; the previous version names another user whose
    // password does: the template refuses to act with it.
    let current = db.secret(&user, "Not-Working");
    let previous = db.secret(&other, "Other-Real-Pass");
    let host = FakeHost::new(&["Would-Be-1"]);
    let err = rotate(&single(), &host, &current, Some(&previous)).unwrap_err();
    assert_eq!(
        err,
        (
            "setSecret",
            format!("Attempting to modify user {user} other than previous valid user {other}")
        )
    );
    assert!(db.logs_in(&user, "Real-Pass"));
    assert!(db.logs_in(&other, "Other-Real-Pass"));
}

#[test]
fn user_and_host_changes_are_refused_as_the_template_refuses_them() {
    let Some(db) = server("user_and_host_changes") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let user = unique("guard");
    let other = unique("other");
    db.role(&mut roles, &user, "Guard-Pass", "");
    db.role(&mut roles, &other, "Other-Pass", "");
    let current = db.secret(&user, "Guard-Pass").to_string();
    let host = FakeHost::new(&[]);

    let pending = db.secret(&other, "Hijack-1").to_string();
    let values = Values {
        current: &current,
        previous: None,
        pending: Some(&pending),
    };
    assert_eq!(
        single().set_secret(&host, &values).unwrap_err().message,
        format!("Attempting to modify user {other} other than current user {user}")
    );
    let mut elsewhere = db.secret(&user, "Hijack-2");
    elsewhere["host"] = json!("localhost");
    let pending = elsewhere.to_string();
    let values = Values {
        current: &current,
        previous: None,
        pending: Some(&pending),
    };
    assert_eq!(
        single().set_secret(&host, &values).unwrap_err().message,
        format!(
            "Attempting to modify user for host localhost other than current host {}",
            db.host
        )
    );
    assert!(db.logs_in(&user, "Guard-Pass"));
    assert!(db.logs_in(&other, "Other-Pass"));
}

#[test]
fn an_unreachable_host_fails_each_step_with_the_templates_messages() {
    // No database needed: nothing listens on the port.
    let port = closed_port();
    let current = json!({"engine": "postgres", "host": "127.0.0.1", "port": port,
        "username": "nobody", "password": "Old-1", "ssl": false});
    let host = FakeHost::new(&["New-1"]);
    let started = Instant::now();
    let err = rotate(&single(), &host, &current, None).unwrap_err();
    assert_eq!(
        err,
        (
            "setSecret",
            format!(
                "Unable to log into database with previous, current, or pending secret of secret arn {}",
                host.arn
            )
        )
    );
    let mut with_master = current.clone();
    with_master["masterarn"] = json!("arn:aws:secretsmanager:us-east-1:111122223333:secret:m-1");
    let err = rotate(&alternating(), &host, &with_master, None).unwrap_err();
    assert_eq!(
        err,
        (
            "setSecret",
            format!(
                "Unable to log into database using current credentials for secret {}",
                host.arn
            )
        )
    );
    assert!(
        host.reads.lock().unwrap().is_empty(),
        "the master secret is never read"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// A database that takes the connection and hangs up: the template's message, at once. (Tests
/// talk to 127.0.0.1 only, so an unrouted host's 5-second connect timeout is not exercised here.)
#[test]
fn a_host_that_hangs_up_fails_the_login_with_the_templates_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let closer = std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            drop(stream);
        }
    });
    let current = json!({"engine": "postgres", "host": "127.0.0.1", "port": port,
        "username": "nobody", "password": "Old-1", "ssl": false});
    let host = FakeHost::new(&[]);
    let pending = current.to_string();
    let values = Values {
        current: &pending,
        previous: None,
        pending: Some(&pending),
    };
    let started = Instant::now();
    let err = single().test_secret(&host, &values).unwrap_err();
    assert!(
        err.message
            .starts_with("Unable to log into database with pending secret")
    );
    assert!(!err.message.contains("Old-1"));
    assert!(started.elapsed() < Duration::from_secs(12));
    drop(closer);
}

#[test]
fn without_an_ssl_key_tls_is_tried_first_then_plain() {
    let Some(db) = server("ssl_fallback") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let user = unique("fallback");
    db.role(&mut roles, &user, "Fallback-Old", "");
    let mut current = db.secret(&user, "Fallback-Old");
    // No `ssl`: TLS with verify-full against 127.0.0.1 cannot succeed here (no certificate
    // for that name from a system CA), so the rotator falls back to no TLS, as the template.
    current.as_object_mut().unwrap().remove("ssl");
    let host = FakeHost::new(&["Fallback-New-1"]);
    rotate(&single(), &host, &current, None).unwrap();
    assert!(db.logs_in(&user, "Fallback-New-1"));

    // `ssl: true` never falls back: the same login fails and nothing changes.
    let mut strict = db.secret(&user, "Fallback-New-1");
    strict["ssl"] = json!("TRUE");
    let err = rotate(
        &single(),
        &FakeHost::new(&["Fallback-New-2"]),
        &strict,
        None,
    )
    .unwrap_err();
    assert_eq!(err.0, "setSecret");
    assert!(db.logs_in(&user, "Fallback-New-1"));
    assert!(!db.logs_in(&user, "Fallback-New-2"));
}

#[test]
fn ssl_true_verifies_the_servers_certificate_and_host_name() {
    let Some(db) = server("ssl_verify_full") else {
        return;
    };
    let Some((tls_host, ca)) = &db.tls else {
        skip(
            "ssl_verify_full",
            "the password-checking server is not the private cluster: its TLS setup is unknown",
        );
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let user = unique("tls");
    db.role(&mut roles, &user, "Tls-Old", "");
    let trusting = PostgresSingleUser::new(PostgresOptions {
        root_cert: Some(ca.clone()),
        allow_loopback: true,
        ..PostgresOptions::default()
    });
    let mut current = db.secret(&user, "Tls-Old");
    current["ssl"] = json!(true);
    current["host"] = json!(tls_host);
    rotate(&trusting, &FakeHost::new(&["Tls-New-1"]), &current, None).unwrap();
    assert!(db.logs_in(&user, "Tls-New-1"));

    // The certificate is valid for `localhost`, not for 127.0.0.1: verify-full refuses.
    let mut by_ip = db.secret(&user, "Tls-New-1");
    by_ip["ssl"] = json!(true);
    let err = rotate(&trusting, &FakeHost::new(&["Tls-New-2"]), &by_ip, None).unwrap_err();
    assert_eq!(err.0, "setSecret");
    // A CA that did not sign it: refused as well.
    let untrusting = PostgresSingleUser::new(PostgresOptions {
        root_cert: Some(Path::new(TLS_DIR).join("other-ca.pem")),
        allow_loopback: true,
        ..PostgresOptions::default()
    });
    let mut by_name = db.secret(&user, "Tls-New-1");
    by_name["ssl"] = json!(true);
    by_name["host"] = json!(tls_host);
    let err = rotate(&untrusting, &FakeHost::new(&["Tls-New-3"]), &by_name, None).unwrap_err();
    assert_eq!(err.0, "setSecret");
    assert!(
        db.logs_in(&user, "Tls-New-1"),
        "nothing changed by the refused attempts"
    );
}

/// An application login and a master that may create roles, for alternating users.
fn alternating_setup(db: &Server, roles: &mut Roles<'_>, tag: &str) -> (String, Value, FakeHost) {
    let master = unique(&format!("{tag}_master"));
    let app = unique(&format!("{tag}_app"));
    db.role(roles, &master, "Master-Pass", "CREATEROLE");
    db.role(roles, &app, "App-Old", "");
    // The clone goes first when roles are dropped in reverse (it is a member of the app role).
    roles.names.push(format!("{app}_clone"));
    let master_arn =
        format!("arn:aws:secretsmanager:us-east-1:111122223333:secret:{master}-AbCdEf");
    let mut current = db.secret(&app, "App-Old");
    current["masterarn"] = json!(master_arn);
    let host = FakeHost::new(&["Clone-Pass-1", "App-Pass-2", "Clone-Pass-3"])
        .with_other(&master_arn, &db.secret(&master, "Master-Pass"));
    (app, current, host)
}

#[test]
fn alternating_users_creates_the_clone_then_alternates_back() {
    let Some(db) = server("alternating_users") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let (app, current, host) = alternating_setup(db, &mut roles, "alt");
    let clone = format!("{app}_clone");

    // First rotation: app_clone is created with the grants of app; app keeps working.
    let first = rotate(&alternating(), &host, &current, None).unwrap();
    assert_eq!(s(&first, "username"), clone);
    assert_eq!(s(&first, "password"), "Clone-Pass-1");
    assert_eq!(first["masterarn"], current["masterarn"]);
    assert!(db.logs_in(&clone, "Clone-Pass-1"));
    assert!(
        db.logs_in(&app, "App-Old"),
        "the other user keeps its password"
    );
    let member: bool = db
        .admin()
        .query_one("SELECT pg_has_role($1, $2, 'MEMBER')", &[&clone, &app])
        .unwrap()
        .get(0);
    assert!(member, "GRANT <current> TO <pending>");
    assert_eq!(
        *host.reads.lock().unwrap(),
        vec![s(&current, "masterarn").to_owned()]
    );

    // A retried setSecret: the clone already logs in, nothing to do.
    let (cur_s, first_s) = (current.to_string(), first.to_string());
    let values = Values {
        current: &cur_s,
        previous: None,
        pending: Some(&first_s),
    };
    // (Without reading the master: the pending login is tried first, as the template does.)
    alternating()
        .set_secret(&FakeHost::new(&[]), &values)
        .unwrap();

    // Second rotation: back to app, whose password is altered; the clone still works.
    let second = rotate(&alternating(), &host, &first, Some(&current)).unwrap();
    assert_eq!(s(&second, "username"), app);
    assert_eq!(s(&second, "password"), "App-Pass-2");
    assert!(db.logs_in(&app, "App-Pass-2"));
    assert!(!db.logs_in(&app, "App-Old"));
    assert!(db.logs_in(&clone, "Clone-Pass-1"));

    // Third: the existing clone gets a new password (ALTER, not CREATE).
    let third = rotate(&alternating(), &host, &second, Some(&first)).unwrap();
    assert_eq!(s(&third, "username"), clone);
    assert!(db.logs_in(&clone, "Clone-Pass-3"));
    assert!(!db.logs_in(&clone, "Clone-Pass-1"));
    assert!(db.logs_in(&app, "App-Pass-2"));
}

#[test]
fn alternating_users_needs_a_working_current_login_before_it_reads_the_master() {
    let Some(db) = server("alternating_confused_deputy") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let (app, mut current, host) = alternating_setup(db, &mut roles, "deputy");
    current["password"] = json!("Not-The-Password");
    let err = rotate(&alternating(), &host, &current, None).unwrap_err();
    assert_eq!(
        err,
        (
            "setSecret",
            format!(
                "Unable to log into database using current credentials for secret {}",
                host.arn
            )
        )
    );
    assert!(
        host.reads.lock().unwrap().is_empty(),
        "the master secret is never read"
    );
    assert!(!db.role_exists(&format!("{app}_clone")));
    assert!(db.logs_in(&app, "App-Old"));
}

#[test]
fn alternating_users_master_that_cannot_log_in_changes_nothing() {
    let Some(db) = server("alternating_master_fails") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let (app, current, _) = alternating_setup(db, &mut roles, "nomaster");
    let master_arn = s(&current, "masterarn").to_owned();
    let host =
        FakeHost::new(&[]).with_other(&master_arn, &db.secret("postgres", "Wrong-Master-Pw"));
    // The private cluster's `postgres` has no password: any TCP login as it fails; on a shared
    // server that checks passwords, a wrong one fails as well.
    let err = rotate(&alternating(), &host, &current, None).unwrap_err();
    assert_eq!(
        err,
        (
            "setSecret",
            format!("Unable to log into database using credentials in master secret {master_arn}")
        )
    );
    assert!(!db.role_exists(&format!("{app}_clone")));
    assert!(db.logs_in(&app, "App-Old"));

    // A master secret the configuring principal may not read: its refusal, nothing changed.
    let host = FakeHost::new(&[]);
    let err = rotate(&alternating(), &host, &current, None).unwrap_err();
    assert_eq!(err.0, "setSecret");
    assert!(err.1.contains("not authorized"), "{}", err.1);
    assert!(!db.role_exists(&format!("{app}_clone")));

    // A master on another host: refused before any login as the master.
    let mut elsewhere = db.secret("postgres", "x");
    elsewhere["host"] = json!("db.elsewhere.example");
    let host = FakeHost::new(&[]).with_other(&master_arn, &elsewhere);
    let err = rotate(&alternating(), &host, &current, None).unwrap_err();
    assert_eq!(
        err.1,
        format!(
            "Current database host {} is not the same host as/rds replica of master db.elsewhere.example",
            db.host
        )
    );

    // No masterarn in the secret.
    let mut bare = current.clone();
    bare.as_object_mut().unwrap().remove("masterarn");
    let err = rotate(&alternating(), &FakeHost::new(&[]), &bare, None).unwrap_err();
    assert_eq!(err.1, "masterarn key is missing from secret JSON");
    assert!(db.logs_in(&app, "App-Old"));
}

#[test]
fn alternating_users_refuses_a_pending_user_that_is_not_the_clone() {
    let Some(db) = server("alternating_wrong_user") else {
        return;
    };
    let mut roles = Roles {
        server: db,
        names: vec![],
    };
    let (app, current, host) = alternating_setup(db, &mut roles, "wronguser");
    let mut pending = current.clone();
    pending["username"] = json!("postgres");
    pending["password"] = json!("Take-Over-1");
    let (cur_s, pen_s) = (current.to_string(), pending.to_string());
    let values = Values {
        current: &cur_s,
        previous: None,
        pending: Some(&pen_s),
    };
    assert_eq!(
        alternating()
            .set_secret(&host, &values)
            .unwrap_err()
            .message,
        format!("Attempting to modify user postgres other than current user or clone {app}")
    );
    assert!(host.reads.lock().unwrap().is_empty());
}

#[test]
fn create_secret_validates_as_the_templates_do() {
    // No database: createSecret only reads the current value.
    let host = FakeHost::new(&[]);
    let values = |v: &str| Values {
        current: Box::leak(v.to_owned().into_boxed_str()),
        previous: None,
        pending: None,
    };
    let err = |r: &dyn Rotator, v: &str| r.create_secret(&host, &values(v)).err().unwrap().message;
    assert_eq!(
        err(
            &single(),
            r#"{"host":"h","username":"u","password":"p","engine":"mysql"}"#
        ),
        "Database engine must be set to 'postgres' in order to use this rotation lambda"
    );
    assert_eq!(
        err(
            &alternating(),
            r#"{"username":"u","password":"p","engine":"postgres"}"#
        ),
        "host key is missing from secret JSON"
    );
    let long = format!(
        r#"{{"host":"h","username":"{}","password":"p","engine":"postgres"}}"#,
        "u".repeat(58)
    );
    assert_eq!(
        err(&alternating(), &long),
        "Unable to clone user, username length with _clone appended would exceed 63 characters"
    );
    assert_eq!(single().name(), "postgresql-single-user");
    assert_eq!(alternating().name(), "postgresql-alternating-users");
}

/// The caller of RotateSecret chooses the host in the secret: a rotator connects only to the
/// databases the operator allowed (`--rotation-postgres-allow`; loopback in `--dev`), and says
/// so before any connection. A listener on 127.0.0.1 proves no connection is made. Needs no
/// PostgreSQL.
#[test]
fn a_database_not_on_the_allow_list_is_refused_before_any_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let secret = json!({
        "engine": "postgres", "host": "127.0.0.1", "port": port,
        "username": "app", "password": "Old-Pass", "dbname": "postgres", "ssl": false,
    });
    let socket = json!({
        "engine": "postgres", "host": "/var/run/postgresql", "username": "postgres",
        "password": "x", "ssl": false,
    });
    let production = PostgresOptions {
        allowed_hosts: vec!["db.internal:5432".to_owned()],
        ..PostgresOptions::default()
    };
    for rotator in [
        Box::new(PostgresSingleUser::new(production.clone())) as Box<dyn Rotator>,
        Box::new(PostgresAlternatingUsers::new(production.clone())),
    ] {
        for current in [&secret, &socket] {
            let err = rotate(
                rotator.as_ref(),
                &FakeHost::new(&["New-Pass-1"]),
                current,
                None,
            )
            .unwrap_err();
            assert_eq!(err.0, "setSecret");
            assert!(
                err.1.contains("is not on this server's allow list"),
                "{}",
                err.1
            );
            assert!(!err.1.contains("Old-Pass") && !err.1.contains("New-Pass-1"));
        }
    }
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "a refused rotation connected anyway"
    );
    // What the list allows.
    assert!(production.allows("db.internal", 5432));
    assert!(production.allows("DB.Internal", 5432));
    assert!(!production.allows("db.internal", 5433));
    assert!(!production.allows("127.0.0.1", 5432));
    let any_port = PostgresOptions {
        allowed_hosts: vec!["db.internal".to_owned(), "[fd00::1]:5432".to_owned()],
        ..PostgresOptions::default()
    };
    assert!(any_port.allows("db.internal", 6543));
    assert!(any_port.allows("fd00::1", 5432));
    assert!(!any_port.allows("fd00::1", 5433));
    assert!(!any_port.allows("/var/run/postgresql", 5432));
    let dev = PostgresOptions {
        allow_loopback: true,
        ..PostgresOptions::default()
    };
    assert!(dev.allows("localhost", 1) && dev.allows("::1", 1) && !dev.allows("10.0.0.1", 5432));
}
