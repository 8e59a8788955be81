#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Criterion benchmarks (figures and commands in `docs/PERFORMANCE.md`):
//! - `decide/user_10x5x3_plus_resource_policy`: a user with 10 attached policies of 5
//!   statements with 3 conditions each, plus a resource policy (target ≥ 1,000,000/s).
//! - `parse/6kb_managed_policy`: parsing a 6 KB policy (target < 50 µs).
//! - `wildcard/*`: one statement whose pattern is built to make a backtracking matcher slow,
//!   against a 2,048-character ARN (the longest `ResourceNameType`) or context value; each
//!   case is one decision.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iamd_policy::*;
use serde_json::json;
use time::OffsetDateTime;

const A: &str = "111122223333";

fn identity_policy(i: usize) -> String {
    let stmts: Vec<_> = (0..5)
        .map(|j| {
            json!({
                "Sid": format!("S{i}x{j}"),
                "Effect": "Allow",
                "Action": [format!("secretsmanager:Get{i}{j}*"), format!("s3:Put{i}{j}Object"), "secretsmanager:Describe*"],
                "Resource": [format!("arn:aws:secretsmanager:*:{A}:secret:team{i}/{j}/*"), "arn:aws:s3:::bucket/*"],
                "Condition": {
                    "StringEquals": {"aws:PrincipalTag/team": format!("t{i}")},
                    "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]},
                    "Bool": {"aws:SecureTransport": "true"}
                }
            })
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": stmts}).to_string()
}

fn bench(c: &mut Criterion) {
    let mut policies: Vec<Policy> = (0..10)
        .map(|i| Policy::parse(&identity_policy(i), PolicyKind::Identity).unwrap())
        .collect();
    // the statement that finally allows the request
    policies[9] = Policy::parse(
        &json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue",
            "Resource":"arn:aws:secretsmanager:*:*:secret:app/*",
            "Condition":{"StringEquals":{"aws:PrincipalTag/team":"t9"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:SecureTransport":"true"}}}]})
            .to_string(),
        PolicyKind::Identity,
    )
    .unwrap();
    let rp = Policy::parse(
        &json!({"Version":"2012-10-17","Statement":[
            {"Sid":"AllowTeam","Effect":"Allow","Principal":{"AWS":format!("arn:aws:iam::{A}:root")},"Action":"secretsmanager:GetSecretValue","Resource":"*"},
            {"Sid":"DenyOthers","Effect":"Deny","Principal":"*","Action":"secretsmanager:*","Resource":"*",
             "Condition":{"StringNotEquals":{"aws:PrincipalAccount":A}}}]})
        .to_string(),
        PolicyKind::Resource,
    )
    .unwrap();
    let mut who = PrincipalFacts::user(A, "/", "alice", "AIDAALICEEXAMPLE0001");
    who.tags = vec![("team".into(), "t9".into())];
    let mut ctx = principal_context(&who, OffsetDateTime::UNIX_EPOCH);
    ctx.set("aws:SourceIp", std::net::IpAddr::from([10, 1, 2, 3]))
        .set("aws:SecureTransport", true)
        .set("aws:CurrentTime", OffsetDateTime::UNIX_EPOCH);
    let names: Vec<String> = (0..10).map(|i| format!("policy-{i}")).collect();
    let set = PolicySet {
        identity: policies
            .iter()
            .zip(&names)
            .map(|(p, n)| NamedPolicy::new(n, p))
            .collect(),
        resource: Some(NamedPolicy::new("secret-policy", &rp)),
        ..Default::default()
    };
    let req = Request {
        principal: &who,
        action: "secretsmanager:GetSecretValue",
        resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf",
        resource_account: Some(A),
        context: &ctx,
    };
    assert!(evaluate(&req, &set).is_allowed());
    c.bench_function("decide/user_10x5x3_plus_resource_policy", |b| {
        b.iter(|| black_box(evaluate(black_box(&req), black_box(&set)).outcome))
    });

    // a managed policy of about 6 KB (6,144 characters is the quota)
    let mut stmts = Vec::new();
    let mut i = 0;
    loop {
        stmts.push(json!({"Sid": format!("Stmt{i}"), "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": format!("arn:aws:secretsmanager:us-east-1:{A}:secret:service-{i}/*"),
            "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}}));
        let text = json!({"Version":"2012-10-17","Statement":stmts}).to_string();
        if text.len() > 6000 {
            break;
        }
        i += 1;
    }
    let text = json!({"Version":"2012-10-17","Statement":stmts}).to_string();
    assert!(Policy::parse(&text, PolicyKind::Identity).is_ok());
    c.bench_function("parse/6kb_managed_policy", |b| {
        b.iter(|| black_box(Policy::parse(black_box(&text), PolicyKind::Identity).is_ok()))
    });
}

/// Adversarial wildcard patterns: a statement whose Resource (or `StringLike` condition value)
/// is built to make a backtracking matcher slow, decided against a 2,048-character ARN.
fn adversarial(c: &mut Criterion) {
    let who = PrincipalFacts::user(A, "/", "alice", "AIDAALICEEXAMPLE0001");
    let head = "arn:aws:s3:::";
    let resource = format!("{head}{}", "a".repeat(2048 - head.len()));
    let long_value = "a".repeat(2048);
    // (name, resource tail pattern or condition pattern, in a condition?)
    let cases: Vec<(&str, String, bool)> = vec![
        // `*a*a*a…*b`: every star a backtrack point for a naive matcher
        ("star_a_2k", format!("{}b", "*a".repeat(1000)), false),
        // `*???…b`: each retry of the last star re-reads a thousand `?`
        ("star_q1000_b", format!("*{}b", "?".repeat(1000)), false),
        // `*aaa…ab`: a literal that almost matches at every position
        ("star_a1000_b", format!("*{}b", "a".repeat(1000)), false),
        // literals between the `?`: no fixed-offset shortcut helps
        ("star_aq500_b", format!("*{}b", "a?".repeat(500)), false),
        // many stars and `?` mixed in a 2 KiB pattern
        ("star_qa_mix_2k", format!("{}b", "*?a".repeat(680)), false),
        // the same shapes in a StringLike condition on a 2 KiB context value
        ("cond_star_q1000_b", format!("*{}b", "?".repeat(1000)), true),
        ("cond_star_a_2k", format!("{}b", "*a".repeat(1000)), true),
    ];
    for (name, pat, in_condition) in cases {
        let stmt = if in_condition {
            json!({"Effect":"Allow","Action":"*","Resource":"*",
                "Condition":{"StringLike":{"ctx:value": pat}}})
        } else {
            json!({"Effect":"Allow","Action":"*","Resource": format!("{head}{pat}")})
        };
        let text = json!({"Version":"2012-10-17","Statement":[stmt]}).to_string();
        let p = Policy::parse(&text, PolicyKind::Identity).unwrap();
        let mut ctx = principal_context(&who, OffsetDateTime::UNIX_EPOCH);
        ctx.set("ctx:value", long_value.as_str());
        let set = PolicySet {
            identity: vec![NamedPolicy::new("p", &p)],
            ..Default::default()
        };
        let req = Request {
            principal: &who,
            action: "s3:GetObject",
            resource: &resource,
            resource_account: Some(A),
            context: &ctx,
        };
        // none of the patterns matches (they all end in `b`)
        assert!(!evaluate(&req, &set).is_allowed(), "{name}");
        c.bench_function(&format!("wildcard/{name}"), |b| {
            b.iter(|| black_box(evaluate(black_box(&req), black_box(&set)).outcome))
        });
    }
}

criterion_group!(benches, bench, adversarial);
criterion_main!(benches);
