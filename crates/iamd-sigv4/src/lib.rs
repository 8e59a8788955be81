//! iamd-sigv4: server-side verification of AWS Signature Version 4 for iamd's IAM, STS and Secrets Manager
//! endpoints. Pure: no I/O, no async, no clock (the caller passes `now`).
//!
//! # Use
//!
//! ```
//! # use iamd_sigv4::*;
//! # fn demo(req: &HttpRequest<'_>, secret: &[u8], now: i64) -> Result<(), AuthError> {
//! let Some(auth) = parse(req)? else {
//!     return Ok(()); // no authentication at all: MissingAuthenticationToken (or an unsigned STS call)
//! };
//! prevalidate(&auth, now, 900)?; // optional early check, before looking up the access key (AWS's order)
//! check_signed_headers(&auth, req)?; // every x-amz-* header sent must be signed
//! // look up auth.access_key_id() -> secret (InvalidClientTokenId if unknown), then:
//! let key = SigningKey::derive(secret, auth.scope_date(), auth.region(), auth.service()); // cacheable
//! verify(&auth, req, &key, now, 900)?;
//! # Ok(()) }
//! ```
//!
//! # Module layout
//!
//! * [`error`]: [`AuthError`] / [`AuthErrorKind`] and every AWS message text, with sources.
//! * `parse`: the `Authorization` header and presigned-query forms → [`AuthRequest`] ([`parse`]).
//! * `time`: `X-Amz-Date` (ISO-8601 basic) / `Date` parsing and formatting, no clock.
//! * `canonical`: canonical request and string to sign (non-S3 rules), streamed into SHA-256.
//! * `key`: [`SigningKey`] derivation (`kSigning`), zeroized, cacheable.
//! * this file: [`HttpRequest`], [`prevalidate`] (skew, host signed, scope), [`check_signed_headers`] (every
//!   `x-amz-*` header signed) and [`verify`].
//!
//! # AWS rules implemented
//!
//! From <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html> (algorithm) and
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html> (errors):
//! * canonical URI: the path is normalised and every segment URI-encoded again (non-S3 services);
//! * canonical query: parameters decoded, each name/value RFC 3986-encoded, sorted; presigned requests leave out
//!   `X-Amz-Signature`. A `+` in the received query is read as a space (form encoding; the same as the AWS Rust
//!   SDK signer, which parses queries with `form_urlencoded`). SDKs never send `+` in a signed query (they encode a
//!   space as `%20`), so this only matters for hand-made requests; a literal plus must be sent as `%2B`;
//! * canonical headers: exactly the `SignedHeaders`, lower-case names, values trimmed with inner space runs
//!   collapsed, repeated headers joined with `,`; `host` (or `:authority`) must be signed, and every `x-amz-*`
//!   header sent ([`check_signed_headers`]);
//! * payload hash: hex SHA-256 of the raw body (no `x-amz-content-sha256` for these services);
//! * string to sign: algorithm, `X-Amz-Date` (or the `Date` header rendered in basic format), scope, hash;
//! * the credential scope date must equal the request date; the terminator must be `aws4_request`;
//! * clock skew: the caller passes the window (900 s for IAM/STS, 300 s for Secrets Manager, see
//!   aws-semantics.md §5.2); presigned requests use the same window and ignore `X-Amz-Expires` as AWS's
//!   non-S3 services do (aws-sdk-go#2167, aws-sdk-ruby#2887);
//! * the signature is compared in constant time (`subtle`).
//!
//! The server decides which regions it accepts (passed to [`prevalidate_scoped`]) and which service the request is
//! for (see [`error::msg_scope_service`] for AWS's text).

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]
#![forbid(unsafe_code)]

mod canonical;
pub mod error;
mod key;
mod parse;
mod time;

use std::fmt;

use subtle::ConstantTimeEq;

pub use error::{AuthError, AuthErrorKind};
pub use key::SigningKey;
pub use parse::ALGORITHM;

