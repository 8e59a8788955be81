//! `iamd policy validate` and `iamd policy simulate`: the policy engine offline.
//!
//! `simulate` takes what `aws iam simulate-custom-policy` takes (`--policy-input-list`,
//! `--permissions-boundary-policy-input-list`, `--action-names`, `--resource-arns`,
//! `--resource-policy`, `--resource-owner`, `--caller-arn`, `--context-entries`) plus a session
//! policy and SCPs, and prints each decision with the statements that decided it.

use clap::{Args, Subcommand, ValueEnum};
use iamd_policy::{
    Context, ContextValue, NamedPolicy, Policy, PolicyKind, PolicySet, PrincipalFacts, Request,
    ResourcePolicyKind, SessionFacts, SessionKind, evaluate, limits, principal_context,
};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Check a policy document the way IAM does; exit 1 on findings.
    Validate(ValidateArgs),
    /// Decide requests against policies, offline, and explain each decision.
    Simulate(Box<SimulateArgs>),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    Identity,
    Boundary,
    Session,
    Resource,
    Trust,
    Scp,
    Rcp,
}

impl Kind {
    fn policy_kind(self) -> PolicyKind {
        match self {
            Kind::Identity => PolicyKind::Identity,
            Kind::Boundary => PolicyKind::PermissionsBoundary,
            Kind::Session => PolicyKind::Session,
            Kind::Resource => PolicyKind::Resource,
            Kind::Trust => PolicyKind::RoleTrust,
            Kind::Scp => PolicyKind::ServiceControl,
            Kind::Rcp => PolicyKind::ResourceControl,
        }
    }

    /// The size quota IAM applies to one document of this kind (whitespace not counted).
    fn size_limit(self) -> Option<(usize, &'static str)> {
        match self {
            Kind::Identity | Kind::Boundary => Some((limits::MANAGED_POLICY, "PolicySize")),
            Kind::Session => Some((limits::SESSION_POLICY, "session policy")),
            Kind::Trust => Some((limits::ROLE_TRUST_POLICY, "ACLSizePerRole")),
            Kind::Resource => Some((
                limits::SECRETS_MANAGER_RESOURCE_POLICY,
                "Secrets Manager resource policy",
            )),
            Kind::Scp | Kind::Rcp => None,
        }
    }
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The policy document (a path, `file://PATH`, or `-` for stdin).
    file: String,
    /// Which rules apply.
    #[arg(long, value_enum, default_value = "identity")]
    kind: Kind,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Identity policies (documents, `file://PATH` or paths), like simulate-custom-policy.
    #[arg(long = "policy-input-list", num_args = 1.., required = true)]
    policies: Vec<String>,
    /// A permissions boundary.
    #[arg(long = "permissions-boundary-policy-input-list")]
    boundary: Option<String>,
    /// A session policy (the caller is then a role session).
    #[arg(long = "session-policy")]
    session_policy: Option<String>,
    /// Service control policies, one per OU level from the root down.
    #[arg(long = "scp", num_args = 1..)]
    scps: Vec<String>,
    /// Actions to decide, e.g. `secretsmanager:GetSecretValue`.
    #[arg(long = "action-names", num_args = 1.., required = true)]
    actions: Vec<String>,
    /// Resource ARNs (default `*`).
    #[arg(long = "resource-arns", num_args = 1..)]
    resources: Vec<String>,
    /// A resource-based policy attached to the resources.
    #[arg(long = "resource-policy")]
    resource_policy: Option<String>,
    /// Treat the resource policy as a role trust policy (must allow explicitly).
    #[arg(long)]
    trust: bool,
    /// Account that owns the resources (default: the caller's).
    #[arg(long = "resource-owner")]
    resource_owner: Option<String>,
    /// The caller: a user, root, or assumed-role ARN (default a user in 123456789012).
    #[arg(long = "caller-arn")]
    caller_arn: Option<String>,
    /// Context entries in the CLI's shorthand:
    /// `ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip`.
    #[arg(long = "context-entries", num_args = 1..)]
    context: Vec<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: PolicyCommand) -> ExitCode {
    let res = match cmd {
        PolicyCommand::Validate(a) => validate(a),
        PolicyCommand::Simulate(a) => simulate(*a),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("iamd policy: {e}");
            ExitCode::from(2)
        }
    }
}

