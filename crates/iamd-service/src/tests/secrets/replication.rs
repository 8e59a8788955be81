//! Replication to other regions of the same server: replicas are read-only copies, sealed under
//! their own ARN, written in the same transaction as every change to their primary.
//!
//! AWS's texts pinned here and their sources:
//! - `Operation not permitted on a replica secret. Call must be made in primary secret's
//!   region.` (InvalidParameterException): recorded from AWS in gruntwork-io/cloud-nuke#435
//!   (DeleteSecret) and lgallard/terraform-aws-secrets-manager#188 (PutResourcePolicy); moto
//!   pins it for every other write.
//! - `You can't delete secret <arn> that still has replica regions [<r>, …].`
//!   (InvalidParameterException): recorded in cloud-nuke#435 and rebuy-de/aws-nuke#1127.
//! - `Invalid replica region.` (InvalidParameterException): recorded from a Terraform run against
//!   AWS in aws-samples/aws-health-aware#32; used by iamd for unknown regions too [open].
//! - `Replication failed: Secret name <n> already exists in region <r>.`: moto's text [open].
//! - `InSync` / `Replication succeeded` / `alias/aws/secretsmanager`: AWS's examples in
//!   API_DescribeSecret and API_RemoveRegionsFromReplication.

#![expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]

use super::*;
use crate::secrets::valid_replica_region;

const PRIMARY: &str = "us-east-2";
const REPLICA: &str = "eu-west-1";
const READ_ONLY: &str =
    "Operation not permitted on a replica secret. Call must be made in primary secret's region.";

impl Env {
    fn ok_in(&self, region: &str, op: &str, body: &str) -> Value {
        match self.call_as(ACCT, region, op, body) {
            Ok(v) => v,
            Err(e) => panic!("{op} {body} in {region}: {e:?}"),
        }
    }

    fn err_in(&self, region: &str, op: &str, body: &str) -> (&'static str, String) {
        match self.call_as(ACCT, region, op, body) {
            Err(e)
                if e.code_and_message(iamd_api::Service::SecretsManager)
                    .is_some() =>
            {
                e.code_and_message(iamd_api::Service::SecretsManager)
                    .unwrap_or(("", String::new()))
            }
            other => panic!("{op} {body} in {region}: expected an AWS error, got {other:?}"),
        }
    }
}

/// An IAM user of ACCT with one inline policy.
pub(super) fn make_user(e: &Env, name: &str, policy: &str) -> Caller {
    let u = e
        .core
        .iam
        .create_user(ACCT, name, "/", None, &[], T0)
        .unwrap();
    let form: Vec<(String, String)> = [
        ("Action", "PutUserPolicy"),
        ("Version", "2010-05-08"),
        ("UserName", name),
        ("PolicyName", "p"),
        ("PolicyDocument", policy),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (operation, input) = iamd_api::decode_query(Service::Iam, &form).unwrap();
    let root = Caller {
        account: ACCT.into(),
        principal: Principal::Root,
        access_key_id: ACCT.into(),
        session: None,
        origin: Default::default(),
    };
    e.core
        .handle(
            e.core.dispatch(operation).unwrap(),
            &root,
            "us-east-1",
            &input,
        )
        .unwrap();
    Caller {
        account: ACCT.into(),
        principal: Principal::User {
            name: name.into(),
            path: "/".into(),
            id: u.id,
        },
        access_key_id: "AKIAEXAMPLE".into(),
        session: None,
        origin: Default::default(),
    }
}

pub(super) fn call_user(
    e: &Env,
    user: &Caller,
    region: &str,
    op: &str,
    body: &str,
) -> Result<Value, Error> {
    let (operation, input) = iamd_api::decode_json(
        Service::SecretsManager,
        &format!("secretsmanager.{op}"),
        body.as_bytes(),
    )
    .map_err(|e| Error::Internal(format!("decode: {} {}", e.code, e.message)))?;
    e.core
        .handle(e.core.dispatch(operation)?, user, region, &input)
}

fn statuses(v: &Value) -> Vec<(String, String, String, String)> {
    v.list("ReplicationStatus")
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let f = |k: &str| r.str(k).unwrap_or_default().to_owned();
            (f("Region"), f("KmsKeyId"), f("Status"), f("StatusMessage"))
        })
        .collect()
}

