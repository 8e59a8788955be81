//! Record building per identity type, cross-account copies, and the writer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests"
)]

use super::*;
use iamd_core::accounts::Principal;
use iamd_core::clock::ManualClock;
use iamd_core::sessions::{SessionClaims, SessionPrincipal};
use iamd_store::{AuditAttribute, SqliteStore};

const A: &str = "111111111111";
const B: &str = "222222222222";

fn claims(
    principal: SessionPrincipal,
    mfa: bool,
    source_identity: Option<&str>,
) -> Arc<SessionClaims> {
    Arc::new(SessionClaims {
        account: A.into(),
        principal,
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: String::from("sekrit-session-key").into(),
        issued_at: 1_767_225_600, // 2026-01-01T00:00:00Z
        expires_at: 1_767_229_200,
        mfa_at: mfa.then_some(1_767_225_600),
        source_identity: source_identity.map(str::to_owned),
        tags: vec![],
        transitive_tag_keys: vec![],
        policy: None,
        policy_arns: vec![],
        chained: false,
    })
}

fn role_session() -> Caller {
    Caller::from_session(claims(
        SessionPrincipal::AssumedRole {
            role_name: "Monitoring".into(),
            role_path: "/ops/".into(),
            role_id: "AROAEXAMPLEID".into(),
            session_name: "sess".into(),
        },
        true,
        Some("alice@example.com"),
    ))
}

fn user() -> Caller {
    Caller::long_term(
        A,
        Principal::User {
            name: "alice".into(),
            path: "/".into(),
            id: "AIDAEXAMPLE".into(),
        },
        "AKIAEXAMPLE",
    )
}

fn facts(
    caller: Caller,
    name: &'static str,
    service: Service,
    input: Value,
    ok: Option<Value>,
) -> Facts {
    let p = Pending::new(
        service,
        name,
        "eu-west-1",
        "req-1",
        &caller.account.clone(),
        &input,
    );
    match &ok {
        Some(out) => p.finish(caller, 1_767_225_600, Ok(out)),
        None => p.finish(
            caller,
            1_767_225_600,
            Err(("AccessDenied", "User: x is not authorized to perform: y")),
        ),
    }
}

