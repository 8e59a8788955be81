//! Fuzzes iamd-sigv4 with arbitrary input: the `Authorization` header parser, the presigned-query parser and the
//! whole parse → prevalidate → verify path of an arbitrary request. Nothing may panic; whatever parses must also
//! go through canonicalisation and verification without panicking.
#![no_main]

use iamd_sigv4::{
    HttpRequest, SigningKey, canonical_request, parse, prevalidate, string_to_sign, verify,
};
use libfuzzer_sys::fuzz_target;

/// Splits the input into fields on 0xFF bytes: method, path, query, then header name/value pairs, and the rest is
/// the body. Invalid UTF-8 in the str fields is replaced (the server hands us `&str` for those).
fn fields(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == 0xFF).collect()
}

fn run(req: &HttpRequest<'_>, key: &SigningKey) {
    if let Ok(Some(auth)) = parse(req) {
        let _ = auth.access_key_id();
        let _ = format!("{auth:?}");
        let _ = prevalidate(&auth, auth.timestamp(), 900);
        let _ = prevalidate(&auth, i64::MAX, i64::MAX);
        let _ = prevalidate(&auth, i64::MIN, 300);
        let _ = canonical_request(&auth, req);
        let _ = string_to_sign(&auth, req);
        let _ = verify(&auth, req, key, auth.timestamp(), 900);
    }
}

fuzz_target!(|data: &[u8]| {
    let key = SigningKey::derive(b"secret", "20150830", "us-east-1", "sts");

    // 1. The whole input as an Authorization header, with and without a date.
    let with_date: [(&str, &[u8]); 3] = [
        ("Authorization", data),
        ("X-Amz-Date", b"20150830T123600Z"),
        ("Host", b"example.com"),
    ];
    let bare: [(&str, &[u8]); 1] = [("authorization", data)];
    for headers in [&with_date[..], &bare[..]] {
        let req = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers,
            body: b"",
        };
        run(&req, &key);
    }

    // 2. The whole input as a (presigned) query string and as a path.
    let text = String::from_utf8_lossy(data);
    let host: [(&str, &[u8]); 1] = [("Host", b"example.com")];
    run(
        &HttpRequest {
            method: "GET",
            path: "/",
            query: &text,
            headers: &host,
            body: b"",
        },
        &key,
    );
    let presigned = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
         &X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&{text}"
    );
    run(
        &HttpRequest {
            method: "GET",
            path: &text,
            query: &presigned,
            headers: &host,
            body: data,
        },
        &key,
    );

    // 3. An arbitrary request assembled from 0xFF-separated fields.
    let f = fields(data);
    if f.len() >= 3 {
        let method = String::from_utf8_lossy(f[0]);
        let path = String::from_utf8_lossy(f[1]);
        let query = String::from_utf8_lossy(f[2]);
        let mut names: Vec<String> = Vec::new();
        let mut values: Vec<&[u8]> = Vec::new();
        let mut rest = &f[3..];
        while rest.len() >= 2 {
            names.push(String::from_utf8_lossy(rest[0]).into_owned());
            values.push(rest[1]);
            rest = &rest[2..];
        }
        let headers: Vec<(&str, &[u8])> = names
            .iter()
            .map(String::as_str)
            .zip(values.iter().copied())
            .collect();
        let body = rest.first().copied().unwrap_or_default();
        run(
            &HttpRequest {
                method: &method,
                path: &path,
                query: &query,
                headers: &headers,
                body,
            },
            &key,
        );
    }
});
