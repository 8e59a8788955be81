//! Resource-policy validation for PutResourcePolicy: at most 20,480 characters (the model's
//! limit; AWS's quota page gives the same figure) and a valid resource policy for the engine.

use crate::error::{Error, SecretsError};

/// The most characters a secret's resource policy may have.
pub const MAX_POLICY_CHARS: usize = 20_480;

/// Checks a resource policy before it is stored: the size limit, then the resource-policy
/// grammar of the policy engine (Principal required, …). Secrets Manager reports every grammar
/// problem with the same text.
/// AWS's answer to a policy it cannot parse is MalformedPolicyDocumentException (a model error of
/// PutResourcePolicy; text from aws-semantics.md §6.6).
pub fn validate_resource_policy(text: &str) -> Result<(), SecretsError> {
    if text.chars().count() > MAX_POLICY_CHARS {
        return Err(SecretsError::MalformedPolicy);
    }
    iamd_policy::Policy::parse(text, iamd_policy::PolicyKind::Resource)
        .map(|_| ())
        .map_err(|_| SecretsError::MalformedPolicy)
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
    iam.resolve_principals(text)?
        .map_err(|_| SecretsError::UnsupportedPrincipal.into())
}

/// Whether a policy grants "broad access" (BlockPublicPolicy, ValidateResourcePolicy): whether
/// one of its `Allow` statements admits principals that it does not pin with fixed values. AWS
/// decides this with Zelkova, whose rules are not published; iamd follows the definition AWS
/// gives for "public" in S3's `PublicAccessBlockConfiguration` (API reference): a policy is
/// public unless it grants only to *fixed* principals or to principals pinned by a condition on
/// a fixed `aws:SourceArn`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceOwner`,
/// `aws:SourceAccount`, `aws:userid` (or the `AROLEID:*` pattern), or a set of CIDRs in
/// `aws:SourceIp`; a fixed value contains no wildcard (`*`, `?`) and no policy variable (`${…}`).
/// So:
///
/// - `NotPrincipal` with `Allow` grants everyone but the listed principals: wildcard.
/// - `"Principal": "*"`, or any principal value with a wildcard or a variable: wildcard.
/// - a wildcard principal is narrowed only by a non-negated, non-`IfExists`, non-`ForAllValues`
///   string, ARN or IP operator on one of [`RESTRICTING_KEYS`] whose every value is fixed —
///   except that an ARN key (`aws:PrincipalArn`, `aws:SourceArn`) may keep wildcards in the
///   resource part when its account field is a fixed 12-digit account (all its matches belong to
///   that one account, the Zelkova view), `aws:PrincipalOrgPaths` may when its organization
///   (first segment) is fixed, and `aws:SourceIp` needs prefixes of at least /8 (IPv4) or /32
///   (IPv6) (iamd's line: `0.0.0.0/0` is everyone).
///
/// A policy that cannot be read as JSON grants nothing (validation refuses it first).
pub fn grants_broad_access(text: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    statements.into_iter().any(|st| {
        st["Effect"] == "Allow"
            && (st.get("NotPrincipal").is_some() || wildcard_principal(&st["Principal"]))
            && !restricted(&st["Condition"])
    })
}

/// Whether a value contains a wildcard or a policy variable.
fn not_fixed(v: &str) -> bool {
    v.contains('*') || v.contains('?') || v.contains("${")
}

/// `"*"`, or a principal map with any value that is not fixed.
fn wildcard_principal(p: &serde_json::Value) -> bool {
    match p {
        serde_json::Value::String(s) => not_fixed(s),
        serde_json::Value::Object(m) => m.values().any(|v| match v {
            serde_json::Value::String(s) => not_fixed(s),
            serde_json::Value::Array(a) => a.iter().any(|x| x.as_str().is_none_or(not_fixed)),
            _ => true,
        }),
        // No principal at all: validation refuses it; never count it as pinned.
        _ => true,
    }
}

/// Condition keys that can tie a statement to particular callers, lower-cased.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalservicename",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:userid",
];

/// The operators that can narrow (lower-cased, without a `ForAnyValue:` prefix).
const NARROWING_OPERATORS: &[&str] = &[
    "stringequals",
    "stringequalsignorecase",
    "stringlike",
    "arnequals",
    "arnlike",
    "ipaddress",
];

fn restricted(condition: &serde_json::Value) -> bool {
    let Some(ops) = condition.as_object() else {
        return false;
    };
    ops.iter().any(|(op, keys)| {
        let op = op.to_ascii_lowercase();
        let op = op.strip_prefix("foranyvalue:").unwrap_or(&op);
        if !NARROWING_OPERATORS.contains(&op) {
            return false;
        }
        keys.as_object().is_some_and(|keys| {
            keys.iter().any(|(key, values)| {
                let key = key.to_ascii_lowercase();
                let values: Vec<Option<&str>> = match values {
                    serde_json::Value::String(s) => vec![Some(s.as_str())],
                    serde_json::Value::Array(a) => a.iter().map(|v| v.as_str()).collect(),
                    _ => vec![None],
                };
                RESTRICTING_KEYS.contains(&key.as_str())
                    && !values.is_empty()
                    && values.iter().all(|v| v.is_some_and(|v| pins(&key, v)))
            })
        })
    })
}

