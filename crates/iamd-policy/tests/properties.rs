#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Property tests for the invariants that safety rests on.

use iamd_policy::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use time::OffsetDateTime;

const A: &str = "111122223333";
const ACTIONS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "s3:GetObject",
    "iam:CreateUser",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "secretsmanager:*",
    "secretsmanager:Get*",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "s3:*",
    "s3:GetObject",
    "iam:Create*",
    "*:Get*",
    "secretsmanager:?etSecretValue",
];
const RESOURCES: &[&str] = &[
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf",
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:ops/key-AbCdEf",
    "arn:aws:s3:::b/x",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf",
    "arn:aws:secretsmanager:*:*:secret:app/*",
    "arn:aws:secretsmanager:*:*:secret:*",
    "arn:aws:s3:::b/*",
];

fn cond_strategy() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(
            json!({"StringEquals": {"aws:PrincipalTag/team": "blue"}})
        )),
        Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        Just(Some(
            json!({"StringNotEqualsIfExists": {"ctx:flag": "off"}})
        )),
        Just(Some(
            json!({"ForAnyValue:StringLike": {"aws:TagKeys": ["env*"]}})
        )),
    ]
}

fn stmt_strategy() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::sample::subsequence(ACTION_PATTERNS, 1..3),
        proptest::sample::subsequence(RESOURCE_PATTERNS, 1..3),
        cond_strategy(),
    )
        .prop_map(|(allow, not_action, actions, resources, cond)| {
            let mut s = json!({
                "Effect": if allow { "Allow" } else { "Deny" },
                "Resource": resources,
            });
            s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
            if let Some(c) = cond {
                s["Condition"] = c;
            }
            s
        })
}

fn allow_stmt_strategy() -> impl Strategy<Value = Value> {
    stmt_strategy().prop_map(|mut s| {
        s["Effect"] = json!("Allow");
        s
    })
}

fn doc(stmts: &[Value]) -> String {
    json!({"Version": "2012-10-17", "Statement": stmts}).to_string()
}

fn parse(stmts: &[Value], kind: PolicyKind) -> Policy {
    Policy::parse(&doc(stmts), kind).unwrap()
}

/// Zero or one policy (a policy needs at least one statement).
fn parse_opt(stmts: &[Value], kind: PolicyKind) -> Vec<Policy> {
    if stmts.is_empty() {
        Vec::new()
    } else {
        vec![parse(stmts, kind)]
    }
}

#[derive(Debug, Clone)]
struct Req {
    action: &'static str,
    resource: &'static str,
    team: Option<&'static str>,
    ip: &'static str,
    tag_keys: Option<Vec<&'static str>>,
}

fn req_strategy() -> impl Strategy<Value = Req> {
    (
        proptest::sample::select(ACTIONS),
        proptest::sample::select(RESOURCES),
        proptest::option::of(proptest::sample::select(&["blue", "red"][..])),
        proptest::sample::select(&["10.1.2.3", "192.0.2.1"][..]),
        proptest::option::of(proptest::sample::subsequence(&["env", "team"][..], 0..2)),
    )
        .prop_map(|(action, resource, team, ip, tag_keys)| Req {
            action,
            resource,
            team,
            ip,
            tag_keys,
        })
}

