//! iamd's metrics: counters, gauges and fixed-bucket histograms over atomics, and the Prometheus
//! text exposition format (version 0.0.4) they are served in.
//!
//! Recording costs a relaxed atomic increment or two and never allocates or locks, so it sits on
//! the request path. Every label value is fixed in code or comes from the service models
//! (operation names): nothing a request sends can create a new series.
//!
//! The components below the HTTP layer (store, authorizer, session issuer, caches) record into
//! the process-wide [`GLOBAL`] set and the [`cache`] registry; the server keeps its per-operation
//! request figures itself and renders everything with an [`Encoder`].

#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A monotonically growing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }
    #[inline]
    pub fn inc(&self) {
        self.0.fetch_add(1, Relaxed);
    }
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub const fn new(v: i64) -> Self {
        Gauge(AtomicI64::new(v))
    }
    #[inline]
    pub fn set(&self, v: i64) {
        self.0.store(v, Relaxed);
    }
    #[inline]
    pub fn add(&self, d: i64) {
        self.0.fetch_add(d, Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Relaxed)
    }
}

/// Upper bounds of the latency buckets, in microseconds (100 µs … 5 s; then +Inf).
pub const LATENCY_BOUNDS_MICROS: [u64; 14] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 5_000_000,
];
/// The same bounds as Prometheus `le` label values (seconds).
const LATENCY_LE: [&str; 14] = [
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25", "0.5", "1", "5",
];
const BUCKETS: usize = LATENCY_BOUNDS_MICROS.len() + 1;

/// A latency histogram over [`LATENCY_BOUNDS_MICROS`]: one bucket increment and one sum addition
/// per observation (the count is the buckets' sum, read at scrape time).
#[derive(Debug)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    pub const fn new() -> Self {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
            sum_micros: AtomicU64::new(0),
        }
    }

    #[inline]
    pub fn observe(&self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let i = LATENCY_BOUNDS_MICROS
            .iter()
            .position(|b| micros <= *b)
            .unwrap_or(LATENCY_BOUNDS_MICROS.len());
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Relaxed);
        }
        self.sum_micros.fetch_add(micros, Relaxed);
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Relaxed)).sum()
    }
}

/// Hits, misses and size of one in-memory cache. Several caches of one name (several server
/// instances in one process) share one entry, so the figures are their sums.
#[derive(Debug)]
pub struct CacheStats {
    name: &'static str,
    capacity: AtomicU64,
    pub entries: Gauge,
    pub hits: Counter,
    pub misses: Counter,
}

impl CacheStats {
    #[inline]
    pub fn hit(&self) {
        self.hits.inc();
    }
    #[inline]
    pub fn miss(&self) {
        self.misses.inc();
    }
    pub fn name(&self) -> &'static str {
        self.name
    }
}

static CACHES: Mutex<Vec<Arc<CacheStats>>> = Mutex::new(Vec::new());

/// The statistics of the cache called `name` (a fixed, snake_case name), created on first use;
/// `capacity` is the most entries it holds.
pub fn cache(name: &'static str, capacity: usize) -> Arc<CacheStats> {
    let capacity = u64::try_from(capacity).unwrap_or(u64::MAX);
    let mut caches = match CACHES.lock() {
        Ok(c) => c,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(c) = caches.iter().find(|c| c.name == name) {
        c.capacity.store(capacity, Relaxed);
        return c.clone();
    }
    let c = Arc::new(CacheStats {
        name,
        capacity: AtomicU64::new(capacity),
        entries: Gauge::new(0),
        hits: Counter::new(),
        misses: Counter::new(),
    });
    caches.push(c.clone());
    c
}

/// Store transactions of one kind (read or write).
#[derive(Debug, Default)]
pub struct TxStats {
    /// Committed (writes) or finished (reads).
    pub ok: Counter,
    /// Rolled back because the caller's closure returned an error (a refused request, say).
    pub aborted: Counter,
    /// Failed in the store (unavailable, conflict, retries exhausted).
    pub failed: Counter,
    pub duration: Histogram,
}

impl TxStats {
    pub const fn new() -> Self {
        TxStats {
            ok: Counter::new(),
            aborted: Counter::new(),
            failed: Counter::new(),
            duration: Histogram::new(),
        }
    }
}

/// Why a request failed authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No signature at all.
    Missing,
    /// Unknown or inactive access key, or an invalid session token.
    InvalidToken,
    /// Temporary credentials past their expiration.
    ExpiredToken,
    /// A malformed signature.
    IncompleteSignature,
    /// A signature that does not check out (including unsigned `x-amz-*` headers).
    SignatureMismatch,
    /// A request time outside the clock-skew window.
    SignatureExpired,
    /// Signed for a service other than the one the request is for.
    WrongService,
}

