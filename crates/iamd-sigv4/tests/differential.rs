//! Differential property tests: random requests signed by the official `aws-sigv4` signer (the oracle) must
//! verify with ours, in both the header and the presigned form, with and without a session token; and changing one
//! byte of the body, a signed header, the query, the signature or the date must be rejected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Loc, OwnedRequest, enc, sdk_sign};
use iamd_sigv4::{AuthErrorKind, AuthForm, SigningKey, parse, verify};
use proptest::prelude::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Characters that may appear raw in a path segment (RFC 3986 pchar minus `%`), plus encoded bytes and dot
/// segments.
fn path_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9._~!$&'()*+,;=:@-]{0,8}",
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just(String::new()),
        2 => "[ -~é€\u{1234}]{1,4}".prop_map(|s| enc(&s)),
    ]
}

fn path() -> impl Strategy<Value = String> {
    (prop::collection::vec(path_segment(), 0..5), any::<bool>()).prop_map(|(segs, trailing)| {
        let mut p = format!("/{}", segs.join("/"));
        if trailing && !p.ends_with('/') {
            p.push('/');
        }
        p
    })
}

/// One query component: random text, encoded strictly, or with `+` for spaces, or with lower-case hex.
fn query_component() -> impl Strategy<Value = String> {
    ("[ -~é\u{1234}]{0,8}", 0..3u8).prop_map(|(s, style)| match style {
        0 => enc(&s),
        1 => s.split(' ').map(enc).collect::<Vec<_>>().join("+"),
        _ => enc(&s).to_ascii_lowercase(),
    })
}

fn query() -> impl Strategy<Value = String> {
    prop::collection::vec((query_component(), query_component(), any::<bool>()), 0..5).prop_map(
        |pairs| {
            pairs
                .into_iter()
                // Keep clear of the presign parameters.
                .filter(|(k, _, _)| !k.to_ascii_lowercase().starts_with("x-amz"))
                .map(|(k, v, with_eq)| {
                    if with_eq || !v.is_empty() {
                        format!("{k}={v}")
                    } else {
                        k
                    }
                })
                .collect::<Vec<_>>()
                .join("&")
        },
    )
}

/// Header names from a small pool (so repeats happen) in random case.
fn header() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(vec![
            "x-t-a",
            "x-t-b",
            "content-type",
            "x-amz-target",
            "x-amz-meta-q",
            "accept",
        ]),
        any::<u8>(),
        "[ -~]{0,12}",
    )
        .prop_map(|(name, case_bits, value)| {
            let name: String = name
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if case_bits >> (i % 8) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            (name, value)
        })
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    token: Option<String>,
    loc: Loc,
    region: &'static str,
    service: &'static str,
    time: i64,
    host: String,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        path(),
        query(),
        prop::collection::vec(header(), 0..5),
        prop::collection::vec(any::<u8>(), 0..64),
        prop::option::of("[A-Za-z0-9+/=]{1,40}"),
        prop::sample::select(vec![Loc::Header, Loc::Query]),
        prop::sample::select(vec!["us-east-1", "eu-west-3"]),
        prop::sample::select(vec!["sts", "iam", "secretsmanager"]),
        946_684_800i64..4_102_444_799,
        prop::sample::select(vec![
            "127.0.0.1:18080",
            "sts.amazonaws.com",
            "localhost:443",
        ]),
    )
        .prop_map(
            |(method, path, query, headers, body, token, loc, region, service, time, host)| Case {
                method,
                path,
                query,
                headers,
                body,
                token,
                loc,
                region,
                service,
                time,
                host: host.to_owned(),
            },
        )
}