fn who(r: &Req, role: bool) -> PrincipalFacts {
    let mut p = if role {
        PrincipalFacts::role_session(
            A,
            "/",
            "Reader",
            "AROAREADEREXAMPLE001",
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
    } else {
        PrincipalFacts::user(A, "/", "alice", "AIDAALICEEXAMPLE0001")
    };
    if let Some(t) = r.team {
        p.tags = vec![("team".into(), t.into())];
    }
    p
}

fn ctx(r: &Req, p: &PrincipalFacts) -> Context {
    let mut c = principal_context(p, OffsetDateTime::UNIX_EPOCH);
    c.set("aws:SourceIp", r.ip);
    if let Some(k) = &r.tag_keys {
        c.set_multi("aws:TagKeys", k.iter().copied());
    }
    c
}

/// Evaluates with identity policies, optional boundary/session/resource policies and SCPs.
struct Setup {
    identity: Vec<Policy>,
    boundary: Option<Policy>,
    session: Option<Vec<Policy>>,
    resource: Option<Policy>,
    scps: Vec<Vec<Policy>>,
}

fn decide(s: &Setup, r: &Req, role: bool) -> (Outcome, Option<Denial>) {
    let p = who(r, role);
    let c = ctx(r, &p);
    let set = PolicySet {
        identity: s
            .identity
            .iter()
            .map(|x| NamedPolicy::new("id", x))
            .collect(),
        permissions_boundary: s.boundary.as_ref().map(|b| NamedPolicy::new("pb", b)),
        session: s
            .session
            .as_ref()
            .map(|v| v.iter().map(|x| NamedPolicy::new("sp", x)).collect()),
        resource: s.resource.as_ref().map(|x| NamedPolicy::new("rp", x)),
        resource_kind: ResourcePolicyKind::Generic,
        scp_levels: s
            .scps
            .iter()
            .map(|l| l.iter().map(|x| NamedPolicy::new("scp", x)).collect())
            .collect(),
        rcp_levels: Vec::new(),
    };
    let req = Request {
        principal: &p,
        action: r.action,
        resource: r.resource,
        resource_account: Some(A),
        context: &c,
    };
    let d = evaluate(&req, &set);
    (d.outcome, d.denial)
}

fn with_principal(mut s: Value) -> Value {
    s["Principal"] = json!("*");
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn explicit_deny_wins_wherever_it_stands(
        id in proptest::collection::vec(stmt_strategy(), 0..4),
        rp in proptest::collection::vec(allow_stmt_strategy(), 0..3),
        r in req_strategy(),
        place in 0usize..5,
        pos in 0usize..4,
        role in any::<bool>(),
    ) {
        let deny = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
        let insert = |mut v: Vec<Value>, d: Value| { let at = pos.min(v.len()); v.insert(at, d); v };
        let full = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
        let mut s = Setup {
            identity: parse_opt(&id, PolicyKind::Identity),
            boundary: None,
            session: None,
            resource: if rp.is_empty() { None } else {
                Some(parse(&rp.iter().cloned().map(with_principal).collect::<Vec<_>>(), PolicyKind::Resource))
            },
            scps: Vec::new(),
        };
        match place {
            0 => s.identity = vec![parse(&insert(id.clone(), deny), PolicyKind::Identity)],
            1 => s.boundary = Some(parse(&insert(vec![full], deny), PolicyKind::PermissionsBoundary)),
            2 => s.session = Some(vec![parse(&insert(vec![full], deny), PolicyKind::Session)]),
            3 => {
                let rstmts: Vec<Value> = insert(rp.clone(), deny).into_iter().map(with_principal).collect();
                s.resource = Some(parse(&rstmts, PolicyKind::Resource));
            }
            _ => s.scps = vec![vec![parse(std::slice::from_ref(&full), PolicyKind::ServiceControl)],
                               vec![parse(&insert(vec![full], deny), PolicyKind::ServiceControl)]],
        }
        let (o, d) = decide(&s, &r, role || place == 2);
        prop_assert_eq!(o, Outcome::ExplicitDeny);
        prop_assert!(d.is_some_and(|d| d.explicit));
    }

    #[test]
    fn statement_and_policy_order_never_matter(
        stmts in proptest::collection::vec(stmt_strategy(), 1..6),
        split in 0usize..6,
        r in req_strategy(),
        seed in any::<u64>(),
    ) {
        let at = split.min(stmts.len());
        let mut ida = parse_opt(&stmts[..at], PolicyKind::Identity);
        ida.extend(parse_opt(&stmts[at..], PolicyKind::Identity));
        let a = Setup { identity: ida,
            boundary: None, session: None, resource: None, scps: Vec::new() };
        let mut shuffled = stmts.clone();
        // deterministic permutation from the seed
        let n = shuffled.len();
        for i in (1..n).rev() { let j = (seed as usize).wrapping_mul(31).wrapping_add(i * 7) % (i + 1); shuffled.swap(i, j); }
        let mut idb = parse_opt(&shuffled[at..], PolicyKind::Identity);
        idb.extend(parse_opt(&shuffled[..at], PolicyKind::Identity));
        let b = Setup { identity: idb,
            boundary: None, session: None, resource: None, scps: Vec::new() };
        let one = Setup { identity: vec![parse(&shuffled, PolicyKind::Identity)], boundary: None, session: None, resource: None, scps: Vec::new() };
        let da = decide(&a, &r, false);
        prop_assert_eq!(da, decide(&b, &r, false));
        prop_assert_eq!(da, decide(&one, &r, false));
    }

    #[test]
    fn wildcards_are_supersets(
        act in proptest::sample::select(ACTIONS),
        cut in 0usize..30,
        res in proptest::sample::select(RESOURCES),
        rcut in 0usize..80,
    ) {
        let r = Req { action: act, resource: res, team: None, ip: "10.0.0.1", tag_keys: None };
        let exact = Setup { identity: vec![parse(&[json!({"Effect":"Allow","Action":act,"Resource":res})], PolicyKind::Identity)],
            boundary: None, session: None, resource: None, scps: Vec::new() };
        prop_assert_eq!(decide(&exact, &r, false).0, Outcome::Allowed);
        // truncate the action name anywhere after the colon and append `*`
        let colon = act.find(':').unwrap() + 1;
        let a_cut = (colon + cut).min(act.len());
        let wild_action = format!("{}*", &act[..a_cut]);
        // truncate the resource anywhere after the 5th colon and append `*`
        let fifth = res.match_indices(':').nth(4).unwrap().0 + 1;
        let r_cut = (fifth + rcut).min(res.len());
        let wild_res = format!("{}*", &res[..r_cut]);
        let wild = Setup { identity: vec![parse(&[json!({"Effect":"Allow","Action":wild_action,"Resource":wild_res})], PolicyKind::Identity)],
            boundary: None, session: None, resource: None, scps: Vec::new() };
        prop_assert_eq!(decide(&wild, &r, false).0, Outcome::Allowed);
        // `?` for any single character of the action name
        if a_cut < act.len() {
            let mut q = act.to_string();
            q.replace_range(a_cut..a_cut + 1, "?");
            let qs = Setup { identity: vec![parse(&[json!({"Effect":"Allow","Action":q,"Resource":"*"})], PolicyKind::Identity)],
                boundary: None, session: None, resource: None, scps: Vec::new() };
            prop_assert_eq!(decide(&qs, &r, false).0, Outcome::Allowed);
        }
    }

    #[test]
    fn not_action_is_the_complement(
        list in proptest::sample::subsequence(ACTION_PATTERNS, 1..4),
        r in req_strategy(),
    ) {
        let act = Setup { identity: vec![parse(&[json!({"Effect":"Allow","Action":list,"Resource":"*"})], PolicyKind::Identity)],
            boundary: None, session: None, resource: None, scps: Vec::new() };
        let not = Setup { identity: vec![parse(&[json!({"Effect":"Allow","NotAction":list,"Resource":"*"})], PolicyKind::Identity)],
            boundary: None, session: None, resource: None, scps: Vec::new() };
        let a = decide(&act, &r, false).0 == Outcome::Allowed;
        let n = decide(&not, &r, false).0 == Outcome::Allowed;
        prop_assert!(a != n);
    }

    #[test]
    fn boundaries_and_session_policies_only_narrow(
        id in proptest::collection::vec(stmt_strategy(), 1..4),
        extra in proptest::collection::vec(stmt_strategy(), 1..4),
        rp in proptest::collection::vec(allow_stmt_strategy(), 0..2),
        r in req_strategy(),
        role in any::<bool>(),
    ) {
        let resource = if rp.is_empty() { None } else {
            Some(parse(&rp.iter().cloned().map(with_principal).collect::<Vec<_>>(), PolicyKind::Resource))
        };
        let base = Setup { identity: vec![parse(&id, PolicyKind::Identity)], boundary: None, session: None, resource: resource.clone(), scps: Vec::new() };
        let before = decide(&base, &r, role).0;
        let bounded = Setup { boundary: Some(parse(&extra, PolicyKind::PermissionsBoundary)), ..Setup { identity: base.identity.clone(), boundary: None, session: None, resource: resource.clone(), scps: Vec::new() } };
        if decide(&bounded, &r, role).0 == Outcome::Allowed {
            prop_assert_eq!(before, Outcome::Allowed);
        }
        if role {
            let sess = Setup { identity: base.identity.clone(), boundary: None, session: Some(vec![parse(&extra, PolicyKind::Session)]), resource, scps: Vec::new() };
            if decide(&sess, &r, true).0 == Outcome::Allowed {
                prop_assert_eq!(before, Outcome::Allowed);
            }
        }
    }

    #[test]
    fn parse_serialize_parse_is_stable(
        stmts in proptest::collection::vec(stmt_strategy(), 1..5),
        r in req_strategy(),
    ) {
        let p1 = parse(&stmts, PolicyKind::Identity);
        let text = serde_json::to_string(&p1.to_json()).unwrap();
        let p2 = Policy::parse(&text, PolicyKind::Identity).unwrap();
        prop_assert_eq!(p1.statements(), p2.statements());
        let text2 = serde_json::to_string(&p2.to_json()).unwrap();
        prop_assert_eq!(&text, &text2);
        let s1 = Setup { identity: vec![p1], boundary: None, session: None, resource: None, scps: Vec::new() };
        let s2 = Setup { identity: vec![p2], boundary: None, session: None, resource: None, scps: Vec::new() };
        prop_assert_eq!(decide(&s1, &r, false), decide(&s2, &r, false));
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(s in ".{0,200}") {
        for k in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::RoleTrust, PolicyKind::ServiceControl] {
            let _ = Policy::parse(&s, k);
        }
    }
}
