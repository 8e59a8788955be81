//! AssumeRole and session authentication through the service core, with a manual clock.

use crate::accounts::{Caller, Principal};
use crate::clock::ManualClock;
use crate::core::{Iamd, Options, SessionAuthError};
use crate::error::Error;
use iamd_api::{Service, Value};
use iamd_crypto::MasterKey;
use iamd_store::{SqliteStore, Store};
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
    let (d, b32) = c
        .iam
        .create_virtual_mfa_device(&c.mfa_seal, A, "phone", "/", &[], T0)
        .unwrap();
    assert_eq!(d.serial, format!("arn:aws:iam::{A}:mfa/phone"));
    let seed = data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
    let code = |step: i64| format!("{:06}", totp(&seed, step));
    let step = T0 / 30;
    // Two codes that are not consecutive: refused.
    let bad = c.iam.enable_mfa_device(
        &c.mfa_seal,
        &c.mfa_used,
        A,
        "ops",
        &d.serial,
        &code(step),
        &code(step + 2),
        T0,
    );
    assert!(matches!(
        bad,
        Err(Error::Aws {
            code: "InvalidAuthenticationCode",
            ..
        })
    ));
    c.iam
        .enable_mfa_device(
            &c.mfa_seal,
            &c.mfa_used,
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
            .verify_mfa_code(&c.mfa_seal, &c.mfa_used, A, "ops", &d.serial, code, now)
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
            .verify_mfa_code(
                &c.mfa_seal,
                &c.mfa_used,
                A,
                "eve",
                &d.serial,
                &code(step),
                T0
            )
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