use crate::error::{
    MSG_HOST_MUST_BE_SIGNED, SkewText, msg_bad_terminator, msg_scope_date, msg_scope_region,
};

/// An HTTP request as received, borrowed from the server's own request type.
///
/// `Debug` shows header names, but not the values of `Authorization` and `X-Amz-Security-Token`, nor the body.
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    /// Method, e.g. `POST`.
    pub method: &'a str,
    /// Raw path as received (still percent-encoded), without the query.
    pub path: &'a str,
    /// Raw query string as received, without `?` (empty if none).
    pub query: &'a str,
    /// Headers as received: any name case, repeats allowed, in arrival order.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The raw body bytes.
    pub body: &'a [u8],
}

impl fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'h>(&'h [(&'h str, &'h [u8])]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for (name, value) in self.0 {
                    if name.eq_ignore_ascii_case("authorization")
                        || name.eq_ignore_ascii_case("x-amz-security-token")
                    {
                        list.entry(&(name, "<redacted>"));
                    } else {
                        list.entry(&(name, String::from_utf8_lossy(value)));
                    }
                }
                list.finish()
            }
        }
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_len", &self.query.len())
            .field("headers", &Headers(self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Values of the headers named `name` (ASCII case-insensitive), in arrival order.
pub(crate) fn header_values<'r, 'n>(
    req: &HttpRequest<'r>,
    name: &'n str,
) -> impl Iterator<Item = &'r [u8]> + 'n
where
    'r: 'n,
{
    req.headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Which of the two SigV4 forms carried the authentication data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthForm {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    Header,
    /// Presigned: `X-Amz-Algorithm`, `X-Amz-Credential`, … in the query string.
    Presigned,
}

/// The authentication data of a SigV4-signed request, syntactically valid (see [`parse`]).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub(crate) form: AuthForm,
    pub(crate) access_key_id: String,
    pub(crate) scope_date: String,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) terminator: String,
    pub(crate) signed_headers: Vec<String>,
    pub(crate) signature: String,
    pub(crate) timestamp: i64,
    pub(crate) amz_date: [u8; 16],
    pub(crate) security_token: Option<String>,
    pub(crate) expires: Option<String>,
}

impl AuthRequest {
    /// Header or presigned form.
    pub fn form(&self) -> AuthForm {
        self.form
    }
    /// The access key id (first credential element; may be empty, which the key lookup rejects).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// Credential scope date as sent (`YYYYMMDD` if well-formed; checked by [`prevalidate`]).
    pub fn scope_date(&self) -> &str {
        &self.scope_date
    }
    /// Credential scope region.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// Credential scope service (`sts`, `iam`, `secretsmanager`, …).
    pub fn service(&self) -> &str {
        &self.service
    }
    /// Credential scope terminator (must be `aws4_request`; checked by [`prevalidate`]).
    pub fn terminator(&self) -> &str {
        &self.terminator
    }
    /// Signed header names, lower-cased, in the order sent.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }
    /// Request time in unix seconds (from `X-Amz-Date`, or the `Date` header).
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }
    /// Request time as `YYYYMMDDTHHMMSSZ` (what the string to sign contains).
    pub fn amz_date(&self) -> &str {
        // Always ASCII digits/'T'/'Z' (built by `time::format_amz_date`).
        std::str::from_utf8(&self.amz_date).unwrap_or_default()
    }
    /// `X-Amz-Security-Token` (header form: header; presigned: query parameter), if sent.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
    /// `X-Amz-Expires` as sent (presigned only). Informational: IAM/STS/Secrets Manager ignore it.
    pub fn expires(&self) -> Option<&str> {
        self.expires.as_deref()
    }
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("form", &self.form)
            .field("access_key_id", &self.access_key_id)
            .field("scope_date", &self.scope_date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("terminator", &self.terminator)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .field("amz_date", &self.amz_date())
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires", &self.expires)
            .finish()
    }
}

