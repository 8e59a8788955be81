//! The service core: one value the server holds, dispatching authenticated requests to
//! operations.

use crate::accounts::{Accounts, Caller};
use crate::authz;
use crate::clock::Clock;
use crate::error::Error;
use crate::ops::{self, Authz, OpSpec};
use crate::sessions::{SessionClaims, SessionPrincipal};
use iamd_api::{Operation, Service, Value};
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
    iam_domain: crate::domains::IamDomain,
    sts_domain: crate::domains::StsDomain,
    secrets_domain: crate::domains::SecretsDomain,
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

/// What the server needs to know about an operation before running it.
#[derive(Debug, Clone, Copy)]
pub enum Dispatch {
    /// An operation of the typed tables ([`crate::registry`]).
    Typed(crate::registry::Entry),
    /// An operation of the older tables ([`crate::ops`]), until it is ported.
    Legacy(&'static OpSpec),
}

/// One request, decoded into its operation's typed input, ready to run.
pub struct Prepared {
    inner: PreparedInner,
}

enum PreparedInner {
    Iam(Box<dyn crate::op::Prepared<crate::domains::IamDomain>>),
    Sts(Box<dyn crate::op::Prepared<crate::domains::StsDomain>>),
    Secrets(Box<dyn crate::op::Prepared<crate::domains::SecretsDomain>>),
    Legacy(&'static OpSpec, Value),
}

impl Prepared {
    /// Whether the request must run where blocking is allowed: it reads or writes the store or
    /// can be CPU-heavy. Only in-memory hot paths run on an async worker.
    pub fn blocking(&self) -> bool {
        match &self.inner {
            PreparedInner::Iam(p) => p.blocking(),
            PreparedInner::Sts(p) => p.blocking(),
            PreparedInner::Secrets(p) => p.blocking(),
            PreparedInner::Legacy(spec, input) => Dispatch::Legacy(spec).mutates_for(input),
        }
    }
}

impl Dispatch {
    /// Whether the operation writes to the store.
    pub fn mutates(&self) -> bool {
        match self {
            Dispatch::Typed(e) => e.writes_ever(),
            Dispatch::Legacy(spec) => spec.mutates,
        }
    }

    /// Whether this request may write to the store: the operation's own flag, or an STS request
    /// carrying MFA (`SerialNumber` / `TokenCode`), which spends the code in the store. STS
    /// requests without MFA stay write-free.
    pub fn mutates_for(&self, input: &Value) -> bool {
        match self {
            Dispatch::Typed(e) => e.writes_ever(),
            Dispatch::Legacy(spec) => {
                spec.mutates
                    || (spec.service == Service::Sts
                        && (input.str("SerialNumber").is_some()
                            || input.str("TokenCode").is_some()))
            }
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
            iam_domain: crate::domains::IamDomain {
                iam: iam.clone(),
                accounts: accounts.clone(),
            },
            sts_domain: crate::domains::StsDomain {
                iam: iam.clone(),
                accounts: accounts.clone(),
                sessions: sessions.clone(),
                dev: options.dev,
            },
            secrets_domain: crate::domains::SecretsDomain {
                secrets: secrets.clone(),
                iam: iam.clone(),
            },
            accounts,
            authorizer: authz::Authorizer::new(iam.clone()),
            session_cache: crate::cache::GenCache::new("opened session tokens", 100_000),
            clock,
            secrets,
            iam,
            sessions,
            store,
            options,
        })
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
        if let Some(e) = crate::registry::find(op.service, op.name) {
            return Ok(Dispatch::Typed(e));
        }
        ops::find(op.service, op.name)
            .map(Dispatch::Legacy)
            .ok_or(Error::NotImplemented(op.name))
    }

