//! Secret rotation (issue #18): AWS's RotateSecret contract, run by iamd's built-in rotators
//! (`iamd-rotators`) instead of Lambda functions.
//!
//! What is stored: a secret's [`RotationConfig`] (in its `sm-secret` record): the rotator
//! (`RotationLambdaARN`), the schedule, whether rotation is enabled, the last rotation and the
//! next window, who configured it (the principal the rotator acts as), the rotation in progress
//! (its token) and the last failure (step, message, time; never a value).
//!
//! How a rotation runs (aws-semantics-2.md §7.3): RotateSecret (or the scheduler) creates the
//! empty version `VersionId = token` labelled `AWSPENDING` ([`Secrets::start_rotation`]); then,
//! on the rotation thread and never under the secrets writer lock, [`Engine::run`] calls the
//! rotator's createSecret (the value is stored into the pending version), setSecret and
//! testSecret, and does finishSecret itself: `AWSCURRENT` moves to the token, the old current
//! version becomes `AWSPREVIOUS`, and `AWSPENDING` is taken off the new current version (AWS's
//! backend cleans it). A failed step leaves `AWSPENDING` where it is (the secret stays readable
//! at `AWSCURRENT`), is recorded, and the whole rotation is retried with backoff.
//!
//! Several nodes: a rotation runs only under a lease record (`sm-rotation-lease`, written with
//! the store's compare-and-set, expiring after [`LEASE_SECS`]); the node holding it reads the
//! secret from the store again before deciding, so a window is rotated once.

pub mod schedule;

use crate::error::{Error, SecretsError};
use crate::secrets::{
    AWSCURRENT, AWSPREVIOUS, Plain, Secret, SecretMeta, Secrets, VersionMeta, secret_key,
    version_key,
};
use iamd_core::accounts::{Caller, Principal};
use iamd_core::clock::{Clock, OffsetClock};
use iamd_rotators::{PasswordParams, RotationError, RotationHost, Rotators, Step, Values};
use iamd_store::{Expect, Store, StoreError, StoreExt};
use schedule::Schedule;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use zeroize::Zeroizing;

pub const AWSPENDING: &str = "AWSPENDING";
/// The record kind of rotation leases (key `<region>|<name>`, in the secret's account).
pub const KIND_LEASE: &str = "sm-rotation-lease";
/// How long a lease holds, and how long a started rotation waits before another node may take
/// it over (a node that died mid-rotation).
pub const LEASE_SECS: i64 = 900;
/// How long a due rotation that cannot start (another `AWSPENDING` is in the way) waits.
pub const BLOCKED_RETRY_SECS: i64 = 300;
/// The longest wait between two attempts of a failing rotation.
pub const MAX_BACKOFF_SECS: i64 = 3600;

/// A secret's rotation configuration, as RotateSecret stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationConfig {
    /// `RotationLambdaARN`: `arn:aws:lambda:REGION:ACCOUNT:function:iamd-rotator-<name>`.
    #[serde(default)]
    pub lambda_arn: Option<String>,
    /// `RotationRules`; `None`: rotation only when RotateSecret asks.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// `RotationEnabled` (CancelRotateSecret clears it, keeping the rest).
    pub enabled: bool,
    /// `LastRotatedDate`: when the last rotation finished.
    #[serde(default)]
    pub last_rotated: Option<i64>,
    /// The next rotation window (start, end); `NextRotationDate` is its end.
    #[serde(default)]
    pub next_window: Option<(i64, i64)>,
    /// The principal whose permissions the rotator acts with: the caller of RotateSecret.
    pub configured_by: ConfiguredBy,
    /// The rotation started and not finished (nor abandoned).
    #[serde(default)]
    pub pending: Option<Pending>,
    /// The last step that failed (cleared by the next successful rotation).
    #[serde(default)]
    pub last_failure: Option<Failure>,
}

/// A rotation in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The ClientRequestToken: VersionId of the pending version.
    pub token: String,
    /// `RotateImmediately=false`: only testSecret runs, then the pending version is removed.
    #[serde(default)]
    pub test_only: bool,
    pub started: i64,
    /// Failed attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// When the scheduler (re)tries it: after a failure's backoff, or after a lease's expiry for
    /// an attempt that never reported back.
    pub retry_at: i64,
}

/// Why the last attempt failed: no value, ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `createSecret`, `setSecret`, `testSecret` or `finishSecret`.
    pub step: String,
    pub message: String,
    pub at: i64,
}

/// A long-term principal (a session's is in its claims).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum StoredPrincipal {
    Root,
    User {
        name: String,
        path: String,
        id: String,
    },
}