const AUTH_FAILURES: [(AuthFailure, &str); 7] = [
    (AuthFailure::Missing, "missing"),
    (AuthFailure::InvalidToken, "invalid_token"),
    (AuthFailure::ExpiredToken, "expired_token"),
    (AuthFailure::IncompleteSignature, "incomplete_signature"),
    (AuthFailure::SignatureMismatch, "signature_mismatch"),
    (AuthFailure::SignatureExpired, "signature_expired"),
    (AuthFailure::WrongService, "wrong_service"),
];

/// Kinds of issued session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    AssumedRole,
    User,
    Root,
    FederatedUser,
}

const SESSION_KINDS: [(SessionKind, &str); 4] = [
    (SessionKind::AssumedRole, "assumed_role"),
    (SessionKind::User, "user"),
    (SessionKind::Root, "root"),
    (SessionKind::FederatedUser, "federated_user"),
];

/// The process-wide figures of the components below the HTTP layer.
#[derive(Debug)]
pub struct Global {
    pub store_read: TxStats,
    pub store_write: TxStats,
    /// Transaction attempts run again because the database asked for a retry.
    pub store_retries: Counter,
    pub authz_allow: Counter,
    pub authz_implicit_deny: Counter,
    pub authz_explicit_deny: Counter,
    auth_failures: [Counter; AUTH_FAILURES.len()],
    sessions: [Counter; SESSION_KINDS.len()],
    /// The store revision this node's in-memory views were last refreshed to (multi-node
    /// stores; −1 until the refresher has run).
    pub node_applied_revision: Gauge,
    /// Refreshes from the store that failed (they are retried).
    pub node_refresh_failures: Counter,
    /// Audit events committed to the store (issue #14).
    pub audit_events_written: Counter,
    /// Read-only audit events dropped because the writer's queue was full.
    pub audit_events_dropped: Counter,
    /// Audit events the store refused (after retries).
    pub audit_events_failed: Counter,
}

/// The process-wide figures.
pub static GLOBAL: Global = Global {
    store_read: TxStats::new(),
    store_write: TxStats::new(),
    store_retries: Counter::new(),
    authz_allow: Counter::new(),
    authz_implicit_deny: Counter::new(),
    authz_explicit_deny: Counter::new(),
    auth_failures: [const { Counter::new() }; AUTH_FAILURES.len()],
    sessions: [const { Counter::new() }; SESSION_KINDS.len()],
    node_applied_revision: Gauge::new(-1),
    node_refresh_failures: Counter::new(),
    audit_events_written: Counter::new(),
    audit_events_dropped: Counter::new(),
    audit_events_failed: Counter::new(),
};

impl Global {
    #[inline]
    pub fn auth_failure(&self, why: AuthFailure) {
        if let Some(c) = AUTH_FAILURES
            .iter()
            .position(|(k, _)| *k == why)
            .and_then(|i| self.auth_failures.get(i))
        {
            c.inc();
        }
    }

    #[inline]
    pub fn session_issued(&self, kind: SessionKind) {
        if let Some(c) = SESSION_KINDS
            .iter()
            .position(|(k, _)| *k == kind)
            .and_then(|i| self.sessions.get(i))
        {
            c.inc();
        }
    }

