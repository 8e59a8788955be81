//! IAM's policy simulation: SimulatePrincipalPolicy, SimulateCustomPolicy and
//! GetContextKeysFor{Principal,Custom}Policy, answered by the same engine that decides every
//! request (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html>).

use super::{Authz, Ctx, OpSpec, no_resource};
use crate::error::Error;
use crate::iam::records::{GroupRecord, RoleRecord, UserRecord};
use crate::iam::{PageReq, aws_managed_record, is_aws_managed};
use iamd_api::{Service, Value};
use iamd_policy::{
    Context, ContextKeyType, NamedPolicy, Policy, PolicyKind, PolicySet, PolicyType,
    PrincipalFacts, Request, ResourcePolicyKind, SessionFacts, SessionKind, add_context_entry,
    evaluate, principal_context,
};
use std::collections::BTreeSet;

const IAM: Service = Service::Iam;

pub const OPS: &[OpSpec] = &[
    OpSpec {
        service: IAM,
        name: "SimulatePrincipalPolicy",
        authz: Authz::Action {
            action: "iam:SimulatePrincipalPolicy",
            resource: res_source,
        },
        mutates: false,
        run: simulate_principal_policy,
    },
    OpSpec {
        service: IAM,
        name: "SimulateCustomPolicy",
        authz: Authz::Action {
            action: "iam:SimulateCustomPolicy",
            resource: no_resource,
        },
        mutates: false,
        run: simulate_custom_policy,
    },
    OpSpec {
        service: IAM,
        name: "GetContextKeysForPrincipalPolicy",
        authz: Authz::Action {
            action: "iam:GetContextKeysForPrincipalPolicy",
            resource: res_source,
        },
        mutates: false,
        run: context_keys_for_principal,
    },
    OpSpec {
        service: IAM,
        name: "GetContextKeysForCustomPolicy",
        authz: Authz::Action {
            action: "iam:GetContextKeysForCustomPolicy",
            resource: no_resource,
        },
        mutates: false,
        run: context_keys_for_custom,
    },
];

fn res_source(_: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(input.str("PolicySourceArn").map(str::to_owned))
}

/// One policy that takes part in a simulation, with how IAM reports it in MatchedStatements.
struct Source {
    id: String,
    /// `user`, `group`, `role`, `aws-managed`, `user-managed`, `resource` or `none`.
    kind: &'static str,
    policy: Policy,
}

fn invalid_input(msg: impl Into<String>) -> Error {
    Error::aws("InvalidInput", msg)
}

fn parse(text: &str, kind: PolicyKind) -> Result<Policy, Error> {
    Policy::parse(text, kind)
        .map_err(|e| Error::aws("MalformedPolicyDocument", e.message().to_owned()))
}

fn input_policies(input: &Value, member: &str, kind: PolicyKind) -> Result<Vec<Source>, Error> {
    input
        .strings(member)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            Ok(Source {
                id: format!("{member}.{}", i + 1),
                kind: "none",
                policy: parse(text, kind)?,
            })
        })
        .collect()
}

fn managed(ctx: &Ctx<'_>, arn: &str) -> Result<Option<Source>, Error> {
    let acct = ctx.caller.account.as_str();
    let rec = if is_aws_managed(arn) {
        aws_managed_record(arn)
    } else {
        ctx.core.iam.get_policy(acct, arn).ok()
    };
    let Some(p) = rec else { return Ok(None) };
    let Some(v) = p.versions.iter().find(|v| v.id == p.default_version) else {
        return Ok(None);
    };
    Ok(Some(Source {
        id: p.name.clone(),
        kind: if p.aws_managed {
            "aws-managed"
        } else {
            "user-managed"
        },
        policy: parse(&v.document, PolicyKind::Identity)?,
    }))
}

