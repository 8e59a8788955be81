//! AssumeRole and session authentication through the service core, with a manual clock.

#![expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]

use crate::accounts::{Caller, Principal};
use crate::clock::ManualClock;
use crate::error::Error;
use crate::service::{Iamd, Options, SessionAuthError};
use iamd_api::{Service, Value};
use iamd_crypto::MasterKey;
use iamd_store::{SqliteStore, Store, StoreExt};
use std::sync::Arc;

const A: &str = "111122223333";
const T0: i64 = 1_700_000_000;

fn core(store: &Arc<dyn Store>, mk: &MasterKey, clock: &Arc<ManualClock>) -> Iamd {
    Iamd::open(store.clone(), mk, clock.clone(), Options::default()).unwrap()
}

fn call(core: &Iamd, caller: &Caller, op: &str, params: &[(&str, &str)]) -> Result<Value, Error> {
    let mut form: Vec<(String, String)> = vec![
        ("Action".into(), op.into()),
        ("Version".into(), "2011-06-15".into()),
    ];
    form.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let (operation, input) = iamd_api::decode_query(Service::Sts, &form)
        .map_err(|e| Error::Internal(format!("decode: {} {}", e.code, e.message)))?;
    core.handle(core.dispatch(operation)?, caller, "us-east-1", &input)
}

#[test]
fn sessions_outlive_restarts_expire_by_the_clock_and_die_with_their_role() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let c = core(&store, &mk, &clock);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:user/ops"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    // The user first: IAM refuses a trust policy naming a user that does not exist.
    let u = c.iam.create_user(A, "ops", "/", None, &[], T0).unwrap();
    c.iam
        .create_role(A, "R", "/", &trust, None, None, None, &[], T0)
        .unwrap();
    let user = Caller::long_term(
        A,
        Principal::User {
            name: "ops".into(),
            path: "/".into(),
            id: u.id.clone(),
        },
        "AKIAEXAMPLE",
    );
    let out = call(
        &c,
        &user,
        "AssumeRole",
        &[
            ("RoleArn", &format!("arn:aws:iam::{A}:role/R")),
            ("RoleSessionName", "s1"),
            ("DurationSeconds", "900"),
        ],
    )
    .unwrap();
    let creds = out.structure("Credentials").unwrap();
    let key = creds.str("AccessKeyId").unwrap();
    let token = creds.str("SessionToken").unwrap();
    assert_eq!(
        iamd_crypto::ids::account_from_access_key_id(key),
        Some(111_122_223_333)
    );
    // Nothing was written for the session: a second process over the same store and master
    // key accepts it.
    let other = core(&store, &mk, &clock);
    let claims = other.authenticate_session(token, key).unwrap();
    let caller = Caller::from_session(claims);
    assert_eq!(caller.arn(), format!("arn:aws:sts::{A}:assumed-role/R/s1"));
    assert!(caller.user_id().ends_with(":s1"));
    // Another master key does not.
    let foreign = core(&store, &MasterKey::generate().unwrap(), &clock);
    assert_eq!(
        foreign.authenticate_session(token, key).err(),
        Some(SessionAuthError::Invalid)
    );
    // Expiry follows the clock: valid at T0+899, expired at T0+900.
    clock.set(T0 + 899);
    assert!(c.authenticate_session(token, key).is_ok());
    clock.set(T0 + 900);
    assert_eq!(
        c.authenticate_session(token, key).err(),
        Some(SessionAuthError::Expired)
    );
    // A fresh session ends when its role is deleted.
    clock.set(T0);
    let out = call(
        &c,
        &user,
        "AssumeRole",
        &[
            ("RoleArn", &format!("arn:aws:iam::{A}:role/R")),
            ("RoleSessionName", "s2"),
        ],
    )
    .unwrap();
    let creds = out.structure("Credentials").unwrap();
    let (key, token) = (
        creds.str("AccessKeyId").unwrap(),
        creds.str("SessionToken").unwrap(),
    );
    assert!(c.authenticate_session(token, key).is_ok());
    c.iam.delete_role(A, "R").unwrap();
    assert_eq!(
        c.authenticate_session(token, key).err(),
        Some(SessionAuthError::Invalid)
    );
}

