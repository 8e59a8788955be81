//! The service: one value the server holds, dispatching authenticated requests to
//! operations.

use crate::accounts::{Accounts, Caller};
use crate::authz;
use crate::clock::Clock;
use crate::error::Error;
use crate::sessions::{SessionClaims, SessionPrincipal};
use iamd_api::{Operation, Value};
use iamd_crypto::MasterKey;
use iamd_store::Store;
use std::sync::Arc;

/// Options the binary passes in.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--dev`: `test`/`test` and 12-digit key ids authenticate as account roots.
    pub dev: bool,
    /// The id of the key that seals new session tokens (`--session-key-id`); tokens of the id
    /// before it are still accepted. 0 means the default, 1.
    pub session_key_id: u8,
}

pub struct Iamd {
    pub accounts: Arc<Accounts>,
    /// Decides plans; owns the policy caches. Operations never see it.
    authorizer: authz::Authorizer,
    /// Session tokens already opened (see `open_session`); content-addressed, so one generation.
    session_cache: crate::cache::GenCache<String, Arc<SessionClaims>>,
    pub clock: Arc<dyn Clock>,
    /// IAM users, groups, roles, policies and instance profiles.
    pub iam: Arc<crate::iam::Iam>,
    store: Arc<dyn Store>,
    options: Options,
    /// Secrets Manager: secrets of every account and region, indexed in memory.
    pub secrets: Arc<crate::secrets::Secrets>,
    /// The sealing keys of STS session tokens.
    pub sessions: Arc<crate::sessions::SessionKeys>,
    /// What each service's typed operations act through.
    iam_domain: crate::iam::IamDomain,
    sts_domain: crate::sts::StsDomain,
    secrets_domain: crate::secrets::SecretsDomain,
    cloudtrail_domain: crate::cloudtrail::CloudTrailDomain,
}

/// Why temporary credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAuthError {
    /// Not a token iamd issued, altered, issued for another access key id, or its role or user
    /// no longer exists: `InvalidClientTokenId` / `UnrecognizedClientException`.
    Invalid,
    /// Past its expiration: `ExpiredToken` (query, 403) / `ExpiredTokenException` (JSON, 400).
    Expired,
}

/// The operation a request names, as iamd serves it: an entry of one of the typed tables.
pub type Dispatch = crate::registry::Entry;

/// One request, decoded into its operation's typed input, ready to run.
pub struct Prepared {
    inner: PreparedInner,
}

enum PreparedInner {
    Iam(Box<dyn crate::op::Prepared<crate::iam::IamDomain>>),
    Sts(Box<dyn crate::op::Prepared<crate::sts::StsDomain>>),
    Secrets(Box<dyn crate::op::Prepared<crate::secrets::SecretsDomain>>),
    CloudTrail(Box<dyn crate::op::Prepared<crate::cloudtrail::CloudTrailDomain>>),
}

impl Prepared {
    /// Whether the request must run where blocking is allowed: it reads or writes the store or
    /// can be CPU-heavy. Only in-memory hot paths run on an async worker.
    pub fn blocking(&self) -> bool {
        match &self.inner {
            PreparedInner::Iam(p) => p.blocking(),
            PreparedInner::Sts(p) => p.blocking(),
            PreparedInner::Secrets(p) => p.blocking(),
            PreparedInner::CloudTrail(p) => p.blocking(),
        }
    }
}