/// A policy argument: `file://PATH`, `-` (stdin), a JSON document, or a path.
fn read_doc(arg: &str) -> Result<String, String> {
    if let Some(path) = arg.strip_prefix("file://") {
        return std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"));
    }
    if arg == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("reading stdin: {e}"))?;
        return Ok(s);
    }
    if arg.trim_start().starts_with('{') {
        return Ok(arg.to_owned());
    }
    std::fs::read_to_string(arg).map_err(|e| format!("reading {arg}: {e}"))
}

fn validate(a: ValidateArgs) -> Result<ExitCode, String> {
    let text = read_doc(&a.file)?;
    let mut findings: Vec<String> = Vec::new();
    let mut size = None;
    match Policy::parse(&text, a.kind.policy_kind()) {
        Ok(p) => {
            size = Some(p.size());
            if let Some((limit, quota)) = a.kind.size_limit()
                && p.size() > limit
            {
                findings.push(format!("Cannot exceed quota for {quota}: {limit}"));
            }
        }
        Err(e) => findings.push(e.message().to_owned()),
    }
    if a.json {
        let v = serde_json::json!({
            "valid": findings.is_empty(),
            "kind": format!("{:?}", a.kind).to_lowercase(),
            "size": size,
            "findings": findings,
        });
        println!("{v}");
    } else if findings.is_empty() {
        println!(
            "valid {} policy ({} characters without whitespace)",
            format!("{:?}", a.kind).to_lowercase(),
            size.unwrap_or(0)
        );
    } else {
        for f in &findings {
            println!("MalformedPolicyDocument: {f}");
        }
    }
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn parse_policy(arg: &str, kind: PolicyKind, what: &str) -> Result<Policy, String> {
    let text = read_doc(arg)?;
    Policy::parse(&text, kind)
        .map_err(|e| format!("{what}: MalformedPolicyDocument: {}", e.message()))
}

/// The caller's facts from an ARN.
fn caller_facts(arn: &str, now: time::OffsetDateTime) -> Result<PrincipalFacts, String> {
    let bad = || format!("--caller-arn `{arn}` is not a user, root or assumed-role ARN");
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", _, service, _, account, resource] = parts[..] else {
        return Err(bad());
    };
    match service {
        "iam" if resource == "root" => Ok(PrincipalFacts::root(account)),
        "iam" if resource.starts_with("user/") => {
            let full = &resource[4..];
            let cut = full.rfind('/').ok_or_else(bad)?;
            let (path, name) = (&full[..=cut], &full[cut + 1..]);
            Ok(PrincipalFacts::user(
                account,
                path,
                name,
                "AIDASIMULATEDUSERID0",
            ))
        }
        "sts" if resource.starts_with("assumed-role/") => {
            let mut it = resource["assumed-role/".len()..].splitn(2, '/');
            let role = it.next().filter(|r| !r.is_empty()).ok_or_else(bad)?;
            let session = it.next().filter(|s| !s.is_empty()).ok_or_else(bad)?;
            Ok(PrincipalFacts::role_session(
                account,
                "/",
                role,
                "AROASIMULATEDROLEID0",
                session,
                SessionFacts {
                    kind: SessionKind::AssumeRole,
                    issued_at: now,
                    mfa_authenticated: false,
                    mfa_authenticated_at: None,
                    source_identity: None,
                    federated_provider: None,
                },
            ))
        }
        _ => Err(bad()),
    }
}

