//! Accounts, account roots and their access keys: what authentication needs in memory.

use crate::error::Error;
use crate::sessions::{SessionClaims, SessionPrincipal};
use iamd_crypto::{MasterKey, SealingKey, ids};
use iamd_store::{Expect, Store, StoreExt, Tx};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use zeroize::Zeroizing;

pub(crate) const KIND_ACCOUNT: &str = "account";
pub const KIND_ACCESS_KEY: &str = "access-key";
pub(crate) const META_BOOTSTRAPPED: &str = "bootstrapped";

/// The account every dev-mode `test` key belongs to.
pub const DEV_ACCOUNT: &str = "000000000000";
/// The secret of every implicit dev-mode key.
pub const DEV_SECRET: &str = "test";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    pub id: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    pub account: String,
    /// `None` for the account root; the IAM user's name otherwise.
    pub user: Option<String>,
    /// The IAM user's path and unique id (absent for the root).
    #[serde(default)]
    pub user_path: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    /// The secret access key sealed with the access-key sealing key, bound to the key id.
    pub sealed_secret: Vec<u8>,
    pub active: bool,
    pub created_at: i64,
}

/// Who a credential authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The account's root user.
    Root,
    /// An IAM user: `arn:aws:iam::<account>:user<path><name>`, unique id `AIDA…`.
    User {
        name: String,
        path: String,
        id: String,
    },
    /// A role session (`AssumeRole`): `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    AssumedRole {
        role_name: String,
        role_path: String,
        role_id: String,
        session_name: String,
    },
    /// A `GetFederationToken` session: `arn:aws:sts::<account>:federated-user/<name>`; `user` is
    /// the ARN of the IAM user that asked for it (`None`: the root).
    FederatedUser { name: String, user: Option<String> },
}

/// A long-term credential as authentication sees it.
pub struct Credential {
    pub access_key_id: String,
    pub account: String,
    pub principal: Principal,
    pub active: bool,
    /// Dev mode only: the account is created on first successful use.
    pub implicit_dev_account: bool,
    secret: Zeroizing<Vec<u8>>,
}

impl Credential {
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("account", &self.account)
            .field("principal", &self.principal)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    pub principal: Principal,
    pub access_key_id: String,
    /// The claims of the session when the request was signed with temporary credentials.
    pub session: Option<Arc<SessionClaims>>,
    /// Where this request came from (`aws:SourceIp`, `aws:SecureTransport`, …): per request,
    /// filled by the server; the default (no address, not TLS) elsewhere.
    pub origin: crate::origin::RequestOrigin,
}

impl Caller {
    /// The principal's ARN as GetCallerIdentity and AccessDenied messages print it.
    pub fn arn(&self) -> String {
        match &self.principal {
            Principal::Root => format!("arn:aws:iam::{}:root", self.account),
            Principal::User { name, path, .. } => {
                format!("arn:aws:iam::{}:user{path}{name}", self.account)
            }
            Principal::AssumedRole {
                role_name,
                session_name,
                ..
            } => format!(
                "arn:aws:sts::{}:assumed-role/{role_name}/{session_name}",
                self.account
            ),
            Principal::FederatedUser { name, .. } => {
                format!("arn:aws:sts::{}:federated-user/{name}", self.account)
            }
        }
    }

    /// `aws:userid`: the account id for the root, the unique id for a user.
    pub fn user_id(&self) -> String {
        match &self.principal {
            Principal::Root => self.account.clone(),
            Principal::User { id, .. } => id.clone(),
            Principal::AssumedRole {
                role_id,
                session_name,
                ..
            } => format!("{role_id}:{session_name}"),
            Principal::FederatedUser { name, .. } => format!("{}:{name}", self.account),
        }
    }

    /// A caller with long-term credentials (no session).
    pub fn long_term(account: &str, principal: Principal, access_key_id: &str) -> Self {
        Self {
            account: account.to_owned(),
            principal,
            access_key_id: access_key_id.to_owned(),
            session: None,
            origin: Default::default(),
        }
    }

