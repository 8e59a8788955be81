//! The behavioural suite every [`Store`] backend must pass. Each case gets a fresh, empty store.
//!
//! Backends call it from their own tests: `for (name, case) in CASES { case(&fresh_store()) }`.
//! The cases panic on failure (they are test code; clippy's panic lint does not apply to them).
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code, compiled outside `cfg(test)` so that every backend's tests can share it: a failed step panics"
)]

use crate::{Expect, Store, StoreError, StoreExt};

type Case = fn(&dyn Store);

pub const CASES: &[(&str, Case)] = &[
    ("put_then_get", put_then_get),
    ("absent_refuses_duplicates", absent_refuses_duplicates),
    ("versions_detect_conflicts", versions_detect_conflicts),
    ("delete_semantics", delete_semantics),
    ("list_is_scoped_and_ordered", list_is_scoped_and_ordered),
    (
        "list_after_pages_in_key_order",
        list_after_pages_in_key_order,
    ),
    ("error_rolls_back_everything", error_rolls_back_everything),
    (
        "clear_removes_records_not_meta",
        clear_removes_records_not_meta,
    ),
    (
        "revision_counts_write_transactions",
        revision_counts_write_transactions,
    ),
    ("binary_data_round_trips", binary_data_round_trips),
    (
        "compare_and_set_lets_one_racer_through",
        compare_and_set_lets_one_racer_through,
    ),
    (
        "audit_query_filters_and_pages",
        audit_query_filters_and_pages,
    ),
    (
        "audit_append_moves_no_revision_and_prunes",
        audit_append_moves_no_revision_and_prunes,
    ),
];

fn audit_row(account: &str, time: i64, id: &str, name: &str, read_only: bool) -> crate::AuditRow {
    crate::AuditRow {
        seq: 0,
        account: account.into(),
        event_time: time,
        event_id: id.into(),
        event_name: name.into(),
        event_source: "iam.amazonaws.com".into(),
        read_only,
        username: "alice".into(),
        access_key_id: "AKIAEXAMPLE".into(),
        resource_types: vec!["AWS::IAM::User".into(), "AWS::IAM::Policy".into()],
        resource_names: vec![format!("arn:aws:iam::{account}:user/{id}"), "arn:p".into()],
        record: format!("{{\"eventID\":\"{id}\"}}"),
    }
}

fn audit_query_filters_and_pages(s: &dyn Store) {
    use crate::{AuditAttribute as At, AuditQuery};
    let a = "111111111111";
    s.audit_append(&[
        audit_row(a, 10, "e1", "CreateUser", false),
        audit_row(a, 20, "e2", "GetUser", true),
        audit_row(a, 20, "e3", "CreateUser", false),
        audit_row("222222222222", 30, "e4", "CreateUser", false),
    ])
    .unwrap();
    // Appending an event again (a retried batch) stores it once.
    s.audit_append(&[audit_row(a, 10, "e1", "CreateUser", false)])
        .unwrap();
    let q = |attribute: Option<At>, limit| AuditQuery {
        account: a.into(),
        attribute,
        start_time: None,
        end_time: None,
        limit,
        cursor: None,
    };
    let ids = |p: &crate::AuditPage| {
        p.events
            .iter()
            .map(|e| e.event_id.clone())
            .collect::<Vec<_>>()
    };
    let all = s.audit_query(&q(None, 50)).unwrap();
    assert_eq!(
        ids(&all),
        ["e3", "e2", "e1"],
        "newest first, then latest stored"
    );
    assert!(all.next.is_none());
    assert_eq!(
        all.events[0].resource_types,
        ["AWS::IAM::User", "AWS::IAM::Policy"]
    );
    assert_eq!(all.events[0].record, "{\"eventID\":\"e3\"}");
    let p1 = s.audit_query(&q(None, 2)).unwrap();
    assert_eq!(ids(&p1), ["e3", "e2"]);
    let p2 = s
        .audit_query(&AuditQuery {
            cursor: p1.next,
            ..q(None, 2)
        })
        .unwrap();
    assert_eq!(ids(&p2), ["e1"]);
    assert!(p2.next.is_none());
    let one = |at: At| ids(&s.audit_query(&q(Some(at), 50)).unwrap());
    assert_eq!(one(At::EventName("CreateUser".into())), ["e3", "e1"]);
    assert_eq!(
        one(At::EventName("createuser".into())),
        Vec::<String>::new(),
        "case-sensitive"
    );
    assert_eq!(one(At::EventId("e2".into())), ["e2"]);
    assert_eq!(one(At::ReadOnly("true".into())), ["e2"]);
    assert_eq!(one(At::ReadOnly("false".into())), ["e3", "e1"]);
    assert_eq!(one(At::Username("alice".into())).len(), 3);
    assert_eq!(one(At::AccessKeyId("AKIAEXAMPLE".into())).len(), 3);
    assert_eq!(one(At::EventSource("iam.amazonaws.com".into())).len(), 3);
    assert_eq!(one(At::ResourceType("AWS::IAM::Policy".into())).len(), 3);
    assert_eq!(
        one(At::ResourceType("AWS::IAM".into())).len(),
        0,
        "whole values only"
    );
    assert_eq!(
        one(At::ResourceName(format!("arn:aws:iam::{a}:user/e2"))),
        ["e2"]
    );
    let ranged = s
        .audit_query(&AuditQuery {
            start_time: Some(15),
            end_time: Some(20),
            ..q(None, 50)
        })
        .unwrap();
    assert_eq!(ids(&ranged), ["e3", "e2"], "inclusive bounds");
    let scanned = s.audit_scan(0, 100).unwrap();
    assert_eq!(scanned.len(), 4);
    assert!(scanned.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(s.audit_scan(scanned[1].seq, 100).unwrap().len(), 2);
}

fn audit_append_moves_no_revision_and_prunes(s: &dyn Store) {
    let before = s.revision().unwrap();
    s.audit_append(&[
        audit_row("111111111111", 10, "old", "CreateUser", false),
        audit_row("111111111111", 100, "new", "CreateUser", false),
    ])
    .unwrap();
    assert_eq!(
        s.revision().unwrap(),
        before,
        "audit events invalidate no cache"
    );
    assert_eq!(s.audit_prune(50).unwrap(), 1);
    let left = s.audit_scan(0, 10).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event_id, "new");
}

