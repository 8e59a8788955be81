//! The whole request pipeline in process, without sockets: SigV4 parse and verify, decoding,
//! authorization by the policy engine, the operation and the response encoding — everything the
//! server does for a request except HTTP/1 framing and the kernel's TCP work, which the load
//! benchmarks under `bench/` include. The clock is fixed, so one signed request replays.
//!
//! `cargo bench -p iamd-server --bench pipeline`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use iamd_crypto::MasterKey;
use iamd_server::{AppState, router};
use iamd_service::Iamd;
use iamd_service::Options;
use iamd_service::clock::ManualClock;
use iamd_sigv4::{HttpRequest, SigningKey};
use iamd_store::SqliteStore;
use sha2::Sha256;
use std::sync::Arc;
use tower::ServiceExt;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOW: i64 = 1_800_000_000;
const AMZ_DATE: &str = "20270115T080000Z";
const DATE: &str = "20270115";

struct Creds {
    key: String,
    secret: String,
    token: Option<String>,
}

/// A request signed as botocore signs it (host, x-amz-date, content-type, target, token).
fn signed(c: &Creds, service: &str, target: Option<&str>, body: &str) -> Request<Body> {
    let content_type = if target.is_some() {
        "application/x-amz-json-1.1"
    } else {
        "application/x-www-form-urlencoded; charset=utf-8"
    };
    let mut headers: Vec<(&str, String)> = vec![
        ("content-type", content_type.to_owned()),
        ("host", "127.0.0.1:8080".to_owned()),
        ("x-amz-date", AMZ_DATE.to_owned()),
    ];
    if let Some(t) = &c.token {
        headers.push(("x-amz-security-token", t.clone()));
    }
    if let Some(t) = target {
        headers.push(("x-amz-target", t.to_owned()));
    }
    let signed_headers: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    let signed_headers = signed_headers.join(";");
    let placeholder = format!(
        "AWS4-HMAC-SHA256 Credential={}/{DATE}/us-east-1/{service}/aws4_request, SignedHeaders={signed_headers}, Signature={}",
        c.key,
        "0".repeat(64)
    );
    let mut all: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    all.push(("authorization", placeholder.as_bytes()));
    let http = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &all,
        body: body.as_bytes(),
    };
    let auth = iamd_sigv4::parse(&http).unwrap().unwrap();
    let sts = iamd_sigv4::string_to_sign(&auth, &http);
    let key = SigningKey::derive(c.secret.as_bytes(), DATE, "us-east-1", service);
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let authorization = placeholder.replace(&"0".repeat(64), &sig);
    let mut req = Request::post("/");
    for (n, v) in &headers {
        req = req.header(*n, v);
    }
    req.header("authorization", authorization)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn send(app: &axum::Router, req: Request<Body>) -> (u16, String) {
    let (status, body) = send_raw(app, req).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The response without decoding its body (what the measured loops call).
async fn send_raw(app: &axum::Router, req: Request<Body>) -> (u16, axum::body::Bytes) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

fn xml_field<'a>(body: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = body.find(&open).unwrap() + open.len();
    let end = start + body[start..].find(&format!("</{tag}>")).unwrap();
    &body[start..end]
}

fn query(c: &Creds, service: &str, params: &[(&str, &str)]) -> Request<Body> {
    let body: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            let enc: String = url_encode(v);
            format!("{k}={enc}")
        })
        .collect();
    signed(c, service, None, &body.join("&"))
}

fn url_encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Fixture {
    app: axum::Router,
    rt: tokio::runtime::Runtime,
    root: Creds,
    reader: Creds,
    assumer: Creds,
    role_arn: String,
    session: Creds,
}

