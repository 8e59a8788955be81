//! Request evaluation (reference §1.2–1.4): every policy is evaluated to a three-valued
//! [`PolicyResult`]; [`combine`] is the one place where the per-type results become a decision.

use crate::context::{Context, PrincipalFacts, PrincipalType, SessionKind};
use crate::pattern::LowerBytes;
use crate::policy::{Effect, Policy, Statement, Target, service_bit};
use crate::principal::PrincipalMatch;

/// The policy types of AWS's evaluation logic, as named in AccessDenied messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Identity-based policies (user, its groups, or role; inline and managed).
    IdentityBased,
    /// The resource's policy (secret policy, key policy, …).
    ResourceBased,
    /// A role trust policy (the resource policy of `sts:AssumeRole*`).
    RoleTrust,
    /// The permissions boundary.
    PermissionsBoundary,
    /// Session policies.
    Session,
    /// Service control policies.
    ServiceControl,
    /// Resource control policies.
    ResourceControl,
}

impl PolicyType {
    /// The phrase AWS uses in AccessDenied messages (`identity-based policy`,
    /// `permissions boundary`, …).
    pub fn phrase(self) -> &'static str {
        match self {
            PolicyType::IdentityBased => "identity-based policy",
            PolicyType::ResourceBased => "resource-based policy",
            PolicyType::RoleTrust => "role trust policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::ServiceControl => "service control policy",
            PolicyType::ResourceControl => "resource control policy",
        }
    }
}

/// What the resource policy is, for the "must allow explicitly" rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ResourcePolicyKind {
    /// Ordinary resource policy: an identity-side Allow suffices within one account.
    #[default]
    Generic,
    /// Role trust policy: must always allow the caller (or its account, then the identity
    /// policy must allow too).
    RoleTrust,
    /// KMS key policy: same rule as trust policies.
    KmsKey,
}

/// A policy together with the identifier reported in explanations (name or ARN).
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    /// Name or ARN.
    pub id: &'a str,
    /// The compiled policy.
    pub policy: &'a Policy,
}

impl<'a> NamedPolicy<'a> {
    /// Pairs a policy with its identifier.
    pub fn new(id: &'a str, policy: &'a Policy) -> NamedPolicy<'a> {
        NamedPolicy { id, policy }
    }
}

/// All policies that apply to one request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    /// Identity policies: the user's inline + managed and its groups', or the role's.
    pub identity: Vec<NamedPolicy<'a>>,
    /// The permissions boundary of the user or role, if any.
    pub permissions_boundary: Option<NamedPolicy<'a>>,
    /// Session policies (inline + managed ARNs passed when the session was created);
    /// `None` when none were passed.
    pub session: Option<Vec<NamedPolicy<'a>>>,
    /// The resource's policy, if any.
    pub resource: Option<NamedPolicy<'a>>,
    /// What kind of resource policy it is.
    pub resource_kind: ResourcePolicyKind,
    /// SCPs of the principal's account, one entry per level of the OU path (root, OUs,
    /// account). Empty when SCPs do not apply (no organization, management account,
    /// service-linked role).
    pub scp_levels: Vec<Vec<NamedPolicy<'a>>>,
    /// RCPs of the resource's account, per level. Empty when RCPs do not apply.
    pub rcp_levels: Vec<Vec<NamedPolicy<'a>>>,
}

/// One authorization question.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who asks.
    pub principal: &'a PrincipalFacts,
    /// `service:Action` (any case).
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: &'a str,
    /// The account owning the resource; `None` means the principal's own account.
    pub resource_account: Option<&'a str>,
    /// Context keys (including the principal keys from [`crate::principal_context`]).
    pub context: &'a Context,
}

/// Result of one policy (or policy type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyResult {
    /// A statement allowed and none denied.
    Allow,
    /// A statement denied.
    ExplicitDeny,
    /// No statement applied.
    NoMatch,
}

/// The final answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Allowed.
    Allowed,
    /// Denied because nothing allowed (or a required policy type did not allow).
    ImplicitDeny,
    /// Denied by a Deny statement.
    ExplicitDeny,
}

impl Outcome {
    /// IAM simulation's `EvalDecision` value.
    pub fn simulation_value(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::ImplicitDeny => "implicitDeny",
            Outcome::ExplicitDeny => "explicitDeny",
        }
    }
}

/// Which policy type caused a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Denial {
    /// The responsible policy type.
    pub policy_type: PolicyType,
    /// Whether a Deny statement caused it.
    pub explicit: bool,
}