    /// Renders every process-wide family (not the node-revision ones, see [`Global::encode_node`]).
    pub fn encode(&self, e: &mut Encoder) {
        e.family(
            "iamd_authentication_failures_total",
            "Requests refused by authentication, by reason.",
            "counter",
        );
        for ((_, reason), c) in AUTH_FAILURES.iter().zip(&self.auth_failures) {
            e.sample(
                "iamd_authentication_failures_total",
                &[("reason", reason)],
                c.get(),
            );
        }
        e.family(
            "iamd_authorization_decisions_total",
            "Authorization decisions of the policy engine, by result; a deny is explicit when a Deny statement matched.",
            "counter",
        );
        for (result, explicit, c) in [
            ("allow", "true", &self.authz_allow),
            ("deny", "false", &self.authz_implicit_deny),
            ("deny", "true", &self.authz_explicit_deny),
        ] {
            e.sample(
                "iamd_authorization_decisions_total",
                &[("result", result), ("explicit", explicit)],
                c.get(),
            );
        }
        e.family(
            "iamd_sessions_issued_total",
            "Temporary credentials issued, by kind of session.",
            "counter",
        );
        for ((_, kind), c) in SESSION_KINDS.iter().zip(&self.sessions) {
            e.sample("iamd_sessions_issued_total", &[("kind", kind)], c.get());
        }
        e.family(
            "iamd_store_transactions_total",
            "Store transactions, by kind and result (aborted: rolled back by the operation itself).",
            "counter",
        );
        for (kind, s) in [("read", &self.store_read), ("write", &self.store_write)] {
            for (result, c) in [("ok", &s.ok), ("aborted", &s.aborted), ("error", &s.failed)] {
                e.sample(
                    "iamd_store_transactions_total",
                    &[("kind", kind), ("result", result)],
                    c.get(),
                );
            }
        }
        e.family(
            "iamd_store_transaction_duration_seconds",
            "Time of store transactions, retries included.",
            "histogram",
        );
        for (kind, s) in [("read", &self.store_read), ("write", &self.store_write)] {
            e.histogram(
                "iamd_store_transaction_duration_seconds",
                &[("kind", kind)],
                &s.duration,
            );
        }
        e.family(
            "iamd_store_retries_total",
            "Transaction attempts run again because the database asked for a retry (PostgreSQL serialization failures, deadlocks).",
            "counter",
        );
        e.sample("iamd_store_retries_total", &[], self.store_retries.get());
        for (name, help, c) in [
            (
                "iamd_audit_events_written_total",
                "Audit events committed to the store.",
                &self.audit_events_written,
            ),
            (
                "iamd_audit_events_dropped_total",
                "Read-only audit events dropped because the audit writer's queue was full.",
                &self.audit_events_dropped,
            ),
            (
                "iamd_audit_events_failed_total",
                "Audit events the store refused, after retries.",
                &self.audit_events_failed,
            ),
        ] {
            e.family(name, help, "counter");
            e.sample(name, &[], c.get());
        }
        encode_caches(e);
    }

    /// Renders the node's revision figures: `store_revision` is the database's latest committed
    /// revision, read now. Nothing is rendered before the refresher has run.
    pub fn encode_node(&self, e: &mut Encoder, store_revision: Option<i64>) {
        let applied = self.node_applied_revision.get();
        if applied < 0 {
            return;
        }
        e.family(
            "iamd_node_applied_revision",
            "Store revision this node's in-memory state was last refreshed to.",
            "gauge",
        );
        e.sample("iamd_node_applied_revision", &[], applied);
        if let Some(store) = store_revision {
            e.family(
                "iamd_store_revision",
                "Latest committed store revision, read at scrape time.",
                "gauge",
            );
            e.sample("iamd_store_revision", &[], store);
            e.family(
                "iamd_node_revision_lag",
                "Committed store revisions this node has not applied yet.",
                "gauge",
            );
            e.sample("iamd_node_revision_lag", &[], (store - applied).max(0));
        }
        e.family(
            "iamd_node_refresh_failures_total",
            "Refreshes from the store that failed (retried on the next tick).",
            "counter",
        );
        e.sample(
            "iamd_node_refresh_failures_total",
            &[],
            self.node_refresh_failures.get(),
        );
    }
}

