//! IAM's policy simulation: SimulatePrincipalPolicy, SimulateCustomPolicy and
//! GetContextKeysFor{Principal,Custom}Policy, answered by the same engine that decides every
//! request (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html>).
//!
//! The principal a `PolicySourceArn` names is resolved as a whole ARN — account, kind, path and
//! name — and authorized on its canonical ARN: `user/dev/boss` does not find the user `boss`
//! under `/` (issue #11, finding 14). Results are computed for the requested page only, so a
//! request naming many actions and resources costs what one page costs, and the page itself
//! has a budget of work and of answer size (issue #11, finding 3): past it the request answers
//! InvalidInput, one of the two errors the API reference lists (the other, PolicyEvaluation, is
//! a 500 and the request is the caller's to change).

use super::Named;
use crate::arn::Arn;
use crate::domains::IamDomain;
use crate::error::{Error, IamError};
use crate::iam::records::{Entity, GroupRecord, RoleRecord, UserRecord};
use crate::iam::{PageReq, aws_managed_record, is_aws_managed};
use crate::op::{Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};
use iamd_policy::{
    Context, ContextKeyType, NamedPolicy, Policy, PolicyKind, PolicySet, PolicyType,
    PrincipalFacts, ResourcePolicyKind, SessionFacts, SessionKind, add_context_entry, evaluate,
    principal_context,
};
use std::collections::BTreeSet;

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::SimulatePrincipalPolicy>::OP,
    &Entry::<IamDomain, o::SimulateCustomPolicy>::OP,
    &Entry::<IamDomain, o::GetContextKeysForPrincipalPolicy>::OP,
    &Entry::<IamDomain, o::GetContextKeysForCustomPolicy>::OP,
];

/// The default and largest page of evaluation results.
const DEFAULT_MAX_ITEMS: usize = 100;

/// The work one simulation request may do, in the policy engine's units (about a nanosecond of
/// work each in a release build; see `iamd_policy::work`): 2^27, about a tenth of a second of
/// CPU in a release build (a few seconds in a debug one).
///
/// Why this is far above any request AWS's quotas allow: the largest principal AWS lets exist
/// is a user in 10 groups, each with 20 managed policies of 6,144 characters and 5,120 of
/// inline policy, and 20 managed policies, 2,048 of inline and a 6,144 boundary of its own:
/// about 1.4 million characters, some 10,000 statements. A page of 1,000 results charges
/// 10,000 statements × 1,000 = 10^7 units for the statements scanned; exact and prefix resource
/// patterns (nearly all real ones) are not charged, and a pattern with a wildcard in the middle
/// costs ~10 units against an ARN of ~100 characters (a substring search charges one unit per
/// 16 bytes), so only a principal whose every statement matched every action with such a
/// pattern would come near 2^27 (1.3 × 10^8). By this count the AWS-sized simulations of
/// `bounded_work` (a page of 1,000 over ~2,000 statements) cost about 2 × 10^6, and they are
/// answered. What passes 2^27 is the adversarial shapes of
/// issue #11, finding 3: `*???…b` patterns thousands of characters long against long values,
/// `ForAnyValue` conditions comparing thousands × thousands of values, variables expanded into
/// megabytes. `bounded_work` (crates/iamd-service/tests) runs the largest of each.
const WORK_BUDGET: u64 = 1 << 27;

/// The most one page of results may hold, estimated in bytes before it is built (matched
/// statements and missing context keys repeat in every result): 8 MiB, against ~100 KiB for
/// a page of 1,000 ordinary results.
const OUTPUT_BUDGET: usize = 8 << 20;

fn too_large(what: &'static str) -> Error {
    IamError::SimulationTooLarge { what }.into()
}

/// The IAM entity a `PolicySourceArn` names, found by its whole ARN.
pub enum SourceEntity {
    User(UserRecord),
    Group(GroupRecord),
    Role(RoleRecord),
    /// Nothing of this account has that ARN: NoSuchEntity after authorization.
    Missing(String),
}

