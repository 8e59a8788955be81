//! Rotation (issue #18, aws-semantics-2.md §7): RotateSecret's contract, the four steps and
//! their labels, failures, CancelRotateSecret, the schedule and the lease between nodes.

#![expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]

use super::replication::{call_user, make_user};
use super::*;
use crate::secrets::rotation::{Job, Outcome};
use iamd_rotators::{
    PasswordRotator, RotationError, RotationHost, Rotator, Rotators, Step, Values,
};
use std::sync::Mutex;
use zeroize::Zeroizing;

const PASSWORD_ARN: &str = "arn:aws:lambda:us-east-2:111111111111:function:iamd-rotator-password";
const FLAKY_ARN: &str = "arn:aws:lambda:us-east-2:111111111111:function:iamd-rotator-flaky";
const READER_ARN: &str = "arn:aws:lambda:us-east-2:111111111111:function:iamd-rotator-reader";
const DAY: i64 = 86_400;

/// A rotator that fails at a chosen step, and counts its createSecret calls.
struct Flaky {
    fail_at: Arc<Mutex<Option<Step>>>,
    creates: Arc<Mutex<u32>>,
}

impl Flaky {
    fn check(&self, step: Step) -> Result<(), RotationError> {
        if *self.fail_at.lock().unwrap() == Some(step) {
            return Err(RotationError::new(format!("injected at {}", step.as_str())));
        }
        Ok(())
    }
}

impl Rotator for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }
    fn create_secret(
        &self,
        _: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<Zeroizing<String>, RotationError> {
        *self.creates.lock().unwrap() += 1;
        self.check(Step::CreateSecret)?;
        Ok(Zeroizing::new(format!("{}+1", values.current)))
    }
    fn set_secret(&self, _: &dyn RotationHost, v: &Values<'_>) -> Result<(), RotationError> {
        assert!(v.pending.is_some());
        self.check(Step::SetSecret)
    }
    fn test_secret(&self, _: &dyn RotationHost, v: &Values<'_>) -> Result<(), RotationError> {
        assert!(v.pending.is_some());
        self.check(Step::TestSecret)
    }
}

/// A rotator whose new value is another secret's (named by the tag `other`), read through its
/// host: as the principal that configured the rotation.
struct Reader;

impl Rotator for Reader {
    fn name(&self) -> &'static str {
        "reader"
    }
    fn create_secret(
        &self,
        host: &dyn RotationHost,
        _: &Values<'_>,
    ) -> Result<Zeroizing<String>, RotationError> {
        let other = host
            .tags()
            .iter()
            .find(|(k, _)| k == "other")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        host.other_secret_value(&other)
    }
    fn set_secret(&self, _: &dyn RotationHost, _: &Values<'_>) -> Result<(), RotationError> {
        Ok(())
    }
    fn test_secret(&self, _: &dyn RotationHost, _: &Values<'_>) -> Result<(), RotationError> {
        Ok(())
    }
}

fn with_test_rotators(e: &Env) -> (Arc<Mutex<Option<Step>>>, Arc<Mutex<u32>>) {
    let fail_at = Arc::new(Mutex::new(None));
    let creates = Arc::new(Mutex::new(0));
    e.core.rotation().set_rotators(Rotators::new(vec![
        Box::new(PasswordRotator),
        Box::new(Flaky {
            fail_at: fail_at.clone(),
            creates: creates.clone(),
        }),
        Box::new(Reader),
    ]));
    (fail_at, creates)
}

fn rotate(e: &Env, id: &str, arn: &str, token: &str, extra: &str) -> Result<Value, Error> {
    e.call(
        "RotateSecret",
        &format!(
            r#"{{"SecretId":"{id}","RotationLambdaARN":"{arn}","ClientRequestToken":"{token}"{extra}}}"#
        ),
    )
}

