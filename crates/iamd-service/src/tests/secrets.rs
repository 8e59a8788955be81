//! Domain tests: operations run through `Iamd::handle` (authorization included) over an
//! in-memory SQLite store and a manual clock.

#![expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]

use crate::accounts::{Caller, Principal};
use crate::clock::ManualClock;
use crate::error::Error;
use crate::service::{Iamd, Options};
use iamd_api::{Service, Value};
use iamd_crypto::MasterKey;
use iamd_store::{SqliteStore, Store, StoreExt};
use std::sync::Arc;

const ACCT: &str = "111111111111";
const T0: i64 = 1_800_000_000;

struct Env {
    core: Iamd,
    clock: Arc<ManualClock>,
    store: Arc<dyn Store>,
    master: MasterKey,
}

fn env() -> Env {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let master = MasterKey::generate().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let core = Iamd::open(store.clone(), &master, clock.clone(), Options::default()).unwrap();
    Env {
        core,
        clock,
        store,
        master,
    }
}

impl Env {
    fn reopen(&self) -> Iamd {
        Iamd::open(
            self.store.clone(),
            &self.master,
            self.clock.clone(),
            Options::default(),
        )
        .unwrap()
    }

    fn call_as(&self, account: &str, region: &str, op: &str, body: &str) -> Result<Value, Error> {
        call(&self.core, account, region, op, body)
    }

    fn call(&self, op: &str, body: &str) -> Result<Value, Error> {
        self.call_as(ACCT, "us-east-2", op, body)
    }

    fn ok(&self, op: &str, body: &str) -> Value {
        match self.call(op, body) {
            Ok(v) => v,
            Err(e) => panic!("{op} {body}: {e:?}"),
        }
    }

    fn err(&self, op: &str, body: &str) -> (&'static str, String) {
        match self.call(op, body) {
            Err(e)
                if e.code_and_message(iamd_api::Service::SecretsManager)
                    .is_some() =>
            {
                e.code_and_message(iamd_api::Service::SecretsManager)
                    .unwrap_or(("", String::new()))
            }
            other => panic!("{op} {body}: expected an AWS error, got {other:?}"),
        }
    }

    /// Every stored record, for before/after comparisons and plaintext scans.
    fn dump(&self) -> Vec<(String, String, i64, Vec<u8>)> {
        self.store
            .read(|tx| {
                let mut out = Vec::new();
                for kind in [crate::secrets::KIND_SECRET, crate::secrets::KIND_VERSION] {
                    for r in tx.list_kind(kind)? {
                        out.push((r.kind, r.key, r.version, r.data));
                    }
                }
                Ok::<_, Error>(out)
            })
            .unwrap()
    }
}

fn call(core: &Iamd, account: &str, region: &str, op: &str, body: &str) -> Result<Value, Error> {
    let (operation, input) = iamd_api::decode_json(
        Service::SecretsManager,
        &format!("secretsmanager.{op}"),
        body.as_bytes(),
    )
    .map_err(|e| Error::Internal(format!("decode: {} {}", e.code, e.message)))?;
    let dispatch = core.dispatch(operation)?;
    let caller = Caller {
        account: account.into(),
        principal: Principal::Root,
        access_key_id: account.into(),
        session: None,
        origin: Default::default(),
    };
    core.handle(dispatch, &caller, region, &input)
}

const TOKEN_A: &str = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const TOKEN_B: &str = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const TOKEN_C: &str = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";

