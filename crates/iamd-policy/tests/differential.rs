#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Differential testing against an independent engine, `@cloud-copilot/iam-simulate` (AGPL):
//! it is installed with npm at test time and run as a separate node process
//! (`tests/differential/simulate.mjs`); nothing of it is copied here.
//!
//! Ignored by default (needs node + npm registry access):
//! `cargo test -p iamd-policy --test differential -- --ignored --nocapture`
//! Env: `IAM_SIMULATE_DIR` (existing install dir; default: npm install into a temp dir),
//! `DIFF_CASES` (default 5000), `DIFF_SEED`.
//!
//! Every disagreement must be either fixed or listed in `known_divergence` with the AWS source
//! that decides it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use iamd_policy::*;
use serde_json::{Value, json};
use time::OffsetDateTime;

const A: &str = "111122223333";
const B: &str = "444455556666";

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const ACTIONS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:DescribeSecret",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "secretsmanager:*",
    "secretsmanager:Get*",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:*Secret*",
    "secretsmanager:Describe?ecret",
    "s3:GetObject",
    "sts:AssumeRole",
    "sts:*",
];

#[derive(Clone)]
struct Who {
    facts: PrincipalFacts,
}

fn principals() -> Vec<Who> {
    let sess = |acct: &str, role: &str| {
        PrincipalFacts::role_session(
            acct,
            "/",
            role,
            "AROAEXAMPLEEXAMPLE01",
            "s1",
            SessionFacts {
                kind: SessionKind::AssumeRole,
                issued_at: OffsetDateTime::UNIX_EPOCH,
                mfa_authenticated: false,
                mfa_authenticated_at: None,
                source_identity: None,
                federated_provider: None,
            },
        )
    };
    let mut alice = PrincipalFacts::user(A, "/", "alice", "AIDAALICEEXAMPLE0001");
    alice.tags = vec![("team".into(), "blue".into())];
    let mut reader = sess(A, "Reader");
    reader.tags = vec![("team".into(), "red".into())];
    vec![
        Who { facts: alice },
        Who {
            facts: PrincipalFacts::user(A, "/", "bob", "AIDABOBEXAMPLE000001"),
        },
        Who { facts: reader },
        Who {
            facts: sess(B, "Reader"),
        },
        Who {
            facts: PrincipalFacts::user(B, "/", "carol", "AIDACAROLEXAMPLE0001"),
        },
        Who {
            facts: PrincipalFacts::root(A),
        },
        Who {
            facts: PrincipalFacts::federated_user(
                A,
                "fed",
                SessionFacts {
                    kind: SessionKind::FederationToken,
                    issued_at: OffsetDateTime::UNIX_EPOCH,
                    mfa_authenticated: false,
                    mfa_authenticated_at: None,
                    source_identity: None,
                    federated_provider: None,
                },
            ),
        },
    ]
}

