//! Canonical request and string to sign, for non-S3 services.
//!
//! Implements <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>
//! ("Step 1: Create a canonical request", "Step 3: Create a string to sign"):
//!
//! ```text
//! CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
//! StringToSign     = "AWS4-HMAC-SHA256" \n YYYYMMDDTHHMMSSZ \n date/region/service/aws4_request \n HexSHA256(CanonicalRequest)
//! ```
//!
//! Everything is streamed into the SHA-256 state through [`Sink`]; the only allocations are for the sorted query
//! parameters (none for the usual `POST /` with a form or JSON body) and the normalised path segments.

use sha2::{Digest, Sha256};

use crate::{AuthRequest, HttpRequest, header_values};

/// Where canonical bytes go: a hash state on the hot path, a `Vec` for diagnostics and tests.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of 32 bytes.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&[hex_digit(HEX_LOWER, b >> 4), hex_digit(HEX_LOWER, b & 0x0f)]);
    }
    out
}

/// The hex digit of a nibble (`n < 16`) from `table`.
fn hex_digit(table: &[u8; 16], n: u8) -> u8 {
    table.get(usize::from(n & 0x0f)).copied().unwrap_or(b'0')
}

/// RFC 3986 unreserved characters: `A-Z a-z 0-9 - _ . ~` (never percent-encoded by SigV4).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// SigV4 URI-encoding: every byte except the unreserved set (and `/` when `keep_slash`) becomes `%XX` with
/// upper-case hex. Runs of plain bytes are written in one call.
pub(crate) fn uri_encode<S: Sink + ?Sized>(out: &mut S, input: &[u8], keep_slash: bool) {
    let mut rest = input;
    while let Some(i) = rest
        .iter()
        .position(|&b| !(is_unreserved(b) || (keep_slash && b == b'/')))
    {
        let (plain, tail) = rest.split_at(i);
        if !plain.is_empty() {
            out.put(plain);
        }
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        out.put(&[
            b'%',
            hex_digit(HEX_UPPER, b >> 4),
            hex_digit(HEX_UPPER, b & 0x0f),
        ]);
        rest = tail;
    }
    if !rest.is_empty() {
        out.put(rest);
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte; a `%` not followed by
/// two hex digits is kept literally (lenient, like the WHATWG/`form_urlencoded` parser the AWS SDK signer uses).
pub(crate) fn form_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match (b, tail) {
            (b'+', _) => out.push(b' '),
            (b'%', [h, l, ..]) => match (hex_val(*h), hex_val(*l)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    rest = tail.get(2..).unwrap_or_default();
                }
                _ => out.push(b'%'),
            },
            (b, _) => out.push(b),
        }
    }
    out
}

/// Splits a raw query string into raw `(name, value)` pieces (`&`-separated, first `=` splits; empty pieces are
/// skipped; a piece without `=` has an empty value).
pub(crate) fn raw_query_pairs(query: &str) -> impl Iterator<Item = (&[u8], &[u8])> {
    query
        .as_bytes()
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => {
                let (name, value) = p.split_at(i);
                (name, value.get(1..).unwrap_or_default())
            }
            None => (p, &b""[..]),
        })
}

/// Canonical URI for non-S3 services: the path as received, normalised (RFC 3986 §5.2.4 dot-segment removal, empty
/// segments dropped, trailing slash kept) and then URI-encoded *again* (so `%3A` on the wire becomes `%253A`).
/// Empty path is `/`. Matches the SigV4 test suite (`get-slash*`, `get-relative*`, `double-url-encode`) and the
/// AWS SDKs' signers (botocore `_normalize_url_path` + `quote(safe='/~')`).
pub(crate) fn write_canonical_uri<S: Sink + ?Sized>(out: &mut S, raw_path: &str) {
    let path = raw_path.as_bytes();
    // Fast path: nothing to normalise.
    let needs_norm = path.first() != Some(&b'/')
        || path.windows(2).any(|w| w == b"//")
        || path
            .split(|&b| b == b'/')
            .any(|seg| seg == b"." || seg == b"..");
    if !needs_norm {
        uri_encode(out, path, true);
        return;
    }
    let mut segments: Vec<&[u8]> = Vec::new();
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let trailing = [&b"/"[..], b"/.", b"/.."]
        .iter()
        .any(|suffix| path.ends_with(suffix));
    out.put(b"/");
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            out.put(b"/");
        }
        uri_encode(out, seg, false);
    }
    if trailing && !segments.is_empty() {
        out.put(b"/");
    }
}