/// Whether `value` of the restricting `key` admits only particular callers.
fn pins(key: &str, value: &str) -> bool {
    if value.is_empty() || value.contains("${") {
        return false;
    }
    match key {
        "aws:principalarn" | "aws:sourcearn" => !not_fixed(value) || arn_pins_account(value),
        "aws:principalorgpaths" => value
            .split('/')
            .next()
            .is_some_and(|org| !org.is_empty() && !not_fixed(org)),
        "aws:userid" => match value.strip_suffix(":*") {
            Some(id) => !id.is_empty() && !not_fixed(id),
            None => !not_fixed(value),
        },
        "aws:sourceip" => cidr_is_narrow(value),
        _ => !not_fixed(value),
    }
}

/// An ARN pattern whose fields up to the account are fixed, with a 12-digit account: every ARN
/// it matches is that account's.
fn arn_pins_account(value: &str) -> bool {
    let mut parts = value.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(_)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    ![partition, service, region].into_iter().any(not_fixed)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
}

/// A CIDR (or address) no wider than /8 (IPv4) or /32 (IPv6).
fn cidr_is_narrow(value: &str) -> bool {
    let (addr, bits) = match value.split_once('/') {
        Some((a, b)) => match b.parse::<u8>() {
            Ok(n) => (a, Some(n)),
            Err(_) => return false,
        },
        None => (value, None),
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => bits.is_none_or(|b| (8..=32).contains(&b)),
        Ok(std::net::IpAddr::V6(_)) => bits.is_none_or(|b| (32..=128).contains(&b)),
        Err(_) => false,
    }
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

    /// Issue 11, finding 5: wildcards and variables in the values of restricting keys, NotPrincipal,
    /// IfExists and ForAllValues narrow nothing; fixed values, account-pinned ARN patterns and
    /// narrow CIDRs do.
    #[test]
    fn broad_access_needs_fixed_values() {
        let st = |extra: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*",{extra}}}]}}"#
            )
        };
        let cond = |op: &str, key: &str, value: &str| {
            st(&format!(
                r#""Principal":"*","Condition":{{"{op}":{{"{key}":{value}}}}}"#
            ))
        };
        let public = [
            st(r#""NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"}"#),
            st(r#""Principal":{"AWS":["111122223333","*"]}"#),
            st(r#""Principal":{"AWS":"arn:aws:iam::*:root"}"#),
            st(r#""Principal":{"Service":"*"}"#),
            cond("ArnLike", "aws:PrincipalArn", r#""arn:*""#),
            cond(
                "StringLike",
                "aws:PrincipalArn",
                r#""arn:aws:iam::*:role/x""#,
            ),
            cond(
                "StringLike",
                "aws:PrincipalArn",
                r#""arn:aws:iam::1111222233*:role/x""#,
            ),
            cond(
                "StringLike",
                "aws:PrincipalArn",
                r#""arn:*:iam::111122223333:role/x""#,
            ),
            cond("StringLike", "aws:PrincipalAccount", r#""????????????""#),
            cond("StringLike", "aws:userid", r#""*:*""#),
            cond("StringLike", "aws:userid", r#""*""#),
            cond(
                "StringEquals",
                "aws:PrincipalAccount",
                r#""${aws:PrincipalAccount}""#,
            ),
            cond(
                "StringEquals",
                "aws:PrincipalAccount",
                r#"["111122223333","*"]"#,
            ),
            cond(
                "StringEqualsIfExists",
                "aws:PrincipalAccount",
                r#""111122223333""#,
            ),
            cond(
                "ForAllValues:StringEquals",
                "aws:PrincipalAccount",
                r#""111122223333""#,
            ),
            cond("StringNotLike", "aws:PrincipalAccount", r#""111122223333""#),
            cond("Null", "aws:PrincipalAccount", r#""false""#),
            cond("StringEquals", "aws:username", r#""alice""#),
            cond("StringEquals", "aws:PrincipalAccount", r#""""#),
            cond("StringEquals", "aws:PrincipalAccount", r#"[]"#),
            cond("IpAddress", "aws:SourceIp", r#""0.0.0.0/0""#),
            cond("IpAddress", "aws:SourceIp", r#""0.0.0.0/1""#),
            cond("IpAddress", "aws:SourceIp", r#""::/0""#),
            cond("IpAddress", "aws:SourceIp", r#""10.0.0.0/x""#),
            cond("StringLike", "aws:PrincipalOrgPaths", r#""*/r-ab12/*""#),
        ];
        for p in &public {
            assert!(grants_broad_access(p), "public: {p}");
        }
        let pinned = [
            st(r#""Principal":{"AWS":"arn:aws:iam::111122223333:role/app"}"#),
            st(r#""Principal":{"Service":"lambda.amazonaws.com"}"#),
            cond("StringEquals", "aws:PrincipalAccount", r#""111122223333""#),
            cond(
                "StringEquals",
                "aws:PrincipalAccount",
                r#"["111122223333","444455556666"]"#,
            ),
            cond(
                "ArnLike",
                "aws:PrincipalArn",
                r#""arn:aws:iam::111122223333:role/*""#,
            ),
            cond("StringLike", "aws:userid", r#""AROAEXAMPLEEXAMPLE01:*""#),
            cond("StringEquals", "aws:PrincipalOrgID", r#""o-a1b2c3d4e5""#),
            cond(
                "ForAnyValue:StringLike",
                "aws:PrincipalOrgPaths",
                r#""o-a1b2c3d4e5/r-ab12/*""#,
            ),
            cond("IpAddress", "aws:SourceIp", r#""203.0.113.0/24""#),
            cond("IpAddress", "aws:SourceIp", r#""2001:db8::/32""#),
            cond("StringEquals", "aws:SourceVpce", r#""vpce-1a2b3c4d""#),
        ];
        for p in &pinned {
            assert!(!grants_broad_access(p), "pinned: {p}");
        }
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
