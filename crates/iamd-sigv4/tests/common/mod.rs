//! Shared helpers for the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iamd_sigv4::HttpRequest;

/// An owned request that lends out an [`HttpRequest`].
#[derive(Debug, Clone, Default)]
pub struct OwnedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl OwnedRequest {
    pub fn with<R>(&self, f: impl FnOnce(&HttpRequest<'_>) -> R) -> R {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let req = HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        f(&req)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
        self
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
    }

    /// Parses a raw HTTP/1.1 request text (`METHOD target[ HTTP/1.1]`, `Name:value` lines, blank line, body).
    /// Obsolete line folding (a line starting with whitespace) is unfolded by replacing the line break with a
    /// space, as RFC 9112 §5.2 tells a recipient to do.
    pub fn from_http_text(text: &[u8]) -> Self {
        let (head, body) = match text.windows(2).position(|w| w == b"\n\n") {
            Some(i) => (&text[..i], text[i + 2..].to_vec()),
            None => (text, Vec::new()),
        };
        let head = String::from_utf8(head.to_vec()).unwrap();
        let mut lines = head.split('\n');
        let request_line = lines.next().unwrap();
        let request_line = request_line
            .strip_suffix(" HTTP/1.1")
            .unwrap_or(request_line);
        let (method, target) = request_line.split_once(' ').unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
        for line in lines {
            if line.is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().unwrap();
                last.1.push(b' ');
                last.1.extend_from_slice(line.as_bytes());
                continue;
            }
            let (n, v) = line.split_once(':').unwrap();
            // HTTP parsers strip optional whitespace around the value.
            headers.push((
                n.to_owned(),
                v.trim_matches([' ', '\t']).as_bytes().to_vec(),
            ));
        }
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
        }
    }
}

pub const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Unix seconds of a `YYYYMMDDTHHMMSSZ` string (test-side, via the `time` crate, independent of ours).
pub fn unix(amz: &str) -> i64 {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(amz, &fmt)
        .unwrap()
        .assume_utc()
        .unix_timestamp()
}

/// Where the SDK signer puts the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    Header,
    Query,
}

/// Strict RFC 3986 encoding (test side) for appending presigned parameters.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Signs `req` in place with the official `aws-sigv4` signer (the oracle). Every header already on `req` is signed
/// (`excluded_headers = None`), the time is `time` (unix seconds). Header form: adds `X-Amz-Date`,
/// `X-Amz-Security-Token` and `Authorization`; query form: appends the `X-Amz-*` parameters.
#[allow(clippy::too_many_arguments)]
pub fn sdk_sign(
    req: &mut OwnedRequest,
    akid: &str,
    secret: &str,
    token: Option<&str>,
    region: &str,
    service: &str,
    time: i64,
    loc: Loc,
) {
    sdk_sign_expires(req, akid, secret, token, region, service, time, loc, 900);
}

/// [`sdk_sign`] with an explicit `X-Amz-Expires` for the query form.
#[allow(clippy::too_many_arguments)]
pub fn sdk_sign_expires(
    req: &mut OwnedRequest,
    akid: &str,
    secret: &str,
    token: Option<&str>,
    region: &str,
    service: &str,
    time: i64,
    loc: Loc,
    expires_secs: u64,
) {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    use std::time::{Duration, UNIX_EPOCH};

    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new(
            akid,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        )
        .into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    if loc == Loc::Query {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(expires_secs));
    }
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(UNIX_EPOCH + Duration::from_secs(time as u64))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let host = req
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        .unwrap_or_else(|| "example.com".to_owned());
    let uri = if req.query.is_empty() {
        format!("http://{host}{}", req.path)
    } else {
        format!("http://{host}{}?{}", req.path, req.query)
    };
    let header_strings: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8(v.clone()).unwrap()))
        .collect();
    let signable = SignableRequest::new(
        &req.method,
        uri,
        header_strings.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&req.body),
    )
    .unwrap();
    let (instructions, _sig) = sign(signable, &params).unwrap().into_parts();
    let (headers, query_params) = instructions.into_parts();
    for h in headers {
        req.headers
            .push((h.name().to_owned(), h.value().as_bytes().to_vec()));
    }
    for (k, v) in query_params {
        if !req.query.is_empty() {
            req.query.push('&');
        }
        req.query.push_str(&enc(k));
        req.query.push('=');
        req.query.push_str(&enc(&v));
    }
}