/// One `--context-entries` value in the CLI's shorthand.
fn parse_context_entry(s: &str, ctx: &mut Context) -> Result<(), String> {
    let name_at = s
        .find("ContextKeyName=")
        .ok_or_else(|| format!("context entry `{s}` has no ContextKeyName="))?;
    let values_at = s
        .find("ContextKeyValues=")
        .ok_or_else(|| format!("context entry `{s}` has no ContextKeyValues="))?;
    let type_at = s
        .find("ContextKeyType=")
        .ok_or_else(|| format!("context entry `{s}` has no ContextKeyType="))?;
    let field = |start: usize, prefix: &str| -> String {
        let from = start + prefix.len();
        let ends = [name_at, values_at, type_at]
            .into_iter()
            .filter(|&p| p > start)
            .min()
            .unwrap_or(s.len());
        s[from..ends].trim_end_matches(',').to_owned()
    };
    let name = field(name_at, "ContextKeyName=");
    let values: Vec<String> = field(values_at, "ContextKeyValues=")
        .split(',')
        .map(str::to_owned)
        .collect();
    let ty = field(type_at, "ContextKeyType=").to_lowercase();
    let multi = ty.ends_with("list");
    let base = ty.trim_end_matches("list");
    let mut parsed = Vec::with_capacity(values.len());
    for v in &values {
        let value = match base {
            "string" => ContextValue::from(v.as_str()),
            "numeric" => ContextValue::from(
                v.parse::<f64>()
                    .map_err(|_| format!("`{v}` is not numeric"))?,
            ),
            "boolean" => ContextValue::from(
                v.parse::<bool>()
                    .map_err(|_| format!("`{v}` is not a boolean"))?,
            ),
            "ip" => ContextValue::from(
                v.parse::<std::net::IpAddr>()
                    .map_err(|_| format!("`{v}` is not an IP address"))?,
            ),
            "date" => ContextValue::from(
                iamd_policy::parse_date(v).ok_or_else(|| format!("`{v}` is not a date"))?,
            ),
            "binary" => ContextValue::Binary(v.as_bytes().to_vec()),
            other => return Err(format!("unknown ContextKeyType `{other}`")),
        };
        parsed.push(value);
    }
    if multi {
        ctx.set_multi(&name, parsed);
    } else if let Some(v) = parsed.into_iter().next() {
        ctx.set(&name, v);
    }
    Ok(())
}

