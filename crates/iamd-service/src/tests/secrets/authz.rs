//! Operations whose "Required permissions" (Secrets Manager API reference) name more than their
//! own action:
//! - CreateSecret with Tags also needs `secretsmanager:TagResource`, judged on the ARN the new
//!   secret gets (AWS's denial in kubernetes-sigs/cluster-api-provider-aws#1523 prints the new
//!   ARN, suffix included).
//! - BatchGetSecretValue with Filters also needs `secretsmanager:ListSecrets`.
//! - ValidateResourcePolicy also needs `secretsmanager:PutResourcePolicy`.
//! - PutResourcePolicy needs only itself; `secretsmanager:BlockPublicPolicy` is a request key.
//!
//! A denial changes nothing.

#![expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]

use super::replication::{call_user, make_user};
use super::*;

const PRIMARY: &str = "us-east-2";

fn denied(r: Result<Value, Error>) -> String {
    match r {
        Err(e)
            if e.code_and_message(iamd_api::Service::SecretsManager)
                .is_some() =>
        {
            let (code, message) = e
                .code_and_message(iamd_api::Service::SecretsManager)
                .unwrap_or(("", String::new()));
            assert_eq!(code, "AccessDeniedException", "{message}");
            message
        }
        other => panic!("expected AccessDeniedException, got {other:?}"),
    }
}