/// Canonical query string: every parameter decoded, then its name and value URI-encoded separately (space is
/// `%20`), sorted by encoded name then encoded value, `name=value` joined with `&`. For presigned requests
/// `X-Amz-Signature` is left out. `+` in the raw query is a space (form encoding) — see the crate docs.
pub(crate) fn write_canonical_query<S: Sink + ?Sized>(
    out: &mut S,
    raw_query: &str,
    presigned: bool,
) {
    if raw_query.is_empty() {
        return;
    }
    let mut params: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (k, v) in raw_query_pairs(raw_query) {
        let k = form_decode(k);
        if presigned && k == b"X-Amz-Signature" {
            continue;
        }
        let v = form_decode(v);
        let mut ek = Vec::with_capacity(k.len());
        uri_encode(&mut ek, &k, false);
        let mut ev = Vec::with_capacity(v.len());
        uri_encode(&mut ev, &v, false);
        params.push((ek, ev));
    }
    params.sort_unstable();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.put(b"&");
        }
        out.put(k);
        out.put(b"=");
        out.put(v);
    }
}

/// Writes a header value trimmed of leading/trailing spaces with inner runs of spaces collapsed to one.
fn write_trimmed<S: Sink + ?Sized>(out: &mut S, value: &[u8]) {
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |e| e + 1);
    let mut v = value.get(start..end).unwrap_or_default();
    // Emit up to and including the first space of each run of spaces, then skip the rest of it.
    while let Some(i) = v.windows(2).position(|w| w == b"  ") {
        let (head, tail) = v.split_at(i + 1);
        out.put(head);
        v = tail
            .get(tail.iter().position(|&b| b != b' ').unwrap_or(tail.len())..)
            .unwrap_or_default();
    }
    out.put(v);
}

/// Canonical headers from exactly the signed header names, in the order given: `name:value\n`, where repeated
/// headers are joined with `,` in the order received.
fn write_canonical_headers<S: Sink + ?Sized>(
    out: &mut S,
    req: &HttpRequest<'_>,
    signed: &[String],
) {
    for name in signed {
        out.put(name.as_bytes());
        out.put(b":");
        for (i, value) in header_values(req, name).enumerate() {
            if i > 0 {
                out.put(b",");
            }
            write_trimmed(out, value);
        }
        out.put(b"\n");
    }
}

/// Writes the whole canonical request.
pub(crate) fn write_canonical_request<S: Sink + ?Sized>(
    out: &mut S,
    auth: &AuthRequest,
    req: &HttpRequest<'_>,
) {
    out.put(req.method.as_bytes());
    out.put(b"\n");
    write_canonical_uri(out, req.path);
    out.put(b"\n");
    write_canonical_query(out, req.query, auth.form == crate::AuthForm::Presigned);
    out.put(b"\n");
    write_canonical_headers(out, req, &auth.signed_headers);
    out.put(b"\n");
    for (i, name) in auth.signed_headers.iter().enumerate() {
        if i > 0 {
            out.put(b";");
        }
        out.put(name.as_bytes());
    }
    out.put(b"\n");
    let body_hash: [u8; 32] = Sha256::digest(req.body).into();
    out.put(&hex32(&body_hash));
}

/// The string to sign as a list of byte slices (no allocation), given the hex SHA-256 of the canonical request.
pub(crate) fn string_to_sign_parts<'a>(
    auth: &'a AuthRequest,
    canonical_hash_hex: &'a [u8; 64],
) -> [&'a [u8]; 12] {
    [
        b"AWS4-HMAC-SHA256\n",
        &auth.amz_date,
        b"\n",
        auth.scope_date.as_bytes(),
        b"/",
        auth.region.as_bytes(),
        b"/",
        auth.service.as_bytes(),
        b"/",
        auth.terminator.as_bytes(),
        b"\n",
        canonical_hash_hex,
    ]
}

