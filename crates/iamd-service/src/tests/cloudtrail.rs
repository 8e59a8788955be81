//! LookupEvents through the whole server object: `cloudtrail:LookupEvents` through the
//! authorizer, the caller's account only, the event query the integrator connects.

use crate::accounts::{Caller, Principal};
use crate::clock::ManualClock;
use crate::cloudtrail::{EventResource, MemoryEvents, StoredEvent};
use crate::error::{Error, to_api_error};
use crate::iam::records::UserRecord;
use crate::service::{Iamd, Options};
use iamd_api::{Service, Value};
use iamd_crypto::MasterKey;
use iamd_store::{SqliteStore, Store};
use std::sync::Arc;

const A: &str = "111122223333";
const B: &str = "444455556666";
const T0: i64 = 1_780_000_000;
const TARGET: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101";

fn event(id: &str, name: &str, time: i64) -> StoredEvent {
    StoredEvent {
        event_id: id.into(),
        event_name: name.into(),
        time,
        event_source: "iam.amazonaws.com".into(),
        read_only: false,
        username: Some("root".into()),
        access_key_id: Some("AKIAROOT".into()),
        resources: vec![EventResource {
            resource_type: "AWS::IAM::User".into(),
            resource_name: "alice".into(),
        }],
        cloudtrail_event: "{}".into(),
    }
}

fn core() -> Iamd {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let events = Arc::new(MemoryEvents::new());
    events.record(A, event("a1", "CreateUser", T0 - 10));
    events.record(B, event("b1", "DeleteUser", T0 - 5));
    Iamd::open(
        store,
        &mk,
        Arc::new(ManualClock::new(T0)),
        Options::default(),
    )
    .unwrap()
    .with_event_query(events)
}

fn call(c: &Iamd, caller: &Caller, op: &str, body: &str) -> Result<Value, Error> {
    let (operation, input) = iamd_api::decode_json(
        Service::CloudTrail,
        &format!("{TARGET}.{op}"),
        body.as_bytes(),
    )
    .map_err(|e| Error::Internal(format!("decode: {} {}", e.code, e.message)))?;
    c.handle(c.dispatch(operation)?, caller, "us-east-1", &input)
}

fn event_ids(v: &Value) -> Vec<String> {
    v.list("Events")
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.str("EventId").map(str::to_owned))
        .collect()
}

fn user(c: &Iamd, name: &str) -> Caller {
    let u = c.iam.create_user(A, name, "/", None, &[], T0).unwrap();
    Caller::long_term(
        A,
        Principal::User {
            name: name.into(),
            path: "/".into(),
            id: u.id,
        },
        "AKIAEXAMPLEUSER0001",
    )
}

#[test]
fn root_sees_its_accounts_events_only() {
    let c = core();
    let root_a = Caller::long_term(A, Principal::Root, "AKIAROOTA");
    let root_b = Caller::long_term(B, Principal::Root, "AKIAROOTB");
    assert_eq!(
        event_ids(&call(&c, &root_a, "LookupEvents", "{}").unwrap()),
        ["a1"]
    );
    assert_eq!(
        event_ids(&call(&c, &root_b, "LookupEvents", "{}").unwrap()),
        ["b1"]
    );
}

#[test]
fn a_user_needs_cloudtrail_lookup_events() {
    let c = core();
    let alice = user(&c, "alice");
    let e = call(&c, &alice, "LookupEvents", "{}").unwrap_err();
    let api = to_api_error(Service::CloudTrail, &e);
    assert_eq!(
        (api.code.as_ref(), api.status),
        ("AccessDeniedException", 400)
    );
    assert!(
        api.message
            .contains("is not authorized to perform: cloudtrail:LookupEvents"),
        "{}",
        api.message
    );
    // Denied before validation: a bad request by a caller without the permission is denied too.
    let e = call(&c, &alice, "LookupEvents", r#"{"MaxResults":51}"#).unwrap_err();
    assert_eq!(
        to_api_error(Service::CloudTrail, &e).code,
        "AccessDeniedException"
    );
    c.iam
        .put_inline::<UserRecord>(
            A,
            "alice",
            "audit",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}"#,
        )
        .unwrap();
    assert_eq!(
        event_ids(&call(&c, &alice, "LookupEvents", "{}").unwrap()),
        ["a1"]
    );
    let e = call(&c, &alice, "LookupEvents", r#"{"MaxResults":51}"#).unwrap_err();
    assert_eq!(
        to_api_error(Service::CloudTrail, &e).code,
        "InvalidMaxResultsException"
    );
    // An explicit deny wins.
    c.iam
        .put_inline::<UserRecord>(
            A,
            "alice",
            "no",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*"}]}"#,
        )
        .unwrap();
    let e = call(&c, &alice, "LookupEvents", "{}").unwrap_err();
    assert_eq!(
        to_api_error(Service::CloudTrail, &e).code,
        "AccessDeniedException"
    );
}

#[test]
fn other_cloudtrail_operations_are_not_implemented() {
    let c = core();
    let root = Caller::long_term(A, Principal::Root, "AKIAROOTA");
    let e = call(&c, &root, "DescribeTrails", "{}").unwrap_err();
    assert!(
        matches!(e, Error::NotImplemented("DescribeTrails")),
        "{e:?}"
    );
    let api = to_api_error(Service::CloudTrail, &e);
    assert_eq!((api.code.as_ref(), api.status), ("NotImplemented", 501));
}

#[test]
fn without_a_connected_store_lookup_finds_nothing() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let c = Iamd::open(
        store,
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(T0)),
        Options::default(),
    )
    .unwrap();
    let root = Caller::long_term(A, Principal::Root, "AKIAROOTA");
    let out = call(&c, &root, "LookupEvents", "{}").unwrap();
    assert!(event_ids(&out).is_empty());
    // Events is present (empty), NextToken absent.
    assert!(out.list("Events").is_some());
    assert!(out.str("NextToken").is_none());
}