    /// Moves a decoded request into its operation's typed input.
    pub fn prepare(&self, dispatch: Dispatch, input: Value) -> Result<Prepared, Error> {
        let inner = match dispatch {
            Dispatch::Typed(crate::registry::Entry::Iam(o)) => {
                PreparedInner::Iam(o.prepare(input)?)
            }
            Dispatch::Typed(crate::registry::Entry::Sts(o)) => {
                PreparedInner::Sts(o.prepare(input)?)
            }
            Dispatch::Typed(crate::registry::Entry::Secrets(o)) => {
                PreparedInner::Secrets(o.prepare(input)?)
            }
            Dispatch::Legacy(spec) => PreparedInner::Legacy(spec, input),
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
            PreparedInner::Legacy(spec, input) => {
                let ctx = ops::Ctx {
                    core: self,
                    caller,
                    region,
                };
                session_limits(spec.service, spec.name, caller)?;
                self.authorize(spec, &ctx, &input)?;
                (spec.run)(&ctx, &input)
            }
        }
    }

    /// What a request would be authorized on, without authorizing or running it: its operation
    /// resolves its target and derives its plan (for tests and `explain`-style tools). Only
    /// operations of the typed tables have a plan.
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
            Dispatch::Typed(crate::registry::Entry::Iam(o)) => {
                o.plan_only(&self.iam_domain, &req, input)
            }
            Dispatch::Typed(crate::registry::Entry::Sts(o)) => {
                o.plan_only(&self.sts_domain, &req, input)
            }
            Dispatch::Typed(crate::registry::Entry::Secrets(o)) => {
                o.plan_only(&self.secrets_domain, &req, input)
            }
            Dispatch::Legacy(spec) => Err(Error::Internal(format!(
                "{} has no plan: it is not in the typed tables yet",
                spec.name
            ))),
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

    /// A role's trust policy as AWS holds it now: see [`crate::iam::Iam::role_trust`].
    pub fn role_trust(&self, role: &crate::iam::RoleRecord) -> String {
        self.iam.role_trust(role)
    }

    /// A policy holding principals by unique id as AWS holds it now: see
    /// [`crate::iam::Iam::policy_now`].
    pub fn policy_now(&self, text: &str, ids: &crate::iam::principal_ids::PrincipalIds) -> String {
        self.iam.policy_now(text, ids)
    }

    /// The unique id of a user or role as IAM has it now: see [`crate::iam::Iam::current_id`].
    fn current_id(&self, kind: &str, account: &str, name: &str) -> Option<String> {
        self.iam.current_id(kind, account, name)
    }

    /// Fails closed: anything not positively allowed is denied with AWS's AccessDenied text.
    fn authorize(&self, spec: &OpSpec, ctx: &ops::Ctx<'_>, input: &Value) -> Result<(), Error> {
        let (action, resource_fn) = match spec.authz {
            // Documented as needing no permission, and an explicit deny does not stop it:
            // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
            Authz::NoPermissionNeeded => return Ok(()),
            // The operation decides with more than one policy lookup (sts:AssumeRole: the role's
            // trust policy in the role's account) and calls `authorize_request` itself.
            Authz::InOperation { .. } => return Ok(()),
            Authz::Action { action, resource } => (action, resource),
        };
        let resource = resource_fn(ctx, input)?;
        self.authorize_in(
            ctx.caller,
            spec.service,
            ctx.region,
            action,
            resource.as_deref(),
            authz::request_context(spec.service, spec.name, input),
            spec.service == Service::Iam && authz::iam_target_boundary(spec.name),
        )
    }

    /// Decides one action on one resource for a caller with the policy engine: the caller's
    /// identity policies and boundary, the resource's own policy. Operations that authorize more
    /// than their own action (BatchGetSecretValue per secret) call this too.
    pub fn authorize_action(
        &self,
        caller: &Caller,
        service: Service,
        region: &str,
        action: &str,
        resource: Option<&str>,
    ) -> Result<(), Error> {
        self.authorize_with(
            caller,
            service,
            region,
            action,
            resource,
            iamd_policy::Context::new(),
        )
    }

