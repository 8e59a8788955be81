//! Error type and the exact AWS message texts.
//!
//! Every message below was looked up, not invented. Sources:
//! * [R1] dynalite / kinesalite (mhart) comments quoting real AWS (DynamoDB/Kinesis, same "Coral" front end
//!   as STS/IAM) responses: missing-parameter list, `Authorization=` suffix, key=value error, date format,
//!   expiry, algorithm, 5-element credential, scope errors (joined with a space), both-forms error.
//! * [R2] scratchstack-aws-signature `constants.rs` (AWS-derived constants): `'Host' or ':authority' must be
//!   a 'SignedHeader' in the AWS Authorization.`, query-string messages, signature mismatch.
//! * [R3] /work/shared/reference/aws-semantics.md §4.4, §5.2 (recorded STS/Secrets Manager answers:
//!   `Signature expired: ... (... - 15 min.)`, `Signature not yet current: ... (... + 15 min.)`, 5 min for JSON).
//! * [D1] <https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html>

use std::fmt;

/// What went wrong; the server maps this to a per-protocol error code
/// (query: `IncompleteSignature` 400 / `SignatureDoesNotMatch` 403;
/// JSON: `IncompleteSignatureException` / `InvalidSignatureException` 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// The signature information is syntactically incomplete or malformed.
    IncompleteSignature,
    /// The signature (or the credential scope, or the signed-header list) does not check out.
    SignatureDoesNotMatch,
    /// The request time is outside the allowed clock-skew window. AWS reports this under the
    /// `SignatureDoesNotMatch` / `InvalidSignatureException` code.
    SignatureExpired,
}

/// A SigV4 authentication failure with AWS's message text.
///
/// The message never contains the secret key or the session token. Like AWS's, an `IncompleteSignature` message
/// may echo the client's `Authorization` header, signature included: return `message` to the client, but log
/// [`AuthError::log_safe_message`] instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    /// Error class.
    pub kind: AuthErrorKind,
    /// AWS's message text.
    pub message: String,
}

