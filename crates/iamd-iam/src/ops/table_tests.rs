//! Checks over every typed IAM operation, as the legacy table's test did for its entries: each
//! needs the IAM action of its own name first (Service Authorization Reference), and only
//! Get*/List* operations run without writing.

use super::TABLES;
use crate::accounts::{Accounts, Caller, Principal};
use crate::domains::IamDomain;
use crate::iam::Iam;
use crate::op::Request;
use iamd_api::Value;
use iamd_api::model::{Service, Shape, ShapeKind};
use iamd_crypto::MasterKey;
use iamd_store::{SqliteStore, Store};
use std::sync::Arc;

/// The smallest input the model accepts in shape: every required member, recursively.
fn minimal(shape: &Shape) -> Value {
    match shape.kind {
        ShapeKind::Structure => Value::Structure(
            shape
                .members
                .iter()
                .filter(|m| m.required)
                .map(|m| {
                    let target = Service::Iam.shape(m.target).unwrap();
                    (m.name, minimal(target))
                })
                .collect(),
        ),
        ShapeKind::List => Value::List(Vec::new()),
        ShapeKind::Map => Value::Map(Vec::new()),
        ShapeKind::String => {
            Value::String(shape.enum_values.first().map_or("Name1", |v| *v).to_owned())
        }
        ShapeKind::Integer | ShapeKind::Long => Value::Integer(1),
        ShapeKind::Boolean => Value::Boolean(false),
        ShapeKind::Timestamp => Value::Timestamp(time::OffsetDateTime::UNIX_EPOCH),
        ShapeKind::Blob => Value::Blob(Vec::new()),
        ShapeKind::Double | ShapeKind::Float => Value::Double(1.0),
    }
}

#[test]
fn every_typed_iam_operation_needs_its_own_action_first_and_only_reads_are_get_or_list() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let d = IamDomain {
        iam: Arc::new(Iam::new(
            store.clone(),
            iamd_crypto::SealingKey::from_bytes([7; 32]),
        )),
        accounts: Arc::new(Accounts::open(store, &mk, false).unwrap()),
    };
    let caller = Caller {
        account: "111122223333".into(),
        principal: Principal::Root,
        access_key_id: "AKIAEXAMPLE".into(),
        session: None,
        origin: Default::default(),
    };
    // ChangePassword is for IAM users only (InvalidUserType for anyone else, before authorization).
    let user = Caller {
        principal: Principal::User {
            name: "u".into(),
            path: "/".into(),
            id: "AIDAEXAMPLEEXAMPLE01".into(),
        },
        ..caller.clone()
    };
    let mut seen = 0;
    for op in TABLES.iter().flat_map(|t| t.iter()) {
        let name = op.name();
        let model = Service::Iam.operation(name).unwrap();
        let input = model.input_shape().map_or_else(Value::empty, minimal);
        let req = Request {
            caller: if name == "ChangePassword" {
                &user
            } else {
                &caller
            },
            region: "us-east-1",
            now: 0,
        };
        let plan = op.plan_only(&d, &req, input).unwrap();
        assert_eq!(
            plan.checks().first().map(|c| c.action),
            Some(format!("iam:{name}").as_str()),
            "{name}"
        );
        let read =
            name.starts_with("Get") || name.starts_with("List") || name.starts_with("Simulate");
        assert_eq!(op.writes_ever(), !read, "{name}");
        seen += 1;
    }
    assert!(seen >= 61, "{seen}");
}

/// Every operation of [`super::IAM_BOUNDARY_ACTIONS`] that acts on an existing user or role
/// carries that entity's current boundary as `iam:PermissionsBoundary`, and no other operation
/// naming the same entities does.
#[test]
fn the_targets_boundary_is_a_key_exactly_of_the_actions_that_list_it() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let d = IamDomain {
        iam: Arc::new(Iam::new(
            store.clone(),
            iamd_crypto::SealingKey::from_bytes([7; 32]),
        )),
        accounts: Arc::new(Accounts::open(store, &mk, false).unwrap()),
    };
    let acct = "111122223333";
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let b = d
        .iam
        .create_policy(acct, "Bound", "/", doc, None, &[], 0)
        .unwrap()
        .arn(acct);
    d.iam
        .create_user(acct, "Name1", "/", Some(&b), &[], 0)
        .unwrap();
    d.iam
        .create_role(acct, "Name1", "/", trust, None, None, Some(&b), &[], 0)
        .unwrap();
    let caller = Caller {
        account: acct.into(),
        principal: Principal::Root,
        access_key_id: "AKIAEXAMPLE".into(),
        session: None,
        origin: Default::default(),
    };
    let req = Request {
        caller: &caller,
        region: "us-east-1",
        now: 0,
    };
    let mut carrying = Vec::new();
    for op in TABLES.iter().flat_map(|t| t.iter()) {
        let model = Service::Iam.operation(op.name()).unwrap();
        let Some(shape) = model.input_shape() else {
            continue;
        };
        if !shape
            .members
            .iter()
            .any(|m| m.required && matches!(m.name, "UserName" | "RoleName"))
        {
            continue;
        }
        let Ok(plan) = op.plan_only(&d, &req, minimal(shape)) else {
            continue;
        };
        let has = plan.checks().first().is_some_and(|c| {
            c.keys.get("iam:PermissionsBoundary").is_some()
                || c.resource
                    .as_ref()
                    .is_some_and(|r| r.keys.get("iam:PermissionsBoundary").is_some())
        });
        if has {
            carrying.push(op.name());
        }
    }
    carrying.sort();
    let mut expected: Vec<&str> = super::IAM_BOUNDARY_ACTIONS
        .iter()
        .copied()
        .filter(|a| !a.starts_with("Create"))
        .collect();
    expected.sort();
    assert_eq!(carrying, expected);
}