#[test]
fn mfa_codes_work_within_one_step_once_and_put_mfa_in_the_session() {
    use crate::iam::mfa::{MfaCheck, totp};
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let c = core(&store, &mk, &clock);
    let u = c.iam.create_user(A, "ops", "/", None, &[], T0).unwrap();
    let crate::iam::mfa::NewDevice {
        record: d,
        seed_b32: b32,
        ..
    } = c
        .iam
        .create_virtual_mfa_device(c.iam.mfa_seal(), A, "phone", "/", &[], T0)
        .unwrap();
    assert_eq!(d.serial, format!("arn:aws:iam::{A}:mfa/phone"));
    let seed = data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
    let code = |step: i64| format!("{:06}", totp(&seed, step));
    let step = T0 / 30;
    // Two codes that are not consecutive: refused.
    let bad = c.iam.enable_mfa_device(
        c.iam.mfa_seal(),
        A,
        "ops",
        &d.serial,
        &code(step),
        &code(step + 2),
        T0,
    );
    assert!(matches!(
        bad,
        Err(e) if e.code_and_message(iamd_api::Service::Iam).map(|(c, _)| c) == Some("InvalidAuthenticationCode")
    ));
    c.iam
        .enable_mfa_device(
            c.iam.mfa_seal(),
            A,
            "ops",
            &d.serial,
            &code(step - 1),
            &code(step),
            T0,
        )
        .unwrap();
    let verify = |code: &str, now: i64| {
        c.iam
            .verify_mfa_code(c.iam.mfa_seal(), A, "ops", &d.serial, code, now)
            .unwrap()
    };
    // Codes used to enable are spent; two steps ahead is outside the window.
    assert_eq!(verify(&code(step), T0), MfaCheck::InvalidCode);
    assert_eq!(verify(&code(step + 2), T0), MfaCheck::InvalidCode);
    assert_eq!(verify(&code(step + 1), T0), MfaCheck::Valid);
    assert_eq!(verify(&code(step + 1), T0), MfaCheck::InvalidCode, "replay");
    // Another user's view of the device: unknown.
    c.iam.create_user(A, "eve", "/", None, &[], T0).unwrap();
    assert_eq!(
        c.iam
            .verify_mfa_code(c.iam.mfa_seal(), A, "eve", &d.serial, &code(step), T0)
            .unwrap(),
        MfaCheck::UnknownDevice
    );

    // GetSessionToken with the device: the session carries the MFA time, so IAM is callable.
    clock.set(T0 + 60);
    let user = Caller::long_term(
        A,
        Principal::User {
            name: "ops".into(),
            path: "/".into(),
            id: u.id.clone(),
        },
        "AKIAEXAMPLE",
    );
    let out = call(
        &c,
        &user,
        "GetSessionToken",
        &[("SerialNumber", &d.serial), ("TokenCode", &code(step + 2))],
    )
    .unwrap();
    let creds = out.structure("Credentials").unwrap();
    let claims = c
        .authenticate_session(
            creds.str("SessionToken").unwrap(),
            creds.str("AccessKeyId").unwrap(),
        )
        .unwrap();
    assert_eq!(claims.mfa_at, Some(T0 + 60));
    assert_eq!(claims.expires_at, T0 + 60 + 43_200);
}

/// A user `ops` with an enabled device `phone` (enabled at `T0` with the codes of steps
/// `T0/30 - 1` and `T0/30`); returns the serial and the seed.
fn enabled_device(c: &Iamd) -> (String, Vec<u8>) {
    use crate::iam::mfa::totp;
    c.iam.create_user(A, "ops", "/", None, &[], T0).unwrap();
    let crate::iam::mfa::NewDevice {
        record: d,
        seed_b32: b32,
        ..
    } = c
        .iam
        .create_virtual_mfa_device(c.iam.mfa_seal(), A, "phone", "/", &[], T0)
        .unwrap();
    let seed = data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
    let step = T0 / 30;
    let code = |s: i64| format!("{:06}", totp(&seed, s));
    c.iam
        .enable_mfa_device(
            c.iam.mfa_seal(),
            A,
            "ops",
            &d.serial,
            &code(step - 1),
            &code(step),
            T0,
        )
        .unwrap();
    (d.serial, seed)
}

fn code_at(seed: &[u8], step: i64) -> String {
    format!("{:06}", crate::iam::mfa::totp(seed, step))
}

