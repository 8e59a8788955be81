//! Audit events through the whole request pipeline (issue #14): signed requests in process, an
//! event per authenticated request, allowed or denied, committed before a mutating request's
//! response, delivered to both accounts of a cross-account call, and no secret in the store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use axum::body::Body;
use axum::http::Request;
use iamd_audit::{AuditConfig, Auditor};
use iamd_crypto::MasterKey;
use iamd_server::{AppState, router};
use iamd_service::clock::ManualClock;
use iamd_service::{Iamd, Options};
use iamd_store::{SqliteStore, Store};
use serde_json::Value as Json;
use std::sync::Arc;

#[path = "support/signed.rs"]
mod signed;
use signed::*;

const A: &str = "111111111111";
const B: &str = "222222222222";

struct Env {
    app: axum::Router,
    store: Arc<dyn Store>,
    auditor: Arc<Auditor>,
}

/// A dev-mode server (12-digit key ids with secret `test` are account roots) with auditing on.
fn env() -> Env {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let clock = Arc::new(ManualClock::new(NOW));
    let core = Iamd::open(
        store.clone(),
        &MasterKey::generate().unwrap(),
        clock.clone(),
        Options {
            dev: true,
            ..Options::default()
        },
    )
    .unwrap();
    let auditor = Auditor::start(store.clone(), clock, AuditConfig::default()).unwrap();
    let app = router(AppState::with_audit(
        Arc::new(core),
        Default::default(),
        Some(auditor.clone()),
    ));
    Env {
        app,
        store,
        auditor,
    }
}

fn root(account: &str) -> Creds {
    Creds {
        key: account.to_owned(),
        secret: "test".to_owned(),
        token: None,
    }
}

fn iam(c: &Creds, params: &[(&str, &str)]) -> Request<Body> {
    let mut p = vec![("Version", "2010-05-08")];
    p.extend_from_slice(params);
    query(c, "iam", &p)
}

impl Env {
    async fn ok(&self, req: Request<Body>) -> String {
        let (status, body) = send(&self.app, req).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Every stored event, as (recipient account, record).
    async fn events(&self) -> Vec<(String, Json)> {
        self.auditor.flush().await.unwrap();
        self.store
            .audit_scan(0, 100_000)
            .unwrap()
            .into_iter()
            .map(|r| (r.account, serde_json::from_str(&r.record).unwrap()))
            .collect()
    }

    /// A user of `account` with an inline policy and an access key.
    async fn user(&self, account: &str, name: &str, policy: &str) -> Creds {
        let r = root(account);
        self.ok(iam(&r, &[("Action", "CreateUser"), ("UserName", name)]))
            .await;
        self.ok(iam(
            &r,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", name),
                ("PolicyName", "p"),
                ("PolicyDocument", policy),
            ],
        ))
        .await;
        let k = self
            .ok(iam(
                &r,
                &[("Action", "CreateAccessKey"), ("UserName", name)],
            ))
            .await;
        Creds {
            key: xml_field(&k, "AccessKeyId").to_owned(),
            secret: xml_field(&k, "SecretAccessKey").to_owned(),
            token: None,
        }
    }
}