/// Who configured a rotation: enough to authorize the rotator's reads as that principal later,
/// through the ordinary authorizer (identity and resource policies, session policies and tags).
/// A session's claims are kept without their secret access key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfiguredBy {
    pub account: String,
    pub access_key_id: String,
    #[serde(default)]
    pub principal: Option<StoredPrincipal>,
    /// The session's claims (`SessionClaims`, the secret blanked), for temporary credentials.
    #[serde(default)]
    pub session: Option<serde_json::Value>,
}

impl ConfiguredBy {
    pub fn of(caller: &Caller) -> Result<Self, Error> {
        let (principal, session) = match &caller.session {
            Some(claims) => {
                let mut c = (**claims).clone();
                c.secret_access_key = "".into();
                let v = serde_json::to_value(&c)
                    .map_err(|e| Error::Internal(format!("encoding session claims: {e}")))?;
                (None, Some(v))
            }
            None => (
                Some(match &caller.principal {
                    Principal::Root => StoredPrincipal::Root,
                    Principal::User { name, path, id } => StoredPrincipal::User {
                        name: name.clone(),
                        path: path.clone(),
                        id: id.clone(),
                    },
                    // Authentication never builds these without a session.
                    Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => {
                        return Err(Error::Internal(
                            "a session principal without its session".into(),
                        ));
                    }
                }),
                None,
            ),
        };
        Ok(Self {
            account: caller.account.clone(),
            access_key_id: caller.access_key_id.clone(),
            principal,
            session,
        })
    }

    /// The caller the rotator acts as (no request origin: no source address, not TLS).
    pub fn caller(&self) -> Result<Caller, Error> {
        if let Some(v) = &self.session {
            let claims: iamd_core::sessions::SessionClaims = serde_json::from_value(v.clone())
                .map_err(|e| Error::Internal(format!("decoding session claims: {e}")))?;
            return Ok(Caller::from_session(Arc::new(claims)));
        }
        let principal = match &self.principal {
            Some(StoredPrincipal::Root) => Principal::Root,
            Some(StoredPrincipal::User { name, path, id }) => Principal::User {
                name: name.clone(),
                path: path.clone(),
                id: id.clone(),
            },
            None => return Err(Error::Internal("a rotation without its principal".into())),
        };
        Ok(Caller::long_term(
            &self.account,
            principal,
            &self.access_key_id,
        ))
    }
}

/// Reads another secret as a principal, through the ordinary GetSecretValue (authorization
/// included): implemented by the service, which owns the authorizer.
pub trait ActAs: Sync {
    fn secret_string(
        &self,
        by: &Caller,
        region: &str,
        secret_id: &str,
    ) -> Result<Zeroizing<String>, RotationError>;
}

/// The first wait after `attempts` failures: 1 minute, doubling, at most an hour.
pub fn backoff(attempts: u32) -> i64 {
    let shift = attempts.saturating_sub(1).min(6);
    (60_i64 << shift).min(MAX_BACKOFF_SECS)
}

/// A rotation to run: RotateSecret's (with its token), or whatever is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub account: String,
    pub region: String,
    pub name: String,
    pub token: Option<String>,
}

/// What one run of a job did (tests and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Another node holds the lease.
    Leased,
    /// Nothing to do (not due, cancelled, finished meanwhile, deleted).
    Nothing,
    Rotated {
        token: String,
    },
    Tested {
        token: String,
    },
    Failed {
        step: Step,
        message: String,
    },
    /// `AWSPENDING` was taken off the pending version: the rotation is dropped.
    Abandoned,
}

#[derive(Serialize, Deserialize)]
struct Lease {
    holder: String,
    expires: i64,
}

/// One of the service events a rotation produces (CloudTrail's `RotationStarted`,
/// `RotationSucceeded`, `RotationFailed`, `RotationAbandoned`, `TestRotationStarted`,
/// `TestRotationSucceeded`, `TestRotationFailed`; aws-semantics-2.md §3.3).
#[derive(Debug, Clone, Copy)]
pub struct RotationEvent<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub secret_arn: &'a str,
    pub event_name: &'static str,
    /// Why a rotation failed (a step's message, never a value).
    pub error_message: Option<&'a str>,
    pub time: i64,
}

/// Where rotation events go: the audit trail (the server sets it; none by default).
pub trait RotationEvents: Send + Sync {
    fn rotation_event(&self, event: RotationEvent<'_>);
}

/// The rotation engine: the rotators, the queue of rotations to run, the clock of schedules.
pub struct Engine {
    rotators: RwLock<Arc<Rotators>>,
    events: RwLock<Option<Arc<dyn RotationEvents>>>,
    clock: Arc<OffsetClock>,
    queue: Mutex<VecDeque<Job>>,
    wake: Condvar,
    /// This node's lease holder id.
    node: String,
}

impl Engine {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            rotators: RwLock::new(Arc::new(Rotators::default())),
            events: RwLock::new(None),
            clock: Arc::new(OffsetClock::new(clock)),
            queue: Mutex::new(VecDeque::new()),
            wake: Condvar::new(),
            node: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The rotators this server offers (replacing [`Rotators::default`]).
    pub fn set_rotators(&self, rotators: Rotators) {
        if let Ok(mut r) = self.rotators.write() {
            *r = Arc::new(rotators);
        }
    }