/// Two iamd processes over one SQLite file (the shape of several nodes over one PostgreSQL): a
/// code spent through one is refused by the other, and by both after a restart.
#[test]
fn spent_codes_stay_spent_across_nodes_and_restarts() {
    use crate::iam::mfa::MfaCheck;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iamd.db");
    let mk = MasterKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let open = || -> Iamd {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        core(&store, &mk, &clock)
    };
    let (a, b) = (open(), open());
    let (serial, seed) = enabled_device(&a);
    let step = T0 / 30;
    let verify = |c: &Iamd, code: &str| {
        c.iam
            .verify_mfa_code(c.iam.mfa_seal(), A, "ops", &serial, code, T0)
            .unwrap()
    };
    // The codes EnableMFADevice took are spent on the other node too.
    assert_eq!(verify(&b, &code_at(&seed, step)), MfaCheck::InvalidCode);
    assert_eq!(verify(&a, &code_at(&seed, step + 1)), MfaCheck::Valid);
    assert_eq!(verify(&b, &code_at(&seed, step + 1)), MfaCheck::InvalidCode);
    drop((a, b));
    let a = open();
    assert_eq!(verify(&a, &code_at(&seed, step + 1)), MfaCheck::InvalidCode);
    // A wrong code leaves the device record alone (its failure is counted in a record of its
    // own, `mfa-attempts`): the record keeps its version.
    let version = || {
        a.store()
            .read(|tx| tx.get("mfa-device", A, "phone"))
            .unwrap()
            .unwrap()
            .version
    };
    let v = version();
    let wrong = format!("{:06}", (totp_plus_one(&seed, step)) % 1_000_000);
    assert_eq!(verify(&a, &wrong), MfaCheck::InvalidCode);
    assert_eq!(version(), v);
    clock.set(T0 + 30);
    let at = |c: &Iamd, code: &str| {
        c.iam
            .verify_mfa_code(c.iam.mfa_seal(), A, "ops", &serial, code, T0 + 30)
            .unwrap()
    };
    assert_eq!(at(&a, &code_at(&seed, step + 2)), MfaCheck::Valid);
    assert_eq!(version(), v + 1);
}

fn totp_plus_one(seed: &[u8], step: i64) -> u32 {
    crate::iam::mfa::totp(seed, step + 1) + 1
}

/// Requests racing with one code on two nodes: exactly one is let through, every time.
#[test]
fn racing_requests_with_one_code_let_exactly_one_through() {
    use crate::iam::mfa::MfaCheck;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iamd.db");
    let mk = MasterKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let open = || -> Arc<Iamd> {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        Arc::new(core(&store, &mk, &clock))
    };
    let nodes = [open(), open()];
    let (serial, seed) = enabled_device(&nodes[0]);
    for round in 1..=10i64 {
        let now = T0 + 30 * round;
        let code = code_at(&seed, now / 30);
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (node, barrier, serial, code) = (
                    nodes[i % 2].clone(),
                    barrier.clone(),
                    serial.clone(),
                    code.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    node.iam
                        .verify_mfa_code(node.iam.mfa_seal(), A, "ops", &serial, &code, now)
                        .unwrap()
                })
            })
            .collect();
        let results: Vec<MfaCheck> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(
            results.iter().filter(|r| **r == MfaCheck::Valid).count(),
            1,
            "round {round}: {results:?}"
        );
        assert!(
            results
                .iter()
                .all(|r| matches!(r, MfaCheck::Valid | MfaCheck::InvalidCode))
        );
    }
}

