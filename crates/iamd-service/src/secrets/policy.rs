//! Resource-policy validation for PutResourcePolicy. For now the text must be a JSON object of
//! at most 20,480 characters (the model's limit; AWS's quota page gives the same figure); this
//! one function is what the policy engine replaces with the full grammar check.

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

/// Checks a resource policy before it is stored.
pub fn validate_resource_policy(text: &str) -> Result<(), Error> {
    if text.chars().count() > MAX_POLICY_CHARS {
        return Err(malformed());
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_only() {
        assert!(validate_resource_policy(r#"{"Version":"2012-10-17","Statement":[]}"#).is_ok());
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
