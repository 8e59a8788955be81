//! Bounded work (issue #11, finding 3): every operation, given the largest input it accepts,
//! finishes within a budget of time and memory.
//!
//! The operations come from the registry's tables, so an operation added later is covered
//! without editing this file. Each one gets the largest input the botocore model allows
//! (strings at their maximum length, lists at their maximum size, lists the model leaves
//! unbounded filled up to the server's 1 MiB body limit, policy documents at 131,072
//! characters), decoded and validated as the server does, then resolved, authorized, run and
//! its answer encoded. On top of that, the adversarial shapes of the finding get their own
//! cases: wildcard-heavy patterns (`*???…b`), conditions comparing thousands × thousands of
//! values, policy variables expanded into megabytes, pages whose matched statements would fill
//! gigabytes, and the actions × resources grid.
//!
//! A simulation past its budget answers InvalidInput (400): of the two errors the API reference
//! lists for SimulateCustomPolicy and SimulatePrincipalPolicy
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html>:
//! InvalidInput 400, PolicyEvaluation 500), the one for a request the caller must change.
//!
//! Memory is the process's peak resident set over the request (Linux: `VmHWM`, reset through
//! `/proc/self/clear_refs` before each case) minus its resident set before it, so this file
//! holds one test (the harness runs the tests of a binary in parallel).
//!
//! Run as a benchmark (release build, a table of figures; see docs/PERFORMANCE.md):
//! `IAMD_BOUNDED_WORK_REPORT=1 cargo test --release -p iamd-service --test bounded_work -- --nocapture`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iamd_api::{Service, ShapeKind, Value};
use iamd_crypto::MasterKey;
use iamd_service::clock::ManualClock;
use iamd_service::registry;
use iamd_service::{Caller, Iamd, Options, Principal};
use iamd_store::SqliteStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

const A: &str = "111122223333";
/// The server's body limit (`iamd_server::MAX_BODY_BYTES`).
const MAX_BODY: usize = 1024 * 1024;
/// The largest policy document the model allows (`policyDocumentType`).
const MAX_DOC: usize = 131_072;

/// Generous bounds: they catch the 4.9 s / 1.3 GiB class of the finding, not a regression of a
/// few percent. A debug build evaluates policies 20-40 times slower than a release one, and on a
/// shared 2-core machine several times slower again, so its time bound is wide; its memory bound
/// is the same (the old grid aborted under a 4 GiB limit).
const MAX_TIME: Duration = Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 2 });
const MAX_MEMORY: u64 = 256 << 20;

fn root() -> Caller {
    Caller::long_term(A, Principal::Root, "AKIAROOTROOTROOTROOT")
}

// --- measuring ---------------------------------------------------------------------------------

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs `f`, returning its result, its wall time and the growth of the peak resident set.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, u64) {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:");
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    let peak = status_kib("VmHWM:");
    (out, took, peak.saturating_sub(before) * 1024)
}

// --- the world ---------------------------------------------------------------------------------

fn form_of(op: &str, version: &str, params: &[(String, String)]) -> Vec<(String, String)> {
    let mut form = vec![
        ("Action".to_owned(), op.to_owned()),
        ("Version".to_owned(), version.to_owned()),
    ];
    form.extend(params.iter().cloned());
    form
}

fn call(core: &Iamd, op: &str, params: &[(&str, &str)]) -> Value {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (op, input) =
        iamd_api::decode_query(Service::Iam, &form_of(op, "2010-05-08", &params)).unwrap();
    core.handle(core.dispatch(op).unwrap(), &root(), "us-east-1", &input)
        .unwrap_or_else(|e| panic!("{}: {e:?}", op.name))
}