    /// The caller a session's claims describe.
    pub fn from_session(claims: Arc<SessionClaims>) -> Self {
        let principal = match &claims.principal {
            SessionPrincipal::AssumedRole {
                role_name,
                role_path,
                role_id,
                session_name,
            } => Principal::AssumedRole {
                role_name: role_name.clone(),
                role_path: role_path.clone(),
                role_id: role_id.clone(),
                session_name: session_name.clone(),
            },
            SessionPrincipal::User { name, path, id } => Principal::User {
                name: name.clone(),
                path: path.clone(),
                id: id.clone(),
            },
            SessionPrincipal::Root => Principal::Root,
            SessionPrincipal::FederatedUser { name, user, .. } => Principal::FederatedUser {
                name: name.clone(),
                user: user.clone(),
            },
        };
        Self {
            account: claims.account.clone(),
            principal,
            access_key_id: claims.access_key_id.clone(),
            session: Some(claims),
            origin: Default::default(),
        }
    }
}

/// What bootstrap created; the binary writes it to `bootstrap-credentials.json`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BootstrapCredentials {
    pub account_id: String,
    pub access_key_id: String,
    #[serde(serialize_with = "serialize_zeroizing")]
    pub secret_access_key: Zeroizing<String>,
}

fn serialize_zeroizing<S: serde::Serializer>(
    v: &Zeroizing<String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

impl std::fmt::Debug for BootstrapCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapCredentials")
            .field("account_id", &self.account_id)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Index {
    accounts: HashSet<String>,
    keys: HashMap<String, Arc<Credential>>,
}

/// Accounts and credentials, persisted in the store and indexed in memory.
pub struct Accounts {
    store: Arc<dyn Store>,
    seal: SealingKey,
    dev: bool,
    index: RwLock<Index>,
    /// Serializes [`Accounts::refresh_key`] and [`Accounts::reload`] so the last refresh always
    /// reflects the last commit.
    refresh: std::sync::Mutex<()>,
}

/// The IAM user an access key belongs to.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub name: String,
    pub path: String,
    pub id: String,
}

fn credential(k: AccessKeyRecord, secret: Vec<u8>) -> Credential {
    let principal = match k.user {
        None => Principal::Root,
        Some(name) => Principal::User {
            name,
            path: k.user_path.unwrap_or_else(|| "/".to_owned()),
            id: k.user_id.unwrap_or_default(),
        },
    };
    Credential {
        access_key_id: k.access_key_id,
        account: k.account,
        principal,
        active: k.active,
        implicit_dev_account: false,
        secret: Zeroizing::new(secret),
    }
}

/// Every stored access key of one account (root and users).
pub fn account_keys(tx: &mut dyn Tx, account: &str) -> Result<Vec<AccessKeyRecord>, Error> {
    tx.list(KIND_ACCESS_KEY, account)?
        .iter()
        .map(|r| from_json(&r.data))
        .collect()
}

pub fn get_key(
    tx: &mut dyn Tx,
    account: &str,
    key_id: &str,
) -> Result<Option<(AccessKeyRecord, i64)>, Error> {
    match tx.get(KIND_ACCESS_KEY, account, key_id)? {
        Some(r) => Ok(Some((from_json(&r.data)?, r.version))),
        None => Ok(None),
    }
}

pub fn put_key(tx: &mut dyn Tx, rec: &AccessKeyRecord, expect: Expect) -> Result<(), Error> {
    tx.put(
        KIND_ACCESS_KEY,
        &rec.account,
        &rec.access_key_id,
        &to_json(rec)?,
        expect,
    )?;
    Ok(())
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(v).map_err(|e| Error::Internal(format!("encoding a record: {e}")))
}

fn from_json<T: for<'de> Deserialize<'de>>(data: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(data).map_err(|e| Error::Internal(format!("decoding a record: {e}")))
}

impl Accounts {
    pub fn open(store: Arc<dyn Store>, master: &MasterKey, dev: bool) -> Result<Self, Error> {
        let this = Self {
            store,
            seal: master.sealing_key(b"access-key-secret v1"),
            dev,
            index: RwLock::new(Index::default()),
            refresh: std::sync::Mutex::new(()),
        };
        this.reload()?;
        Ok(this)
    }