impl SourceEntity {
    fn resolve(d: &IamDomain, req: &Request<'_>, text: &str) -> Result<SourceEntity, Error> {
        let missing = || Ok(SourceEntity::Missing(text.to_owned()));
        let Ok(arn) = Arn::parse(text) else {
            return missing();
        };
        if arn.service() != "iam" || arn.account() != req.account() {
            return missing();
        }
        fn at_path<T: Entity>(named: Named<T>, path: &str) -> Option<T> {
            match named {
                Named::Found(rec) if rec.path() == path => Some(rec),
                _ => None,
            }
        }
        let (name, path) = (arn.name(), arn.path());
        let found = match arn.resource_type() {
            "user" => {
                at_path(Named::<UserRecord>::find(d, req, name)?, path).map(SourceEntity::User)
            }
            "group" => {
                at_path(Named::<GroupRecord>::find(d, req, name)?, path).map(SourceEntity::Group)
            }
            "role" => {
                at_path(Named::<RoleRecord>::find(d, req, name)?, path).map(SourceEntity::Role)
            }
            _ => None,
        };
        match found {
            Some(e) => Ok(e),
            None => missing(),
        }
    }

    /// The canonical ARN of what was found, or the ARN as given.
    fn resource(&self, req: &Request<'_>) -> Resource {
        let arn = |kind: &str, path: &str, name: &str| Arn::iam(req.account(), kind, path, name);
        match self {
            SourceEntity::User(u) => Resource::arn(&arn("user", &u.path, &u.name)),
            SourceEntity::Group(g) => Resource::arn(&arn("group", &g.path, &g.name)),
            SourceEntity::Role(r) => Resource::arn(&arn("role", &r.path, &r.name)),
            SourceEntity::Missing(text) => Resource::as_named(text),
        }
    }
}

/// One policy that takes part in a simulation, with how IAM reports it in MatchedStatements.
struct Source {
    id: String,
    kind: api::PolicySourceType,
    policy: Policy,
}

fn parse(text: &str, kind: PolicyKind) -> Result<Policy, Error> {
    Policy::parse(text, kind)
        .map_err(|e| Error::from(IamError::MalformedPolicyDocument(e.message().to_owned())))
}

fn input_policies(texts: &[String], member: &str, kind: PolicyKind) -> Result<Vec<Source>, Error> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Ok(Source {
                id: format!("{member}.{}", i + 1),
                kind: api::PolicySourceType::None,
                policy: parse(text, kind)?,
            })
        })
        .collect()
}

fn managed(d: &IamDomain, account: &str, arn: &str) -> Result<Option<Source>, Error> {
    let rec = if is_aws_managed(arn) {
        aws_managed_record(arn)
    } else {
        d.iam.get_policy(account, arn).ok()
    };
    let Some(p) = rec else { return Ok(None) };
    let Some(v) = p.versions.iter().find(|v| v.id == p.default_version) else {
        return Ok(None);
    };
    Ok(Some(Source {
        id: p.name.clone(),
        kind: if p.aws_managed {
            api::PolicySourceType::AwsManaged
        } else {
            api::PolicySourceType::UserManaged
        },
        policy: parse(&v.document, PolicyKind::Identity)?,
    }))
}

