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
use iamd_crypto::MasterKey;
use iamd_server::{AppState, router};
use iamd_service::Iamd;
use iamd_service::Options;
use iamd_service::clock::ManualClock;
use iamd_store::SqliteStore;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/support/signed.rs"]
mod signed;
use signed::*;

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
