//! Property: every operation authorizes the entity it acts on — by that entity's canonical ARN.
//!
//! IAM names are unique case-insensitively, so a request naming `alice` acts on the user
//! `Alice` (path `/dev/`). Authorization must then be on `arn:…:user/dev/Alice`, never on an
//! ARN built from the text sent (`user/alice`): otherwise a Deny on `Alice`, or on its tags, is
//! bypassed by changing the case (issue #11, finding 1). This test takes every operation of the
//! typed IAM table, names each entity of a fixed world in another case, and checks that every
//! resource the operation's plan names, if it is one of the world's entities at all, is that
//! entity's canonical ARN. The list of operations comes from the table, so an operation added
//! later is covered without editing this file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iamd_api::{Service, Value};
use iamd_crypto::MasterKey;
use iamd_service::clock::ManualClock;
use iamd_service::registry;
use iamd_service::{Caller, Dispatch, Iamd, Options, Principal};
use iamd_store::SqliteStore;
use std::sync::Arc;

const A: &str = "111122223333";
const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// (resource type, canonical name, path) of the world's entities.
const WORLD: &[(&str, &str, &str)] = &[
    ("user", "Alice", "/dev/"),
    ("group", "Admins", "/g/"),
    ("role", "Deployer", "/svc/"),
    ("policy", "Pol", "/p/"),
    ("instance-profile", "Prof", "/ip/"),
    ("mfa", "Phone", "/m/"),
];

fn canonical(kind: &str) -> String {
    let (_, name, path) = WORLD.iter().find(|(k, _, _)| *k == kind).unwrap();
    format!("arn:aws:iam::{A}:{kind}{path}{name}")
}

fn root() -> Caller {
    Caller::long_term(A, Principal::Root, "AKIAROOTROOTROOTROOT")
}

/// The world's user as a caller (ChangePassword is for IAM users only).
fn alice(core: &Iamd) -> Caller {
    let user = core
        .iam
        .get::<iamd_service::iam::UserRecord>(A, "Alice")
        .unwrap();
    Caller::long_term(
        A,
        Principal::User {
            name: user.name,
            path: user.path,
            id: user.id,
        },
        "AKIAALICEALICEALICEA",
    )
}

fn call(core: &Iamd, op: &str, params: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("Action".to_owned(), op.to_owned()),
        ("Version".to_owned(), "2010-05-08".to_owned()),
    ];
    form.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let (op, input) = iamd_api::decode_query(Service::Iam, &form).unwrap();
    core.handle(core.dispatch(op).unwrap(), &root(), "us-east-1", &input)
        .unwrap_or_else(|e| panic!("{}: {e:?}", op.name))
}

fn world() -> Iamd {
    let core = Iamd::open(
        Arc::new(SqliteStore::open_in_memory().unwrap()),
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(1_800_000_000)),
        Options::default(),
    )
    .unwrap();
    core.accounts.ensure_account(A, 1_800_000_000).unwrap();
    let pol = canonical("policy");
    call(
        &core,
        "CreateUser",
        &[("UserName", "Alice"), ("Path", "/dev/")],
    );
    call(
        &core,
        "CreateGroup",
        &[("GroupName", "Admins"), ("Path", "/g/")],
    );
    call(
        &core,
        "AddUserToGroup",
        &[("GroupName", "Admins"), ("UserName", "Alice")],
    );
    call(
        &core,
        "CreateRole",
        &[
            ("RoleName", "Deployer"),
            ("Path", "/svc/"),
            ("AssumeRolePolicyDocument", TRUST),
        ],
    );
    call(
        &core,
        "CreatePolicy",
        &[
            ("PolicyName", "Pol"),
            ("Path", "/p/"),
            ("PolicyDocument", DOC),
        ],
    );
    for (op, who, name) in [
        ("AttachUserPolicy", "UserName", "Alice"),
        ("AttachGroupPolicy", "GroupName", "Admins"),
        ("AttachRolePolicy", "RoleName", "Deployer"),
    ] {
        call(&core, op, &[(who, name), ("PolicyArn", pol.as_str())]);
    }
    for (op, who, name) in [
        ("PutUserPolicy", "UserName", "Alice"),
        ("PutGroupPolicy", "GroupName", "Admins"),
        ("PutRolePolicy", "RoleName", "Deployer"),
    ] {
        call(
            &core,
            op,
            &[
                (who, name),
                ("PolicyName", "Inline"),
                ("PolicyDocument", DOC),
            ],
        );
    }
    call(
        &core,
        "CreateInstanceProfile",
        &[("InstanceProfileName", "Prof"), ("Path", "/ip/")],
    );
    call(
        &core,
        "AddRoleToInstanceProfile",
        &[("InstanceProfileName", "Prof"), ("RoleName", "Deployer")],
    );
    call(
        &core,
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", "Phone"), ("Path", "/m/")],
    );
    core
}