fn named<'a>(events: &'a [(String, Json)], name: &str) -> Vec<&'a (String, Json)> {
    events
        .iter()
        .filter(|(_, e)| e["eventName"] == name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_and_denied_requests_each_have_one_event() {
    let env = env();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:ok/*"}]}"#;
    let reader = env.user(A, "reader", policy).await;
    let r = root(A);
    for (i, name) in ["ok/db", "no/db"].iter().enumerate() {
        let body = format!(
            r#"{{"Name":"{name}","SecretString":"s3cr3t-value-{name}","ClientRequestToken":"6f1c1e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5{i}"}}"#
        );
        env.ok(signed(
            &r,
            "secretsmanager",
            Some("secretsmanager.CreateSecret"),
            &body,
        ))
        .await;
    }
    let (status, _) = send(
        &env.app,
        signed(
            &reader,
            "secretsmanager",
            Some("secretsmanager.GetSecretValue"),
            r#"{"SecretId":"ok/db"}"#,
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (status, denied_body) = send(
        &env.app,
        signed(
            &reader,
            "secretsmanager",
            Some("secretsmanager.GetSecretValue"),
            r#"{"SecretId":"no/db"}"#,
        ),
    )
    .await;
    assert_eq!(status, 400, "{denied_body}");

    let events = env.events().await;
    let gets = named(&events, "GetSecretValue");
    assert_eq!(gets.len(), 2, "one event per request: {gets:?}");
    let (allowed, denied) = (&gets[0].1, &gets[1].1);
    for e in [allowed, denied] {
        assert_eq!(e["eventVersion"], "1.11");
        assert_eq!(e["eventSource"], "secretsmanager.amazonaws.com");
        assert_eq!(e["awsRegion"], "us-east-1");
        assert_eq!(e["userIdentity"]["type"], "IAMUser");
        assert_eq!(e["userIdentity"]["userName"], "reader");
        assert_eq!(e["userIdentity"]["accessKeyId"], reader.key.as_str());
        assert_eq!(e["readOnly"], true);
        assert_eq!(e["responseElements"], Json::Null);
        assert_eq!(e["recipientAccountId"], A);
        assert_eq!(e["eventType"], "AwsApiCall");
        assert_eq!(e["eventCategory"], "Management");
        assert_eq!(e["managementEvent"], true);
        assert!(e["requestID"].as_str().unwrap().len() >= 32);
        assert_eq!(e["eventTime"], "2027-01-15T08:00:00Z");
    }
    assert!(allowed.get("errorCode").is_none(), "{allowed}");
    assert_eq!(allowed["requestParameters"]["secretId"], "ok/db");
    let arn = allowed["resources"][0]["ARN"].as_str().unwrap();
    assert!(
        arn.starts_with(&format!(
            "arn:aws:secretsmanager:us-east-1:{A}:secret:ok/db-"
        )),
        "{arn}"
    );
    assert_eq!(
        allowed["resources"][0]["type"],
        "AWS::SecretsManager::Secret"
    );
    assert_eq!(denied["errorCode"], "AccessDeniedException");
    assert!(
        denied["errorMessage"]
            .as_str()
            .unwrap()
            .contains("is not authorized to perform: secretsmanager:GetSecretValue"),
        "{denied}"
    );

    // Mutating calls: one event each, with their parameters minus the secret value.
    let creates = named(&events, "CreateSecret");
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[0].1["requestParameters"]["name"], "ok/db");
    assert_eq!(
        creates[0].1["requestParameters"]["secretString"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );
    assert_eq!(creates[0].1["readOnly"], false);
    assert_eq!(creates[0].1["userIdentity"]["type"], "Root");
    assert_eq!(named(&events, "CreateUser").len(), 1);
    let key = named(&events, "CreateAccessKey");
    assert_eq!(
        key[0].1["responseElements"]["accessKey"]["accessKeyId"],
        reader.key.as_str()
    );
    assert_no_secrets(&env, &[&reader.secret, "s3cr3t-value-"]).await;
}

/// The at-rest scan (as tests/e2e/conftest.py's `assert_not_at_rest`): no stored event holds any
/// of these texts.
async fn assert_no_secrets(env: &Env, secrets: &[&str]) {
    env.auditor.flush().await.unwrap();
    let rows = env.store.audit_scan(0, 100_000).unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        for s in secrets {
            assert!(!s.is_empty());
            assert!(!r.record.contains(s), "{s:?} stored in {}", r.record);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_account_assume_role_is_in_both_accounts_with_one_shared_event_id() {
    let env = env();
    let role_arn = format!("arn:aws:iam::{B}:role/MonitoringRole");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    env.ok(iam(
        &root(B),
        &[
            ("Action", "CreateRole"),
            ("RoleName", "MonitoringRole"),
            ("AssumeRolePolicyDocument", &trust),
        ],
    ))
    .await;
    env.ok(iam(
        &root(B),
        &[
            ("Action", "PutRolePolicy"),
            ("RoleName", "MonitoringRole"),
            ("PolicyName", "read"),
            ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}"#),
        ],
    ))
    .await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role_arn}"}}]}}"#
    );
    let alice = env.user(A, "alice", &policy).await;
    env.ok(iam(
        &root(A),
        &[
            ("Action", "CreateLoginProfile"),
            ("UserName", "alice"),
            ("Password", "Pa55word-audit-XYZ!"),
        ],
    ))
    .await;
    let s = env
        .ok(query(
            &alice,
            "sts",
            &[
                ("Action", "AssumeRole"),
                ("Version", "2011-06-15"),
                ("RoleArn", &role_arn),
                ("RoleSessionName", "monitor"),
            ],
        ))
        .await;
    let session = Creds {
        key: xml_field(&s, "AccessKeyId").to_owned(),
        secret: xml_field(&s, "SecretAccessKey").to_owned(),
        token: Some(xml_field(&s, "SessionToken").to_owned()),
    };
    env.ok(iam(&session, &[("Action", "ListRoles")])).await;

    let events = env.events().await;
    let assumes = named(&events, "AssumeRole");
    assert_eq!(assumes.len(), 2, "{assumes:?}");
    let mine = assumes.iter().find(|(a, _)| a == A).unwrap();
    let theirs = assumes.iter().find(|(a, _)| a == B).unwrap();
    assert_eq!(mine.1["recipientAccountId"], A);
    assert_eq!(theirs.1["recipientAccountId"], B);
    assert!(mine.1["sharedEventID"].is_string());
    assert_eq!(mine.1["sharedEventID"], theirs.1["sharedEventID"]);
    assert_ne!(mine.1["eventID"], theirs.1["eventID"]);
    assert_eq!(mine.1["requestID"], theirs.1["requestID"]);
    assert_eq!(mine.1["userIdentity"]["type"], "IAMUser");
    assert_eq!(theirs.1["userIdentity"]["type"], "AWSAccount");
    assert_eq!(theirs.1["userIdentity"]["accountId"], A);
    assert_eq!(mine.1["resources"][0]["ARN"], role_arn.as_str());
    assert_eq!(mine.1["resources"][0]["type"], "AWS::IAM::Role");
    assert_eq!(
        mine.1["responseElements"]["credentials"]["accessKeyId"],
        session.key.as_str()
    );
    assert_eq!(mine.1["eventSource"], "sts.amazonaws.com");

    // The session's call: the assumed-role identity with its issuer, in the role's account.
    let lists = named(&events, "ListRoles");
    assert_eq!(lists.len(), 1);
    let (acct, e) = lists[0];
    assert_eq!(acct, B);
    let id = &e["userIdentity"];
    assert_eq!(id["type"], "AssumedRole");
    assert_eq!(
        id["arn"],
        format!("arn:aws:sts::{B}:assumed-role/MonitoringRole/monitor")
    );
    assert_eq!(
        id["sessionContext"]["sessionIssuer"]["arn"],
        role_arn.as_str()
    );
    assert_eq!(id["sessionContext"]["sessionIssuer"]["type"], "Role");
    assert_eq!(
        id["sessionContext"]["attributes"]["mfaAuthenticated"],
        "false"
    );
    assert_eq!(id["accessKeyId"], session.key.as_str());

    let token = session.token.clone().unwrap();
    assert_no_secrets(
        &env,
        &[
            &alice.secret,
            &session.secret,
            &token,
            "Pa55word-audit-XYZ!",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_and_bad_signatures_of_known_keys_are_recorded() {
    let env = env();
    let alice = env.user(A, "alice", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#).await;
    let long = "x".repeat(65);
    let (status, body) = send(
        &env.app,
        iam(&alice, &[("Action", "CreateUser"), ("UserName", &long)]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Signed with the wrong secret for alice's key: the key is known, the signature is not hers.
    let forged = Creds {
        key: alice.key.clone(),
        secret: "not-the-secret-of-this-key".to_owned(),
        token: None,
    };
    let (status, body) = send(&env.app, iam(&forged, &[("Action", "ListUsers")])).await;
    assert_eq!(status, 403, "{body}");
    // An unknown key id: nobody to record it for.
    let unknown = Creds {
        key: "AKIAUNKNOWNUNKNOWN00".to_owned(),
        secret: "x".to_owned(),
        token: None,
    };
    let (status, _) = send(&env.app, iam(&unknown, &[("Action", "ListUsers")])).await;
    assert_eq!(status, 403);

    let events = env.events().await;
    let invalid: Vec<_> = named(&events, "CreateUser")
        .into_iter()
        .filter(|(_, e)| e["userIdentity"]["userName"] == "alice")
        .collect();
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    let e = &invalid[0].1;
    assert_eq!(e["errorCode"], "ValidationError");
    assert_eq!(
        e["requestParameters"],
        Json::Null,
        "an undecoded input is not recorded"
    );
    let lists = named(&events, "ListUsers");
    assert_eq!(lists.len(), 1, "{lists:?}");
    let e = &lists[0].1;
    assert_eq!(e["errorCode"], "SignatureDoesNotMatch");
    assert_eq!(e["userIdentity"]["accessKeyId"], alice.key.as_str());
    assert_eq!(e["additionalEventData"]["iamdSignatureVerified"], false);
}