/// An ordinary managed policy of `size` characters: statements of actions with wildcards,
/// ARN patterns and a condition, as real policies are written.
fn ordinary_policy(seed: usize, size: usize) -> String {
    let mut statements = Vec::new();
    let mut i = 0;
    loop {
        let st = format!(
            r#"{{"Sid":"S{seed}x{i}","Effect":"Allow","Action":["s3:Get*","s3:List*","secretsmanager:Describe*","iam:Get*"],"Resource":["arn:aws:s3:::bucket-{seed}-{i}/*","arn:aws:secretsmanager:*:{A}:secret:app{i}/*"],"Condition":{{"StringLike":{{"aws:PrincipalTag/team":["t{i}-*"]}}}}}}"#
        );
        let doc_len = statements
            .iter()
            .map(|s: &String| s.len() + 1)
            .sum::<usize>()
            + 40;
        if doc_len + st.len() > size {
            break;
        }
        statements.push(st);
        i += 1;
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// The largest principal AWS's default quotas allow: a user with 10 managed policies of 6,144
/// characters, 2,048 of inline policy and a boundary, in 10 groups with 10 managed policies and
/// 5,120 of inline policy each.
fn world() -> Iamd {
    let core = Iamd::open(
        Arc::new(SqliteStore::open_in_memory().unwrap()),
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(1_800_000_000)),
        Options::default(),
    )
    .unwrap();
    core.accounts.ensure_account(A, 1_800_000_000).unwrap();
    call(&core, "CreateUser", &[("UserName", "big")]);
    let mut n = 0;
    let mut policy = |core: &Iamd| {
        n += 1;
        let name = format!("P{n}");
        call(
            core,
            "CreatePolicy",
            &[
                ("PolicyName", &name),
                ("PolicyDocument", &ordinary_policy(n, 6_144)),
            ],
        );
        format!("arn:aws:iam::{A}:policy/{name}")
    };
    for _ in 0..10 {
        let arn = policy(&core);
        call(
            &core,
            "AttachUserPolicy",
            &[("UserName", "big"), ("PolicyArn", &arn)],
        );
    }
    let boundary = policy(&core);
    call(
        &core,
        "PutUserPermissionsBoundary",
        &[("UserName", "big"), ("PermissionsBoundary", &boundary)],
    );
    call(
        &core,
        "PutUserPolicy",
        &[
            ("UserName", "big"),
            ("PolicyName", "inline"),
            ("PolicyDocument", &ordinary_policy(0, 2_000)),
        ],
    );
    max_named_entities(&core);
    for g in 0..10 {
        let group = format!("g{g}");
        call(&core, "CreateGroup", &[("GroupName", &group)]);
        call(
            &core,
            "AddUserToGroup",
            &[("GroupName", &group), ("UserName", "big")],
        );
        call(
            &core,
            "PutGroupPolicy",
            &[
                ("GroupName", &group),
                ("PolicyName", "inline"),
                ("PolicyDocument", &ordinary_policy(100 + g, 5_000)),
            ],
        );
        for _ in 0..10 {
            let arn = policy(&core);
            call(
                &core,
                "AttachGroupPolicy",
                &[("GroupName", &group), ("PolicyArn", &arn)],
            );
        }
    }
    core
}

/// Entities whose names are as long as the model allows, as the generic inputs name them (a
/// user, group and role of 64, 128 and 64 characters, a policy and an instance profile of 128, a
/// secret of 512), connected so that the deletions among the operations answer DeleteConflict
/// and leave them to the operations after.
fn max_named_entities(core: &Iamd) {
    let (user, group, role, long) = (
        "a".repeat(64),
        "a".repeat(128),
        "a".repeat(64),
        "a".repeat(128),
    );
    let policy_arn = format!("arn:aws:iam::{A}:policy/{long}");
    let doc = ordinary_policy(7, 2_000);
    call(core, "CreateUser", &[("UserName", &user)]);
    call(core, "CreateGroup", &[("GroupName", &group)]);
    call(
        core,
        "AddUserToGroup",
        &[("GroupName", &group), ("UserName", &user)],
    );
    call(
        core,
        "CreateRole",
        &[
            ("RoleName", &role),
            (
                "AssumeRolePolicyDocument",
                &format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"sts:AssumeRole"}}]}}"#
                ),
            ),
        ],
    );
    call(
        core,
        "CreatePolicy",
        &[
            ("PolicyName", &long),
            ("PolicyDocument", &ordinary_policy(8, 6_144)),
        ],
    );
    for (op, who, name) in [
        ("AttachUserPolicy", "UserName", &user),
        ("AttachGroupPolicy", "GroupName", &group),
        ("AttachRolePolicy", "RoleName", &role),
    ] {
        call(
            core,
            op,
            &[(who, name.as_str()), ("PolicyArn", &policy_arn)],
        );
    }
    for (op, who, name) in [
        ("PutUserPolicy", "UserName", &user),
        ("PutGroupPolicy", "GroupName", &group),
        ("PutRolePolicy", "RoleName", &role),
    ] {
        call(
            core,
            op,
            &[
                (who, name.as_str()),
                ("PolicyName", &long),
                ("PolicyDocument", &doc),
            ],
        );
    }
    call(
        core,
        "CreateInstanceProfile",
        &[("InstanceProfileName", &long)],
    );
    call(
        core,
        "AddRoleToInstanceProfile",
        &[("InstanceProfileName", &long), ("RoleName", &role)],
    );
    let body = serde_json::json!({"Name": "a".repeat(512), "SecretString": "s".repeat(65_536), "ClientRequestToken": "00000000-0000-4000-8000-000000000001"});
    let (op, input) = iamd_api::decode_json(
        Service::SecretsManager,
        "secretsmanager.CreateSecret",
        &serde_json::to_vec(&body).unwrap(),
    )
    .unwrap();
    core.handle(core.dispatch(op).unwrap(), &root(), "us-east-1", &input)
        .unwrap();
}

