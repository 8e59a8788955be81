//! Extraction of the SigV4 authentication data from a request: the `Authorization` header form and the
//! presigned query-string form.
//!
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html> ("Add the signature to the
//! request": `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` or the query parameters
//! `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-SignedHeaders`, `X-Amz-Signature`, optional
//! `X-Amz-Security-Token` / `X-Amz-Expires`).
//!
//! Check order (AWS's, as recorded in [R1] of [`crate::error`]): key=value syntax, then the list of missing
//! parameters (all reported in one message), then the date format, then the algorithm, then the 5-element
//! credential. AWS checks clock skew and the signed `host` before the algorithm and the credential; those need
//! `now` and live in [`crate::prevalidate`], so for a request with several defects we may report a different one
//! of them first than AWS does.

use crate::canonical::{form_decode, raw_query_pairs};
use crate::error::{
    AuthError, MSG_BOTH_FORMS, MSG_REEXAMINE_QUERY, MSG_REQUIRES_DATE, msg_bad_algorithm,
    msg_bad_date, msg_credential_parts, msg_not_key_value, msg_query_requires, msg_requires_param,
};
use crate::time::{format_amz_date, parse_amz_date, parse_http_date};
use crate::{AuthForm, AuthRequest, HttpRequest, header_values};

/// The only algorithm SigV4 (not SigV4a) verification supports.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The presigned-query parameters we read, decoded.
#[derive(Default)]
struct QueryAuth {
    algorithm: Option<Vec<u8>>,
    credential: Option<Vec<u8>>,
    date: Option<Vec<u8>>,
    signed_headers: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
    security_token: Option<Vec<u8>>,
    expires: Option<Vec<u8>>,
}

impl QueryAuth {
    /// Collects the `X-Amz-*` auth parameters (first occurrence wins). Names are matched exactly after decoding,
    /// as AWS's query parameter names are case-sensitive.
    fn collect(query: &str) -> Self {
        let mut q = Self::default();
        for (k, v) in raw_query_pairs(query) {
            // Cheap pre-filter before decoding: every name we want starts with "X" (or "%58" encoded).
            if !(k.first() == Some(&b'X') || k.first() == Some(&b'%')) {
                continue;
            }
            let k = form_decode(k);
            let slot = match k.as_slice() {
                b"X-Amz-Algorithm" => &mut q.algorithm,
                b"X-Amz-Credential" => &mut q.credential,
                b"X-Amz-Date" => &mut q.date,
                b"X-Amz-SignedHeaders" => &mut q.signed_headers,
                b"X-Amz-Signature" => &mut q.signature,
                b"X-Amz-Security-Token" => &mut q.security_token,
                b"X-Amz-Expires" => &mut q.expires,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(form_decode(v));
            }
        }
        q
    }

    fn any_auth(&self) -> bool {
        self.algorithm.is_some() || self.credential.is_some() || self.signature.is_some()
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn non_empty(v: &Option<Vec<u8>>) -> Option<&[u8]> {
    v.as_deref().filter(|v| !v.is_empty())
}

/// Parses `Credential` (`AKID/YYYYMMDD/region/service/aws4_request`). Trailing empty elements are ignored as AWS
/// does ("trailing slashes are ignored", [R1]); anything but 5 elements is `IncompleteSignature`.
fn split_credential(credential: &str) -> Result<[&str; 5], AuthError> {
    let trimmed = credential.trim_end_matches('/');
    let mut parts = trimmed.split('/');
    let mut out = [""; 5];
    for slot in &mut out {
        match parts.next() {
            Some(p) => *slot = p,
            None => return Err(AuthError::incomplete(msg_credential_parts(credential))),
        }
    }
    if parts.next().is_some() || trimmed.is_empty() {
        return Err(AuthError::incomplete(msg_credential_parts(credential)));
    }
    Ok(out)
}

/// Splits `SignedHeaders` on `;` into lower-case names (order kept; empty names dropped).
fn split_signed_headers(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|n| !n.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

fn check_algorithm(alg: &str) -> Result<(), AuthError> {
    if alg == ALGORITHM {
        Ok(())
    } else {
        Err(AuthError::incomplete(msg_bad_algorithm(alg)))
    }
}

struct Common<'s> {
    form: AuthForm,
    credential: &'s str,
    signed_headers: &'s str,
    signature: &'s str,
    timestamp: i64,
    security_token: Option<String>,
    expires: Option<String>,
}

fn build(c: Common<'_>) -> Result<AuthRequest, AuthError> {
    let [akid, date, region, service, term] = split_credential(c.credential)?;
    Ok(AuthRequest {
        form: c.form,
        access_key_id: akid.to_owned(),
        scope_date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        terminator: term.to_owned(),
        signed_headers: split_signed_headers(c.signed_headers),
        signature: c.signature.to_owned(),
        timestamp: c.timestamp,
        amz_date: format_amz_date(c.timestamp),
        security_token: c.security_token,
        expires: c.expires,
    })
}

/// See [`crate::parse`].
pub(crate) fn parse(req: &HttpRequest<'_>) -> Result<Option<AuthRequest>, AuthError> {
    let auth_header = header_values(req, "authorization").next();
    let query = QueryAuth::collect(req.query);
    match (auth_header, query.any_auth()) {
        (None, false) => Ok(None),
        (Some(_), true) => Err(AuthError::mismatch_msg(MSG_BOTH_FORMS.to_owned())),
        (Some(h), false) => parse_header(req, h).map(Some),
        (None, true) => parse_query(query).map(Some),
    }
}

fn parse_header(req: &HttpRequest<'_>, raw: &[u8]) -> Result<AuthRequest, AuthError> {
    let header = String::from_utf8_lossy(raw);
    let trimmed = header.trim_start_matches([' ', '\t']);
    let (algorithm, rest) = match trimmed.find([' ', '\t']) {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (trimmed, ""),
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for token in rest.split(',') {
        let token = token.trim_matches([' ', '\t']);
        if token.is_empty() {
            continue;
        }
        let Some((key, value)) = token.split_once('=') else {
            return Err(AuthError::incomplete(msg_not_key_value(token, &header)));
        };
        let slot = match key.trim_end_matches([' ', '\t']) {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.trim_start_matches([' ', '\t']));
        }
    }
    let amz_date = header_values(req, "x-amz-date").next();
    let date = amz_date.or_else(|| header_values(req, "date").next());

    let mut missing = String::new();
    for (name, v) in [("Credential", credential), ("Signature", signature)] {
        if v.is_none_or(str::is_empty) {
            missing.push_str(&msg_requires_param(name));
            missing.push(' ');
        }
    }
    // AWS lists SignedHeaders after Signature ([R1]).
    if signed_headers.is_none() {
        missing.push_str(&msg_requires_param("SignedHeaders"));
        missing.push(' ');
    }
    if date.is_none() {
        missing.push_str(MSG_REQUIRES_DATE);
        missing.push(' ');
    }
    if !missing.is_empty() {
        missing.push_str("Authorization=");
        missing.push_str(&header);
        return Err(AuthError::incomplete(missing));
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(date)) =
        (credential, signed_headers, signature, date)
    else {
        // Unreachable: every None was reported above.
        return Err(AuthError::incomplete(header.into_owned()));
    };
    let timestamp = match amz_date {
        Some(d) => parse_amz_date(d),
        None => parse_http_date(date),
    }
    .ok_or_else(|| AuthError::incomplete(msg_bad_date(&String::from_utf8_lossy(date))))?;
    check_algorithm(algorithm)?;
    let security_token = header_values(req, "x-amz-security-token").next().map(lossy);
    build(Common {
        form: AuthForm::Header,
        credential,
        signed_headers,
        signature,
        timestamp,
        security_token,
        expires: None,
    })
}

fn parse_query(q: QueryAuth) -> Result<AuthRequest, AuthError> {
    let mut missing = String::new();
    for (name, v) in [
        ("X-Amz-Algorithm", &q.algorithm),
        ("X-Amz-Credential", &q.credential),
        ("X-Amz-Signature", &q.signature),
        ("X-Amz-SignedHeaders", &q.signed_headers),
        ("X-Amz-Date", &q.date),
    ] {
        if non_empty(v).is_none() {
            missing.push_str(&msg_query_requires(name));
            missing.push(' ');
        }
    }
    if !missing.is_empty() {
        missing.push_str(MSG_REEXAMINE_QUERY);
        return Err(AuthError::incomplete(missing));
    }
    let text = |v: &Option<Vec<u8>>| {
        String::from_utf8_lossy(v.as_deref().unwrap_or_default()).into_owned()
    };
    let date = q.date.as_deref().unwrap_or_default();
    let timestamp =
        parse_amz_date(date).ok_or_else(|| AuthError::incomplete(msg_bad_date(&text(&q.date))))?;
    check_algorithm(&text(&q.algorithm))?;
    let credential = text(&q.credential);
    let signed_headers = text(&q.signed_headers);
    let signature = text(&q.signature);
    build(Common {
        form: AuthForm::Presigned,
        credential: &credential,
        signed_headers: &signed_headers,
        signature: &signature,
        timestamp,
        security_token: q.security_token.as_deref().map(lossy),
        expires: q.expires.as_deref().map(lossy),
    })
}
