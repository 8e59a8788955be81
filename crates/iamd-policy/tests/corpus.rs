#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Runs the conformance corpus: one JSON file per case under `tests/corpus/`, each citing the
//! AWS document (or recorded AWS response) that justifies its expectation in `source`.
//! Format: see `tests/corpus/README.md`.

use std::path::Path;

use iamd_policy::*;
use serde_json::Value;
use time::OffsetDateTime;

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn date(v: Option<&Value>) -> OffsetDateTime {
    v.and_then(Value::as_str)
        .and_then(parse_date)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn session(v: &Value) -> Option<SessionFacts> {
    let s = v.get("session_facts")?;
    let kind = match s
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("AssumeRole")
    {
        "AssumeRole" => SessionKind::AssumeRole,
        "WebIdentity" => SessionKind::WebIdentity,
        "Saml" => SessionKind::Saml,
        "FederationToken" => SessionKind::FederationToken,
        "SessionToken" => SessionKind::SessionToken,
        k => panic!("unknown session kind {k}"),
    };
    Some(SessionFacts {
        kind,
        issued_at: date(s.get("issued_at")),
        mfa_authenticated: s.get("mfa").and_then(Value::as_bool).unwrap_or(false),
        mfa_authenticated_at: s.get("mfa_at").map(|d| date(Some(d))),
        source_identity: s
            .get("source_identity")
            .and_then(Value::as_str)
            .map(str::to_owned),
        federated_provider: None,
    })
}

fn principal(v: &Value) -> PrincipalFacts {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let acct = s("account");
    let default_session = || SessionFacts {
        kind: SessionKind::AssumeRole,
        issued_at: OffsetDateTime::UNIX_EPOCH,
        mfa_authenticated: false,
        mfa_authenticated_at: None,
        source_identity: None,
        federated_provider: None,
    };
    let mut p = match s("type").as_str() {
        "Root" => PrincipalFacts::root(&acct),
        "User" => {
            let path = if s("path").is_empty() {
                "/".to_owned()
            } else {
                s("path")
            };
            let mut u = PrincipalFacts::user(&acct, &path, &s("name"), &s("id"));
            u.session = session(v);
            u
        }
        "AssumedRole" => {
            let path = if s("path").is_empty() {
                "/".to_owned()
            } else {
                s("path")
            };
            PrincipalFacts::role_session(
                &acct,
                &path,
                &s("role"),
                &s("id"),
                &s("session"),
                session(v).unwrap_or_else(default_session),
            )
        }
        "FederatedUser" => PrincipalFacts::federated_user(
            &acct,
            &s("name"),
            session(v).unwrap_or(SessionFacts {
                kind: SessionKind::FederationToken,
                ..default_session()
            }),
        ),
        "Service" => PrincipalFacts::service(&s("name")),
        "Anonymous" => PrincipalFacts::anonymous(),
        "IdentityProvider" => PrincipalFacts::identity_provider(&s("name")),
        t => panic!("unknown principal type {t}"),
    };
    if let Some(u) = v.get("source_user").and_then(Value::as_str) {
        p.role_arn = Some(u.to_owned());
    }
    if let Some(tags) = v.get("tags").and_then(Value::as_object) {
        p.tags = tags.iter().map(|(k, v)| (k.clone(), text(v))).collect();
    }
    p
}

fn policy_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse(v: &Value, kind: PolicyKind) -> Policy {
    let t = policy_text(v);
    Policy::parse(&t, kind).unwrap_or_else(|e| panic!("policy failed to parse ({e}): {t}"))
}

fn kind_of(s: &str) -> PolicyKind {
    match s {
        "Identity" => PolicyKind::Identity,
        "PermissionsBoundary" => PolicyKind::PermissionsBoundary,
        "Session" => PolicyKind::Session,
        "Resource" => PolicyKind::Resource,
        "RoleTrust" => PolicyKind::RoleTrust,
        "ServiceControl" => PolicyKind::ServiceControl,
        "ResourceControl" => PolicyKind::ResourceControl,
        k => panic!("unknown policy kind {k}"),
    }
}

fn run_parse_case(case: &Value) -> Result<(), String> {
    let kind = kind_of(case["policy_kind"].as_str().unwrap());
    let doc = policy_text(&case["document"]);
    let got = Policy::parse(&doc, kind);
    match (case.get("expect_error").and_then(Value::as_str), got) {
        (None, Ok(p)) => {
            if let Some(size) = case.get("expect_size").and_then(Value::as_u64)
                && p.size() as u64 != size
            {
                return Err(format!("size {} != {size}", p.size()));
            }
            Ok(())
        }
        (None, Err(e)) => Err(format!("expected valid, got error `{e}`")),
        (Some(want), Ok(_)) => Err(format!("expected error `{want}`, parsed fine")),
        (Some(want), Err(e)) if e.message() == want => Ok(()),
        (Some(want), Err(e)) => Err(format!("expected error `{want}`, got `{e}`")),
    }
}

fn run_eval_case(case: &Value) -> Result<(), String> {
    let who = principal(&case["principal"]);
    let now = date(case.get("now"));
    let mut ctx = if case.get("no_principal_context").and_then(Value::as_bool) == Some(true) {
        Context::new()
    } else {
        principal_context(&who, now)
    };
    if let Some(c) = case.get("context").and_then(Value::as_object) {
        for (k, v) in c {
            match v {
                Value::Array(a) => {
                    ctx.set_multi(k, a.iter().map(text));
                }
                Value::Bool(b) => {
                    ctx.set(k, *b);
                }
                Value::Number(n) => {
                    ctx.set(k, n.as_f64().unwrap());
                }
                Value::Null => {
                    ctx.remove(k);
                }
                other => {
                    ctx.set(k, text(other));
                }
            }
        }
    }
    let list = |k: &str, kind: PolicyKind| -> Vec<Policy> {
        case.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|p| parse(p, kind)).collect())
            .unwrap_or_default()
    };
    let identity = list("identity", PolicyKind::Identity);
    let boundary = case
        .get("boundary")
        .map(|p| parse(p, PolicyKind::PermissionsBoundary));
    let session = case
        .get("session")
        .map(|_| list("session", PolicyKind::Session));
    let resource_kind = match case.get("resource_kind").and_then(Value::as_str) {
        None | Some("Generic") => ResourcePolicyKind::Generic,
        Some("RoleTrust") => ResourcePolicyKind::RoleTrust,
        Some("KmsKey") => ResourcePolicyKind::KmsKey,
        Some(k) => panic!("unknown resource kind {k}"),
    };
    let rkind = if resource_kind == ResourcePolicyKind::RoleTrust {
        PolicyKind::RoleTrust
    } else {
        PolicyKind::Resource
    };
    let resource = case.get("resource_policy").map(|p| parse(p, rkind));
    let levels = |k: &str, kind: PolicyKind| -> Vec<Vec<Policy>> {
        case.get(k)
            .and_then(Value::as_array)
            .map(|ls| {
                ls.iter()
                    .map(|l| {
                        l.as_array()
                            .unwrap()
                            .iter()
                            .map(|p| parse(p, kind))
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let scps = levels("scp", PolicyKind::ServiceControl);
    let rcps = levels("rcp", PolicyKind::ResourceControl);
    let named = |ps: &[Policy], prefix: &str| -> Vec<(String, usize)> {
        (0..ps.len()).map(|i| (format!("{prefix}{i}"), i)).collect()
    };
    let id_names = named(&identity, "identity-");
    let sess_names = session
        .as_ref()
        .map(|s| named(s, "session-"))
        .unwrap_or_default();
    let scp_names: Vec<Vec<(String, usize)>> = scps.iter().map(|l| named(l, "scp-")).collect();
    let rcp_names: Vec<Vec<(String, usize)>> = rcps.iter().map(|l| named(l, "rcp-")).collect();
    let set = PolicySet {
        identity: id_names
            .iter()
            .map(|(n, i)| NamedPolicy::new(n, &identity[*i]))
            .collect(),
        permissions_boundary: boundary.as_ref().map(|b| NamedPolicy::new("boundary", b)),
        session: session.as_ref().map(|s| {
            sess_names
                .iter()
                .map(|(n, i)| NamedPolicy::new(n, &s[*i]))
                .collect()
        }),
        resource: resource.as_ref().map(|r| NamedPolicy::new("resource", r)),
        resource_kind,
        scp_levels: scps
            .iter()
            .zip(&scp_names)
            .map(|(l, ns)| {
                ns.iter()
                    .map(|(n, i)| NamedPolicy::new(n, &l[*i]))
                    .collect()
            })
            .collect(),
        rcp_levels: rcps
            .iter()
            .zip(&rcp_names)
            .map(|(l, ns)| {
                ns.iter()
                    .map(|(n, i)| NamedPolicy::new(n, &l[*i]))
                    .collect()
            })
            .collect(),
    };
    let action = case["action"].as_str().unwrap();
    let resource_arn = case.get("resource").and_then(Value::as_str).unwrap_or("*");
    let req = Request {
        principal: &who,
        action,
        resource: resource_arn,
        resource_account: case.get("resource_account").and_then(Value::as_str),
        context: &ctx,
    };
    let d = evaluate(&req, &set);
    let want = case["expect"].as_str().unwrap();
    let got = match d.outcome {
        Outcome::Allowed => "Allowed",
        Outcome::ImplicitDeny => "ImplicitDeny",
        Outcome::ExplicitDeny => "ExplicitDeny",
    };
    if got != want {
        return Err(format!("expected {want}, got {got}\n{}", d.explain(&req)));
    }
    if let Some(t) = case.get("expect_denied_by").and_then(Value::as_str) {
        let got = d.denial.map(|x| x.policy_type.phrase()).unwrap_or("none");
        if got != t {
            return Err(format!("expected denial by `{t}`, got `{got}`"));
        }
    }
    if let Some(m) = case.get("expect_message").and_then(Value::as_str) {
        let show = case.get("message_shows_resource").and_then(Value::as_bool) != Some(false);
        let got = d.access_denied_message(&req, show).unwrap_or_default();
        if got != m {
            return Err(format!("expected message\n  {m}\ngot\n  {got}"));
        }
    }
    if let Some(sids) = case.get("expect_matched_sids").and_then(Value::as_array) {
        let mut got: Vec<String> = d
            .deciding_statements()
            .map(|m| m.sid().unwrap_or("").to_owned())
            .collect();
        let mut want: Vec<String> = sids.iter().map(text).collect();
        got.sort();
        want.sort();
        if got != want {
            return Err(format!("expected deciding sids {want:?}, got {got:?}"));
        }
    }
    Ok(())
}

#[test]
fn conformance_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 50, "corpus too small: {}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let src = case.get("source").and_then(Value::as_str).unwrap_or("");
        assert!(
            src.starts_with("https://"),
            "{}: every case needs a source link",
            f.display()
        );
        let r = if case.get("policy_kind").is_some() {
            run_parse_case(&case)
        } else {
            run_eval_case(&case)
        };
        if let Err(e) = r {
            failures.push(format!("{}: {e}", f.file_name().unwrap().to_string_lossy()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
