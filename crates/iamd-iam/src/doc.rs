//! Policy documents as IAM stores and returns them.
//!
//! [`validate_policy_document`] is the one gate every document passes through before it is
//! stored: the policy engine's grammar validation for the document's kind, then the size quotas
//! of aws-semantics.md §2.7.

use crate::error::{Error, IamError};

/// What a document is for; decides its size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind<'a> {
    /// A managed policy version: 6,144 characters.
    Managed,
    /// A role's trust policy: 2,048 characters.
    Trust,
    /// An inline policy of a user (2,048 aggregate), group (5,120) or role (10,240). `others` is
    /// the size of the entity's other inline policies.
    Inline {
        label: &'static str,
        entity: &'a str,
        limit: usize,
        others: usize,
    },
}

/// Size as IAM counts it against quotas: characters, whitespace not counted
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>: "IAM doesn't
/// count white space when calculating the size of a policy"). iamd's reading: every whitespace
/// character, inside strings too, is left out.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Checks a policy document before it is stored: IAM's grammar for its kind (the policy
/// engine's validator, with IAM's `MalformedPolicyDocument` texts), then the size quotas.
pub fn validate_policy_document(kind: DocKind<'_>, text: &str) -> Result<(), Error> {
    let engine_kind = match kind {
        DocKind::Trust => iamd_policy::PolicyKind::RoleTrust,
        DocKind::Managed | DocKind::Inline { .. } => iamd_policy::PolicyKind::Identity,
    };
    if let Err(e) = iamd_policy::Policy::parse(text, engine_kind) {
        return Err(IamError::MalformedPolicyDocument(e.message().to_owned()).into());
    }
    let size = policy_size(text);
    match kind {
        DocKind::Managed if size > 6144 => Err(IamError::Quota {
            quota: "PolicySize",
            limit: 6144,
        }
        .into()),
        DocKind::Trust if size > 2048 => Err(IamError::Quota {
            quota: "ACLSizePerRole",
            limit: 2048,
        }
        .into()),
        DocKind::Inline {
            label,
            entity,
            limit,
            others,
        } if size + others > limit => Err(IamError::InlinePolicySize {
            limit,
            label,
            entity: entity.to_owned(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// Documents come back URL-encoded (RFC 3986), as AWS returns them in GetRole, GetUserPolicy,
/// GetPolicyVersion…; the SDKs decode them.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 15] {
                out.push(
                    char::from_digit(u32::from(nibble), 16).map_or('0', |c| c.to_ascii_uppercase()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<(), Error>) -> (String, String) {
        match r {
            Err(e) if e.code_and_message(iamd_api::Service::Iam).is_some() => e
                .code_and_message(iamd_api::Service::Iam)
                .map(|(c, m)| (c.to_owned(), m))
                .unwrap_or_default(),
            other => panic!("{other:?}"),
        }
    }

    /// A valid identity policy of exactly `size` characters (Sid padding).
    fn identity_of_size(size: usize) -> String {
        let base = r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        base.replacen(
            r#""Sid":"""#,
            &format!(r#""Sid":"{}""#, "a".repeat(size - base.len())),
            1,
        )
    }

    /// A valid trust policy of exactly `size` characters.
    fn trust_of_size(size: usize) -> String {
        let base = r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        base.replacen(
            r#""Sid":"""#,
            &format!(r#""Sid":"{}""#, "a".repeat(size - base.len())),
            1,
        )
    }

    #[test]
    fn json_and_sizes() {
        assert_eq!(
            code(validate_policy_document(DocKind::Managed, "{nope")),
            (
                "MalformedPolicyDocument".into(),
                "This policy contains invalid Json".into()
            )
        );
        // Whitespace does not count: 6,144 characters plus any amount of spaces passes.
        let ok = identity_of_size(6144).replacen(':', ":   \n ", 3);
        assert_eq!(policy_size(&ok), 6144);
        validate_policy_document(DocKind::Managed, &ok).unwrap();
        let big = identity_of_size(6145);
        assert_eq!(
            code(validate_policy_document(DocKind::Managed, &big)).1,
            "Cannot exceed quota for PolicySize: 6144"
        );
        let trust = trust_of_size(2049);
        assert_eq!(
            code(validate_policy_document(DocKind::Trust, &trust)).1,
            "Cannot exceed quota for ACLSizePerRole: 2048"
        );
        validate_policy_document(DocKind::Trust, &trust_of_size(2048)).unwrap();
        let inline = DocKind::Inline {
            label: "user",
            entity: "bob",
            limit: 2048,
            others: 1900,
        };
        assert_eq!(
            code(validate_policy_document(inline, &identity_of_size(149))).1,
            "Maximum policy size of 2048 bytes exceeded for user bob"
        );
        validate_policy_document(inline, &identity_of_size(148)).unwrap();
        // The grammar comes from the policy engine, with IAM's texts.
        assert_eq!(
            code(validate_policy_document(
                DocKind::Managed,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#
            )),
            (
                "MalformedPolicyDocument".into(),
                "Policy document should not specify a principal.".into()
            )
        );
        assert_eq!(
            code(validate_policy_document(
                DocKind::Trust,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#
            ))
            .0,
            "MalformedPolicyDocument"
        );
    }

    #[test]
    fn url_encoding_is_percent_only() {
        assert_eq!(
            url_encode("{\"A\": \"b c/é\"}"),
            "%7B%22A%22%3A%20%22b%20c%2F%C3%A9%22%7D"
        );
    }
}