fn condition(r: &mut Rng) -> Option<Value> {
    let c = match r.below(28) {
        0 => {
            json!({"StringEquals": {"aws:PrincipalTag/team": *r.pick(&["blue", "red", "bluered"])}})
        }
        1 => json!({"StringNotEquals": {"aws:PrincipalArn": *r.pick(&[
            format!("arn:aws:iam::{A}:role/Reader"), format!("arn:aws:iam::{B}:role/Reader"), format!("arn:aws:iam::{A}:user/alice")])}}),
        2 => json!({"IpAddress": {"aws:SourceIp": *r.pick(&["10.0.0.0/8", "192.0.2.0/24"])}}),
        3 => json!({"ForAnyValue:StringLike": {"aws:TagKeys": ["env*"]}}),
        4 => json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}),
        5 => json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
        6 => json!({"StringLike": {"aws:ResourceTag/owner": "${aws:username}"}}),
        7 => {
            json!({"ArnLike": {"aws:PrincipalArn": *r.pick(&["arn:aws:iam::*:role/*", "arn:aws:iam::*:user/a*"])}})
        }
        8 => json!({"StringEqualsIgnoreCase": {"aws:PrincipalAccount": *r.pick(&[A, B])}}),
        9 => json!({"Null": {"aws:ResourceTag/owner": *r.pick(&["true", "false"])}}),
        10 => json!({"StringNotLikeIfExists": {"aws:ResourceTag/owner": "b*"}}),
        11 => {
            json!({"DateGreaterThan": {"aws:CurrentTime": *r.pick(&["2026-01-01T00:00:00Z", "2027-01-01", "1767225600"])}})
        }
        12 => json!({"DateLessThanEquals": {"aws:TokenIssueTime": "2026-06-01T00:00:00Z"}}),
        13 => json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
        14 => {
            json!({"IpAddress": {"aws:SourceIp": *r.pick(&["2001:db8::/32", "10.1.2.3", "10.1.2.0/31"])}})
        }
        15 => json!({"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}),
        16 => json!({"StringLike": {"aws:ResourceTag/owner": "${aws:PrincipalTag/team, 'alice'}"}}),
        17 => json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["team"]}}),
        18 => json!({"ForAnyValue:StringNotLike": {"aws:TagKeys": ["t*"]}}),
        19 => json!({"StringEqualsIfExists": {"aws:ResourceTag/owner": ["alice", "carol"]}}),
        20 => json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:*"}}),
        21 => json!({"Bool": {"aws:SecureTransport": *r.pick(&["true", "false"])}}),
        22 => {
            json!({"StringEquals": {"aws:userid": "${aws:userid}", "aws:PrincipalType": *r.pick(&["User", "AssumedRole"])}})
        }
        23 => json!({"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["ENV", "Cost"]}}),
        24 => {
            json!({"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": *r.pick(&["5", "5.5", "-1"])}})
        }
        25 => {
            json!({"Null": {"aws:TagKeys": "true"}, "StringNotEquals": {"aws:PrincipalAccount": B}})
        }
        _ => return None,
    };
    Some(c)
}

fn statement(r: &mut Rng, principal: Option<Value>, deny_pct: u64) -> Value {
    let mut s = json!({"Effect": if r.chance(deny_pct) { "Deny" } else { "Allow" }});
    let n = 1 + r.below(2);
    let acts: Vec<&str> = (0..n).map(|_| *r.pick(ACTION_PATTERNS)).collect();
    s[if r.chance(10) { "NotAction" } else { "Action" }] = json!(acts);
    let res = *r.pick(&[
        "*",
        "arn:aws:secretsmanager:*:*:secret:app/*",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:*",
        "arn:aws:secretsmanager:*:444455556666:secret:*",
        "arn:aws:secretsmanager:us-east-1:*:secret:app/db-??????",
        "arn:aws:secretsmanager:*:*:secret:ops/*",
        "arn:aws:iam::*:role/Target",
    ]);
    s[if r.chance(8) {
        "NotResource"
    } else {
        "Resource"
    }] = json!(res);
    if let Some(p) = principal {
        s["Principal"] = p;
    }
    if r.chance(45)
        && let Some(c) = condition(r)
    {
        s["Condition"] = c;
    }
    s
}

fn rp_principal(r: &mut Rng) -> Value {
    match r.below(8) {
        0 => json!("*"),
        1 => json!({"AWS": A}),
        2 => json!({"AWS": format!("arn:aws:iam::{B}:root")}),
        3 => json!({"AWS": format!("arn:aws:iam::{A}:role/Reader")}),
        4 => json!({"AWS": format!("arn:aws:iam::{B}:role/Reader")}),
        5 => json!({"AWS": format!("arn:aws:iam::{A}:user/alice")}),
        6 => json!({"AWS": format!("arn:aws:sts::{A}:federated-user/fed")}),
        _ => json!({"AWS": format!("arn:aws:sts::{A}:assumed-role/Reader/s1")}),
    }
}

fn policy(stmts: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": stmts})
}

struct Case {
    trust: bool,
    who: usize,
    action: &'static str,
    resource: String,
    resource_account: &'static str,
    identity: Vec<Value>,
    boundary: Option<Value>,
    session: Option<Value>,
    resource_policy: Option<Value>,
    scps: Vec<Vec<Value>>,
    tag_keys: Option<Vec<&'static str>>,
    owner_tag: Option<&'static str>,
    ip: &'static str,
    secure: bool,
    n: Option<&'static str>,
}