fn inline(
    kind: &'static str,
    entries: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<Source>, Error> {
    entries
        .iter()
        .map(|(name, text)| {
            Ok(Source {
                id: name.clone(),
                kind,
                policy: parse(text, PolicyKind::Identity)?,
            })
        })
        .collect()
}

/// An entity's inline policies (reported as `kind`) and its attached managed policies.
fn entity_policies(
    ctx: &Ctx<'_>,
    kind: &'static str,
    inline_docs: &std::collections::BTreeMap<String, String>,
    attached: &[String],
) -> Result<Vec<Source>, Error> {
    let mut out = inline(kind, inline_docs)?;
    for a in attached {
        out.extend(managed(ctx, a)?);
    }
    Ok(out)
}

/// The simulated principal: its facts, identity policies and boundary.
struct Principal {
    facts: PrincipalFacts,
    identity: Vec<Source>,
    boundary: Option<Source>,
}

fn load_principal(ctx: &Ctx<'_>, arn: &str) -> Result<Principal, Error> {
    let acct = ctx.caller.account.as_str();
    let no_entity = || {
        Error::aws(
            "NoSuchEntity",
            format!("The entity with ARN {arn} cannot be found."),
        )
    };
    let rest = arn
        .strip_prefix(&format!("arn:aws:iam::{acct}:"))
        .ok_or_else(no_entity)?;
    let (kind, full) = rest.split_once('/').ok_or_else(no_entity)?;
    let name = full.rsplit('/').next().unwrap_or(full);
    let mut identity = Vec::new();
    let (facts, boundary) = match kind {
        "user" => {
            let u = ctx
                .core
                .iam
                .get::<UserRecord>(acct, name)
                .map_err(|_| no_entity())?;
            identity.extend(entity_policies(ctx, "user", &u.inline, &u.attached)?);
            let groups = ctx.core.iam.list_groups_for_user(
                acct,
                name,
                PageReq {
                    marker: None,
                    max_items: Some(1000),
                },
            )?;
            for g in &groups.items {
                identity.extend(entity_policies(ctx, "group", &g.inline, &g.attached)?);
            }
            let mut facts = PrincipalFacts::user(acct, &u.path, &u.name, &u.id);
            facts.tags = u
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect();
            (facts, u.boundary.clone())
        }
        "group" => {
            let g = ctx
                .core
                .iam
                .get::<GroupRecord>(acct, name)
                .map_err(|_| no_entity())?;
            identity.extend(entity_policies(ctx, "group", &g.inline, &g.attached)?);
            // A group is simulated as an anonymous member of it.
            (
                PrincipalFacts::user(acct, "/", "simulated", "AIDASIMULATEDGROUP00"),
                None,
            )
        }
        "role" => {
            let r = ctx
                .core
                .iam
                .get::<RoleRecord>(acct, name)
                .map_err(|_| no_entity())?;
            identity.extend(entity_policies(ctx, "role", &r.inline, &r.attached)?);
            let now = time::OffsetDateTime::from_unix_timestamp(ctx.core.now())
                .map_err(|e| Error::Internal(format!("clock out of range: {e}")))?;
            let mut facts = PrincipalFacts::role_session(
                acct,
                &r.path,
                &r.name,
                &r.id,
                "SimulatePrincipalPolicy",
                SessionFacts {
                    kind: SessionKind::AssumeRole,
                    issued_at: now,
                    mfa_authenticated: false,
                    mfa_authenticated_at: None,
                    source_identity: None,
                    federated_provider: None,
                },
            );
            facts.tags = r
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect();
            (facts, r.boundary.clone())
        }
        _ => return Err(no_entity()),
    };
    let boundary = match boundary {
        Some(b) => managed(ctx, &b)?,
        None => None,
    };
    Ok(Principal {
        facts,
        identity,
        boundary,
    })
}

fn context_from_entries(input: &Value, ctx: &mut Context) -> Result<(), Error> {
    for entry in input.list("ContextEntries").unwrap_or_default() {
        let name = entry.str("ContextKeyName").unwrap_or_default();
        let values: Vec<String> = entry
            .strings("ContextKeyValues")
            .into_iter()
            .map(str::to_owned)
            .collect();
        let ty = entry
            .str("ContextKeyType")
            .and_then(ContextKeyType::from_name)
            .unwrap_or(ContextKeyType::String);
        add_context_entry(ctx, name, &values, ty).map_err(|e| invalid_input(e.to_string()))?;
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

fn source_type_for(t: PolicyType) -> Option<&'static str> {
    match t {
        PolicyType::ResourceBased | PolicyType::RoleTrust => Some("resource"),
        _ => None,
    }
}

struct Simulation<'a> {
    facts: &'a PrincipalFacts,
    identity: &'a [Source],
    boundary: Option<&'a Source>,
    resource_policy: Option<&'a Source>,
}

fn position(p: iamd_policy::Position) -> Value {
    Value::builder()
        .set("Line", p.line as i64)
        .set("Column", p.column as i64)
        .build()
}

fn run_simulation(ctx: &Ctx<'_>, input: &Value, sim: Simulation<'_>) -> Result<Value, Error> {
    let now = time::OffsetDateTime::from_unix_timestamp(ctx.core.now())
        .map_err(|e| Error::Internal(format!("clock out of range: {e}")))?;
    let mut context = principal_context(sim.facts, now);
    context.set("aws:CurrentTime", now);
    context.set("aws:EpochTime", now.unix_timestamp());
    context_from_entries(input, &mut context)?;
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
    let all_policies = sim
        .identity
        .iter()
        .chain(sim.boundary)
        .chain(sim.resource_policy)
        .map(|s| &s.policy);
    let missing: Vec<String> = condition_keys(all_policies)
        .into_iter()
        .filter(|k| context.get(k).is_none())
        .collect();
    let actions = input.strings("ActionNames");
    let resources: Vec<&str> = {
        let r = input.strings("ResourceArns");
        if r.is_empty() { vec!["*"] } else { r }
    };
    let owner = input
        .str("ResourceOwner")
        .and_then(crate::core::arn_account)
        .map(str::to_owned)
        .unwrap_or_else(|| ctx.caller.account.clone());
    let kind_of = |id: &str| {
        sim.identity
            .iter()
            .chain(sim.boundary)
            .find(|s| s.id == id)
            .map(|s| s.kind)
    };
    let mut results = Vec::new();
    for action in &actions {
        for resource in &resources {
            let req = Request {
                principal: sim.facts,
                action,
                resource,
                resource_account: Some(&owner),
                context: &context,
            };
            let d = evaluate(&req, &set);
            let matched: Vec<Value> = d
                .deciding_statements()
                .map(|m| {
                    let kind = source_type_for(m.policy_type)
                        .or_else(|| kind_of(m.policy_id))
                        .unwrap_or("none");
                    let mut b = Value::builder()
                        .set("SourcePolicyId", m.policy_id)
                        .set("SourcePolicyType", kind);
                    if let Some((start, end)) = m.statement_position() {
                        b = b
                            .set("StartPosition", position(start))
                            .set("EndPosition", position(end));
                    }
                    b.build()
                })
                .collect();
            let mut r = Value::builder()
                .set("EvalActionName", *action)
                .set("EvalResourceName", *resource)
                .set("EvalDecision", d.outcome.simulation_value())
                .set("MatchedStatements", Value::List(matched))
                .set(
                    "MissingContextValues",
                    Value::List(missing.iter().map(|k| Value::from(k.as_str())).collect()),
                );
            if sim.boundary.is_some() {
                let allowed = matches!(d.results.boundary, Some(iamd_policy::PolicyResult::Allow));
                r = r.set(
                    "PermissionsBoundaryDecisionDetail",
                    Value::builder()
                        .set("AllowedByPermissionsBoundary", allowed)
                        .build(),
                );
            }
            results.push(r.build());
        }
    }
    // MaxItems/Marker over the evaluation results; the marker is the index to continue from.
    let start: usize = match input.str("Marker") {
        Some(m) => m
            .parse()
            .map_err(|_| Error::aws("ValidationError", "Invalid Marker."))?,
        None => 0,
    };
    let max = input.i64("MaxItems").unwrap_or(100).max(1) as usize;
    let total = results.len();
    let page: Vec<Value> = results.into_iter().skip(start).take(max).collect();
    let next = start + page.len();
    let mut out = Value::builder()
        .set("EvaluationResults", Value::List(page))
        .set("IsTruncated", next < total);
    if next < total {
        out = out.set("Marker", next.to_string());
    }
    Ok(out.build())
}

fn resource_policy(input: &Value) -> Result<Option<Source>, Error> {
    input
        .str("ResourcePolicy")
        .map(|text| {
            Ok(Source {
                id: "ResourcePolicy".to_owned(),
                kind: "resource",
                policy: parse(text, PolicyKind::Resource)?,
            })
        })
        .transpose()
}

fn caller_facts(
    ctx: &Ctx<'_>,
    input: &Value,
    default: PrincipalFacts,
) -> Result<PrincipalFacts, Error> {
    let Some(arn) = input.str("CallerArn") else {
        return Ok(default);
    };
    let acct = ctx.caller.account.as_str();
    let name = arn
        .strip_prefix(&format!("arn:aws:iam::{acct}:user"))
        .and_then(|rest| rest.rsplit_once('/'))
        .ok_or_else(|| {
            invalid_input(format!(
                "CallerArn {arn} must be an IAM user of this account."
            ))
        })?;
    let u = ctx.core.iam.get::<UserRecord>(acct, name.1).map_err(|_| {
        Error::aws(
            "NoSuchEntity",
            format!("The user with name {} cannot be found.", name.1),
        )
    })?;
    Ok(PrincipalFacts::user(acct, &u.path, &u.name, &u.id))
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html>
fn simulate_principal_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let source = input.str("PolicySourceArn").unwrap_or_default();
    let p = load_principal(ctx, source)?;
    let mut identity = p.identity;
    identity.extend(input_policies(
        input,
        "PolicyInputList",
        PolicyKind::Identity,
    )?);
    let boundary_input = input_policies(
        input,
        "PermissionsBoundaryPolicyInputList",
        PolicyKind::PermissionsBoundary,
    )?;
    let boundary = boundary_input.into_iter().next().or(p.boundary);
    let facts = caller_facts(ctx, input, p.facts)?;
    let rp = resource_policy(input)?;
    run_simulation(
        ctx,
        input,
        Simulation {
            facts: &facts,
            identity: &identity,
            boundary: boundary.as_ref(),
            resource_policy: rp.as_ref(),
        },
    )
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html>
fn simulate_custom_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let identity = input_policies(input, "PolicyInputList", PolicyKind::Identity)?;
    let boundary = input_policies(
        input,
        "PermissionsBoundaryPolicyInputList",
        PolicyKind::PermissionsBoundary,
    )?
    .into_iter()
    .next();
    let acct = ctx.caller.account.as_str();
    let default = PrincipalFacts::user(acct, "/", "SimulateCustomPolicy", "AIDASIMULATEDUSER000");
    let facts = caller_facts(ctx, input, default)?;
    let rp = resource_policy(input)?;
    run_simulation(
        ctx,
        input,
        Simulation {
            facts: &facts,
            identity: &identity,
            boundary: boundary.as_ref(),
            resource_policy: rp.as_ref(),
        },
    )
}

fn keys_out(policies: &[Source]) -> Value {
    let keys = condition_keys(policies.iter().map(|s| &s.policy));
    Value::builder()
        .set(
            "ContextKeyNames",
            Value::List(keys.iter().map(|k| Value::from(k.as_str())).collect()),
        )
        .build()
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForPrincipalPolicy.html>
fn context_keys_for_principal(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let p = load_principal(ctx, input.str("PolicySourceArn").unwrap_or_default())?;
    let mut all = p.identity;
    all.extend(p.boundary);
    all.extend(input_policies(
        input,
        "PolicyInputList",
        PolicyKind::Identity,
    )?);
    Ok(keys_out(&all))
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForCustomPolicy.html>
fn context_keys_for_custom(_: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    Ok(keys_out(&input_policies(
        input,
        "PolicyInputList",
        PolicyKind::Identity,
    )?))
}
