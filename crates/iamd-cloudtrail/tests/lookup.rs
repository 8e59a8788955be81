#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]
//! LookupEvents over the in-memory query: every attribute, the window, paging, CloudTrail's
//! validation exceptions, and the JSON path from the wire (the model's relaxed constraints let
//! CloudTrail's own exceptions through).

use iamd_api::cloudtrail::{LookupAttribute, LookupEventsRequest, LookupEventsResponse};
use iamd_api::{FromValue, IntoValue, Service, decode_json, encode_json_response};
use iamd_cloudtrail::lookup::lookup_events;
use iamd_cloudtrail::{EventQuery, EventResource, MemoryEvents, Query, StoredEvent};
use iamd_core::error::{Error, to_api_error};

const A: &str = "111122223333";
const B: &str = "444455556666";
const NOW: i64 = 1_780_000_000;
const TARGET: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";

fn event(id: &str, name: &str, time: i64, read_only: bool, user: &str, key: &str) -> StoredEvent {
    StoredEvent {
        event_id: id.into(),
        event_name: name.into(),
        time,
        event_source: if name.ends_with("Secret") || name.ends_with("SecretValue") {
            "secretsmanager.amazonaws.com".into()
        } else {
            "iam.amazonaws.com".into()
        },
        read_only,
        username: Some(user.into()),
        access_key_id: Some(key.into()),
        resources: vec![EventResource {
            resource_type: "AWS::IAM::User".into(),
            resource_name: format!("{user}-res"),
        }],
        cloudtrail_event: format!(r#"{{"eventID":"{id}","eventName":"{name}"}}"#),
    }
}

fn store() -> MemoryEvents {
    let m = MemoryEvents::new();
    m.record(
        A,
        event("e1", "CreateUser", NOW - 500, false, "alice", "AKIAALICE"),
    );
    m.record(
        A,
        event("e2", "GetSecretValue", NOW - 400, true, "bob", "AKIABOB"),
    );
    m.record(
        A,
        event("e3", "ListUsers", NOW - 300, true, "alice", "AKIAALICE"),
    );
    m.record(
        A,
        event("e4", "DeleteSecret", NOW - 200, false, "root", "AKIAROOT"),
    );
    m.record(
        A,
        event("e5", "CreateUser", NOW - 100, false, "bob", "ASIABOB"),
    );
    m.record(
        B,
        event("b1", "CreateUser", NOW - 150, false, "carol", "AKIACAROL"),
    );
    // Outside the default 90-day window.
    m.record(
        A,
        event(
            "old",
            "CreateUser",
            NOW - 91 * 86400,
            false,
            "alice",
            "AKIAALICE",
        ),
    );
    m
}

fn req() -> LookupEventsRequest {
    LookupEventsRequest {
        lookup_attributes: None,
        start_time: None,
        end_time: None,
        event_category: None,
        max_results: None,
        next_token: None,
    }
}

fn with_attr(key: &str, value: &str) -> LookupEventsRequest {
    LookupEventsRequest {
        lookup_attributes: Some(vec![LookupAttribute {
            attribute_key: key.into(),
            attribute_value: value.into(),
        }]),
        ..req()
    }
}

fn ids(r: &LookupEventsResponse) -> Vec<String> {
    r.events
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.event_id.clone().unwrap())
        .collect()
}

fn run(
    q: &dyn EventQuery,
    account: &str,
    r: LookupEventsRequest,
) -> Result<LookupEventsResponse, Error> {
    lookup_events(q, account, NOW, r)
}

/// (code, message, status) as the client sees it.
fn err(r: Result<LookupEventsResponse, Error>) -> (String, String, u16) {
    let e = to_api_error(Service::CloudTrail, &r.unwrap_err());
    (e.code.to_string(), e.message, e.status)
}

