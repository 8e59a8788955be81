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
        Options { dev },
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
