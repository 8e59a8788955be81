//! Requests signed as botocore signs them, sent to the router in process: shared by the audit
//! test (`tests/audit.rs`) and the pipeline benchmark (`benches/pipeline.rs`).
#![allow(dead_code, reason = "each includer uses part of it")]

use axum::body::Body;
use axum::http::Request;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use iamd_sigv4::{HttpRequest, SigningKey};
use sha2::Sha256;
use tower::ServiceExt;

pub const NOW: i64 = 1_800_000_000;
pub const AMZ_DATE: &str = "20270115T080000Z";
pub const DATE: &str = "20270115";

pub struct Creds {
    pub key: String,
    pub secret: String,
    pub token: Option<String>,
}

/// A request signed as botocore signs it (host, x-amz-date, content-type, target, token).
pub fn signed(c: &Creds, service: &str, target: Option<&str>, body: &str) -> Request<Body> {
    let content_type = if target.is_some() {
        "application/x-amz-json-1.1"
    } else {
        "application/x-www-form-urlencoded; charset=utf-8"
    };
    let mut headers: Vec<(&str, String)> = vec![
        ("content-type", content_type.to_owned()),
        ("host", "127.0.0.1:8080".to_owned()),
        ("x-amz-date", AMZ_DATE.to_owned()),
    ];
    if let Some(t) = &c.token {
        headers.push(("x-amz-security-token", t.clone()));
    }
    if let Some(t) = target {
        headers.push(("x-amz-target", t.to_owned()));
    }
    let signed_headers: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    let signed_headers = signed_headers.join(";");
    let placeholder = format!(
        "AWS4-HMAC-SHA256 Credential={}/{DATE}/us-east-1/{service}/aws4_request, SignedHeaders={signed_headers}, Signature={}",
        c.key,
        "0".repeat(64)
    );
    let mut all: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    all.push(("authorization", placeholder.as_bytes()));
    let http = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &all,
        body: body.as_bytes(),
    };
    let auth = iamd_sigv4::parse(&http).unwrap().unwrap();
    let sts = iamd_sigv4::string_to_sign(&auth, &http);
    let key = SigningKey::derive(c.secret.as_bytes(), DATE, "us-east-1", service);
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let authorization = placeholder.replace(&"0".repeat(64), &sig);
    let mut req = Request::post("/");
    for (n, v) in &headers {
        req = req.header(*n, v);
    }
    req.header("authorization", authorization)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

pub async fn send(app: &axum::Router, req: Request<Body>) -> (u16, String) {
    let (status, body) = send_raw(app, req).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The response without decoding its body (what the measured loops call).
pub async fn send_raw(app: &axum::Router, req: Request<Body>) -> (u16, axum::body::Bytes) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

pub fn xml_field<'a>(body: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = body.find(&open).unwrap() + open.len();
    let end = start + body[start..].find(&format!("</{tag}>")).unwrap();
    &body[start..end]
}

pub fn query(c: &Creds, service: &str, params: &[(&str, &str)]) -> Request<Body> {
    let body: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            let enc: String = url_encode(v);
            format!("{k}={enc}")
        })
        .collect();
    signed(c, service, None, &body.join("&"))
}

pub fn url_encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
