//! Issue 11, finding 4: wrong one-time codes lock a device (in the store: across `Iam`s, nodes
//! and restarts), with a lock that doubles; an accepted code resets the count; a caller gets a
//! limited number of wrong codes per minute on a node. Run on SQLite always and on PostgreSQL
//! when `IAMD_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]

use super::lockout::{
    Attempts, CALLER_FAILURES_PER_WINDOW, CALLER_WINDOW_SECONDS, FAILURES_BEFORE_LOCK,
    FIRST_LOCK_SECONDS, KIND_ATTEMPTS,
};
use super::{KIND_MFA, MfaCheck, NewDevice, totp};
use crate::error::Error;
use crate::iam::Iam;
use iamd_crypto::{MasterKey, SealingKey};
use iamd_store::{SqliteStore, Store, StoreExt};
use std::sync::Arc;

const A: &str = "111122223333";
/// A multiple of 30: step boundaries fall on round offsets from it.
const T0: i64 = 1_700_000_010;
const S0: i64 = T0 / 30;

struct Device {
    serial: String,
    seed: Vec<u8>,
}

impl Device {
    fn code(&self, step: i64) -> String {
        format!("{:06}", totp(&self.seed, step))
    }

    /// A code that is the device's for no step near `step`.
    fn wrong(&self, step: i64, n: u32) -> String {
        let near: Vec<String> = (step - 12..=step + 12).map(|s| self.code(s)).collect();
        (n..)
            .map(|i| format!("{:06}", i % 1_000_000))
            .find(|c| !near.contains(c))
            .unwrap()
    }
}

/// A user `user` with an enabled device `<user>-phone`; the codes of steps S0-2 and S0-1 are
/// spent.
fn enabled(iam: &Iam, seal: &SealingKey, user: &str, device: &str) -> Device {
    if iam
        .find::<crate::iam::UserRecord>(A, user)
        .unwrap()
        .is_none()
    {
        iam.create_user(A, user, "/", None, &[], T0).unwrap();
    }
    let NewDevice {
        record, seed_b32, ..
    } = iam
        .create_virtual_mfa_device(seal, A, device, "/", &[], T0)
        .unwrap();
    let d = Device {
        serial: record.serial,
        seed: data_encoding::BASE32_NOPAD
            .decode(seed_b32.as_bytes())
            .unwrap(),
    };
    iam.enable_mfa_device(
        seal,
        A,
        user,
        &d.serial,
        &d.code(S0 - 2),
        &d.code(S0 - 1),
        T0,
    )
    .unwrap();
    d
}

fn verify(iam: &Iam, seal: &SealingKey, user: &str, d: &Device, code: &str, now: i64) -> MfaCheck {
    iam.verify_mfa_code(seal, A, user, &d.serial, code, now)
        .unwrap()
}

fn attempts(store: &Arc<dyn Store>, device: &str) -> Option<Attempts> {
    store
        .read(|tx| tx.get(KIND_ATTEMPTS, A, device))
        .unwrap()
        .map(|r| serde_json::from_slice(&r.data).unwrap())
}

fn is_invalid_code(r: Result<(), Error>) -> bool {
    matches!(
        r,
        Err(e) if e.code_and_message(iamd_api::Service::Iam).map(|(c, _)| c)
            == Some("InvalidAuthenticationCode")
    )
}