// --- the largest input the model allows, generically --------------------------------------------

/// The value of a string member: its maximum length, in a form its pattern accepts where the
/// member is one of the usual kinds.
fn string_for(member: &str, shape: &iamd_api::Shape, allowance: usize) -> String {
    if let Some(first) = shape.enum_values.first() {
        return (*first).to_owned();
    }
    let max = usize::try_from(shape.max.unwrap_or(1024)).unwrap_or(1024);
    let min = usize::try_from(shape.min.unwrap_or(1)).unwrap_or(1);
    // a policy's punctuation is percent-encoded: about twice its length on the wire
    let len = max.min(MAX_DOC).min(allowance / 2).max(min.max(1));
    let lower = member.to_ascii_lowercase();
    if lower.contains("policy") && lower.contains("document") || shape.name == "policyDocumentType"
    {
        return wildcard_policy(len.min(MAX_DOC), "Allow");
    }
    if lower.ends_with("path") || lower.ends_with("pathprefix") {
        return format!("/{}/", "p".repeat(len.saturating_sub(2).max(1)));
    }
    // members that name an entity name the world's entities of maximum-length names
    match member {
        "PolicyArn" | "PermissionsBoundary" => {
            return format!("arn:aws:iam::{A}:policy/{}", "a".repeat(128));
        }
        "PolicySourceArn" | "CallerArn" => {
            return format!("arn:aws:iam::{A}:user/{}", "a".repeat(64));
        }
        "RoleArn" => return format!("arn:aws:iam::{A}:role/{}", "a".repeat(64)),
        "SecretId" => return "a".repeat(512),
        _ => {}
    }
    if lower.ends_with("arn") {
        let prefix = format!("arn:aws:iam::{A}:user/");
        return format!(
            "{prefix}{}",
            "u".repeat(len.saturating_sub(prefix.len()).max(1))
        );
    }
    "a".repeat(len)
}

/// How many items of a list: as many as the model allows and `allowance` bytes hold, given the
/// size of one.
fn count(shape: &iamd_api::Shape, allowance: usize, one: usize) -> usize {
    let max = shape
        .max
        .and_then(|m| usize::try_from(m).ok())
        .unwrap_or(usize::MAX);
    let min = usize::try_from(shape.min.unwrap_or(0)).unwrap_or(0);
    (allowance / one.max(1)).clamp(1, max.max(1)).max(min)
}

