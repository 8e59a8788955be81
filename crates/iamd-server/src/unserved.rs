//! Requests for services iamd does not serve (EC2, SSM, S3, …), answered in *their* protocol.
//!
//! With `AWS_ENDPOINT_URL` pointing at iamd, every SDK client sends its calls here, whatever the
//! service. Such a request is answered with an error its SDK can parse — EC2's `<Response>`,
//! awsQuery's `<ErrorResponse>`, awsJson's `__type`, restJson's `X-Amzn-ErrorType`, restXml's
//! `<Error>`, rpcv2Cbor's CBOR map — that says iamd does not serve it and names the
//! per-service `AWS_ENDPOINT_URL_<SERVICE>` variables to use instead.
//!
//! The service is read from the request's claims alone: the SigV4 credential scope (header or
//! presigned URL) or, unsigned, the `X-Amz-Target` prefix. Nothing is verified, looked up or kept,
//! and the answer says nothing about any key, so this runs before authentication.
//!
//! **Status 400, code `UnsupportedOperation`.** botocore parses the protocol's error body for any
//! status ≥ 301, so 400 and 501 both surface as a `ClientError` with this code and message. 400
//! is chosen because the fault is the client's configuration: no SDK's retry policy retries it
//! (botocore retries 500/502/503/504 and 509; others retry "5xx"), and it does not count as a
//! server fault in load balancers' and operators' error rates.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use iamd_api::Service;
use std::borrow::Cow;

/// The error code, in every protocol.
pub const CODE: &str = "UnsupportedOperation";

/// The wire protocol a request's SDK expects its error in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// EC2's query dialect: `<Response><Errors><Error>…</Errors><RequestID>`.
    Ec2,
    /// awsQuery: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
    Query,
    /// awsJson 1.0 / 1.1 (`X-Amz-Target`); the flag says 1.0.
    Json { v10: bool },
    /// restJson1.
    RestJson,
    /// restXml; S3 (and S3 Control) answer with a bare `<Error>` root.
    RestXml { s3: bool },
    /// Smithy rpcv2Cbor.
    Cbor,
}

/// A request for a service iamd does not serve: the name it was signed for (or its
/// `X-Amz-Target` prefix) and the protocol to answer in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unserved {
    pub name: String,
    pub protocol: Protocol,
}

/// The fix, named for the services iamd serves.
pub fn message(name: &str) -> String {
    format!(
        "iamd serves IAM, STS, Secrets Manager and CloudTrail only; this request is for {name}. \
         Set AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_SECRETS_MANAGER and \
         AWS_ENDPOINT_URL_CLOUDTRAIL instead of AWS_ENDPOINT_URL, so that other services reach AWS."
    )
}

/// `Some` when the request claims a service iamd does not serve.
pub fn classify(headers: &HeaderMap, query: &str) -> Option<Unserved> {
    // Every request passes here: the served case borrows, allocates nothing and reads only the
    // `Authorization` header (or the target of an unsigned request).
    let name: Cow<'_, str> = match signed_service(headers, query) {
        Some(signed) if is_served(&signed) => return None,
        Some(signed) => signed,
        // Unsigned (or a scope that cannot be read): only an `X-Amz-Target` names a service.
        None => {
            let target = header_str(headers, "x-amz-target")?;
            if served_target(target) {
                return None;
            }
            Cow::Borrowed(target.split('.').next()?)
        }
    };
    let target = header_str(headers, "x-amz-target");
    if name.is_empty() || is_served(&name) {
        return None;
    }
    let name = name.into_owned();
    let name = if name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        name
    } else {
        "another service".to_owned()
    };
    let content_type = header_str(headers, "content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let protocol = if header_str(headers, "smithy-protocol")
        .is_some_and(|p| p.eq_ignore_ascii_case("rpc-v2-cbor"))
        || content_type.starts_with("application/cbor")
    {
        Protocol::Cbor
    } else if target.is_some() {
        Protocol::Json {
            v10: content_type.contains("json-1.0"),
        }
    } else if name == "ec2" {
        Protocol::Ec2
    } else if content_type.starts_with("application/x-www-form-urlencoded")
        || iamd_api::parse_form(query.as_bytes())
            .iter()
            .any(|(k, _)| k == "Action")
    {
        Protocol::Query
    } else if name == "s3" || name == "s3express" {
        Protocol::RestXml { s3: true }
    } else if name == "route53" || name == "cloudfront" || content_type.contains("xml") {
        Protocol::RestXml { s3: false }
    } else {
        Protocol::RestJson
    };
    Some(Unserved { name, protocol })
}

/// A served signing name in any case is left to the pipeline, which reports it precisely.
fn is_served(name: &str) -> bool {
    Service::ALL
        .iter()
        .any(|s| s.signing_name().eq_ignore_ascii_case(name))
}