/// The lock scenario on any store; `open` gives a new `Iam` over the same data (another node,
/// or the same after a restart).
fn lock_scenario(open: &dyn Fn() -> (Iam, Arc<dyn Store>)) {
    let seal = MasterKey::generate().unwrap().sealing_key(b"mfa-seed v1");
    let (a, store) = open();
    let d = enabled(&a, &seal, "ops", "phone");
    let device_version = || {
        store
            .read(|tx| tx.get(KIND_MFA, A, "phone"))
            .unwrap()
            .unwrap()
            .version
    };
    let v = device_version();

    // A malformed code can be no step's code: refused, not counted, nothing written.
    for bad in ["abcdef", "12345", "1234567", ""] {
        assert_eq!(verify(&a, &seal, "ops", &d, bad, T0), MfaCheck::InvalidCode);
    }
    assert_eq!(attempts(&store, "phone"), None);
    // Four wrong codes: counted, not locked; the device record is not touched.
    for i in 0..FAILURES_BEFORE_LOCK - 1 {
        assert_eq!(
            verify(&a, &seal, "ops", &d, &d.wrong(S0, i), T0),
            MfaCheck::InvalidCode
        );
    }
    assert_eq!(attempts(&store, "phone").unwrap().failures, 4);
    assert_eq!(device_version(), v);
    // The fifth locks the device for 30 seconds: the right code is refused like a wrong one, on
    // this `Iam` and on another over the same store (another node, or after a restart).
    assert_eq!(
        verify(&a, &seal, "ops", &d, &d.wrong(S0, 9), T0),
        MfaCheck::InvalidCode
    );
    let (b, _) = open();
    for (iam, now) in [(&a, T0), (&b, T0 + FIRST_LOCK_SECONDS - 1)] {
        assert_eq!(
            verify(iam, &seal, "ops", &d, &d.code(S0), now),
            MfaCheck::InvalidCode
        );
    }
    // Codes sent while locked are not checked, and not written.
    let locked = attempts(&store, "phone");
    assert_eq!(
        locked,
        Some(Attempts {
            failures: 5,
            locked_until: Some(T0 + FIRST_LOCK_SECONDS)
        })
    );
    // IAM's code checks honour the lock too (the same answer as their wrong code).
    assert!(is_invalid_code(a.resync_mfa_device(
        &seal,
        A,
        "ops",
        &d.serial,
        &d.code(S0),
        &d.code(S0 + 1),
        T0
    )));
    assert_eq!(attempts(&store, "phone"), locked);

    // After the lock, one more wrong code locks again, for twice as long.
    let t1 = T0 + FIRST_LOCK_SECONDS;
    assert_eq!(
        verify(&b, &seal, "ops", &d, &d.wrong(S0, 20), t1),
        MfaCheck::InvalidCode
    );
    assert_eq!(
        attempts(&store, "phone").unwrap().locked_until,
        Some(t1 + 2 * FIRST_LOCK_SECONDS)
    );
    let s1 = t1 / 30;
    assert_eq!(
        verify(&a, &seal, "ops", &d, &d.code(s1), t1 + 59),
        MfaCheck::InvalidCode
    );
    // Once it ends, the right code works and the count starts again.
    let t2 = t1 + 2 * FIRST_LOCK_SECONDS;
    let s2 = t2 / 30;
    assert_eq!(
        verify(&a, &seal, "ops", &d, &d.code(s2), t2),
        MfaCheck::Valid
    );
    assert_eq!(attempts(&store, "phone"), None);
    for i in 0..FAILURES_BEFORE_LOCK - 1 {
        assert_eq!(
            verify(&b, &seal, "ops", &d, &d.wrong(s2, 30 + i), t2),
            MfaCheck::InvalidCode
        );
    }
    assert_eq!(
        verify(&b, &seal, "ops", &d, &d.code(s2 + 1), t2),
        MfaCheck::Valid
    );

    // EnableMFADevice and ResyncMFADevice count their wrong codes against the same device.
    let e = enabled(&a, &seal, "eve", "token");
    let t3 = T0 + 3600;
    let s3 = t3 / 30;
    for i in 0..FAILURES_BEFORE_LOCK {
        let w = e.wrong(s3, 40 + i);
        assert!(is_invalid_code(
            b.resync_mfa_device(&seal, A, "eve", &e.serial, &w, &w, t3)
        ));
    }
    assert_eq!(attempts(&store, "token").unwrap().failures, 5);
    assert_eq!(
        verify(&a, &seal, "eve", &e, &e.code(s3), t3),
        MfaCheck::InvalidCode
    );
    // Deleting a device forgets its failures: a new device of that name starts afresh.
    a.deactivate_mfa_device(A, "eve", &e.serial).unwrap();
    a.delete_virtual_mfa_device(A, &e.serial).unwrap();
    assert_eq!(attempts(&store, "token"), None);
    let f = enabled(&b, &seal, "eve", "token");
    assert_eq!(
        verify(&a, &seal, "eve", &f, &f.code(S0), T0),
        MfaCheck::Valid
    );
    // A device not yet enabled locks the same way (EnableMFADevice).
    let NewDevice { record, .. } = a
        .create_virtual_mfa_device(&seal, A, "spare", "/", &[], T0)
        .unwrap();
    for i in 0..FAILURES_BEFORE_LOCK {
        let w = format!("{:06}", 100 + i);
        let r = a.enable_mfa_device(&seal, A, "eve", &record.serial, &w, &w, T0);
        assert!(is_invalid_code(r));
    }
    assert!(attempts(&store, "spare").unwrap().locked(T0));
}