fn record(row: &AuditRow) -> Json {
    serde_json::from_str(&row.record).unwrap()
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

#[test]
fn root_identity() {
    let c = Caller::long_term(A, Principal::Root, "AKIAROOT");
    let id = record::user_identity(&c);
    assert_eq!(id["type"], "Root");
    assert_eq!(id["principalId"], A);
    assert_eq!(id["arn"], format!("arn:aws:iam::{A}:root"));
    assert_eq!(id["accountId"], A);
    assert_eq!(id["accessKeyId"], "AKIAROOT");
    assert!(id.get("sessionContext").is_none());
    assert_eq!(record::username(&c), "root");
}

#[test]
fn iam_user_identity() {
    let id = record::user_identity(&user());
    assert_eq!(id["type"], "IAMUser");
    assert_eq!(id["principalId"], "AIDAEXAMPLE");
    assert_eq!(id["arn"], format!("arn:aws:iam::{A}:user/alice"));
    assert_eq!(id["userName"], "alice");
    assert_eq!(id["accessKeyId"], "AKIAEXAMPLE");
    assert!(id.get("sessionContext").is_none());
}

#[test]
fn assumed_role_identity_has_issuer_attributes_and_source_identity() {
    let c = role_session();
    let id = record::user_identity(&c);
    assert_eq!(id["type"], "AssumedRole");
    assert_eq!(id["principalId"], "AROAEXAMPLEID:sess");
    assert_eq!(
        id["arn"],
        format!("arn:aws:sts::{A}:assumed-role/Monitoring/sess")
    );
    assert_eq!(id["accessKeyId"], "ASIAEXAMPLE");
    let sc = &id["sessionContext"];
    assert_eq!(sc["sessionIssuer"]["type"], "Role");
    assert_eq!(sc["sessionIssuer"]["principalId"], "AROAEXAMPLEID");
    assert_eq!(
        sc["sessionIssuer"]["arn"],
        format!("arn:aws:iam::{A}:role/ops/Monitoring")
    );
    assert_eq!(sc["sessionIssuer"]["userName"], "Monitoring");
    assert_eq!(sc["sessionIssuer"]["accountId"], A);
    // Strings, as CloudTrail writes them.
    assert_eq!(sc["attributes"]["mfaAuthenticated"], "true");
    assert_eq!(sc["attributes"]["creationDate"], "2026-01-01T00:00:00Z");
    assert_eq!(sc["sourceIdentity"], "alice@example.com");
    assert_eq!(record::username(&c), "sess");
}

#[test]
fn federated_user_identity_names_the_issuing_user() {
    let c = Caller::from_session(claims(
        SessionPrincipal::FederatedUser {
            name: "bob".into(),
            user: Some(format!("arn:aws:iam::{A}:user/alice")),
            user_id: Some("AIDAEXAMPLE".into()),
        },
        false,
        None,
    ));
    let id = record::user_identity(&c);
    assert_eq!(id["type"], "FederatedUser");
    assert_eq!(id["principalId"], format!("{A}:bob"));
    assert_eq!(id["arn"], format!("arn:aws:sts::{A}:federated-user/bob"));
    let sc = &id["sessionContext"];
    assert_eq!(sc["sessionIssuer"]["type"], "IAMUser");
    assert_eq!(sc["sessionIssuer"]["principalId"], "AIDAEXAMPLE");
    assert_eq!(sc["sessionIssuer"]["userName"], "alice");
    assert_eq!(sc["attributes"]["mfaAuthenticated"], "false");
}

#[test]
fn allowed_call_record_has_every_field() {
    let input = Value::Structure(vec![("UserName", s("carol"))]);
    let out = Value::Structure(vec![(
        "User",
        Value::Structure(vec![
            ("UserName", s("carol")),
            ("Arn", s(&format!("arn:aws:iam::{A}:user/dev/carol"))),
        ]),
    )]);
    let rows = record::build(&facts(user(), "CreateUser", Service::Iam, input, Some(out)));
    assert_eq!(rows.len(), 1);
    let r = record(&rows[0]);
    assert_eq!(r["eventVersion"], "1.11");
    assert_eq!(r["eventTime"], "2026-01-01T00:00:00Z");
    assert_eq!(r["eventSource"], "iam.amazonaws.com");
    assert_eq!(r["eventName"], "CreateUser");
    assert_eq!(r["awsRegion"], "us-east-1", "IAM is global: us-east-1");
    assert_eq!(r["sourceIPAddress"], "AWS Internal");
    assert_eq!(r["requestParameters"]["userName"], "carol");
    assert_eq!(r["responseElements"]["user"]["userName"], "carol");
    assert_eq!(r["requestID"], "req-1");
    assert_eq!(r["eventID"], rows[0].event_id.as_str());
    assert_eq!(r["readOnly"], false);
    assert_eq!(
        r["resources"][0]["ARN"],
        format!("arn:aws:iam::{A}:user/dev/carol")
    );
    assert_eq!(r["resources"][0]["type"], "AWS::IAM::User");
    assert_eq!(r["resources"][0]["accountId"], A);
    assert_eq!(r["eventType"], "AwsApiCall");
    assert_eq!(r["managementEvent"], true);
    assert_eq!(r["eventCategory"], "Management");
    assert_eq!(r["recipientAccountId"], A);
    assert!(r.get("errorCode").is_none());
    assert!(r.get("sharedEventID").is_none());
    uuid::Uuid::parse_str(&rows[0].event_id).unwrap();
}

#[test]
fn denied_call_record_has_error_and_no_response() {
    let input = Value::Structure(vec![("SecretId", s("db"))]);
    let rows = record::build(&facts(
        user(),
        "GetSecretValue",
        Service::SecretsManager,
        input,
        None,
    ));
    let r = record(&rows[0]);
    assert_eq!(r["errorCode"], "AccessDenied");
    assert!(
        r["errorMessage"]
            .as_str()
            .unwrap()
            .contains("not authorized")
    );
    assert_eq!(r["responseElements"], Json::Null);
    assert_eq!(r["readOnly"], true);
    assert_eq!(r["awsRegion"], "eu-west-1");
    assert_eq!(r["eventSource"], "secretsmanager.amazonaws.com");
    assert_eq!(r["resources"][0]["type"], "AWS::SecretsManager::Secret");
}

#[test]
fn read_only_success_has_null_response_elements() {
    let input = Value::Structure(vec![("SecretId", s("db"))]);
    let out = Value::Structure(vec![
        (
            "ARN",
            s(&format!(
                "arn:aws:secretsmanager:eu-west-1:{A}:secret:db-AbCdEf"
            )),
        ),
        ("SecretString", s("sekrit")),
    ]);
    let rows = record::build(&facts(
        user(),
        "GetSecretValue",
        Service::SecretsManager,
        input,
        Some(out),
    ));
    let r = record(&rows[0]);
    assert_eq!(r["responseElements"], Json::Null);
    assert_eq!(
        r["resources"][0]["ARN"],
        format!("arn:aws:secretsmanager:eu-west-1:{A}:secret:db-AbCdEf")
    );
    assert!(!rows[0].record.contains("sekrit"));
}

#[test]
fn cross_account_assume_role_is_delivered_to_both_accounts_with_one_shared_id() {
    let input = Value::Structure(vec![
        (
            "RoleArn",
            s(&format!("arn:aws:iam::{B}:role/MonitoringRole")),
        ),
        ("RoleSessionName", s("s1")),
    ]);
    let out = Value::Structure(vec![(
        "Credentials",
        Value::Structure(vec![
            ("AccessKeyId", s("ASIANEW")),
            ("SecretAccessKey", s("sekrit")),
            ("SessionToken", s("sekrit-token")),
        ]),
    )]);
    let rows = record::build(&facts(user(), "AssumeRole", Service::Sts, input, Some(out)));
    assert_eq!(rows.len(), 2);
    let (mine, theirs) = (record(&rows[0]), record(&rows[1]));
    assert_eq!(mine["recipientAccountId"], A);
    assert_eq!(theirs["recipientAccountId"], B);
    assert_eq!(rows[1].account, B);
    assert!(mine["sharedEventID"].is_string());
    assert_eq!(mine["sharedEventID"], theirs["sharedEventID"]);
    assert_ne!(mine["eventID"], theirs["eventID"]);
    assert_eq!(mine["requestID"], theirs["requestID"]);
    assert_eq!(mine["userIdentity"]["type"], "IAMUser");
    assert_eq!(theirs["userIdentity"]["type"], "AWSAccount");
    assert_eq!(theirs["userIdentity"]["accountId"], A);
    assert_eq!(
        mine["responseElements"]["credentials"]["accessKeyId"],
        "ASIANEW"
    );
    assert_eq!(mine["readOnly"], true);
    for r in &rows {
        assert!(!r.record.contains("sekrit"), "{}", r.record);
    }
}

#[test]
fn same_account_call_has_no_shared_event_id() {
    let input = Value::Structure(vec![("RoleArn", s(&format!("arn:aws:iam::{A}:role/r")))]);
    let rows = record::build(&facts(user(), "AssumeRole", Service::Sts, input, None));
    assert_eq!(rows.len(), 1);
    assert!(record(&rows[0]).get("sharedEventID").is_none());
}

#[test]
fn user_agent_is_truncated_to_1_kb() {
    let mut c = user();
    c.origin.user_agent = Some("x".repeat(5000));
    c.origin.source_ip = Some("10.1.2.3".parse().unwrap());
    let rows = record::build(&facts(
        c,
        "ListUsers",
        Service::Iam,
        Value::Structure(vec![]),
        Some(Value::Structure(vec![])),
    ));
    let r = record(&rows[0]);
    assert_eq!(r["userAgent"].as_str().unwrap().len(), 1024);
    assert_eq!(r["sourceIPAddress"], "10.1.2.3");
    assert_eq!(r["requestParameters"], Json::Null);
}

#[test]
fn writer_commits_durable_events_and_lookup_pages_newest_first() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let auditor = Auditor::start(
        store.clone(),
        Arc::new(ManualClock::new(1_767_225_600)),
        AuditConfig::default(),
    )
    .unwrap();
    for (i, name) in ["CreateUser", "DeleteUser", "CreateUser"]
        .iter()
        .enumerate()
    {
        let input = Value::Structure(vec![("UserName", s(&format!("u{i}")))]);
        let mut f = facts(
            user(),
            name,
            Service::Iam,
            input,
            Some(Value::Structure(vec![])),
        );
        f.time += i as i64;
        auditor.submit_durable_blocking(f).unwrap();
    }
    // A read-only event, queued without waiting, then flushed.
    auditor.submit(facts(
        user(),
        "ListUsers",
        Service::Iam,
        Value::Structure(vec![]),
        Some(Value::Structure(vec![])),
    ));
    auditor.flush_blocking().unwrap();

    let q = |attribute, max, token| Lookup {
        account: A.into(),
        attribute,
        start_time: None,
        end_time: None,
        max_results: max,
        next_token: token,
    };
    let all = lookup_events(store.as_ref(), &q(None, 50, None)).unwrap();
    assert_eq!(all.events.len(), 4);
    assert!(all.next_token.is_none());
    let p1 = lookup_events(
        store.as_ref(),
        &q(
            Some(AuditAttribute::EventName("CreateUser".into())),
            1,
            None,
        ),
    )
    .unwrap();
    assert_eq!(p1.events.len(), 1);
    assert_eq!(p1.events[0].event_time, 1_767_225_602, "newest first");
    let token = p1.next_token.clone().unwrap();
    let p2 = lookup_events(
        store.as_ref(),
        &q(
            Some(AuditAttribute::EventName("CreateUser".into())),
            1,
            Some(token.clone()),
        ),
    )
    .unwrap();
    assert_eq!(p2.events[0].event_time, 1_767_225_600);
    assert!(p2.next_token.is_none());
    // A token only pages the query it came from.
    assert_eq!(
        lookup_events(store.as_ref(), &q(None, 1, Some(token))),
        Err(LookupError::InvalidNextToken)
    );
    // LookupEvents names an IAM user by its name ("user-created names", API_Resource).
    let by_resource = lookup_events(
        store.as_ref(),
        &q(
            Some(AuditAttribute::ResourceName("u1".to_owned())),
            50,
            None,
        ),
    )
    .unwrap();
    assert_eq!(by_resource.events.len(), 1);
    assert_eq!(by_resource.events[0].event_name, "DeleteUser");
    let ro = lookup_events(
        store.as_ref(),
        &q(Some(AuditAttribute::ReadOnly("true".into())), 50, None),
    )
    .unwrap();
    assert_eq!(ro.events.len(), 1);
    let by_user = lookup_events(
        store.as_ref(),
        &q(Some(AuditAttribute::Username("alice".into())), 50, None),
    )
    .unwrap();
    assert_eq!(by_user.events.len(), 4);
    let other = Lookup {
        account: B.into(),
        ..q(None, 50, None)
    };
    assert!(
        lookup_events(store.as_ref(), &other)
            .unwrap()
            .events
            .is_empty(),
        "an account sees its own events"
    );
    let ranged = Lookup {
        start_time: Some(1_767_225_601),
        end_time: Some(1_767_225_601),
        ..q(None, 50, None)
    };
    assert_eq!(
        lookup_events(store.as_ref(), &ranged).unwrap().events.len(),
        1
    );
    assert_eq!(auditor.dropped(), 0);
}