fn in_sync(region: &str) -> (String, String, String, String) {
    (
        region.into(),
        "alias/aws/secretsmanager".into(),
        "InSync".into(),
        "Replication succeeded".into(),
    )
}

#[test]
fn a_replica_is_a_read_only_copy_kept_in_sync_with_its_primary() {
    let e = env();
    let arn = create(&e, "app/db", "one", TOKEN_A)
        .str("ARN")
        .unwrap()
        .to_owned();
    let r = e.ok(
        "ReplicateSecretToRegions",
        &format!(r#"{{"SecretId":"app/db","AddReplicaRegions":[{{"Region":"{REPLICA}"}}]}}"#),
    );
    assert_eq!(r.str("ARN"), Some(arn.as_str()));
    assert_eq!(statuses(&r), vec![in_sync(REPLICA)]);

    // Same name and suffix, the replica's region in the ARN.
    let replica_arn = arn.replace(":us-east-2:", ":eu-west-1:");
    let d = e.ok_in(REPLICA, "DescribeSecret", r#"{"SecretId":"app/db"}"#);
    assert_eq!(d.str("ARN"), Some(replica_arn.as_str()));
    assert_eq!(d.str("PrimaryRegion"), Some(PRIMARY));
    assert!(d.list("ReplicationStatus").is_none());
    let p = e.ok("DescribeSecret", r#"{"SecretId":"app/db"}"#);
    assert_eq!(p.str("PrimaryRegion"), Some(PRIMARY));
    assert_eq!(statuses(&p), vec![in_sync(REPLICA)]);
    // A secret that is not replicated shows neither member.
    create(&e, "alone", "x", TOKEN_B);
    let alone = e.ok("DescribeSecret", r#"{"SecretId":"alone"}"#);
    assert!(alone.str("PrimaryRegion").is_none() && alone.list("ReplicationStatus").is_none());

    let v = e.ok_in(
        REPLICA,
        "GetSecretValue",
        &format!(r#"{{"SecretId":"{replica_arn}"}}"#),
    );
    assert_eq!(v.str("SecretString"), Some("one"));
    assert_eq!(v.str("VersionId"), Some(TOKEN_A));

    // Every change to the primary reaches the replica: values, labels, description, tags,
    // resource policy.
    e.ok(
        "PutSecretValue",
        &format!(
            r#"{{"SecretId":"app/db","SecretString":"two","ClientRequestToken":"{TOKEN_B}"}}"#
        ),
    );
    e.ok(
        "UpdateSecret",
        &format!(
            r#"{{"SecretId":"app/db","SecretString":"three","ClientRequestToken":"{TOKEN_C}","Description":"d"}}"#
        ),
    );
    e.ok(
        "UpdateSecretVersionStage",
        &format!(r#"{{"SecretId":"app/db","VersionStage":"BLUE","MoveToVersionId":"{TOKEN_A}"}}"#),
    );
    e.ok(
        "TagResource",
        r#"{"SecretId":"app/db","Tags":[{"Key":"team","Value":"db"}]}"#,
    );
    let policy = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111111111111\"},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}"#;
    e.ok(
        "PutResourcePolicy",
        &format!(r#"{{"SecretId":"app/db","ResourcePolicy":"{policy}"}}"#),
    );
    let p = e.ok("DescribeSecret", r#"{"SecretId":"app/db"}"#);
    let d = e.ok_in(REPLICA, "DescribeSecret", r#"{"SecretId":"app/db"}"#);
    for k in ["Description", "LastChangedDate"] {
        assert_eq!(p.get(k), d.get(k), "{k}");
    }
    assert_eq!(p.get("Tags"), d.get("Tags"));
    assert_eq!(p.get("VersionIdsToStages"), d.get("VersionIdsToStages"));
    assert_eq!(stages_of(&d, TOKEN_A), vec!["BLUE"]);
    assert_eq!(stages_of(&d, TOKEN_C), vec!["AWSCURRENT"]);
    assert_eq!(
        e.ok_in(REPLICA, "GetSecretValue", r#"{"SecretId":"app/db"}"#)
            .str("SecretString"),
        Some("three")
    );
    assert_eq!(
        e.ok_in(
            REPLICA,
            "GetSecretValue",
            r#"{"SecretId":"app/db","VersionStage":"AWSPREVIOUS"}"#
        )
        .str("SecretString"),
        Some("two")
    );
    assert!(
        e.ok_in(REPLICA, "GetResourcePolicy", r#"{"SecretId":"app/db"}"#)
            .str("ResourcePolicy")
            .is_some()
    );

    // Every write on the replica is refused and changes nothing.
    let before = e.dump();
    for (op, body) in [
        (
            "PutSecretValue",
            format!(
                r#"{{"SecretId":"app/db","SecretString":"x","ClientRequestToken":"{TOKEN_A}"}}"#
            ),
        ),
        (
            "UpdateSecret",
            r#"{"SecretId":"app/db","Description":"x"}"#.into(),
        ),
        (
            "UpdateSecretVersionStage",
            format!(r#"{{"SecretId":"app/db","VersionStage":"X","MoveToVersionId":"{TOKEN_A}"}}"#),
        ),
        ("DeleteSecret", r#"{"SecretId":"app/db"}"#.into()),
        (
            "DeleteSecret",
            r#"{"SecretId":"app/db","ForceDeleteWithoutRecovery":true}"#.into(),
        ),
        ("RestoreSecret", r#"{"SecretId":"app/db"}"#.into()),
        (
            "TagResource",
            r#"{"SecretId":"app/db","Tags":[{"Key":"k","Value":"v"}]}"#.into(),
        ),
        (
            "UntagResource",
            r#"{"SecretId":"app/db","TagKeys":["team"]}"#.into(),
        ),
        (
            "PutResourcePolicy",
            format!(r#"{{"SecretId":"app/db","ResourcePolicy":"{policy}"}}"#),
        ),
        ("DeleteResourcePolicy", r#"{"SecretId":"app/db"}"#.into()),
        ("RotateSecret", r#"{"SecretId":"app/db"}"#.into()),
        ("CancelRotateSecret", r#"{"SecretId":"app/db"}"#.into()),
        (
            "ReplicateSecretToRegions",
            r#"{"SecretId":"app/db","AddReplicaRegions":[{"Region":"us-west-2"}]}"#.into(),
        ),
        (
            "RemoveRegionsFromReplication",
            r#"{"SecretId":"app/db","RemoveReplicaRegions":["us-west-2"]}"#.into(),
        ),
    ] {
        assert_eq!(
            e.err_in(REPLICA, op, &body),
            ("InvalidParameterException", READ_ONLY.to_owned()),
            "{op}"
        );
    }
    assert_eq!(e.dump(), before);

    // The copy is sealed under the replica's ARN with its own data key: no record holds a
    // value in plaintext, and the replica's version records are bound to its ARN.
    let dump = e.dump();
    for (_, _, _, data) in &dump {
        for plain in ["one", "two", "three"] {
            let needle = format!("\"{plain}\"");
            assert!(!data.windows(needle.len()).any(|w| w == needle.as_bytes()));
        }
    }
    let replica_versions: Vec<_> = dump
        .iter()
        .filter(|(kind, key, _, _)| {
            kind == crate::secrets::KIND_VERSION && key.starts_with("eu-west-1|")
        })
        .collect();
    assert_eq!(replica_versions.len(), 3);
    for (_, _, _, data) in &replica_versions {
        let text = String::from_utf8_lossy(data);
        assert!(text.contains(&replica_arn), "{text}");
    }
    let sealed_blobs = |region: &str| -> Vec<String> {
        dump.iter()
            .filter(|(kind, key, _, _)| {
                kind == crate::secrets::KIND_VERSION && key.starts_with(&format!("{region}|"))
            })
            .map(|(_, _, _, d)| {
                serde_json::from_slice::<serde_json::Value>(d).unwrap()["sealed_value"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let primary_blobs = sealed_blobs(PRIMARY);
    assert!(
        sealed_blobs(REPLICA)
            .iter()
            .all(|b| !primary_blobs.contains(b))
    );

    // A restart (or another node) rebuilds the same state from the store.
    let reopened = e.reopen();
    let v = call(
        &reopened,
        ACCT,
        REPLICA,
        "GetSecretValue",
        r#"{"SecretId":"app/db"}"#,
    )
    .unwrap();
    assert_eq!(v.str("SecretString"), Some("three"));
    let p = call(
        &reopened,
        ACCT,
        PRIMARY,
        "DescribeSecret",
        r#"{"SecretId":"app/db"}"#,
    )
    .unwrap();
    assert_eq!(statuses(&p), vec![in_sync(REPLICA)]);
}

#[test]
fn bad_replica_regions_are_refused_and_change_nothing() {
    let e = env();
    create(&e, "s", "v", TOKEN_A);
    let before = e.dump();
    for regions in [
        r#"[{"Region":"us-east-2"}]"#,    // the primary's own region
        r#"[{"Region":"xx-nowhere-9"}]"#, // the model's pattern, but no such region
        r#"[{"Region":"cn-north-1"}]"#,   // another partition
        r#"[{}]"#,                        // no region at all
        r#"[{"Region":"eu-west-1"},{"Region":"eu-west-1"}]"#,
        r#"[{"Region":"eu-west-1"},{"Region":"us-east-2"}]"#,
    ] {
        assert_eq!(
            e.err(
                "ReplicateSecretToRegions",
                &format!(r#"{{"SecretId":"s","AddReplicaRegions":{regions}}}"#)
            ),
            (
                "InvalidParameterException",
                "Invalid replica region.".into()
            ),
            "{regions}"
        );
        assert_eq!(
            e.err(
                "CreateSecret",
                &format!(
                    r#"{{"Name":"new","SecretString":"v","ClientRequestToken":"{TOKEN_B}","AddReplicaRegions":{regions}}}"#
                )
            ),
            ("InvalidParameterException", "Invalid replica region.".into()),
            "{regions}"
        );
    }
    // A customer key for the replica is refused like one for the primary (no KMS yet).
    let (code, _) = e.err(
        "ReplicateSecretToRegions",
        r#"{"SecretId":"s","AddReplicaRegions":[{"Region":"eu-west-1","KmsKeyId":"alias/mine"}]}"#,
    );
    assert_eq!(code, "InvalidParameterException");
    // The model's pattern for Region is checked when the request is decoded.
    match e.call(
        "ReplicateSecretToRegions",
        r#"{"SecretId":"s","AddReplicaRegions":[{"Region":"EU_WEST_1"}]}"#,
    ) {
        Err(Error::Internal(m)) => assert!(m.starts_with("decode: ValidationException"), "{m}"),
        other => panic!("{other:?}"),
    }
    let (code, msg) = e.err(
        "ReplicateSecretToRegions",
        r#"{"SecretId":"nope","AddReplicaRegions":[{"Region":"eu-west-1"}]}"#,
    );
    assert_eq!(
        (code, msg.as_str()),
        (
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret."
        )
    );
    assert_eq!(e.dump(), before);
    assert!(valid_replica_region("us-east-2", "eu-west-1"));
    assert!(valid_replica_region("cn-north-1", "cn-northwest-1"));
    assert!(!valid_replica_region("cn-north-1", "us-east-1"));
    assert!(valid_replica_region("local-1", "us-east-1"));
}

#[test]
fn a_name_taken_in_the_target_region_fails_unless_forced() {
    let e = env();
    create(&e, "dup", "primary-value", TOKEN_A);
    let theirs = e.ok_in(
        REPLICA,
        "CreateSecret",
        &format!(r#"{{"Name":"dup","SecretString":"theirs","ClientRequestToken":"{TOKEN_B}"}}"#),
    );
    let theirs_arn = theirs.str("ARN").unwrap().to_owned();
    let r = e.ok(
        "ReplicateSecretToRegions",
        &format!(r#"{{"SecretId":"dup","AddReplicaRegions":[{{"Region":"{REPLICA}"}}]}}"#),
    );
    assert_eq!(
        statuses(&r),
        vec![(
            REPLICA.into(),
            "alias/aws/secretsmanager".into(),
            "Failed".into(),
            format!("Replication failed: Secret name dup already exists in region {REPLICA}.")
        )]
    );
    // The secret in the way is untouched, and it is not a replica.
    let d = e.ok_in(REPLICA, "DescribeSecret", r#"{"SecretId":"dup"}"#);
    assert_eq!(d.str("ARN"), Some(theirs_arn.as_str()));
    assert!(d.str("PrimaryRegion").is_none());
    assert_eq!(
        e.ok_in(REPLICA, "GetSecretValue", r#"{"SecretId":"dup"}"#)
            .str("SecretString"),
        Some("theirs")
    );
    // A failed replica still blocks the primary's deletion; removing it leaves the other
    // secret alone.
    let (code, msg) = e.err("DeleteSecret", r#"{"SecretId":"dup"}"#);
    assert_eq!(code, "InvalidParameterException");
    assert!(
        msg.ends_with(&format!("that still has replica regions [{REPLICA}].")),
        "{msg}"
    );
    // Forcing replaces it: the name now holds the replica, with the primary's value.
    let r = e.ok(
        "ReplicateSecretToRegions",
        &format!(
            r#"{{"SecretId":"dup","AddReplicaRegions":[{{"Region":"{REPLICA}"}}],"ForceOverwriteReplicaSecret":true}}"#
        ),
    );
    assert_eq!(statuses(&r), vec![in_sync(REPLICA)]);
    let d = e.ok_in(REPLICA, "DescribeSecret", r#"{"SecretId":"dup"}"#);
    assert_ne!(d.str("ARN"), Some(theirs_arn.as_str()));
    assert_eq!(d.str("PrimaryRegion"), Some(PRIMARY));
    assert_eq!(
        e.ok_in(REPLICA, "GetSecretValue", r#"{"SecretId":"dup"}"#)
            .str("SecretString"),
        Some("primary-value")
    );
    let (code, _) = e.err_in(
        REPLICA,
        "GetSecretValue",
        &format!(r#"{{"SecretId":"{theirs_arn}"}}"#),
    );
    assert_eq!(code, "ResourceNotFoundException");
    // A replica of another primary is never overwritten, even when forced.
    e.ok_in(
        "us-west-2",
        "CreateSecret",
        &format!(r#"{{"Name":"dup","SecretString":"w","ClientRequestToken":"{TOKEN_C}"}}"#),
    );
    let r = e.ok_in(
        "us-west-2",
        "ReplicateSecretToRegions",
        &format!(
            r#"{{"SecretId":"dup","AddReplicaRegions":[{{"Region":"{REPLICA}"}}],"ForceOverwriteReplicaSecret":true}}"#
        ),
    );
    assert_eq!(statuses(&r)[0].2, "Failed");
    assert_eq!(
        e.ok_in(REPLICA, "GetSecretValue", r#"{"SecretId":"dup"}"#)
            .str("SecretString"),
        Some("primary-value")
    );
}

#[test]
fn create_with_replicas_delete_rules_remove_and_promote() {
    let e = env();
    let c = e.ok(
        "CreateSecret",
        &format!(
            r#"{{"Name":"multi","SecretString":"m","ClientRequestToken":"{TOKEN_A}","AddReplicaRegions":[{{"Region":"eu-west-1"}},{{"Region":"us-west-2"}}]}}"#
        ),
    );
    assert_eq!(
        statuses(&c),
        vec![in_sync("eu-west-1"), in_sync("us-west-2")]
    );
    let arn = c.str("ARN").unwrap().to_owned();
    for region in ["eu-west-1", "us-west-2"] {
        assert_eq!(
            e.ok_in(region, "GetSecretValue", r#"{"SecretId":"multi"}"#)
                .str("SecretString"),
            Some("m")
        );
    }
    // ListSecrets' primary-region filter: secrets that take part in replication, by their
    // primary's region, in every region they are in.
    let filter = r#"{"Filters":[{"Key":"primary-region","Values":["us-east-2"]}]}"#;
    create(&e, "alone", "a", TOKEN_B);
    let names = |v: &Value| -> Vec<String> {
        v.list("SecretList")
            .unwrap_or_default()
            .iter()
            .map(|s| s.str("Name").unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(names(&e.ok("ListSecrets", filter)), vec!["multi"]);
    assert_eq!(
        names(&e.ok_in("us-west-2", "ListSecrets", filter)),
        vec!["multi"]
    );
    let listed = e.ok_in("us-west-2", "ListSecrets", "{}");
    assert_eq!(
        listed.list("SecretList").unwrap()[0].str("PrimaryRegion"),
        Some(PRIMARY)
    );

    // The primary cannot be deleted while it has replicas, even without recovery.
    let before = e.dump();
    for body in [
        r#"{"SecretId":"multi"}"#,
        r#"{"SecretId":"multi","ForceDeleteWithoutRecovery":true}"#,
    ] {
        assert_eq!(
            e.err("DeleteSecret", body),
            (
                "InvalidParameterException",
                format!(
                    "You can't delete secret {arn} that still has replica regions [eu-west-1, us-west-2]."
                )
            )
        );
    }
    assert_eq!(e.dump(), before);

    // Removing a region deletes its replica at once; a region not replicated is ignored.
    let r = e.ok(
        "RemoveRegionsFromReplication",
        r#"{"SecretId":"multi","RemoveReplicaRegions":["eu-west-1","ap-south-1"]}"#,
    );
    assert_eq!(statuses(&r), vec![in_sync("us-west-2")]);
    let (code, _) = e.err_in("eu-west-1", "DescribeSecret", r#"{"SecretId":"multi"}"#);
    assert_eq!(code, "ResourceNotFoundException");

    // StopReplicationToReplica in the replica's region promotes it to a standalone secret.
    let (code, msg) = e.err("StopReplicationToReplica", r#"{"SecretId":"multi"}"#);
    assert_eq!(code, "InvalidParameterException", "{msg}");
    let s = e.ok_in(
        "us-west-2",
        "StopReplicationToReplica",
        r#"{"SecretId":"multi"}"#,
    );
    let promoted_arn = arn.replace(":us-east-2:", ":us-west-2:");
    assert_eq!(s.str("ARN"), Some(promoted_arn.as_str()));
    let d = e.ok_in("us-west-2", "DescribeSecret", r#"{"SecretId":"multi"}"#);
    assert!(d.str("PrimaryRegion").is_none());
    let p = e.ok("DescribeSecret", r#"{"SecretId":"multi"}"#);
    assert!(p.str("PrimaryRegion").is_none() && p.list("ReplicationStatus").is_none());
    // It is writable now, and keeps its value (sealed under its own ARN all along).
    e.ok_in(
        "us-west-2",
        "PutSecretValue",
        &format!(r#"{{"SecretId":"multi","SecretString":"w2","ClientRequestToken":"{TOKEN_B}"}}"#),
    );
    assert_eq!(
        e.ok_in(
            "us-west-2",
            "GetSecretValue",
            r#"{"SecretId":"multi","VersionStage":"AWSPREVIOUS"}"#
        )
        .str("SecretString"),
        Some("m")
    );
    // The former primary no longer writes to it, and may be deleted.
    e.ok(
        "PutSecretValue",
        &format!(r#"{{"SecretId":"multi","SecretString":"p2","ClientRequestToken":"{TOKEN_C}"}}"#),
    );
    assert_eq!(
        e.ok_in("us-west-2", "GetSecretValue", r#"{"SecretId":"multi"}"#)
            .str("SecretString"),
        Some("w2")
    );
    e.ok(
        "DeleteSecret",
        r#"{"SecretId":"multi","ForceDeleteWithoutRecovery":true}"#,
    );
}

#[test]
fn replication_actions_and_condition_keys_are_authorized() {
    let e = env();
    // A user may replicate only to eu-west-1 (secretsmanager:AddReplicaRegions) and only
    // secrets whose primary is us-east-2 (secretsmanager:SecretPrimaryRegion).
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["secretsmanager:CreateSecret","secretsmanager:DescribeSecret","secretsmanager:RemoveRegionsFromReplication"],"Resource":"*"},
        {"Effect":"Allow","Action":"secretsmanager:ReplicateSecretToRegions","Resource":"*",
         "Condition":{"ForAllValues:StringEquals":{"secretsmanager:AddReplicaRegions":["eu-west-1"]}}},
        {"Effect":"Allow","Action":"secretsmanager:StopReplicationToReplica","Resource":"*",
         "Condition":{"StringEquals":{"secretsmanager:SecretPrimaryRegion":"us-west-2"}}}]}"#;
    let user = make_user(&e, "repl", policy);
    let as_user = |region: &str, op: &str, body: &str| call_user(&e, &user, region, op, body);
    create(&e, "s", "v", TOKEN_A);
    let denied = |r: Result<Value, Error>| match r {
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
        other => panic!("{other:?}"),
    };
    let msg = denied(as_user(
        PRIMARY,
        "ReplicateSecretToRegions",
        r#"{"SecretId":"s","AddReplicaRegions":[{"Region":"us-west-2"}]}"#,
    ));
    assert!(
        msg.contains(
            "secretsmanager:ReplicateSecretToRegions on resource: arn:aws:secretsmanager:us-east-2:"
        ),
        "{msg}"
    );
    as_user(
        PRIMARY,
        "ReplicateSecretToRegions",
        r#"{"SecretId":"s","AddReplicaRegions":[{"Region":"eu-west-1"}]}"#,
    )
    .unwrap();
    // CreateSecret with replicas also needs ReplicateSecretToRegions for those regions, on the
    // ARN the secret would have (as CreateSecret itself since issue #11 finding 6; this check
    // was on the bare name `c` before).
    let msg = denied(as_user(
        PRIMARY,
        "CreateSecret",
        &format!(
            r#"{{"Name":"c","SecretString":"v","ClientRequestToken":"{TOKEN_B}","AddReplicaRegions":[{{"Region":"us-west-2"}}]}}"#
        ),
    ));
    assert!(
        msg.contains(&format!(
            "secretsmanager:ReplicateSecretToRegions on resource: arn:aws:secretsmanager:{PRIMARY}:{ACCT}:secret:c-"
        )),
        "{msg}"
    );
    let (code, _) = e.err_in(PRIMARY, "DescribeSecret", r#"{"SecretId":"c"}"#);
    assert_eq!(code, "ResourceNotFoundException");
    // The replica's primary region is us-east-2, not us-west-2.
    let msg = denied(as_user(
        REPLICA,
        "StopReplicationToReplica",
        r#"{"SecretId":"s"}"#,
    ));
    assert!(
        msg.contains(
            "secretsmanager:StopReplicationToReplica on resource: arn:aws:secretsmanager:eu-west-1:"
        ),
        "{msg}"
    );
    as_user(
        PRIMARY,
        "RemoveRegionsFromReplication",
        r#"{"SecretId":"s","RemoveReplicaRegions":["eu-west-1"]}"#,
    )
    .unwrap();
}