#[test]
fn wrong_codes_lock_the_device_with_a_growing_lock_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iamd.db");
    lock_scenario(&|| {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        (
            Iam::new(store.clone(), iamd_crypto::SealingKey::from_bytes([7; 32])),
            store,
        )
    });
}

#[test]
fn wrong_codes_lock_the_device_with_a_growing_lock_on_postgres() {
    let Some(url) = std::env::var("IAMD_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: wrong_codes_lock_the_device_with_a_growing_lock_on_postgres needs IAMD_TEST_POSTGRES_URL"
        );
        return;
    };
    let schema = format!("iamd_mfa_test_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    let store_url = format!("{url}{sep}schema={schema}");
    let result = std::panic::catch_unwind(|| {
        lock_scenario(&|| {
            let store: Arc<dyn Store> = Arc::from(iamd_store::open_url(&store_url).unwrap());
            (
                Iam::new(store.clone(), iamd_crypto::SealingKey::from_bytes([7; 32])),
                store,
            )
        })
    });
    let _ = std::process::Command::new("psql")
        .args([
            url.as_str(),
            "-q",
            "-c",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .output();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// A caller gets at most CALLER_FAILURES_PER_WINDOW wrong codes a minute on a node, over all
/// its devices: beyond that even a right code for a device with few failures is refused, until
/// the window ends. The limit is per node (another `Iam` has its own count); the device lock
/// is the one shared through the store.
#[test]
fn a_caller_gets_a_few_wrong_codes_a_minute_per_node() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let seal = MasterKey::generate().unwrap().sealing_key(b"mfa-seed v1");
    let iam = Iam::new(store.clone(), iamd_crypto::SealingKey::from_bytes([7; 32]));
    let devices: Vec<Device> = ["d1", "d2", "d3"]
        .iter()
        .map(|n| enabled(&iam, &seal, "ops", n))
        .collect();
    let mut sent = 0;
    'out: for d in &devices {
        for _ in 0..FAILURES_BEFORE_LOCK - 1 {
            if sent == CALLER_FAILURES_PER_WINDOW {
                break 'out;
            }
            assert_eq!(
                verify(&iam, &seal, "ops", d, &d.wrong(S0, sent), T0),
                MfaCheck::InvalidCode
            );
            sent += 1;
        }
    }
    let last = &devices[2];
    assert!(attempts(&store, "d3").unwrap().failures < FAILURES_BEFORE_LOCK);
    assert_eq!(
        verify(&iam, &seal, "ops", last, &last.code(S0), T0 + 1),
        MfaCheck::InvalidCode
    );
    // Another node has its own count: it accepts the right code.
    let other = Iam::new(store.clone(), iamd_crypto::SealingKey::from_bytes([7; 32]));
    assert_eq!(
        verify(&other, &seal, "ops", last, &last.code(S0), T0 + 1),
        MfaCheck::Valid
    );
    // After the window, this node accepts the next right code.
    let t = T0 + CALLER_WINDOW_SECONDS;
    assert_eq!(
        verify(&iam, &seal, "ops", last, &last.code(t / 30 + 1), t),
        MfaCheck::Valid
    );
}
