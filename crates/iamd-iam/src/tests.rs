#![expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]
use super::*;
use crate::accounts::Principal;
use iamd_crypto::MasterKey;
use iamd_store::SqliteStore;

const A: &str = "111122223333";

/// What these tests use of the service (iamd-service's `Iamd`): IAM and the accounts, opened as
/// `Iamd::open` opens them.
struct Iamd {
    iam: Arc<Iam>,
    accounts: Arc<Accounts>,
}

fn iamd() -> (Iamd, Arc<dyn Store>, MasterKey) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let core = Iamd {
        accounts: Arc::new(Accounts::open(store.clone(), &mk, false).unwrap()),
        iam: Arc::new(Iam::new(store.clone(), mk.sealing_key(b"mfa-seed v1"))),
    };
    (core, store, mk)
}

fn err(r: Result<impl std::fmt::Debug, Error>) -> (&'static str, String) {
    match r {
        Err(e) if e.code_and_message(iamd_api::Service::Iam).is_some() => e
            .code_and_message(iamd_api::Service::Iam)
            .unwrap_or(("", String::new())),
        other => panic!("expected an AWS error, got {other:?}"),
    }
}

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
/// A role trust policy (Principal required, Resource forbidden).
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A valid identity policy of exactly `size` characters (whitespace not counted).
fn sized_identity(size: usize) -> String {
    let base = r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    base.replacen(
        r#""Sid":"""#,
        &format!(r#""Sid":"{}""#, "a".repeat(size - base.len())),
        1,
    )
}

/// A valid trust policy of exactly `size` characters.
fn sized_trust(size: usize) -> String {
    TRUST.replacen(
        r#""Effect""#,
        &format!(r#""Sid":"{}","Effect""#, "a".repeat(size - TRUST.len() - 9)),
        1,
    )
}

#[test]
fn user_names_are_unique_case_insensitively_and_found_in_any_case() {
    let (c, _, _) = iamd();
    let u = c
        .iam
        .create_user(A, "Alice", "/eng/", None, &[], 5)
        .unwrap();
    assert!(u.id.starts_with("AIDA") && u.id.len() == 21, "{}", u.id);
    assert_eq!(
        err(c.iam.create_user(A, "alice", "/", None, &[], 6)),
        (
            "EntityAlreadyExists",
            "User with name alice already exists.".into()
        )
    );
    assert_eq!(c.iam.get::<UserRecord>(A, "ALICE").unwrap().name, "Alice");
    // Another account is another namespace.
    c.iam
        .create_user("999988887777", "alice", "/", None, &[], 6)
        .unwrap();
    assert_eq!(
        err(c.iam.get::<UserRecord>(A, "bob")),
        (
            "NoSuchEntity",
            "The user with name bob cannot be found.".into()
        )
    );
}

#[test]
fn list_users_pages_with_an_opaque_marker_and_filters_by_path() {
    let (c, _, _) = iamd();
    for n in ["d", "a", "c", "b", "e"] {
        let path = if n == "c" { "/ops/" } else { "/" };
        c.iam.create_user(A, n, path, None, &[], 1).unwrap();
    }
    let p1 = c
        .iam
        .list_users(
            A,
            None,
            PageReq {
                marker: None,
                max_items: Some(2),
            },
        )
        .unwrap();
    let names = |p: &Page<UserRecord>| p.items.iter().map(|u| u.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&p1), ["a", "b"]);
    assert!(p1.is_truncated());
    let p2 = c
        .iam
        .list_users(
            A,
            None,
            PageReq {
                marker: p1.marker.as_deref(),
                max_items: Some(2),
            },
        )
        .unwrap();
    assert_eq!(names(&p2), ["c", "d"]);
    let p3 = c
        .iam
        .list_users(
            A,
            None,
            PageReq {
                marker: p2.marker.as_deref(),
                max_items: Some(2),
            },
        )
        .unwrap();
    assert_eq!(names(&p3), ["e"]);
    assert!(!p3.is_truncated());
    let ops = c
        .iam
        .list_users(A, Some("/ops/"), PageReq::default())
        .unwrap();
    assert_eq!(names(&ops), ["c"]);
}

#[test]
fn access_keys_authenticate_at_once_and_stop_at_once() {
    let (c, store, mk) = iamd();
    c.iam.create_user(A, "bob", "/dev/", None, &[], 1).unwrap();
    let (k1, secret) = c
        .iam
        .create_access_key(&c.accounts, A, KeyScope::User("bob"), 2)
        .unwrap();
    let cred = c.accounts.lookup(&k1.access_key_id).unwrap();
    assert!(cred.active);
    assert_eq!(cred.secret(), secret.as_bytes());
    match &cred.principal {
        Principal::User { name, path, id } => {
            assert_eq!((name.as_str(), path.as_str()), ("bob", "/dev/"));
            assert!(id.starts_with("AIDA"));
        }
        other => panic!("{other:?}"),
    }
    let (k2, _) = c
        .iam
        .create_access_key(&c.accounts, A, KeyScope::User("bob"), 3)
        .unwrap();
    assert_eq!(
        err(c
            .iam
            .create_access_key(&c.accounts, A, KeyScope::User("bob"), 4)),
        (
            "LimitExceeded",
            "Cannot exceed quota for AccessKeysPerUser: 2".into()
        )
    );
    // Survives a restart: a fresh index over the same store knows the user's key.
    let again = Accounts::open(store.clone(), &mk, false).unwrap();
    assert!(matches!(
        again.lookup(&k1.access_key_id).unwrap().principal,
        Principal::User { .. }
    ));

    c.iam
        .update_access_key(
            &c.accounts,
            A,
            KeyScope::User("bob"),
            &k1.access_key_id,
            false,
        )
        .unwrap();
    assert!(!c.accounts.lookup(&k1.access_key_id).unwrap().active);
    c.iam
        .delete_access_key(&c.accounts, A, KeyScope::User("bob"), &k2.access_key_id)
        .unwrap();
    assert!(c.accounts.lookup(&k2.access_key_id).is_none());
    assert_eq!(
        err(c
            .iam
            .delete_access_key(&c.accounts, A, KeyScope::User("bob"), &k2.access_key_id)),
        (
            "NoSuchEntity",
            format!(
                "The Access Key with id {} cannot be found.",
                k2.access_key_id
            )
        )
    );
    // A key of another user is not found through this one.
    c.iam.create_user(A, "carol", "/", None, &[], 1).unwrap();
    assert_eq!(
        err(c.iam.update_access_key(
            &c.accounts,
            A,
            KeyScope::User("carol"),
            &k1.access_key_id,
            true
        ))
        .0,
        "NoSuchEntity"
    );
    // Renaming the user moves the key's principal at once.
    c.iam
        .update_user(&c.accounts, A, "bob", Some("robert"), Some("/ops/"))
        .unwrap();
    match &c.accounts.lookup(&k1.access_key_id).unwrap().principal {
        Principal::User { name, path, .. } => {
            assert_eq!((name.as_str(), path.as_str()), ("robert", "/ops/"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err(c.iam.get::<UserRecord>(A, "bob")).0, "NoSuchEntity");
    let keys = c
        .iam
        .list_access_keys(A, KeyScope::User("robert"), PageReq::default())
        .unwrap();
    assert_eq!(keys.items.len(), 1);
    assert_eq!(keys.items[0].user.as_deref(), Some("robert"));
}

#[test]
fn rename_onto_an_existing_user_changes_nothing() {
    let (c, _, _) = iamd();
    c.iam.create_user(A, "a", "/", None, &[], 1).unwrap();
    c.iam.create_user(A, "b", "/", None, &[], 1).unwrap();
    assert_eq!(
        err(c.iam.update_user(&c.accounts, A, "a", Some("B"), None)),
        (
            "EntityAlreadyExists",
            "User with name B already exists.".into()
        )
    );
    assert_eq!(c.iam.get::<UserRecord>(A, "a").unwrap().name, "a");
    // A change of case only is a rename of the same user.
    c.iam
        .update_user(&c.accounts, A, "a", Some("A"), None)
        .unwrap();
    assert_eq!(c.iam.get::<UserRecord>(A, "a").unwrap().name, "A");
}

#[test]
fn delete_user_refuses_while_anything_remains_in_aws_order() {
    let (c, _, _) = iamd();
    c.iam.create_user(A, "u", "/", None, &[], 1).unwrap();
    let p = c.iam.create_policy(A, "p", "/", DOC, None, &[], 1).unwrap();
    let arn = entity_arn(A, "policy", "/", &p.name);
    c.iam.create_group(A, "g", "/", 1).unwrap();
    let (k, _) = c
        .iam
        .create_access_key(&c.accounts, A, KeyScope::User("u"), 1)
        .unwrap();
    c.iam.put_inline::<UserRecord>(A, "u", "inl", DOC).unwrap();
    c.iam.attach::<UserRecord>(A, "u", &arn).unwrap();
    c.iam.add_user_to_group(A, "g", "u").unwrap();
    let conflict = |m: &str| ("DeleteConflict", format!("Cannot delete entity, {m}"));
    assert_eq!(
        err(c.iam.delete_user(A, "u")),
        conflict("must delete access keys first.")
    );
    c.iam
        .delete_access_key(&c.accounts, A, KeyScope::User("u"), &k.access_key_id)
        .unwrap();
    assert_eq!(
        err(c.iam.delete_user(A, "u")),
        conflict("must delete policies first.")
    );
    c.iam.delete_inline::<UserRecord>(A, "u", "inl").unwrap();
    assert_eq!(
        err(c.iam.delete_user(A, "u")),
        conflict("must detach all policies first.")
    );
    assert_eq!(
        err(c.iam.delete_policy(A, &arn)),
        (
            "DeleteConflict",
            "Cannot delete a policy attached to entities.".into()
        )
    );
    c.iam.detach::<UserRecord>(A, "u", &arn).unwrap();
    assert_eq!(c.iam.get_policy(A, &arn).unwrap().attachment_count, 0);
    assert_eq!(
        err(c.iam.delete_user(A, "u")),
        conflict("must remove users from group first.")
    );
    assert_eq!(
        err(c.iam.delete_group(A, "g")),
        conflict("must remove users from group first.")
    );
    c.iam.remove_user_from_group(A, "g", "u").unwrap();
    // Not a member (any more): AWS answers success.
    c.iam.remove_user_from_group(A, "g", "u").unwrap();
    // Both missing: the user is named.
    assert_eq!(
        err(c.iam.remove_user_from_group(A, "nog", "nou")).1,
        "The user with name nou cannot be found."
    );
    c.iam.delete_user(A, "u").unwrap();
    c.iam.delete_group(A, "g").unwrap();
    c.iam.delete_policy(A, &arn).unwrap();
}

#[test]
fn group_membership_survives_a_group_rename() {
    let (c, _, _) = iamd();
    c.iam.create_user(A, "u", "/", None, &[], 1).unwrap();
    c.iam.create_group(A, "g", "/", 1).unwrap();
    c.iam.add_user_to_group(A, "g", "u").unwrap();
    c.iam.add_user_to_group(A, "G", "U").unwrap(); // idempotent, any case
    c.iam
        .update_group(A, "g", Some("team"), Some("/t/"))
        .unwrap();
    let (g, users) = c.iam.get_group(A, "team", PageReq::default()).unwrap();
    assert_eq!(g.path, "/t/");
    assert_eq!(users.items.len(), 1);
    let groups = c
        .iam
        .list_groups_for_user(A, "u", PageReq::default())
        .unwrap();
    assert_eq!(groups.items[0].name, "team");
    assert_eq!(
        err(c.iam.get_group(A, "g", PageReq::default())),
        (
            "NoSuchEntity",
            "The group with name g cannot be found.".into()
        )
    );
    for i in 0..9 {
        c.iam.create_group(A, &format!("x{i}"), "/", 1).unwrap();
        c.iam.add_user_to_group(A, &format!("x{i}"), "u").unwrap();
    }
    c.iam.create_group(A, "eleventh", "/", 1).unwrap();
    assert_eq!(
        err(c.iam.add_user_to_group(A, "eleventh", "u")),
        (
            "LimitExceeded",
            "Cannot exceed quota for GroupsPerUser: 10".into()
        )
    );
}

#[test]
fn managed_policy_versions() {
    let (c, _, _) = iamd();
    let p = c
        .iam
        .create_policy(A, "p", "/x/", DOC, Some("d"), &[], 1)
        .unwrap();
    assert!(p.id.starts_with("ANPA"));
    assert_eq!(p.default_version, "v1");
    let arn = format!("arn:aws:iam::{A}:policy/x/p");
    assert_eq!(
        err(c.iam.create_policy(A, "P", "/", DOC, None, &[], 1)),
        (
            "EntityAlreadyExists",
            "A policy called P already exists. Duplicate names are not allowed.".into()
        )
    );
    for n in 2..=5 {
        let v = c
            .iam
            .create_policy_version(A, &arn, DOC, n == 3, 2)
            .unwrap();
        assert_eq!(v.id, format!("v{n}"));
    }
    assert_eq!(c.iam.get_policy(A, &arn).unwrap().default_version, "v3");
    assert_eq!(
        err(c.iam.create_policy_version(A, &arn, DOC, false, 3)),
        (
            "LimitExceeded",
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.".into()
        )
    );
    assert_eq!(
        err(c.iam.delete_policy_version(A, &arn, "v3")),
        (
            "DeleteConflict",
            "Cannot delete the default version of a policy.".into()
        )
    );
    c.iam.delete_policy_version(A, &arn, "v1").unwrap();
    // Version numbers are never reused.
    assert_eq!(
        c.iam
            .create_policy_version(A, &arn, DOC, false, 4)
            .unwrap()
            .id,
        "v6"
    );
    c.iam.set_default_policy_version(A, &arn, "v6", 5).unwrap();
    assert_eq!(
        c.iam
            .get_policy_version(A, &arn, "v6")
            .unwrap()
            .0
            .default_version,
        "v6"
    );
    assert_eq!(
        err(c.iam.get_policy_version(A, &arn, "v1")).0,
        "NoSuchEntity"
    );
    // Wrong path, wrong account, unknown AWS managed policy: not found.
    for bad in [
        format!("arn:aws:iam::{A}:policy/p"),
        "arn:aws:iam::999988887777:policy/x/p".to_owned(),
        "arn:aws:iam::aws:policy/NoSuchAwsManagedPolicy".to_owned(),
    ] {
        assert_eq!(
            err(c.iam.get_policy(A, &bad)),
            ("NoSuchEntity", format!("Policy {bad} was not found."))
        );
    }
    assert_eq!(
        err(c.iam.get_policy(A, "not-an-arn")),
        ("ValidationError", "ARN not-an-arn is not valid.".into())
    );
}

#[test]
fn attaching_needs_an_existing_policy_and_respects_the_quota() {
    let (c, _, _) = iamd();
    c.iam
        .create_role(A, "r", "/", TRUST, None, None, None, &[], 1)
        .unwrap();
    // AWS managed policies resolve from iamd-policy's data and attach; their documents cannot be
    // changed; unknown ones are not attachable.
    let aws = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    let read_only = c
        .iam
        .get_policy(A, "arn:aws:iam::aws:policy/ReadOnlyAccess")
        .unwrap();
    assert_eq!(
        (read_only.name.as_str(), read_only.path.as_str()),
        ("ReadOnlyAccess", "/")
    );
    assert!(read_only.id.starts_with("ANPA"));
    c.iam.attach::<RoleRecord>(A, "r", aws).unwrap();
    assert_eq!(
        c.iam.get::<RoleRecord>(A, "r").unwrap().attached,
        vec![aws.to_owned()]
    );
    assert_eq!(err(c.iam.delete_policy(A, aws)).0, "InvalidInput");
    c.iam.detach::<RoleRecord>(A, "r", aws).unwrap();
    let unknown = "arn:aws:iam::aws:policy/NoSuchAwsManagedPolicy";
    assert_eq!(
        err(c.iam.attach::<RoleRecord>(A, "r", unknown)),
        (
            "NoSuchEntity",
            format!("Policy {unknown} does not exist or is not attachable.")
        )
    );
    for i in 0..10 {
        let p = c
            .iam
            .create_policy(A, &format!("p{i}"), "/", DOC, None, &[], 1)
            .unwrap();
        c.iam
            .attach::<RoleRecord>(A, "r", &entity_arn(A, "policy", "/", &p.name))
            .unwrap();
    }
    c.iam
        .create_policy(A, "last", "/", DOC, None, &[], 1)
        .unwrap();
    assert_eq!(
        err(c
            .iam
            .attach::<RoleRecord>(A, "r", &format!("arn:aws:iam::{A}:policy/last"))),
        (
            "LimitExceeded",
            "Cannot exceed quota for PoliciesPerRole: 10".into()
        )
    );
    let e = c
        .iam
        .list_entities_for_policy(A, &format!("arn:aws:iam::{A}:policy/p3"), None)
        .unwrap();
    assert_eq!(e.roles.len(), 1);
    assert_eq!(
        err(c
            .iam
            .detach::<RoleRecord>(A, "r", &format!("arn:aws:iam::{A}:policy/last"))),
        (
            "NoSuchEntity",
            format!("Policy arn:aws:iam::{A}:policy/last was not found.")
        )
    );
}

#[test]
fn roles_trust_limits_and_instance_profiles() {
    let (c, _, _) = iamd();
    let big = sized_trust(2049);
    assert_eq!(
        err(c
            .iam
            .create_role(A, "r", "/", &big, None, None, None, &[], 1)),
        (
            "LimitExceeded",
            "Cannot exceed quota for ACLSizePerRole: 2048".into()
        )
    );
    assert_eq!(err(c.iam.get::<RoleRecord>(A, "r")).0, "NoSuchEntity");
    let r = c
        .iam
        .create_role(
            A,
            "r",
            "/service-role/",
            TRUST,
            Some("d"),
            Some(7200),
            None,
            &[],
            1,
        )
        .unwrap();
    assert!(r.id.starts_with("AROA"));
    assert_eq!(r.max_session, 7200);
    c.iam
        .create_role(A, "r2", "/", TRUST, None, None, None, &[], 1)
        .unwrap();
    let ip = c.iam.create_instance_profile(A, "ip", "/", &[], 1).unwrap();
    assert!(ip.id.starts_with("AIPA"));
    c.iam.add_role_to_instance_profile(A, "ip", "r").unwrap();
    assert_eq!(
        err(c.iam.add_role_to_instance_profile(A, "ip", "r2")),
        (
            "LimitExceeded",
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".into()
        )
    );
    assert_eq!(
        err(c.iam.delete_role(A, "r")),
        (
            "DeleteConflict",
            "Cannot delete entity, must remove roles from instance profile first.".into()
        )
    );
    assert_eq!(
        err(c.iam.delete_instance_profile(A, "ip")),
        (
            "DeleteConflict",
            "Cannot delete entity, must remove roles from instance profile first.".into()
        )
    );
    let for_role = c
        .iam
        .list_instance_profiles(A, None, Some("r"), PageReq::default())
        .unwrap();
    assert_eq!(for_role.items.len(), 1);
    assert_eq!(for_role.items[0].1[0].name, "r");
    c.iam
        .remove_role_from_instance_profile(A, "ip", "r")
        .unwrap();
    assert_eq!(
        err(c.iam.remove_role_from_instance_profile(A, "ip", "r")),
        (
            "NoSuchEntity",
            "Role r in Instance Profile ip cannot be found.".into()
        )
    );
    c.iam.delete_role(A, "r").unwrap();
    c.iam.delete_instance_profile(A, "ip").unwrap();
    assert_eq!(
        err(c.iam.get_instance_profile(A, "ip")),
        (
            "NoSuchEntity",
            "Instance Profile ip cannot be found.".into()
        )
    );
}

#[test]
fn inline_policies_count_against_the_aggregate_quota() {
    let (c, _, _) = iamd();
    c.iam.create_user(A, "u", "/", None, &[], 1).unwrap();
    let half = sized_identity(1020);
    c.iam
        .put_inline::<UserRecord>(A, "u", "one", &half)
        .unwrap();
    c.iam
        .put_inline::<UserRecord>(A, "u", "two", &half)
        .unwrap();
    // Replacing a policy counts only the new text.
    c.iam
        .put_inline::<UserRecord>(A, "u", "two", &half)
        .unwrap();
    assert_eq!(
        err(c.iam.put_inline::<UserRecord>(A, "u", "three", &half)),
        (
            "LimitExceeded",
            "Maximum policy size of 2048 bytes exceeded for user u".into()
        )
    );
    assert_eq!(
        err(c.iam.put_inline::<UserRecord>(A, "u", "bad", "{")),
        (
            "MalformedPolicyDocument",
            "This policy contains invalid Json".into()
        )
    );
    let names = c
        .iam
        .list_inline::<UserRecord>(A, "u", PageReq::default())
        .unwrap();
    assert_eq!(names.items, ["one", "two"]);
    assert_eq!(
        err(c.iam.get_inline::<UserRecord>(A, "u", "three")),
        (
            "NoSuchEntity",
            "The user policy with name three cannot be found.".into()
        )
    );
}

#[test]
fn tags_merge_case_insensitively_and_refuse_duplicates() {
    let (c, _, _) = iamd();
    assert_eq!(
        err(c
            .iam
            .create_user(A, "u", "/", None, &[tag("Env", "a"), tag("env", "b")], 1)),
        (
            "InvalidInput",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into()
        )
    );
    assert_eq!(err(c.iam.get::<UserRecord>(A, "u")).0, "NoSuchEntity");
    c.iam
        .create_user(A, "u", "/", None, &[tag("Env", "a")], 1)
        .unwrap();
    c.iam
        .tag::<UserRecord>(A, "u", &[tag("ENV", "b"), tag("team", "x")])
        .unwrap();
    let tags = c
        .iam
        .list_tags::<UserRecord>(A, "u", PageReq::default())
        .unwrap();
    assert_eq!(tags.items, [tag("ENV", "b"), tag("team", "x")]);
    c.iam
        .untag::<UserRecord>(A, "u", &["env", "absent"])
        .unwrap();
    let tags = c
        .iam
        .list_tags::<UserRecord>(A, "u", PageReq::default())
        .unwrap();
    assert_eq!(tags.items, [tag("team", "x")]);
    let many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    assert_eq!(
        err(c.iam.tag::<UserRecord>(A, "u", &many)),
        (
            "LimitExceeded",
            "Cannot exceed quota for TagsPerUser: 50".into()
        )
    );
    assert_eq!(c.iam.get::<UserRecord>(A, "u").unwrap().tags.len(), 1);
}

#[test]
fn permissions_boundaries_must_exist() {
    let (c, _, _) = iamd();
    let missing = format!("arn:aws:iam::{A}:policy/nope");
    assert_eq!(
        err(c.iam.create_user(A, "u", "/", Some(&missing), &[], 1)),
        (
            "NoSuchEntity",
            format!("Scope ARN: {missing} does not exist or is not attachable.")
        )
    );
    c.iam
        .create_policy(A, "pb", "/", DOC, None, &[], 1)
        .unwrap();
    let pb = format!("arn:aws:iam::{A}:policy/pb");
    c.iam.create_user(A, "u", "/", Some(&pb), &[], 1).unwrap();
    assert_eq!(
        c.iam.get::<UserRecord>(A, "u").unwrap().boundary.as_deref(),
        Some(pb.as_str())
    );
    c.iam.delete_user_boundary(A, "u").unwrap();
    assert!(c.iam.get::<UserRecord>(A, "u").unwrap().boundary.is_none());
    c.iam
        .create_role(A, "r", "/", TRUST, None, None, None, &[], 1)
        .unwrap();
    c.iam.put_role_boundary(A, "r", &pb).unwrap();
    assert_eq!(
        err(c.iam.put_role_boundary(A, "r", &missing)).0,
        "NoSuchEntity"
    );
    assert_eq!(
        c.iam.get::<RoleRecord>(A, "r").unwrap().boundary.as_deref(),
        Some(pb.as_str())
    );
}

#[test]
fn bad_markers_are_refused() {
    let (c, _, _) = iamd();
    assert_eq!(
        err(c.iam.list_users(
            A,
            None,
            PageReq {
                marker: Some("!!"),
                max_items: None
            }
        ))
        .0,
        "ValidationError"
    );
}

#[test]
fn resource_facts_give_tags_and_boundaries_of_the_named_entity() {
    let (c, _, _) = iamd();
    c.iam
        .create_policy(A, "pb", "/x/", DOC, None, &[tag("env", "p")], 1)
        .unwrap();
    let pb = format!("arn:aws:iam::{A}:policy/x/pb");
    c.iam
        .create_user(A, "u", "/eng/", Some(&pb), &[tag("team", "blue")], 1)
        .unwrap();
    c.iam
        .create_role(
            A,
            "r",
            "/",
            TRUST,
            None,
            None,
            None,
            &[tag("team", "red")],
            1,
        )
        .unwrap();
    c.iam
        .create_instance_profile(A, "ip", "/", &[tag("k", "v")], 1)
        .unwrap();
    let u = c
        .iam
        .resource_facts(A, &format!("arn:aws:iam::{A}:user/eng/u"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (u.kind, u.tags, u.boundary),
        ("user", vec![tag("team", "blue")], Some(pb.clone()))
    );
    let r = c
        .iam
        .resource_facts(A, &format!("arn:aws:iam::{A}:role/r"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.kind, r.tags, r.boundary),
        ("role", vec![tag("team", "red")], None)
    );
    let p = c.iam.resource_facts(A, &pb).unwrap().unwrap();
    assert_eq!((p.kind, p.tags), ("policy", vec![tag("env", "p")]));
    let ip = c
        .iam
        .resource_facts(A, &format!("arn:aws:iam::{A}:instance-profile/ip"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (ip.kind, ip.tags),
        ("instance-profile", vec![tag("k", "v")])
    );
    // The wrong path, another account, a missing entity, a group: no facts.
    for arn in [
        format!("arn:aws:iam::{A}:user/u"),
        format!("arn:aws:iam::{A}:policy/pb"),
        "arn:aws:iam::999988887777:role/r".to_owned(),
        format!("arn:aws:iam::{A}:role/nope"),
        format!("arn:aws:iam::{A}:group/g"),
        "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(),
    ] {
        assert!(c.iam.resource_facts(A, &arn).unwrap().is_none(), "{arn}");
    }
}