/// Extracts the SigV4 authentication data.
///
/// * `Ok(None)`: no `Authorization` header and none of `X-Amz-Algorithm` / `X-Amz-Credential` /
///   `X-Amz-Signature` in the query — the caller answers `MissingAuthenticationToken` (or handles an unsigned
///   operation such as `AssumeRoleWithWebIdentity`).
/// * `Err` with [`AuthErrorKind::IncompleteSignature`]: malformed header/parameters, missing parts, bad date
///   format, unsupported algorithm, credential without exactly 5 elements.
/// * `Err` with [`AuthErrorKind::SignatureDoesNotMatch`]: both forms at once.
pub fn parse(req: &HttpRequest<'_>) -> Result<Option<AuthRequest>, AuthError> {
    parse::parse(req)
}

/// The checks that need no key: clock skew (`SignatureExpired`), `host` signed, and scope terminator/date
/// (`SignatureDoesNotMatch`). AWS runs these before looking up the access key, so a server that wants AWS's error
/// order calls this first; [`verify`] runs it again (cheap).
///
/// `now_unix - max_skew_secs <= timestamp <= now_unix + max_skew_secs` is accepted (both bounds inclusive).
/// Any region is accepted: a server checks it with [`prevalidate_scoped`].
pub fn prevalidate(auth: &AuthRequest, now_unix: i64, max_skew_secs: i64) -> Result<(), AuthError> {
    prevalidate_scoped(auth, now_unix, max_skew_secs, |_| true)
}

/// [`prevalidate`], with the scope's region checked by `region_ok` (the server knows which regions it serves).
/// A refused region is reported first among the scope errors, as AWS orders them ([R1] in [`error`]):
/// `Credential should be scoped to a valid region, not '<r>'. ` — alone, with the trailing space AWS's recorded
/// answers carry (STS in cognitect-labs/aws-api#27, a JSON service in fsouza/s3-upload-proxy#241); with other
/// scope errors, joined by a space.
pub fn prevalidate_scoped(
    auth: &AuthRequest,
    now_unix: i64,
    max_skew_secs: i64,
    region_ok: impl Fn(&str) -> bool,
) -> Result<(), AuthError> {
    let skew = SkewText(max_skew_secs);
    let earliest = now_unix.saturating_sub(max_skew_secs);
    let latest = now_unix.saturating_add(max_skew_secs);
    let text = |t: i64| String::from_utf8_lossy(&time::format_amz_date(t)).into_owned();
    if auth.timestamp < earliest {
        return Err(AuthError {
            kind: AuthErrorKind::SignatureExpired,
            message: format!(
                "Signature expired: {} is now earlier than {} ({} - {skew}.)",
                auth.amz_date(),
                text(earliest),
                text(now_unix)
            ),
        });
    }
    if auth.timestamp > latest {
        return Err(AuthError {
            kind: AuthErrorKind::SignatureExpired,
            message: format!(
                "Signature not yet current: {} is still later than {} ({} + {skew}.)",
                auth.amz_date(),
                text(latest),
                text(now_unix)
            ),
        });
    }
    if !auth
        .signed_headers
        .iter()
        .any(|h| h == "host" || h == ":authority")
    {
        return Err(AuthError::mismatch_msg(MSG_HOST_MUST_BE_SIGNED.to_owned()));
    }
    let mut scope_errors: Vec<String> = Vec::new();
    let region_refused = !region_ok(&auth.region);
    if region_refused {
        scope_errors.push(msg_scope_region(&auth.region));
    }
    if auth.terminator != "aws4_request" {
        scope_errors.push(msg_bad_terminator(&auth.terminator));
    }
    let amz_date = auth.amz_date();
    let http_date = amz_date.get(..8).unwrap_or_default();
    if auth.scope_date != http_date {
        scope_errors.push(msg_scope_date(&auth.scope_date, http_date, amz_date));
    }
    if !scope_errors.is_empty() {
        let mut message = scope_errors.join(" ");
        if scope_errors.len() == 1 && region_refused {
            message.push(' ');
        }
        return Err(AuthError::mismatch_msg(message));
    }
    Ok(())
}