    /// Where the rotations' service events go (the audit trail).
    pub fn set_events(&self, events: Arc<dyn RotationEvents>) {
        if let Ok(mut e) = self.events.write() {
            *e = Some(events);
        }
    }

    /// Reports a finished job's events: `…Started` at `started`, then how it ended.
    fn report(&self, secrets: &Secrets, job: &Job, started: i64, outcome: &Outcome) {
        let Some(sink) = self.events.read().ok().and_then(|e| e.clone()) else {
            return;
        };
        let (first, last, error) = match outcome {
            Outcome::Rotated { .. } => ("RotationStarted", "RotationSucceeded", None),
            Outcome::Tested { .. } => ("TestRotationStarted", "TestRotationSucceeded", None),
            Outcome::Failed { step, message } => (
                "RotationStarted",
                "RotationFailed",
                Some(format!("Error during {} step: {message}", step.as_str())),
            ),
            Outcome::Abandoned => ("RotationStarted", "RotationAbandoned", None),
            _ => return,
        };
        let Some(secret) = secrets.find_record(&job.account, &job.region, &job.name) else {
            return;
        };
        let event = |event_name, error_message, time| RotationEvent {
            account: &job.account,
            region: &job.region,
            secret_arn: &secret.meta.arn,
            event_name,
            error_message,
            time,
        };
        sink.rotation_event(event(first, None, started));
        sink.rotation_event(event(last, error.as_deref(), self.now()));
    }

    pub fn rotators(&self) -> Arc<Rotators> {
        match self.rotators.read() {
            Ok(r) => r.clone(),
            Err(_) => Arc::new(Rotators::new(Vec::new())),
        }
    }

    /// The time of schedules: the service's clock, plus what `--dev` added.
    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// Moves the schedules' clock (`--dev` only: `POST /_iamd/clock`); answers the new time.
    pub fn advance_clock(&self, secs: i64) -> i64 {
        self.clock.advance(secs)
    }

    /// The schedules' clock back to the service's (a `--dev` reset), and the queue emptied.
    pub fn reset(&self) {
        self.clock.reset();
        if let Ok(mut q) = self.queue.lock() {
            q.clear();
        }
    }

    /// Asks the rotation thread to run `job` now.
    pub fn enqueue(&self, job: Job) {
        if let Ok(mut q) = self.queue.lock() {
            q.push_back(job);
            self.wake.notify_all();
        }
    }

    /// Wakes the rotation thread (to look for due rotations now).
    pub fn wake(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.push_back(Job {
                account: String::new(),
                region: String::new(),
                name: String::new(),
                token: None,
            });
            self.wake.notify_all();
        }
    }

    /// Blocks the rotation thread until a job is queued or `period` passes.
    pub fn wait(&self, period: std::time::Duration) {
        if let Ok(q) = self.queue.lock()
            && q.is_empty()
        {
            let _ = self.wake.wait_timeout(q, period);
        }
    }

    /// Runs the queued jobs, then every rotation that is due: blocking (rotators reach
    /// databases and HTTP endpoints); to be called on the rotation thread only.
    pub fn run(&self, secrets: &Secrets, act_as: &dyn ActAs) -> Vec<(Job, Outcome)> {
        let mut out = Vec::new();
        loop {
            let job = match self.queue.lock() {
                Ok(mut q) => q.pop_front(),
                Err(_) => None,
            };
            let Some(job) = job else { break };
            if job.name.is_empty() {
                // A wake-up (see [`Engine::wake`]): the scan below runs.
                continue;
            }
            let o = self.run_job(secrets, act_as, &job);
            out.push((job, o));
        }
        for job in self.due(secrets, self.now()) {
            let o = self.run_job(secrets, act_as, &job);
            out.push((job, o));
        }
        out
    }

    /// The rotations due at `now` by this node's view: enabled, on a live primary secret, and
    /// either an unfinished rotation whose retry time came or a window that started.
    pub fn due(&self, secrets: &Secrets, now: i64) -> Vec<Job> {
        secrets
            .all()
            .into_iter()
            .filter(|s| is_due(s, now))
            .map(|s| Job {
                account: s.account.clone(),
                region: s.meta.region.clone(),
                name: s.meta.name.clone(),
                token: None,
            })
            .collect()
    }

