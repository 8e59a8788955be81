//! The router driven in process (no socket): iamd's own endpoints and the fail-closed edges of the
//! pipeline. Signed-request behaviour is covered end to end in tests/e2e.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use iamd_crypto::MasterKey;
use iamd_server::{AppState, router};
use iamd_service::clock::ManualClock;
use iamd_service::{Iamd, Options};
use iamd_store::SqliteStore;
use std::sync::Arc;
use tower::ServiceExt;

fn app(dev: bool) -> axum::Router {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let core = Iamd::open(
        store,
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(1_800_000_000)),
        Options {
            dev,
            ..Options::default()
        },
    )
    .unwrap();
    router(AppState::new(Arc::new(core)))
}

async fn call(app: axum::Router, req: Request<Body>) -> (StatusCode, String, String) {
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn health_reports_version() {
    let (status, ct, body) = call(
        app(false),
        Request::get("/_iamd/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/json");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn reset_exists_only_in_dev_mode() {
    let req = || Request::post("/_iamd/reset").body(Body::empty()).unwrap();
    assert_eq!(call(app(false), req()).await.0, StatusCode::NOT_FOUND);
    assert_eq!(call(app(true), req()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn unsigned_requests_are_refused_in_their_protocol() {
    let (status, ct, body) = call(
        app(true),
        Request::post("/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("Action=GetCallerIdentity&Version=2011-06-15"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(ct, "text/xml");
    assert!(
        body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{body}"
    );
    assert!(
        body.contains("https://sts.amazonaws.com/doc/2011-06-15/"),
        "{body}"
    );

    let (status, ct, body) = call(
        app(true),
        Request::post("/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("Action=ListUsers&Version=2010-05-08"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body.contains("https://iam.amazonaws.com/doc/2010-05-08/"),
        "{body}"
    );
    assert_eq!(ct, "text/xml");

    let (status, ct, body) = call(
        app(true),
        Request::post("/")
            .header("x-amz-target", "secretsmanager.ListSecrets")
            .header("content-type", "application/x-amz-json-1.1")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ct, "application/x-amz-json-1.1");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["__type"], "MissingAuthenticationTokenException");
}

#[tokio::test]
async fn any_path_and_method_is_an_aws_request_never_html() {
    for (method, path) in [
        ("GET", "/"),
        ("PUT", "/x/y"),
        ("DELETE", "/_iamd"),
        ("GET", "/favicon.ico"),
    ] {
        let (status, ct, body) = call(
            app(true),
            Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(ct, "text/xml");
        assert!(!body.to_lowercase().contains("<html"));
    }
}

/// A request whose scope names a service iamd does not serve is answered in that service's
/// protocol before anything else: before the body limit (a large S3 upload still learns why) and
/// before the signature (a made-up one is enough; nothing is looked up).
#[tokio::test]
async fn unserved_services_are_answered_in_their_protocol_first() {
    let auth = |service: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/{service}/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=0000"
        )
    };
    let (status, ct, body) = call(
        app(false),
        Request::post("/")
            .header("authorization", auth("ec2"))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(Body::from("Action=DescribeInstances&Version=2016-11-15"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ct, "text/xml;charset=UTF-8");
    assert!(
        body.contains("<Response><Errors><Error><Code>UnsupportedOperation</Code>"),
        "{body}"
    );
    assert!(body.contains("this request is for ec2."), "{body}");

    let big = vec![b'x'; iamd_server::MAX_BODY_BYTES + 1];
    let (status, ct, body) = call(
        app(false),
        Request::put("/bucket/key")
            .header("authorization", auth("s3"))
            .body(Body::from(big))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ct, "application/xml");
    assert!(
        body.contains("<Error><Code>UnsupportedOperation</Code>"),
        "{body}"
    );

    // An upload announcing `Expect: 100-continue` is answered too; its body is not read, so over
    // a socket hyper sends no `100 Continue` and the client never uploads it.
    let (status, _, body) = call(
        app(false),
        Request::put("/bucket/key")
            .header("authorization", auth("s3"))
            .header("expect", "100-continue")
            .body(Body::from("never read"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("this request is for s3."), "{body}");
}

/// A request with temporary credentials whose session has expired: `ExpiredToken` (403) for the
/// query services, `ExpiredTokenException` (400) for JSON ones, with AWS's text. Expiry is
/// judged before the signature, so the signature here need not be valid. The clock is moved, not
/// waited on.
#[tokio::test]
async fn expired_and_altered_session_tokens() {
    use iamd_service::sessions::{SessionClaims, SessionPrincipal};
    let clock = Arc::new(ManualClock::new(1_800_000_000));
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let core = Arc::new(
        Iamd::open(
            store,
            &MasterKey::generate().unwrap(),
            clock.clone(),
            Options {
                dev: true,
                ..Options::default()
            },
        )
        .unwrap(),
    );
    let claims = SessionClaims {
        account: "111111111111".into(),
        principal: SessionPrincipal::Root,
        access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
        secret_access_key: "s".repeat(40).into(),
        issued_at: 1_800_000_000 - 3600,
        expires_at: 1_800_000_000 + 60,
        mfa_at: None,
        source_identity: None,
        tags: vec![],
        transitive_tag_keys: vec![],
        policy: None,
        policy_arns: vec![],
        chained: false,
    };
    let token = core.sessions.seal(&claims).unwrap();
    let app = router(AppState::new(core.clone()));
    clock.advance(61);
    let now = "20270115T080101Z";
    let auth = |svc: &str, key: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential={key}/20270115/us-east-1/{svc}/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature={}",
            "0".repeat(64)
        )
    };
    let query = |token: &str, key: &str| {
        Request::post("/")
            .header("host", "localhost")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-amz-date", now)
            .header("x-amz-security-token", token)
            .header("authorization", auth("sts", key))
            .body(Body::from("Action=GetCallerIdentity&Version=2011-06-15"))
            .unwrap()
    };
    let (status, _, body) = call(app.clone(), query(&token, "ASIAEXAMPLEEXAMPLE01")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("<Code>ExpiredToken</Code>"), "{body}");
    assert!(
        body.contains("<Message>The security token included in the request is expired</Message>"),
        "{body}"
    );
    let json = Request::post("/")
        .header("host", "localhost")
        .header("x-amz-target", "secretsmanager.ListSecrets")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-date", now)
        .header("x-amz-security-token", token.as_str())
        .header(
            "authorization",
            auth("secretsmanager", "ASIAEXAMPLEEXAMPLE01"),
        )
        .body(Body::from("{}"))
        .unwrap();
    let (status, _, body) = call(app.clone(), json).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["__type"], "ExpiredTokenException");
    assert_eq!(
        v["message"].as_str().or(v["Message"].as_str()),
        Some("The security token included in the request is expired")
    );
    // Signed with another access key id than the token's, or an altered token: invalid.
    let (status, _, body) = call(app.clone(), query(&token, "ASIAOTHEROTHEROTHER1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("<Code>InvalidClientTokenId</Code>"), "{body}");
    let mut altered = token.clone().into_bytes();
    altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let (status, _, body) = call(app.clone(), query(&altered, "ASIAEXAMPLEEXAMPLE01")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("<Code>InvalidClientTokenId</Code>"), "{body}");
    // Before expiry the same token gets as far as the signature check.
    clock.set(1_800_000_000 + 30);
    let (status, _, body) = call(app, {
        let mut r = query(&token, "ASIAEXAMPLEEXAMPLE01");
        r.headers_mut()
            .insert("x-amz-date", "20270115T080030Z".parse().unwrap());
        r
    })
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
}

/// `request` signed for `key`/`secret` in `region` (every header on it signed).
fn sign_query(
    mut request: Request<Body>,
    body: &str,
    key: &str,
    secret: &str,
    region: &str,
) -> Request<Body> {
    use hmac::{Hmac, KeyInit, Mac};
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let placeholder = format!(
        "AWS4-HMAC-SHA256 Credential={key}/20270115/{region}/sts/aws4_request, SignedHeaders={}, Signature={}",
        signed.join(";"),
        "0".repeat(64)
    );
    let mut all: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    all.push(("authorization", placeholder.as_bytes()));
    let http = iamd_sigv4::HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &all,
        body: body.as_bytes(),
    };
    let auth = iamd_sigv4::parse(&http).unwrap().unwrap();
    let sts = iamd_sigv4::string_to_sign(&auth, &http);
    let k = iamd_sigv4::SigningKey::derive(secret.as_bytes(), "20270115", region, "sts");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(k.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    request.headers_mut().insert(
        "authorization",
        placeholder.replace(&"0".repeat(64), &sig).parse().unwrap(),
    );
    request
}

/// Issue #11, finding 9: the signing-key cache kept an entry, with the scope's strings, for every
/// request before its signature was checked. Only a key that verified a request may be kept.
#[tokio::test]
async fn only_verified_signing_keys_are_cached() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let core = Iamd::open(
        store,
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(1_800_000_000)),
        Options {
            dev: true,
            ..Options::default()
        },
    )
    .unwrap();
    let state = AppState::new(Arc::new(core));
    let app = router(state.clone());
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let gci = || {
        Request::post("/")
            .header("host", "localhost")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-amz-date", "20270115T080000Z")
            .body(Body::from(body))
            .unwrap()
    };
    // Wrong secrets (dev key ids: each 12-digit id is an account root with secret `test`), in
    // regions of the partition and far outside it.
    let huge = "r".repeat(64 * 1024);
    for (i, region) in ["us-east-1", "eu-west-1", huge.as_str()].iter().enumerate() {
        for n in 0..20 {
            let key = format!("{:012}", 100_000_000_000u64 + (i * 100 + n) as u64);
            let (status, _, body) =
                call(app.clone(), sign_query(gci(), body, &key, "wrong", region)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert!(
                body.contains("<Code>SignatureDoesNotMatch</Code>"),
                "{body}"
            );
        }
    }
    assert_eq!(
        state.signing_key_cache_size(),
        iamd_server::KeyCacheSize::default()
    );
    // A good signature caches its key (so the measure above can see one).
    let (status, _, body) = call(
        app.clone(),
        sign_query(gci(), body, "test", "test", "us-east-1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let size = state.signing_key_cache_size();
    assert_eq!(size.keys, 1);
    assert!(size.bytes < 256, "{size:?}");
}