/// Appends the query encoding of `shape` under `prefix`, in about `allowance` bytes.
fn query_value(
    service: Service,
    prefix: &str,
    member: &str,
    shape: &iamd_api::Shape,
    allowance: usize,
    depth: usize,
    out: &mut Vec<(String, String)>,
) {
    match shape.kind {
        ShapeKind::String => {
            let v = string_for(member, shape, allowance);
            out.push((prefix.to_owned(), v));
        }
        ShapeKind::Integer | ShapeKind::Long => {
            let v = shape.max.unwrap_or(1000).min(1_000_000);
            out.push((prefix.to_owned(), v.to_string()));
        }
        ShapeKind::Boolean => out.push((prefix.to_owned(), "true".to_owned())),
        ShapeKind::Timestamp => out.push((prefix.to_owned(), "2027-01-01T00:00:00Z".to_owned())),
        ShapeKind::Double | ShapeKind::Float => out.push((prefix.to_owned(), "1.5".to_owned())),
        ShapeKind::Blob => out.push((prefix.to_owned(), "YWFhYQ==".to_owned())),
        ShapeKind::Structure if depth < 4 => {
            let share = allowance / shape.members.len().max(1);
            for m in shape.members {
                let Some(target) = service.shape(m.target) else {
                    continue;
                };
                let p = format!("{prefix}.{}", m.wire_name());
                query_value(service, &p, m.name, target, share, depth + 1, out);
            }
        }
        ShapeKind::List | ShapeKind::Map if depth < 4 => {
            let map = shape.kind == ShapeKind::Map;
            let Some(target) =
                (if map { shape.value } else { shape.member }).and_then(|id| service.shape(id))
            else {
                return;
            };
            let item = |i: usize, allowance: usize, out: &mut Vec<(String, String)>| {
                if map {
                    let p = format!("{prefix}.entry.{i}");
                    out.push((format!("{p}.key"), format!("k{i}")));
                    query_value(
                        service,
                        &format!("{p}.value"),
                        member,
                        target,
                        allowance,
                        depth + 1,
                        out,
                    );
                } else {
                    let p = if shape.flattened {
                        format!("{prefix}.{i}")
                    } else {
                        format!("{prefix}.member.{i}")
                    };
                    query_value(service, &p, member, target, allowance, depth + 1, out);
                }
            };
            let mut first = Vec::new();
            item(1, allowance, &mut first);
            let n = count(shape, allowance, query_body(&first) + 1);
            if n == 1 {
                out.extend(first);
                return;
            }
            let each = allowance / n;
            for i in 1..=n {
                item(i, each, out);
            }
        }
        _ => {}
    }
}

fn json_value(
    service: Service,
    member: &str,
    shape: &iamd_api::Shape,
    allowance: usize,
    depth: usize,
) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    Some(match shape.kind {
        ShapeKind::String => J::String(string_for(member, shape, allowance)),
        ShapeKind::Integer | ShapeKind::Long => J::from(shape.max.unwrap_or(1000).min(1_000_000)),
        ShapeKind::Boolean => J::Bool(true),
        ShapeKind::Timestamp => J::from(1_800_000_000),
        ShapeKind::Double | ShapeKind::Float => J::from(1.5),
        ShapeKind::Blob => J::String("YWFhYQ==".to_owned()),
        ShapeKind::Structure if depth < 4 => {
            let share = allowance / shape.members.len().max(1);
            J::Object(
                shape
                    .members
                    .iter()
                    .filter_map(|m| {
                        let t = service.shape(m.target)?;
                        Some((
                            m.name.to_owned(),
                            json_value(service, m.name, t, share, depth + 1)?,
                        ))
                    })
                    .collect(),
            )
        }
        ShapeKind::List | ShapeKind::Map if depth < 4 => {
            let map = shape.kind == ShapeKind::Map;
            let t =
                (if map { shape.value } else { shape.member }).and_then(|id| service.shape(id))?;
            let first = json_value(service, member, t, allowance, depth + 1)?;
            let n = count(shape, allowance, first.to_string().len() + 8);
            let each = allowance / n;
            let items = (0..n).filter_map(|_| json_value(service, member, t, each, depth + 1));
            if map {
                J::Object(
                    items
                        .enumerate()
                        .map(|(i, v)| (format!("k{i}"), v))
                        .collect(),
                )
            } else {
                J::Array(items.collect())
            }
        }
        _ => return None,
    })
}

fn query_body(form: &[(String, String)]) -> usize {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
        .len()
}

/// A request as the server would receive it: decoded and validated, or the decoder's error.
enum Wire {
    Query(Vec<(String, String)>),
    Json(Vec<u8>),
}

