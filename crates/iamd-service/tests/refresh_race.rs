//! A node's refresh from the store must never undo a write this node has just committed.
//!
//! Found by CI on PostgreSQL (`test_inactive_and_deleted_keys_fail_at_once`): a key created and
//! used at once was refused as `InvalidClientTokenId`. The refresher thread (which reloads the
//! in-memory views when the store's revision moves) had read its snapshot just before the key's
//! transaction committed; the write then put the key into the index, and the refresher replaced
//! the index with its older snapshot. The key came back one refresh later, but requests in
//! between were refused. These tests hold the refresher between its read and its swap (a store
//! that pauses one read) while a write commits, and check that the write survives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iamd_api::{Service, Value};
use iamd_crypto::MasterKey;
use iamd_service::clock::ManualClock;
use iamd_service::{Caller, Iamd, Options, Principal};
use iamd_store::{SqliteStore, Store, StoreError, Tx};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const A: &str = "111122223333";

/// A store that, once armed, pauses the next read after it has run (its snapshot taken) until
/// released.
struct GatedStore {
    inner: SqliteStore,
    armed: AtomicBool,
    reached: Mutex<Option<mpsc::Sender<()>>>,
    release: Mutex<Option<mpsc::Receiver<()>>>,
}

impl GatedStore {
    /// Arms the gate: returns (paused, release).
    fn arm(&self) -> (mpsc::Receiver<()>, mpsc::Sender<()>) {
        let (reached_tx, reached_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        *self.reached.lock().unwrap() = Some(reached_tx);
        *self.release.lock().unwrap() = Some(release_rx);
        self.armed.store(true, Ordering::SeqCst);
        (reached_rx, release_tx)
    }
}

impl Store for GatedStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    fn write_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.inner.write_dyn(f)
    }
    fn read_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let out = self.inner.read_dyn(f);
        if self.armed.swap(false, Ordering::SeqCst) {
            let reached = self.reached.lock().unwrap().take().unwrap();
            let release = self.release.lock().unwrap().take().unwrap();
            reached.send(()).unwrap();
            release.recv().unwrap();
        }
        out
    }
    fn revision(&self) -> Result<i64, StoreError> {
        self.inner.revision()
    }
}

fn root() -> Caller {
    Caller::long_term(A, Principal::Root, "AKIAROOTROOTROOTROOT")
}

fn node() -> (Arc<Iamd>, Arc<GatedStore>) {
    let store = Arc::new(GatedStore {
        inner: SqliteStore::open_in_memory().unwrap(),
        armed: AtomicBool::new(false),
        reached: Mutex::new(None),
        release: Mutex::new(None),
    });
    let core = Iamd::open(
        store.clone(),
        &MasterKey::generate().unwrap(),
        Arc::new(ManualClock::new(1_800_000_000)),
        Options::default(),
    )
    .unwrap();
    core.accounts.ensure_account(A, 1_800_000_000).unwrap();
    (Arc::new(core), store)
}

fn iam(core: &Iamd, op: &str, params: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("Action".to_owned(), op.to_owned()),
        ("Version".to_owned(), "2010-05-08".to_owned()),
    ];
    form.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let (op, input) = iamd_api::decode_query(Service::Iam, &form).unwrap();
    core.handle(core.dispatch(op).unwrap(), &root(), "us-east-1", &input)
        .unwrap_or_else(|e| panic!("{}: {e:?}", op.name))
}

fn secrets(core: &Iamd, op: &str, body: serde_json::Value) -> Value {
    let (operation, input) = iamd_api::decode_json(
        Service::SecretsManager,
        &format!("secretsmanager.{op}"),
        body.to_string().as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{op}: {} {}", e.code, e.message));
    core.handle(
        core.dispatch(operation).unwrap(),
        &root(),
        "us-east-1",
        &input,
    )
    .unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

/// Runs `refresh` on another thread until it has read its snapshot, runs `write` on a third
/// thread while the refresh is held there, gives the write time to finish (or to wait for the
/// refresh, as it must), then lets the refresh finish and returns what `write` returned.
fn race<R: Send>(
    store: &GatedStore,
    refresh: impl FnOnce() + Send,
    write: impl FnOnce() -> R + Send,
) -> R {
    let (paused, release) = store.arm();
    std::thread::scope(|s| {
        let refresher = s.spawn(refresh);
        paused
            .recv_timeout(Duration::from_secs(10))
            .expect("the refresh reached the store");
        let writer = s.spawn(write);
        std::thread::sleep(Duration::from_millis(200));
        release.send(()).unwrap();
        refresher.join().unwrap();
        writer.join().unwrap()
    })
}

#[test]
fn an_access_key_created_during_a_refresh_authenticates_after_it() {
    let (core, store) = node();
    iam(&core, "CreateUser", &[("UserName", "k")]);
    let key = race(
        &store,
        || core.accounts.reload().unwrap(),
        || {
            let out = iam(&core, "CreateAccessKey", &[("UserName", "k")]);
            out.get("AccessKey")
                .and_then(|k| k.get("AccessKeyId"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        },
    );
    let cred = core.accounts.lookup(&key);
    assert!(
        cred.is_some(),
        "the key created while a refresh was in flight was lost by it"
    );
}

#[test]
fn a_deactivated_access_key_stays_refused_after_a_refresh_that_read_it_active() {
    let (core, store) = node();
    iam(&core, "CreateUser", &[("UserName", "k")]);
    let out = iam(&core, "CreateAccessKey", &[("UserName", "k")]);
    let key = out
        .get("AccessKey")
        .and_then(|k| k.get("AccessKeyId"))
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    race(
        &store,
        || core.accounts.reload().unwrap(),
        || {
            iam(
                &core,
                "UpdateAccessKey",
                &[
                    ("UserName", "k"),
                    ("AccessKeyId", &key),
                    ("Status", "Inactive"),
                ],
            );
        },
    );
    assert!(
        !core.accounts.lookup(&key).unwrap().active,
        "a refresh that read the key before it was deactivated made it active again"
    );
}

#[test]
fn a_secret_written_during_a_refresh_is_readable_after_it() {
    let (core, store) = node();
    race(
        &store,
        || core.secrets.reload().unwrap(),
        || {
            secrets(
                &core,
                "CreateSecret",
                serde_json::json!({
                    "Name": "app/db",
                    "SecretString": "pw",
                    "ClientRequestToken": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
                }),
            );
        },
    );
    let out = secrets(
        &core,
        "GetSecretValue",
        serde_json::json!({"SecretId": "app/db"}),
    );
    assert_eq!(
        out.get("SecretString").and_then(Value::as_str),
        Some("pw"),
        "the secret created while a refresh was in flight was lost by it"
    );
}