#[test]
fn pruning_removes_events_past_retention() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let now = 1_767_225_600;
    let auditor = Auditor::start(
        store.clone(),
        Arc::new(ManualClock::new(now)),
        AuditConfig {
            retention_days: 90,
            prune_every: Duration::from_millis(20),
        },
    )
    .unwrap();
    let mut old = facts(
        user(),
        "CreateUser",
        Service::Iam,
        Value::Structure(vec![]),
        Some(Value::Structure(vec![])),
    );
    old.time = now - 91 * 86_400;
    let fresh = facts(
        user(),
        "CreateUser",
        Service::Iam,
        Value::Structure(vec![]),
        Some(Value::Structure(vec![])),
    );
    auditor.submit_durable_blocking(old).unwrap();
    auditor.submit_durable_blocking(fresh).unwrap();
    let mut left = usize::MAX;
    for _ in 0..200 {
        left = store.audit_scan(0, 100).unwrap().len();
        if left == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(left, 1);
}

#[test]
fn a_rotation_step_is_a_secrets_manager_service_event_naming_the_secret_only() {
    let arn = format!("arn:aws:secretsmanager:eu-west-1:{A}:secret:db-AbCdEf");
    let row = crate::record::secrets_service_event(
        A,
        "eu-west-1",
        &arn,
        "RotationFailed",
        Some("Error during setSecret step: Unable to log into database"),
        1_767_225_600,
    );
    let r: serde_json::Value = serde_json::from_str(&row.record).unwrap();
    assert_eq!(r["eventType"], "AwsServiceEvent");
    assert_eq!(r["eventName"], "RotationFailed");
    assert_eq!(r["eventSource"], "secretsmanager.amazonaws.com");
    assert_eq!(
        r["userIdentity"],
        serde_json::json!({"accountId": A, "invokedBy": "secretsmanager.amazonaws.com"})
    );
    assert_eq!(r["sourceIPAddress"], "secretsmanager.amazonaws.com");
    assert_eq!(r["additionalEventData"]["SecretId"], arn.as_str());
    assert!(r["requestParameters"].is_null() && r["responseElements"].is_null());
    assert!(
        r["requestID"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Rotation-{arn}-"))
    );
    assert_eq!(r["recipientAccountId"], A);
    assert_eq!(r["eventTime"], "2026-01-01T00:00:00Z");
    assert!(r.get("errorCode").is_none());
    assert_eq!(
        r["errorMessage"],
        "Error during setSecret step: Unable to log into database"
    );
    assert_eq!(row.account, A);
    assert_eq!(row.resource_names, vec![arn]);
    assert!(!row.read_only);
}

#[test]
fn validation_messages_keep_no_sensitive_value() {
    use crate::record::scrub_values;
    let pw = "x".repeat(129);
    let m = format!(
        "2 validation errors detected: Value '{pw}' at 'password' failed to satisfy constraint: Member must have length less than or equal to 128; Value 'bob' at 'userName' failed to satisfy constraint: Member must match pattern"
    );
    let s = scrub_values(&m);
    assert!(!s.contains(&pw), "{s}");
    assert!(s.contains("Value 'HIDDEN_DUE_TO_SECURITY_REASONS' at 'password' failed"));
    assert!(s.contains("Value 'bob' at 'userName' failed to satisfy constraint"));
    let token = "Value 'abc' at 'passwordPolicy.x' failed"; // a non-sensitive leaf
    assert_eq!(scrub_values(token), token);
    let nested = "Value 's3cr3t' at 'secretString' failed to satisfy constraint";
    assert!(!scrub_values(nested).contains("s3cr3t"));
    assert_eq!(scrub_values("AccessDenied"), "AccessDenied");
}