/// A statement that matched the request.
#[derive(Debug, Clone, Copy)]
pub struct MatchedStatement<'a> {
    /// The policy type it belongs to.
    pub policy_type: PolicyType,
    /// The policy's name or ARN.
    pub policy_id: &'a str,
    /// The policy (for positions and text).
    pub policy: &'a Policy,
    /// SCP/RCP level (0 = root) for organization policies.
    pub level: Option<usize>,
    /// The statement.
    pub statement: &'a Statement,
}

impl MatchedStatement<'_> {
    /// `Allow` / `Deny`.
    pub fn effect(&self) -> Effect {
        self.statement.effect()
    }
    /// `Sid` if present.
    pub fn sid(&self) -> Option<&str> {
        self.statement.sid()
    }
    /// Statement position in its policy.
    pub fn index(&self) -> usize {
        self.statement.index()
    }
    /// Where the statement starts and ends in its policy's text (IAM's `StartPosition` /
    /// `EndPosition`).
    pub fn statement_position(&self) -> Option<(crate::policy::Position, crate::policy::Position)> {
        self.policy.statement_position(self.statement.index())
    }
}

/// A statement that applied to the request except for one condition.
#[derive(Debug, Clone, Copy)]
pub struct NearMiss<'a> {
    /// The policy type it belongs to.
    pub policy_type: PolicyType,
    /// The policy's name or ARN.
    pub policy_id: &'a str,
    /// The policy.
    pub policy: &'a Policy,
    /// SCP/RCP level for organization policies.
    pub level: Option<usize>,
    /// The statement.
    pub statement: &'a Statement,
    /// The first condition that did not hold.
    pub condition: &'a crate::condition::Condition,
}

/// Per-type results (`None` = that type was not present / does not apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TypeResults {
    /// Union of the identity policies.
    pub identity: Option<PolicyResult>,
    /// The boundary.
    pub boundary: Option<PolicyResult>,
    /// Union of the session policies.
    pub session: Option<PolicyResult>,
    /// The resource policy.
    pub resource: Option<PolicyResult>,
    /// How the allowing resource statement named the caller.
    pub resource_grant: Option<PrincipalMatch>,
    /// SCPs: `Allow` only if every level allows.
    pub scp: Option<PolicyResult>,
    /// RCPs: `Allow` only if every level allows.
    pub rcp: Option<PolicyResult>,
}

/// A decision with its reasons.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    /// Allowed, implicitly or explicitly denied.
    pub outcome: Outcome,
    /// For denials, the policy type AWS names in the AccessDenied message.
    pub denial: Option<Denial>,
    /// Every statement that matched the request (allow and deny).
    pub matched: Vec<MatchedStatement<'a>>,
    /// Statements whose action, resource and principal matched but whose condition did not
    /// hold — what a human needs to see to fix a denial.
    pub near_misses: Vec<NearMiss<'a>>,
    /// Per-type three-valued results.
    pub results: TypeResults,
    /// Whether principal and resource are in different accounts.
    pub cross_account: bool,
    /// The kind of resource policy evaluated (role trust evaluations render AccessDenied
    /// without a reason clause, as AWS does for `sts:AssumeRole`).
    pub resource_kind: ResourcePolicyKind,
}

impl<'a> Decision<'a> {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allowed
    }

    /// The statements that decided: the Deny statements for an explicit deny, the Allow
    /// statements for an allow, none for an implicit deny (IAM's `MatchedStatements`).
    pub fn deciding_statements(&self) -> impl Iterator<Item = &MatchedStatement<'a>> {
        let want = match self.outcome {
            Outcome::ExplicitDeny => Some(Effect::Deny),
            Outcome::Allowed => Some(Effect::Allow),
            Outcome::ImplicitDeny => None,
        };
        self.matched
            .iter()
            .filter(move |m| Some(m.effect()) == want)
    }
}

struct Acc<'a, 'r> {
    matched: Vec<MatchedStatement<'a>>,
    near_misses: Vec<NearMiss<'a>>,
    target: Target<'r>,
    service_bit: u64,
    action_lower: LowerBytes,
}

