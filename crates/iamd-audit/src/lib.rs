//! CloudTrail-compatible audit events (issue #14): an event for every authenticated request,
//! allowed or denied, in CloudTrail's record format, stored durably and queryable.
//!
//! - [`Pending`] / [`Facts`]: what the request path captures — cheap: strings, the already
//!   redacted parameters ([`redact`]) and the resources ([`resources`]).
//! - [`Auditor`]: one writer thread builds the records ([`record::build`]) and appends them to
//!   the store in batches (group commit). A mutating request waits for its batch to commit
//!   before its response is sent ([`Auditor::submit_durable`]); every other request's event is
//!   queued without waiting ([`Auditor::submit`]) into a bounded queue whose overflow is counted
//!   and logged, never waited on. Events older than the retention are pruned by a background
//!   thread.
//! - [`lookup::lookup_events`]: the query LookupEvents answers from.

#![deny(clippy::indexing_slicing, clippy::allow_attributes_without_reason)]

pub mod lookup;
pub mod record;
pub mod redact;
pub mod resources;

pub use lookup::{Lookup, LookupError, LookupEvent, LookupPage, lookup_events};
pub use record::Facts;

use iamd_api::{Service, Value};
use iamd_core::accounts::Caller;
use iamd_core::clock::Clock;
use iamd_store::{AuditRow, Store};
use serde_json::Value as Json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Events waiting for the writer at most; beyond, read-only events are dropped (counted).
pub const QUEUE_CAPACITY: usize = 65_536;
/// Events written in one transaction at most.
const BATCH: usize = 2_048;
/// Default retention (CloudTrail's event history keeps 90 days).
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// How auditing runs (`iamd serve --audit on|off --audit-retention-days N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditConfig {
    pub retention_days: u32,
    /// How often the pruner looks for expired events.
    pub prune_every: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention_days: DEFAULT_RETENTION_DAYS,
            prune_every: Duration::from_secs(3600),
        }
    }
}

/// Why a durable submission failed: the event may be lost (the store refused it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditError(pub String);

impl std::fmt::Display for AuditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit event not stored: {}", self.0)
    }
}

impl std::error::Error for AuditError {}

type Ack = oneshot::Sender<Result<(), AuditError>>;

enum Job {
    Event(Box<Facts>, Option<Ack>),
    /// A record built elsewhere (a service event).
    Row(Box<AuditRow>),
    /// Answered once every job queued before it is committed.
    Flush(Ack),
}

/// The audit writer: owns the queue and the writer and pruner threads.
pub struct Auditor {
    queue: mpsc::Sender<Job>,
    store: Arc<dyn Store>,
    dropped: AtomicU64,
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor")
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Auditor {
    /// Starts the writer and pruner threads over `store`.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: AuditConfig,
    ) -> std::io::Result<Arc<Self>> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let writer_store = store.clone();
        std::thread::Builder::new()
            .name("iamd-audit".into())
            .spawn(move || writer(writer_store, rx))?;
        let prune_store = store.clone();
        std::thread::Builder::new()
            .name("iamd-audit-prune".into())
            .spawn(move || {
                loop {
                    let before = clock
                        .now_unix()
                        .saturating_sub(i64::from(config.retention_days) * 86_400);
                    match prune_store.audit_prune(before) {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(events = n, "audit: pruned expired events"),
                        Err(e) => tracing::warn!(error = %e, "audit: pruning failed"),
                    }
                    std::thread::sleep(config.prune_every);
                }
            })?;
        Ok(Arc::new(Self {
            queue: tx,
            store,
            dropped: AtomicU64::new(0),
        }))
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Read-only events dropped because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Queues an event without waiting (read-only and failed requests). Never blocks: a full
    /// queue drops the event, counts it and logs it.
    pub fn submit(&self, facts: Facts) {
        if self
            .queue
            .try_send(Job::Event(Box::new(facts), None))
            .is_err()
        {
            iamd_metrics::GLOBAL.audit_events_dropped.inc();
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "audit: queue full, read-only events dropped");
            }
        }
    }

    /// Queues a record built elsewhere (a service event, [`record::secrets_service_event`]),
    /// as [`Auditor::submit`] does: never blocks; a full queue drops it and counts it.
    pub fn submit_row(&self, row: AuditRow) {
        if self.queue.try_send(Job::Row(Box::new(row))).is_err() {
            iamd_metrics::GLOBAL.audit_events_dropped.inc();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Queues an event and waits until it is committed (a mutating request, before its
    /// response). Waits for queue space rather than dropping.
    pub async fn submit_durable(&self, facts: Facts) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.queue
            .send(Job::Event(Box::new(facts), Some(ack)))
            .await
            .map_err(|_| AuditError("the audit writer stopped".into()))?;
        done.await
            .unwrap_or_else(|_| Err(AuditError("the audit writer stopped".into())))
    }

    /// [`Auditor::submit_durable`] from a thread that may block (not an async worker).
    pub fn submit_durable_blocking(&self, facts: Facts) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.queue
            .blocking_send(Job::Event(Box::new(facts), Some(ack)))
            .map_err(|_| AuditError("the audit writer stopped".into()))?;
        done.blocking_recv()
            .unwrap_or_else(|_| Err(AuditError("the audit writer stopped".into())))
    }

    /// Waits until every event queued so far is committed (tests, shutdown). Blocking.
    pub fn flush_blocking(&self) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.queue
            .blocking_send(Job::Flush(ack))
            .map_err(|_| AuditError("the audit writer stopped".into()))?;
        done.blocking_recv()
            .unwrap_or_else(|_| Err(AuditError("the audit writer stopped".into())))
    }

    /// The async form of [`Auditor::flush_blocking`].
    pub async fn flush(&self) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.queue
            .send(Job::Flush(ack))
            .await
            .map_err(|_| AuditError("the audit writer stopped".into()))?;
        done.await
            .unwrap_or_else(|_| Err(AuditError("the audit writer stopped".into())))
    }
}

