//! The authorizer: owns the policy caches and decides plans. Operations never see it; the
//! framework calls it between an operation's `plan` and its `act` (see `crate::op`).

use super::{
    AuthzRequest, CallerView, CompiledPolicies, PolicyCache, PolicyDoc, PrincipalPolicies,
};
use crate::accounts::{Caller, Principal};
use crate::cache::GenCache;
use crate::error::Error;
use crate::op::{Check, OnDeny, Plan, Request, Verdicts};
use iamd_api::Service;
use iamd_policy::{Context, ResourcePolicyKind};
use std::sync::Arc;

/// Where the authorizer reads principals' policies from (IAM), and the generation of that data.
pub trait Directory: Send + Sync {
    /// Moves after every change of IAM data: cached compilations built before are stale.
    fn generation(&self) -> u64;
    /// A user's inline, attached and groups' policies, boundary and tags.
    fn user_policies(&self, account: &str, name: &str) -> Result<PrincipalPolicies, Error>;
    /// A role's inline and attached policies, boundary and tags.
    fn role_policies(&self, account: &str, name: &str) -> Result<PrincipalPolicies, Error>;
    /// The default version's document of a managed policy (`None`: it does not exist).
    fn managed_policy_document(&self, account: &str, arn: &str) -> Result<Option<String>, Error>;
}

/// One cached view, with the caller it was built for.
#[derive(Clone)]
struct CachedView {
    issued_at: Option<i64>,
    account: String,
    principal: Principal,
    view: Arc<CallerView>,
}

/// Compiled policies per principal and the engine's view per credential, both valid for one
/// generation of the directory's data; compiled documents shared by text.
pub struct Authorizer {
    directory: Arc<dyn Directory>,
    policies: PolicyCache,
    /// Compiled policies per principal (users by name, sessions by temporary key id).
    principals: GenCache<String, Arc<CompiledPolicies>>,
    /// The engine's view of each credential, by access key id. A view holds a principal's facts
    /// and context keys (a kilobyte or two): the bound keeps it near 30 MB.
    views: GenCache<String, CachedView>,
}

impl Authorizer {
    pub fn new(directory: Arc<dyn Directory>) -> Authorizer {
        Authorizer {
            directory,
            policies: PolicyCache::default(),
            principals: GenCache::new("compiled principal policies", "principal_policies", 100_000),
            views: GenCache::new("caller views", "caller_views", 20_000),
        }
    }

    /// The compiled-document cache (shared by text, so an AWS managed policy attached everywhere
    /// is parsed once).
    pub fn policy_cache(&self) -> &PolicyCache {
        &self.policies
    }

    /// Decides one fully described request for a caller (`req` carries the resource, its
    /// policy and the context keys). Adds the request's origin keys.
    pub fn decide(
        &self,
        caller: &Caller,
        mut req: AuthzRequest<'_>,
        now: i64,
    ) -> Result<(), Error> {
        caller.origin.add_to(&mut req.context);
        let view = self.caller_view(caller)?;
        super::decide(&self.policies, &view, req, timestamp(now)?)
    }

    /// Decides one check of a plan: the caller's identity policies, boundary and session
    /// policies, the resource's policy, the resource's keys, then the request's (which win: a
    /// request setting `iam:PermissionsBoundary` overrides the target's current one).
    fn decide_check(&self, service: Service, req: &Request<'_>, check: Check) -> Result<(), Error> {
        let (resource, resource_account, mut context, policy, kind) = match check.resource {
            Some(r) => (Some(r.name), r.account, r.keys, r.policy, r.policy_kind),
            None => (
                None,
                None,
                Context::new(),
                None,
                ResourcePolicyKind::Generic,
            ),
        };
        context.extend(check.keys);
        // IAM is global: its requests carry us-east-1 (aws-semantics.md §3.2).
        context.set_static(
            "aws:RequestedRegion",
            if service == Service::Iam {
                "us-east-1"
            } else {
                req.region
            },
        );
        self.decide(
            req.caller,
            AuthzRequest {
                service,
                action: check.action,
                resource: resource.as_deref(),
                resource_account: resource_account.as_deref(),
                context,
                resource_policy: policy.map(|doc| super::ResourcePolicy { doc, kind }),
                resource_kind: kind,
            },
            req.now,
        )
    }