    /// Runs one job under the lease of its secret.
    pub fn run_job(&self, secrets: &Secrets, act_as: &dyn ActAs, job: &Job) -> Outcome {
        let now = self.now();
        let lease = match self.acquire(&*secrets.store, job, now) {
            Ok(Some(v)) => v,
            Ok(None) => return Outcome::Leased,
            Err(e) => {
                tracing::warn!(secret = %job.name, error = %e, "rotation lease unavailable");
                return Outcome::Leased;
            }
        };
        let outcome = match self.run_leased(secrets, act_as, job, now) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(secret = %job.name, error = %e, "rotation failed");
                Outcome::Failed {
                    step: Step::CreateSecret,
                    message: e.to_string(),
                }
            }
        };
        self.release(&*secrets.store, job, lease);
        self.report(secrets, job, now, &outcome);
        match &outcome {
            Outcome::Rotated { token } => {
                tracing::info!(secret = %job.name, version = %token, "rotation succeeded")
            }
            Outcome::Tested { token } => {
                tracing::info!(secret = %job.name, version = %token, "rotation test finished")
            }
            Outcome::Failed { step, message } => tracing::warn!(
                secret = %job.name, step = step.as_str(), error = %message, "rotation step failed"
            ),
            _ => {}
        }
        outcome
    }

    /// Takes the lease of `job`'s secret: `Some(version)` of the lease record when this node
    /// holds it now, `None` when another node does.
    pub fn acquire(&self, store: &dyn Store, job: &Job, now: i64) -> Result<Option<i64>, Error> {
        let key = secret_key(&job.region, &job.name);
        let data = serde_json::to_vec(&Lease {
            holder: self.node.clone(),
            expires: now + LEASE_SECS,
        })
        .map_err(|e| Error::Internal(format!("encoding a lease: {e}")))?;
        let res = store.write(|tx| {
            let expect = match tx.get(KIND_LEASE, &job.account, &key)? {
                None => Expect::Absent,
                Some(r) => {
                    let held = serde_json::from_slice::<Lease>(&r.data)
                        .map(|l| l.expires > now && l.holder != self.node)
                        .unwrap_or(false);
                    if held {
                        return Ok(None);
                    }
                    Expect::Version(r.version)
                }
            };
            tx.put(KIND_LEASE, &job.account, &key, &data, expect)
                .map(Some)
        });
        match res {
            Ok(v) => Ok(v),
            Err(StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives the lease back (only the version this node wrote: a lease taken over is not ours).
    pub fn release(&self, store: &dyn Store, job: &Job, version: i64) {
        let key = secret_key(&job.region, &job.name);
        let res: Result<bool, StoreError> =
            store.write(|tx| tx.delete(KIND_LEASE, &job.account, &key, Expect::Version(version)));
        if let Err(e) = res {
            tracing::debug!(secret = %job.name, error = %e, "rotation lease not released");
        }
    }

    fn run_leased(
        &self,
        secrets: &Secrets,
        act_as: &dyn ActAs,
        job: &Job,
        now: i64,
    ) -> Result<Outcome, Error> {
        // Another node may have rotated since this node's index was built.
        secrets.refresh_secret(&job.account, &job.region, &job.name)?;
        let Some(secret) = secrets.find_record(&job.account, &job.region, &job.name) else {
            return Ok(Outcome::Nothing);
        };
        if secret.expired(now)
            || secret.meta.is_scheduled_for_deletion()
            || secret.meta.is_replica()
        {
            return Ok(Outcome::Nothing);
        }
        let Some(cfg) = secret.meta.rotation.clone() else {
            return Ok(Outcome::Nothing);
        };
        let token = match (&cfg.pending, &job.token) {
            (Some(p), Some(t)) if &p.token == t => p.token.clone(),
            (_, Some(_)) => return Ok(Outcome::Nothing),
            (Some(p), None) if cfg.enabled && p.retry_at <= now => p.token.clone(),
            (Some(_), None) => return Ok(Outcome::Nothing),
            (None, None) => {
                if !is_due(&secret, now) {
                    return Ok(Outcome::Nothing);
                }
                let token = uuid::Uuid::new_v4().to_string();
                match secrets.start_rotation(&secret, &token, false, now, |c| {
                    c.cloned()
                        .ok_or_else(|| Error::Internal("rotation not configured".into()))
                }) {
                    Ok(_) => token,
                    Err(e) => {
                        // A pending version someone else left: recorded, retried later.
                        let message = e.to_string();
                        secrets.note_blocked(&secret, &message, now)?;
                        return Ok(Outcome::Failed {
                            step: Step::CreateSecret,
                            message,
                        });
                    }
                }
            }
        };
        let Some(secret) = secrets.find_record(&job.account, &job.region, &job.name) else {
            return Ok(Outcome::Nothing);
        };
        self.steps(secrets, act_as, &secret, &token)
    }

    /// The four steps of the rotation `token` of `secret`.
    fn steps(
        &self,
        secrets: &Secrets,
        act_as: &dyn ActAs,
        secret: &Arc<Secret>,
        token: &str,
    ) -> Result<Outcome, Error> {
        let meta = &secret.meta;
        let Some(cfg) = meta.rotation.clone() else {
            return Ok(Outcome::Nothing);
        };
        let Some(pending) = cfg.pending.clone().filter(|p| p.token == token) else {
            return Ok(Outcome::Nothing);
        };
        let holds_pending = meta
            .version(token)
            .is_some_and(|v| v.stages.iter().any(|s| s == AWSPENDING));
        if !holds_pending {
            secrets.abandon(secret, token, self.now())?;
            return Ok(Outcome::Abandoned);
        }
        let fail = |step: Step, message: String| -> Result<Outcome, Error> {
            secrets.record_failure(secret, token, step, &message, self.now())?;
            Ok(Outcome::Failed { step, message })
        };
        let rotators = self.rotators();
        let Some(rotator) = cfg
            .lambda_arn
            .as_deref()
            .and_then(|a| rotators.for_lambda_arn(a))
        else {
            return fail(
                Step::CreateSecret,
                "the rotation function names no rotator this server offers".into(),
            );
        };
        let caller = match cfg.configured_by.caller() {
            Ok(c) => c,
            Err(e) => return fail(Step::CreateSecret, e.to_string()),
        };
        let string_of = |v: &VersionMeta| -> Result<Option<Zeroizing<String>>, String> {
            if v.empty {
                return Ok(None);
            }
            match secrets.open_value(secret, &v.id) {
                Ok(Plain::String(s)) => Ok(Some(s)),
                Ok(Plain::Binary(_)) => {
                    Err("a binary secret cannot be rotated by a built-in rotator".into())
                }
                Err(e) => Err(e.to_string()),
            }
        };
        let current = match meta.version_with_stage(AWSCURRENT).map(string_of) {
            Some(Ok(Some(s))) => s,
            Some(Err(m)) => return fail(Step::CreateSecret, m),
            _ => {
                return fail(
                    Step::CreateSecret,
                    "the secret has no AWSCURRENT value".into(),
                );
            }
        };
        let previous = match meta
            .version_with_stage(AWSPREVIOUS)
            .filter(|v| v.id != token)
            .map(string_of)
        {
            Some(Ok(s)) => s,
            _ => None,
        };
        let stored_pending = match meta.version(token).map(string_of) {
            Some(Ok(s)) => s,
            Some(Err(m)) => return fail(Step::CreateSecret, m),
            None => None,
        };
        let tags: Vec<(String, String)> = meta
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        let host = Host {
            arn: &meta.arn,
            token,
            tags,
            caller: &caller,
            region: &meta.region,
            act_as,
        };
        fn values<'v>(
            current: &'v str,
            previous: Option<&'v Zeroizing<String>>,
            pending: Option<&'v str>,
        ) -> Values<'v> {
            Values {
                current,
                previous: previous.map(|p| p.as_str()),
                pending,
            }
        }
        let values = |pending| values(current.as_str(), previous.as_ref(), pending);
        if pending.test_only {
            // RotateImmediately=false: testSecret on what is current, changing nothing outside;
            // the pending version goes away (aws-semantics-2.md §7.1).
            let res = rotator.test_secret(&host, &values(Some(current.as_str())));
            let failure = res.err().map(|e| (Step::TestSecret, e.message));
            secrets.end_test(secret, token, failure.clone(), self.now())?;
            return Ok(match failure {
                None => Outcome::Tested {
                    token: token.to_owned(),
                },
                Some((step, message)) => Outcome::Failed { step, message },
            });
        }
        let value = match stored_pending {
            Some(v) => v,
            None => {
                let v = match rotator.create_secret(&host, &values(None)) {
                    Ok(v) => v,
                    Err(e) => return fail(Step::CreateSecret, e.message),
                };
                if let Err(e) = secrets.store_pending(secret, token, &v, self.now()) {
                    return fail(Step::CreateSecret, e.to_string());
                }
                v
            }
        };
        if let Err(e) = rotator.set_secret(&host, &values(Some(value.as_str()))) {
            return fail(Step::SetSecret, e.message);
        }
        if let Err(e) = rotator.test_secret(&host, &values(Some(value.as_str()))) {
            return fail(Step::TestSecret, e.message);
        }
        let fresh = secrets
            .find_record(&secret.account, &meta.region, &meta.name)
            .unwrap_or_else(|| secret.clone());
        if let Err(e) = secrets.finish_rotation(&fresh, token, self.now()) {
            return fail(Step::FinishSecret, e.to_string());
        }
        Ok(Outcome::Rotated {
            token: token.to_owned(),
        })
    }
}