/// An `X-Amz-Target` of a served JSON service (`secretsmanager.…`,
/// `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.…`).
fn served_target(target: &str) -> bool {
    Service::ALL.iter().any(|s| {
        s.json_target_prefix()
            .and_then(|p| target.strip_prefix(p))
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The service element of the credential scope: `Credential=AKID/DATE/REGION/SERVICE/aws4_request`
/// in the `Authorization` header, or `X-Amz-Credential` in a presigned URL. SigV4a scopes have
/// no region (`AKID/DATE/SERVICE/aws4_request`): the service is the element before the terminator.
fn signed_service<'a>(headers: &'a HeaderMap, query: &str) -> Option<Cow<'a, str>> {
    match headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
    {
        Some(auth) => {
            // Every signed request passes here, so bytes, no validation pass and no searcher:
            // `ALGORITHM Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=…`.
            let auth = auth.trim_ascii_start();
            if !auth.starts_with(b"AWS4-") {
                return None;
            }
            let rest = auth.get(auth.iter().position(|&b| b == b' ')?..)?;
            let rest = rest.trim_ascii_start();
            const KEY: &[u8] = b"Credential=";
            let credential = match rest.strip_prefix(KEY) {
                Some(c) => c,
                None => rest.get(rest.windows(KEY.len()).position(|w| w == KEY)? + KEY.len()..)?,
            };
            let end = credential
                .iter()
                .position(|&b| b == b',' || b.is_ascii_whitespace())
                .unwrap_or(credential.len());
            let service = scope_service(credential.get(..end)?)?;
            std::str::from_utf8(service).ok().map(Cow::Borrowed)
        }
        None if query.is_empty() => None,
        None => {
            let credential = iamd_api::parse_form(query.as_bytes())
                .into_iter()
                .find(|(k, _)| k == "X-Amz-Credential")?
                .1;
            let service = scope_service(credential.as_bytes())?;
            std::str::from_utf8(service)
                .ok()
                .map(|s| Cow::Owned(s.to_owned()))
        }
    }
}

/// The service of a credential scope, the element before its `aws4_request` terminator.
fn scope_service(credential: &[u8]) -> Option<&[u8]> {
    let head = credential.strip_suffix(b"/aws4_request")?;
    let from = head.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    head.get(from..)
}

/// The error response for `u`, in its protocol.
pub fn respond(u: &Unserved, method: &Method, request_id: &str) -> Response {
    let msg = message(&u.name);
    let (content_type, body): (&'static str, Vec<u8>) = match u.protocol {
        Protocol::Ec2 => (
            "text/xml;charset=UTF-8",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{CODE}\
                 </Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
                xml_escape(&msg),
                xml_escape(request_id)
            )
            .into_bytes(),
        ),
        Protocol::Query | Protocol::RestXml { s3: false } => (
            if u.protocol == Protocol::Query {
                "text/xml"
            } else {
                "application/xml"
            },
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{CODE}</Code><Message>{}</Message>\
                 </Error><RequestId>{}</RequestId></ErrorResponse>",
                xml_escape(&msg),
                xml_escape(request_id)
            )
            .into_bytes(),
        ),
        Protocol::RestXml { s3: true } => (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{CODE}</Code><Message>{}\
                 </Message><RequestId>{}</RequestId></Error>",
                xml_escape(&msg),
                xml_escape(request_id)
            )
            .into_bytes(),
        ),
        Protocol::Json { v10 } => (
            if v10 {
                "application/x-amz-json-1.0"
            } else {
                "application/x-amz-json-1.1"
            },
            json_error(&msg),
        ),
        Protocol::RestJson => ("application/json", json_error(&msg)),
        Protocol::Cbor => ("application/cbor", cbor_error(&msg)),
    };
    // HEAD answers carry no body (the SDKs then take the code from the status).
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v.clone());
        if matches!(u.protocol, Protocol::RestXml { s3: true }) {
            h.insert("x-amz-request-id", v);
        }
    }
    match u.protocol {
        // restJson1 clients read the code from this header first.
        Protocol::RestJson => {
            h.insert("x-amzn-errortype", HeaderValue::from_static(CODE));
        }
        // Services that moved from awsQuery keep their query codes in this header.
        Protocol::Json { .. } | Protocol::Cbor => {
            h.insert(
                "x-amzn-query-error",
                HeaderValue::from_static("UnsupportedOperation;Sender"),
            );
            if u.protocol == Protocol::Cbor {
                h.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
            }
        }
        _ => {}
    }
    resp
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn json_error(msg: &str) -> Vec<u8> {
    serde_json::json!({"__type": CODE, "message": msg})
        .to_string()
        .into_bytes()
}