    /// Rebuilds the in-memory index from the store. Holds the lock of [`Accounts::refresh_key`]
    /// from the read to the swap: a key written by this node meanwhile is refreshed after the
    /// swap, never overwritten by this older snapshot (the refresher thread reloads while
    /// requests write).
    pub fn reload(&self) -> Result<(), Error> {
        let _serial = self
            .refresh
            .lock()
            .map_err(|_| Error::Internal("access key refresh lock poisoned".into()))?;
        let (accounts, keys) = self.store.read(|tx| {
            Ok::<_, Error>((tx.list_kind(KIND_ACCOUNT)?, tx.list_kind(KIND_ACCESS_KEY)?))
        })?;
        let mut idx = Index::default();
        for rec in accounts {
            let a: AccountRecord = from_json(&rec.data)?;
            idx.accounts.insert(a.id);
        }
        for rec in keys {
            let k: AccessKeyRecord = from_json(&rec.data)?;
            let secret = self
                .seal
                .open(k.access_key_id.as_bytes(), &k.sealed_secret)
                .map_err(|_| {
                    Error::Internal(format!(
                        "the secret of access key {} cannot be opened with this master key",
                        k.access_key_id
                    ))
                })?;
            let cred = credential(k, secret);
            idx.keys.insert(cred.access_key_id.clone(), Arc::new(cred));
        }
        *self
            .index
            .write()
            .map_err(|_| Error::Internal("account index lock poisoned".into()))? = idx;
        Ok(())
    }

    /// A new access key for an IAM user (`Some`) or the account root (`None`), sealed and ready
    /// to store; the caller writes it and then calls [`Accounts::refresh_key`].
    pub fn new_access_key(
        &self,
        account: &str,
        owner: Option<&KeyOwner>,
        now: i64,
    ) -> Result<(AccessKeyRecord, Zeroizing<String>), Error> {
        let acct_num: u64 = account
            .parse()
            .map_err(|_| Error::Internal(format!("account id {account} is not numeric")))?;
        let key_id = ids::access_key_id(ids::LONG_TERM_KEY_PREFIX, acct_num)?;
        let secret = Zeroizing::new(ids::secret_access_key()?);
        let rec = AccessKeyRecord {
            access_key_id: key_id.clone(),
            account: account.to_owned(),
            user: owner.map(|o| o.name.clone()),
            user_path: owner.map(|o| o.path.clone()),
            user_id: owner.map(|o| o.id.clone()),
            sealed_secret: self.seal.seal(key_id.as_bytes(), secret.as_bytes())?,
            active: true,
            created_at: now,
        };
        Ok((rec, secret))
    }

    /// Brings the in-memory index of one access key in line with the store, after a write to it
    /// committed: a deleted key disappears, a deactivated key stops authenticating, a renamed
    /// user's key authenticates under the new name.
    pub fn refresh_key(&self, account: &str, key_id: &str) -> Result<(), Error> {
        let _serial = self
            .refresh
            .lock()
            .map_err(|_| Error::Internal("access key refresh lock poisoned".into()))?;
        let rec = self
            .store
            .read(|tx| get_key(tx, account, key_id))?
            .map(|(r, _)| r);
        let cred = match rec {
            Some(k) => {
                let secret = self
                    .seal
                    .open(k.access_key_id.as_bytes(), &k.sealed_secret)
                    .map_err(|_| {
                        Error::Internal(format!(
                            "the secret of access key {key_id} cannot be opened with this master key"
                        ))
                    })?;
                Some(credential(k, secret))
            }
            None => None,
        };
        let mut idx = self
            .index
            .write()
            .map_err(|_| Error::Internal("account index lock poisoned".into()))?;
        match cred {
            Some(c) => {
                idx.keys.insert(key_id.to_owned(), Arc::new(c));
            }
            None => {
                idx.keys.remove(key_id);
            }
        }
        Ok(())
    }