impl Wire {
    fn len(&self) -> usize {
        match self {
            Wire::Query(f) => query_body(f),
            Wire::Json(b) => b.len(),
        }
    }
}

/// The largest request of `op`: every member present, lists at their model maximum (or as
/// many items as fit in the body limit), strings at their maximum length.
fn largest(service: Service, op: &iamd_api::Operation) -> Wire {
    let shape = op.input_shape();
    let mut allowance = MAX_BODY - 200;
    loop {
        let wire = match service {
            Service::SecretsManager => {
                let body = shape
                    .and_then(|s| json_value(service, "", s, allowance, 0))
                    .unwrap_or(serde_json::json!({}));
                Wire::Json(serde_json::to_vec(&body).unwrap())
            }
            _ => {
                let mut form = form_of(op.name, service.api_version(), &[]);
                let members = shape.map(|s| s.members).unwrap_or_default();
                let share = allowance / members.len().max(1);
                for m in members {
                    if let Some(t) = service.shape(m.target) {
                        query_value(service, m.wire_name(), m.name, t, share, 1, &mut form);
                    }
                }
                Wire::Query(form)
            }
        };
        if wire.len() <= MAX_BODY || allowance < 1024 {
            return wire;
        }
        allowance = allowance * 3 / 4;
    }
}

fn decode(service: Service, op: &iamd_api::Operation, wire: &Wire) -> Result<Value, String> {
    let decoded = match wire {
        Wire::Query(form) => iamd_api::decode_query(service, form),
        Wire::Json(body) => {
            iamd_api::decode_json(service, &format!("secretsmanager.{}", op.name), body)
        }
    };
    decoded.map(|(_, v)| v).map_err(|e| {
        format!(
            "{}: {}",
            e.code,
            e.message.chars().take(90).collect::<String>()
        )
    })
}

// --- the adversarial shapes of the finding ------------------------------------------------------

/// A policy of `len` characters whose every statement has a `*???…b` resource pattern (the
/// quadratic case of a backtracking matcher) and a `ForAnyValue:StringLike` condition with
/// hundreds of wildcard values.
fn wildcard_policy(len: usize, effect: &str) -> String {
    let pattern = format!("arn:aws:s3:::*{}b", "?".repeat(1500));
    let values: Vec<String> = (0..200).map(|i| format!("\"*{i}?*?x\"")).collect();
    let st = format!(
        r#"{{"Effect":"{effect}","Action":["s3:*","*"],"Resource":["{pattern}","arn:aws:s3:*:*:*{}b"],"Condition":{{"ForAnyValue:StringLike":{{"test:key":[{}]}}}}}}"#,
        "?".repeat(500),
        values.join(",")
    );
    let mut sts = Vec::new();
    while 40 + (st.len() + 1) * (sts.len() + 1) <= len {
        sts.push(st.clone());
    }
    if sts.is_empty() {
        sts.push(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#.to_owned());
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        sts.join(",")
    )
}

/// `n` "Allow everything" statements: every one matches every request (the matched-statements
/// explosion).
fn allow_all_policy(len: usize) -> String {
    let st = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
    let n = (len - 40) / (st.len() + 1);
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![st; n].join(",")
    )
}

/// A policy variable repeated as often as fits, expanded with a context value as long as fits.
fn variable_policy(len: usize) -> String {
    let per = "${test:key}";
    let n = (len - 120) / per.len();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"StringLike":{{"test:key":"{}"}}}}}}]}}"#,
        per.repeat(n)
    )
}

/// Adds `doc` to the list `name` as many times as the body limit allows (at least once).
fn fit(form: &mut Vec<(String, String)>, name: &str, doc: &str) {
    let mut i = 0;
    loop {
        i += 1;
        form.push((format!("{name}.member.{i}"), doc.to_owned()));
        if query_body(form) > MAX_BODY {
            form.pop();
            assert!(i > 1, "{name}: not one document fits");
            return;
        }
    }
}

fn list(form: &mut Vec<(String, String)>, name: &str, values: impl IntoIterator<Item = String>) {
    for (i, v) in values.into_iter().enumerate() {
        form.push((format!("{name}.member.{}", i + 1), v));
    }
}