/// Whether the scheduler should run `secret`'s rotation at `now`.
fn is_due(secret: &Secret, now: i64) -> bool {
    let meta = &secret.meta;
    let Some(cfg) = &meta.rotation else {
        return false;
    };
    if !cfg.enabled || meta.is_replica() || meta.is_scheduled_for_deletion() || secret.expired(now)
    {
        return false;
    }
    match &cfg.pending {
        Some(p) => p.retry_at <= now,
        None => cfg.next_window.is_some_and(|(start, _)| start <= now),
    }
}

struct Host<'a> {
    arn: &'a str,
    token: &'a str,
    tags: Vec<(String, String)>,
    caller: &'a Caller,
    region: &'a str,
    act_as: &'a dyn ActAs,
}

impl RotationHost for Host<'_> {
    fn secret_arn(&self) -> &str {
        self.arn
    }
    fn token(&self) -> &str {
        self.token
    }
    fn tags(&self) -> &[(String, String)] {
        &self.tags
    }
    fn other_secret_value(&self, secret_id: &str) -> Result<Zeroizing<String>, RotationError> {
        self.act_as
            .secret_string(self.caller, self.region, secret_id)
    }
    fn random_password(&self, p: &PasswordParams) -> Result<Zeroizing<String>, RotationError> {
        crate::password::generate(&crate::password::PasswordSpec {
            length: p.length,
            exclude_characters: p.exclude_characters.clone(),
            exclude_numbers: p.exclude_numbers,
            exclude_punctuation: p.exclude_punctuation,
            exclude_uppercase: p.exclude_uppercase,
            exclude_lowercase: p.exclude_lowercase,
            include_space: p.include_space,
            require_each_included_type: p.require_each_included_type,
        })
        .map_err(|e| RotationError::new(e.to_string()))
    }
}