    /// When the account was created (GetUser of the root reports it as CreateDate).
    pub fn created_at(&self, account: &str) -> Result<Option<i64>, Error> {
        let rec = self
            .store
            .read(|tx| tx.get(KIND_ACCOUNT, account, "").map_err(Error::from))?;
        rec.map(|r| from_json::<AccountRecord>(&r.data).map(|a| a.created_at))
            .transpose()
    }

    /// The credential for an access key id, if any. In dev mode, `test` and any 12-digit id
    /// resolve to the root of account `000000000000` or of that account, with secret `test`.
    pub fn lookup(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        if let Ok(idx) = self.index.read()
            && let Some(c) = idx.keys.get(access_key_id)
        {
            return Some(c.clone());
        }
        if !self.dev {
            return None;
        }
        let account = if access_key_id == "test" {
            DEV_ACCOUNT
        } else if is_account_id(access_key_id) {
            access_key_id
        } else {
            return None;
        };
        let known = self
            .index
            .read()
            .map(|i| i.accounts.contains(account))
            .unwrap_or(false);
        Some(Arc::new(Credential {
            access_key_id: access_key_id.to_owned(),
            account: account.to_owned(),
            principal: Principal::Root,
            active: true,
            implicit_dev_account: !known,
            secret: Zeroizing::new(DEV_SECRET.as_bytes().to_vec()),
        }))
    }

    pub fn account_exists(&self, id: &str) -> bool {
        self.index
            .read()
            .map(|i| i.accounts.contains(id))
            .unwrap_or(false)
    }

    /// Creates an account if it does not exist yet (dev mode's "created on first use").
    pub fn ensure_account(&self, id: &str, now: i64) -> Result<(), Error> {
        if self.account_exists(id) {
            return Ok(());
        }
        let rec = AccountRecord {
            id: id.to_owned(),
            created_at: now,
        };
        let data = to_json(&rec)?;
        // Under the refresh lock, as every write to the index: see [`Accounts::reload`].
        let _serial = self
            .refresh
            .lock()
            .map_err(|_| Error::Internal("access key refresh lock poisoned".into()))?;
        self.store
            .write(|tx| tx.put(KIND_ACCOUNT, id, "", &data, Expect::Any).map(|_| ()))?;
        self.index
            .write()
            .map_err(|_| Error::Internal("account index lock poisoned".into()))?
            .accounts
            .insert(id.to_owned());
        Ok(())
    }

    fn create_root_key(
        &self,
        tx: &mut dyn Tx,
        account: &str,
        now: i64,
    ) -> Result<(String, Zeroizing<String>), Error> {
        let acct_num: u64 = account
            .parse()
            .map_err(|_| Error::Internal(format!("account id {account} is not numeric")))?;
        let key_id = ids::access_key_id(ids::LONG_TERM_KEY_PREFIX, acct_num)?;
        let secret = Zeroizing::new(ids::secret_access_key()?);
        let rec = AccessKeyRecord {
            access_key_id: key_id.clone(),
            account: account.to_owned(),
            user: None,
            user_path: None,
            user_id: None,
            sealed_secret: self.seal.seal(key_id.as_bytes(), secret.as_bytes())?,
            active: true,
            created_at: now,
        };
        tx.put(
            KIND_ACCESS_KEY,
            account,
            &key_id,
            &to_json(&rec)?,
            Expect::Absent,
        )?;
        Ok((key_id, secret))
    }

    /// First start of a non-dev server on an empty store: creates the management account and
    /// its root access key. Returns `None` when the store was bootstrapped before.
    pub fn bootstrap(
        &self,
        account_id: Option<&str>,
        now: i64,
    ) -> Result<Option<BootstrapCredentials>, Error> {
        if let Some(id) = account_id
            && !is_account_id(id)
        {
            return Err(Error::Config(format!(
                "--account-id must be exactly 12 digits, got `{id}`"
            )));
        }
        let account = match account_id {
            Some(id) => id.to_owned(),
            None => ids::account_id()?,
        };
        let created = self.store.write(|tx| {
            if tx.get_meta(META_BOOTSTRAPPED)?.is_some() || !tx.list_kind(KIND_ACCOUNT)?.is_empty()
            {
                return Ok::<_, Error>(None);
            }
            let rec = AccountRecord {
                id: account.clone(),
                created_at: now,
            };
            tx.put(KIND_ACCOUNT, &account, "", &to_json(&rec)?, Expect::Absent)?;
            let (key_id, secret) = self.create_root_key(tx, &account, now)?;
            tx.set_meta(META_BOOTSTRAPPED, &account)?;
            Ok(Some(BootstrapCredentials {
                account_id: account.clone(),
                access_key_id: key_id,
                secret_access_key: secret,
            }))
        })?;
        if created.is_some() {
            self.reload()?;
        }
        Ok(created)
    }

