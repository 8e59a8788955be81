#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! awsJson1.1 decoding, validation and encoding (Secrets Manager).

use base64::Engine as _;
use iamd_api::{ApiError, Service, Value, decode_json, encode_json_error, encode_json_response};

const SM: Service = Service::SecretsManager;

fn dec(target: &str, body: &str) -> Result<Value, ApiError> {
    decode_json(SM, target, body.as_bytes()).map(|(_, v)| v)
}

#[test]
fn target_routing() {
    let (op, _) = decode_json(SM, "secretsmanager.ListSecrets", b"{}").unwrap();
    assert_eq!(op.name, "ListSecrets");
    for bad in [
        "secretsmanager.Nope",
        "secretsmanagerListSecrets",
        "kms.ListSecrets",
        "",
        "ListSecrets",
        "secretsmanager.",
    ] {
        let e = decode_json(SM, bad, b"{}").unwrap_err();
        assert_eq!(
            (e.code.as_ref(), e.status),
            ("UnknownOperationException", 400),
            "{bad}"
        );
    }
    // A query service never decodes JSON.
    assert!(decode_json(Service::Sts, "secretsmanager.ListSecrets", b"{}").is_err());
}

#[test]
fn empty_body_is_empty_object() {
    assert_eq!(
        dec("secretsmanager.ListSecrets", "").unwrap(),
        Value::empty()
    );
    assert_eq!(
        dec("secretsmanager.ListSecrets", " \n").unwrap(),
        Value::empty()
    );
}

#[test]
fn malformed_bodies_are_serialization_exceptions() {
    for body in [
        "{",
        "nul",
        "[]",
        "null",
        "1",
        "\"x\"",
        "{\"Name\":}",
        "{}{}",
        "\u{0}",
    ] {
        let e = dec("secretsmanager.ListSecrets", body).unwrap_err();
        assert_eq!(
            (e.code.as_ref(), e.status),
            ("SerializationException", 400),
            "{body:?}"
        );
    }
    let e = decode_json(SM, "secretsmanager.ListSecrets", b"{\"Name\":\"\xff\"}").unwrap_err();
    assert_eq!(e.code, "SerializationException");
}