fn ts(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

#[test]
fn no_attribute_lists_the_accounts_events_newest_first_within_90_days() {
    let s = store();
    let r = run(&s, A, req()).unwrap();
    assert_eq!(ids(&r), ["e5", "e4", "e3", "e2", "e1"]);
    assert_eq!(r.next_token, None);
    // Another account sees its own only; an account with none, nothing.
    assert_eq!(ids(&run(&s, B, req()).unwrap()), ["b1"]);
    assert!(ids(&run(&s, "999999999999", req()).unwrap()).is_empty());
}

#[test]
fn each_attribute_key_filters_exactly_and_case_sensitively() {
    let s = store();
    let cases: &[(&str, &str, &[&str])] = &[
        ("EventId", "e3", &["e3"]),
        ("EventId", "E3", &[]),
        ("EventName", "CreateUser", &["e5", "e1"]),
        ("EventName", "createuser", &[]),
        ("ReadOnly", "true", &["e3", "e2"]),
        ("ReadOnly", "false", &["e5", "e4", "e1"]),
        ("Username", "alice", &["e3", "e1"]),
        ("Username", "root", &["e4"]),
        (
            "ResourceType",
            "AWS::IAM::User",
            &["e5", "e4", "e3", "e2", "e1"],
        ),
        ("ResourceType", "AWS::S3::Bucket", &[]),
        ("ResourceName", "bob-res", &["e5", "e2"]),
        ("EventSource", "secretsmanager.amazonaws.com", &["e4", "e2"]),
        ("AccessKeyId", "ASIABOB", &["e5"]),
        ("AccessKeyId", "AKIACAROL", &[]), // account B's key: not visible to A
    ];
    for (k, v, want) in cases {
        let r = run(&s, A, with_attr(k, v)).unwrap();
        assert_eq!(ids(&r), *want, "{k}={v}");
    }
}

#[test]
fn events_carry_every_field_of_the_response() {
    let s = store();
    let r = run(&s, A, with_attr("EventId", "e2")).unwrap();
    let e = &r.events.as_ref().unwrap()[0];
    assert_eq!(e.event_name.as_deref(), Some("GetSecretValue"));
    assert_eq!(e.read_only.as_deref(), Some("true"));
    assert_eq!(e.access_key_id.as_deref(), Some("AKIABOB"));
    assert_eq!(e.event_time, Some(ts(NOW - 400)));
    assert_eq!(
        e.event_source.as_deref(),
        Some("secretsmanager.amazonaws.com")
    );
    assert_eq!(e.username.as_deref(), Some("bob"));
    let res = e.resources.as_ref().unwrap();
    assert_eq!(res[0].resource_type.as_deref(), Some("AWS::IAM::User"));
    assert_eq!(res[0].resource_name.as_deref(), Some("bob-res"));
    assert_eq!(
        e.cloud_trail_event.as_deref(),
        Some(r#"{"eventID":"e2","eventName":"GetSecretValue"}"#)
    );
    // On the wire: ReadOnly a string, EventTime epoch seconds, CloudTrailEvent a string.
    let op = Service::CloudTrail.operation("LookupEvents").unwrap();
    let body = encode_json_response(op, &r.into_value());
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let ev = &json["Events"][0];
    assert_eq!(ev["ReadOnly"], "true");
    assert_eq!(ev["EventTime"].as_f64(), Some((NOW - 400) as f64));
    assert!(ev["CloudTrailEvent"].is_string());
    assert_eq!(ev["Resources"][0]["ResourceName"], "bob-res");
}

#[test]
fn the_time_window_is_inclusive_and_defaults_to_the_last_90_days() {
    let s = store();
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            start_time: Some(ts(NOW - 400)),
            end_time: Some(ts(NOW - 200)),
            ..req()
        },
    )
    .unwrap();
    assert_eq!(ids(&r), ["e4", "e3", "e2"]);
    // Only a start: up to now. Only an end: from 90 days back.
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            start_time: Some(ts(NOW - 250)),
            ..req()
        },
    )
    .unwrap();
    assert_eq!(ids(&r), ["e5", "e4"]);
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            end_time: Some(ts(NOW - 450)),
            ..req()
        },
    )
    .unwrap();
    assert_eq!(ids(&r), ["e1"]);
    // An explicit start reaches older events.
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            start_time: Some(ts(NOW - 100 * 86400)),
            end_time: Some(ts(NOW - 1000)),
            ..req()
        },
    )
    .unwrap();
    assert_eq!(ids(&r), ["old"]);
    // Equal start and end: that second.
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            start_time: Some(ts(NOW - 300)),
            end_time: Some(ts(NOW - 300)),
            ..req()
        },
    )
    .unwrap();
    assert_eq!(ids(&r), ["e3"]);
}

#[test]
fn end_before_start_is_invalid_time_range() {
    let s = store();
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            start_time: Some(ts(NOW - 100)),
            end_time: Some(ts(NOW - 200)),
            ..req()
        },
    );
    assert_eq!(
        err(r),
        (
            "InvalidTimeRangeException".into(),
            "Start time must be before or equal to end time.".into(),
            400
        )
    );
}