/// The value a request gives a member: world entities in another case than they were created
/// with (`alice` for `Alice`), new names for the entity a Create* operation makes.
fn value_for(op: &str, member: &str) -> Option<String> {
    let creates = |kind: &str| op == format!("Create{kind}");
    Some(match member {
        "UserName" if creates("User") => "Newbie".into(),
        "GroupName" if creates("Group") => "NewGroup".into(),
        "RoleName" if creates("Role") => "NewRole".into(),
        "InstanceProfileName" if creates("InstanceProfile") => "NewProf".into(),
        "PolicyName" if creates("Policy") => "NewPol".into(),
        "UserName" => "alice".into(),
        "GroupName" => "admins".into(),
        "RoleName" => "deployer".into(),
        "InstanceProfileName" => "prof".into(),
        "PolicyArn" | "PermissionsBoundary" => format!("arn:aws:iam::{A}:policy/p/pol"),
        "SerialNumber" => format!("arn:aws:iam::{A}:mfa/m/phone"),
        "PolicyName" => "inline".into(),
        "PolicyDocument" => DOC.into(),
        "AssumeRolePolicyDocument" => TRUST.into(),
        "VirtualMFADeviceName" => "NewPhone".into(),
        "AccessKeyId" => "AKIAIOSFODNN7EXAMPLE".into(),
        "Status" => "Inactive".into(),
        "AuthenticationCode1" => "123456".into(),
        "AuthenticationCode2" => "654321".into(),
        "VersionId" => "v1".into(),
        "Description" => "d".into(),
        "NewPassword" | "OldPassword" | "Password" => "Correct-Horse-9".into(),
        "PolicySourceArn" => format!("arn:aws:iam::{A}:user/dev/alice"),
        _ => return None,
    })
}

/// The query parameters of a request to `op` naming the world's entities, and whether any member
/// named one of them.
fn params_for(op: &iamd_api::Operation) -> Option<(Vec<(String, String)>, bool)> {
    let mut form = vec![
        ("Action".to_owned(), op.name.to_owned()),
        ("Version".to_owned(), "2010-05-08".to_owned()),
    ];
    let Some(shape) = op.input_shape() else {
        return Some((form, false));
    };
    let mut names_world = false;
    for m in shape.members {
        let naming = matches!(
            m.name,
            "UserName"
                | "GroupName"
                | "RoleName"
                | "InstanceProfileName"
                | "PolicyArn"
                | "SerialNumber"
        );
        let target = Service::Iam.shape(m.target)?;
        if !m.required && !naming {
            continue;
        }
        match (value_for(op.name, m.name), target.kind) {
            (Some(v), iamd_api::ShapeKind::String) => {
                names_world |= naming && !op.name.starts_with("Create");
                form.push((m.name.to_owned(), v));
            }
            (_, iamd_api::ShapeKind::List) if m.name == "Tags" => {
                form.push(("Tags.member.1.Key".into(), "k".into()));
                form.push(("Tags.member.1.Value".into(), "v".into()));
            }
            (_, iamd_api::ShapeKind::List) if m.name == "TagKeys" => {
                form.push(("TagKeys.member.1".into(), "k".into()));
            }
            _ if m.required => return None,
            _ => {}
        }
    }
    Some((form, names_world))
}

#[test]
fn every_typed_iam_operation_authorizes_the_canonical_arn_of_what_it_names() {
    let core = world();
    let (root, alice) = (root(), alice(&core));
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    for entry in registry::all().filter(|e| e.service() == Service::Iam) {
        let op = Service::Iam.operation(entry.name()).unwrap();
        let Some((form, names_world)) = params_for(op) else {
            skipped.push(entry.name());
            continue;
        };
        let (_, input) = iamd_api::decode_query(Service::Iam, &form)
            .unwrap_or_else(|e| panic!("{}: synthesized input rejected: {e:?}", op.name));
        let caller = if op.name == "ChangePassword" {
            &alice
        } else {
            &root
        };
        let plan = core
            .plan_of(Dispatch::Typed(entry), caller, "us-east-1", input)
            .unwrap_or_else(|e| panic!("{}: resolve/plan failed: {e:?}", op.name));
        let mut named_canonical = false;
        for check in plan.checks() {
            let Some(r) = &check.resource else { continue };
            for (kind, name, _) in WORLD {
                let arn = iamd_service::arn::Arn::parse(&r.name);
                let Ok(arn) = arn else { continue };
                if arn.resource_type() == *kind && arn.name().eq_ignore_ascii_case(name) {
                    assert_eq!(
                        r.name,
                        canonical(kind),
                        "{}: {} authorized on {}, not on the canonical ARN",
                        op.name,
                        check.action,
                        r.name
                    );
                    named_canonical = true;
                }
            }
        }
        if names_world && plan.checks().iter().any(|c| c.resource.is_some()) {
            assert!(
                named_canonical,
                "{}: names a world entity but authorizes none of them: {:?}",
                op.name,
                plan.checks()
                    .iter()
                    .map(|c| c.resource.as_ref().map(|r| r.name.clone()))
                    .collect::<Vec<_>>()
            );
        }
        checked.push(op.name);
    }
    assert!(
        checked.len() >= 8,
        "checked {checked:?}, skipped (no synthesizable input) {skipped:?}"
    );
    assert!(
        skipped.is_empty(),
        "operations without a synthesizable input: {skipped:?}; teach value_for their members"
    );
}

#[test]
fn assume_role_is_authorized_on_the_canonical_arn_of_the_role_it_names() {
    let core = world();
    let alice = alice(&core);
    let form = vec![
        ("Action".to_owned(), "AssumeRole".to_owned()),
        ("Version".to_owned(), "2011-06-15".to_owned()),
        (
            "RoleArn".to_owned(),
            format!("arn:aws:iam::{A}:role/svc/DEPLOYER"),
        ),
        ("RoleSessionName".to_owned(), "session".to_owned()),
    ];
    let (op, input) = iamd_api::decode_query(Service::Sts, &form).unwrap();
    let plan = core
        .plan_of(core.dispatch(op).unwrap(), &alice, "us-east-1", input)
        .unwrap();
    let resources: Vec<String> = plan
        .checks()
        .iter()
        .filter_map(|c| c.resource.as_ref().map(|r| r.name.clone()))
        .collect();
    assert_eq!(resources, vec![canonical("role")]);
}