fn create(e: &Env, name: &str, value: &str, token: &str) -> Value {
    e.ok(
        "CreateSecret",
        &format!(r#"{{"Name":"{name}","SecretString":"{value}","ClientRequestToken":"{token}"}}"#),
    )
}

fn get(e: &Env, id: &str) -> Value {
    e.ok("GetSecretValue", &format!(r#"{{"SecretId":"{id}"}}"#))
}

fn stages_of(v: &Value, id: &str) -> Vec<String> {
    v.map("VersionIdsToStages")
        .unwrap_or_default()
        .iter()
        .find(|(k, _)| k == id)
        .map(|(_, s)| {
            s.as_list()
                .unwrap_or_default()
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn versions_move_current_and_previous_and_tokens_are_idempotent() {
    let e = env();
    let c = create(&e, "cml/cml-devnet/app", "one", TOKEN_A);
    let arn = c.str("ARN").unwrap().to_owned();
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-2:111111111111:secret:cml/cml-devnet/app-")
    );
    let suffix = &arn[arn.len() - 7..];
    assert!(suffix.starts_with('-') && suffix[1..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(c.str("VersionId"), Some(TOKEN_A));
    assert_eq!(
        get(&e, "cml/cml-devnet/app").str("SecretString"),
        Some("one")
    );

    let put = |tok: &str, val: &str| {
        e.call(
            "PutSecretValue",
            &format!(
                r#"{{"SecretId":"{arn}","SecretString":"{val}","ClientRequestToken":"{tok}"}}"#
            ),
        )
    };
    let p = put(TOKEN_B, "two").unwrap();
    assert_eq!(p.strings("VersionStages"), ["AWSCURRENT"]);
    let d = e.ok("DescribeSecret", r#"{"SecretId":"cml/cml-devnet/app"}"#);
    assert_eq!(stages_of(&d, TOKEN_A), ["AWSPREVIOUS"]);
    assert_eq!(stages_of(&d, TOKEN_B), ["AWSCURRENT"]);
    let prev = e.ok(
        "GetSecretValue",
        r#"{"SecretId":"cml/cml-devnet/app","VersionStage":"AWSPREVIOUS"}"#,
    );
    assert_eq!(prev.str("SecretString"), Some("one"));

    // Same token, same value: nothing changes (not even the store).
    let before = e.dump();
    let again = put(TOKEN_B, "two").unwrap();
    assert_eq!(again.str("VersionId"), Some(TOKEN_B));
    assert_eq!(e.dump(), before);
    // Same token, another value: refused, nothing changes.
    match put(TOKEN_B, "three") {
        Err(e) => assert_eq!(
            e.code_and_message(iamd_api::Service::SecretsManager)
                .map(|(c, _)| c),
            Some("ResourceExistsException")
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.dump(), before);
    assert_eq!(get(&e, &arn).str("SecretString"), Some("two"));

    // A third version: the first loses every label, AWSPREVIOUS moves to the second.
    put(TOKEN_C, "three").unwrap();
    let d = e.ok("DescribeSecret", &format!(r#"{{"SecretId":"{arn}"}}"#));
    assert!(stages_of(&d, TOKEN_A).is_empty());
    assert_eq!(stages_of(&d, TOKEN_B), ["AWSPREVIOUS"]);
    assert_eq!(stages_of(&d, TOKEN_C), ["AWSCURRENT"]);
    // The unlabeled version is listed only with IncludeDeprecated, and still readable by id.
    let l = e.ok(
        "ListSecretVersionIds",
        &format!(r#"{{"SecretId":"{arn}"}}"#),
    );
    assert_eq!(l.list("Versions").unwrap().len(), 2);
    let l = e.ok(
        "ListSecretVersionIds",
        &format!(r#"{{"SecretId":"{arn}","IncludeDeprecated":true}}"#),
    );
    assert_eq!(l.list("Versions").unwrap().len(), 3);
    let old = e.ok(
        "GetSecretValue",
        &format!(r#"{{"SecretId":"{arn}","VersionId":"{TOKEN_A}"}}"#),
    );
    assert_eq!(old.str("SecretString"), Some("one"));
}

#[test]
fn get_secret_value_errors_name_what_is_missing() {
    let e = env();
    create(&e, "s", "v", TOKEN_A);
    assert_eq!(
        e.err(
            "GetSecretValue",
            r#"{"SecretId":"s","VersionStage":"AWSPREVIOUS"}"#
        ),
        (
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS"
                .into()
        )
    );
    assert_eq!(
        e.err(
            "GetSecretValue",
            &format!(r#"{{"SecretId":"s","VersionId":"{TOKEN_B}"}}"#)
        ),
        (
            "ResourceNotFoundException",
            format!(
                "Secrets Manager can't find the specified secret value for VersionId: {TOKEN_B}"
            )
        )
    );
    assert_eq!(
        e.err(
            "GetSecretValue",
            &format!(r#"{{"SecretId":"s","VersionId":"{TOKEN_A}","VersionStage":"AWSPREVIOUS"}}"#)
        ),
        (
            "InvalidRequestException",
            "You provided a VersionStage that is not associated to the provided VersionId.".into()
        )
    );
    // Secrets are regional; other accounts' secrets are not found by name.
    for (acct, region) in [(ACCT, "us-east-1"), ("222222222222", "us-east-2")] {
        match e.call_as(acct, region, "GetSecretValue", r#"{"SecretId":"s"}"#) {
            Err(e)
                if e.code_and_message(iamd_api::Service::SecretsManager)
                    .is_some() =>
            {
                let (code, message) = e
                    .code_and_message(iamd_api::Service::SecretsManager)
                    .unwrap_or(("", String::new()));
                assert_eq!(code, "ResourceNotFoundException");
                assert_eq!(message, "Secrets Manager can't find the specified secret.");
            }
            other => panic!("{other:?}"),
        }
    }
    // A secret without a value has no AWSCURRENT.
    e.ok("CreateSecret", r#"{"Name":"empty"}"#);
    assert_eq!(
        e.err("GetSecretValue", r#"{"SecretId":"empty"}"#).0,
        "ResourceNotFoundException"
    );
}

#[test]
fn lookup_by_name_full_arn_and_partial_arn_and_cross_account_is_denied() {
    let e = env();
    let arn = create(&e, "db/pw", "v", TOKEN_A)
        .str("ARN")
        .unwrap()
        .to_owned();
    let partial = &arn[..arn.len() - 7];
    for id in ["db/pw", arn.as_str(), partial] {
        assert_eq!(get(&e, id).str("ARN"), Some(arn.as_str()), "{id}");
    }
    // A wrong suffix is neither the full nor a partial ARN.
    let wrong = format!("{partial}-XXXXXX");
    assert_eq!(
        e.err("GetSecretValue", &format!(r#"{{"SecretId":"{wrong}"}}"#))
            .0,
        "ResourceNotFoundException"
    );
    // Another account's root, by ARN: AWS's AccessDenied naming the secret's ARN. Cross-account,
    // the resource's account must grant through a resource policy, and there is none, so the
    // denial names the resource-based policy (aws-semantics.md §4.5 quotes this wording for
    // Secrets Manager).
    match e.call_as(
        "222222222222",
        "us-east-2",
        "GetSecretValue",
        &format!(r#"{{"SecretId":"{arn}"}}"#),
    ) {
        Err(e)
            if e.code_and_message(iamd_api::Service::SecretsManager)
                .is_some() =>
        {
            let (code, message) = e
                .code_and_message(iamd_api::Service::SecretsManager)
                .unwrap_or(("", String::new()));
            assert_eq!(code, "AccessDeniedException");
            assert_eq!(
                message,
                format!(
                    "User: arn:aws:iam::222222222222:root is not authorized to perform: secretsmanager:GetSecretValue on resource: {arn} because no resource-based policy allows the secretsmanager:GetSecretValue action"
                )
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn deletion_window_restore_and_expiry_with_the_clock() {
    let e = env();
    let arn = create(&e, "gone", "v", TOKEN_A)
        .str("ARN")
        .unwrap()
        .to_owned();
    let d = e.ok(
        "DeleteSecret",
        r#"{"SecretId":"gone","RecoveryWindowInDays":7}"#,
    );
    assert_eq!(
        d.timestamp("DeletionDate").unwrap().unix_timestamp(),
        T0 + 7 * 86_400
    );
    let marked = (
        "InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion."
            .to_owned(),
    );
    assert_eq!(e.err("GetSecretValue", r#"{"SecretId":"gone"}"#), marked);
    assert_eq!(
        e.err(
            "PutSecretValue",
            &format!(
                r#"{{"SecretId":"gone","SecretString":"x","ClientRequestToken":"{TOKEN_B}"}}"#
            )
        ),
        marked
    );
    assert_eq!(
        e.err("UpdateSecret", r#"{"SecretId":"gone","Description":"x"}"#),
        marked
    );
    // AWS's docs disagree on DeletedDate: SecretListEntry says "the date and time the deletion
    // of the secret occurred", DescribeSecret "the date the secret is scheduled for deletion".
    // iamd follows the former (the DeleteSecret call); DeletionDate carries the purge date.
    let desc = e.ok("DescribeSecret", r#"{"SecretId":"gone"}"#);
    assert_eq!(desc.timestamp("DeletedDate").unwrap().unix_timestamp(), T0);
    assert_eq!(
        e.err("CreateSecret", r#"{"Name":"gone"}"#),
        (
            "InvalidRequestException",
            "You can't create this secret because a secret with this name is already scheduled for deletion.".into()
        )
    );
    // Hidden from ListSecrets unless IncludePlannedDeletion.
    assert!(
        e.ok("ListSecrets", "{}")
            .list("SecretList")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        e.ok("ListSecrets", r#"{"IncludePlannedDeletion":true}"#)
            .list("SecretList")
            .unwrap()
            .len(),
        1
    );
    // Restore, then schedule again and let the window pass.
    e.ok("RestoreSecret", r#"{"SecretId":"gone"}"#);
    assert_eq!(get(&e, "gone").str("SecretString"), Some("v"));
    e.ok(
        "DeleteSecret",
        r#"{"SecretId":"gone","RecoveryWindowInDays":7}"#,
    );
    e.clock.advance(7 * 86_400 - 1);
    assert!(e.call("DescribeSecret", r#"{"SecretId":"gone"}"#).is_ok());
    e.clock.advance(1);
    assert_eq!(
        e.err("DescribeSecret", r#"{"SecretId":"gone"}"#).0,
        "ResourceNotFoundException"
    );
    assert_eq!(
        e.err("RestoreSecret", &format!(r#"{{"SecretId":"{arn}"}}"#))
            .0,
        "ResourceNotFoundException"
    );
    // The records are still there until the next write in that account and region purges them.
    assert!(!e.dump().is_empty());
    let again = create(&e, "gone", "new", TOKEN_B);
    assert_ne!(again.str("ARN"), Some(arn.as_str()));
    let keys: Vec<String> = e.dump().into_iter().map(|r| r.1).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(get(&e, "gone").str("SecretString"), Some("new"));
}

#[test]
fn delete_parameters_and_force_delete() {
    let e = env();
    create(&e, "f", "v", TOKEN_A);
    assert_eq!(
        e.err(
            "DeleteSecret",
            r#"{"SecretId":"f","RecoveryWindowInDays":7,"ForceDeleteWithoutRecovery":true}"#
        ),
        (
            "InvalidParameterException",
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
                .into()
        )
    );
    for days in [6, 31] {
        assert_eq!(
            e.err(
                "DeleteSecret",
                &format!(r#"{{"SecretId":"f","RecoveryWindowInDays":{days}}}"#)
            )
            .0,
            "InvalidParameterException"
        );
    }
    // The default window is 30 days.
    let d = e.ok("DeleteSecret", r#"{"SecretId":"f"}"#);
    assert_eq!(
        d.timestamp("DeletionDate").unwrap().unix_timestamp(),
        T0 + 30 * 86_400
    );
    // A scheduled secret can still be force-deleted; then it is gone at once.
    e.ok(
        "DeleteSecret",
        r#"{"SecretId":"f","ForceDeleteWithoutRecovery":true}"#,
    );
    assert!(e.dump().is_empty());
    assert_eq!(
        e.err("DescribeSecret", r#"{"SecretId":"f"}"#).0,
        "ResourceNotFoundException"
    );
    // Force-deleting what does not exist is not an error (DeleteSecret's documentation).
    assert!(
        e.call(
            "DeleteSecret",
            r#"{"SecretId":"never","ForceDeleteWithoutRecovery":true}"#
        )
        .is_ok()
    );
    assert_eq!(
        e.err("DeleteSecret", r#"{"SecretId":"never"}"#).0,
        "ResourceNotFoundException"
    );
}

#[test]
fn values_are_sealed_at_rest_survive_reopen_and_need_the_master_key() {
    let e = env();
    let plain = "correct-horse-battery-staple";
    create(&e, "p", plain, TOKEN_A);
    e.ok(
        "PutSecretValue",
        &format!(
            r#"{{"SecretId":"p","SecretBinary":"AAECAwQ=","ClientRequestToken":"{TOKEN_B}"}}"#
        ),
    );
    for (_, _, _, data) in e.dump() {
        assert!(!data.windows(plain.len()).any(|w| w == plain.as_bytes()));
        assert!(!data.windows(5).any(|w| w == [0u8, 1, 2, 3, 4]));
    }
    let reopened = e.reopen();
    let v = call(
        &reopened,
        ACCT,
        "us-east-2",
        "GetSecretValue",
        r#"{"SecretId":"p"}"#,
    )
    .unwrap();
    assert_eq!(v.blob("SecretBinary"), Some(&[0u8, 1, 2, 3, 4][..]));
    let v = call(
        &reopened,
        ACCT,
        "us-east-2",
        "GetSecretValue",
        r#"{"SecretId":"p","VersionStage":"AWSPREVIOUS"}"#,
    )
    .unwrap();
    assert_eq!(v.str("SecretString"), Some(plain));
    // Another master key: the index loads, but values do not open (an internal error, never
    // garbage or plaintext).
    let wrong = Iamd::open(
        e.store.clone(),
        &MasterKey::generate().unwrap(),
        e.clock.clone(),
        Options::default(),
    )
    .unwrap();
    assert!(matches!(
        call(
            &wrong,
            ACCT,
            "us-east-2",
            "GetSecretValue",
            r#"{"SecretId":"p"}"#
        ),
        Err(Error::Internal(_))
    ));
}

#[test]
fn create_rules() {
    let e = env();
    let invalid = (
        "ValidationException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!".to_owned(),
    );
    for name in ["Inv Name", "a*b", "caf\u{e9}"] {
        assert_eq!(
            e.err("CreateSecret", &format!(r#"{{"Name":"{name}"}}"#)),
            invalid
        );
    }
    assert_eq!(
        e.err("CreateSecret", r#"{"Name":"x","SecretString":"a","SecretBinary":"AA==","ClientRequestToken":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#).0,
        "InvalidParameterException"
    );
    assert_eq!(
        e.err("CreateSecret", r#"{"Name":"x","SecretString":"a"}"#),
        (
            "InvalidRequestException",
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.".into()
        )
    );
    assert!(e.dump().is_empty());
    create(&e, "dup", "v", TOKEN_A);
    // A retried create (same token, same value) succeeds; anything else is a duplicate.
    assert_eq!(
        create(&e, "dup", "v", TOKEN_A).str("VersionId"),
        Some(TOKEN_A)
    );
    assert_eq!(
        e.err(
            "CreateSecret",
            &format!(r#"{{"Name":"dup","SecretString":"w","ClientRequestToken":"{TOKEN_A}"}}"#)
        ),
        (
            "ResourceExistsException",
            "The operation failed because the secret dup already exists.".into()
        )
    );
    // No value: no version, no VersionId.
    let c = e.ok(
        "CreateSecret",
        r#"{"Name":"novalue","Description":"d","Tags":[{"Key":"k","Value":"v"}]}"#,
    );
    assert!(c.str("VersionId").is_none());
    let d = e.ok("DescribeSecret", r#"{"SecretId":"novalue"}"#);
    assert!(d.get("VersionIdsToStages").is_none());
    assert!(d.get("KmsKeyId").is_none());
    assert_eq!(d.str("Description"), Some("d"));
    assert_eq!(
        e.err("CreateSecret", r#"{"Name":"k","KmsKeyId":"alias/custom"}"#)
            .0,
        "InvalidParameterException"
    );
    assert!(
        e.call(
            "CreateSecret",
            r#"{"Name":"k","KmsKeyId":"alias/aws/secretsmanager"}"#
        )
        .is_ok()
    );
}

#[test]
fn update_secret_version_stage_rules() {
    let e = env();
    create(&e, "s", "1", TOKEN_A);
    e.ok(
        "PutSecretValue",
        &format!(r#"{{"SecretId":"s","SecretString":"2","ClientRequestToken":"{TOKEN_B}","VersionStages":["AWSPENDING"]}}"#),
    );
    let (code, msg) = e.err(
        "UpdateSecretVersionStage",
        &format!(r#"{{"SecretId":"s","VersionStage":"AWSCURRENT","MoveToVersionId":"{TOKEN_B}"}}"#),
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        msg,
        format!(
            "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version {TOKEN_A}, so you must explicitly reference that version in RemoveFromVersionId."
        )
    );
    e.ok(
        "UpdateSecretVersionStage",
        &format!(r#"{{"SecretId":"s","VersionStage":"AWSCURRENT","MoveToVersionId":"{TOKEN_B}","RemoveFromVersionId":"{TOKEN_A}"}}"#),
    );
    let d = e.ok("DescribeSecret", r#"{"SecretId":"s"}"#);
    assert_eq!(stages_of(&d, TOKEN_A), ["AWSPREVIOUS"]);
    assert_eq!(stages_of(&d, TOKEN_B), ["AWSPENDING", "AWSCURRENT"]);
    assert_eq!(get(&e, "s").str("SecretString"), Some("2"));
    // Removing a custom label outright.
    e.ok(
        "UpdateSecretVersionStage",
        &format!(
            r#"{{"SecretId":"s","VersionStage":"AWSPENDING","RemoveFromVersionId":"{TOKEN_B}"}}"#
        ),
    );
    let d = e.ok("DescribeSecret", r#"{"SecretId":"s"}"#);
    assert_eq!(stages_of(&d, TOKEN_B), ["AWSCURRENT"]);
    assert_eq!(
        e.err(
            "UpdateSecretVersionStage",
            &format!(r#"{{"SecretId":"s","VersionStage":"X","MoveToVersionId":"{TOKEN_C}"}}"#)
        )
        .0,
        "InvalidParameterException"
    );
}

#[test]
fn list_filters_sorting_and_pages() {
    let e = env();
    for (i, name) in ["cml/cml-devnet/app", "cml/cml-devnet/sys", "other/thing"]
        .iter()
        .enumerate()
    {
        e.clock.advance(1);
        e.ok(
            "CreateSecret",
            &format!(r#"{{"Name":"{name}","Description":"Desc {i}","Tags":[{{"Key":"team","Value":"t{i}"}}]}}"#),
        );
    }
    let names = |body: &str| -> Vec<String> {
        e.ok("ListSecrets", body)
            .list("SecretList")
            .unwrap()
            .iter()
            .map(|s| s.str("Name").unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(r#"{"Filters":[{"Key":"name","Values":["cml/"]}]}"#),
        ["cml/cml-devnet/app", "cml/cml-devnet/sys"]
    );
    assert_eq!(
        names(r#"{"Filters":[{"Key":"name","Values":["CML/"]}]}"#),
        Vec::<String>::new()
    );
    assert_eq!(
        names(r#"{"Filters":[{"Key":"name","Values":["!cml/"]}]}"#),
        ["other/thing"]
    );
    assert_eq!(
        names(r#"{"Filters":[{"Key":"description","Values":["desc 2"]}]}"#),
        ["other/thing"]
    );
    assert_eq!(
        names(r#"{"Filters":[{"Key":"tag-value","Values":["t0","t2"]}]}"#),
        ["cml/cml-devnet/app", "other/thing"]
    );
    assert_eq!(
        names(
            r#"{"Filters":[{"Key":"tag-key","Values":["team"]},{"Key":"name","Values":["other"]}]}"#
        ),
        ["other/thing"]
    );
    assert_eq!(
        names(r#"{"Filters":[{"Key":"all","Values":["THING"]}]}"#),
        ["other/thing"]
    );
    assert_eq!(
        names(r#"{"SortOrder":"desc"}"#),
        ["other/thing", "cml/cml-devnet/sys", "cml/cml-devnet/app"]
    );
    let p1 = e.ok("ListSecrets", r#"{"MaxResults":2}"#);
    assert_eq!(p1.list("SecretList").unwrap().len(), 2);
    let tok = p1.str("NextToken").unwrap().to_owned();
    let p2 = e.ok(
        "ListSecrets",
        &format!(r#"{{"MaxResults":2,"NextToken":"{tok}"}}"#),
    );
    assert_eq!(p2.list("SecretList").unwrap().len(), 1);
    assert!(p2.get("NextToken").is_none());
    assert_eq!(
        e.err("ListSecrets", r#"{"NextToken":"garbage"}"#).0,
        "InvalidNextTokenException"
    );
}

#[test]
fn unlabeled_versions_beyond_the_limit_are_dropped_oldest_first() {
    let e = env();
    create(&e, "many", "v0", TOKEN_A);
    for i in 1..=crate::secrets::MAX_VERSIONS + 5 {
        e.ok(
            "PutSecretValue",
            &format!(
                r#"{{"SecretId":"many","SecretString":"v{i}","ClientRequestToken":"{i:0>32}"}}"#
            ),
        );
    }
    let l = e.ok(
        "ListSecretVersionIds",
        r#"{"SecretId":"many","IncludeDeprecated":true,"MaxResults":100}"#,
    );
    assert_eq!(l.list("Versions").unwrap().len(), 100);
    let versions = e
        .dump()
        .iter()
        .filter(|r| r.0 == crate::secrets::KIND_VERSION)
        .count();
    assert_eq!(versions, crate::secrets::MAX_VERSIONS);
    assert_eq!(
        e.err(
            "GetSecretValue",
            &format!(r#"{{"SecretId":"many","VersionId":"{TOKEN_A}"}}"#)
        )
        .0,
        "ResourceNotFoundException"
    );
    assert_eq!(get(&e, "many").str("SecretString"), Some("v105"));
}

#[test]
fn tags_policies_rotation_and_batch() {
    let e = env();
    create(&e, "t", "v", TOKEN_A);
    e.ok(
        "TagResource",
        r#"{"SecretId":"t","Tags":[{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}]}"#,
    );
    e.ok(
        "TagResource",
        r#"{"SecretId":"t","Tags":[{"Key":"a","Value":"3"}]}"#,
    );
    e.ok("UntagResource", r#"{"SecretId":"t","TagKeys":["b"]}"#);
    let d = e.ok("DescribeSecret", r#"{"SecretId":"t"}"#);
    let tags = d.list("Tags").unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(
        (tags[0].str("Key"), tags[0].str("Value")),
        (Some("a"), Some("3"))
    );

    let before = e.dump();
    assert_eq!(
        e.err(
            "PutResourcePolicy",
            r#"{"SecretId":"t","ResourcePolicy":"{not json"}"#
        ),
        (
            "MalformedPolicyDocumentException",
            "This policy has invalid syntax.".into()
        )
    );
    assert_eq!(e.dump(), before);
    let policy = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111111111111\"},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}"#;
    e.ok(
        "PutResourcePolicy",
        &format!(r#"{{"SecretId":"t","ResourcePolicy":"{policy}"}}"#),
    );
    let g = e.ok("GetResourcePolicy", r#"{"SecretId":"t"}"#);
    assert_eq!(
        g.str("ResourcePolicy"),
        Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#
        )
    );
    e.ok("DeleteResourcePolicy", r#"{"SecretId":"t"}"#);
    assert!(
        e.ok("GetResourcePolicy", r#"{"SecretId":"t"}"#)
            .get("ResourcePolicy")
            .is_none()
    );

    assert_eq!(
        e.err("RotateSecret", r#"{"SecretId":"t"}"#),
        (
            "InvalidRequestException",
            "No Lambda rotation function ARN is associated with this secret.".into()
        )
    );

    let b = e.ok("BatchGetSecretValue", r#"{"SecretIdList":["t","missing"]}"#);
    assert_eq!(b.list("SecretValues").unwrap().len(), 1);
    let errs = b.list("Errors").unwrap();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].str("SecretId"), Some("missing"));
    assert_eq!(errs[0].str("ErrorCode"), Some("ResourceNotFoundException"));
    assert_eq!(
        e.err(
            "BatchGetSecretValue",
            r#"{"SecretIdList":["t"],"Filters":[{"Key":"name","Values":["t"]}]}"#
        )
        .0,
        "InvalidParameterException"
    );
    let b = e.ok(
        "BatchGetSecretValue",
        r#"{"Filters":[{"Key":"name","Values":["t"]}]}"#,
    );
    assert_eq!(
        b.list("SecretValues").unwrap()[0].str("SecretString"),
        Some("v")
    );
}

/// A store that counts transactions, to show that reads are served from memory.
struct Counting {
    inner: SqliteStore,
    reads: std::sync::atomic::AtomicUsize,
    writes: std::sync::atomic::AtomicUsize,
}

impl Store for Counting {
    fn backend(&self) -> &'static str {
        "counting"
    }
    fn write_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn iamd_store::Tx) -> Result<(), iamd_store::StoreError>,
    ) -> Result<(), iamd_store::StoreError> {
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.write_dyn(f)
    }
    fn read_dyn(
        &self,
        f: &mut dyn FnMut(&mut dyn iamd_store::Tx) -> Result<(), iamd_store::StoreError>,
    ) -> Result<(), iamd_store::StoreError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.read_dyn(f)
    }
    fn revision(&self) -> Result<i64, iamd_store::StoreError> {
        self.inner.revision()
    }
}

#[test]
fn reads_never_touch_the_store_and_each_write_is_one_transaction() {
    use std::sync::atomic::Ordering::SeqCst;
    let counting = Arc::new(Counting {
        inner: SqliteStore::open_in_memory().unwrap(),
        reads: Default::default(),
        writes: Default::default(),
    });
    let store: Arc<dyn Store> = counting.clone();
    let clock = Arc::new(ManualClock::new(T0));
    let core = Iamd::open(
        store,
        &MasterKey::generate().unwrap(),
        clock,
        Options::default(),
    )
    .unwrap();
    let run = |op: &str, body: &str| call(&core, ACCT, "us-east-2", op, body).unwrap();
    run(
        "CreateSecret",
        &format!(r#"{{"Name":"hot","SecretString":"v","ClientRequestToken":"{TOKEN_A}"}}"#),
    );
    let (r0, w0) = (counting.reads.load(SeqCst), counting.writes.load(SeqCst));
    for _ in 0..100 {
        assert_eq!(
            run("GetSecretValue", r#"{"SecretId":"hot"}"#).str("SecretString"),
            Some("v")
        );
        run("DescribeSecret", r#"{"SecretId":"hot"}"#);
        run("ListSecrets", "{}");
        run("ListSecretVersionIds", r#"{"SecretId":"hot"}"#);
        run("BatchGetSecretValue", r#"{"SecretIdList":["hot"]}"#);
    }
    assert_eq!(counting.reads.load(SeqCst), r0);
    assert_eq!(counting.writes.load(SeqCst), w0);
    run(
        "PutSecretValue",
        &format!(r#"{{"SecretId":"hot","SecretString":"w","ClientRequestToken":"{TOKEN_B}"}}"#),
    );
    assert_eq!(counting.writes.load(SeqCst), w0 + 1);
    assert_eq!(counting.reads.load(SeqCst), r0);
}

#[test]
fn last_accessed_date_is_the_day_of_the_last_read_and_persists_with_the_next_write() {
    let e = env();
    create(&e, "a", "v", TOKEN_A);
    assert!(
        e.ok("DescribeSecret", r#"{"SecretId":"a"}"#)
            .get("LastAccessedDate")
            .is_none()
    );
    e.clock.advance(3600 + 86_400);
    get(&e, "a");
    let day = |v: &Value| v.timestamp("LastAccessedDate").map(|t| t.unix_timestamp());
    let expected = (T0 + 3600 + 86_400) / 86_400 * 86_400;
    assert_eq!(
        day(&e.ok("DescribeSecret", r#"{"SecretId":"a"}"#)),
        Some(expected)
    );
    let listed = e.ok("ListSecrets", "{}");
    assert_eq!(day(&listed.list("SecretList").unwrap()[0]), Some(expected));
    // Reads alone are not persisted; the next write carries the date to the store.
    e.ok(
        "TagResource",
        r#"{"SecretId":"a","Tags":[{"Key":"k","Value":"v"}]}"#,
    );
    let reopened = e.reopen();
    let d = call(
        &reopened,
        ACCT,
        "us-east-2",
        "DescribeSecret",
        r#"{"SecretId":"a"}"#,
    )
    .unwrap();
    assert_eq!(day(&d), Some(expected));
}

#[test]
fn concurrent_writers_keep_labels_consistent() {
    let e = env();
    create(&e, "busy", "v0", TOKEN_A);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let e = &e;
            scope.spawn(move || {
                for i in 0..10 {
                    e.ok(
                        "PutSecretValue",
                        &format!(r#"{{"SecretId":"busy","SecretString":"t{t}-{i}","ClientRequestToken":"{t:0>16}{i:0>16}"}}"#),
                    );
                    get(e, "busy");
                }
            });
        }
    });
    let d = e.ok("DescribeSecret", r#"{"SecretId":"busy"}"#);
    let map = d.map("VersionIdsToStages").unwrap();
    let count = |label: &str| {
        map.iter()
            .filter(|(_, s)| {
                s.as_list()
                    .unwrap()
                    .iter()
                    .any(|x| x.as_str() == Some(label))
            })
            .count()
    };
    assert_eq!((count("AWSCURRENT"), count("AWSPREVIOUS")), (1, 1));
    let all = e.ok(
        "ListSecretVersionIds",
        r#"{"SecretId":"busy","IncludeDeprecated":true}"#,
    );
    assert_eq!(all.list("Versions").unwrap().len(), 81);
    // The store agrees with memory after a restart.
    let reopened = e.reopen();
    let again = call(
        &reopened,
        ACCT,
        "us-east-2",
        "DescribeSecret",
        r#"{"SecretId":"busy"}"#,
    )
    .unwrap();
    assert_eq!(again.get("VersionIdsToStages"), d.get("VersionIdsToStages"));
}

mod authz;
mod replication;
mod rotation;