/// An entity's inline policies (reported as `kind`) and its attached managed policies.
fn entity_policies(
    d: &IamDomain,
    account: &str,
    kind: api::PolicySourceType,
    inline: &std::collections::BTreeMap<String, String>,
    attached: &[String],
) -> Result<Vec<Source>, Error> {
    let mut out = inline
        .iter()
        .map(|(name, text)| {
            Ok(Source {
                id: name.clone(),
                kind,
                policy: parse(text, PolicyKind::Identity)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    for a in attached {
        out.extend(managed(d, account, a)?);
    }
    Ok(out)
}

/// The simulated principal: its facts, identity policies and boundary.
struct Principal {
    facts: PrincipalFacts,
    identity: Vec<Source>,
    boundary: Option<Source>,
}

fn tags_of(tags: &[crate::iam::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

fn load_principal(
    d: &IamDomain,
    req: &Request<'_>,
    source: SourceEntity,
) -> Result<Principal, Error> {
    let acct = req.account();
    let mut identity = Vec::new();
    let (facts, boundary) = match source {
        SourceEntity::User(u) => {
            identity.extend(entity_policies(
                d,
                acct,
                api::PolicySourceType::User,
                &u.inline,
                &u.attached,
            )?);
            let groups = d.iam.list_groups_for_user(
                acct,
                &u.name,
                PageReq {
                    marker: None,
                    max_items: Some(1000),
                },
            )?;
            for g in &groups.items {
                identity.extend(entity_policies(
                    d,
                    acct,
                    api::PolicySourceType::Group,
                    &g.inline,
                    &g.attached,
                )?);
            }
            let mut facts = PrincipalFacts::user(acct, &u.path, &u.name, &u.id);
            facts.tags = tags_of(&u.tags);
            (facts, u.boundary)
        }
        SourceEntity::Group(g) => {
            identity.extend(entity_policies(
                d,
                acct,
                api::PolicySourceType::Group,
                &g.inline,
                &g.attached,
            )?);
            // A group is simulated as an anonymous member of it.
            (
                PrincipalFacts::user(acct, "/", "simulated", "AIDASIMULATEDGROUP00"),
                None,
            )
        }
        SourceEntity::Role(r) => {
            identity.extend(entity_policies(
                d,
                acct,
                api::PolicySourceType::Role,
                &r.inline,
                &r.attached,
            )?);
            let mut facts = PrincipalFacts::role_session(
                acct,
                &r.path,
                &r.name,
                &r.id,
                "SimulatePrincipalPolicy",
                SessionFacts {
                    kind: SessionKind::AssumeRole,
                    issued_at: crate::timestamps::at(req.now),
                    mfa_authenticated: false,
                    mfa_authenticated_at: None,
                    source_identity: None,
                    federated_provider: None,
                },
            );
            facts.tags = tags_of(&r.tags);
            (facts, r.boundary)
        }
        SourceEntity::Missing(arn) => return Err(IamError::NoSuchEntityArn { arn }.into()),
    };
    let boundary = match boundary {
        Some(b) => managed(d, acct, &b)?,
        None => None,
    };
    Ok(Principal {
        facts,
        identity,
        boundary,
    })
}

fn context_from_entries(entries: &[api::ContextEntry], ctx: &mut Context) -> Result<(), Error> {
    for entry in entries {
        let name = entry.context_key_name.as_deref().unwrap_or_default();
        let values = entry.context_key_values.clone().unwrap_or_default();
        let ty = entry
            .context_key_type
            .and_then(|t| ContextKeyType::from_name(t.as_str()))
            .unwrap_or(ContextKeyType::String);
        add_context_entry(ctx, name, &values, ty)
            .map_err(|e| Error::from(IamError::InvalidContextEntry(e.to_string())))?;
    }
    Ok(())
}

fn condition_keys<'a>(policies: impl Iterator<Item = &'a Policy>) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for p in policies {
        for st in p.statements() {
            for c in st.conditions() {
                keys.insert(c.key().to_owned());
            }
        }
    }
    keys
}

/// What the two Simulate* operations share, besides the principal.
struct Ask<'a> {
    action_names: &'a [String],
    resource_arns: &'a Option<Vec<String>>,
    resource_owner: &'a Option<String>,
    context_entries: &'a Option<Vec<api::ContextEntry>>,
    max_items: Option<i64>,
    marker: &'a Option<String>,
}

struct Simulation<'a> {
    facts: &'a PrincipalFacts,
    identity: &'a [Source],
    boundary: Option<&'a Source>,
    resource_policy: Option<&'a Source>,
}

fn position(p: iamd_policy::Position) -> api::Position {
    api::Position {
        line: i64::try_from(p.line).ok(),
        column: i64::try_from(p.column).ok(),
    }
}

/// Evaluates the requested page of the actions × resources grid: results before the marker
/// and after the page are never computed, so memory and time are those of one page.
fn run_simulation(
    req: &Request<'_>,
    ask: &Ask<'_>,
    sim: Simulation<'_>,
) -> Result<api::SimulatePolicyResponse, Error> {
    let now = crate::timestamps::at(req.now);
    let mut context = principal_context(sim.facts, now);
    context.set("aws:CurrentTime", now);
    context.set("aws:EpochTime", now.unix_timestamp());
    context_from_entries(
        ask.context_entries.as_deref().unwrap_or_default(),
        &mut context,
    )?;
    let set = PolicySet {
        identity: sim
            .identity
            .iter()
            .map(|s| NamedPolicy::new(&s.id, &s.policy))
            .collect(),
        permissions_boundary: sim.boundary.map(|s| NamedPolicy::new(&s.id, &s.policy)),
        session: None,
        resource: sim
            .resource_policy
            .map(|s| NamedPolicy::new(&s.id, &s.policy)),
        resource_kind: ResourcePolicyKind::Generic,
        scp_levels: Vec::new(),
        rcp_levels: Vec::new(),
    };
    let missing: Vec<String> = condition_keys(
        sim.identity
            .iter()
            .chain(sim.boundary)
            .chain(sim.resource_policy)
            .map(|s| &s.policy),
    )
    .into_iter()
    .filter(|k| context.get(k).is_none())
    .collect();
    let star = ["*".to_owned()];
    let resources: &[String] = match ask.resource_arns.as_deref() {
        Some(r) if !r.is_empty() => r,
        _ => &star,
    };
    let owner = ask
        .resource_owner
        .as_deref()
        .and_then(crate::arn::account_of)
        .unwrap_or(req.account())
        .to_owned();
    let kind_of = |id: &str| {
        sim.identity
            .iter()
            .chain(sim.boundary)
            .find(|s| s.id == id)
            .map(|s| s.kind)
    };
    // MaxItems/Marker over the evaluation results; the marker is the index to continue from.
    let total = ask.action_names.len().saturating_mul(resources.len());
    let start: usize = match ask.marker.as_deref() {
        Some(m) => m
            .parse()
            .map_err(|_| Error::from(IamError::InvalidMarker))?,
        None => 0,
    };
    let max = ask
        .max_items
        .and_then(|m| usize::try_from(m).ok())
        .unwrap_or(DEFAULT_MAX_ITEMS)
        .clamp(1, 1000);
    let end = start.saturating_add(max).min(total);
    // every evaluation scans each statement's action probes at least
    let statements = sim
        .identity
        .iter()
        .chain(sim.boundary)
        .chain(sim.resource_policy)
        .map(|s| s.policy.statements().len() as u64)
        .sum::<u64>()
        .saturating_add(1);
    let missing_bytes: usize = missing.iter().map(|k| k.len() + 32).sum();
    // statement positions, found once per document (found per result, a page of results
    // whose thousands of matched statements share one document scanned it thousands of times)
    let positions: std::collections::HashMap<
        *const Policy,
        Vec<(iamd_policy::Position, iamd_policy::Position)>,
    > = sim
        .identity
        .iter()
        .chain(sim.boundary)
        .chain(sim.resource_policy)
        .map(|s| (&s.policy as *const Policy, s.policy.statement_positions()))
        .collect();
    let budget = iamd_policy::work::Budget::start(WORK_BUDGET);
    let mut output = 0usize;
    let mut results = Vec::with_capacity(end.saturating_sub(start));
    for i in start..end {
        let (Some(action), Some(resource)) = (
            ask.action_names.get(i / resources.len()),
            resources.get(i % resources.len()),
        ) else {
            break;
        };
        let request = iamd_policy::Request {
            principal: sim.facts,
            action,
            resource,
            resource_account: Some(&owner),
            context: &context,
        };
        if !budget.charge(statements) {
            return Err(too_large(
                "it would evaluate more policy than one request may",
            ));
        }
        let d = evaluate(&request, &set);
        // decisions computed past the budget may be wrong: none is returned
        if budget.exhausted() {
            return Err(too_large("it would take more work than one request may"));
        }
        output = output
            .saturating_add(action.len() + resource.len() + missing_bytes + 256)
            .saturating_add(d.deciding_statements().count().saturating_mul(192));
        if output > OUTPUT_BUDGET {
            return Err(too_large(
                "its page of results would be larger than one answer may",
            ));
        }
        let matched: Vec<api::Statement> = d
            .deciding_statements()
            .map(|m| {
                let kind = match m.policy_type {
                    PolicyType::ResourceBased | PolicyType::RoleTrust => {
                        Some(api::PolicySourceType::Resource)
                    }
                    _ => kind_of(m.policy_id),
                }
                .unwrap_or(api::PolicySourceType::None);
                let at = positions
                    .get(&(m.policy as *const Policy))
                    .and_then(|p| p.get(m.index()));
                let (start_position, end_position) = match at {
                    Some((s, e)) => (Some(position(*s)), Some(position(*e))),
                    None => (None, None),
                };
                api::Statement {
                    source_policy_id: Some(m.policy_id.to_owned()),
                    source_policy_type: Some(kind),
                    start_position,
                    end_position,
                }
            })
            .collect();
        let decision = api::PolicyEvaluationDecisionType::from_wire(d.outcome.simulation_value())
            .ok_or_else(|| Error::Internal("unknown simulation decision".into()))?;
        results.push(api::EvaluationResult {
            eval_action_name: action.clone(),
            eval_resource_name: Some(resource.clone()),
            eval_decision: decision,
            matched_statements: Some(matched),
            missing_context_values: Some(missing.clone()),
            organizations_decision_detail: None,
            permissions_boundary_decision_detail: sim.boundary.map(|_| {
                api::PermissionsBoundaryDecisionDetail {
                    allowed_by_permissions_boundary: Some(matches!(
                        d.results.boundary,
                        Some(iamd_policy::PolicyResult::Allow)
                    )),
                }
            }),
            eval_decision_details: None,
            resource_specific_results: None,
        });
    }
    let truncated = end < total;
    Ok(api::SimulatePolicyResponse {
        evaluation_results: Some(results),
        is_truncated: Some(truncated),
        marker: truncated.then(|| end.to_string()),
    })
}

fn resource_policy(text: &Option<String>) -> Result<Option<Source>, Error> {
    text.as_deref()
        .map(|text| {
            Ok(Source {
                id: "ResourcePolicy".to_owned(),
                kind: api::PolicySourceType::Resource,
                policy: parse(text, PolicyKind::Resource)?,
            })
        })
        .transpose()
}

fn caller_facts(
    d: &IamDomain,
    req: &Request<'_>,
    caller_arn: &Option<String>,
    default: PrincipalFacts,
) -> Result<PrincipalFacts, Error> {
    let Some(arn) = caller_arn else {
        return Ok(default);
    };
    let acct = req.account();
    let name = arn
        .strip_prefix(&format!("arn:aws:iam::{acct}:user"))
        .and_then(|rest| rest.rsplit_once('/'))
        .ok_or_else(|| Error::from(IamError::CallerArnNotAUser { arn: arn.clone() }))?;
    let u = d.iam.get::<UserRecord>(acct, name.1)?;
    Ok(PrincipalFacts::user(acct, &u.path, &u.name, &u.id))
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html>
impl Op<IamDomain> for o::SimulatePrincipalPolicy {
    type Target = SourceEntity;
    const WRITES: bool = false;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<SourceEntity, Error> {
        SourceEntity::resolve(d, req, &input.policy_source_arn)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, source: &SourceEntity) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:SimulatePrincipalPolicy",
            Some(source.resource(req)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        source: SourceEntity,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = load_principal(d, req, source)?;
        let mut identity = p.identity;
        identity.extend(input_policies(
            input.policy_input_list.as_deref().unwrap_or_default(),
            "PolicyInputList",
            PolicyKind::Identity,
        )?);
        let boundary = input_policies(
            input
                .permissions_boundary_policy_input_list
                .as_deref()
                .unwrap_or_default(),
            "PermissionsBoundaryPolicyInputList",
            PolicyKind::PermissionsBoundary,
        )?
        .into_iter()
        .next()
        .or(p.boundary);
        let facts = caller_facts(d, req, &input.caller_arn, p.facts)?;
        let rp = resource_policy(&input.resource_policy)?;
        run_simulation(
            req,
            &Ask {
                action_names: &input.action_names,
                resource_arns: &input.resource_arns,
                resource_owner: &input.resource_owner,
                context_entries: &input.context_entries,
                max_items: input.max_items,
                marker: &input.marker,
            },
            Simulation {
                facts: &facts,
                identity: &identity,
                boundary: boundary.as_ref(),
                resource_policy: rp.as_ref(),
            },
        )
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html>: no
/// resource type.
impl Op<IamDomain> for o::SimulateCustomPolicy {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:SimulateCustomPolicy", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let identity = input_policies(
            &input.policy_input_list,
            "PolicyInputList",
            PolicyKind::Identity,
        )?;
        let boundary = input_policies(
            input
                .permissions_boundary_policy_input_list
                .as_deref()
                .unwrap_or_default(),
            "PermissionsBoundaryPolicyInputList",
            PolicyKind::PermissionsBoundary,
        )?
        .into_iter()
        .next();
        let default = PrincipalFacts::user(
            req.account(),
            "/",
            "SimulateCustomPolicy",
            "AIDASIMULATEDUSER000",
        );
        let facts = caller_facts(d, req, &input.caller_arn, default)?;
        let rp = resource_policy(&input.resource_policy)?;
        run_simulation(
            req,
            &Ask {
                action_names: &input.action_names,
                resource_arns: &input.resource_arns,
                resource_owner: &input.resource_owner,
                context_entries: &input.context_entries,
                max_items: input.max_items,
                marker: &input.marker,
            },
            Simulation {
                facts: &facts,
                identity: &identity,
                boundary: boundary.as_ref(),
                resource_policy: rp.as_ref(),
            },
        )
    }
}

fn keys_out(policies: &[Source]) -> api::GetContextKeysForPolicyResponse {
    api::GetContextKeysForPolicyResponse {
        context_key_names: Some(
            condition_keys(policies.iter().map(|s| &s.policy))
                .into_iter()
                .collect(),
        ),
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForPrincipalPolicy.html>
impl Op<IamDomain> for o::GetContextKeysForPrincipalPolicy {
    type Target = SourceEntity;
    const WRITES: bool = false;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<SourceEntity, Error> {
        SourceEntity::resolve(d, req, &input.policy_source_arn)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, source: &SourceEntity) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:GetContextKeysForPrincipalPolicy",
            Some(source.resource(req)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        source: SourceEntity,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = load_principal(d, req, source)?;
        let mut all = p.identity;
        all.extend(p.boundary);
        all.extend(input_policies(
            input.policy_input_list.as_deref().unwrap_or_default(),
            "PolicyInputList",
            PolicyKind::Identity,
        )?);
        Ok(keys_out(&all))
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForCustomPolicy.html>:
/// no resource type.
impl Op<IamDomain> for o::GetContextKeysForCustomPolicy {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GetContextKeysForCustomPolicy", None))
    }

    fn act(
        _: &IamDomain,
        _: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        Ok(keys_out(&input_policies(
            &input.policy_input_list,
            "PolicyInputList",
            PolicyKind::Identity,
        )?))
    }
}