/// PutSecretValue or UpdateSecret moved `AWSCURRENT` to a new value: with an
/// `AutomaticallyAfterDays` schedule that "is considered a valid rotation" and the next rotation
/// is computed from it (RotationRulesType, API reference). `LastRotatedDate` is left as the last
/// rotation iamd ran [open: AWS's documentation does not say whether it moves].
pub(crate) fn value_changed_by_hand(meta: &mut SecretMeta, before: &SecretMeta, now: i64) {
    let current = |m: &SecretMeta| m.version_with_stage(AWSCURRENT).map(|v| v.id.clone());
    if current(meta) == current(before) {
        return;
    }
    if let Some(cfg) = meta.rotation.as_mut()
        && cfg.enabled
        && let Some(schedule) = &cfg.schedule
        && schedule.automatically_after_days.is_some()
    {
        cfg.next_window = Some(schedule.next_window(now));
    }
}

/// The version holding `AWSPENDING` while it is not the `AWSCURRENT` one: an unfinished
/// rotation (aws-semantics-2.md §7.1).
pub fn unfinished_rotation(meta: &SecretMeta) -> Option<&VersionMeta> {
    meta.version_with_stage(AWSPENDING)
        .filter(|v| !v.stages.iter().any(|s| s == AWSCURRENT))
}

impl Secrets {
    /// Every secret of every account and region (the scheduler's scan).
    pub fn all(&self) -> Vec<Arc<Secret>> {
        let Ok(idx) = self.index.read() else {
            return Vec::new();
        };
        idx.by_account
            .values()
            .flat_map(|r| r.values())
            .flat_map(|n| n.values())
            .cloned()
            .collect()
    }

    /// Reads one secret from the store again into the index (another node may have changed it
    /// since the last refresh).
    pub fn refresh_secret(&self, account: &str, region: &str, name: &str) -> Result<(), Error> {
        let _guard = self
            .writer
            .lock()
            .map_err(|_| Error::Internal("secrets writer lock poisoned".into()))?;
        let key = secret_key(region, name);
        let indexed = self.find_record(account, region, name);
        let loaded = self.store.read(|tx| {
            let Some(rec) = tx.get(crate::secrets::KIND_SECRET, account, &key)? else {
                return Ok::<_, Error>(None);
            };
            if indexed
                .as_ref()
                .is_some_and(|i| i.store_version == rec.version)
            {
                return Ok(Some(None));
            }
            let meta: SecretMeta = crate::secrets::from_json(&rec.data)?;
            let mut values = HashMap::new();
            for v in meta.versions.iter().filter(|v| !v.empty) {
                let known = indexed
                    .as_ref()
                    .filter(|i| i.meta.arn == meta.arn)
                    .and_then(|i| i.values.get(&v.id).cloned());
                let sealed = match known {
                    Some(s) => s,
                    None => match tx.get(
                        crate::secrets::KIND_VERSION,
                        account,
                        &version_key(region, name, &v.id),
                    )? {
                        Some(r) => Arc::new(crate::secrets::sealed_of(&r.data)?),
                        None => continue,
                    },
                };
                values.insert(v.id.clone(), sealed);
            }
            Ok(Some(Some((meta, rec.version, values))))
        })?;
        let mut idx = self
            .index
            .write()
            .map_err(|_| Error::Internal("secrets index lock poisoned".into()))?;
        let names = idx
            .by_account
            .entry(account.to_owned())
            .or_default()
            .entry(region.to_owned())
            .or_default();
        match loaded {
            None => {
                names.remove(name);
            }
            Some(None) => {}
            Some(Some((meta, version, values))) => {
                names.insert(
                    name.to_owned(),
                    Arc::new(Secret::new(meta, account.to_owned(), version, values)),
                );
            }
        }
        Ok(())
    }

