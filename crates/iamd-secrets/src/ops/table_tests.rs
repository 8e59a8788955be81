//! Checks over every typed Secrets Manager operation, as the legacy table's test did for its
//! entries: each needs `secretsmanager:<its own name>` first (Service Authorization Reference),
//! and only the reads run without writing.

use super::TABLES;
use crate::accounts::{Caller, Principal};
use crate::domains::SecretsDomain;
use crate::iam::Iam;
use crate::op::Request;
use crate::secrets::Secrets;
use iamd_api::Value;
use iamd_api::model::{Service, Shape, ShapeKind};
use iamd_crypto::MasterKey;
use iamd_store::{SqliteStore, Store};
use std::sync::Arc;

/// The reads: every other operation writes.
const READS: &[&str] = &[
    "GetSecretValue",
    "BatchGetSecretValue",
    "DescribeSecret",
    "ListSecrets",
    "ListSecretVersionIds",
    "GetResourcePolicy",
    "ValidateResourcePolicy",
    "GetRandomPassword",
];

/// The smallest input the model accepts in shape: every required member, recursively.
fn minimal(shape: &Shape) -> Value {
    match shape.kind {
        ShapeKind::Structure => Value::Structure(
            shape
                .members
                .iter()
                .filter(|m| m.required)
                .map(|m| {
                    let target = Service::SecretsManager.shape(m.target).unwrap();
                    (m.name, minimal(target))
                })
                .collect(),
        ),
        ShapeKind::List => Value::List(Vec::new()),
        ShapeKind::Map => Value::Map(Vec::new()),
        ShapeKind::String => {
            Value::String(shape.enum_values.first().map_or("name1", |v| *v).to_owned())
        }
        ShapeKind::Integer | ShapeKind::Long => Value::Integer(1),
        ShapeKind::Boolean => Value::Boolean(false),
        ShapeKind::Timestamp => Value::Timestamp(time::OffsetDateTime::UNIX_EPOCH),
        ShapeKind::Blob => Value::Blob(Vec::new()),
        ShapeKind::Double | ShapeKind::Float => Value::Double(1.0),
    }
}

#[test]
fn every_typed_secrets_operation_needs_its_own_action_first_and_only_reads_do_not_write() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let d = SecretsDomain {
        secrets: Arc::new(Secrets::open(store.clone(), &mk).unwrap()),
        iam: Arc::new(Iam::new(
            store,
            iamd_crypto::SealingKey::from_bytes([7; 32]),
        )),
        rotation: Arc::new(crate::rotation::Engine::new(Arc::new(
            iamd_core::clock::ManualClock::new(0),
        ))),
    };
    let caller = Caller {
        account: "111122223333".into(),
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
    let mut seen = 0;
    for op in TABLES.iter().flat_map(|t| t.iter()) {
        let name = op.name();
        let model = Service::SecretsManager.operation(name).unwrap();
        let input = model.input_shape().map_or_else(Value::empty, minimal);
        let plan = op.plan_only(&d, &req, input).unwrap();
        assert_eq!(
            plan.checks().first().map(|c| c.action),
            Some(format!("secretsmanager:{name}").as_str()),
            "{name}"
        );
        assert_eq!(op.writes_ever(), !READS.contains(&name), "{name}");
        seen += 1;
    }
    assert!(seen >= 5, "{seen}");
}
