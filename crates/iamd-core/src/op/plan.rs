//! Authorization plans: what one request must be allowed to do, derived from what it resolved.

use crate::arn::Arn;
use crate::authz::PolicyDoc;
use crate::error::Error;
use iamd_policy::{Context, ResourcePolicyKind};

/// The resource one check is about.
#[derive(Debug, Clone)]
pub struct Resource {
    /// As AccessDenied messages print it: the canonical ARN of the entity the request acts on
    /// (or will create); for an entity that does not exist, what the request named — AWS prints
    /// the id as given.
    pub name: String,
    /// The account that owns the resource; `None`: the caller's.
    pub account: Option<String>,
    /// The resource's own condition keys (`aws:ResourceTag/*`, `secretsmanager:SecretId`, …).
    pub keys: Context,
    /// Its resource-based policy (a secret's policy, a role's trust policy).
    pub policy: Option<PolicyDoc>,
    /// How the resource-based policy combines with identity policies. A role's trust is
    /// [`ResourcePolicyKind::RoleTrust`] even when the role does not exist (and so has no
    /// policy): then nothing allows the request.
    pub policy_kind: ResourcePolicyKind,
}

impl Resource {
    /// An entity by its ARN. AWS managed policies (`arn:aws:iam::aws:policy/…`) belong to no
    /// customer account: they are judged as in the caller's own account.
    pub fn arn(arn: &Arn) -> Resource {
        Resource {
            name: arn.as_str().to_owned(),
            account: arn.account_opt().filter(|a| *a != "aws").map(str::to_owned),
            keys: Context::new(),
            policy: None,
            policy_kind: ResourcePolicyKind::Generic,
        }
    }

    /// Something the request named that does not exist (or is not an ARN): printed as given,
    /// owned by the account the text names if it is ARN-shaped, else by the caller's.
    pub fn as_named(text: &str) -> Resource {
        Resource {
            name: text.to_owned(),
            account: crate::arn::account_of(text)
                .filter(|a| *a != "aws")
                .map(str::to_owned),
            keys: Context::new(),
            policy: None,
            policy_kind: ResourcePolicyKind::Generic,
        }
    }

    /// Adds a condition key of the resource.
    pub fn with_key(mut self, key: &str, value: &str) -> Resource {
        self.keys.set(key, value);
        self
    }

    /// Adds condition keys of the resource.
    pub fn with_keys(mut self, keys: Context) -> Resource {
        self.keys.extend(keys);
        self
    }

    /// The resource's resource-based policy.
    pub fn with_policy(mut self, policy: Option<PolicyDoc>, kind: ResourcePolicyKind) -> Resource {
        self.policy = policy;
        self.policy_kind = kind;
        self
    }
}

/// What happens when a check is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDeny {
    /// The request fails with AccessDenied; nothing is done.
    Fail,
    /// The verdict is handed to the operation, which reports it per item
    /// (BatchGetSecretValue's `Errors`).
    Report,
}

/// One action on one resource (or on none: actions without a resource type).
#[derive(Debug, Clone)]
pub struct Check {
    /// `service:Action`, as the Service Authorization Reference names it.
    pub action: &'static str,
    /// `None`: the action has no resource type (`*`), and denials omit `on resource:`.
    pub resource: Option<Resource>,
    /// The request's own condition keys for this action (`aws:RequestTag/*`, `sts:ExternalId`…).
    pub keys: Context,
    pub on_deny: OnDeny,
}

impl Check {
    /// A check that must pass.
    pub fn require(action: &'static str, resource: Option<Resource>) -> Check {
        Check {
            action,
            resource,
            keys: Context::new(),
            on_deny: OnDeny::Fail,
        }
    }

    /// A check whose verdict the operation reports itself.
    pub fn report(action: &'static str, resource: Option<Resource>) -> Check {
        Check {
            on_deny: OnDeny::Report,
            ..Check::require(action, resource)
        }
    }

    /// The request's condition keys for this check.
    pub fn with_keys(mut self, keys: Context) -> Check {
        self.keys.extend(keys);
        self
    }
}

/// Everything one request must be allowed, in the order AWS checks it.
#[derive(Debug, Clone)]
pub enum Plan {
    /// No permission is needed and explicit denies do not apply: `sts:GetCallerIdentity` and
    /// `sts:GetSessionToken`, as their API references say. Rare on purpose.
    NoPermissionNeeded,
    Checks(Vec<Check>),
}

impl Plan {
    /// One check that must pass.
    pub fn require(action: &'static str, resource: Option<Resource>) -> Plan {
        Plan::Checks(vec![Check::require(action, resource)])
    }

    /// One check that must pass, with the request's condition keys.
    pub fn require_with(action: &'static str, resource: Option<Resource>, keys: Context) -> Plan {
        Plan::Checks(vec![Check::require(action, resource).with_keys(keys)])
    }

    /// This plan and then `check`.
    pub fn and(self, check: Check) -> Plan {
        match self {
            Plan::NoPermissionNeeded => Plan::Checks(vec![check]),
            Plan::Checks(mut checks) => {
                checks.push(check);
                Plan::Checks(checks)
            }
        }
    }

    /// This plan and then `check`, when `cond` holds.
    pub fn and_if(self, cond: bool, check: impl FnOnce() -> Check) -> Plan {
        if cond { self.and(check()) } else { self }
    }

    /// The checks, in order (none for [`Plan::NoPermissionNeeded`]).
    pub fn checks(&self) -> &[Check] {
        match self {
            Plan::NoPermissionNeeded => &[],
            Plan::Checks(c) => c,
        }
    }
}

/// The verdicts of a plan's [`OnDeny::Report`] checks, in plan order.
#[derive(Debug, Default)]
pub struct Verdicts(Vec<Result<(), Error>>);

impl Verdicts {
    pub fn new(v: Vec<Result<(), Error>>) -> Verdicts {
        Verdicts(v)
    }

    pub fn into_vec(self) -> Vec<Result<(), Error>> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoIterator for Verdicts {
    type Item = Result<(), Error>;
    type IntoIter = std::vec::IntoIter<Result<(), Error>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