#[test]
fn wrong_member_types() {
    // Coral's deserializer wording (as returned by awsJson services such as DynamoDB).
    let e = dec("secretsmanager.CreateSecret", r#"{"Name":{"a":1}}"#).unwrap_err();
    assert_eq!(e.code, "SerializationException");
    assert_eq!(
        e.message,
        "Start of structure or map found where not expected."
    );
    let e = dec(
        "secretsmanager.GetRandomPassword",
        r#"{"PasswordLength":"12"}"#,
    )
    .unwrap_err();
    assert_eq!(e.message, "STRING_VALUE can not be converted to a Long");
    let e = dec("secretsmanager.CreateSecret", r#"{"Name":5}"#).unwrap_err();
    assert_eq!(e.message, "NUMBER_VALUE can not be converted to a String");
    let e = dec(
        "secretsmanager.ListSecrets",
        r#"{"IncludePlannedDeletion":"yes"}"#,
    )
    .unwrap_err();
    assert_eq!(e.message, "STRING_VALUE can not be converted to a Boolean");
    let e = dec(
        "secretsmanager.ListSecrets",
        r#"{"Filters":{"Key":"name"}}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, "SerializationException");
    let e = dec(
        "secretsmanager.CreateSecret",
        r#"{"Name":"n","SecretBinary":"!!!"}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, "SerializationException");
}

#[test]
fn decode_nested_and_ignore_unknown_and_nulls() {
    let v = dec(
        "secretsmanager.CreateSecret",
        r#"{"Name":"db/pw","SecretBinary":"AAEC","Tags":[{"Key":"k","Value":"v"}],
            "Description":null,"Whatever":{"deep":[1,2,3]},"ForceOverwriteReplicaSecret":true}"#,
    )
    .unwrap();
    assert_eq!(v.str("Name"), Some("db/pw"));
    assert_eq!(v.blob("SecretBinary"), Some(&[0u8, 1, 2][..]));
    assert_eq!(v.list("Tags").unwrap()[0].str("Key"), Some("k"));
    assert!(!v.has("Description"));
    assert!(!v.has("Whatever"));
    assert_eq!(v.bool("ForceOverwriteReplicaSecret"), Some(true));
    let v = dec(
        "secretsmanager.GetRandomPassword",
        r#"{"PasswordLength":20}"#,
    )
    .unwrap();
    assert_eq!(v.i64("PasswordLength"), Some(20));
}

#[test]
fn validation_exceptions() {
    let e = dec("secretsmanager.CreateSecret", "{}").unwrap_err();
    assert_eq!((e.code.as_ref(), e.status), ("ValidationException", 400));
    assert_eq!(
        e.message,
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let e = dec(
        "secretsmanager.GetRandomPassword",
        r#"{"PasswordLength":5000}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '5000' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096"
    );
    let e = dec("secretsmanager.ListSecrets", r#"{"SortOrder":"up"}"#).unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]"
    );
}

#[test]
fn secret_values_are_redacted() {
    // Real Secrets Manager (aws CLI output quoted in a user's notes):
    // "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: Member
    // must have length less than or equal to 65536"; and for an empty SecretString (CDK report):
    // "Value at 'secretString' failed to satisfy constraint: Member must have length greater than or equal to 1".
    let big = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 65537]);
    let e = dec(
        "secretsmanager.CreateSecret",
        &format!(r#"{{"Name":"n","SecretBinary":"{big}"}}"#),
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to 65536"
    );
    let e = dec(
        "secretsmanager.PutSecretValue",
        r#"{"SecretId":"n","SecretString":""}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let huge = "p".repeat(65537);
    let e = dec(
        "secretsmanager.CreateSecret",
        &format!(r#"{{"Name":"n","SecretString":"{huge}"}}"#),
    )
    .unwrap_err();
    assert!(!e.message.contains("ppp"));
}

#[test]
fn encode_response_and_errors() {
    let op = SM.operation("GetSecretValue").unwrap();
    let t = time::macros::datetime!(2026-11-23 13:26:15.5 UTC);
    let out = Value::builder()
        .set("ARN", "arn")
        .set("Name", "n\"q\n")
        .set("SecretBinary", vec![0u8, 1, 2])
        .set("VersionStages", vec![Value::from("AWSCURRENT")])
        .set("CreatedDate", t)
        .build();
    let body = String::from_utf8(encode_json_response(op, &out)).unwrap();
    assert_eq!(
        body,
        r#"{"ARN":"arn","Name":"n\"q\n","SecretBinary":"AAEC","VersionStages":["AWSCURRENT"],"CreatedDate":1795440375.500}"#
    );
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed["Name"], "n\"q\n");
    let whole = Value::builder()
        .set(
            "CreatedDate",
            time::macros::datetime!(2026-11-23 13:26:15 UTC),
        )
        .build();
    assert_eq!(
        String::from_utf8(encode_json_response(op, &whole)).unwrap(),
        r#"{"CreatedDate":1795440375}"#
    );

    let e = ApiError::modeled(
        SM,
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
    );
    assert_eq!(e.status, 400);
    assert_eq!(
        String::from_utf8(encode_json_error(&e)).unwrap(),
        r#"{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}"#
    );
    let e = ApiError::new("UnknownOperationException", "", 400);
    assert_eq!(
        String::from_utf8(encode_json_error(&e)).unwrap(),
        r#"{"__type":"UnknownOperationException"}"#
    );
    let e = ApiError::new("X", "ctl\u{1}", 400);
    let j: serde_json::Value = serde_json::from_slice(&encode_json_error(&e)).unwrap();
    assert_eq!(j["Message"], "ctl\u{1}");
}

#[test]
fn json_round_trip_decode_encode() {
    let (op, v) = decode_json(
        SM,
        "secretsmanager.TagResource",
        br#"{"SecretId":"s","Tags":[{"Key":"a","Value":"b"}]}"#,
    )
    .unwrap();
    assert_eq!(op.name, "TagResource");
    let back = String::from_utf8(iamd_api::json::encode_value(&v)).unwrap();
    assert_eq!(back, r#"{"SecretId":"s","Tags":[{"Key":"a","Value":"b"}]}"#);
}

#[test]
fn deep_nesting_does_not_overflow() {
    let body = "[".repeat(100_000);
    let e = dec("secretsmanager.ListSecrets", &body).unwrap_err();
    assert_eq!(e.code, "SerializationException");
    let body = format!("{{\"Filters\":{}{}}}", "[".repeat(200), "]".repeat(200));
    assert!(dec("secretsmanager.ListSecrets", &body).is_err());
}

#[test]
fn redaction_for_logs() {
    let (op, v) = decode_json(
        SM,
        "secretsmanager.CreateSecret",
        br#"{"Name":"n","SecretString":"hunter2","Tags":[{"Key":"k","Value":"v"}]}"#,
    )
    .unwrap();
    let r = op.redact_input(&v);
    assert_eq!(r.str("SecretString"), Some(iamd_api::model::REDACTED));
    assert_eq!(r.str("Name"), Some("n"));
    assert_eq!(r.list("Tags"), v.list("Tags"));
    let (op, v) = decode_query_sts_with_saml();
    assert_eq!(
        op.redact_input(&v).str("SAMLAssertion"),
        Some(iamd_api::model::REDACTED)
    );
    let op = Service::Sts.operation("GetSessionToken").unwrap();
    let out = Value::builder()
        .set(
            "Credentials",
            Value::builder()
                .set("AccessKeyId", "ASIA")
                .set("SecretAccessKey", "shh")
                .set("SessionToken", "tok"),
        )
        .build();
    let r = op.redact_output(&out);
    let c = r.structure("Credentials").unwrap();
    assert_eq!(c.str("AccessKeyId"), Some("ASIA"));
    assert_eq!(c.str("SecretAccessKey"), Some(iamd_api::model::REDACTED));
}

fn decode_query_sts_with_saml() -> (&'static iamd_api::Operation, Value) {
    let params: Vec<(String, String)> = [
        ("Action", "AssumeRoleWithSAML"),
        ("Version", "2011-06-15"),
        ("RoleArn", "arn:aws:iam::111111111111:role/r"),
        ("PrincipalArn", "arn:aws:iam::111111111111:saml-provider/p"),
        ("SAMLAssertion", "PHNhbWw+c2VjcmV0PC9zYW1sPg=="),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    iamd_api::decode_query(Service::Sts, &params).unwrap()
}
