//! Authorization: every request that needs a permission is decided by the policy engine.
//!
//! The core gathers what the engine needs — the caller's facts and context keys, its identity
//! policies and permissions boundary, the resource's policy — and asks [`iamd_policy::evaluate`].
//! A denial becomes AWS's AccessDenied text with the policy type that denied. Nothing here
//! defaults to allow: no policy found means no Allow.
//!
//! Policies are stored as text; [`PolicyCache`] compiles each distinct document once.

mod authorizer;

pub use authorizer::{Authorizer, Directory};

use crate::accounts::{Caller, Principal};
use crate::error::Error;
use crate::sessions::SessionPrincipal;
use iamd_api::Service;
use iamd_policy::{
    Context, NamedPolicy, Outcome, Policy, PolicyKind, PolicySet, PrincipalFacts, Request,
    ResourcePolicyKind, SessionFacts, SessionKind, evaluate, principal_context,
};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A stored policy document with the id explanations report (name or ARN).
#[derive(Debug, Clone)]
pub struct PolicyDoc {
    pub id: String,
    pub text: String,
}

/// Everything attached to a principal that the engine evaluates.
#[derive(Debug, Clone, Default)]
pub struct PrincipalPolicies {
    /// Inline and managed policies of the user (and its groups) or role.
    pub identity: Vec<PolicyDoc>,
    pub boundary: Option<PolicyDoc>,
    /// Principal tags (`aws:PrincipalTag/*`).
    pub tags: Vec<(String, String)>,
    /// Session policies (inline `Policy` and `PolicyArns`) of a session that was given some;
    /// `None` when none were passed (then they do not limit).
    pub session: Option<Vec<PolicyDoc>>,
}

/// [`PrincipalPolicies`] compiled once: what [`decide`] evaluates. The core caches these per
/// principal, so a request does no store read and no parsing.
#[derive(Debug, Default)]
pub struct CompiledPolicies {
    pub identity: Vec<(String, Arc<Policy>)>,
    pub boundary: Option<(String, Arc<Policy>)>,
    pub tags: Vec<(String, String)>,
    /// Session policies; `None` when the session was given none (they then do not limit).
    pub session: Option<Vec<(String, Arc<Policy>)>>,
}

/// Compiles a principal's stored documents (through the cache, so shared managed policies are
/// parsed once).
pub fn compile(cache: &PolicyCache, p: &PrincipalPolicies) -> Result<CompiledPolicies, Error> {
    Ok(CompiledPolicies {
        identity: p
            .identity
            .iter()
            .map(|d| Ok((d.id.clone(), cache.get(&d.text, PolicyKind::Identity)?)))
            .collect::<Result<_, Error>>()?,
        boundary: p
            .boundary
            .as_ref()
            .map(|d| {
                Ok::<_, Error>((
                    d.id.clone(),
                    cache.get(&d.text, PolicyKind::PermissionsBoundary)?,
                ))
            })
            .transpose()?,
        tags: p.tags.clone(),
        session: p
            .session
            .as_ref()
            .map(|docs| {
                docs.iter()
                    .map(|d| Ok((d.id.clone(), cache.get(&d.text, PolicyKind::Session)?)))
                    .collect::<Result<Vec<_>, Error>>()
            })
            .transpose()?,
    })
}

/// The resource-based policy that applies to a request, if any.
#[derive(Debug, Clone)]
pub struct ResourcePolicy {
    pub doc: PolicyDoc,
    pub kind: ResourcePolicyKind,
}

const CACHE_CAPACITY: usize = 10_000;

/// How many policy kinds [`PolicyCache`] keeps apart (each up to `CACHE_CAPACITY` documents).
const POLICY_KINDS: usize = 7;

/// Compiled policies keyed by (kind, text): each distinct document is parsed once.
pub struct PolicyCache {
    maps: RwLock<HashMap<PolicyKindKey, HashMap<String, Arc<Policy>>>>,
    stats: Arc<iamd_metrics::CacheStats>,
}