#[test]
fn paging_walks_every_event_once_with_tokens_tied_to_the_query() {
    let s = store();
    let page = |token: Option<String>, max: i64| {
        run(
            &s,
            A,
            LookupEventsRequest {
                max_results: Some(max),
                next_token: token,
                ..req()
            },
        )
        .unwrap()
    };
    let p1 = page(None, 2);
    assert_eq!(ids(&p1), ["e5", "e4"]);
    let p2 = page(p1.next_token.clone(), 2);
    assert_eq!(ids(&p2), ["e3", "e2"]);
    // MaxResults may change between pages.
    let p3 = page(p2.next_token.clone(), 50);
    assert_eq!(ids(&p3), ["e1"]);
    assert_eq!(p3.next_token, None);
    // Exactly a page: no token.
    let full = page(None, 5);
    assert_eq!(full.next_token, None);

    let token = p1.next_token.unwrap();
    let invalid = (
        "InvalidNextTokenException".to_string(),
        "The next token is not valid for this request. Pass the token with the same parameters as the request that returned it.".to_string(),
        400,
    );
    // Another query's token: another attribute, another window, another account.
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            next_token: Some(token.clone()),
            ..with_attr("Username", "alice")
        },
    );
    assert_eq!(err(r), invalid);
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            next_token: Some(token.clone()),
            start_time: Some(ts(NOW - 1000)),
            ..req()
        },
    );
    assert_eq!(err(r), invalid);
    let r = run(
        &s,
        B,
        LookupEventsRequest {
            next_token: Some(token.clone()),
            ..req()
        },
    );
    assert_eq!(err(r), invalid);
    // Garbage and a token with its cursor altered.
    for bad in ["", "x", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let r = run(
            &s,
            A,
            LookupEventsRequest {
                next_token: Some(bad.into()),
                ..req()
            },
        );
        assert_eq!(err(r), invalid, "{bad:?}");
    }
    // With an attribute, paging stays within it.
    let q = |t: Option<String>| {
        run(
            &s,
            A,
            LookupEventsRequest {
                max_results: Some(1),
                next_token: t,
                ..with_attr("EventName", "CreateUser")
            },
        )
        .unwrap()
    };
    let a1 = q(None);
    assert_eq!(ids(&a1), ["e5"]);
    let a2 = q(a1.next_token);
    assert_eq!(ids(&a2), ["e1"]);
    assert_eq!(a2.next_token, None);
}

#[test]
fn max_results_outside_1_to_50_is_invalid_max_results() {
    let s = store();
    for n in [0, 51, -1, 1000] {
        let r = run(
            &s,
            A,
            LookupEventsRequest {
                max_results: Some(n),
                ..req()
            },
        );
        assert_eq!(
            err(r),
            (
                "InvalidMaxResultsException".into(),
                format!(
                    "A max results value of {n} is invalid. Specify max results between 1 and 50."
                ),
                400
            )
        );
    }
    for n in [1, 50] {
        assert!(
            run(
                &s,
                A,
                LookupEventsRequest {
                    max_results: Some(n),
                    ..req()
                }
            )
            .is_ok()
        );
    }
}

#[test]
fn lookup_attribute_errors() {
    let s = store();
    let two = LookupEventsRequest {
        lookup_attributes: Some(vec![
            LookupAttribute {
                attribute_key: "Username".into(),
                attribute_value: "alice".into(),
            },
            LookupAttribute {
                attribute_key: "EventName".into(),
                attribute_value: "CreateUser".into(),
            },
        ]),
        ..req()
    };
    assert_eq!(
        err(run(&s, A, two)),
        (
            "InvalidLookupAttributesException".into(),
            "You cannot specify more than one lookup attribute.".into(),
            400
        )
    );
    assert_eq!(
        err(run(&s, A, with_attr("UserName", "alice"))),
        (
            "InvalidLookupAttributesException".into(),
            "Lookup attribute key UserName is not valid. Valid keys are EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource and AccessKeyId.".into(),
            400
        )
    );
    for bad in ["TRUE", "yes", "1"] {
        assert_eq!(
            err(run(&s, A, with_attr("ReadOnly", bad))),
            (
                "InvalidLookupAttributesException".into(),
                format!(
                    "Lookup attribute value {bad} is not valid for ReadOnly. Specify true or false."
                ),
                400
            )
        );
    }
    let value_len = (
        "InvalidLookupAttributesException".to_string(),
        "Lookup attribute value must be between 1 and 2000 characters.".to_string(),
        400,
    );
    assert_eq!(err(run(&s, A, with_attr("EventName", ""))), value_len);
    assert_eq!(
        err(run(&s, A, with_attr("EventName", &"a".repeat(2001)))),
        value_len
    );
    assert!(run(&s, A, with_attr("EventName", &"a".repeat(2000))).is_ok());
    // `_`, space, `,` and newline count twice.
    assert_eq!(
        err(run(&s, A, with_attr("EventName", &"_".repeat(1001)))),
        value_len
    );
    assert!(run(&s, A, with_attr("EventName", &"_".repeat(1000))).is_ok());
    // An empty list is no attribute.
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            lookup_attributes: Some(vec![]),
            ..req()
        },
    )
    .unwrap();
    assert_eq!(ids(&r).len(), 5);
}