impl<'a> Acc<'a, '_> {
    /// Evaluates one policy; returns (result, best principal match of allowing statements).
    fn policy(
        &mut self,
        req: &Request<'_>,
        np: &NamedPolicy<'a>,
        ty: PolicyType,
        level: Option<usize>,
        has_boundary: bool,
    ) -> (PolicyResult, Option<PrincipalMatch>) {
        let mut allow = false;
        let mut deny = false;
        let mut grant: Option<PrincipalMatch> = None;
        let action_lower = self.action_lower.as_bytes();
        if !np.policy.may_match_action(action_lower) {
            return (PolicyResult::NoMatch, None);
        }
        let statements = np.policy.statements();
        // a plain loop over the probes (statements whose probes all fail are skipped without
        // being looked at); each statement once, in document order
        let mut last = usize::MAX;
        for (probe, i) in np.policy.probes() {
            if *i == last || !probe.passes_lower(action_lower) {
                continue;
            }
            last = *i;
            let Some(st) = statements.get(*i) else {
                continue;
            };
            if !st.may_match_service(self.service_bit)
                || !st.action_matches_lower(action_lower)
                || !st.resource_matches(&self.target, req.context)
            {
                continue;
            }
            let Some(pm) = st.principal_applies(req.principal, has_boundary) else {
                continue;
            };
            if let Some(cond) = st.failing_condition(req.context) {
                self.near_misses.push(NearMiss {
                    policy_type: ty,
                    policy_id: np.id,
                    policy: np.policy,
                    level,
                    statement: st,
                    condition: cond,
                });
                continue;
            }
            match st.effect() {
                Effect::Deny => deny = true,
                Effect::Allow => {
                    allow = true;
                    if grant.is_none_or(|g| pm > g) {
                        grant = Some(pm);
                    }
                }
            }
            self.matched.push(MatchedStatement {
                policy_type: ty,
                policy_id: np.id,
                policy: np.policy,
                level,
                statement: st,
            });
        }
        let r = if deny {
            PolicyResult::ExplicitDeny
        } else if allow {
            PolicyResult::Allow
        } else {
            PolicyResult::NoMatch
        };
        (r, grant)
    }

    /// Union of several policies of one type.
    fn union(
        &mut self,
        req: &Request<'_>,
        ps: &[NamedPolicy<'a>],
        ty: PolicyType,
        level: Option<usize>,
        has_boundary: bool,
    ) -> PolicyResult {
        let mut out = PolicyResult::NoMatch;
        for p in ps {
            match self.policy(req, p, ty, level, has_boundary).0 {
                PolicyResult::ExplicitDeny => out = PolicyResult::ExplicitDeny,
                PolicyResult::Allow if out == PolicyResult::NoMatch => out = PolicyResult::Allow,
                _ => {}
            }
        }
        out
    }

    /// Organization policies: explicit deny anywhere; allow only if every level allows.
    fn levels(
        &mut self,
        req: &Request<'_>,
        levels: &[Vec<NamedPolicy<'a>>],
        ty: PolicyType,
    ) -> Option<PolicyResult> {
        if levels.is_empty() {
            return None;
        }
        let mut all_allow = true;
        let mut deny = false;
        for (i, l) in levels.iter().enumerate() {
            match self.union(req, l, ty, Some(i), false) {
                PolicyResult::ExplicitDeny => deny = true,
                PolicyResult::NoMatch => all_allow = false,
                PolicyResult::Allow => {}
            }
        }
        Some(if deny {
            PolicyResult::ExplicitDeny
        } else if all_allow {
            PolicyResult::Allow
        } else {
            PolicyResult::NoMatch
        })
    }
}

/// Decides a request against a policy set.
pub fn evaluate<'a>(req: &Request<'_>, set: &PolicySet<'a>) -> Decision<'a> {
    let mut acc = Acc {
        matched: Vec::new(),
        near_misses: Vec::new(),
        target: Target::new(req.resource),
        service_bit: service_bit(req.action),
        action_lower: LowerBytes::new(req.action),
    };
    let has_boundary = set.permissions_boundary.is_some();
    let resource_type = if set.resource_kind == ResourcePolicyKind::RoleTrust {
        PolicyType::RoleTrust
    } else {
        PolicyType::ResourceBased
    };
    let mut results = TypeResults {
        identity: if set.identity.is_empty() {
            None
        } else {
            Some(acc.union(
                req,
                &set.identity,
                PolicyType::IdentityBased,
                None,
                has_boundary,
            ))
        },
        ..TypeResults::default()
    };
    if let Some(b) = &set.permissions_boundary {
        results.boundary = Some(
            acc.policy(req, b, PolicyType::PermissionsBoundary, None, has_boundary)
                .0,
        );
    }
    if let Some(s) = &set.session {
        results.session = Some(acc.union(req, s, PolicyType::Session, None, has_boundary));
    }
    if let Some(r) = &set.resource {
        let (res, grant) = acc.policy(req, r, resource_type, None, has_boundary);
        results.resource = Some(res);
        results.resource_grant = grant;
    }
    results.scp = acc.levels(req, &set.scp_levels, PolicyType::ServiceControl);
    results.rcp = acc.levels(req, &set.rcp_levels, PolicyType::ResourceControl);
    let cross_account = is_cross_account(req);
    let (outcome, denial) = combine(req.principal, set, &results, cross_account);
    Decision {
        outcome,
        denial,
        matched: acc.matched,
        near_misses: acc.near_misses,
        results,
        cross_account,
        resource_kind: set.resource_kind,
    }
}

fn is_cross_account(req: &Request<'_>) -> bool {
    let p = req.principal;
    match p.kind {
        PrincipalType::Service | PrincipalType::Anonymous | PrincipalType::IdentityProvider => true,
        _ => req.resource_account.is_some_and(|a| a != p.account),
    }
}

fn deny(ty: PolicyType, explicit: bool) -> (Outcome, Option<Denial>) {
    (
        if explicit {
            Outcome::ExplicitDeny
        } else {
            Outcome::ImplicitDeny
        },
        Some(Denial {
            policy_type: ty,
            explicit,
        }),
    )
}

/// Combines per-type results into the decision (reference §1.2–1.4). This is the only place
/// where evaluation logic lives.
///
/// Order of reported types when several deny (AWS reports only one; the order is our choice):
/// SCP, RCP, resource-based, identity-based, permissions boundary, session.
pub fn combine(
    p: &PrincipalFacts,
    set: &PolicySet<'_>,
    r: &TypeResults,
    cross_account: bool,
) -> (Outcome, Option<Denial>) {
    use PolicyResult::*;
    let resource_type = if set.resource_kind == ResourcePolicyKind::RoleTrust {
        PolicyType::RoleTrust
    } else {
        PolicyType::ResourceBased
    };
    // 1. explicit deny anywhere
    for (res, ty) in [
        (r.scp, PolicyType::ServiceControl),
        (r.rcp, PolicyType::ResourceControl),
        (r.resource, resource_type),
        (r.identity, PolicyType::IdentityBased),
        (r.boundary, PolicyType::PermissionsBoundary),
        (r.session, PolicyType::Session),
    ] {
        if res == Some(ExplicitDeny) {
            return deny(ty, true);
        }
    }
    // 2. RCPs and 3. SCPs must allow at every level when they apply
    if r.rcp.is_some_and(|x| x != Allow) {
        return deny(PolicyType::ResourceControl, false);
    }
    if r.scp.is_some_and(|x| x != Allow) {
        return deny(PolicyType::ServiceControl, false);
    }
    let grant = if r.resource == Some(Allow) {
        r.resource_grant
    } else {
        None
    };
    // Non-IAM callers (services, anonymous, identity providers) have only the resource policy.
    if matches!(
        p.kind,
        PrincipalType::Service | PrincipalType::Anonymous | PrincipalType::IdentityProvider
    ) {
        return match grant {
            Some(_) => (Outcome::Allowed, None),
            None => deny(resource_type, false),
        };
    }
    let root = p.kind == PrincipalType::Root;
    let identity_ok = root || r.identity == Some(Allow);
    let boundary_ok = root || r.boundary.is_none_or(|b| b == Allow);
    let federation_token = p
        .session
        .as_ref()
        .is_some_and(|s| s.kind == SessionKind::FederationToken);
    let session_ok = match r.session {
        Some(s) => s == Allow,
        // GetFederationToken without a session policy has no permissions (§1.2 step 7)
        None => !federation_token,
    };
    // identity side: first failing type, in the order identity, boundary, session
    let identity_side = if !identity_ok {
        Some(PolicyType::IdentityBased)
    } else if !boundary_ok {
        Some(PolicyType::PermissionsBoundary)
    } else if !session_ok {
        Some(PolicyType::Session)
    } else {
        None
    };
    if cross_account {
        // both accounts must allow (§1.3)
        if let Some(ty) = identity_side {
            return deny(ty, false);
        }
        return match grant {
            Some(_) => (Outcome::Allowed, None),
            None => deny(resource_type, false),
        };
    }
    let must_allow = set.resource_kind != ResourcePolicyKind::Generic;
    match grant {
        // Same account, resource policy names the caller itself (user, session ARN,
        // federated-user ARN) or "*": implicit denies elsewhere are ignored (§1.4 table).
        Some(PrincipalMatch::Direct | PrincipalMatch::Wildcard) => (Outcome::Allowed, None),
        // Names the role of a role session: identity policy not needed, but boundary and
        // session policy still limit.
        Some(PrincipalMatch::Role) => {
            if !boundary_ok {
                deny(PolicyType::PermissionsBoundary, false)
            } else if !session_ok {
                deny(PolicyType::Session, false)
            } else {
                (Outcome::Allowed, None)
            }
        }
        Some(PrincipalMatch::Account) | None => {
            if must_allow && grant.is_none() {
                return deny(resource_type, false);
            }
            match identity_side {
                Some(ty) => deny(ty, false),
                None => (Outcome::Allowed, None),
            }
        }
    }
}