impl Default for PolicyCache {
    fn default() -> Self {
        PolicyCache {
            maps: RwLock::default(),
            stats: iamd_metrics::cache("policy_documents", CACHE_CAPACITY * POLICY_KINDS),
        }
    }
}

impl Drop for PolicyCache {
    fn drop(&mut self) {
        let held: usize = match self.maps.get_mut() {
            Ok(m) => m.values().map(HashMap::len).sum(),
            Err(poisoned) => poisoned.into_inner().values().map(HashMap::len).sum(),
        };
        self.stats.entries.add(-(held as i64));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PolicyKindKey(u8);

fn kind_key(kind: PolicyKind) -> PolicyKindKey {
    PolicyKindKey(match kind {
        PolicyKind::Identity => 0,
        PolicyKind::PermissionsBoundary => 1,
        PolicyKind::Session => 2,
        PolicyKind::Resource => 3,
        PolicyKind::RoleTrust => 4,
        PolicyKind::ServiceControl => 5,
        PolicyKind::ResourceControl => 6,
    })
}

impl PolicyCache {
    /// The compiled form of a stored document. Stored documents were validated when written; one
    /// that no longer parses (say, after a validator change) is an internal error, never an Allow.
    pub fn get(&self, text: &str, kind: PolicyKind) -> Result<Arc<Policy>, Error> {
        let k = kind_key(kind);
        if let Ok(maps) = self.maps.read()
            && let Some(p) = maps.get(&k).and_then(|m| m.get(text))
        {
            self.stats.hit();
            return Ok(p.clone());
        }
        self.stats.miss();
        let compiled = Arc::new(Policy::parse(text, kind).map_err(|e| {
            Error::Internal(format!("a stored policy no longer parses: {}", e.message()))
        })?);
        if let Ok(mut maps) = self.maps.write() {
            let m = maps.entry(k).or_default();
            if m.len() >= CACHE_CAPACITY {
                self.stats.entries.add(-(m.len() as i64));
                m.clear();
            }
            if m.insert(text.to_owned(), compiled.clone()).is_none() {
                self.stats.entries.add(1);
            }
        }
        Ok(compiled)
    }
}

/// The engine's view of the caller.
pub fn principal_facts(caller: &Caller, tags: &[(String, String)]) -> PrincipalFacts {
    let session = caller.session.as_ref().map(|c| {
        let at = |t: i64| {
            time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        };
        let kind = match c.principal {
            SessionPrincipal::AssumedRole { .. } => SessionKind::AssumeRole,
            SessionPrincipal::FederatedUser { .. } => SessionKind::FederationToken,
            SessionPrincipal::User { .. } | SessionPrincipal::Root => SessionKind::SessionToken,
        };
        SessionFacts {
            kind,
            issued_at: at(c.issued_at),
            mfa_authenticated: c.mfa_at.is_some(),
            mfa_authenticated_at: c.mfa_at.map(at),
            source_identity: c.source_identity.clone(),
            federated_provider: None,
        }
    });
    let mut facts = match (&caller.principal, session) {
        (
            Principal::AssumedRole {
                role_name,
                role_path,
                role_id,
                session_name,
            },
            Some(s),
        ) => PrincipalFacts::role_session(
            &caller.account,
            role_path,
            role_name,
            role_id,
            session_name,
            s,
        ),
        (Principal::FederatedUser { name, user }, Some(s)) => {
            let mut f = PrincipalFacts::federated_user(&caller.account, name, s);
            f.role_arn = user.clone();
            f
        }
        (Principal::User { name, path, id }, s) => {
            let mut f = PrincipalFacts::user(&caller.account, path, name, id);
            f.session = s;
            f
        }
        (Principal::Root, s) => {
            let mut f = PrincipalFacts::root(&caller.account);
            f.session = s;
            f
        }
        // A session principal without its claims cannot be built by authentication; should it
        // ever happen, the anonymous principal is granted nothing.
        (Principal::AssumedRole { .. } | Principal::FederatedUser { .. }, None) => {
            PrincipalFacts::anonymous()
        }
    };
    facts.tags = tags.to_vec();
    facts
}

/// What one authorization needs besides the caller.
pub struct AuthzRequest<'a> {
    pub service: Service,
    pub action: &'a str,
    /// `None`: the action has no resource type (`*`), and messages omit `on resource:`.
    pub resource: Option<&'a str>,
    /// The account that owns the resource (defaults to the caller's).
    pub resource_account: Option<&'a str>,
    /// Request-specific context keys (condition keys of the action).
    pub context: Context,
    pub resource_policy: Option<ResourcePolicy>,
    /// How a resource policy combines with identity policies when the request has none to
    /// give (a role that does not exist still has a role trust: nothing allows assuming it).
    pub resource_kind: ResourcePolicyKind,
}

/// A caller as the engine sees it, built once per credential and shared by its requests: the
/// compiled policies, the principal's facts, and the principal's context keys (`aws:PrincipalArn`,
/// `aws:userid`, tags, session facts, …), which each request layers its own keys on.
#[derive(Debug)]
pub struct CallerView {
    pub policies: Arc<CompiledPolicies>,
    pub facts: PrincipalFacts,
    base: Arc<Context>,
}

impl CallerView {
    pub fn new(caller: &Caller, policies: Arc<CompiledPolicies>) -> CallerView {
        let facts = principal_facts(caller, &policies.tags);
        // `aws:MultiFactorAuthAge` depends on the request time: `decide` sets it per request.
        let base = Arc::new(principal_context(&facts, time::OffsetDateTime::UNIX_EPOCH));
        CallerView {
            policies,
            facts,
            base,
        }
    }