fn context(form: &mut Vec<(String, String)>, n: usize, key: &str, values: &[String]) {
    let p = format!("ContextEntries.member.{n}");
    let ty = if values.len() == 1 {
        "string"
    } else {
        "stringList"
    };
    form.push((format!("{p}.ContextKeyName"), key.to_owned()));
    form.push((format!("{p}.ContextKeyType"), ty.to_owned()));
    list(
        form,
        &format!("{p}.ContextKeyValues"),
        values.iter().cloned(),
    );
}

/// Fills `form` with `make(i)` items under `name` while the body stays under the limit.
fn fill(form: &mut Vec<(String, String)>, name: &str, make: impl Fn(usize) -> String) {
    let mut i = 0;
    let mut size = query_body(form);
    loop {
        let v = make(i);
        let pair = (format!("{name}.member.{}", i + 1), v);
        let add = query_body(std::slice::from_ref(&pair)) + 1;
        if size + add > MAX_BODY {
            return;
        }
        size += add;
        form.push(pair);
        i += 1;
    }
}

/// The adversarial simulation requests: (label, form).
fn adversarial() -> Vec<(String, Vec<(String, String)>)> {
    let mut cases = Vec::new();
    let source = format!("arn:aws:iam::{A}:user/big");
    for op in ["SimulateCustomPolicy", "SimulatePrincipalPolicy"] {
        let base = || {
            let mut f = form_of(op, "2010-05-08", &[]);
            if op == "SimulatePrincipalPolicy" {
                f.push(("PolicySourceArn".into(), source.clone()));
            }
            f.push(("MaxItems".into(), "1000".into()));
            f
        };
        // the legitimate largest: the AWS-sized principal (or AWS-sized policies), a full page
        let mut f = base();
        if op == "SimulateCustomPolicy" {
            list(
                &mut f,
                "PolicyInputList",
                (0..10).map(|i| ordinary_policy(i, 6_144)),
            );
        }
        list(
            &mut f,
            "ActionNames",
            (0..40).map(|i| format!("s3:GetObject{i}")),
        );
        list(
            &mut f,
            "ResourceArns",
            (0..25).map(|i| format!("arn:aws:s3:::bucket-3-{i}/key/{i}")),
        );
        cases.push((format!("{op} (AWS-sized, 1,000 results)"), f));

        // wildcard-heavy policies filling the body, long resource ARNs
        let mut f = base();
        list(
            &mut f,
            "ActionNames",
            (0..40).map(|i| format!("s3:GetObject{i}")),
        );
        list(
            &mut f,
            "ResourceArns",
            (0..25).map(|i| format!("arn:aws:s3:::{}{i}", "a".repeat(2000))),
        );
        context(
            &mut f,
            1,
            "test:key",
            &(0..2000).map(|i| format!("v{i}")).collect::<Vec<_>>(),
        );
        fit(
            &mut f,
            "PolicyInputList",
            &wildcard_policy(MAX_DOC, "Allow"),
        );
        cases.push((format!("{op} (*???…b policies)"), f));

        // every statement matches: the matched statements of a page
        let mut f = base();
        list(
            &mut f,
            "ActionNames",
            (0..1000).map(|i| format!("s3:Get{i}")),
        );
        fit(&mut f, "PolicyInputList", &allow_all_policy(MAX_DOC));
        cases.push((format!("{op} (matched-statement explosion)"), f));

        // a policy variable expanded with a long context value
        let mut f = base();
        list(&mut f, "ActionNames", ["s3:GetObject".to_owned()]);
        list(&mut f, "PolicyInputList", [variable_policy(MAX_DOC)]);
        let room = MAX_BODY - query_body(&f) - 400;
        context(&mut f, 1, "test:key", &["x".repeat(room / 2)]);
        cases.push((format!("{op} (variables × long value)"), f));

        // the grid: as many actions and resources as fit
        let mut f = base();
        list(
            &mut f,
            "PolicyInputList",
            [r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b*/*"}]}"#.to_owned()],
        );
        list(
            &mut f,
            "ResourceArns",
            (0..5000).map(|i| format!("arn:aws:s3:::b{i}/k")),
        );
        fill(&mut f, "ActionNames", |i| format!("s3:GetObject{i}"));
        cases.push((format!("{op} (actions × resources grid)"), f));
    }
    cases
}

// --- the check -----------------------------------------------------------------------------------

struct Figure {
    label: String,
    body: usize,
    outcome: String,
    took: Duration,
    memory: u64,
}

fn run(core: &Iamd, service: Service, label: String, wire: Wire) -> Figure {
    let op = match &wire {
        Wire::Query(form) => {
            let name = &form.first().unwrap().1;
            service.operation(name).unwrap()
        }
        Wire::Json(_) => service.operation(label.split(' ').next().unwrap()).unwrap(),
    };
    let body = wire.len();
    assert!(body <= MAX_BODY, "{label}: {body} bytes");
    let caller = root();
    let ((outcome, _encoded), took, memory) = measure(|| {
        let input = match decode(service, op, &wire) {
            Ok(v) => v,
            Err(code) => return (format!("rejected: {code}"), 0),
        };
        match core.handle(core.dispatch(op).unwrap(), &caller, "us-east-1", &input) {
            Ok(out) => {
                let bytes = match service {
                    Service::SecretsManager => iamd_api::encode_json_response(op, &out),
                    _ => iamd_api::encode_query_response(service, op, &out, "req"),
                };
                (format!("ok ({} B)", bytes.len()), bytes.len())
            }
            Err(e) => {
                let api = iamd_service::to_api_error(service, &e);
                assert!(
                    api.status < 500,
                    "{label}: answered {} {}: {}",
                    api.status,
                    api.code,
                    api.message
                );
                let why: String = api.message.chars().take(90).collect();
                (format!("{} {}: {why}", api.status, api.code), 0)
            }
        }
    });
    if std::env::var_os("IAMD_BOUNDED_WORK_TRACE").is_some() {
        eprintln!("{label}: {took:?} {} MiB {outcome}", memory >> 20);
    }
    Figure {
        label,
        body,
        outcome,
        took,
        memory,
    }
}

#[test]
fn the_largest_input_of_every_operation_runs_in_bounded_time_and_memory() {
    let t = Instant::now();
    let core = world();
    if std::env::var_os("IAMD_BOUNDED_WORK_TRACE").is_some() {
        eprintln!("world: {:?}", t.elapsed());
    }
    let mut figures = Vec::new();
    for entry in registry::all() {
        let service = entry.service();
        let op = service.operation(entry.name()).unwrap();
        let wire = largest(service, op);
        figures.push(run(&core, service, format!("{} (largest)", op.name), wire));
    }
    for (label, form) in adversarial() {
        figures.push(run(&core, Service::Iam, label, Wire::Query(form)));
    }

    let report = std::env::var_os("IAMD_BOUNDED_WORK_REPORT").is_some();
    if report {
        println!(
            "{:<58} {:>9} {:>10} {:>10}  outcome",
            "operation (input)", "body KiB", "ms", "peak MiB"
        );
    }
    let mut over = Vec::new();
    for f in &figures {
        if report {
            println!(
                "{:<58} {:>9.1} {:>10.1} {:>10.1}  {}",
                f.label,
                f.body as f64 / 1024.0,
                f.took.as_secs_f64() * 1000.0,
                f.memory as f64 / f64::from(1 << 20),
                f.outcome
            );
        }
        if f.took > MAX_TIME || f.memory > MAX_MEMORY {
            over.push(format!(
                "{}: {:?}, {} MiB ({})",
                f.label,
                f.took,
                f.memory >> 20,
                f.outcome
            ));
        }
    }
    assert!(over.is_empty(), "over the bounds: {over:#?}");
    // the legitimate largest simulations are answered, not refused
    for f in figures.iter().filter(|f| f.label.contains("AWS-sized")) {
        assert!(f.outcome.starts_with("ok"), "{}: {}", f.label, f.outcome);
    }
    // the adversarial ones are refused with the budget error (or answered), never a 5xx
    let refused = figures
        .iter()
        .filter(|f| f.outcome.starts_with("400 InvalidInput"))
        .count();
    assert!(refused >= 2, "no simulation reached the budget");
}
