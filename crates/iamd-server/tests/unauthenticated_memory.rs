//! Requests that fail authentication must leave nothing behind (issue #11, finding 9): the
//! signing-key cache stored an entry — with the scope's region string, up to the header size
//! limit — before the signature was checked, so requests with bad signatures grew the server's
//! memory for good (8,000 of them added 256 MiB).
//!
//! Measured as the process's resident memory, so the test needs no access to iamd's internals
//! (`inprocess.rs` checks the cache itself): after a batch of bad requests it must not have grown
//! by more than allocator noise. Alone in its test binary, so no other test allocates meanwhile.
//! (A counting allocator would be finer, but needs `unsafe`, which the workspace forbids.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use iamd_crypto::MasterKey;
use iamd_server::{AppState, router};
use iamd_service::clock::ManualClock;
use iamd_service::{Iamd, Options};
use iamd_store::SqliteStore;
use std::sync::Arc;
use tower::ServiceExt;

/// The process's resident set, in bytes (Linux's `/proc/self/status`).
fn rss() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: i64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

const NOW: i64 = 1_800_000_000;
const AMZ_DATE: &str = "20270115T080000Z";

/// A request whose signature is wrong, for `key_id` and `region`.
fn bad_signature(key_id: &str, region: &str) -> Request<Body> {
    Request::post("/")
        .header("host", "localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-amz-date", AMZ_DATE)
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={key_id}/20270115/{region}/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
                "0".repeat(64)
            ),
        )
        .body(Body::from("Action=GetCallerIdentity&Version=2011-06-15"))
        .unwrap()
}

/// Growth of the resident memory over `n` requests made by `make`.
fn retained(
    rt: &tokio::runtime::Runtime,
    app: &axum::Router,
    n: usize,
    make: impl Fn(usize) -> Request<Body>,
) -> i64 {
    let before = rss();
    for i in 0..n {
        let req = make(i);
        let status = rt.block_on(async {
            let resp = app.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            resp.into_body().collect().await.unwrap();
            status
        });
        assert!(status.is_client_error(), "{status}");
    }
    rss() - before
}

#[test]
#[cfg(target_os = "linux")]
fn requests_with_bad_signatures_retain_no_memory() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    // Dev mode: every 12-digit key id is an account root, so an attacker has as many valid key
    // ids as it likes (without dev mode, one leaked key id and any number of scopes).
    let core = Iamd::open(
        store,
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(NOW)),
        Options {
            dev: true,
            ..Options::default()
        },
    )
    .unwrap();
    let app = router(AppState::new(Arc::new(core)));
    let key_id = |i: usize| format!("{:012}", 100_000_000_000 + i);
    // Warm up whatever is built once (lazy statics, the router, the tracing call sites) and let
    // the allocator reach its working size for one request.
    retained(&rt, &app, 200, |i| {
        bad_signature(&key_id(i), &"r".repeat(32 * 1024))
    });

    // A valid region, but a new key id each time (measured first: the huge requests below make
    // the allocator grow and trim its heap, which moves the resident size by megabytes).
    let many = retained(&rt, &app, 20_000, |i| {
        bad_signature(&key_id(1_000 + i), "eu-west-1")
    });
    // Huge regions, as the review sent them: each key id's scope list kept up to 16 of them.
    let region = |i: usize| format!("{i:08}{}", "r".repeat(32 * 1024));
    let huge = retained(&rt, &app, 640, |i| {
        bad_signature(&key_id(i % 40), &region(i))
    });
    // Before the fix: about 12 MB and 16 MB. Allowed: allocator noise.
    const NOISE: i64 = 4 << 20;
    assert!(
        many < NOISE,
        "resident memory grew by {many} bytes over 20,000 bad requests, one key id each"
    );
    assert!(
        huge < NOISE,
        "resident memory grew by {huge} bytes over 640 bad requests with huge regions"
    );
}