fn put_then_get(s: &dyn Store) {
    let v = s
        .write(|tx| tx.put("user", "111111111111", "alice", b"one", Expect::Absent))
        .unwrap();
    assert_eq!(v, 1);
    let r = s
        .read(|tx| tx.get("user", "111111111111", "alice"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.kind.as_str(), r.account.as_str(), r.key.as_str()),
        ("user", "111111111111", "alice")
    );
    assert_eq!((r.version, r.data.as_slice()), (1, &b"one"[..]));
    assert_eq!(
        s.read(|tx| tx.get("user", "222222222222", "alice"))
            .unwrap(),
        None
    );
    assert_eq!(
        s.read(|tx| tx.get("role", "111111111111", "alice"))
            .unwrap(),
        None
    );
    let v2 = s
        .write(|tx| tx.put("user", "111111111111", "alice", b"two", Expect::Any))
        .unwrap();
    assert_eq!(v2, 2);
}

fn absent_refuses_duplicates(s: &dyn Store) {
    s.write(|tx| tx.put("user", "1", "alice", b"a", Expect::Absent))
        .unwrap();
    let err = s
        .write(|tx| tx.put("user", "1", "alice", b"b", Expect::Absent))
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
    let r = s.read(|tx| tx.get("user", "1", "alice")).unwrap().unwrap();
    assert_eq!(r.data, b"a", "a refused write must change nothing");
}

fn versions_detect_conflicts(s: &dyn Store) {
    s.write(|tx| tx.put("role", "1", "r", b"v1", Expect::Absent))
        .unwrap();
    s.write(|tx| tx.put("role", "1", "r", b"v2", Expect::Version(1)))
        .unwrap();
    let err = s
        .write(|tx| tx.put("role", "1", "r", b"stale", Expect::Version(1)))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let err = s
        .write(|tx| tx.put("role", "1", "missing", b"x", Expect::Version(1)))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(
        s.read(|tx| tx.get("role", "1", "r")).unwrap().unwrap().data,
        b"v2"
    );
}

fn delete_semantics(s: &dyn Store) {
    s.write(|tx| tx.put("k", "1", "a", b"x", Expect::Absent))
        .unwrap();
    let err = s
        .write(|tx| tx.delete("k", "1", "a", Expect::Version(7)))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(
        s.write(|tx| tx.delete("k", "1", "a", Expect::Version(1)))
            .unwrap()
    );
    assert!(!s.write(|tx| tx.delete("k", "1", "a", Expect::Any)).unwrap());
    assert_eq!(s.read(|tx| tx.get("k", "1", "a")).unwrap(), None);
    // A deleted key can be created again and starts over at version 1.
    assert_eq!(
        s.write(|tx| tx.put("k", "1", "a", b"y", Expect::Absent))
            .unwrap(),
        1
    );
}

fn list_is_scoped_and_ordered(s: &dyn Store) {
    s.write(|tx| {
        for k in ["c", "a", "b"] {
            tx.put("user", "1", k, k.as_bytes(), Expect::Absent)?;
        }
        tx.put("user", "2", "z", b"z", Expect::Absent)?;
        tx.put("user", "0", "y", b"y", Expect::Absent)?;
        tx.put("group", "1", "g", b"g", Expect::Absent)
    })
    .unwrap();
    let keys: Vec<String> = s
        .read(|tx| tx.list("user", "1"))
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(keys, ["a", "b", "c"]);
    let all: Vec<(String, String)> = s
        .read(|tx| tx.list_kind("user"))
        .unwrap()
        .into_iter()
        .map(|r| (r.account, r.key))
        .collect();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0], ("0".into(), "y".into()));
    assert_eq!(all[4], ("2".into(), "z".into()));
    assert!(s.read(|tx| tx.list("user", "3")).unwrap().is_empty());
}