#[test]
fn event_category_insight_finds_no_events_and_others_are_invalid() {
    let s = store();
    let r = run(
        &s,
        A,
        LookupEventsRequest {
            event_category: Some("insight".into()),
            ..req()
        },
    )
    .unwrap();
    assert!(ids(&r).is_empty());
    assert_eq!(
        err(run(
            &s,
            A,
            LookupEventsRequest {
                event_category: Some("management".into()),
                ..req()
            }
        )),
        (
            "InvalidEventCategoryException".into(),
            "Event category management is not valid. The only valid value is insight.".into(),
            400
        )
    );
}

#[test]
fn from_the_wire_cloudtrails_own_exceptions_not_validation_exception() {
    let s = store();
    let decode = |body: &str| {
        let (op, v) = decode_json(Service::CloudTrail, TARGET, body.as_bytes()).unwrap();
        assert_eq!(op.name, "LookupEvents");
        LookupEventsRequest::from_value(v).unwrap()
    };
    let r = run(&s, A, decode(r#"{"MaxResults":51}"#));
    assert_eq!(err(r).0, "InvalidMaxResultsException");
    let r = run(
        &s,
        A,
        decode(r#"{"LookupAttributes":[{"AttributeKey":"Nope","AttributeValue":"x"}]}"#),
    );
    assert_eq!(err(r).0, "InvalidLookupAttributesException");
    let r = run(
        &s,
        A,
        decode(r#"{"StartTime":1780000000,"EndTime":1779999999}"#),
    );
    assert_eq!(err(r).0, "InvalidTimeRangeException");
    let r = run(
        &s,
        A,
        decode(r#"{"LookupAttributes":[{"AttributeKey":"EventId","AttributeValue":"e1"}]}"#),
    )
    .unwrap();
    assert_eq!(ids(&r), ["e1"]);
    // Other CloudTrail operations decode (and are not served: the registry answers
    // NotImplemented); an unknown one is UnknownOperationException.
    let other = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails";
    assert!(decode_json(Service::CloudTrail, other, b"{}").is_ok());
    let unknown = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.Nope";
    assert_eq!(
        decode_json(Service::CloudTrail, unknown, b"{}")
            .unwrap_err()
            .code,
        "UnknownOperationException"
    );
}

#[test]
fn the_memory_query_refuses_a_cursor_it_did_not_issue() {
    let s = store();
    let q = Query {
        attribute: None,
        start: 0,
        end: NOW,
    };
    assert!(s.lookup(A, &q, 10, Some("nonsense")).is_err());
    let (page, next) = s.lookup(A, &q, 2, None).unwrap();
    assert_eq!(page.len(), 2);
    let (rest, _) = s.lookup(A, &q, 10, next.as_deref()).unwrap();
    assert_eq!(rest.len(), 4);
}

/// Bodies built from the request's members with values of every JSON type, valid and not, never
/// panic: each decodes to an error or runs to an answer or one of CloudTrail's exceptions.
#[test]
fn odd_bodies_never_panic() {
    let s = store();
    let values = [
        "null",
        "0",
        "-1",
        "51",
        "1e400",
        "1.5",
        "\"\"",
        "\"true\"",
        "\"insight\"",
        "[]",
        "{}",
        "[{}]",
        "true",
        "\"\\u0000\"",
        "9223372036854775808",
        "-9223372036854775809",
        "[{\"AttributeKey\":\"ReadOnly\",\"AttributeValue\":\"false\"}]",
        "[{\"AttributeKey\":null,\"AttributeValue\":\"x\"}]",
        "[{\"AttributeKey\":\"EventId\"}]",
        "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
    ];
    let members = [
        "LookupAttributes",
        "StartTime",
        "EndTime",
        "EventCategory",
        "MaxResults",
        "NextToken",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let n = (next() % 4) as usize;
        let fields: Vec<String> = (0..n)
            .map(|_| {
                let m = members[(next() as usize) % members.len()];
                let v = values[(next() as usize) % values.len()];
                format!("\"{m}\":{v}")
            })
            .collect();
        let body = format!("{{{}}}", fields.join(","));
        if let Ok((_, v)) = decode_json(Service::CloudTrail, TARGET, body.as_bytes())
            && let Ok(input) = LookupEventsRequest::from_value(v)
        {
            match run(&s, A, input) {
                Ok(_) => {}
                Err(e) => {
                    let api = to_api_error(Service::CloudTrail, &e);
                    assert_eq!(api.status, 400, "{body}: {api:?}");
                }
            }
        }
    }
}
