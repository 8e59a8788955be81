//! Resource-policy validation for PutResourcePolicy: at most 20,480 characters (the model's
//! limit; AWS's quota page gives the same figure) and a valid resource policy for the engine.

use crate::error::Error;

/// The most characters a secret's resource policy may have.
pub const MAX_POLICY_CHARS: usize = 20_480;

/// AWS's answer to a policy it cannot parse (MalformedPolicyDocumentException, model error of
/// PutResourcePolicy; text from aws-semantics.md §6.6).
pub fn malformed() -> Error {
    Error::aws(
        "MalformedPolicyDocumentException",
        "This policy has invalid syntax.",
    )
}

/// Checks a resource policy before it is stored: the size limit, then the resource-policy
/// grammar of the policy engine (Principal required, …). Secrets Manager reports every grammar
/// problem with the same text.
pub fn validate_resource_policy(text: &str) -> Result<(), Error> {
    if text.chars().count() > MAX_POLICY_CHARS {
        return Err(malformed());
    }
    iamd_policy::Policy::parse(text, iamd_policy::PolicyKind::Resource)
        .map(|_| ())
        .map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_only() {
        assert!(
            validate_resource_policy(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
            )
            .is_ok()
        );
        // A resource policy must name a principal.
        assert!(
            validate_resource_policy(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
            )
            .is_err()
        );
        for bad in [
            "",
            "{",
            "[]",
            "\"x\"",
            "null",
            "{\"a\":1} trailing",
            "{'a':1}",
        ] {
            assert!(validate_resource_policy(bad).is_err(), "{bad}");
        }
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_POLICY_CHARS));
        assert!(validate_resource_policy(&big).is_err());
    }
}