/// Every `x-amz-*` header the request carries must be signed (AWS's SigV4 rule: the canonical headers include
/// "`host` ... and any `x-amz-*` headers",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>). Otherwise a captured request
/// could be replayed with an unsigned header changed: another `X-Amz-Target` (another Secrets Manager operation
/// under the same signature) or another `X-Amz-Security-Token`. Applies to both forms: headers sent beside a
/// presigned URL must be listed in `X-Amz-SignedHeaders` (a presigned `X-Amz-Security-Token` is a query parameter,
/// covered by the canonical query string). `x-amzn-*` (such as `x-amzn-trace-id`, which the SDKs leave unsigned on
/// purpose) and other standard headers (`content-type`, `user-agent`) may stay unsigned, as the guide allows.
///
/// Error: `SignatureDoesNotMatch` with `'<name>' must be a 'SignedHeader' in the AWS Authorization.` (see
/// [`error`] for why that text). Not part of [`verify`], which checks the signature alone (the AWS test suite's
/// `post-sts-header-after` vector is a valid signature with an unsigned token): a server calls both.
pub fn check_signed_headers(auth: &AuthRequest, req: &HttpRequest<'_>) -> Result<(), AuthError> {
    for (name, _) in req.headers {
        let b = name.as_bytes();
        // Most headers are ruled out by their first byte; signed names are lower-case, as most
        // servers hand received ones over, so an exact match is tried before a caseless one.
        let amz = b.first().is_some_and(|c| c | 0x20 == b'x')
            && b.get(..6)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"x-amz-"));
        if amz
            && !auth
                .signed_headers
                .iter()
                .any(|s| s == name || s.eq_ignore_ascii_case(name))
        {
            return Err(AuthError::mismatch_msg(error::msg_header_must_be_signed(
                &name.to_ascii_lowercase(),
            )));
        }
    }
    Ok(())
}

/// Verifies the request: [`prevalidate`], then the signature over the canonical request, compared in constant
/// time. `key` must be derived for this request's scope (`auth.scope_date()`, `auth.region()`,
/// `auth.service()`) from the access key's secret.
pub fn verify(
    auth: &AuthRequest,
    req: &HttpRequest<'_>,
    key: &SigningKey,
    now_unix: i64,
    max_skew_secs: i64,
) -> Result<(), AuthError> {
    prevalidate(auth, now_unix, max_skew_secs)?;
    let expected = expected_signature(auth, req, key).ok_or_else(AuthError::mismatch)?;
    if bool::from(expected.as_slice().ct_eq(auth.signature.as_bytes())) {
        Ok(())
    } else {
        Err(AuthError::mismatch())
    }
}

/// The lower-case hex signature this request should carry (`None` only for an unusable key).
fn expected_signature(
    auth: &AuthRequest,
    req: &HttpRequest<'_>,
    key: &SigningKey,
) -> Option<[u8; 64]> {
    let hash = canonical::canonical_request_hash_hex(auth, req);
    key.sign(&canonical::string_to_sign_parts(auth, &hash))
        .map(|sig| canonical::hex32(&sig))
}

/// The canonical request text, for diagnostics and tests (not needed for verification). Contains signed header
/// values such as the session token: never log it in production.
pub fn canonical_request(auth: &AuthRequest, req: &HttpRequest<'_>) -> String {
    let mut v = Vec::new();
    canonical::write_canonical_request(&mut v, auth, req);
    String::from_utf8_lossy(&v).into_owned()
}

/// The string to sign, for diagnostics and tests.
pub fn string_to_sign(auth: &AuthRequest, req: &HttpRequest<'_>) -> String {
    let hash = canonical::canonical_request_hash_hex(auth, req);
    let v: Vec<u8> = canonical::string_to_sign_parts(auth, &hash).concat();
    String::from_utf8_lossy(&v).into_owned()
}