fn build(c: &Case) -> OwnedRequest {
    let mut r = OwnedRequest {
        method: c.method.into(),
        path: c.path.clone(),
        query: c.query.clone(),
        headers: vec![("Host".into(), c.host.as_bytes().to_vec())],
        body: c.body.clone(),
    };
    for (n, v) in &c.headers {
        r.headers.push((n.clone(), v.as_bytes().to_vec()));
    }
    sdk_sign(
        &mut r,
        "AKIDEXAMPLE",
        SECRET,
        c.token.as_deref(),
        c.region,
        c.service,
        c.time,
        c.loc,
    );
    // Headers a client or proxy adds that were not signed.
    r.header("User-Agent", "test/1.0")
        .header("X-Forwarded-For", "10.0.0.1")
}

fn check(r: &OwnedRequest, now: i64) -> Result<(), iamd_sigv4::AuthError> {
    r.with(|h| {
        let a = parse(h)?.expect("signed");
        let key = SigningKey::derive(SECRET.as_bytes(), a.scope_date(), a.region(), a.service());
        verify(&a, h, &key, now, 900)
    })
}

/// Replaces the first occurrence of `from` in the signature/date-bearing place for this form.
fn mutate(r: &OwnedRequest, c: &Case, which: u8) -> OwnedRequest {
    let mut m = r.clone();
    match which {
        // One body byte (or one extra byte).
        0 => match m.body.first_mut() {
            Some(b) => *b ^= 0x01,
            None => m.body.push(b'x'),
        },
        // A signed header's value: Host is always signed.
        1 => {
            let host = format!("{}x", c.host);
            m.set_header("Host", &host);
        }
        // The query: one more parameter.
        2 => {
            if m.query.is_empty() {
                m.query = "extra=1".into();
            } else {
                m.query.push_str("&extra=1");
            }
        }
        // The signature: one hex digit.
        3 => {
            let flip = |s: &str| -> String {
                let i = s.find("Signature=").unwrap() + "Signature=".len();
                let mut b = s.as_bytes().to_vec();
                b[i] = if b[i] == b'0' { b'1' } else { b'0' };
                String::from_utf8(b).unwrap()
            };
            match c.loc {
                Loc::Header => {
                    let v = m
                        .headers
                        .iter_mut()
                        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                        .unwrap();
                    v.1 = flip(&String::from_utf8(v.1.clone()).unwrap()).into_bytes();
                }
                Loc::Query => m.query = flip(&m.query),
            }
        }
        // The date: one second later (still inside the skew window, so only the signature can catch it).
        _ => {
            let old = iamd_sigv4_test_amz(c.time);
            let new = iamd_sigv4_test_amz(c.time + 1);
            match c.loc {
                Loc::Header => m.set_header("X-Amz-Date", &new),
                Loc::Query => {
                    m.query = m
                        .query
                        .replace(&format!("X-Amz-Date={old}"), &format!("X-Amz-Date={new}"))
                }
            }
        }
    }
    m
}

fn iamd_sigv4_test_amz(t: i64) -> String {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from_unix_timestamp(t)
        .unwrap()
        .format(&fmt)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn oracle_signed_requests_verify(c in case()) {
        let r = build(&c);
        let a = r.with(parse).unwrap().unwrap();
        prop_assert_eq!(a.form(), if c.loc == Loc::Header { AuthForm::Header } else { AuthForm::Presigned });
        prop_assert_eq!(a.security_token(), c.token.as_deref());
        prop_assert_eq!(a.timestamp(), c.time);
        prop_assert_eq!(check(&r, c.time), Ok(()), "request: {:?}", r);
        // Skew still applies at the edges of the window.
        prop_assert_eq!(check(&r, c.time + 900), Ok(()));
        prop_assert_eq!(check(&r, c.time - 901).unwrap_err().kind, AuthErrorKind::SignatureExpired);
    }

    #[test]
    fn one_changed_byte_is_rejected(c in case(), which in 0u8..5) {
        let r = build(&c);
        let m = mutate(&r, &c, which);
        let e = check(&m, c.time).expect_err("mutated request must not verify");
        prop_assert_eq!(e.kind, AuthErrorKind::SignatureDoesNotMatch, "{:?} {}", which, e);
    }
}