fn list_after_pages_in_key_order(s: &dyn Store) {
    s.write(|tx| {
        for k in ["d", "b", "a", "c", "e"] {
            tx.put("user", "1", k, k.as_bytes(), Expect::Absent)?;
        }
        tx.put("user", "2", "a0", b"x", Expect::Absent)?;
        tx.put("role", "1", "b0", b"x", Expect::Absent)
    })
    .unwrap();
    let keys = |after: Option<&str>, limit: usize| -> Vec<String> {
        s.read(|tx| tx.list_after("user", "1", after, limit))
            .unwrap()
            .into_iter()
            .map(|r| r.key)
            .collect()
    };
    assert_eq!(keys(None, 2), ["a", "b"]);
    assert_eq!(keys(Some("b"), 2), ["c", "d"]);
    assert_eq!(keys(Some("d"), 2), ["e"]);
    assert!(keys(Some("e"), 2).is_empty());
    assert_eq!(keys(Some("bb"), 10), ["c", "d", "e"]);
    assert_eq!(keys(None, 100).len(), 5);
    assert!(keys(None, 0).is_empty());
}

#[derive(Debug)]
enum AppError {
    Refused,
    Store(StoreError),
}
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

fn error_rolls_back_everything(s: &dyn Store) {
    let before = s.revision().unwrap();
    let r: Result<(), AppError> = s.write(|tx| {
        tx.put("user", "1", "a", b"x", Expect::Absent)?;
        tx.set_meta("m", "v")?;
        Err(AppError::Refused)
    });
    assert!(matches!(r, Err(AppError::Refused)), "{r:?}");
    assert_eq!(s.read(|tx| tx.get("user", "1", "a")).unwrap(), None);
    assert_eq!(s.read(|tx| tx.get_meta("m")).unwrap(), None);
    assert_eq!(s.revision().unwrap(), before);
    // A store error inside the closure also comes back and rolls back.
    s.write(|tx| tx.put("user", "1", "b", b"x", Expect::Absent))
        .unwrap();
    let r: Result<(), AppError> = s.write(|tx| {
        tx.put("user", "1", "c", b"x", Expect::Absent)?;
        tx.put("user", "1", "b", b"x", Expect::Absent)?;
        Ok(())
    });
    assert!(
        matches!(r, Err(AppError::Store(StoreError::AlreadyExists { .. }))),
        "{r:?}"
    );
    assert_eq!(s.read(|tx| tx.get("user", "1", "c")).unwrap(), None);
}

fn clear_removes_records_not_meta(s: &dyn Store) {
    s.write(|tx| {
        tx.put("user", "1", "a", b"x", Expect::Absent)?;
        tx.set_meta("bootstrap", "done")
    })
    .unwrap();
    s.write(|tx| tx.clear()).unwrap();
    assert!(s.read(|tx| tx.list_kind("user")).unwrap().is_empty());
    assert_eq!(
        s.read(|tx| tx.get_meta("bootstrap")).unwrap().as_deref(),
        Some("done")
    );
}

fn revision_counts_write_transactions(s: &dyn Store) {
    let r0 = s.revision().unwrap();
    s.write(|tx| {
        tx.put("a", "1", "x", b"1", Expect::Any)?;
        tx.put("a", "1", "y", b"1", Expect::Any)
    })
    .unwrap();
    assert_eq!(s.revision().unwrap(), r0 + 1);
    // Read-only work in a write transaction does not count.
    s.write(|tx| tx.get("a", "1", "x").map(|_| ())).unwrap();
    assert_eq!(s.revision().unwrap(), r0 + 1);
}

fn binary_data_round_trips(s: &dyn Store) {
    let data: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    s.write(|tx| tx.put("blob", "1", "k", &data, Expect::Absent))
        .unwrap();
    assert_eq!(
        s.read(|tx| tx.get("blob", "1", "k")).unwrap().unwrap().data,
        data
    );
}

/// Writers racing to replace one record at the version they all read (a one-time MFA code being
/// spent through several requests at once): exactly one succeeds, the others see `Conflict`.
fn compare_and_set_lets_one_racer_through(s: &dyn Store) {
    const RACERS: usize = 6;
    for round in 0..5u8 {
        let key = format!("device{round}");
        s.write(|tx| tx.put("mfa", "1", &key, b"fresh", Expect::Absent))
            .unwrap();
        let v = s
            .read(|tx| tx.get("mfa", "1", &key))
            .unwrap()
            .unwrap()
            .version;
        let barrier = std::sync::Barrier::new(RACERS);
        let results: Vec<Result<i64, StoreError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..RACERS)
                .map(|i| {
                    let (barrier, key) = (&barrier, &key);
                    scope.spawn(move || {
                        barrier.wait();
                        let data = format!("spent by {i}");
                        s.write(|tx| tx.put("mfa", "1", key, data.as_bytes(), Expect::Version(v)))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Ok(_) | Err(StoreError::Conflict { .. }))),
            "{results:?}"
        );
        let r = s.read(|tx| tx.get("mfa", "1", &key)).unwrap().unwrap();
        assert_eq!(r.version, v + 1);
        assert!(r.data.starts_with(b"spent by "));
    }
}
