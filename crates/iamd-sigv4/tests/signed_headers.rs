//! Every `x-amz-*` header a request carries must be signed ([`check_signed_headers`]), in both forms, while the
//! headers real clients leave unsigned (`user-agent`, `x-amzn-trace-id`, `content-type` where not signed) pass.
//!
//! Why: a signature covers only the headers it lists. Before this check, a request signed without
//! `x-amz-target` could be replayed within the skew window with another target (issue #11, finding 8: a
//! captured DescribeSecret replayed as GetSecretValue returned the value), and one signed without
//! `x-amz-security-token` with another session token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{AKID, Loc, OwnedRequest, SECRET, sdk_sign, unix};
use iamd_sigv4::{AuthErrorKind, SigningKey, check_signed_headers, parse, verify};

const NOW: &str = "20261123T132632Z";

/// A Secrets Manager request with the given headers, signed (every header present is signed) in `loc`.
fn signed_json(headers: &[(&str, &str)], token: Option<&str>, loc: Loc) -> OwnedRequest {
    let mut r = OwnedRequest {
        method: "POST".into(),
        path: "/".into(),
        body: br#"{"SecretId":"db"}"#.to_vec(),
        ..Default::default()
    };
    r = r.header("Host", "127.0.0.1:4566");
    for (n, v) in headers {
        r = r.header(n, v);
    }
    sdk_sign(
        &mut r,
        AKID,
        SECRET,
        token,
        "us-east-1",
        "secretsmanager",
        unix(NOW),
        loc,
    );
    r
}

/// (signature verifies, unsigned-header check) for a request.
fn outcome(r: &OwnedRequest) -> (bool, Result<(), iamd_sigv4::AuthError>) {
    r.with(|h| {
        let a = parse(h).unwrap().unwrap();
        let key = SigningKey::derive(SECRET.as_bytes(), a.scope_date(), a.region(), a.service());
        (
            verify(&a, h, &key, unix(NOW), 300).is_ok(),
            check_signed_headers(&a, h),
        )
    })
}

fn refused_for(r: &OwnedRequest, name: &str) {
    let (sig_ok, check) = outcome(r);
    // The signature alone still checks out: only the header rule refuses the request.
    assert!(sig_ok, "{r:?}");
    let e = check.unwrap_err();
    assert_eq!(e.kind, AuthErrorKind::SignatureDoesNotMatch);
    assert_eq!(
        e.message,
        format!("'{name}' must be a 'SignedHeader' in the AWS Authorization.")
    );
}

#[test]
fn a_fully_signed_request_passes() {
    for loc in [Loc::Header, Loc::Query] {
        let r = signed_json(
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "secretsmanager.DescribeSecret"),
            ],
            Some("session-token"),
            loc,
        );
        assert_eq!(outcome(&r), (true, Ok(())), "{loc:?}");
    }
}

#[test]
fn an_unsigned_target_added_after_signing_is_refused() {
    // Signed with no target at all, then given one: the replay of finding 8.
    let mut r = signed_json(
        &[("Content-Type", "application/x-amz-json-1.1")],
        None,
        Loc::Header,
    );
    r.set_header("X-Amz-Target", "secretsmanager.GetSecretValue");
    refused_for(&r, "x-amz-target");
    // Any case of the name, and any x-amz-* header.
    let mut r = signed_json(&[], None, Loc::Header);
    r.set_header("x-AMZ-anything", "1");
    refused_for(&r, "x-amz-anything");
}

#[test]
fn an_unsigned_session_token_is_refused() {
    // The AWS test suite's post-sts-header-after shape: the token added after signing.
    let mut r = signed_json(
        &[("X-Amz-Target", "secretsmanager.GetSecretValue")],
        None,
        Loc::Header,
    );
    r.set_header("X-Amz-Security-Token", "another-session");
    refused_for(&r, "x-amz-security-token");
}

#[test]
fn presigned_requests_must_sign_the_amz_headers_sent_beside_them() {
    // The token in the query is part of the canonical query string: covered, no header needed.
    let r = signed_json(&[], Some("session-token"), Loc::Query);
    assert!(r.query.contains("X-Amz-Security-Token="), "{}", r.query);
    assert_eq!(outcome(&r), (true, Ok(())));
    // A target sent as an unsigned header beside the URL is not.
    let mut r = signed_json(&[], None, Loc::Query);
    r.set_header("X-Amz-Target", "secretsmanager.GetSecretValue");
    refused_for(&r, "x-amz-target");
    // Signed into X-Amz-SignedHeaders, it is.
    let r = signed_json(
        &[("X-Amz-Target", "secretsmanager.GetSecretValue")],
        None,
        Loc::Query,
    );
    assert_eq!(outcome(&r), (true, Ok(())));
}

#[test]
fn headers_clients_leave_unsigned_still_pass() {
    // botocore leaves user-agent and x-amzn-trace-id unsigned; the Rust SDK also amz-sdk-*; content-type is
    // optional in the guide.
    let mut r = signed_json(
        &[("X-Amz-Target", "secretsmanager.ListSecrets")],
        None,
        Loc::Header,
    );
    for (n, v) in [
        ("User-Agent", "Boto3/1.44.5"),
        (
            "X-Amzn-Trace-Id",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
        ),
        (
            "amz-sdk-invocation-id",
            "755c2cec-5c02-42ee-adbe-4e1bdd6fcaf5",
        ),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Content-Length", "17"),
    ] {
        r.set_header(n, v);
    }
    assert_eq!(outcome(&r), (true, Ok(())));
}