/// The writer thread: takes what is queued (up to [`BATCH`]), builds the records, appends them in
/// one transaction, then answers the waiters. A failed append is retried a few times.
fn writer(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>) {
    let mut acks: Vec<Ack> = Vec::new();
    let mut rows: Vec<AuditRow> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(job) = next.take() {
            taken += 1;
            match job {
                Job::Event(facts, ack) => {
                    rows.extend(record::build(&facts));
                    acks.extend(ack);
                }
                Job::Row(row) => rows.push(*row),
                Job::Flush(ack) => acks.push(ack),
            }
            if taken < BATCH {
                next = rx.try_recv().ok();
            }
        }
        let mut result = Ok(());
        for attempt in 0..3u64 {
            result = store.audit_append(&rows);
            if result.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50 * (attempt + 1)));
        }
        let answer = match result {
            Ok(()) => {
                iamd_metrics::GLOBAL
                    .audit_events_written
                    .add(rows.len() as u64);
                Ok(())
            }
            Err(e) => {
                iamd_metrics::GLOBAL
                    .audit_events_failed
                    .add(rows.len() as u64);
                tracing::error!(events = rows.len(), error = %e, "audit: events could not be stored");
                Err(AuditError(e.to_string()))
            }
        };
        rows.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(answer.clone());
        }
    }
}

/// What the request path captures before running an operation: its name, region, request id,
/// redacted parameters and the resources its input names. Cheap; no secret is kept (the
/// parameters are redacted here, on the request path, so a secret value never reaches the
/// queue).
#[derive(Debug, Clone)]
pub struct Pending {
    pub service: Service,
    pub event_name: &'static str,
    pub region: String,
    pub request_id: String,
    request_parameters: Json,
    input_resources: Vec<(String, String)>,
    /// The caller's account (resources named without an ARN are in it).
    account: String,
}

impl Pending {
    pub fn new(
        service: Service,
        event_name: &'static str,
        region: &str,
        request_id: &str,
        caller_account: &str,
        input: &Value,
    ) -> Self {
        Self {
            service,
            event_name,
            region: region.to_owned(),
            request_id: request_id.to_owned(),
            request_parameters: redact::request_parameters(input),
            input_resources: resources::resources(service, caller_account, region, input, None),
            account: caller_account.to_owned(),
        }
    }

    /// The facts of a finished request: `Ok(output)` or `Err((code, message))`.
    pub fn finish(self, caller: Caller, time: i64, outcome: Result<&Value, (&str, &str)>) -> Facts {
        let (response_elements, resources, error) = match outcome {
            Ok(output) => {
                let response = if record::shows_response(self.event_name) {
                    redact::response_elements(output)
                } else {
                    Json::Null
                };
                // The output names the canonical resource (a secret's full ARN, a user's path)
                // when it has one; the input otherwise. Only ARNs are read from it.
                let from_output = resources::resources(
                    self.service,
                    &self.account,
                    &self.region,
                    &Value::Structure(Vec::new()),
                    Some(output),
                );
                let resources = merge(self.input_resources, from_output);
                (response, resources, None)
            }
            Err((code, message)) => (
                Json::Null,
                self.input_resources,
                Some((code.to_owned(), message.to_owned())),
            ),
        };
        Facts {
            caller,
            service: self.service,
            event_name: self.event_name,
            region: self.region,
            request_id: self.request_id,
            time,
            request_parameters: self.request_parameters,
            response_elements,
            resources,
            error,
            additional_event_data: Json::Null,
        }
    }
}

/// Output resources replace the input's of the same type (they are canonical).
fn merge(input: Vec<(String, String)>, output: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = input
        .into_iter()
        .filter(|(t, _)| !output.iter().any(|(o, _)| o == t))
        .collect();
    out.extend(output);
    out
}

#[cfg(test)]
mod tests;