    /// Dev-mode reset: removes every record and forgets everything in memory.
    pub fn reset(&self) -> Result<(), Error> {
        self.store.write(|tx| tx.clear().map_err(Error::from))?;
        self.reload()
    }

    pub fn dev(&self) -> bool {
        self.dev
    }
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]
mod tests {
    use super::*;
    use iamd_store::SqliteStore;

    fn accounts(dev: bool) -> (Accounts, Arc<dyn Store>, MasterKey) {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let mk = MasterKey::generate().unwrap();
        (Accounts::open(store.clone(), &mk, dev).unwrap(), store, mk)
    }

    #[test]
    fn bootstrap_creates_one_root_key_once_and_it_survives_reload() {
        let (a, store, mk) = accounts(false);
        let creds = a.bootstrap(Some("123456789012"), 1).unwrap().unwrap();
        assert_eq!(creds.account_id, "123456789012");
        assert!(creds.access_key_id.starts_with("AKIA"));
        assert_eq!(
            ids::account_from_access_key_id(&creds.access_key_id),
            Some(123_456_789_012)
        );
        let c = a.lookup(&creds.access_key_id).unwrap();
        assert_eq!(c.secret(), creds.secret_access_key.as_bytes());
        assert_eq!(c.principal, Principal::Root);
        // Second call: nothing new.
        assert!(a.bootstrap(None, 2).unwrap().is_none());
        // The secret is not stored in plaintext.
        let raw = store.read(|tx| tx.list_kind(KIND_ACCESS_KEY)).unwrap();
        assert_eq!(raw.len(), 1);
        let needle = creds.secret_access_key.as_bytes();
        assert!(!raw[0].data.windows(needle.len()).any(|w| w == needle));
        // A fresh index over the same store and key finds it again.
        let again = Accounts::open(store.clone(), &mk, false).unwrap();
        assert!(again.lookup(&creds.access_key_id).is_some());
        // A different master key cannot open it and says so instead of starting half-blind.
        let wrong = Accounts::open(store, &MasterKey::generate().unwrap(), false);
        assert!(wrong.is_err());
    }

    #[test]
    fn test_key_only_in_dev_mode() {
        let (a, _, _) = accounts(false);
        assert!(a.lookup("test").is_none());
        assert!(a.lookup("111111111111").is_none());
        let (d, _, _) = accounts(true);
        let c = d.lookup("test").unwrap();
        assert_eq!(c.account, DEV_ACCOUNT);
        assert_eq!(c.secret(), b"test");
        let c = d.lookup("111111111111").unwrap();
        assert_eq!(c.account, "111111111111");
        assert!(c.implicit_dev_account);
        d.ensure_account("111111111111", 5).unwrap();
        assert!(!d.lookup("111111111111").unwrap().implicit_dev_account);
        assert!(
            d.lookup("11111111111").is_none(),
            "11 digits is not an account"
        );
        assert!(d.lookup("AKIAIOSFODNN7EXAMPLE").is_none());
    }

    #[test]
    fn bad_account_id_is_refused_and_creates_nothing() {
        let (a, store, _) = accounts(false);
        assert!(a.bootstrap(Some("12345"), 1).is_err());
        assert!(
            store
                .read(|tx| tx.list_kind(KIND_ACCOUNT))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn reset_forgets_everything() {
        let (a, _, _) = accounts(true);
        a.ensure_account("222222222222", 1).unwrap();
        assert!(a.account_exists("222222222222"));
        a.reset().unwrap();
        assert!(!a.account_exists("222222222222"));
    }
}