impl Iamd {
    pub fn open(
        store: Arc<dyn Store>,
        master: &MasterKey,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<Self, Error> {
        let accounts = Arc::new(Accounts::open(store.clone(), master, options.dev)?);
        let iam = Arc::new(crate::iam::Iam::new(
            store.clone(),
            master.sealing_key(b"mfa-seed v1"),
        ));
        let secrets = Arc::new(crate::secrets::Secrets::open(store.clone(), master)?);
        let sessions = Arc::new(crate::sessions::SessionKeys::with_current(
            master,
            options.session_key_id,
        ));
        Ok(Self {
            iam_domain: crate::iam::IamDomain {
                iam: iam.clone(),
                accounts: accounts.clone(),
            },
            sts_domain: crate::sts::StsDomain {
                iam: iam.clone(),
                accounts: accounts.clone(),
                sessions: sessions.clone(),
                dev: options.dev,
            },
            secrets_domain: crate::secrets::SecretsDomain {
                secrets: secrets.clone(),
                iam: iam.clone(),
                rotation: Arc::new(crate::secrets::rotation::Engine::new(clock.clone())),
            },
            // No audit store connected: LookupEvents finds nothing until one is
            // (`Iamd::with_event_query`).
            cloudtrail_domain: crate::cloudtrail::CloudTrailDomain::new(Arc::new(
                crate::cloudtrail::MemoryEvents::new(),
            )),
            accounts,
            authorizer: authz::Authorizer::new(iam.clone()),
            session_cache: crate::cache::GenCache::new(
                "opened session tokens",
                "session_tokens",
                100_000,
            ),
            clock,
            secrets,
            iam,
            sessions,
            store,
            options,
        })
    }

    /// Connects the events LookupEvents searches (the audit store, through an adapter that
    /// implements [`crate::cloudtrail::EventQuery`]). Until then LookupEvents finds nothing.
    pub fn with_event_query(mut self, events: Arc<dyn crate::cloudtrail::EventQuery>) -> Self {
        self.cloudtrail_domain = crate::cloudtrail::CloudTrailDomain::new(events);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn dev(&self) -> bool {
        self.options.dev
    }

    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// Finds how iamd serves `op`; `Err(NotImplemented)` for operations AWS has and iamd lacks.
    pub fn dispatch(&self, op: &'static Operation) -> Result<Dispatch, Error> {
        crate::registry::find(op.service, op.name).ok_or(Error::NotImplemented(op.name))
    }

    /// Moves a decoded request into its operation's typed input.
    pub fn prepare(&self, dispatch: Dispatch, input: Value) -> Result<Prepared, Error> {
        let inner = match dispatch {
            Dispatch::Iam(o) => PreparedInner::Iam(o.prepare(input)?),
            Dispatch::Sts(o) => PreparedInner::Sts(o.prepare(input)?),
            Dispatch::Secrets(o) => PreparedInner::Secrets(o.prepare(input)?),
            Dispatch::CloudTrail(o) => PreparedInner::CloudTrail(o.prepare(input)?),
        };
        Ok(Prepared { inner })
    }

    /// Resolves, authorizes and runs one prepared request for an authenticated caller.
    pub fn run(&self, prepared: Prepared, caller: &Caller, region: &str) -> Result<Value, Error> {
        let req = crate::op::Request {
            caller,
            region,
            now: self.now(),
        };
        match prepared.inner {
            PreparedInner::Iam(p) => p.run(&self.iam_domain, &self.authorizer, &req),
            PreparedInner::Sts(p) => p.run(&self.sts_domain, &self.authorizer, &req),
            PreparedInner::Secrets(p) => p.run(&self.secrets_domain, &self.authorizer, &req),
            PreparedInner::CloudTrail(p) => p.run(&self.cloudtrail_domain, &self.authorizer, &req),
        }
    }

    /// What a request would be authorized on, without authorizing or running it: its operation
    /// resolves its target and derives its plan (for tests and `explain`-style tools).
    pub fn plan_of(
        &self,
        dispatch: Dispatch,
        caller: &Caller,
        region: &str,
        input: Value,
    ) -> Result<crate::op::Plan, Error> {
        let req = crate::op::Request {
            caller,
            region,
            now: self.now(),
        };
        match dispatch {
            Dispatch::Iam(o) => o.plan_only(&self.iam_domain, &req, input),
            Dispatch::Sts(o) => o.plan_only(&self.sts_domain, &req, input),
            Dispatch::Secrets(o) => o.plan_only(&self.secrets_domain, &req, input),
            Dispatch::CloudTrail(o) => o.plan_only(&self.cloudtrail_domain, &req, input),
        }
    }

    /// Authorizes and runs one operation for an authenticated caller (tests and benches; the
    /// server prepares and runs, choosing a thread in between).
    pub fn handle(
        &self,
        dispatch: Dispatch,
        caller: &Caller,
        region: &str,
        input: &Value,
    ) -> Result<Value, Error> {
        let prepared = self.prepare(dispatch, input.clone())?;
        self.run(prepared, caller, region)
    }

    /// Authenticates temporary credentials: the token must open under a session-token key, name
    /// the access key id the request was signed with, not be expired, and its role (or user)
    /// must still be the one it was issued for (a deleted and re-created role has a new id). The
    /// caller then verifies the signature with the session's secret.
    pub fn authenticate_session(
        &self,
        token: &str,
        access_key_id: &str,
    ) -> Result<Arc<SessionClaims>, SessionAuthError> {
        let claims = self.open_session(token)?;
        if claims.access_key_id != access_key_id {
            return Err(SessionAuthError::Invalid);
        }
        if claims.expires_at <= self.now() {
            return Err(SessionAuthError::Expired);
        }
        let still_there = match &claims.principal {
            SessionPrincipal::AssumedRole {
                role_name, role_id, ..
            } => self
                .current_id("role", &claims.account, role_name)
                .is_some_and(|id| id == *role_id),
            SessionPrincipal::User { name, id, .. } => self
                .current_id("user", &claims.account, name)
                .is_some_and(|current| current == *id),
            SessionPrincipal::Root => true,
            // A token without the user's id (sealed before ids were recorded) is refused.
            SessionPrincipal::FederatedUser { user, user_id, .. } => match (user, user_id) {
                (Some(arn), Some(id)) => {
                    let name = arn.rsplit('/').next().unwrap_or_default();
                    self.current_id("user", &claims.account, name).as_ref() == Some(id)
                }
                (Some(_), None) => false,
                (None, _) => true,
            },
        };
        if !still_there {
            return Err(SessionAuthError::Invalid);
        }
        Ok(claims)
    }

    /// Opens a session token, from a cache of tokens already opened: a session's requests
    /// repeat its token, and opening costs an AES-GCM open and a JSON parse. Only tokens that
    /// opened are cached (expiry and the principal's existence are checked on every request).
    fn open_session(&self, token: &str) -> Result<Arc<SessionClaims>, SessionAuthError> {
        if let Some(c) = self.session_cache.get(token, 0) {
            return Ok(c);
        }
        let claims = Arc::new(
            self.sessions
                .open(token)
                .map_err(|_| SessionAuthError::Invalid)?,
        );
        self.session_cache
            .insert(token.to_owned(), 0, claims.clone());
        Ok(claims)
    }

    /// The unique id of a user or role as IAM has it now: see [`crate::iam::Iam::current_id`].
    fn current_id(&self, kind: &str, account: &str, name: &str) -> Option<String> {
        self.iam.current_id(kind, account, name)
    }

    /// The authorizer: decides plans (tests use it to decide one directly).
    pub fn authorizer(&self) -> &authz::Authorizer {
        &self.authorizer
    }

    /// Rebuilds every in-memory view (access keys, secrets, compiled policies) from the store:
    /// what a node does when another node sharing the database committed a change.
    pub fn refresh_from_store(&self) -> Result<(), Error> {
        self.accounts.reload()?;
        self.secrets.reload()?;
        self.iam.invalidate();
        Ok(())
    }

    /// The rotation engine: its rotators ([`crate::secrets::rotation::Engine::set_rotators`]:
    /// the binary passes the rotators it configured), its queue and its clock.
    pub fn rotation(&self) -> &Arc<crate::secrets::rotation::Engine> {
        &self.secrets_domain.rotation
    }

    /// Runs the rotations RotateSecret queued, then every rotation that is due (the scheduler's
    /// tick). Blocks for as long as the rotators do: call it on the rotation thread (see
    /// [`Iamd::spawn_rotation_thread`]) or in tests, never on an async worker.
    pub fn run_rotations(
        &self,
    ) -> Vec<(
        crate::secrets::rotation::Job,
        crate::secrets::rotation::Outcome,
    )> {
        let reader = ReadAs { core: self };
        self.secrets_domain.rotation.run(&self.secrets, &reader)
    }

    /// Starts the rotation thread: it runs what RotateSecret queues at once, and looks for due
    /// rotations every `period`. Rotators may block (databases, HTTP): they run here, never on
    /// an async worker nor under the secrets writer lock.
    pub fn spawn_rotation_thread(
        self: &Arc<Self>,
        period: std::time::Duration,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let core = self.clone();
        std::thread::Builder::new()
            .name("iamd-rotation".into())
            .spawn(move || {
                loop {
                    core.run_rotations();
                    core.rotation().wait(period);
                }
            })
    }

    /// Starts the thread that writes last-use data (issue #14) to the store every `period`.
    pub fn spawn_last_used_thread(
        self: &Arc<Self>,
        period: std::time::Duration,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let core = self.clone();
        std::thread::Builder::new()
            .name("iamd-last-used".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(period);
                    core.flush_last_used();
                }
            })
    }