    /// [`authorize_action`](Self::authorize_action) with the request's own condition keys.
    pub fn authorize_with(
        &self,
        caller: &Caller,
        service: Service,
        region: &str,
        action: &str,
        resource: Option<&str>,
        request_context: iamd_policy::Context,
    ) -> Result<(), Error> {
        self.authorize_in(
            caller,
            service,
            region,
            action,
            resource,
            request_context,
            false,
        )
    }

    /// [`authorize_with`](Self::authorize_with); `target_boundary`: the action carries the
    /// target user's or role's boundary as `iam:PermissionsBoundary` unless the request sets one.
    #[allow(clippy::too_many_arguments)]
    fn authorize_in(
        &self,
        caller: &Caller,
        service: Service,
        region: &str,
        action: &str,
        resource: Option<&str>,
        request_context: iamd_policy::Context,
        target_boundary: bool,
    ) -> Result<(), Error> {
        // AWS-managed policies (`arn:aws:iam::aws:policy/…`) belong to no customer account;
        // reading them is judged as in the caller's own account.
        let resource_account = resource.and_then(arn_account).filter(|a| *a != "aws");
        let mut context = request_context;
        // IAM is global: its requests carry us-east-1 (aws-semantics.md §3.2).
        context.set_static(
            "aws:RequestedRegion",
            if service == Service::Iam {
                "us-east-1"
            } else {
                region
            },
        );
        let resource_policy = match resource {
            Some(arn) => self.resource_facts(arn, &mut context, target_boundary)?,
            None => None,
        };
        self.authorizer.decide(
            caller,
            authz::AuthzRequest {
                service,
                action,
                resource,
                resource_account,
                context,
                resource_policy,
                resource_kind: iamd_policy::ResourcePolicyKind::Generic,
            },
            self.now(),
        )
    }

    /// Decides one fully described request (its resource policy and context given by the
    /// operation) for a caller: the caller's identity policies, boundary and session policies,
    /// and `req.resource_policy`.
    pub fn authorize_request(
        &self,
        caller: &Caller,
        req: authz::AuthzRequest<'_>,
    ) -> Result<(), Error> {
        self.authorizer.decide(caller, req, self.now())
    }

    /// What the resource contributes to a decision: its resource-based policy (a secret's) and
    /// its context keys, per the Service Authorization Reference: a secret's
    /// `aws:ResourceTag/*`, `secretsmanager:ResourceTag/*`, `secretsmanager:SecretId` and
    /// `secretsmanager:SecretPrimaryRegion`; an IAM user's or role's `aws:ResourceTag/*` and
    /// `iam:ResourceTag/*` (and, for the actions that list it, its boundary as
    /// `iam:PermissionsBoundary`); a managed policy's, instance profile's or virtual MFA device's
    /// `aws:ResourceTag/*`. Keys the request set are kept.
    fn resource_facts(
        &self,
        arn: &str,
        context: &mut iamd_policy::Context,
        target_boundary: bool,
    ) -> Result<Option<authz::ResourcePolicy>, Error> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_), Some(service), Some(region), Some(account)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Ok(None);
        };
        if service == "iam" {
            if let Some(facts) = self.iam.resource_facts(account, arn)? {
                let iam_keys = matches!(facts.kind, "user" | "role");
                for tag in &facts.tags {
                    context.set(&format!("aws:ResourceTag/{}", tag.key), tag.value.as_str());
                    if iam_keys {
                        context.set(&format!("iam:ResourceTag/{}", tag.key), tag.value.as_str());
                    }
                }
                if target_boundary
                    && context.get("iam:PermissionsBoundary").is_none()
                    && let Some(b) = &facts.boundary
                {
                    context.set("iam:PermissionsBoundary", b.as_str());
                }
            }
            return Ok(None);
        }
        if service != "secretsmanager" {
            return Ok(None);
        }
        let Some(secret) = self.secrets.find(account, region, arn, self.now()) else {
            return Ok(None);
        };
        context.set_static("secretsmanager:SecretId", secret.meta.arn.as_str());
        // The region the secret was created in: a replica's primary region.
        context.set_static(
            "secretsmanager:SecretPrimaryRegion",
            secret.meta.primary_region(),
        );
        for tag in &secret.meta.tags {
            context.set(&format!("aws:ResourceTag/{}", tag.key), tag.value.as_str());
            context.set(
                &format!("secretsmanager:ResourceTag/{}", tag.key),
                tag.value.as_str(),
            );
        }
        Ok(secret
            .meta
            .policy
            .as_deref()
            .map(|text| authz::ResourcePolicy {
                doc: authz::PolicyDoc {
                    id: secret.meta.arn.clone(),
                    // Principals deleted (or recreated) since the policy was put match nobody.
                    text: self.policy_now(text, &secret.meta.policy_ids),
                },
                kind: iamd_policy::ResourcePolicyKind::Generic,
            }))
    }

    /// Rebuilds every in-memory view (access keys, secrets, compiled policies) from the store:
    /// what a node does when another node sharing the database committed a change.
    pub fn refresh_from_store(&self) -> Result<(), Error> {
        self.accounts.reload()?;
        self.secrets.reload()?;
        self.iam.invalidate();
        Ok(())
    }

    /// Dev-mode reset: every record removed, every in-memory index emptied.
    pub fn reset(&self) -> Result<(), Error> {
        self.accounts.reset()?;
        self.iam.invalidate();
        self.iam.forget_mfa_failures();
        self.secrets.reload()
    }
}