    /// Starts a rotation of `secret` (RotateSecret, or the scheduler): its configuration becomes
    /// `config(stored)`, enabled, and the empty version `token` labelled `AWSPENDING` is
    /// created. Refused while an earlier rotation is unfinished, for a token already used, and
    /// for a secret that is deleted or a replica. Nothing is written when refused.
    pub fn start_rotation(
        &self,
        secret: &Secret,
        token: &str,
        test_only: bool,
        now: i64,
        config: impl FnOnce(Option<&RotationConfig>) -> Result<RotationConfig, Error>,
    ) -> Result<SecretMeta, Error> {
        self.mutate(&secret.account, &secret.meta.region, now, |s| {
            let current = s.current(secret, now)?;
            current.live_primary()?;
            if unfinished_rotation(&current.meta).is_some() {
                return Err(SecretsError::RotationInProgress.into());
            }
            if current.meta.version(token).is_some() {
                return Err(SecretsError::ClientRequestTokenInUse {
                    token: token.to_owned(),
                    arn: current.meta.arn.clone(),
                }
                .into());
            }
            let mut meta = current.meta.clone();
            let mut cfg = config(meta.rotation.as_ref())?;
            cfg.enabled = true;
            cfg.pending = Some(Pending {
                token: token.to_owned(),
                test_only,
                started: now,
                attempts: 0,
                retry_at: now + LEASE_SECS,
            });
            meta.rotation = Some(cfg);
            meta.versions.push(VersionMeta {
                id: token.to_owned(),
                stages: Vec::new(),
                created: now,
                empty: true,
            });
            meta.attach_stages(token, &[AWSPENDING.to_owned()]);
            meta.collect_garbage();
            Ok((
                vec![crate::secrets::write::put(
                    &current,
                    meta.clone(),
                    Vec::new(),
                )],
                meta,
            ))
        })
    }

    /// One read-modify-write of a secret's rotation state (no value added).
    fn rotation_write(
        &self,
        secret: &Secret,
        now: i64,
        change: impl FnOnce(&mut SecretMeta) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.mutate(&secret.account, &secret.meta.region, now, |s| {
            let current = s.current(secret, now)?;
            let mut meta = current.meta.clone();
            change(&mut meta)?;
            if meta == current.meta {
                return Ok((Vec::new(), ()));
            }
            Ok((
                vec![crate::secrets::write::put(&current, meta, Vec::new())],
                (),
            ))
        })
    }

    /// CancelRotateSecret: rotation disabled (its function and rules kept), the rotation in
    /// progress no longer run; labels stay as they are. Answers the pending version, if any.
    pub fn cancel_rotation(&self, secret: &Secret, now: i64) -> Result<SecretMeta, Error> {
        self.mutate(&secret.account, &secret.meta.region, now, |s| {
            let current = s.current(secret, now)?;
            current.live_primary()?;
            let mut meta = current.meta.clone();
            match meta.rotation.as_mut() {
                Some(cfg) if cfg.lambda_arn.is_some() => {
                    cfg.enabled = false;
                    cfg.pending = None;
                }
                _ => return Err(SecretsError::NoRotationToCancel.into()),
            }
            if meta == current.meta {
                return Ok((Vec::new(), meta));
            }
            Ok((
                vec![crate::secrets::write::put(
                    &current,
                    meta.clone(),
                    Vec::new(),
                )],
                meta,
            ))
        })
    }

    /// createSecret's value, stored into the empty pending version.
    fn store_pending(
        &self,
        secret: &Secret,
        token: &str,
        value: &str,
        now: i64,
    ) -> Result<(), Error> {
        self.mutate(&secret.account, &secret.meta.region, now, |s| {
            let current = s.current(secret, now)?;
            current.live_primary()?;
            let mut meta = current.meta.clone();
            still_pending(&meta, token)?;
            let Some(v) = meta.versions.iter_mut().find(|v| v.id == token && v.empty) else {
                return Err(Error::Internal(
                    "the pending version was filled in meanwhile; retrying".into(),
                ));
            };
            v.empty = false;
            let sealed = s.seal_value(
                &meta.arn,
                token,
                &Plain::String(Zeroizing::new(value.to_owned())),
            )?;
            Ok((
                vec![crate::secrets::write::put(
                    &current,
                    meta,
                    vec![(token.to_owned(), sealed)],
                )],
                (),
            ))
        })
    }

