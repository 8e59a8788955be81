//! `iamd serve`.

use clap::{Args, ValueEnum};
use iamd_crypto::MasterKey;
use iamd_server::{
    AppState, conn, origin::TrustedProxies, router, serve_metrics, tls::ReloadingCert,
};
use iamd_service::clock::SystemClock;
use iamd_service::{BootstrapCredentials, Iamd, Options};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `--audit on|off`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditSwitch {
    On,
    Off,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "IAMD_LISTEN", default_value = "127.0.0.1:4566")]
    listen: SocketAddr,
    /// Directory for the database, the master key and the bootstrap credentials.
    #[arg(long, env = "IAMD_DATA_DIR", default_value = "./iamd-data")]
    data_dir: PathBuf,
    /// Development mode: access key `test` / secret `test` is the root of account 000000000000,
    /// any 12-digit access key id with secret `test` the root of that account; POST /_iamd/reset
    /// wipes all state. Never use it for anything that matters.
    #[arg(long, env = "IAMD_DEV", default_value_t = false)]
    dev: bool,
    /// Store URL: `sqlite:PATH` (default: `<data-dir>/iamd.db`) or
    /// `postgres://user[:password]@host:port/db` for several nodes over one database.
    #[arg(long, env = "IAMD_STORE")]
    store: Option<String>,
    /// Log format, on standard error: `text` (coloured only when standard error is a terminal and
    /// NO_COLOR is unset) or `json` (one object per line; fields in the README). Levels and
    /// targets: `IAMD_LOG` (e.g. `info`, `debug` for a line per request).
    #[arg(long, env = "IAMD_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Serve Prometheus metrics at `http://ADDR/metrics` on a listener of their own (e.g.
    /// `127.0.0.1:9464`). Off by default: nothing about the server is published unless asked.
    #[arg(long, env = "IAMD_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Management account id to create on first start (12 digits; random if omitted).
    #[arg(long, env = "IAMD_ACCOUNT_ID")]
    account_id: Option<String>,
    /// Id of the key that seals new session tokens (1–255). Rotate by moving every node to the
    /// next id: tokens sealed under the previous id stay valid until they expire, older ids are
    /// refused. Each id's key is derived from the master key.
    #[arg(long, env = "IAMD_SESSION_KEY_ID", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..))]
    session_key_id: u8,
    /// File holding the 32-byte master key (raw or 64 hex digits). Default:
    /// `<data-dir>/master.key`, generated on first start.
    #[arg(long, env = "IAMD_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// How often the rotation scheduler looks for secrets whose rotation window has started
    /// (or whose failed rotation is due for a retry). RotateSecret's own rotation starts at
    /// once, whatever this is.
    #[arg(long, env = "IAMD_ROTATION_CHECK_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    rotation_check_interval: Duration,
    /// Audit events (CloudTrail's record format) for every authenticated request: `on` (the
    /// default) or `off` (for benchmark comparisons; nothing is recorded).
    #[arg(long, env = "IAMD_AUDIT", value_enum, default_value = "on")]
    audit: AuditSwitch,
    /// Days audit events are kept; older ones are pruned in the background.
    #[arg(long, env = "IAMD_AUDIT_RETENTION_DAYS", default_value_t = iamd_audit::DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..))]
    audit_retention_days: u32,
    #[command(flatten)]
    edge: EdgeArgs,
    #[command(flatten)]
    rotation_webhook: crate::rotation_webhook::WebhookArgs,
    #[command(flatten)]
    rotation_postgres: crate::rotators::PostgresArgs,
}