/// Hex SHA-256 of the canonical request, computed without building it.
pub(crate) fn canonical_request_hash_hex(auth: &AuthRequest, req: &HttpRequest<'_>) -> [u8; 64] {
    let mut h = Sha256::new();
    write_canonical_request(&mut h, auth, req);
    hex32(&h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(p: &str) -> String {
        let mut v = Vec::new();
        write_canonical_uri(&mut v, p);
        String::from_utf8(v).unwrap()
    }

    fn query(q: &str, presigned: bool) -> String {
        let mut v = Vec::new();
        write_canonical_query(&mut v, q, presigned);
        String::from_utf8(v).unwrap()
    }

    fn trimmed(s: &str) -> String {
        let mut v = Vec::new();
        write_trimmed(&mut v, s.as_bytes());
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn canonical_uri_rules() {
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(uri("//"), "/");
        assert_eq!(uri("/a/b/"), "/a/b/");
        assert_eq!(uri("/example1/example2/../.."), "/");
        assert_eq!(uri("/example/.."), "/");
        assert_eq!(uri("/a/./b"), "/a/b");
        assert_eq!(uri("/a/b/."), "/a/b/");
        assert_eq!(uri("/a//b//"), "/a/b/");
        assert_eq!(uri("/../a"), "/a");
        assert_eq!(uri("a/b"), "/a/b");
        // Encoded again: '%' -> %25 (non-S3 double encoding), ':' / '@' / space encoded.
        assert_eq!(uri("/f/arn%3Aaws"), "/f/arn%253Aaws");
        assert_eq!(
            uri("/test/@connections/x%3D"),
            "/test/%40connections/x%253D"
        );
        assert_eq!(uri("/a b"), "/a%20b");
        assert_eq!(uri("/-._~AZaz09"), "/-._~AZaz09");
        assert_eq!(uri("/\u{1234}"), "/%E1%88%B4");
    }

    #[test]
    fn canonical_query_rules() {
        assert_eq!(query("", false), "");
        assert_eq!(query("b=2&a=1", false), "a=1&b=2");
        // Same name sorted by value.
        assert_eq!(query("a=2&a=1", false), "a=1&a=2");
        // Missing '=' and empty value both canonicalise to "name=".
        assert_eq!(query("a&b=", false), "a=&b=");
        // '+' is a form-encoded space; %20 stays %20; a literal plus must arrive as %2B.
        assert_eq!(query("k=a+b", false), "k=a%20b");
        assert_eq!(query("k=a%20b", false), "k=a%20b");
        assert_eq!(query("k=a%2Bb", false), "k=a%2Bb");
        // Lower-case escapes are normalised to upper case; unreserved escapes are decoded.
        assert_eq!(query("k=%2f%7E", false), "k=%2F~");
        // Invalid escapes are kept literally, so '%' itself is encoded.
        assert_eq!(query("k=%zz&j=%4", false), "j=%254&k=%25zz");
        // Empty pieces skipped.
        assert_eq!(query("&&a=1&", false), "a=1");
        // Sorting is by encoded bytes: '%' (0x25) sorts before letters.
        assert_eq!(
            query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        // Presigned: X-Amz-Signature excluded (only for presigned).
        assert_eq!(query("X-Amz-Signature=abc&a=1", true), "a=1");
        assert_eq!(
            query("X-Amz-Signature=abc&a=1", false),
            "X-Amz-Signature=abc&a=1"
        );
    }

    #[test]
    fn header_value_trimming() {
        assert_eq!(trimmed("  a   b  c "), "a b c");
        assert_eq!(trimmed("a"), "a");
        assert_eq!(trimmed(""), "");
        assert_eq!(trimmed("    "), "");
        assert_eq!(trimmed("a  "), "a");
        // Only spaces are collapsed; a tab is a value byte (the AWS SDK signer does the same).
        assert_eq!(trimmed("a\t\tb"), "a\t\tb");
    }

    #[test]
    fn form_decode_cases() {
        assert_eq!(form_decode(b"a+b%41%4a%"), b"a bAJ%");
        assert_eq!(form_decode(b"%4"), b"%4");
        assert_eq!(form_decode(b"%"), b"%");
        assert_eq!(form_decode(b"%%41"), b"%A");
    }
}