    /// The request context: the principal's keys, then the request's own (which win, as when an
    /// AssumeRole call proves MFA itself), then the request time.
    fn context(&self, request: Context, now: time::OffsetDateTime) -> Context {
        let mut context = Context::with_base(self.base.clone());
        if let Some(s) = &self.facts.session
            && s.mfa_authenticated
            && let Some(at) = s.mfa_authenticated_at
        {
            context.set_static("aws:MultiFactorAuthAge", (now - at).whole_seconds().max(0));
        }
        context.extend(request);
        context.set_static("aws:CurrentTime", now);
        context.set_static("aws:EpochTime", now.unix_timestamp());
        // Always present on AWS; the request's origin sets it (`RequestOrigin::add_to`).
        if context.get("aws:SecureTransport").is_none() {
            context.set_static("aws:SecureTransport", false);
        }
        context
    }
}

/// Decides a request; `Ok(())` only on an explicit Allow by AWS's rules.
pub fn decide(
    cache: &PolicyCache,
    view: &CallerView,
    req: AuthzRequest<'_>,
    now: time::OffsetDateTime,
) -> Result<(), Error> {
    let facts = &view.facts;
    let policies = &*view.policies;
    let context = view.context(req.context, now);
    let caller_account = facts.account.as_str();

    let resource_policy = req
        .resource_policy
        .as_ref()
        .map(|rp| {
            let kind = match rp.kind {
                ResourcePolicyKind::RoleTrust => PolicyKind::RoleTrust,
                _ => PolicyKind::Resource,
            };
            cache.get(&rp.doc.text, kind)
        })
        .transpose()?;

    let set = PolicySet {
        identity: policies
            .identity
            .iter()
            .map(|(id, p)| NamedPolicy::new(id, p))
            .collect(),
        permissions_boundary: policies
            .boundary
            .as_ref()
            .map(|(id, p)| NamedPolicy::new(id, p)),
        session: policies
            .session
            .as_ref()
            .map(|ps| ps.iter().map(|(id, p)| NamedPolicy::new(id, p)).collect()),
        resource: req
            .resource_policy
            .as_ref()
            .zip(resource_policy.as_ref())
            .map(|(rp, p)| NamedPolicy::new(&rp.doc.id, p)),
        resource_kind: req
            .resource_policy
            .as_ref()
            .map(|rp| rp.kind)
            .unwrap_or(req.resource_kind),
        scp_levels: Vec::new(),
        rcp_levels: Vec::new(),
    };
    let resource = req.resource.unwrap_or("*");
    let request = Request {
        principal: facts,
        action: req.action,
        resource,
        resource_account: Some(req.resource_account.unwrap_or(caller_account)),
        context: &context,
    };
    let decision = evaluate(&request, &set);
    let g = &iamd_metrics::GLOBAL;
    match decision.outcome {
        Outcome::Allowed => g.authz_allow.inc(),
        Outcome::ImplicitDeny => g.authz_implicit_deny.inc(),
        Outcome::ExplicitDeny => g.authz_explicit_deny.inc(),
    }
    if decision.is_allowed() {
        return Ok(());
    }
    let message = decision
        .access_denied_message(&request, req.resource.is_some())
        .unwrap_or_else(|| {
            format!(
                "User: {} is not authorized to perform: {}",
                facts.arn, req.action
            )
        });
    tracing::debug!(
        action = req.action,
        resource,
        principal = %facts.arn,
        "denied: {}",
        decision.explain(&request).replace('\n', "; ")
    );
    Err(Error::denied(message))
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]
mod tests {
    use super::*;