    /// finishSecret: `AWSCURRENT` to the token (the old current becomes `AWSPREVIOUS`),
    /// `AWSPENDING` off it, the rotation recorded and the next window computed.
    fn finish_rotation(&self, secret: &Secret, token: &str, now: i64) -> Result<(), Error> {
        self.rotation_write(secret, now, |meta| {
            if meta.is_scheduled_for_deletion() {
                return Err(SecretsError::MarkedForDeletion.into());
            }
            still_pending(meta, token)?;
            if meta.version(token).is_none_or(|v| v.empty) {
                return Err(Error::Internal("the pending version has no value".into()));
            }
            meta.attach_stages(token, &[AWSCURRENT.to_owned()]);
            meta.remove_stage(token, AWSPREVIOUS);
            meta.remove_stage(token, AWSPENDING);
            meta.collect_garbage();
            meta.last_changed = now;
            if let Some(cfg) = meta.rotation.as_mut() {
                cfg.pending = None;
                cfg.last_failure = None;
                cfg.last_rotated = Some(now);
                cfg.next_window = cfg.schedule.as_ref().map(|s| s.next_window(now));
            }
            Ok(())
        })
    }

    /// A failed step: recorded, the rotation retried after a backoff; `AWSPENDING` stays.
    fn record_failure(
        &self,
        secret: &Secret,
        token: &str,
        step: Step,
        message: &str,
        now: i64,
    ) -> Result<(), Error> {
        self.rotation_write(secret, now, |meta| {
            if let Some(cfg) = meta.rotation.as_mut() {
                if let Some(p) = cfg.pending.as_mut().filter(|p| p.token == token) {
                    p.attempts = p.attempts.saturating_add(1);
                    p.retry_at = now + backoff(p.attempts);
                }
                cfg.last_failure = Some(Failure {
                    step: step.as_str().to_owned(),
                    message: message.to_owned(),
                    at: now,
                });
            }
            Ok(())
        })
    }

    /// A scheduled rotation that could not start (an `AWSPENDING` someone else left): recorded,
    /// and tried again after a backoff (the window stays open).
    fn note_blocked(&self, secret: &Secret, message: &str, now: i64) -> Result<(), Error> {
        self.rotation_write(secret, now, |meta| {
            if let Some(cfg) = meta.rotation.as_mut() {
                if let Some((start, end)) = cfg.next_window {
                    let retry = now + BLOCKED_RETRY_SECS;
                    cfg.next_window = Some((retry.max(start), end.max(retry)));
                }
                cfg.last_failure = Some(Failure {
                    step: Step::CreateSecret.as_str().to_owned(),
                    message: message.to_owned(),
                    at: now,
                });
            }
            Ok(())
        })
    }

    /// The end of a test (RotateImmediately=false): the empty pending version removed, the
    /// failure recorded if the test failed.
    fn end_test(
        &self,
        secret: &Secret,
        token: &str,
        failure: Option<(Step, String)>,
        now: i64,
    ) -> Result<(), Error> {
        self.rotation_write(secret, now, |meta| {
            if meta.version(token).is_some_and(|v| v.empty) {
                meta.versions.retain(|v| v.id != token);
            } else {
                meta.remove_stage(token, AWSPENDING);
            }
            if let Some(cfg) = meta.rotation.as_mut() {
                if cfg.pending.as_ref().is_some_and(|p| p.token == token) {
                    cfg.pending = None;
                }
                cfg.last_failure = failure.map(|(step, message)| Failure {
                    step: step.as_str().to_owned(),
                    message,
                    at: now,
                });
            }
            Ok(())
        })
    }

    /// `AWSPENDING` was removed from the pending version (as AWS tells users to do after a
    /// failure): the rotation is dropped.
    fn abandon(&self, secret: &Secret, token: &str, now: i64) -> Result<(), Error> {
        self.rotation_write(secret, now, |meta| {
            if let Some(cfg) = meta.rotation.as_mut()
                && cfg.pending.as_ref().is_some_and(|p| p.token == token)
            {
                cfg.pending = None;
            }
            Ok(())
        })
    }
}

/// The rotation `token` is still the one in progress, its version still `AWSPENDING`.
fn still_pending(meta: &SecretMeta, token: &str) -> Result<(), Error> {
    let ours = meta
        .rotation
        .as_ref()
        .and_then(|c| c.pending.as_ref())
        .is_some_and(|p| p.token == token);
    let labelled = meta
        .version(token)
        .is_some_and(|v| v.stages.iter().any(|s| s == AWSPENDING));
    if ours && labelled {
        Ok(())
    } else {
        Err(Error::Internal(
            "the rotation was cancelled or replaced meanwhile".into(),
        ))
    }
}