fn describe(e: &Env, id: &str) -> Value {
    e.ok("DescribeSecret", &format!(r#"{{"SecretId":"{id}"}}"#))
}

fn secs(v: &Value, member: &str) -> Option<i64> {
    v.get(member)
        .and_then(|t| t.as_timestamp())
        .map(|t| t.unix_timestamp())
}

fn labelled(v: &Value) -> Vec<(String, Vec<String>)> {
    v.map("VersionIdsToStages")
        .unwrap_or_default()
        .iter()
        .map(|(k, s)| {
            let mut s: Vec<String> = s
                .as_list()
                .unwrap_or_default()
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect();
            s.sort();
            (k.clone(), s)
        })
        .collect()
}

fn current_string(e: &Env, id: &str) -> String {
    get(e, id).str("SecretString").unwrap().to_owned()
}

fn outcomes(e: &Env) -> Vec<Outcome> {
    e.core.run_rotations().into_iter().map(|(_, o)| o).collect()
}

#[test]
fn rotate_immediately_creates_an_empty_pending_version_then_moves_the_labels_as_aws() {
    let e = env();
    create(
        &e,
        "db",
        r#"{\"username\":\"app\",\"password\":\"old\"}"#,
        TOKEN_A,
    );
    let r = rotate(
        &e,
        "db",
        PASSWORD_ARN,
        TOKEN_B,
        r#","RotationRules":{"AutomaticallyAfterDays":30}"#,
    )
    .unwrap();
    assert_eq!(r.str("VersionId"), Some(TOKEN_B));
    assert_eq!(r.str("Name"), Some("db"));

    // Before the steps ran: the empty version is AWSPENDING, unreadable (§7.3), and the secret
    // reads as before.
    let d = describe(&e, "db");
    assert_eq!(stages_of(&d, TOKEN_B), vec!["AWSPENDING"]);
    assert_eq!(stages_of(&d, TOKEN_A), vec!["AWSCURRENT"]);
    assert_eq!(
        e.err(
            "GetSecretValue",
            r#"{"SecretId":"db","VersionStage":"AWSPENDING"}"#
        ),
        (
            "ResourceNotFoundException",
            format!(
                "Secrets Manager can't find the specified secret value for VersionId: {TOKEN_B}"
            )
        )
    );
    assert!(current_string(&e, "db").contains("old"));
    // A second rotation while this one is unfinished.
    assert_eq!(
        rotate(&e, "db", PASSWORD_ARN, TOKEN_C, "")
            .err()
            .and_then(|e| e.code_and_message(Service::SecretsManager)),
        Some((
            "InvalidRequestException",
            "A previous rotation isn't complete. That rotation will be reattempted.".into()
        ))
    );

    assert_eq!(
        outcomes(&e),
        vec![Outcome::Rotated {
            token: TOKEN_B.into()
        }]
    );
    let d = describe(&e, "db");
    assert_eq!(
        labelled(&d),
        vec![
            (TOKEN_A.to_owned(), vec!["AWSPREVIOUS".to_owned()]),
            (TOKEN_B.to_owned(), vec!["AWSCURRENT".to_owned()]),
        ]
    );
    assert_eq!(
        d.get("RotationEnabled").and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(d.str("RotationLambdaARN"), Some(PASSWORD_ARN));
    assert_eq!(
        d.structure("RotationRules")
            .and_then(|r| r.get("AutomaticallyAfterDays"))
            .and_then(Value::as_i64),
        Some(30)
    );
    assert_eq!(secs(&d, "LastRotatedDate"), Some(T0));
    let (_, window_end) = crate::secrets::rotation::schedule::parse(
        &crate::secrets::rotation::schedule::RulesInput {
            automatically_after_days: Some(30),
            ..Default::default()
        },
    )
    .unwrap()
    .next_window(T0);
    assert_eq!(secs(&d, "NextRotationDate"), Some(window_end));
    let v: serde_json::Value = serde_json::from_str(&current_string(&e, "db")).unwrap();
    assert_eq!(v["username"], "app");
    assert_eq!(v["password"].as_str().unwrap().chars().count(), 32);
    let prev = e.ok(
        "GetSecretValue",
        r#"{"SecretId":"db","VersionStage":"AWSPREVIOUS"}"#,
    );
    assert!(prev.str("SecretString").unwrap().contains("old"));

    // Again: AWSPREVIOUS moves on, the oldest version loses its labels.
    rotate(&e, "db", PASSWORD_ARN, TOKEN_C, "").unwrap();
    assert_eq!(outcomes(&e).len(), 1);
    let d = describe(&e, "db");
    assert_eq!(
        labelled(&d),
        vec![
            (TOKEN_B.to_owned(), vec!["AWSPREVIOUS".to_owned()]),
            (TOKEN_C.to_owned(), vec!["AWSCURRENT".to_owned()]),
        ]
    );
    // The value is sealed at rest: no record holds the new password in plaintext.
    let new_password = serde_json::from_str::<serde_json::Value>(&current_string(&e, "db"))
        .unwrap()["password"]
        .as_str()
        .unwrap()
        .to_owned();
    for (_, _, _, data) in e.dump() {
        assert!(!String::from_utf8_lossy(&data).contains(&new_password));
    }
}

#[test]
fn a_failure_at_each_step_leaves_the_secret_readable_and_awspending_in_place_then_retries() {
    for step in [Step::CreateSecret, Step::SetSecret, Step::TestSecret] {
        let e = env();
        let (fail_at, creates) = with_test_rotators(&e);
        create(&e, "s", "v0", TOKEN_A);
        *fail_at.lock().unwrap() = Some(step);
        rotate(&e, "s", FLAKY_ARN, TOKEN_B, "").unwrap();
        let o = outcomes(&e);
        assert_eq!(
            o,
            vec![Outcome::Failed {
                step,
                message: format!("injected at {}", step.as_str())
            }],
            "{step:?}"
        );
        let d = describe(&e, "s");
        assert_eq!(stages_of(&d, TOKEN_B), vec!["AWSPENDING"], "{step:?}");
        assert_eq!(stages_of(&d, TOKEN_A), vec!["AWSCURRENT"], "{step:?}");
        assert_eq!(current_string(&e, "s"), "v0", "{step:?}");
        let pending = e.call(
            "GetSecretValue",
            r#"{"SecretId":"s","VersionStage":"AWSPENDING"}"#,
        );
        if step == Step::CreateSecret {
            assert!(pending.is_err(), "the pending version stays empty");
        } else {
            assert_eq!(pending.unwrap().str("SecretString"), Some("v0+1"));
        }
        let stored = e.core.secrets.find(ACCT, "us-east-2", "s", T0).unwrap();
        let failure = stored
            .meta
            .rotation
            .as_ref()
            .unwrap()
            .last_failure
            .clone()
            .unwrap();
        assert_eq!(failure.step, step.as_str());
        assert_eq!(failure.message, format!("injected at {}", step.as_str()));
        assert_eq!(
            rotate(&e, "s", FLAKY_ARN, TOKEN_C, "")
                .err()
                .and_then(|e| e.code_and_message(Service::SecretsManager))
                .map(|(c, _)| c),
            Some("InvalidRequestException")
        );
        // Not before the backoff; then the same rotation (same token) completes.
        assert_eq!(outcomes(&e), vec![], "{step:?}");
        *fail_at.lock().unwrap() = None;
        e.clock.advance(crate::secrets::rotation::backoff(1));
        assert_eq!(
            outcomes(&e),
            vec![Outcome::Rotated {
                token: TOKEN_B.into()
            }],
            "{step:?}"
        );
        assert_eq!(current_string(&e, "s"), "v0+1");
        // createSecret is not run again once its value is stored.
        let expected_creates = if step == Step::CreateSecret { 2 } else { 1 };
        assert_eq!(*creates.lock().unwrap(), expected_creates, "{step:?}");
        let d = describe(&e, "s");
        assert_eq!(
            labelled(&d),
            vec![
                (TOKEN_A.to_owned(), vec!["AWSPREVIOUS".to_owned()]),
                (TOKEN_B.to_owned(), vec!["AWSCURRENT".to_owned()]),
            ]
        );
    }
}

#[test]
fn removing_awspending_after_a_failure_abandons_the_rotation_and_allows_a_new_one() {
    let e = env();
    let (fail_at, _) = with_test_rotators(&e);
    create(&e, "s", "v0", TOKEN_A);
    *fail_at.lock().unwrap() = Some(Step::SetSecret);
    rotate(&e, "s", FLAKY_ARN, TOKEN_B, "").unwrap();
    outcomes(&e);
    // What AWS tells users to do (§7.1): remove AWSPENDING.
    e.ok(
        "UpdateSecretVersionStage",
        &format!(
            r#"{{"SecretId":"s","VersionStage":"AWSPENDING","RemoveFromVersionId":"{TOKEN_B}"}}"#
        ),
    );
    *fail_at.lock().unwrap() = None;
    e.clock.advance(crate::secrets::rotation::backoff(1));
    assert_eq!(outcomes(&e), vec![Outcome::Abandoned]);
    assert_eq!(current_string(&e, "s"), "v0");
    rotate(&e, "s", FLAKY_ARN, TOKEN_C, "").unwrap();
    assert_eq!(
        outcomes(&e),
        vec![Outcome::Rotated {
            token: TOKEN_C.into()
        }]
    );
}

#[test]
fn bad_input_answers_awss_errors_and_changes_nothing() {
    let e = env();
    create(&e, "s", "v0", TOKEN_A);
    let before = e.dump();
    let err = |r: Result<Value, Error>| {
        r.err()
            .and_then(|e| e.code_and_message(Service::SecretsManager))
            .unwrap()
    };
    // A function that is no built-in rotator: not invocable, and not saved.
    for arn in [
        "arn:aws:lambda:us-east-2:111111111111:function:my-rotation",
        "arn:aws:lambda:us-east-2:111111111111:function:iamd-rotator-nope",
    ] {
        assert_eq!(
            err(rotate(&e, "s", arn, TOKEN_B, "")),
            (
                "AccessDeniedException",
                "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.".into()
            )
        );
    }
    assert!(describe(&e, "s").get("RotationEnabled").is_none());
    assert!(describe(&e, "s").get("RotationLambdaARN").is_none());
    assert_eq!(
        err(rotate(
            &e,
            "s",
            PASSWORD_ARN,
            TOKEN_B,
            r#","RotationRules":{"AutomaticallyAfterDays":2,"ScheduleExpression":"rate(2 days)"}"#
        )),
        (
            "InvalidParameterException",
            "You cannot specify both rotation frequency and schedule expression together.".into()
        )
    );
    assert_eq!(
        e.err(
            "RotateSecret",
            &format!(r#"{{"SecretId":"s","ClientRequestToken":"{TOKEN_B}"}}"#)
        ),
        (
            "InvalidRequestException",
            "No Lambda rotation function ARN is associated with this secret.".into()
        )
    );
    assert_eq!(
        e.err(
            "RotateSecret",
            &format!(r#"{{"SecretId":"s","RotationLambdaARN":"{PASSWORD_ARN}"}}"#)
        ),
        (
            "InvalidParameterException",
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.".into()
        )
    );
    assert_eq!(
        err(rotate(&e, "nope", PASSWORD_ARN, TOKEN_B, "")).0,
        "ResourceNotFoundException"
    );
    // A token already naming a version.
    assert_eq!(
        err(rotate(&e, "s", PASSWORD_ARN, TOKEN_A, "")).0,
        "ResourceExistsException"
    );
    assert_eq!(
        e.err("CancelRotateSecret", r#"{"SecretId":"s"}"#).0,
        "InvalidRequestException"
    );
    assert_eq!(e.dump(), before);

    e.ok("DeleteSecret", r#"{"SecretId":"s"}"#);
    let before = e.dump();
    assert_eq!(
        err(rotate(&e, "s", PASSWORD_ARN, TOKEN_B, "")),
        (
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion."
                .into()
        )
    );
    assert_eq!(e.dump(), before);
}

#[test]
fn rotate_later_tests_only_and_the_schedule_rotates_once_per_window() {
    let e = env();
    create(&e, "s", "v0", TOKEN_A);
    rotate(
        &e,
        "s",
        PASSWORD_ARN,
        TOKEN_B,
        r#","RotationRules":{"AutomaticallyAfterDays":1},"RotateImmediately":false"#,
    )
    .unwrap();
    assert_eq!(
        outcomes(&e),
        vec![Outcome::Tested {
            token: TOKEN_B.into()
        }]
    );
    // The test's pending version is gone; nothing else changed.
    let d = describe(&e, "s");
    assert_eq!(
        labelled(&d),
        vec![(TOKEN_A.to_owned(), vec!["AWSCURRENT".to_owned()])]
    );
    assert_eq!(
        e.ok(
            "ListSecretVersionIds",
            r#"{"SecretId":"s","IncludeDeprecated":true}"#
        )
        .list("Versions")
        .unwrap()
        .len(),
        1
    );
    assert_eq!(current_string(&e, "s"), "v0");
    assert!(d.get("LastRotatedDate").is_none());
    let next = secs(&d, "NextRotationDate").unwrap();
    assert!(next > T0 + DAY, "{next}");

    // Not due before its window starts; due once it has.
    let daily = crate::secrets::rotation::schedule::parse(
        &crate::secrets::rotation::schedule::RulesInput {
            automatically_after_days: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let (start, end) = daily.next_window(T0);
    assert_eq!(next, end);
    e.clock.set(start - 1);
    assert_eq!(outcomes(&e), vec![]);
    e.clock.set(start);
    let o = outcomes(&e);
    assert!(matches!(o.as_slice(), [Outcome::Rotated { .. }]), "{o:?}");
    assert_ne!(current_string(&e, "s"), "v0");
    // Once per window.
    assert_eq!(outcomes(&e), vec![]);
    let d = describe(&e, "s");
    assert_eq!(secs(&d, "LastRotatedDate"), Some(start));
    let (start2, end2) = daily.next_window(start);
    assert_eq!(secs(&d, "NextRotationDate"), Some(end2));
    e.clock.set(start2);
    assert_eq!(outcomes(&e).len(), 1);
    assert_eq!(
        e.ok(
            "ListSecretVersionIds",
            r#"{"SecretId":"s","IncludeDeprecated":true}"#
        )
        .list("Versions")
        .unwrap()
        .len(),
        3
    );
}

#[test]
fn cancel_keeps_function_and_rules_and_labels_and_stops_the_schedule() {
    let e = env();
    let (fail_at, _) = with_test_rotators(&e);
    create(&e, "s", "v0", TOKEN_A);
    *fail_at.lock().unwrap() = Some(Step::TestSecret);
    rotate(
        &e,
        "s",
        FLAKY_ARN,
        TOKEN_B,
        r#","RotationRules":{"AutomaticallyAfterDays":1}"#,
    )
    .unwrap();
    outcomes(&e);
    let c = e.ok("CancelRotateSecret", r#"{"SecretId":"s"}"#);
    assert_eq!(c.str("Name"), Some("s"));
    assert_eq!(c.str("VersionId"), Some(TOKEN_B));
    let d = describe(&e, "s");
    assert_eq!(
        d.get("RotationEnabled").and_then(Value::as_bool),
        Some(false)
    );
    assert_eq!(d.str("RotationLambdaARN"), Some(FLAKY_ARN));
    assert!(d.structure("RotationRules").is_some());
    assert!(d.get("NextRotationDate").is_none());
    assert!(d.get("LastRotatedDate").is_none());
    assert_eq!(stages_of(&d, TOKEN_B), vec!["AWSPENDING"]);
    // No retry, no schedule.
    *fail_at.lock().unwrap() = None;
    e.clock.advance(10 * DAY);
    assert_eq!(outcomes(&e), vec![]);
    assert_eq!(current_string(&e, "s"), "v0");
    let l = e.ok("ListSecrets", "{}");
    let entry = &l.list("SecretList").unwrap()[0];
    assert_eq!(
        entry.get("RotationEnabled").and_then(Value::as_bool),
        Some(false)
    );
    assert_eq!(entry.str("RotationLambdaARN"), Some(FLAKY_ARN));
}

#[test]
fn the_rotator_reads_other_secrets_as_the_principal_that_configured_rotation() {
    let e = env();
    with_test_rotators(&e);
    create(&e, "master", "master-value", TOKEN_A);
    e.ok(
        "CreateSecret",
        &format!(
            r#"{{"Name":"app","SecretString":"v0","ClientRequestToken":"{TOKEN_A}","Tags":[{{"Key":"other","Value":"master"}}]}}"#
        ),
    );
    // A user who may rotate and read `app`, not `master`.
    let user = make_user(
        &e,
        "rotator",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:RotateSecret","secretsmanager:GetSecretValue"],"Resource":"arn:aws:secretsmanager:*:*:secret:app-*"}]}"#,
    );
    call_user(
        &e,
        &user,
        "us-east-2",
        "RotateSecret",
        &format!(
            r#"{{"SecretId":"app","RotationLambdaARN":"{READER_ARN}","ClientRequestToken":"{TOKEN_B}"}}"#
        ),
    )
    .unwrap();
    let o = outcomes(&e);
    match o.as_slice() {
        [Outcome::Failed { step, message }] => {
            assert_eq!(*step, Step::CreateSecret);
            assert!(message.contains("AccessDeniedException"), "{message}");
            assert!(message.contains("user/rotator"), "{message}");
            assert!(!message.contains("master-value"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(current_string(&e, "app"), "v0");

    // The account root may read it: the same rotation, configured by the root, works.
    e.ok(
        "UpdateSecretVersionStage",
        &format!(
            r#"{{"SecretId":"app","VersionStage":"AWSPENDING","RemoveFromVersionId":"{TOKEN_B}"}}"#
        ),
    );
    rotate(&e, "app", READER_ARN, TOKEN_C, "").unwrap();
    let o = outcomes(&e);
    assert!(o.contains(&Outcome::Rotated {
        token: TOKEN_C.into()
    }));
    assert_eq!(current_string(&e, "app"), "master-value");
}

#[test]
fn the_lease_lets_one_node_run_a_rotation_and_the_other_sees_it_done() {
    let e = env();
    create(&e, "s", "v0", TOKEN_A);
    let other = e.reopen();
    rotate(
        &e,
        "s",
        PASSWORD_ARN,
        TOKEN_B,
        r#","RotationRules":{"AutomaticallyAfterDays":1},"RotateImmediately":false"#,
    )
    .unwrap();
    assert_eq!(outcomes(&e).len(), 1);
    other.refresh_from_store().unwrap();
    e.clock.advance(2 * DAY);

    let job = Job {
        account: ACCT.into(),
        region: "us-east-2".into(),
        name: "s".into(),
        token: None,
    };
    // This node holds the lease: the other runs nothing.
    let lease = e
        .core
        .rotation()
        .acquire(&**e.core.store(), &job, T0 + 2 * DAY)
        .unwrap()
        .unwrap();
    let o: Vec<Outcome> = other.run_rotations().into_iter().map(|(_, o)| o).collect();
    assert_eq!(o, vec![Outcome::Leased]);
    // A second taker is refused while it holds.
    assert_eq!(
        other
            .rotation()
            .acquire(&**e.core.store(), &job, T0 + 2 * DAY)
            .unwrap(),
        None
    );
    e.core.rotation().release(&**e.core.store(), &job, lease);

    // Released: the other node rotates; this node (whose index still says "due") reads the
    // secret again under the lease and finds nothing to do.
    let o: Vec<Outcome> = other.run_rotations().into_iter().map(|(_, o)| o).collect();
    assert!(matches!(o.as_slice(), [Outcome::Rotated { .. }]), "{o:?}");
    assert_eq!(outcomes(&e), vec![Outcome::Nothing]);
    assert_eq!(outcomes(&e), vec![]);
    assert_eq!(
        e.ok(
            "ListSecretVersionIds",
            r#"{"SecretId":"s","IncludeDeprecated":true}"#
        )
        .list("Versions")
        .unwrap()
        .len(),
        2
    );
    // An expired lease of a node that died is taken over.
    let stale = other
        .rotation()
        .acquire(&**e.core.store(), &job, T0)
        .unwrap();
    assert!(stale.is_some());
    assert!(
        e.core
            .rotation()
            .acquire(
                &**e.core.store(),
                &job,
                T0 + crate::secrets::rotation::LEASE_SECS + 1
            )
            .unwrap()
            .is_some()
    );
}

#[test]
fn old_records_without_rotation_read_as_never_configured() {
    let e = env();
    create(&e, "s", "v0", TOKEN_A);
    let d = describe(&e, "s");
    for member in [
        "RotationEnabled",
        "RotationLambdaARN",
        "RotationRules",
        "LastRotatedDate",
        "NextRotationDate",
    ] {
        assert!(d.get(member).is_none(), "{member}");
    }
    // The stored record has no rotation member at all.
    for (_, _, _, data) in e.dump() {
        assert!(!String::from_utf8_lossy(&data).contains("rotation"));
    }
}

/// A rotator that runs a hook during testSecret (to change the secret behind the rotation).
struct Hooked {
    on_test: Box<dyn Fn() + Send + Sync>,
}

impl Rotator for Hooked {
    fn name(&self) -> &'static str {
        "hooked"
    }
    fn create_secret(
        &self,
        _: &dyn RotationHost,
        v: &Values<'_>,
    ) -> Result<Zeroizing<String>, RotationError> {
        Ok(Zeroizing::new(format!("{}+1", v.current)))
    }
    fn set_secret(&self, _: &dyn RotationHost, _: &Values<'_>) -> Result<(), RotationError> {
        Ok(())
    }
    fn test_secret(&self, _: &dyn RotationHost, _: &Values<'_>) -> Result<(), RotationError> {
        (self.on_test)();
        Ok(())
    }
}

#[test]
fn a_rotation_cancelled_while_it_runs_does_not_finish() {
    let e = env();
    let secrets = e.core.secrets.clone();
    e.core
        .rotation()
        .set_rotators(Rotators::new(vec![Box::new(Hooked {
            on_test: Box::new(move || {
                let s = secrets.find(ACCT, "us-east-2", "s", T0).unwrap();
                secrets.cancel_rotation(&s, T0).unwrap();
            }),
        })]));
    create(&e, "s", "v0", TOKEN_A);
    let hooked = "arn:aws:lambda:us-east-2:111111111111:function:iamd-rotator-hooked";
    rotate(&e, "s", hooked, TOKEN_B, "").unwrap();
    let o = outcomes(&e);
    assert!(
        matches!(
            o.as_slice(),
            [Outcome::Failed {
                step: Step::FinishSecret,
                ..
            }]
        ),
        "{o:?}"
    );
    // AWSCURRENT did not move; AWSPENDING stays on the filled-in version (CancelRotateSecret
    // leaves labels alone); nothing retries it.
    assert_eq!(current_string(&e, "s"), "v0");
    let d = describe(&e, "s");
    assert_eq!(stages_of(&d, TOKEN_B), vec!["AWSPENDING"]);
    assert_eq!(
        d.get("RotationEnabled").and_then(Value::as_bool),
        Some(false)
    );
    e.clock.advance(DAY);
    assert_eq!(outcomes(&e), vec![]);
}

#[test]
fn put_secret_value_fills_the_pending_version_as_awss_templates_do() {
    let e = env();
    let (fail_at, _) = with_test_rotators(&e);
    create(&e, "s", "v0", TOKEN_A);
    *fail_at.lock().unwrap() = Some(Step::CreateSecret);
    rotate(&e, "s", FLAKY_ARN, TOKEN_B, "").unwrap();
    outcomes(&e);
    // UpdateSecret cannot reuse the empty version's token.
    assert_eq!(
        e.err(
            "UpdateSecret",
            &format!(r#"{{"SecretId":"s","SecretString":"x","ClientRequestToken":"{TOKEN_B}"}}"#)
        )
        .0,
        "ResourceExistsException"
    );
    // createSecret as a template does it: PutSecretValue(token, AWSPENDING) fills the version
    // without moving AWSCURRENT.
    e.ok(
        "PutSecretValue",
        &format!(
            r#"{{"SecretId":"s","SecretString":"by-hand","ClientRequestToken":"{TOKEN_B}","VersionStages":["AWSPENDING"]}}"#
        ),
    );
    assert_eq!(current_string(&e, "s"), "v0");
    assert_eq!(
        e.ok(
            "GetSecretValue",
            r#"{"SecretId":"s","VersionStage":"AWSPENDING"}"#
        )
        .str("SecretString"),
        Some("by-hand")
    );
    // The retry uses the stored value (createSecret is skipped) and finishes.
    e.clock.advance(crate::secrets::rotation::backoff(1));
    assert_eq!(
        outcomes(&e),
        vec![Outcome::Rotated {
            token: TOKEN_B.into()
        }]
    );
    assert_eq!(current_string(&e, "s"), "by-hand");
}

#[test]
fn a_value_changed_by_hand_counts_as_a_rotation_for_automatically_after_days() {
    let e = env();
    create(&e, "s", "v0", TOKEN_A);
    rotate(
        &e,
        "s",
        PASSWORD_ARN,
        TOKEN_B,
        r#","RotationRules":{"AutomaticallyAfterDays":10},"RotateImmediately":false"#,
    )
    .unwrap();
    outcomes(&e);
    let before = secs(&describe(&e, "s"), "NextRotationDate").unwrap();
    e.clock.advance(5 * DAY);
    e.ok(
        "PutSecretValue",
        &format!(r#"{{"SecretId":"s","SecretString":"v1","ClientRequestToken":"{TOKEN_C}"}}"#),
    );
    let after = secs(&describe(&e, "s"), "NextRotationDate").unwrap();
    assert_eq!(after - before, 5 * DAY);
}

#[test]
fn replicas_follow_the_rotation_and_never_hold_an_empty_version_value() {
    let e = env();
    create(&e, "s", "v0", TOKEN_A);
    e.ok(
        "ReplicateSecretToRegions",
        r#"{"SecretId":"s","AddReplicaRegions":[{"Region":"eu-west-1"}]}"#,
    );
    rotate(&e, "s", PASSWORD_ARN, TOKEN_B, "").unwrap();
    // The replica lists the empty pending version and answers for it as the primary does.
    let replica_pending = e.call_as(
        ACCT,
        "eu-west-1",
        "GetSecretValue",
        r#"{"SecretId":"s","VersionStage":"AWSPENDING"}"#,
    );
    assert_eq!(
        replica_pending
            .err()
            .and_then(|e| e.code_and_message(Service::SecretsManager))
            .map(|(c, _)| c),
        Some("ResourceNotFoundException")
    );
    assert_eq!(
        outcomes(&e),
        vec![Outcome::Rotated {
            token: TOKEN_B.into()
        }]
    );
    let primary = current_string(&e, "s");
    let replica = e
        .call_as(ACCT, "eu-west-1", "GetSecretValue", r#"{"SecretId":"s"}"#)
        .unwrap();
    assert_eq!(replica.str("SecretString"), Some(primary.as_str()));
    assert_eq!(replica.str("VersionId"), Some(TOKEN_B));
}