impl AuthError {
    /// The message with every `Signature=<value>` value replaced by `<redacted>`, for logs (a signature is
    /// replayable within the skew window).
    pub fn log_safe_message(&self) -> String {
        const MARK: &str = "Signature=";
        let mut out = String::with_capacity(self.message.len());
        let mut rest = self.message.as_str();
        while let Some(i) = rest.find(MARK) {
            let (head, tail) = rest.split_at(i + MARK.len());
            out.push_str(head);
            let end = tail.find([',', ' ', '\'', '&']).unwrap_or(tail.len());
            if end > 0 {
                out.push_str("<redacted>");
            }
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }

    pub(crate) fn incomplete(message: String) -> Self {
        Self {
            kind: AuthErrorKind::IncompleteSignature,
            message,
        }
    }

    pub(crate) fn mismatch_msg(message: String) -> Self {
        Self {
            kind: AuthErrorKind::SignatureDoesNotMatch,
            message,
        }
    }

    /// The plain "signature does not match" error.
    pub(crate) fn mismatch() -> Self {
        Self::mismatch_msg(MSG_SIGNATURE_MISMATCH.to_owned())
    }
}

/// [R2][D1] Message for a wrong signature.
pub const MSG_SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// [R2] `'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`
pub const MSG_HOST_MUST_BE_SIGNED: &str =
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";

/// `'<name>' must be a 'SignedHeader' in the AWS Authorization.` for an `x-amz-*` header sent but not signed.
///
/// AWS's SigV4 guide says the canonical headers must include `host` and "any `x-amz-*` headers"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>, step 1). No AWS answer to an
/// unsigned `x-amz-*` header of IAM/STS/Secrets Manager was found recorded, so the text is that of AWS's recorded
/// answer for an unsigned `host` ([R1]: `'Host' must be a 'SignedHeader' in the AWS Authorization.`, kind
/// InvalidSignatureException / SignatureDoesNotMatch) with the header's name, as scratchstack-aws-signature ([R2])
/// words its own required signed headers (`'x-amz-request-id' must be a 'SignedHeader' in the AWS
/// Authorization.`).
pub(crate) fn msg_header_must_be_signed(name: &str) -> String {
    format!("'{name}' must be a 'SignedHeader' in the AWS Authorization.")
}

/// [R1] Both authentication forms present.
pub const MSG_BOTH_FORMS: &str =
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";

/// [R1][R2] Missing date header (one sentence of the combined missing-parameters message).
pub const MSG_REQUIRES_DATE: &str =
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";

/// [R1] `'<tok>' not a valid key=value pair (missing equal-sign) in Authorization header: '<hdr>'.`
pub(crate) fn msg_not_key_value(token: &str, header: &str) -> String {
    format!(
        "'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
    )
}

/// [R1] One sentence per missing Authorization parameter: `Authorization header requires 'X' parameter.`
pub(crate) fn msg_requires_param(name: &str) -> String {
    format!("Authorization header requires '{name}' parameter.")
}

/// [R1][R2] One sentence per missing query parameter; the list ends with
/// `Re-examine the query-string parameters.`
pub(crate) fn msg_query_requires(name: &str) -> String {
    format!("AWS query-string parameters must include '{name}'.")
}

/// [R1][R2] Suffix of the query-parameter list.
pub const MSG_REEXAMINE_QUERY: &str = "Re-examine the query-string parameters.";

/// [R1][R2] `Date must be in ISO-8601 'basic format'. Got '<d>'. See http://en.wikipedia.org/wiki/ISO_8601`
pub(crate) fn msg_bad_date(got: &str) -> String {
    format!(
        "Date must be in ISO-8601 'basic format'. Got '{got}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )
}

/// [R1] `Unsupported AWS 'algorithm': '<alg>' (only AWS4-HMAC-SHA256 for now). ` — recorded text, including the
/// trailing space (AWS builds these messages sentence by sentence, each followed by a space).
pub(crate) fn msg_bad_algorithm(alg: &str) -> String {
    format!("Unsupported AWS 'algorithm': '{alg}' (only AWS4-HMAC-SHA256 for now). ")
}

/// [R1][R2] `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '<c>'`
pub(crate) fn msg_credential_parts(credential: &str) -> String {
    format!(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    )
}

/// [R1][D1] Scope terminator error.
pub(crate) fn msg_bad_terminator(term: &str) -> String {
    format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'.")
}

/// [R1][D1] Scope date error.
pub(crate) fn msg_scope_date(scope_date: &str, http_date: &str, http_timestamp: &str) -> String {
    format!(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
         '{scope_date}' != '{http_date}', from '{http_timestamp}'."
    )
}

/// [R1][D1] Message for a credential scoped to a region the server does not serve. The server checks the region
/// itself (it knows which regions it accepts); combine with other scope errors by joining with a space.
pub fn msg_scope_region(region: &str) -> String {
    format!("Credential should be scoped to a valid region, not '{region}'.")
}

/// [R1][D1] Message for a credential scoped to the wrong service; `expected` is the service that was called.
pub fn msg_scope_service(expected: &str) -> String {
    format!("Credential should be scoped to correct service: '{expected}'.")
}

/// Renders a skew window the way AWS does: `15 min`, `5 min` (seconds if not whole minutes).
pub(crate) struct SkewText(pub i64);

impl fmt::Display for SkewText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 60 == 0 {
            write!(f, "{} min", self.0 / 60)
        } else {
            write!(f, "{} sec", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_safe_message_hides_signatures() {
        let e = AuthError::incomplete(format!(
            "{} Authorization=AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=abc123",
            msg_requires_param("Signature")
        ));
        assert_eq!(
            e.log_safe_message(),
            "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 \
             Credential=a/b/c/d/e, SignedHeaders=host, Signature=<redacted>"
        );
        let e = AuthError::incomplete(msg_not_key_value("x", "AWS4-HMAC-SHA256 Signature=ff, x"));
        assert_eq!(
            e.log_safe_message(),
            "'x' not a valid key=value pair (missing equal-sign) in Authorization header: \
             'AWS4-HMAC-SHA256 Signature=<redacted>, x'."
        );
        assert_eq!(
            AuthError::mismatch().log_safe_message(),
            MSG_SIGNATURE_MISMATCH
        );
    }
}