fn simulate(a: SimulateArgs) -> Result<ExitCode, String> {
    let now = time::OffsetDateTime::now_utc();
    let identity: Vec<Policy> = a
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| parse_policy(p, PolicyKind::Identity, &format!("policy {}", i + 1)))
        .collect::<Result<_, _>>()?;
    let boundary = a
        .boundary
        .as_deref()
        .map(|p| parse_policy(p, PolicyKind::PermissionsBoundary, "permissions boundary"))
        .transpose()?;
    let session = a
        .session_policy
        .as_deref()
        .map(|p| parse_policy(p, PolicyKind::Session, "session policy"))
        .transpose()?;
    let resource_policy = a
        .resource_policy
        .as_deref()
        .map(|p| {
            let kind = if a.trust {
                PolicyKind::RoleTrust
            } else {
                PolicyKind::Resource
            };
            parse_policy(p, kind, "resource policy")
        })
        .transpose()?;
    let scps: Vec<Policy> = a
        .scps
        .iter()
        .enumerate()
        .map(|(i, p)| parse_policy(p, PolicyKind::ServiceControl, &format!("SCP {}", i + 1)))
        .collect::<Result<_, _>>()?;
    let caller_arn = a
        .caller_arn
        .clone()
        .unwrap_or_else(|| "arn:aws:iam::123456789012:user/simulated".to_owned());
    let principal = caller_facts(&caller_arn, now)?;
    let mut ctx = principal_context(&principal, now);
    for entry in &a.context {
        parse_context_entry(entry, &mut ctx)?;
    }
    let ids: Vec<String> = (1..=identity.len())
        .map(|i| format!("PolicyInputList.{i}"))
        .collect();
    let scp_ids: Vec<String> = (1..=scps.len()).map(|i| format!("SCP.{i}")).collect();
    let set = PolicySet {
        identity: identity
            .iter()
            .zip(&ids)
            .map(|(p, id)| NamedPolicy::new(id, p))
            .collect(),
        permissions_boundary: boundary
            .as_ref()
            .map(|p| NamedPolicy::new("PermissionsBoundaryPolicyInputList.1", p)),
        session: session
            .as_ref()
            .map(|p| vec![NamedPolicy::new("SessionPolicy", p)]),
        resource: resource_policy
            .as_ref()
            .map(|p| NamedPolicy::new("ResourcePolicy", p)),
        resource_kind: if a.trust {
            ResourcePolicyKind::RoleTrust
        } else {
            ResourcePolicyKind::default()
        },
        scp_levels: scps
            .iter()
            .zip(&scp_ids)
            .map(|(p, id)| vec![NamedPolicy::new(id, p)])
            .collect(),
        rcp_levels: Vec::new(),
    };
    let resources = if a.resources.is_empty() {
        vec!["*".to_owned()]
    } else {
        a.resources.clone()
    };
    let owner = a
        .resource_owner
        .clone()
        .unwrap_or_else(|| principal.account.clone());
    let mut results = Vec::new();
    let mut any_denied = false;
    for action in &a.actions {
        for resource in &resources {
            let req = Request {
                principal: &principal,
                action,
                resource,
                resource_account: Some(&owner),
                context: &ctx,
            };
            let d = evaluate(&req, &set);
            any_denied |= !d.is_allowed();
            let matched: Vec<serde_json::Value> = d
                .deciding_statements()
                .map(|m| {
                    serde_json::json!({
                        "SourcePolicyId": m.policy_id,
                        "Sid": m.sid(),
                        "StatementIndex": m.index(),
                        "Effect": format!("{:?}", m.effect()),
                    })
                })
                .collect();
            if a.json {
                results.push(serde_json::json!({
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": d.outcome.simulation_value(),
                    "MatchedStatements": matched,
                    "AccessDeniedMessage": d.access_denied_message(&req, resource != "*"),
                }));
            } else {
                println!("{action} on {resource}: {}", d.outcome.simulation_value());
                print!("{}", d.explain(&req));
                if let Some(msg) = d.access_denied_message(&req, resource != "*") {
                    println!("  AWS would answer: {msg}");
                }
                println!();
            }
        }
    }
    if a.json {
        println!("{}", serde_json::json!({ "EvaluationResults": results }));
    }
    Ok(if any_denied {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_arns() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let u = caller_facts("arn:aws:iam::111122223333:user/team/alice", now).unwrap();
        assert_eq!(u.arn, "arn:aws:iam::111122223333:user/team/alice");
        assert_eq!(u.username.as_deref(), Some("alice"));
        let r = caller_facts("arn:aws:sts::111122223333:assumed-role/Reader/s1", now).unwrap();
        assert_eq!(
            r.role_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/Reader")
        );
        assert!(caller_facts("arn:aws:iam::1:group/x", now).is_err());
        assert!(caller_facts("nope", now).is_err());
    }

    #[test]
    fn context_shorthand() {
        let mut ctx = Context::new();
        parse_context_entry(
            "ContextKeyName=aws:MultiFactorAuthPresent,ContextKeyValues=true,ContextKeyType=boolean",
            &mut ctx,
        )
        .unwrap();
        parse_context_entry(
            "ContextKeyName=aws:TagKeys,ContextKeyValues=a,b,ContextKeyType=stringList",
            &mut ctx,
        )
        .unwrap();
        assert_eq!(
            ctx.get("aws:multifactorauthpresent").unwrap().values.len(),
            1
        );
        assert_eq!(ctx.get("aws:TagKeys").unwrap().values.len(), 2);
        assert!(
            parse_context_entry(
                "ContextKeyName=x,ContextKeyValues=abc,ContextKeyType=numeric",
                &mut ctx
            )
            .is_err()
        );
    }
}