fn create_body(name: &str, tags: &str) -> String {
    format!(r#"{{"Name":"{name}","SecretString":"v","ClientRequestToken":"{TOKEN_A}"{tags}}}"#)
}

#[test]
fn create_secret_with_tags_also_needs_tag_resource_on_the_new_arn() {
    let e = env();
    let user = make_user(
        &e,
        "creator",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:CreateSecret","Resource":"*"}]}"#,
    );
    let tags = r#","Tags":[{"Key":"team","Value":"blue"}]"#;
    let before = e.dump();
    let msg = denied(call_user(
        &e,
        &user,
        PRIMARY,
        "CreateSecret",
        &create_body("tagged", tags),
    ));
    let prefix = format!(
        "User: arn:aws:iam::{ACCT}:user/creator is not authorized to perform: \
         secretsmanager:TagResource on resource: arn:aws:secretsmanager:{PRIMARY}:{ACCT}:secret:tagged-"
    );
    assert!(msg.starts_with(&prefix), "{msg}");
    let suffix = " because no identity-based policy allows the secretsmanager:TagResource action";
    assert!(msg.ends_with(suffix), "{msg}");
    // The ARN's random part: a hyphen and six characters.
    assert_eq!(msg.len(), prefix.len() + 6 + suffix.len(), "{msg}");
    assert_eq!(e.dump(), before, "a denied CreateSecret creates nothing");
    let (code, _) = e.err("DescribeSecret", r#"{"SecretId":"tagged"}"#);
    assert_eq!(code, "ResourceNotFoundException");

    // Without tags, CreateSecret alone is enough; an empty tag list adds no tag [open].
    call_user(
        &e,
        &user,
        PRIMARY,
        "CreateSecret",
        &create_body("plain", ""),
    )
    .unwrap();
    call_user(
        &e,
        &user,
        PRIMARY,
        "CreateSecret",
        &create_body("empty", r#","Tags":[]"#),
    )
    .unwrap();
}

#[test]
fn tag_resource_on_create_sees_the_request_tags_and_the_new_arn() {
    let e = env();
    // TagResource only for team=blue, only on secrets named app/*, and an explicit deny for
    // the tag key `owner`.
    let user = make_user(
        &e,
        "tagger",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["secretsmanager:CreateSecret","secretsmanager:DescribeSecret"],"Resource":"*"},
            {"Effect":"Allow","Action":"secretsmanager:TagResource",
             "Resource":"arn:aws:secretsmanager:*:*:secret:app/*-??????",
             "Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}},
            {"Effect":"Deny","Action":"secretsmanager:TagResource","Resource":"*",
             "Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"owner"}}}]}"#,
    );
    let as_user = |op: &str, body: &str| call_user(&e, &user, PRIMARY, op, body);
    let before = e.dump();
    let msg = denied(as_user(
        "CreateSecret",
        &create_body("app/red", r#","Tags":[{"Key":"team","Value":"red"}]"#),
    ));
    assert!(
        msg.contains("secretsmanager:TagResource on resource: arn:aws:"),
        "{msg}"
    );
    let msg = denied(as_user(
        "CreateSecret",
        &create_body("other/blue", r#","Tags":[{"Key":"team","Value":"blue"}]"#),
    ));
    assert!(msg.contains(":secret:other/blue-"), "{msg}");
    let msg = denied(as_user(
        "CreateSecret",
        &create_body(
            "app/owned",
            r#","Tags":[{"Key":"team","Value":"blue"},{"Key":"owner","Value":"me"}]"#,
        ),
    ));
    assert!(
        msg.ends_with("with an explicit deny in an identity-based policy"),
        "{msg}"
    );
    assert_eq!(e.dump(), before);

    let out = as_user(
        "CreateSecret",
        &create_body("app/blue", r#","Tags":[{"Key":"team","Value":"blue"}]"#),
    )
    .unwrap();
    let d = as_user("DescribeSecret", r#"{"SecretId":"app/blue"}"#).unwrap();
    assert_eq!(d.str("ARN"), out.str("ARN"));
    let tags = d.list("Tags").unwrap();
    assert_eq!(
        (tags[0].str("Key"), tags[0].str("Value")),
        (Some("team"), Some("blue"))
    );
    // A retried create (same token and value) adds no tag and is not judged again.
    let again = as_user(
        "CreateSecret",
        &create_body("app/blue", r#","Tags":[{"Key":"team","Value":"red"}]"#),
    )
    .unwrap();
    assert_eq!(again.str("ARN"), out.str("ARN"));
}

#[test]
fn batch_get_secret_value_with_filters_also_needs_list_secrets() {
    let e = env();
    create(&e, "b1", "one", TOKEN_A);
    let reader = make_user(
        &e,
        "reader",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["secretsmanager:BatchGetSecretValue","secretsmanager:GetSecretValue"],"Resource":"*"}]}"#,
    );
    let filters = r#"{"Filters":[{"Key":"name","Values":["b1"]}]}"#;
    let msg = denied(call_user(
        &e,
        &reader,
        PRIMARY,
        "BatchGetSecretValue",
        filters,
    ));
    // ListSecrets has no resource: the message names none (aws-semantics.md §4.5).
    assert_eq!(
        msg,
        format!(
            "User: arn:aws:iam::{ACCT}:user/reader is not authorized to perform: \
             secretsmanager:ListSecrets because no identity-based policy allows the \
             secretsmanager:ListSecrets action"
        )
    );
    // A list of ids needs no ListSecrets.
    let b = call_user(
        &e,
        &reader,
        PRIMARY,
        "BatchGetSecretValue",
        r#"{"SecretIdList":["b1"]}"#,
    )
    .unwrap();
    assert_eq!(
        b.list("SecretValues").unwrap()[0].str("SecretString"),
        Some("one")
    );

    let lister = make_user(
        &e,
        "lister",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["secretsmanager:BatchGetSecretValue","secretsmanager:GetSecretValue","secretsmanager:ListSecrets"],"Resource":"*"}]}"#,
    );
    let b = call_user(&e, &lister, PRIMARY, "BatchGetSecretValue", filters).unwrap();
    assert_eq!(
        b.list("SecretValues").unwrap()[0].str("SecretString"),
        Some("one")
    );
}

#[test]
fn validate_resource_policy_also_needs_put_resource_policy() {
    let e = env();
    let arn = create(&e, "p", "v", TOKEN_A).str("ARN").unwrap().to_owned();
    let policy = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111111111111\"},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}"#;
    let with_id = format!(r#"{{"SecretId":"p","ResourcePolicy":"{policy}"}}"#);
    let without_id = format!(r#"{{"ResourcePolicy":"{policy}"}}"#);
    let validator = make_user(
        &e,
        "validator",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:ValidateResourcePolicy","Resource":"*"}]}"#,
    );
    let msg = denied(call_user(
        &e,
        &validator,
        PRIMARY,
        "ValidateResourcePolicy",
        &with_id,
    ));
    assert_eq!(
        msg,
        format!(
            "User: arn:aws:iam::{ACCT}:user/validator is not authorized to perform: \
             secretsmanager:PutResourcePolicy on resource: {arn} because no identity-based \
             policy allows the secretsmanager:PutResourcePolicy action"
        )
    );
    let msg = denied(call_user(
        &e,
        &validator,
        PRIMARY,
        "ValidateResourcePolicy",
        &without_id,
    ));
    assert!(
        msg.contains("perform: secretsmanager:PutResourcePolicy because"),
        "{msg}"
    );

    let both = make_user(
        &e,
        "both",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["secretsmanager:ValidateResourcePolicy","secretsmanager:PutResourcePolicy"],"Resource":"*"}]}"#,
    );
    for body in [&with_id, &without_id] {
        let v = call_user(&e, &both, PRIMARY, "ValidateResourcePolicy", body).unwrap();
        assert_eq!(v.bool("PolicyValidationPassed"), Some(true));
    }
}

/// PutResourcePolicy needs only its own action; `secretsmanager:BlockPublicPolicy` is the
/// request's flag, so an administrator can require callers to set it (Service Authorization
/// Reference, secretsmanager condition keys). Absent from the request, the key is absent and
/// `Bool ... true` does not match.
#[test]
fn put_resource_policy_can_be_made_to_require_block_public_policy() {
    let e = env();
    create(&e, "bp", "v", TOKEN_A);
    let user = make_user(
        &e,
        "blocker",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:PutResourcePolicy","Resource":"*",
             "Condition":{"Bool":{"secretsmanager:BlockPublicPolicy":"true"}}}]}"#,
    );
    let policy = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111111111111\"},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}"#;
    let before = e.dump();
    for flag in ["", r#","BlockPublicPolicy":false"#] {
        let msg = denied(call_user(
            &e,
            &user,
            PRIMARY,
            "PutResourcePolicy",
            &format!(r#"{{"SecretId":"bp","ResourcePolicy":"{policy}"{flag}}}"#),
        ));
        assert!(
            msg.contains("secretsmanager:PutResourcePolicy on resource: arn:aws:"),
            "{msg}"
        );
    }
    assert_eq!(e.dump(), before);
    call_user(
        &e,
        &user,
        PRIMARY,
        "PutResourcePolicy",
        &format!(r#"{{"SecretId":"bp","ResourcePolicy":"{policy}","BlockPublicPolicy":true}}"#),
    )
    .unwrap();
    assert!(
        e.ok("GetResourcePolicy", r#"{"SecretId":"bp"}"#)
            .str("ResourcePolicy")
            .is_some()
    );
}

/// The engine's view of a caller is cached by access key id; an entry is used only for the caller
/// it was built for. Two callers presenting the same key id (as these tests' users do) must each
/// be judged by their own policies, in either order, with no IAM write in between.
#[test]
fn a_cached_caller_view_is_never_lent_to_another_principal() {
    let e = env();
    let allowed = make_user(
        &e,
        "allowed",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:ListSecrets","Resource":"*"}]}"#,
    );
    let other = make_user(
        &e,
        "other",
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"secretsmanager:GetRandomPassword","Resource":"*"}]}"#,
    );
    assert_eq!(allowed.access_key_id, other.access_key_id);
    let list = |c: &Caller| {
        use crate::op::Authorize;
        e.core
            .authorizer()
            .enforce(
                Service::SecretsManager,
                &crate::op::Request {
                    caller: c,
                    region: PRIMARY,
                    now: e.core.now(),
                },
                crate::op::Plan::require("secretsmanager:ListSecrets", None),
            )
            .map(|_| ())
    };
    for _ in 0..2 {
        list(&allowed).unwrap();
        let msg = denied(list(&other).map(|()| Value::empty()));
        assert!(msg.starts_with("User: arn:aws:iam::"), "{msg}");
        assert!(msg.contains(":user/other is not authorized"), "{msg}");
    }
}