fn fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let core = Iamd::open(
        store,
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(NOW)),
        Options::default(),
    )
    .unwrap();
    let boot = core.accounts.bootstrap(None, NOW).unwrap().unwrap();
    let account = boot.account_id.clone();
    let root = Creds {
        key: boot.access_key_id.clone(),
        secret: boot.secret_access_key.to_string(),
        token: None,
    };
    let app = router(AppState::new(Arc::new(core)));
    let ok = |r: (u16, String)| {
        assert_eq!(r.0, 200, "{}", r.1);
        r.1
    };
    let call = |req| rt.block_on(send(&app, req));

    // A reader allowed GetSecretValue on cml/*, and its secret.
    ok(call(query(
        &root,
        "iam",
        &[
            ("Action", "CreateUser"),
            ("Version", "2010-05-08"),
            ("UserName", "reader"),
        ],
    )));
    let read_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:cml/*"}]}"#;
    ok(call(query(
        &root,
        "iam",
        &[
            ("Action", "PutUserPolicy"),
            ("Version", "2010-05-08"),
            ("UserName", "reader"),
            ("PolicyName", "read"),
            ("PolicyDocument", read_policy),
        ],
    )));
    let k = ok(call(query(
        &root,
        "iam",
        &[
            ("Action", "CreateAccessKey"),
            ("Version", "2010-05-08"),
            ("UserName", "reader"),
        ],
    )));
    let reader = Creds {
        key: xml_field(&k, "AccessKeyId").to_owned(),
        secret: xml_field(&k, "SecretAccessKey").to_owned(),
        token: None,
    };
    ok(call(signed(
        &root,
        "secretsmanager",
        Some("secretsmanager.CreateSecret"),
        r#"{"Name":"cml/bench/db","SecretString":"s3cr3t-value-for-bench","ClientRequestToken":"6f1c1e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"}"#,
    )));

    // An assumer allowed sts:AssumeRole on a role that trusts it.
    ok(call(query(
        &root,
        "iam",
        &[
            ("Action", "CreateUser"),
            ("Version", "2010-05-08"),
            ("UserName", "assumer"),
        ],
    )));
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:user/assumer"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let r = ok(call(query(
        &root,
        "iam",
        &[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", "BenchRole"),
            ("AssumeRolePolicyDocument", &trust),
        ],
    )));
    let role_arn = xml_field(&r, "Arn").to_owned();
    let assume = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role_arn}"}}]}}"#
    );
    ok(call(query(
        &root,
        "iam",
        &[
            ("Action", "PutUserPolicy"),
            ("Version", "2010-05-08"),
            ("UserName", "assumer"),
            ("PolicyName", "assume"),
            ("PolicyDocument", &assume),
        ],
    )));
    let k = ok(call(query(
        &root,
        "iam",
        &[
            ("Action", "CreateAccessKey"),
            ("Version", "2010-05-08"),
            ("UserName", "assumer"),
        ],
    )));
    let assumer = Creds {
        key: xml_field(&k, "AccessKeyId").to_owned(),
        secret: xml_field(&k, "SecretAccessKey").to_owned(),
        token: None,
    };
    let s = ok(call(query(
        &assumer,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "bench"),
        ],
    )));
    let session = Creds {
        key: xml_field(&s, "AccessKeyId").to_owned(),
        secret: xml_field(&s, "SecretAccessKey").to_owned(),
        token: Some(xml_field(&s, "SessionToken").to_owned()),
    };
    Fixture {
        app,
        rt,
        root,
        reader,
        assumer,
        role_arn,
        session,
    }
}

/// `IAMD_PIPELINE_COUNT=<scenario>:<n>` runs one scenario `n` times without criterion, for
/// instruction counts under `valgrind --tool=callgrind` (exact where wall-clock timings on a
/// shared machine are not).
#[inline(never)]
fn count_only(f: &Fixture, make: &dyn Fn(&str) -> Option<Request<Body>>) -> bool {
    let Ok(spec) = std::env::var("IAMD_PIPELINE_COUNT") else {
        return false;
    };
    let (name, n) = spec
        .split_once(':')
        .expect("IAMD_PIPELINE_COUNT=<scenario>:<n>");
    let n: usize = n.parse().expect("a count");
    for _ in 0..n {
        let req = make(name).expect("a known scenario");
        let (status, body) = f.rt.block_on(send_raw(&f.app, req));
        assert_eq!(status, 200, "{body:?}");
    }
    true
}

fn pipeline(c: &mut Criterion) {
    let f = fixture();
    let gci_body = "Action=GetCallerIdentity&Version=2011-06-15";
    let gsv_body = r#"{"SecretId":"cml/bench/db"}"#;
    let ar_body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=bench",
        url_encode(&f.role_arn)
    );
    let (gci_parts, _) = query(
        &f.root,
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
    .into_parts();
    let (gsv_parts, _) = signed(
        &f.reader,
        "secretsmanager",
        Some("secretsmanager.GetSecretValue"),
        gsv_body,
    )
    .into_parts();
    let (ar_parts, _) = query(
        &f.assumer,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", &f.role_arn),
            ("RoleSessionName", "bench"),
        ],
    )
    .into_parts();
    let (sess_parts, _) = query(
        &f.session,
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
    .into_parts();
    let make = |name: &str| -> Option<Request<Body>> {
        Some(match name {
            "get_caller_identity_root" => {
                Request::from_parts(gci_parts.clone(), Body::from(gci_body))
            }
            "get_secret_value_user" => Request::from_parts(gsv_parts.clone(), Body::from(gsv_body)),
            "assume_role_user" => {
                Request::from_parts(ar_parts.clone(), Body::from(ar_body.clone()))
            }
            "get_caller_identity_session" => {
                Request::from_parts(sess_parts.clone(), Body::from(gci_body))
            }
            _ => return None,
        })
    };
    // Sessions are stateless: nothing may grow with the number issued. `IAMD_PIPELINE_SESSIONS=N`
    // issues N sessions first (not counted), so an instruction count of a session-signed request
    // can be compared with the count on a fresh server.
    let issue = |n: usize| {
        for _ in 0..n {
            let req = make("assume_role_user").expect("a known scenario");
            let (status, body) = f.rt.block_on(send_raw(&f.app, req));
            assert_eq!(status, 200, "{body:?}");
        }
    };
    if let Ok(n) = std::env::var("IAMD_PIPELINE_SESSIONS") {
        issue(n.parse().expect("a count of sessions"));
    }
    if count_only(&f, &make) {
        return;
    }
    let mut g = c.benchmark_group("pipeline");
    let run =
        |name: &str, make: &dyn Fn() -> Request<Body>, g: &mut criterion::BenchmarkGroup<'_, _>| {
            // The request must succeed, or the figure would measure an error path.
            let (status, body) = f.rt.block_on(send(&f.app, make()));
            assert_eq!(status, 200, "{name}: {body}");
            g.bench_function(name, |b| {
                b.iter(|| f.rt.block_on(send_raw(&f.app, make())));
            });
        };
    for name in [
        "get_caller_identity_root",
        "get_secret_value_user",
        "get_caller_identity_session",
        "assume_role_user",
    ] {
        run(name, &|| make(name).expect("a known scenario"), &mut g);
    }
    // The AssumeRole benchmark above issued hundreds of thousands of sessions; 100,000 more make
    // sure, then the session-signed request is measured again.
    issue(100_000);
    run(
        "get_caller_identity_session_after_100000_sessions",
        &|| make("get_caller_identity_session").expect("a known scenario"),
        &mut g,
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = pipeline
}
criterion_main!(benches);