/// The network edge: TLS, connection limits and timeouts, trusted proxies.
#[derive(Args, Debug)]
pub struct EdgeArgs {
    /// PEM certificate chain (leaf first): serve HTTPS (TLS 1.2 and 1.3) instead of HTTP.
    /// Reloaded on SIGHUP and when the file changes.
    #[arg(long, env = "IAMD_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert` (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "IAMD_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Most open client connections. Past it, a new connection replaces the one that has waited
    /// longest without sending a complete request (or sat idle longest); when every connection
    /// has a request in progress, new ones get 503.
    #[arg(long, env = "IAMD_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Time a connection has to send a complete request head (from accept, TLS handshake
    /// included, or from its first byte on a kept-alive connection). `10s`, `500ms`, `2m`.
    #[arg(long, env = "IAMD_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// Time a request has to send its whole body once its head is in.
    #[arg(long, env = "IAMD_BODY_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    body_timeout: Duration,
    /// Time a kept-alive connection may sit between requests before it is closed.
    #[arg(long, env = "IAMD_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// A proxy (CIDR or address; repeatable, or comma-separated in the environment) whose
    /// `X-Forwarded-For` and `X-Forwarded-Proto` set `aws:SourceIp` and `aws:SecureTransport`.
    /// From any other peer those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "IAMD_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<String>,
}