/// ResyncMFADevice finds two consecutive codes of a drifted device within ±10 steps, records
/// the drift so that the device's next codes validate, and spends the codes; bad input changes
/// nothing.
#[test]
fn resync_follows_a_drifted_device_and_bad_input_changes_nothing() {
    use crate::iam::mfa::MfaCheck;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let c = core(&store, &mk, &clock);
    let (serial, seed) = enabled_device(&c);
    let step = T0 / 30;
    let now = T0 + 30;
    let verify = |code: &str| {
        c.iam
            .verify_mfa_code(c.iam.mfa_seal(), A, "ops", &serial, code, now)
            .unwrap()
    };
    let resync = |user: &str, serial: &str, c1: &str, c2: &str| {
        c.iam
            .resync_mfa_device(c.iam.mfa_seal(), A, user, serial, c1, c2, now)
    };
    let record = || {
        store
            .read(|tx| tx.get("mfa-device", A, "phone"))
            .unwrap()
            .unwrap()
    };
    let aws_err = |r: Result<(), Error>| match r {
        Err(e) if e.code_and_message(iamd_api::Service::Iam).is_some() => e
            .code_and_message(iamd_api::Service::Iam)
            .unwrap_or(("", String::new())),
        other => panic!("{other:?}"),
    };
    // The device runs 8 steps (4 minutes) ahead of the server: its codes are refused.
    let dev = step + 1 + 8;
    assert_eq!(verify(&code_at(&seed, dev)), MfaCheck::InvalidCode);

    let before = record();
    let invalid = (
        "InvalidAuthenticationCode",
        "Authentication code for device is not valid.".to_owned(),
    );
    // Not consecutive, reversed, outside the window (11 steps ahead), garbage: refused.
    for (c1, c2) in [
        (code_at(&seed, dev), code_at(&seed, dev + 2)),
        (code_at(&seed, dev + 1), code_at(&seed, dev)),
        (code_at(&seed, step + 1 + 11), code_at(&seed, step + 1 + 12)),
        ("abcdef".to_owned(), "12345".to_owned()),
    ] {
        assert_eq!(aws_err(resync("ops", &serial, &c1, &c2)), invalid);
    }
    // The codes that enabled the device are spent.
    assert_eq!(
        aws_err(resync(
            "ops",
            &serial,
            &code_at(&seed, step - 1),
            &code_at(&seed, step)
        )),
        invalid
    );
    let (c1, c2) = (code_at(&seed, dev), code_at(&seed, dev + 1));
    assert_eq!(
        aws_err(resync("nobody", &serial, &c1, &c2)),
        (
            "NoSuchEntity",
            "The user with name nobody cannot be found.".to_owned()
        )
    );
    c.iam.create_user(A, "eve", "/", None, &[], T0).unwrap();
    for (user, s) in [
        ("eve", serial.as_str()),
        ("ops", &format!("arn:aws:iam::{A}:mfa/nope")),
    ] {
        assert_eq!(
            aws_err(resync(user, s, &c1, &c2)),
            (
                "NoSuchEntity",
                format!("MFA Device with serial number {s} does not exist.")
            )
        );
    }
    assert_eq!(record(), before, "refused resyncs change nothing");

    resync("ops", &serial, &c1, &c2).unwrap();
    // The same pair again: spent.
    assert_eq!(aws_err(resync("ops", &serial, &c1, &c2)), invalid);
    // The device's next code validates now, once; its spent codes do not.
    assert_eq!(verify(&code_at(&seed, dev + 1)), MfaCheck::InvalidCode);
    assert_eq!(verify(&code_at(&seed, dev + 2)), MfaCheck::Valid);
    assert_eq!(verify(&code_at(&seed, dev + 2)), MfaCheck::InvalidCode);
    // And the drift holds as the clock moves on, through STS.
    clock.set(now + 300);
    let later = (now + 300) / 30 + 9;
    assert_eq!(
        c.iam
            .verify_mfa_code(
                c.iam.mfa_seal(),
                A,
                "ops",
                &serial,
                &code_at(&seed, later),
                now + 300
            )
            .unwrap(),
        MfaCheck::Valid
    );
}

/// Issue 11, finding 11: a GetFederationToken session names its IAM user by unique id, so a
/// user deleted and recreated under the same name does not revive it; a token sealed before the
/// id was recorded (no `user_id`) is refused rather than trusted by name.
#[test]
fn federation_sessions_are_bound_to_the_users_unique_id() {
    use crate::sessions::{SessionClaims, SessionPrincipal};
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mk = MasterKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let c = core(&store, &mk, &clock);
    let u = c.iam.create_user(A, "broker", "/", None, &[], T0).unwrap();
    let claims = |user_id: Option<String>, key: &str| SessionClaims {
        account: A.into(),
        principal: SessionPrincipal::FederatedUser {
            name: "app".into(),
            user: Some(format!("arn:aws:iam::{A}:user/broker")),
            user_id,
        },
        access_key_id: key.into(),
        secret_access_key: "secret-secret-secret-secret".into(),
        issued_at: T0,
        expires_at: T0 + 3600,
        mfa_at: None,
        source_identity: None,
        tags: vec![],
        transitive_tag_keys: vec![],
        policy: None,
        policy_arns: vec![],
        chained: false,
    };
    let bound = c
        .sessions
        .seal(&claims(Some(u.id.clone()), "ASIABOUNDEXAMPLE0001"))
        .unwrap();
    let legacy = c
        .sessions
        .seal(&claims(None, "ASIALEGACYEXAMPLE001"))
        .unwrap();
    assert!(
        c.authenticate_session(&bound, "ASIABOUNDEXAMPLE0001")
            .is_ok()
    );
    assert_eq!(
        c.authenticate_session(&legacy, "ASIALEGACYEXAMPLE001")
            .err(),
        Some(SessionAuthError::Invalid)
    );
    c.iam.delete_user(A, "broker").unwrap();
    assert_eq!(
        c.authenticate_session(&bound, "ASIABOUNDEXAMPLE0001").err(),
        Some(SessionAuthError::Invalid)
    );
    c.iam.create_user(A, "broker", "/", None, &[], T0).unwrap();
    assert_eq!(
        c.authenticate_session(&bound, "ASIABOUNDEXAMPLE0001").err(),
        Some(SessionAuthError::Invalid)
    );
}
