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

/// The unique ids of the users and roles a resource policy names (see
/// [`crate::iam::principal_ids`]). A user or role that does not exist is refused with AWS's
/// `MalformedPolicyDocumentException: This resource policy contains an unsupported principal.`
/// (the text AWS's Secrets Manager documentation gives for a nonexistent user, and that
/// terraform-provider-aws retries on while a new role propagates).
pub fn principal_ids(
    iam: &crate::iam::Iam,
    text: &str,
) -> Result<crate::iam::principal_ids::PrincipalIds, Error> {
    iam.resolve_principals(text)?.map_err(|_| {
        Error::aws(
            "MalformedPolicyDocumentException",
            "This resource policy contains an unsupported principal.",
        )
    })
}

/// Condition keys that tie a statement to particular callers: a public-looking principal (`*`)
/// restricted by one of them with a non-negated operator does not grant broad access.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:userid",
    "aws:username",
    "aws:principalservicename",
];

/// Whether an `Allow` statement of the policy grants access to everyone (`"Principal": "*"` or
/// `{"AWS": "*"}`) without a condition that narrows the callers. AWS decides "broad access" with
/// Zelkova, whose rules are not published; this is iamd's documented approximation
/// (aws-semantics.md §6.7 [open]): a wildcard principal counts as public unless a non-negated
/// operator (`StringEquals`, `ArnLike`, `IpAddress`, …, not `…Not…`) on one of
/// [`RESTRICTING_KEYS`] with no wildcard-only value applies.
pub fn grants_broad_access(text: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.iter().collect::<Vec<_>>(),
        other => vec![other],
    };
    statements.into_iter().any(|st| {
        st["Effect"] == "Allow"
            && wildcard_principal(&st["Principal"])
            && !restricted(&st["Condition"])
    })
}

fn wildcard_principal(p: &serde_json::Value) -> bool {
    match p {
        serde_json::Value::String(s) => s == "*",
        serde_json::Value::Object(m) => m.get("AWS").is_some_and(|aws| match aws {
            serde_json::Value::String(s) => s == "*",
            serde_json::Value::Array(a) => a.iter().any(|x| x == "*"),
            _ => false,
        }),
        _ => false,
    }
}

fn restricted(condition: &serde_json::Value) -> bool {
    let Some(ops) = condition.as_object() else {
        return false;
    };
    ops.iter().any(|(op, keys)| {
        let op = op.to_ascii_lowercase();
        if op.contains("not") || op.starts_with("forallvalues:") || op.starts_with("null") {
            return false;
        }
        keys.as_object().is_some_and(|keys| {
            keys.iter().any(|(key, values)| {
                let values: Vec<&str> = match values {
                    serde_json::Value::String(s) => vec![s.as_str()],
                    serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                    _ => Vec::new(),
                };
                RESTRICTING_KEYS.contains(&key.to_ascii_lowercase().as_str())
                    && !values.is_empty()
                    && values.iter().all(|v| !v.is_empty() && *v != "*")
            })
        })
    })
}

/// `PublicPolicyException`, text from the model's documentation of the error.
pub fn public_policy() -> Error {
    Error::aws(
        "PublicPolicyException",
        "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broad_access_approximation() {
        let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
        assert!(grants_broad_access(open));
        let aws_star = open.replace(r#""Principal":"*""#, r#""Principal":{"AWS":["*"]}"#);
        assert!(grants_broad_access(&aws_star));
        let to_account = open.replace(
            r#""Principal":"*""#,
            r#""Principal":{"AWS":"arn:aws:iam::111122223333:root"}"#,
        );
        assert!(!grants_broad_access(&to_account));
        let narrowed = open.replace(
            r#""Resource":"*""#,
            r#""Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
        );
        assert!(!grants_broad_access(&narrowed));
        // A negated operator or a wildcard value narrows nothing.
        let negated = open.replace(
            r#""Resource":"*""#,
            r#""Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
        );
        assert!(grants_broad_access(&negated));
        let wild = open.replace(
            r#""Resource":"*""#,
            r#""Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"*"}}"#,
        );
        assert!(grants_broad_access(&wild));
        // Seed 000's policy is a Deny: never public.
        let deny = open.replace(r#""Effect":"Allow""#, r#""Effect":"Deny""#);
        assert!(!grants_broad_access(&deny));
    }

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