    /// The engine's view of the caller, cached per access key id while the directory's
    /// generation stays the same. An entry is used only for the very caller it was built for
    /// (same account, principal and session issue time), so a reused key id can never borrow
    /// another's view.
    pub fn caller_view(&self, caller: &Caller) -> Result<Arc<CallerView>, Error> {
        let generation = self.directory.generation();
        let issued_at = caller.session.as_ref().map(|s| s.issued_at);
        if let Some(c) = self.views.get(caller.access_key_id.as_str(), generation)
            && c.issued_at == issued_at
            && c.account == caller.account
            && c.principal == caller.principal
        {
            return Ok(c.view);
        }
        let view = Arc::new(CallerView::new(caller, self.compiled_policies(caller)?));
        self.views.insert(
            caller.access_key_id.clone(),
            generation,
            CachedView {
                issued_at,
                account: caller.account.clone(),
                principal: caller.principal.clone(),
                view: view.clone(),
            },
        );
        Ok(view)
    }

    /// The caller's compiled policies, from the per-principal cache. An entry is valid while the
    /// generation it was built at is current: every IAM write moves the generation, so a change
    /// is enforced on the next request.
    fn compiled_policies(&self, caller: &Caller) -> Result<Arc<CompiledPolicies>, Error> {
        let key = match &caller.principal {
            Principal::Root => return Ok(Arc::new(CompiledPolicies::default())),
            Principal::User { name, .. } => {
                format!("{}/user/{}", caller.account, name.to_lowercase())
            }
            // A session's policies and tags are its own: one entry per session (its temporary
            // access key id is unique).
            Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => {
                format!("{}/session/{}", caller.account, caller.access_key_id)
            }
        };
        self.principals
            .get_or_try_insert(key, self.directory.generation(), || {
                Ok(Arc::new(super::compile(
                    &self.policies,
                    &self.principal_policies(caller)?,
                )?))
            })
    }

    /// The identity policies, boundary, tags and session policies of the caller. Account roots
    /// have no identity policies (the engine allows a root on its own account by default).
    pub fn principal_policies(&self, caller: &Caller) -> Result<PrincipalPolicies, Error> {
        let d = &self.directory;
        let mut p = match &caller.principal {
            Principal::Root => PrincipalPolicies::default(),
            Principal::User { name, .. } => d.user_policies(&caller.account, name)?,
            Principal::AssumedRole { role_name, .. } => {
                d.role_policies(&caller.account, role_name)?
            }
            // A federated user's permissions are the intersection of its IAM user's policies and
            // the session policies (the engine grants nothing without a session policy).
            Principal::FederatedUser { user, .. } => match user {
                Some(arn) => {
                    let name = arn.rsplit('/').next().unwrap_or_default();
                    d.user_policies(&caller.account, name)?
                }
                None => PrincipalPolicies::default(),
            },
        };
        if let Some(s) = &caller.session {
            // Session tags override the role's tags with the same key, case-insensitively.
            for (k, v) in &s.tags {
                p.tags.retain(|(rk, _)| !rk.eq_ignore_ascii_case(k));
                p.tags.push((k.clone(), v.clone()));
            }
            if s.has_session_policies() {
                let mut docs = Vec::new();
                if let Some(text) = &s.policy {
                    docs.push(PolicyDoc {
                        id: "session policy".to_owned(),
                        text: text.clone(),
                    });
                }
                for arn in &s.policy_arns {
                    // A managed session policy deleted since grants nothing.
                    if let Some(text) = d.managed_policy_document(&caller.account, arn)? {
                        docs.push(PolicyDoc {
                            id: arn.clone(),
                            text,
                        });
                    }
                }
                p.session = Some(docs);
            }
        }
        Ok(p)
    }
}

impl crate::op::Authorize for Authorizer {
    fn enforce(&self, service: Service, req: &Request<'_>, plan: Plan) -> Result<Verdicts, Error> {
        let checks = match plan {
            // Documented as needing no permission, and explicit denies do not apply
            // (sts:GetCallerIdentity, sts:GetSessionToken).
            Plan::NoPermissionNeeded => return Ok(Verdicts::default()),
            Plan::Checks(checks) => checks,
        };
        let mut reported = Vec::new();
        for check in checks {
            let on_deny = check.on_deny;
            let verdict = self.decide_check(service, req, check);
            match on_deny {
                OnDeny::Fail => verdict?,
                OnDeny::Report => reported.push(verdict),
            }
        }
        Ok(Verdicts::new(reported))
    }
}

fn timestamp(now: i64) -> Result<time::OffsetDateTime, Error> {
    time::OffsetDateTime::from_unix_timestamp(now)
        .map_err(|e| Error::Internal(format!("clock out of range: {e}")))
}