    fn user() -> Caller {
        Caller {
            account: "111122223333".into(),
            principal: Principal::User {
                name: "tf".into(),
                path: "/".into(),
                id: "AIDAEXAMPLEEXAMPLE01".into(),
            },
            access_key_id: "AKIA".into(),
            session: None,
            origin: Default::default(),
        }
    }

    fn doc(id: &str, text: &str) -> PolicyDoc {
        PolicyDoc {
            id: id.into(),
            text: text.into(),
        }
    }

    const SEED002: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:*:secret:cml/*"}]}"#;
    const SECRET: &str =
        "arn:aws:secretsmanager:us-east-2:111122223333:secret:cml/cml-devnet/app-AbCdEf";

    fn req<'a>(action: &'a str, resource: &'a str) -> AuthzRequest<'a> {
        AuthzRequest {
            service: Service::SecretsManager,
            action,
            resource: Some(resource),
            resource_account: None,
            context: Context::new(),
            resource_policy: None,
            resource_kind: ResourcePolicyKind::Generic,
        }
    }

    #[test]
    fn identity_policy_allows_and_denies_with_awss_text() {
        let cache = PolicyCache::default();
        let pols = PrincipalPolicies {
            identity: vec![doc("cml-read", SEED002)],
            ..Default::default()
        };
        let pols = Arc::new(compile(&cache, &pols).unwrap());
        let now = time::OffsetDateTime::UNIX_EPOCH;
        decide(
            &cache,
            &CallerView::new(&user(), pols.clone()),
            req("secretsmanager:GetSecretValue", SECRET),
            now,
        )
        .unwrap();
        let other = "arn:aws:secretsmanager:us-east-2:111122223333:secret:other/thing-AbCdEf";
        match decide(
            &cache,
            &CallerView::new(&user(), pols.clone()),
            req("secretsmanager:GetSecretValue", other),
            now,
        ) {
            Err(e @ Error::Denied(_)) => {
                let (code, message) = e.code_and_message(Service::SecretsManager).unwrap();
                assert_eq!(code, "AccessDeniedException");
                assert_eq!(
                    message,
                    format!(
                        "User: arn:aws:iam::111122223333:user/tf is not authorized to perform: secretsmanager:GetSecretValue on resource: {other} because no identity-based policy allows the secretsmanager:GetSecretValue action"
                    )
                );
            }
            other => panic!("{other:?}"),
        }
        // No policies at all: denied.
        assert!(
            decide(
                &cache,
                &CallerView::new(&user(), Arc::default()),
                req("secretsmanager:GetSecretValue", SECRET),
                now
            )
            .is_err()
        );
    }

    #[test]
    fn resource_policy_explicit_deny_names_its_type() {
        let cache = PolicyCache::default();
        let pols = PrincipalPolicies {
            identity: vec![doc(
                "admin",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}"#,
            )],
            ..Default::default()
        };
        let mut r = req("secretsmanager:GetSecretValue", SECRET);
        r.resource_policy = Some(ResourcePolicy {
            doc: doc(
                "secret-policy",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Reader"}}}]}"#,
            ),
            kind: ResourcePolicyKind::Generic,
        });
        let pols = Arc::new(compile(&cache, &pols).unwrap());
        match decide(
            &cache,
            &CallerView::new(&user(), pols.clone()),
            r,
            time::OffsetDateTime::UNIX_EPOCH,
        ) {
            Err(Error::Denied(d)) => {
                let message = d.message;
                assert!(
                    message.ends_with("with an explicit deny in a resource-based policy"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn root_is_allowed_on_its_own_account_without_policies() {
        let cache = PolicyCache::default();
        let root = Caller {
            account: "111122223333".into(),
            principal: Principal::Root,
            access_key_id: "AKIA".into(),
            session: None,
            origin: Default::default(),
        };
        let now = time::OffsetDateTime::UNIX_EPOCH;
        decide(
            &cache,
            &CallerView::new(&root, Arc::default()),
            req("secretsmanager:GetSecretValue", SECRET),
            now,
        )
        .unwrap();
        // Another account's resource: the root of 4444… has no grant there.
        let foreign = "arn:aws:secretsmanager:us-east-2:444455556666:secret:x-AbCdEf";
        let mut r = req("secretsmanager:GetSecretValue", foreign);
        r.resource_account = Some("444455556666");
        assert!(decide(&cache, &CallerView::new(&root, Arc::default()), r, now).is_err());
    }

    #[test]
    fn cache_compiles_once_and_refuses_broken_documents() {
        let cache = PolicyCache::default();
        let a = cache.get(SEED002, PolicyKind::Identity).unwrap();
        let b = cache.get(SEED002, PolicyKind::Identity).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(matches!(
            cache.get("{nope", PolicyKind::Identity),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn request_keys_win_over_the_principals_and_mfa_age_follows_the_clock() {
        use crate::sessions::{SessionClaims, SessionPrincipal};
        let claims = SessionClaims {
            account: "111122223333".into(),
            principal: SessionPrincipal::User {
                name: "tf".into(),
                path: "/".into(),
                id: "AIDAEXAMPLEEXAMPLE01".into(),
            },
            access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
            secret_access_key: "s".into(),
            issued_at: 1_000,
            expires_at: 10_000,
            mfa_at: Some(1_000),
            source_identity: None,
            tags: vec![],
            transitive_tag_keys: vec![],
            policy: None,
            policy_arns: vec![],
            chained: false,
        };
        let caller = Caller {
            session: Some(Arc::new(claims)),
            origin: Default::default(),
            ..user()
        };
        let view = CallerView::new(&caller, Arc::default());
        let at = |t: i64| time::OffsetDateTime::from_unix_timestamp(t).unwrap();
        let age = |c: &Context| {
            c.get("aws:MultiFactorAuthAge").unwrap().values[0]
                .as_text()
                .into_owned()
        };
        // The session's MFA age is computed per request, from the request time.
        assert_eq!(age(&view.context(Context::new(), at(1_600))), "600");
        assert_eq!(age(&view.context(Context::new(), at(1_900))), "900");
        // A request that proves MFA itself (AssumeRole with TokenCode) carries its own age: it wins.
        let mut own = Context::new();
        own.set("aws:MultiFactorAuthAge", 0i64);
        own.set("aws:userid", "from-the-request");
        let c = view.context(own, at(1_900));
        assert_eq!(age(&c), "0");
        assert_eq!(
            c.get("aws:userid").unwrap().values[0].as_text(),
            "from-the-request"
        );
        // The principal's keys are still there underneath.
        assert_eq!(
            c.get("aws:PrincipalArn").unwrap().values[0].as_text(),
            "arn:aws:iam::111122223333:user/tf"
        );
        assert_eq!(
            c.get("aws:MultiFactorAuthPresent").unwrap().values[0].as_text(),
            "true"
        );
    }
}