/// `{"__type": CODE, "message": msg}` as a definite-length CBOR map of text strings (RFC 8949).
fn cbor_error(msg: &str) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        let len = s.len();
        if len < 24 {
            out.push(0x60 | len as u8);
        } else if let Ok(l) = u8::try_from(len) {
            out.extend_from_slice(&[0x78, l]);
        } else if let Ok(l) = u16::try_from(len) {
            out.push(0x79);
            out.extend_from_slice(&l.to_be_bytes());
        } else {
            out.push(0x7a);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        out.extend_from_slice(s.as_bytes());
    }
    let mut out = vec![0xa2];
    text(&mut out, "__type");
    text(&mut out, CODE);
    text(&mut out, "message");
    text(&mut out, msg);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                *k,
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
            );
        }
        h
    }

    fn auth(service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/us-east-1/{service}/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=00"
        )
    }

    fn protocol_of(pairs: &[(&'static str, &str)], query: &str) -> Option<Protocol> {
        classify(&headers(pairs), query).map(|u| u.protocol)
    }

    #[test]
    fn served_services_are_left_to_the_pipeline() {
        for s in Service::ALL {
            let a = auth(s.signing_name());
            assert_eq!(classify(&headers(&[("authorization", &a)]), ""), None);
        }
        // Any case: the pipeline answers with the scope error.
        assert_eq!(
            classify(&headers(&[("authorization", &auth("STS"))]), ""),
            None
        );
        let t = [("x-amz-target", "secretsmanager.ListSecrets")];
        assert_eq!(classify(&headers(&t), ""), None);
        let t = [(
            "x-amz-target",
            "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
        )];
        assert_eq!(classify(&headers(&t), ""), None);
        // Another service whose target starts like CloudTrail's is not CloudTrail.
        let t = [("x-amz-target", "com.amazonaws.cloudtrailx.LookupEvents")];
        assert!(classify(&headers(&t), "").is_some());
        // Unsigned and no target: the pipeline's MissingAuthenticationToken.
        assert_eq!(classify(&headers(&[]), "Action=DescribeInstances"), None);
        // A scope that is not SigV4's.
        let bad = [("authorization", "AWS4-HMAC-SHA256 Credential=x/y/ec2/other")];
        assert_eq!(classify(&headers(&bad), ""), None);
    }

    #[test]
    fn the_protocol_follows_the_request() {
        let ec2 = auth("ec2");
        let form = "application/x-www-form-urlencoded; charset=utf-8";
        assert_eq!(
            protocol_of(&[("authorization", &ec2), ("content-type", form)], ""),
            Some(Protocol::Ec2)
        );
        let sqs = auth("sqs");
        assert_eq!(
            protocol_of(&[("authorization", &sqs), ("content-type", form)], ""),
            Some(Protocol::Query)
        );
        let ssm = auth("ssm");
        assert_eq!(
            protocol_of(
                &[
                    ("authorization", &ssm),
                    ("x-amz-target", "AmazonSSM.GetParameter"),
                    ("content-type", "application/x-amz-json-1.1"),
                ],
                ""
            ),
            Some(Protocol::Json { v10: false })
        );
        assert_eq!(
            protocol_of(
                &[
                    ("x-amz-target", "DynamoDB_20120810.ListTables"),
                    ("content-type", "application/x-amz-json-1.0"),
                ],
                ""
            ),
            Some(Protocol::Json { v10: true })
        );
        let s3 = auth("s3");
        assert_eq!(
            protocol_of(&[("authorization", &s3)], ""),
            Some(Protocol::RestXml { s3: true })
        );
        let lambda = auth("lambda");
        assert_eq!(
            protocol_of(&[("authorization", &lambda)], ""),
            Some(Protocol::RestJson)
        );
        let cw = auth("monitoring");
        assert_eq!(
            protocol_of(
                &[("authorization", &cw), ("smithy-protocol", "rpc-v2-cbor")],
                ""
            ),
            Some(Protocol::Cbor)
        );
        // Presigned: the scope is in the query string.
        let q = "Action=DescribeInstances&X-Amz-Credential=AKID%2F20261203%2Fus-east-1%2Fec2%2Faws4_request";
        let u = classify(&headers(&[]), q);
        assert_eq!(
            u,
            Some(Unserved {
                name: "ec2".into(),
                protocol: Protocol::Ec2
            })
        );
        // SigV4a: no region in the scope.
        let a = [(
            "authorization",
            "AWS4-ECDSA-P256-SHA256 Credential=AKID/20261203/s3/aws4_request, SignedHeaders=host, Signature=00",
        )];
        assert_eq!(
            classify(&headers(&a), "").map(|u| u.name),
            Some("s3".into())
        );
    }

    #[test]
    fn odd_names_are_not_echoed() {
        let a = auth("<script>");
        let u = classify(&headers(&[("authorization", &a)]), "");
        assert_eq!(u.map(|u| u.name), Some("another service".into()));
    }

    #[test]
    fn the_message_names_every_served_service() {
        let m = message("ssm");
        assert!(m.contains("this request is for ssm"));
        for var in [
            "AWS_ENDPOINT_URL_IAM",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            "AWS_ENDPOINT_URL_CLOUDTRAIL",
        ] {
            assert!(m.contains(var), "{m}");
        }
        assert_eq!(Service::ALL.len(), 4, "a new service must be named here");
    }

    #[test]
    fn cbor_body_is_a_two_entry_text_map() {
        let b = cbor_error("hi");
        assert_eq!(b.first(), Some(&0xa2));
        assert_eq!(b.get(1..8), Some(&b"\x66__type"[..]));
        let long = "x".repeat(300);
        let b = cbor_error(&long);
        assert!(b.windows(3).any(|w| w == [0x79, 0x01, 0x2c]));
    }
}