fn encode_caches(e: &mut Encoder) {
    let caches: Vec<Arc<CacheStats>> = match CACHES.lock() {
        Ok(c) => c.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    e.family(
        "iamd_cache_entries",
        "Entries held by an in-memory cache.",
        "gauge",
    );
    for c in &caches {
        e.sample("iamd_cache_entries", &[("cache", c.name)], c.entries.get());
    }
    e.family(
        "iamd_cache_capacity",
        "Most entries an in-memory cache holds (past it, it is emptied and refilled on demand).",
        "gauge",
    );
    for c in &caches {
        e.sample(
            "iamd_cache_capacity",
            &[("cache", c.name)],
            c.capacity.load(Relaxed),
        );
    }
    e.family(
        "iamd_cache_lookups_total",
        "Lookups in an in-memory cache, by result.",
        "counter",
    );
    for c in &caches {
        for (result, n) in [("hit", &c.hits), ("miss", &c.misses)] {
            e.sample(
                "iamd_cache_lookups_total",
                &[("cache", c.name), ("result", result)],
                n.get(),
            );
        }
    }
}

/// The Prometheus text exposition format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes families in the text format: [`Encoder::family`] once, then its samples.
#[derive(Debug, Default)]
pub struct Encoder {
    out: String,
}

impl Encoder {
    pub fn new() -> Self {
        Encoder {
            out: String::with_capacity(16 * 1024),
        }
    }

    /// Starts a family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        self.labels(labels, None);
        let _ = writeln!(self.out, " {value}");
    }

    /// The `_bucket`, `_sum` and `_count` samples of one histogram series.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Histogram) {
        let mut cumulative = 0u64;
        for (i, b) in h.buckets.iter().enumerate() {
            cumulative += b.load(Relaxed);
            let le = LATENCY_LE.get(i).copied().unwrap_or("+Inf");
            let _ = write!(self.out, "{name}_bucket");
            self.labels(labels, Some(le));
            let _ = writeln!(self.out, " {cumulative}");
        }
        let sum = h.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = write!(self.out, "{name}_sum");
        self.labels(labels, None);
        let _ = writeln!(self.out, " {sum}");
        let _ = write!(self.out, "{name}_count");
        self.labels(labels, None);
        let _ = writeln!(self.out, " {cumulative}");
    }

    fn labels(&mut self, labels: &[(&str, &str)], le: Option<&str>) {
        if labels.is_empty() && le.is_none() {
            return;
        }
        self.out.push('{');
        let mut first = true;
        for (k, v) in labels.iter().copied().chain(le.map(|le| ("le", le))) {
            if !first {
                self.out.push(',');
            }
            first = false;
            self.out.push_str(k);
            self.out.push_str("=\"");
            for c in v.chars() {
                match c {
                    '\\' => self.out.push_str("\\\\"),
                    '"' => self.out.push_str("\\\""),
                    '\n' => self.out.push_str("\\n"),
                    c => self.out.push(c),
                }
            }
            self.out.push('"');
        }
        self.out.push('}');
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_is_cumulative_and_counts_every_observation() {
        let h = Histogram::new();
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_micros(100));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        assert_eq!(h.count(), 4);
        let mut e = Encoder::new();
        e.histogram("x_seconds", &[("op", "A")], &h);
        let text = e.finish();
        assert!(
            text.contains("x_seconds_bucket{op=\"A\",le=\"0.0001\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("x_seconds_bucket{op=\"A\",le=\"0.0025\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("x_seconds_bucket{op=\"A\",le=\"0.005\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("x_seconds_bucket{op=\"A\",le=\"5\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("x_seconds_bucket{op=\"A\",le=\"+Inf\"} 4\n"),
            "{text}"
        );
        assert!(text.contains("x_seconds_count{op=\"A\"} 4\n"), "{text}");
        assert!(
            text.contains("x_seconds_sum{op=\"A\"} 60.00315\n"),
            "{text}"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut e = Encoder::new();
        e.family("m", "help \\ with\nnewline", "gauge");
        e.sample("m", &[("k", "a\"b\\c\nd")], 1);
        e.sample("m", &[], -2);
        assert_eq!(
            e.finish(),
            "# HELP m help \\\\ with\\nnewline\n# TYPE m gauge\nm{k=\"a\\\"b\\\\c\\nd\"} 1\nm -2\n"
        );
    }

    #[test]
    fn caches_of_one_name_share_their_figures() {
        let a = cache("test_shared", 10);
        let b = cache("test_shared", 10);
        a.hit();
        b.miss();
        a.entries.add(2);
        b.entries.add(1);
        assert_eq!(a.hits.get(), 1);
        assert_eq!(b.misses.get(), 1);
        assert_eq!(a.entries.get(), 3);
        let mut e = Encoder::new();
        GLOBAL.encode(&mut e);
        let text = e.finish();
        assert!(
            text.contains("iamd_cache_entries{cache=\"test_shared\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("iamd_cache_lookups_total{cache=\"test_shared\",result=\"hit\"} 1\n"),
            "{text}"
        );
    }
}