/// `10s`, `500ms`, `2m`, `1.5` (seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 10s, 500ms, 2m)"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s or m")),
    };
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 86_400.0 {
        return Err(format!("`{text}`: must be more than 0 and at most a day"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Whether text logs get ANSI colours: only on a terminal, and never with `NO_COLOR` set
/// (<https://no-color.org>).
fn colour_logs(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("IAMD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(colour_logs(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR"),
            ))
            .init(),
        // One flat object per line: timestamp, level, message and the event's own fields.
        LogFormat::Json => builder
            .with_ansi(false)
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}

pub fn run(args: ServeArgs) -> ExitCode {
    init_logging(args.log_format);
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => match rt.block_on(serve(args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn parse_master_key(bytes: &[u8]) -> Result<MasterKey, String> {
    let trimmed = std::str::from_utf8(bytes).map(str::trim).unwrap_or("");
    if trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut raw = [0u8; 32];
        for (byte, chunk) in raw.iter_mut().zip(trimmed.as_bytes().chunks(2)) {
            let s = std::str::from_utf8(chunk).map_err(|e| e.to_string())?;
            *byte = u8::from_str_radix(s, 16).map_err(|e| e.to_string())?;
        }
        let k = MasterKey::from_bytes(&raw).map_err(|e| e.to_string());
        zeroize::Zeroize::zeroize(&mut raw);
        return k;
    }
    MasterKey::from_bytes(bytes)
        .map_err(|_| "the master key file must hold 32 raw bytes or 64 hex digits".to_owned())
}

fn load_master_key(args: &ServeArgs) -> Result<MasterKey, String> {
    if let Some(path) = &args.master_key_file {
        let bytes = zeroize::Zeroizing::new(
            std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?,
        );
        return parse_master_key(&bytes).map_err(|e| format!("{}: {e}", path.display()));
    }
    let path = args.data_dir.join("master.key");
    match std::fs::read(&path) {
        Ok(bytes) => {
            let bytes = zeroize::Zeroizing::new(bytes);
            parse_master_key(&bytes).map_err(|e| format!("{}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate().map_err(|e| e.to_string())?;
            write_private(&path, key.as_bytes())
                .map_err(|e| format!("writing {}: {e}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                fingerprint = %key.fingerprint(),
                "generated a new master key: it encrypts every stored secret; BACK IT UP — without it the data cannot be read"
            );
            Ok(key)
        }
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

pub(crate) fn write_bootstrap(
    data_dir: &Path,
    creds: &BootstrapCredentials,
) -> Result<PathBuf, String> {
    let path = data_dir.join("bootstrap-credentials.json");
    let body = zeroize::Zeroizing::new(
        serde_json::to_vec_pretty(creds).map_err(|e| format!("encoding credentials: {e}"))?,
    );
    write_private(&path, &body).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    // Checked first, so a bad flag stops the server before anything is opened.
    let rotators =
        crate::rotators::rotators(&args.rotation_webhook, &args.rotation_postgres, args.dev)?;
    crate::datadir::prepare(&args.data_dir)?;
    let master = load_master_key(&args)?;
    let store_url = args
        .store
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", args.data_dir.join("iamd.db").display()));
    let store: Arc<dyn iamd_store::Store> =
        Arc::from(iamd_store::open_url(&store_url).map_err(|e| {
            format!(
                "opening store {}: {e}",
                iamd_store::redacted_url(&store_url)
            )
        })?);
    crate::datadir::check_files(&args.data_dir);
    crate::first_start::check_mode(
        &*store,
        args.dev,
        iamd_service::clock::Clock::now_unix(&SystemClock),
        &crate::first_start::place(&args.data_dir, args.store.as_deref()),
    )?;
    let core = Arc::new(
        Iamd::open(
            store.clone(),
            &master,
            Arc::new(SystemClock),
            Options {
                dev: args.dev,
                session_key_id: args.session_key_id,
            },
        )
        .map_err(|e| format!("loading state: {e}"))?
        // LookupEvents reads the audit log recorded into the same store (on every node).
        .with_event_query(Arc::new(crate::audit_query::StoreEvents(store.clone()))),
    );
    if args.dev {
        tracing::warn!(
            "DEV MODE IS ON: access key `test` / secret `test` is the root of account 000000000000 and any 12-digit key id with secret `test` is the root of that account; POST /_iamd/reset wipes everything. Do not use dev mode for anything that matters."
        );
    }
    crate::first_start::bootstrap(
        &core,
        &*store,
        &args.data_dir,
        args.account_id.as_deref(),
        args.dev,
    )?;
    let trusted = TrustedProxies::parse(&args.edge.trusted_proxies)?;
    let tls = match (&args.edge.tls_cert, &args.edge.tls_key) {
        (Some(cert), Some(key)) => Some(ReloadingCert::open(cert, key)?),
        _ => None,
    };
    let tls_config = tls.as_ref().map(|t| t.server_config()).transpose()?;
    let limits = conn::Limits {
        max_connections: args.edge.max_connections as usize,
        header_timeout: args.edge.header_timeout,
        body_timeout: args.edge.body_timeout,
        idle_timeout: args.edge.idle_timeout,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", args.listen))?;
    let metrics_listener = match args.metrics_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("binding the metrics listener {addr}: {e}"))?,
        ),
        None => None,
    };
    let metrics_local = metrics_listener
        .as_ref()
        .map(|l| l.local_addr())
        .transpose()
        .map_err(|e| format!("reading the metrics listener's address: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("reading the bound address: {e}"))?;
    tracing::info!(
        listen = %local,
        store = store.backend(),
        tls = tls.is_some(),
        trusted_proxies = ?args.edge.trusted_proxies,
        max_connections = limits.max_connections,
        master_key = %master.fingerprint(),
        metrics = %metrics_local.map_or_else(|| "off".to_owned(), |a| format!("http://{a}/metrics")),
        version = env!("CARGO_PKG_VERSION"),
        "iamd is serving"
    );
    if store.backend() != "sqlite" {
        spawn_refresher(core.clone(), store.clone());
    }
    // Rotations (issue #18) run on a thread of their own: rotators may block on a database or
    // an HTTP endpoint.
    core.rotation().set_rotators(rotators);
    core.spawn_rotation_thread(args.rotation_check_interval)
        .map_err(|e| format!("starting the rotation thread: {e}"))?;
    core.spawn_last_used_thread(iamd_service::iam::last_used::FLUSH_PERIOD)
        .map_err(|e| format!("starting the last-use thread: {e}"))?;
    warn_if_few_descriptors(limits.max_connections);
    if let Some(tls) = &tls {
        tls.spawn_watcher();
    }
    let audit = match args.audit {
        AuditSwitch::On => Some(
            iamd_audit::Auditor::start(
                store.clone(),
                Arc::new(SystemClock),
                iamd_audit::AuditConfig {
                    retention_days: args.audit_retention_days,
                    ..Default::default()
                },
            )
            .map_err(|e| format!("starting the audit writer: {e}"))?,
        ),
        AuditSwitch::Off => {
            tracing::warn!("auditing is off (--audit off): no request is recorded");
            None
        }
    };
    if let Some(a) = &audit {
        core.rotation()
            .set_events(Arc::new(crate::audit_query::RotationAudit(a.clone())));
    }
    let flush_core = core.clone();
    let state = AppState::with_audit(core, trusted, audit.clone());
    if let Some(l) = metrics_listener {
        tokio::spawn(serve_metrics(l, state.clone()));
    }
    let app = router(state);
    conn::serve(listener, app, limits, tls_config, shutdown_signal()).await;
    if let Some(a) = audit
        && let Err(e) = a.flush().await
    {
        tracing::error!(error = %e, "audit: queued events not stored at shutdown");
    }
    // The uses recorded since the last flush survive a clean stop.
    let _ = tokio::task::spawn_blocking(move || flush_core.flush_last_used()).await;
    tracing::info!("stopped: in-flight requests finished, store closed");
    Ok(())
}

/// The connection limit only protects if the process can open that many sockets: past its
/// descriptor limit, accepting fails for everybody (finding 7 of issue #11). Linux only.
fn warn_if_few_descriptors(max_connections: usize) {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return;
    };
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<usize>().ok());
    // The database, the listener, TLS files and the runtime need some descriptors too.
    if let Some(soft) = soft
        && soft < max_connections + 64
    {
        tracing::warn!(
            open_files_limit = soft,
            max_connections,
            "the open-files limit (ulimit -n) is below --max-connections + 64: raise it, or lower --max-connections, or a flood of connections can exhaust it"
        );
    }
}

/// Several nodes over one database: whatever another node commits reaches this node's in-memory
/// views at once through the database's change feed (PostgreSQL `LISTEN`/`NOTIFY`), and within
/// `REFRESH_PERIOD` through a revision check that backs the feed up if a notification or the
/// listening connection is lost. A store that is unreachable is retried on the next tick; requests
/// meanwhile fail with ServiceUnavailable on their own writes.
const REFRESH_PERIOD: std::time::Duration = std::time::Duration::from_millis(250);

fn spawn_refresher(core: Arc<Iamd>, store: Arc<dyn iamd_store::Store>) {
    let spawned = std::thread::Builder::new()
        .name("iamd-refresh".into())
        .spawn(move || {
            let mut seen = store.revision().ok();
            let metrics = &iamd_metrics::GLOBAL;
            metrics.node_applied_revision.set(seen.unwrap_or(0));
            let mut feed: Option<Box<dyn iamd_store::ChangeFeed>> = None;
            loop {
                if feed.is_none() {
                    feed = match store.changes() {
                        Some(Ok(f)) => Some(f),
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "change feed unavailable; polling");
                            None
                        }
                        None => None,
                    };
                }
                match feed.as_mut().map(|f| f.wait(REFRESH_PERIOD)) {
                    Some(Ok(_)) => {}
                    Some(Err(_)) => feed = None,
                    None => std::thread::sleep(REFRESH_PERIOD),
                }
                match store.revision() {
                    Ok(rev) if Some(rev) != seen => match core.refresh_from_store() {
                        Ok(()) => {
                            seen = Some(rev);
                            metrics.node_applied_revision.set(rev);
                        }
                        Err(e) => {
                            metrics.node_refresh_failures.inc();
                            tracing::warn!(error = %e, "refreshing from the store failed; retrying")
                        }
                    },
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "store unreachable; retrying");
                        if feed.is_none() {
                            std::thread::sleep(REFRESH_PERIOD);
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the refresh thread: changes made by other nodes will not be seen");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested: no new connections; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "s", "0", "-1s", "10h", "abc", "1e999"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(colour_logs(true, None));
        assert!(colour_logs(true, Some("".into())));
        assert!(!colour_logs(true, Some("1".into())));
        assert!(!colour_logs(false, None));
    }

    #[test]
    fn master_key_file_forms() {
        let hex = "00".repeat(31) + "ff";
        let k = parse_master_key(hex.as_bytes()).unwrap();
        assert_eq!(k.as_bytes()[31], 0xff);
        let k = parse_master_key(format!("{hex}\n").as_bytes()).unwrap();
        assert_eq!(k.as_bytes()[31], 0xff);
        assert!(parse_master_key(&[1u8; 32]).is_ok());
        assert!(parse_master_key(b"short").is_err());
    }

    #[test]
    fn private_files_are_0600_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_private(&p, b"one").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(write_private(&p, b"two").is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
    }
}