    /// Writes the last-use data held in memory to the store now (the flush thread, shutdown).
    pub fn flush_last_used(&self) {
        if let Err(e) = self.iam.flush_last_used() {
            tracing::warn!(error = %e, "writing last-use data failed; retrying on the next flush");
        }
    }

    /// Dev-mode reset: every record removed, every in-memory index emptied.
    pub fn reset(&self) -> Result<(), Error> {
        self.iam.last_used.reset();
        self.accounts.reset()?;
        self.iam.invalidate();
        self.iam.forget_mfa_failures();
        self.secrets_domain.rotation.reset();
        // The audit log too ("every record removed"); a store without one has nothing to wipe.
        if let Err(e) = self.store.audit_prune(i64::MAX) {
            tracing::debug!(error = %e, "dev reset: no audit log wiped");
        }
        self.secrets.reload()
    }
}

/// The rotator's reads of other secrets: GetSecretValue as the principal that configured the
/// rotation, through the same operation and authorizer as a request of that principal
/// (identity and resource policies, session policies, the KMS default key's account rule).
struct ReadAs<'a> {
    core: &'a Iamd,
}

impl crate::secrets::rotation::ActAs for ReadAs<'_> {
    fn secret_string(
        &self,
        by: &Caller,
        region: &str,
        secret_id: &str,
    ) -> Result<zeroize::Zeroizing<String>, iamd_rotators::RotationError> {
        use iamd_api::secretsmanager as api;
        use iamd_api::{FromValue, IntoValue};
        let input = api::GetSecretValueRequest {
            secret_id: secret_id.to_owned(),
            version_id: None,
            version_stage: None,
        }
        .into_value();
        let out = crate::registry::find(iamd_api::Service::SecretsManager, "GetSecretValue")
            .ok_or(Error::NotImplemented("GetSecretValue"))
            .and_then(|d| self.core.handle(d, by, region, &input))
            .and_then(|v| {
                api::GetSecretValueResponse::from_value(v)
                    .map_err(|e| Error::Internal(format!("GetSecretValue output: {e}")))
            });
        let error = |e: &Error| {
            let (code, message) = e
                .code_and_message(iamd_api::Service::SecretsManager)
                .unwrap_or(("InternalServiceError", e.to_string()));
            iamd_rotators::RotationError::new(format!(
                "reading {secret_id} as {}: {code}: {message}",
                by.arn()
            ))
        };
        match out {
            Ok(r) => r.secret_string.map(zeroize::Zeroizing::new).ok_or_else(|| {
                iamd_rotators::RotationError::new(format!("{secret_id} has no SecretString"))
            }),
            Err(e) => Err(error(&e)),
        }
    }
}
