//! Property: every operation authorizes the entity it acts on — by that entity's canonical ARN.
//!
//! IAM names are unique case-insensitively, so a request naming `alice` acts on the user
//! `Alice` (path `/dev/`). Authorization must then be on `arn:…:user/dev/Alice`, never on an
//! ARN built from the text sent (`user/alice`): otherwise a Deny on `Alice`, or on its tags, is
//! bypassed by changing the case (issue #11, finding 1). This test takes every operation of the
//! typed IAM table, names each entity of a fixed world in another case, and checks that every
//! resource the operation's plan names, if it is one of the world's entities at all, is that
//! entity's canonical ARN. The list of operations comes from the table, so an operation added
//! later is covered without editing this file. The same holds for Secrets Manager (below): a
//! secret named by name, partial ARN or full ARN is authorized on its full ARN.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iamd_api::{Service, Value};
use iamd_crypto::MasterKey;
use iamd_service::clock::ManualClock;
use iamd_service::registry;
use iamd_service::{Caller, Iamd, Options, Principal};
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
        "PolicyDocument" | "PolicyInputList" => DOC.into(),
        "ActionNames" => "s3:GetObject".into(),
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
        // GenerateServiceLastAccessedDetails names a user, role, group or policy by ARN.
        "Arn" => format!("arn:aws:iam::{A}:user/dev/alice"),
        "JobId" => "00000000-0000-4000-8000-000000000000".into(),
        "ServiceNamespace" => "iam".into(),
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
                | "Arn"
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
            (Some(v), iamd_api::ShapeKind::List) => {
                form.push((format!("{}.member.1", m.name), v));
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
            .plan_of(entry, caller, "us-east-1", input)
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

// --- Secrets Manager --------------------------------------------------------------------------
//
// A secret's ARN carries a random suffix, and a request may name the secret by name, by partial
// ARN (without the suffix) or by full ARN — in the ARN's account for an ARN. Whatever the form,
// the request must be authorized on the secret's full ARN, in its account, with its
// `secretsmanager:SecretId`: a policy scoped to the ARN (`secret:app/*`, `secret:app/db-??????`)
// must see the same resource for the three forms, and a Deny on it must stop all three.

const B: &str = "444455556666";
const SM_REGION: &str = "us-east-1";

fn sm_call(core: &Iamd, caller: &Caller, op: &str, body: serde_json::Value) -> Value {
    let (operation, input) = iamd_api::decode_json(
        Service::SecretsManager,
        &format!("secretsmanager.{op}"),
        body.to_string().as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{op}: {} {}", e.code, e.message));
    core.handle(core.dispatch(operation).unwrap(), caller, SM_REGION, &input)
        .unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

/// A JSON value of the model's shape for member `member` of `op`: the secret id given for the
/// members that name a secret, something valid for the others.
fn sm_value(op: &str, member: &str, shape: &iamd_api::Shape, id: &str) -> serde_json::Value {
    use serde_json::json;
    match member {
        "SecretId" => json!(id),
        "SecretIdList" => json!([id]),
        "Name" if op == "CreateSecret" => json!("app/new"),
        "ResourcePolicy" => json!(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
        ),
        "VersionStage" => json!("AWSCURRENT"),
        "Tags" => json!([{"Key": "k", "Value": "v"}]),
        "TagKeys" => json!(["k"]),
        "AddReplicaRegions" => json!([{"Region": "eu-west-1"}]),
        "RemoveReplicaRegions" => json!(["eu-west-1"]),
        _ => match shape.kind {
            iamd_api::ShapeKind::String => {
                json!(shape.enum_values.first().copied().unwrap_or("x"))
            }
            iamd_api::ShapeKind::List => json!([]),
            iamd_api::ShapeKind::Boolean => json!(false),
            iamd_api::ShapeKind::Integer | iamd_api::ShapeKind::Long => json!(1),
            _ => panic!("{op}.{member}: teach sm_value this member"),
        },
    }
}

/// A request to `op` naming `id` (when it takes a secret), with every required member.
fn sm_request(op: &iamd_api::Operation, id: &str) -> (serde_json::Value, bool) {
    let mut body = serde_json::Map::new();
    let mut names_secret = false;
    if let Some(shape) = op.input_shape() {
        for m in shape.members {
            let naming = matches!(m.name, "SecretId" | "SecretIdList");
            if !m.required && !naming {
                continue;
            }
            let target = Service::SecretsManager.shape(m.target).unwrap();
            body.insert(m.name.to_owned(), sm_value(op.name, m.name, target, id));
            names_secret |= naming;
        }
    }
    (serde_json::Value::Object(body), names_secret)
}

#[test]
fn every_typed_secrets_operation_authorizes_the_full_arn_whatever_form_names_the_secret() {
    let core = Iamd::open(
        Arc::new(SqliteStore::open_in_memory().unwrap()),
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(1_800_000_000)),
        Options::default(),
    )
    .unwrap();
    for account in [A, B] {
        core.accounts
            .ensure_account(account, 1_800_000_000)
            .unwrap();
    }
    let root_of =
        |account: &str| Caller::long_term(account, Principal::Root, "AKIAROOTROOTROOTROOT");
    // One secret in each account; the one in B is named only by ARN (cross-account access).
    let create = |account: &str| {
        let out = sm_call(
            &core,
            &root_of(account),
            "CreateSecret",
            serde_json::json!({
                "Name": "app/db",
                "SecretString": "pw",
                "ClientRequestToken": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
                "Tags": [{"Key": "team", "Value": "blue"}],
            }),
        );
        out.str("ARN").unwrap().to_owned()
    };
    let (arn_a, arn_b) = (create(A), create(B));
    let partial =
        |account: &str| format!("arn:aws:secretsmanager:{SM_REGION}:{account}:secret:app/db");
    assert!(arn_a.starts_with(&format!("{}-", partial(A))) && arn_a.len() == partial(A).len() + 7);
    let forms: Vec<(String, &str, &str)> = vec![
        ("app/db".into(), A, arn_a.as_str()),
        (partial(A), A, arn_a.as_str()),
        (arn_a.clone(), A, arn_a.as_str()),
        (partial(B), B, arn_b.as_str()),
        (arn_b.clone(), B, arn_b.as_str()),
    ];
    let caller = root_of(A);
    let mut naming = Vec::new();
    let mut others = Vec::new();
    for entry in registry::all().filter(|e| e.service() == Service::SecretsManager) {
        let op = Service::SecretsManager.operation(entry.name()).unwrap();
        for (id, account, full) in &forms {
            let (body, names_secret) = sm_request(op, id);
            let (_, input) = iamd_api::decode_json(
                Service::SecretsManager,
                &format!("secretsmanager.{}", op.name),
                body.to_string().as_bytes(),
            )
            .unwrap_or_else(|e| panic!("{}: synthesized input rejected: {e:?}", op.name));
            let plan = core
                .plan_of(entry, &caller, SM_REGION, input)
                .unwrap_or_else(|e| panic!("{} {id}: resolve/plan failed: {e:?}", op.name));
            let on_secret: Vec<_> = plan
                .checks()
                .iter()
                .filter_map(|c| c.resource.as_ref().map(|r| (c.action, r)))
                .collect();
            if names_secret {
                assert!(
                    !on_secret.is_empty(),
                    "{} {id}: authorizes no resource",
                    op.name
                );
            }
            for (action, r) in on_secret {
                if op.name == "CreateSecret" {
                    // The ARN it will create: its name and a six-character suffix.
                    let new = format!("arn:aws:secretsmanager:{SM_REGION}:{A}:secret:app/new-");
                    assert!(
                        r.name.starts_with(&new) && r.name.len() == new.len() + 6,
                        "{action}: {}",
                        r.name
                    );
                    continue;
                }
                assert_eq!(
                    r.name, *full,
                    "{} {id}: {action} authorized on {}",
                    op.name, r.name
                );
                assert_eq!(
                    r.account.as_deref(),
                    Some(*account),
                    "{} {id}: {action}",
                    op.name
                );
                let secret_id = r
                    .keys
                    .get("secretsmanager:SecretId")
                    .map(|e| e.values[0].as_text().into_owned());
                assert_eq!(
                    secret_id.as_deref(),
                    Some(*full),
                    "{} {id}: {action}",
                    op.name
                );
                let tag = r
                    .keys
                    .get("aws:ResourceTag/team")
                    .map(|e| e.values[0].as_text().into_owned());
                assert_eq!(tag.as_deref(), Some("blue"), "{} {id}: {action}", op.name);
            }
            if id == "app/db" {
                if names_secret {
                    naming.push(op.name);
                } else {
                    others.push(op.name);
                }
            }
        }
    }
    // Every operation that takes a SecretId (or a list of them) was checked with each form.
    let takes_secret: Vec<&str> = registry::all()
        .filter(|e| e.service() == Service::SecretsManager)
        .map(|e| e.name())
        .filter(|name| {
            let op = Service::SecretsManager.operation(name).unwrap();
            op.input_shape().is_some_and(|s| {
                s.members
                    .iter()
                    .any(|m| matches!(m.name, "SecretId" | "SecretIdList"))
            })
        })
        .collect();
    assert_eq!(naming, takes_secret);
    assert!(naming.len() >= 19, "{naming:?}");
    assert_eq!(
        others
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        ["CreateSecret", "GetRandomPassword", "ListSecrets"]
            .into_iter()
            .collect()
    );
}