fn gen_case(r: &mut Rng, who: &[Who]) -> Case {
    let w = r.below(who.len());
    let resource_account = if r.chance(60) { A } else { B };
    let name = *r.pick(&["app/db-AbCdEf", "ops/key-AbCdEf"]);
    let stmts = |r: &mut Rng, n: usize, p: bool, deny: u64| -> Vec<Value> {
        (0..n)
            .map(|_| {
                let pr = if p { Some(rp_principal(r)) } else { None };
                statement(r, pr, deny)
            })
            .collect()
    };
    let n_id = r.below(3);
    let identity = (0..n_id)
        .map(|_| {
            let k = 1 + r.below(3);
            policy(stmts(r, k, false, 15))
        })
        .collect();
    let boundary = if r.chance(20) {
        let k = 1 + r.below(2);
        Some(policy(stmts(r, k, false, 10)))
    } else {
        None
    };
    let is_session = matches!(
        who[w].facts.kind,
        PrincipalType::AssumedRole | PrincipalType::FederatedUser
    );
    let session = if is_session
        && r.chance(if who[w].facts.kind == PrincipalType::FederatedUser {
            60
        } else {
            20
        }) {
        let k = 1 + r.below(2);
        Some(policy(stmts(r, k, false, 10)))
    } else {
        None
    };
    let trust = r.chance(20);
    let resource_policy = if trust {
        let k = 1 + r.below(3);
        let mut st = stmts(r, k, true, 20);
        for x in &mut st {
            if let Some(o) = x.as_object_mut() {
                o.remove("Resource");
                o.remove("NotResource");
                o.remove("NotAction");
                o.insert(
                    "Action".into(),
                    json!(*r.pick(&["sts:AssumeRole", "sts:*", "*"])),
                );
            }
        }
        Some(policy(st))
    } else if r.chance(65) {
        let k = 1 + r.below(3);
        Some(policy(stmts(r, k, true, 20)))
    } else {
        None
    };
    let scps = if r.chance(20) {
        let levels = 1 + r.below(3);
        (0..levels)
            .map(|_| {
                if r.chance(70) {
                    vec![policy(vec![
                        json!({"Effect":"Allow","Action":"*","Resource":"*"}),
                    ])]
                } else {
                    vec![policy(stmts(r, 1, false, 30))]
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Case {
        trust,
        who: w,
        action: if trust {
            "sts:AssumeRole"
        } else {
            r.pick::<&str>(ACTIONS)
        },
        resource: if trust {
            format!("arn:aws:iam::{resource_account}:role/Target")
        } else {
            format!("arn:aws:secretsmanager:us-east-1:{resource_account}:secret:{name}")
        },
        resource_account,
        identity,
        boundary,
        session,
        resource_policy,
        scps,
        tag_keys: if r.chance(50) {
            Some(if r.chance(50) {
                vec!["env"]
            } else {
                vec!["team", "cost"]
            })
        } else {
            None
        },
        owner_tag: if r.chance(50) {
            Some(*r.pick(&["alice", "bob"]))
        } else {
            None
        },
        ip: r.pick::<&str>(&["10.1.2.3", "192.0.2.7", "2001:db8::5", "10.1.2.1"]),
        secure: r.chance(70),
        n: if r.chance(70) {
            Some(r.pick::<&str>(&["5", "7", "5.4", "-3"]))
        } else {
            None
        },
    }
}

fn context(c: &Case, who: &PrincipalFacts) -> Context {
    let mut ctx = principal_context(who, OffsetDateTime::UNIX_EPOCH);
    ctx.set("aws:SourceIp", c.ip);
    ctx.set("aws:CurrentTime", "2026-05-01T12:00:00Z");
    ctx.set("aws:SecureTransport", c.secure);
    if let Some(n) = c.n {
        ctx.set("aws:MultiFactorAuthAge", n);
    }
    if let Some(t) = &c.tag_keys {
        ctx.set_multi("aws:TagKeys", t.iter().copied());
    }
    if let Some(o) = c.owner_tag {
        ctx.set("aws:ResourceTag/owner", o);
    }
    ctx
}

/// Our outcome, plus the documented reason when it is a known divergence.
fn ours(c: &Case, who: &PrincipalFacts) -> (&'static str, Option<&'static str>) {
    let p = |v: &Value, k: PolicyKind| Policy::parse(&v.to_string(), k).unwrap();
    let id: Vec<Policy> = c
        .identity
        .iter()
        .map(|v| p(v, PolicyKind::Identity))
        .collect();
    let pb = c
        .boundary
        .as_ref()
        .map(|v| p(v, PolicyKind::PermissionsBoundary));
    let sp = c.session.as_ref().map(|v| p(v, PolicyKind::Session));
    let rp = c.resource_policy.as_ref().map(|v| {
        p(
            v,
            if c.trust {
                PolicyKind::RoleTrust
            } else {
                PolicyKind::Resource
            },
        )
    });
    let scps: Vec<Vec<Policy>> = c
        .scps
        .iter()
        .map(|l| l.iter().map(|v| p(v, PolicyKind::ServiceControl)).collect())
        .collect();
    let set = PolicySet {
        identity: id.iter().map(|x| NamedPolicy::new("id", x)).collect(),
        permissions_boundary: pb.as_ref().map(|x| NamedPolicy::new("pb", x)),
        session: sp.as_ref().map(|x| vec![NamedPolicy::new("sp", x)]),
        resource: rp.as_ref().map(|x| NamedPolicy::new("rp", x)),
        resource_kind: if c.trust {
            ResourcePolicyKind::RoleTrust
        } else {
            ResourcePolicyKind::Generic
        },
        scp_levels: scps
            .iter()
            .map(|l| l.iter().map(|x| NamedPolicy::new("scp", x)).collect())
            .collect(),
        rcp_levels: Vec::new(),
    };
    let ctx = context(c, who);
    let req = Request {
        principal: who,
        action: c.action,
        resource: &c.resource,
        resource_account: Some(c.resource_account),
        context: &ctx,
    };
    let d = evaluate(&req, &set);
    let out = match d.outcome {
        Outcome::Allowed => "Allowed",
        Outcome::ImplicitDeny => "ImplicitlyDenied",
        Outcome::ExplicitDeny => "ExplicitlyDenied",
    };
    let root = (who.kind == PrincipalType::Root && d.is_allowed()).then_some(
        "root user has full access to its account without policies and its account side allows cross-account (§1.2; reference_policies_evaluation-logic.html); iam-simulate requires identity policies for root",
    );
    let fed = (who.kind == PrincipalType::FederatedUser
        && c.session.is_none()
        && d.denial.is_some_and(|x| x.policy_type == PolicyType::Session))
    .then_some(
        "GetFederationToken session without a session policy has no permissions (API_GetFederationToken.html); iam-simulate evaluates identity policies alone",
    );
    (out, known_divergence(&d).or(root).or(fed))
}

/// Disagreements decided by AWS's documentation (reference §1.4 table, §9.1): within one
/// account, a resource-policy grant that names the session ARN, or `*`, is not limited by an
/// implicit deny in the session policy
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session>;
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).
/// iam-simulate applies the session policy to those grants.
fn known_divergence(d: &Decision<'_>) -> Option<&'static str> {
    let bypass = matches!(
        d.results.resource_grant,
        Some(PrincipalMatch::Direct | PrincipalMatch::Wildcard)
    );
    (d.is_allowed()
        && !d.cross_account
        && bypass
        && d.results.session == Some(PolicyResult::NoMatch))
    .then_some("session policy vs same-account grant to the session ARN or * (§1.4, §9.1)")
}

fn simulation(c: &Case, who: &PrincipalFacts) -> Value {
    let ctx = context(c, who);
    let mut vars = serde_json::Map::new();
    for e in ctx.iter() {
        let v = if e.multi {
            json!(
                e.values
                    .iter()
                    .map(|v| v.as_text().into_owned())
                    .collect::<Vec<_>>()
            )
        } else {
            json!(e.values[0].as_text().into_owned())
        };
        vars.insert(e.name.to_string(), v);
    }
    let named = |v: &Value, n: &str| json!({"name": n, "policy": v});
    let mut sim = json!({
        "request": {
            "principal": who.arn,
            "action": c.action,
            "resource": {"resource": c.resource, "accountId": c.resource_account},
            "contextVariables": vars,
        },
        "identityPolicies": c.identity.iter().enumerate().map(|(i, v)| named(v, &format!("id{i}"))).collect::<Vec<_>>(),
        "serviceControlPolicies": c.scps.iter().enumerate().map(|(i, l)| json!({
            "orgIdentifier": format!("level{i}"),
            "policies": l.iter().enumerate().map(|(j, v)| named(v, &format!("scp{i}-{j}"))).collect::<Vec<_>>()
        })).collect::<Vec<_>>(),
        "resourceControlPolicies": [],
    });
    if let Some(rp) = &c.resource_policy {
        sim["resourcePolicy"] = rp.clone();
    }
    if let Some(pb) = &c.boundary {
        sim["permissionBoundaryPolicies"] = json!([named(pb, "pb")]);
    }
    if let Some(sp) = &c.session {
        sim["sessionPolicy"] = sp.clone();
    }
    sim
}

fn install_dir() -> PathBuf {
    if let Ok(d) = std::env::var("IAM_SIMULATE_DIR") {
        return PathBuf::from(d);
    }
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("iam-simulate");
    if !d.join("node_modules/@cloud-copilot/iam-simulate").exists() {
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("package.json"), "{\"private\":true}").unwrap();
        let ok = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "@cloud-copilot/iam-simulate@0.1.173",
            ])
            .current_dir(&d)
            .status()
            .unwrap();
        assert!(ok.success(), "npm install failed");
    }
    d
}

#[test]
#[ignore = "needs node and the npm registry; run with --ignored"]
fn differential_against_iam_simulate() {
    let n: usize = std::env::var("DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let seed: u64 = std::env::var("DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x1a2b_3c4d);
    let dir = install_dir();
    let script = dir.join("simulate.mjs");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/differential/simulate.mjs"),
        &script,
    )
    .unwrap();
    let who = principals();
    let mut r = Rng(seed | 1);
    let cases: Vec<Case> = (0..n).map(|_| gen_case(&mut r, &who)).collect();
    let mut input = String::new();
    for c in &cases {
        input.push_str(&simulation(c, &who[c.who].facts).to_string());
        input.push('\n');
    }
    let mut child = Command::new("node")
        .arg(&script)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len());
    let (mut agree, mut errors, mut known) = (0, 0, 0);
    let mut diffs = Vec::new();
    let mut by_outcome = std::collections::BTreeMap::<&str, usize>::new();
    let mut by_reason = std::collections::BTreeMap::<&str, usize>::new();
    for (c, l) in cases.iter().zip(&lines) {
        let w = &who[c.who].facts;
        let Some(theirs) = l.get("result").and_then(Value::as_str) else {
            errors += 1;
            if errors <= 3 {
                eprintln!("iam-simulate error: {l}");
            }
            continue;
        };
        let (mine, why) = ours(c, w);
        *by_outcome.entry(mine).or_default() += 1;
        if mine == theirs {
            agree += 1;
        } else if let Some(w) = why {
            known += 1;
            *by_reason.entry(w).or_default() += 1;
        } else {
            diffs.push(format!(
                "ours={mine} theirs={theirs}\n  {}",
                simulation(c, w)
            ));
        }
    }
    eprintln!(
        "differential: {} cases, {agree} agree, {known} known divergences, {errors} oracle errors, {} unexplained",
        cases.len(),
        diffs.len()
    );
    eprintln!("our outcomes: {by_outcome:?}");
    for (w, n) in &by_reason {
        eprintln!("known divergence x{n}: {w}");
    }
    for d in diffs.iter().take(10) {
        eprintln!("{d}");
    }
    assert!(
        diffs.is_empty(),
        "{} unexplained disagreements",
        diffs.len()
    );
    assert!(
        errors * 10 < cases.len(),
        "too many oracle errors: {errors}"
    );
}