/// What temporary credentials may not do, whatever their policies say
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html>, the
/// comparison of STS operations): `GetSessionToken` credentials call IAM only with MFA and STS
/// only for AssumeRole and GetCallerIdentity; `GetFederationToken` credentials call neither IAM
/// nor STS except GetCallerIdentity; no session calls GetSessionToken or GetFederationToken.
/// IAM answers such calls `InvalidClientTokenId` (observed: aws-sdk-js#460, cloudyr/aws.iam#15);
/// STS answers `AccessDenied: Cannot call <Op> with session credentials` (observed:
/// aws-sdk-net#1704, granted#151).
pub(crate) fn session_limits(service: Service, name: &str, caller: &Caller) -> Result<(), Error> {
    let Some(s) = &caller.session else {
        return Ok(());
    };
    let invalid = || Error::from(crate::error::StsError::SessionNotValidForIam);
    let cannot = || {
        Error::from(crate::error::StsError::SessionCredentialsNotAllowed {
            operation: name.to_owned(),
        })
    };
    if service == Service::Sts && matches!(name, "GetSessionToken" | "GetFederationToken") {
        return Err(cannot());
    }
    match &s.principal {
        SessionPrincipal::User { .. } | SessionPrincipal::Root => {
            if service == Service::Iam && s.mfa_at.is_none() {
                return Err(invalid());
            }
            if service == Service::Sts && !matches!(name, "AssumeRole" | "GetCallerIdentity") {
                return Err(cannot());
            }
        }
        SessionPrincipal::FederatedUser { .. } => {
            if service == Service::Iam {
                return Err(invalid());
            }
            if service == Service::Sts && name != "GetCallerIdentity" {
                return Err(cannot());
            }
        }
        SessionPrincipal::AssumedRole { .. } => {}
    }
    Ok(())
}

/// The account field of an ARN (`arn:partition:service:region:account:resource`), if it has one.
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let account = parts.nth(3)?;
    (!account.is_empty()).then_some(account)
}

/// Dispatches by service and name; used by tests to run an operation without the wire.
pub fn spec_for(service: Service, name: &str) -> Option<&'static OpSpec> {
    ops::find(service, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_accounts() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:user/a"),
            Some("123456789012")
        );
        assert_eq!(
            arn_account("arn:aws:secretsmanager:us-east-1:111111111111:secret:a-AbCdEf"),
            Some("111111111111")
        );
        assert_eq!(
            arn_account("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            Some("aws")
        );
        assert_eq!(arn_account("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_account("my-secret"), None);
    }
}
