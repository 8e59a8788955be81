//! `requestParameters` / `responseElements`: an operation's decoded input or output as CloudTrail
//! shows it (member names in lowerCamelCase), with every sensitive member hidden.
//!
//! Never recorded (aws-semantics-2.md §3.3, issue #14): secret values (`SecretString`,
//! `SecretBinary`), secret access keys, session tokens, passwords, MFA seeds and codes, rotation
//! tokens, web-identity tokens and SAML assertions. The rule errs towards hiding: a member whose
//! name mentions a password, a token (but for the pagination and idempotency tokens AWS shows),
//! a seed, a private key or a secret value is replaced by AWS's placeholder, and so is every
//! blob (binary members are secret values, QR codes of seeds, or opaque).

use iamd_api::Value;
use serde_json::{Map, Value as Json};

/// What AWS writes in place of a sensitive value.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Whether a member (by its model name, any case) must never be recorded.
pub fn is_sensitive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const SHOWN_TOKENS: [&str; 3] = ["nexttoken", "clientrequesttoken", "marker"];
    if SHOWN_TOKENS.contains(&n.as_str()) {
        return false;
    }
    const EXACT: [&str; 6] = [
        "secretaccesskey",
        "authenticationcode1",
        "authenticationcode2",
        "samlassertion",
        "qrcodepng",
        "secretbinary",
    ];
    EXACT.contains(&n.as_str())
        || [
            "password",
            "token",
            "seed",
            "privatekey",
            "secretstring",
            "assertion",
            "randompassword",
        ]
        .iter()
        .any(|w| n.contains(w))
}

fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The JSON CloudTrail shows for a decoded value, sensitive members hidden.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::String(s) => Json::String(s.clone()),
        Value::Integer(i) => Json::from(*i),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Double(d) => serde_json::Number::from_f64(*d)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Value::Timestamp(t) => Json::String(crate::record::iso(t.unix_timestamp())),
        Value::Blob(_) => Json::String(HIDDEN.to_owned()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        // Maps hold caller-chosen keys (tags, encryption contexts): kept as they are.
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Structure(members) => Json::Object(
            members
                .iter()
                .map(|(k, v)| {
                    let shown = if is_sensitive(k) {
                        Json::String(HIDDEN.to_owned())
                    } else {
                        to_json(v)
                    };
                    (lower_camel(k), shown)
                })
                .collect::<Map<_, _>>(),
        ),
    }
}

/// `requestParameters`: `null` when the operation takes no parameters.
pub fn request_parameters(input: &Value) -> Json {
    match input {
        Value::Structure(m) if m.is_empty() => Json::Null,
        v => to_json(v),
    }
}

/// `responseElements` of a successful call (`null` for an empty output).
pub fn response_elements(output: &Value) -> Json {
    request_parameters(output)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    fn hidden(j: &Json, key: &str) {
        assert_eq!(j[key], Json::String(HIDDEN.into()), "{key} in {j}");
        assert!(!j.to_string().contains("sekrit"), "{j}");
    }

    #[test]
    fn secret_string_is_hidden() {
        let j = to_json(&Value::Structure(vec![
            ("Name", s("db")),
            ("SecretString", s("sekrit")),
            ("ClientRequestToken", s("tok-1")),
        ]));
        assert_eq!(j["name"], "db");
        assert_eq!(j["clientRequestToken"], "tok-1");
        hidden(&j, "secretString");
    }

    #[test]
    fn secret_binary_is_hidden() {
        let j = to_json(&Value::Structure(vec![(
            "SecretBinary",
            Value::Blob(b"sekrit".to_vec()),
        )]));
        hidden(&j, "secretBinary");
    }

    #[test]
    fn any_blob_is_hidden_whatever_its_name() {
        let j = to_json(&Value::Structure(vec![(
            "Whatever",
            Value::Blob(b"sekrit".to_vec()),
        )]));
        hidden(&j, "whatever");
    }

    #[test]
    fn secret_access_key_is_hidden_in_create_access_key_output() {
        let j = response_elements(&Value::Structure(vec![(
            "AccessKey",
            Value::Structure(vec![
                ("UserName", s("alice")),
                ("AccessKeyId", s("AKIAEXAMPLE")),
                ("SecretAccessKey", s("sekrit")),
            ]),
        )]));
        assert_eq!(j["accessKey"]["accessKeyId"], "AKIAEXAMPLE");
        hidden(&j["accessKey"], "secretAccessKey");
    }

    #[test]
    fn assume_role_response_shows_the_access_key_id_only() {
        let j = response_elements(&Value::Structure(vec![(
            "Credentials",
            Value::Structure(vec![
                ("AccessKeyId", s("ASIAEXAMPLE")),
                ("SecretAccessKey", s("sekrit")),
                ("SessionToken", s("sekrit-token")),
                ("Expiration", s("2026-01-01T00:00:00Z")),
            ]),
        )]));
        let c = &j["credentials"];
        assert_eq!(c["accessKeyId"], "ASIAEXAMPLE");
        hidden(c, "secretAccessKey");
        hidden(c, "sessionToken");
    }

    #[test]
    fn passwords_are_hidden() {
        for name in ["Password", "OldPassword", "NewPassword", "RandomPassword"] {
            let j = to_json(&Value::Structure(vec![(name, s("sekrit"))]));
            hidden(&j, &lower_camel(name));
        }
    }

    #[test]
    fn mfa_codes_and_seeds_are_hidden() {
        for name in [
            "AuthenticationCode1",
            "AuthenticationCode2",
            "TokenCode",
            "Base32StringSeed",
        ] {
            let j = to_json(&Value::Structure(vec![(name, s("sekrit"))]));
            hidden(&j, &lower_camel(name));
        }
        let j = to_json(&Value::Structure(vec![(
            "QRCodePNG",
            Value::Blob(b"sekrit".to_vec()),
        )]));
        hidden(&j, "qRCodePNG");
    }

    #[test]
    fn rotation_web_identity_and_saml_tokens_are_hidden() {
        for name in [
            "RotationToken",
            "WebIdentityToken",
            "SAMLAssertion",
            "SessionToken",
        ] {
            let j = to_json(&Value::Structure(vec![(name, s("sekrit"))]));
            hidden(&j, &lower_camel(name));
        }
    }

    #[test]
    fn pagination_tokens_and_plain_members_are_shown() {
        let j = to_json(&Value::Structure(vec![
            ("NextToken", s("page-2")),
            ("Marker", s("m")),
            ("RoleArn", s("arn:aws:iam::111122223333:role/r")),
            ("DurationSeconds", Value::Integer(900)),
            (
                "Tags",
                Value::List(vec![Value::Structure(vec![
                    ("Key", s("k")),
                    ("Value", s("v")),
                ])]),
            ),
        ]));
        assert_eq!(j["nextToken"], "page-2");
        assert_eq!(j["marker"], "m");
        assert_eq!(j["roleArn"], "arn:aws:iam::111122223333:role/r");
        assert_eq!(j["durationSeconds"], 900);
        assert_eq!(j["tags"][0]["key"], "k");
    }

    #[test]
    fn no_parameters_is_null() {
        assert_eq!(request_parameters(&Value::Structure(vec![])), Json::Null);
    }
}
