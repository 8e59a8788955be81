//! Secrets Manager's domain: secrets, their versions and staging labels, the deletion window,
//! and the values sealed at rest.
//!
//! Storage: one `sm-secret` record per secret (metadata, versions with their labels; key
//! `<region>|<name>`) and one immutable `sm-version` record per version holding only the sealed
//! value (key `<region>|<name>|<version id>`). Everything is also held in memory per
//! (account, region) and swapped after each committed write, so reads never touch the store.
//!
//! Secrets scheduled for deletion are purged once their deletion date passes: reads treat them
//! as gone from that instant ([`Secrets::find`]), and the next write in the same account and
//! region removes their records in its transaction.
//!
//! Replication: a replica is a secret of its own in its region (same name and ARN suffix,
//! `primary_region` set) whose versions are copies of the primary's, sealed again under the
//! replica's ARN. [`Secrets::mutate`] adds to every write of a primary the writes that keep its
//! in-sync replicas equal to it, in the same transaction.

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub mod crypto;
pub mod kms;
pub mod list;
pub mod ops;
pub mod password;
pub mod policy;
pub mod replication;
pub mod rotation;
pub mod versions;
pub mod write;

// The shared core, IAM and this crate by the paths its modules name them
// (`crate::error::…`, `crate::iam::…`, `crate::secrets::…`, `crate::domains::SecretsDomain`):
// Secrets Manager was a module of iamd-service.
pub(crate) use crate as domains;
pub(crate) use crate as secrets;
#[cfg(test)]
pub(crate) use iamd_core::accounts;
pub(crate) use iamd_core::{authz, error, op, regions, timestamps};
pub(crate) use iamd_iam as iam;

use crate::error::Error;
pub use crypto::{Plain, Sealed};
use iamd_crypto::{MasterKey, SealingKey, random_fill};
use iamd_store::{Expect, Store, StoreExt};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// What Secrets Manager operations act through.
pub struct SecretsDomain {
    /// Secrets of every account and region, indexed in memory.
    pub secrets: Arc<Secrets>,
    /// The users and roles resource policies name: their unique ids when a policy is put, and
    /// whether they are still those principals when it is evaluated or shown
    /// (`Iam::policy_now`). Never used to authorize.
    pub iam: Arc<iamd_iam::Iam>,
    /// Rotation: the rotators, the queue of rotations to run, the schedules' clock.
    pub rotation: Arc<rotation::Engine>,
}

pub const KIND_SECRET: &str = "sm-secret";
pub const KIND_VERSION: &str = "sm-version";

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";
/// Versions a secret keeps before unlabeled ("deprecated") ones are dropped, oldest first
/// (<https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html>).
pub const MAX_VERSIONS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMeta {
    pub id: String,
    pub stages: Vec<String>,
    /// Unix seconds.
    pub created: i64,
    /// A version a rotation created without a value yet (labelled `AWSPENDING`): reading it
    /// answers ResourceNotFoundException until createSecret (or PutSecretValue) fills it in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty: bool,
}

/// A secret's metadata as stored (`sm-secret` record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    pub arn: String,
    pub name: String,
    pub region: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `None`: the account's AWS-managed `aws/secretsmanager` key.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub created: i64,
    pub last_changed: i64,
    /// When DeleteSecret was called (DescribeSecret's `DeletedDate`).
    #[serde(default)]
    pub deleted: Option<i64>,
    /// When the secret is purged (DeleteSecret's `DeletionDate`).
    #[serde(default)]
    pub deletion_date: Option<i64>,
    #[serde(default)]
    pub policy: Option<String>,
    /// The unique id of every user and role `policy` names, as they were when it was put: the
    /// policy is evaluated and shown with a principal deleted (or recreated) since as its old
    /// id (see [`crate::iam::principal_ids`]).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub policy_ids: crate::iam::principal_ids::PrincipalIds,
    /// The day (Unix seconds at 00:00 UTC) the value was last read, as of the last write; reads
    /// only update [`Secret::last_accessed`] in memory.
    #[serde(default)]
    pub last_accessed: Option<i64>,
    /// Oldest first.
    #[serde(default)]
    pub versions: Vec<VersionMeta>,
    /// Set on a replica: the region of its primary secret. A replica is read-only; every write
    /// to the primary is copied to it in the same transaction.
    #[serde(default)]
    pub primary_region: Option<String>,
    /// Set on a primary: the regions it replicates to, in the order they were added.
    #[serde(default)]
    pub replicas: Vec<Replica>,
    /// Rotation, once RotateSecret configured it (absent in records written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<rotation::RotationConfig>,
}

/// One replica region of a primary secret (DescribeSecret's `ReplicationStatus` entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replica {
    pub region: String,
    /// `None`: the AWS-managed `aws/secretsmanager` key of that region.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// `false`: the replica could not be created (`Failed`, with `message`).
    pub in_sync: bool,
    #[serde(default)]
    pub message: Option<String>,
}

impl SecretMeta {
    pub fn version(&self, id: &str) -> Option<&VersionMeta> {
        self.versions.iter().find(|v| v.id == id)
    }

    pub fn version_with_stage(&self, stage: &str) -> Option<&VersionMeta> {
        self.versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == stage))
    }

    pub fn is_scheduled_for_deletion(&self) -> bool {
        self.deleted.is_some()
    }

    /// Puts `stages` on version `id` (which must exist), taking each label off whichever version
    /// held it. When AWSCURRENT moves, the version that held it becomes AWSPREVIOUS (taken off
    /// any other version), as PutSecretValue and UpdateSecretVersionStage document.
    pub fn attach_stages(&mut self, id: &str, stages: &[String]) {
        for stage in stages {
            let holder = self
                .version_with_stage(stage)
                .map(|v| v.id.clone())
                .filter(|h| h != id);
            if let Some(h) = &holder {
                self.remove_stage(h, stage);
            }
            if stage == AWSCURRENT
                && let Some(prev) = holder
            {
                for v in &mut self.versions {
                    v.stages.retain(|s| s != AWSPREVIOUS);
                }
                if let Some(v) = self.versions.iter_mut().find(|v| v.id == prev) {
                    v.stages.push(AWSPREVIOUS.to_owned());
                }
            }
            if let Some(v) = self.versions.iter_mut().find(|v| v.id == id)
                && !v.stages.iter().any(|s| s == stage)
            {
                v.stages.push(stage.clone());
            }
        }
    }

    pub fn remove_stage(&mut self, id: &str, stage: &str) {
        if let Some(v) = self.versions.iter_mut().find(|v| v.id == id) {
            v.stages.retain(|s| s != stage);
        }
    }

    /// Drops the oldest unlabeled versions beyond [`MAX_VERSIONS`]; returns their ids.
    pub fn collect_garbage(&mut self) -> Vec<String> {
        let mut removed = Vec::new();
        while self.versions.len() > MAX_VERSIONS {
            match self.versions.iter().position(|v| v.stages.is_empty()) {
                Some(i) => removed.push(self.versions.remove(i).id),
                None => break,
            }
        }
        removed
    }

    fn key(&self) -> String {
        secret_key(&self.region, &self.name)
    }

    pub fn is_replica(&self) -> bool {
        self.primary_region.is_some()
    }

    pub fn replica(&self, region: &str) -> Option<&Replica> {
        self.replicas.iter().find(|r| r.region == region)
    }

    /// The region the secret was created in: its own, or its primary's for a replica
    /// (`secretsmanager:SecretPrimaryRegion`, DescribeSecret's `PrimaryRegion`).
    pub fn primary_region(&self) -> &str {
        self.primary_region.as_deref().unwrap_or(&self.region)
    }

    /// The metadata of this (primary) secret's replica in `region`: everything the primary has
    /// (versions and labels, description, tags, resource policy), under the replica's ARN, with
    /// the replica's own key, creation date and last access.
    pub fn replica_meta(
        &self,
        region: &str,
        kms_key_id: Option<String>,
        existing: Option<&SecretMeta>,
        now: i64,
    ) -> SecretMeta {
        let mut m = self.clone();
        m.arn = arn_in_region(&self.arn, region);
        m.region = region.to_owned();
        m.primary_region = Some(self.region.clone());
        m.replicas = Vec::new();
        m.kms_key_id = kms_key_id;
        m.created = existing.map(|e| e.created).unwrap_or(now);
        m.last_accessed = existing.and_then(|e| e.last_accessed);
        m
    }
}

/// The same secret ARN in another region (a replica's ARN keeps the primary's name and suffix:
/// <https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html>).
pub fn arn_in_region(arn: &str, region: &str) -> String {
    match parse_arn(arn) {
        Some(p) => format!(
            "arn:aws:secretsmanager:{region}:{}:secret:{}",
            p.account, p.rest
        ),
        None => arn.to_owned(),
    }
}

/// Whether a secret in `primary` may be replicated to `region`: a known region of the same
/// partition (a primary in a region iamd does not know replicates to the `aws` partition), and
/// not the primary's own region.
pub fn valid_replica_region(primary: &str, region: &str) -> bool {
    if region == primary {
        return false;
    }
    let partition = crate::regions::PARTITIONS
        .iter()
        .find(|p| p.contains(&primary))
        .copied()
        .unwrap_or(crate::regions::AWS);
    partition.contains(&region)
}

pub(crate) fn secret_key(region: &str, name: &str) -> String {
    format!("{region}|{name}")
}

pub(crate) fn version_key(region: &str, name: &str, version_id: &str) -> String {
    format!("{region}|{name}|{version_id}")
}

#[derive(Serialize, Deserialize)]
struct VersionRecord {
    arn: String,
    id: String,
    binary: bool,
    wrapped_key: String,
    sealed_value: String,
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Result<Vec<u8>, Error> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| Error::Internal("a stored secret version is not valid base64".into()))
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(v).map_err(|e| Error::Internal(format!("encoding a record: {e}")))
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(data: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(data).map_err(|e| Error::Internal(format!("decoding a record: {e}")))
}

/// A stored `sm-version` record's sealed value.
pub(crate) fn sealed_of(data: &[u8]) -> Result<Sealed, Error> {
    let v: VersionRecord = from_json(data)?;
    Ok(Sealed {
        binary: v.binary,
        wrapped_key: unb64(&v.wrapped_key)?,
        sealed_value: unb64(&v.sealed_value)?,
    })
}

/// One secret as the in-memory index holds it.
#[derive(Debug)]
pub struct Secret {
    pub meta: SecretMeta,
    pub account: String,
    /// The store version of the `sm-secret` record.
    store_version: i64,
    values: HashMap<String, Arc<Sealed>>,
    /// LastAccessedDate kept in memory so reads stay store-free; persisted with the next write
    /// (a restart before that forgets at most the reads since the last write).
    accessed: AtomicI64,
}

impl Secret {
    fn new(
        meta: SecretMeta,
        account: String,
        store_version: i64,
        values: HashMap<String, Arc<Sealed>>,
    ) -> Self {
        let accessed = AtomicI64::new(meta.last_accessed.unwrap_or(0));
        Self {
            meta,
            account,
            store_version,
            values,
            accessed,
        }
    }

    /// Records a read at `now`; AWS reports the date only, without the time
    /// (DescribeSecret's LastAccessedDate).
    pub fn touch(&self, now: i64) {
        let day = now - now.rem_euclid(86_400);
        self.accessed.fetch_max(day, Ordering::Relaxed);
    }

    /// The day the value was last read, if ever.
    pub fn last_accessed(&self) -> Option<i64> {
        let a = self.accessed.load(Ordering::Relaxed);
        (a > 0).then_some(a)
    }

    /// Whether the deletion window has passed at `now`: the secret is gone for every caller.
    pub fn expired(&self, now: i64) -> bool {
        self.meta.deletion_date.is_some_and(|d| d <= now)
    }

    pub fn sealed(&self, version_id: &str) -> Option<&Arc<Sealed>> {
        self.values.get(version_id)
    }
}

/// A change to commit atomically.
pub enum Write {
    /// Create (`prev` = None) or replace a secret; `new_values` are the versions added.
    Put {
        account: String,
        prev: Option<Arc<Secret>>,
        meta: Box<SecretMeta>,
        new_values: Vec<(String, Sealed)>,
    },
    /// Remove a secret and all its versions.
    Delete(Arc<Secret>),
}

type RegionIndex = BTreeMap<String, Arc<Secret>>;

#[derive(Default)]
struct Index {
    /// account → region → name → secret.
    by_account: HashMap<String, HashMap<String, RegionIndex>>,
}

/// Secrets of every account and region.
pub struct Secrets {
    store: Arc<dyn Store>,
    seal: SealingKey,
    data_keys: crypto::DataKeys,
    index: RwLock<Index>,
    /// Serializes read-modify-write cycles so that each one sees the previous one's result.
    writer: Mutex<()>,
}

/// The parts of a secret ARN: `arn:<partition>:secretsmanager:<region>:<account>:secret:<rest>`.
pub struct ParsedArn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub rest: &'a str,
}

pub fn parse_arn(id: &str) -> Option<ParsedArn<'_>> {
    let mut p = id.splitn(7, ':');
    if p.next()? != "arn" {
        return None;
    }
    let _partition = p.next()?;
    if p.next()? != "secretsmanager" {
        return None;
    }
    let region = p.next()?;
    let account = p.next()?;
    if p.next()? != "secret" {
        return None;
    }
    let rest = p.next()?;
    Some(ParsedArn {
        region,
        account,
        rest,
    })
}

/// Secret names: 1–512 ASCII letters, digits and `/_+=.@-` (CreateSecret's Name).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b))
}

/// `-` and six random ASCII letters or digits.
pub fn arn_suffix() -> Result<String, Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::from("-");
    while out.len() < 7 {
        let mut b = [0u8; 16];
        random_fill(&mut b)?;
        for x in b {
            // 248 = 4 * 62: keeps the choice uniform.
            if x < 248
                && out.len() < 7
                && let Some(&c) = ALPHABET.get(usize::from(x) % 62)
            {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

impl Secrets {
    pub fn open(store: Arc<dyn Store>, master: &MasterKey) -> Result<Self, Error> {
        let this = Self {
            store,
            seal: master.sealing_key(crypto::DATA_KEY_PURPOSE),
            data_keys: crypto::DataKeys::default(),
            index: RwLock::new(Index::default()),
            writer: Mutex::new(()),
        };
        this.reload()?;
        Ok(this)
    }

    /// Rebuilds the in-memory index from the store (start, a dev-mode reset, and another node's
    /// commit). Holds the writer lock from the read to the swap: a write of this node cannot
    /// commit in between and then be overwritten by this older snapshot.
    pub fn reload(&self) -> Result<(), Error> {
        let _guard = self
            .writer
            .lock()
            .map_err(|_| Error::Internal("secrets writer lock poisoned".into()))?;
        let (secrets, versions) = self
            .store
            .read(|tx| Ok::<_, Error>((tx.list_kind(KIND_SECRET)?, tx.list_kind(KIND_VERSION)?)))?;
        let mut values: HashMap<(String, String), Arc<Sealed>> = HashMap::new();
        for rec in versions {
            let v: VersionRecord = from_json(&rec.data)?;
            values.insert(
                (v.arn, v.id),
                Arc::new(Sealed {
                    binary: v.binary,
                    wrapped_key: unb64(&v.wrapped_key)?,
                    sealed_value: unb64(&v.sealed_value)?,
                }),
            );
        }
        let mut idx = Index::default();
        for rec in secrets {
            let meta: SecretMeta = from_json(&rec.data)?;
            let mut vals = HashMap::new();
            for v in &meta.versions {
                if let Some(s) = values.get(&(meta.arn.clone(), v.id.clone())) {
                    vals.insert(v.id.clone(), s.clone());
                }
            }
            idx.by_account
                .entry(rec.account.clone())
                .or_default()
                .entry(meta.region.clone())
                .or_default()
                .insert(
                    meta.name.clone(),
                    Arc::new(Secret::new(meta, rec.account, rec.version, vals)),
                );
        }
        *self
            .index
            .write()
            .map_err(|_| Error::Internal("secrets index lock poisoned".into()))? = idx;
        Ok(())
    }

    /// Finds a secret by name (in `account`), full ARN or partial ARN (ARN without the random
    /// suffix; in the ARN's account: cross-account access is by ARN only). Secrets are regional:
    /// an ARN of another region finds nothing. Secrets whose deletion date has passed are gone.
    pub fn find(
        &self,
        account: &str,
        region: &str,
        secret_id: &str,
        now: i64,
    ) -> Option<Arc<Secret>> {
        let idx = self.index.read().ok()?;
        let found = if secret_id.starts_with("arn:") {
            let arn = parse_arn(secret_id)?;
            if arn.region != region {
                return None;
            }
            let names = idx.by_account.get(arn.account)?.get(region)?;
            let full = arn
                .rest
                .len()
                .checked_sub(7)
                .filter(|&i| arn.rest.as_bytes().get(i) == Some(&b'-'))
                .and_then(|i| names.get(&arn.rest[..i]))
                .filter(|s| s.meta.arn == secret_id);
            full.or_else(|| names.get(arn.rest)).cloned()
        } else {
            idx.by_account
                .get(account)?
                .get(region)?
                .get(secret_id)
                .cloned()
        }?;
        (!found.expired(now)).then_some(found)
    }

    /// Every live secret of one account and region, by name.
    pub fn list(&self, account: &str, region: &str, now: i64) -> Vec<Arc<Secret>> {
        let Ok(idx) = self.index.read() else {
            return Vec::new();
        };
        idx.by_account
            .get(account)
            .and_then(|r| r.get(region))
            .map(|names| {
                names
                    .values()
                    .filter(|s| !s.expired(now))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The secret named `name` in `(account, region)`, even one whose deletion date has passed
    /// (its record still holds the name until purged).
    pub fn find_record(&self, account: &str, region: &str, name: &str) -> Option<Arc<Secret>> {
        let idx = self.index.read().ok()?;
        idx.by_account.get(account)?.get(region)?.get(name).cloned()
    }

    /// Secrets whose deletion window has passed, to be purged by the next write.
    fn expired(&self, account: &str, region: &str, now: i64) -> Vec<Arc<Secret>> {
        let Ok(idx) = self.index.read() else {
            return Vec::new();
        };
        idx.by_account
            .get(account)
            .and_then(|r| r.get(region))
            .map(|names| names.values().filter(|s| s.expired(now)).cloned().collect())
            .unwrap_or_default()
    }

    pub fn seal_value(&self, arn: &str, version_id: &str, value: &Plain) -> Result<Sealed, Error> {
        crypto::seal(&self.seal, arn, version_id, value)
    }

    pub fn open_value(&self, secret: &Secret, version_id: &str) -> Result<Plain, Error> {
        let sealed = secret.values.get(version_id).ok_or_else(|| {
            Error::Internal(format!(
                "version {version_id} of {} has no stored value",
                secret.meta.arn
            ))
        })?;
        crypto::open_cached(
            &self.seal,
            &self.data_keys,
            &secret.meta.arn,
            version_id,
            sealed,
        )
        .map_err(|_| {
            Error::Internal(format!(
                "version {version_id} of {} cannot be opened with this master key",
                secret.meta.arn
            ))
        })
    }

    /// Opens a version sealed under `from_arn` and seals it again, with a new data key, under
    /// `to_arn` (a replica's copy is bound to the replica's ARN).
    fn reseal(
        &self,
        from_arn: &str,
        to_arn: &str,
        version_id: &str,
        sealed: &Sealed,
    ) -> Result<Sealed, Error> {
        let plain = crypto::open(&self.seal, from_arn, version_id, sealed).map_err(|_| {
            Error::Internal(format!(
                "version {version_id} of {from_arn} cannot be opened with this master key"
            ))
        })?;
        crypto::seal(&self.seal, to_arn, version_id, &plain)
    }

    /// The write that makes `(account, replica.region)` hold an up-to-date replica of `primary`:
    /// its metadata, and a copy of every version it does not hold yet, sealed under its ARN.
    /// `existing`: the replica as it is now (None: create it). `value`: the primary's sealed
    /// value of a version, from the write in progress or the primary as indexed.
    pub fn replica_write(
        &self,
        account: &str,
        primary: &SecretMeta,
        value: &dyn Fn(&str) -> Option<Sealed>,
        replica: &Replica,
        existing: Option<Arc<Secret>>,
        now: i64,
    ) -> Result<Option<Write>, Error> {
        let meta = primary.replica_meta(
            &replica.region,
            replica.kms_key_id.clone(),
            existing.as_ref().map(|e| &e.meta),
            now,
        );
        let mut new_values = Vec::new();
        for v in &meta.versions {
            if v.empty
                || existing
                    .as_ref()
                    .is_some_and(|e| e.values.contains_key(&v.id))
            {
                continue;
            }
            let sealed = value(&v.id).ok_or_else(|| {
                Error::Internal(format!(
                    "version {} of {} has no stored value to replicate",
                    v.id, primary.arn
                ))
            })?;
            new_values.push((
                v.id.clone(),
                self.reseal(&primary.arn, &meta.arn, &v.id, &sealed)?,
            ));
        }
        if new_values.is_empty() && existing.as_ref().is_some_and(|e| e.meta == meta) {
            return Ok(None);
        }
        Ok(Some(Write::Put {
            account: account.to_owned(),
            prev: existing,
            meta: Box::new(meta),
            new_values,
        }))
    }

    /// The writes that keep the in-sync replicas of every primary written in `writes` equal to
    /// it, except replicas the batch already writes itself.
    fn propagate(&self, writes: &[Write], now: i64) -> Result<Vec<Write>, Error> {
        let written = |account: &str, region: &str, name: &str| {
            writes.iter().any(|w| match w {
                Write::Put {
                    account: a, meta, ..
                } => a == account && meta.region == region && meta.name == name,
                Write::Delete(d) => {
                    d.account == account && d.meta.region == region && d.meta.name == name
                }
            })
        };
        let mut out = Vec::new();
        for w in writes {
            let Write::Put {
                account,
                prev,
                meta,
                new_values,
            } = w
            else {
                continue;
            };
            if meta.is_replica() {
                continue;
            }
            let value = |id: &str| -> Option<Sealed> {
                new_values
                    .iter()
                    .find(|(v, _)| v == id)
                    .map(|(_, s)| s.clone())
                    .or_else(|| {
                        prev.as_ref()
                            .and_then(|p| p.values.get(id))
                            .map(|s| (**s).clone())
                    })
            };
            for r in meta.replicas.iter().filter(|r| r.in_sync) {
                if written(account, &r.region, &meta.name) {
                    continue;
                }
                // The replica as indexed; a record of that name that is not this secret's
                // replica is left alone.
                let Some(existing) = self
                    .find_record(account, &r.region, &meta.name)
                    .filter(|e| e.meta.arn == arn_in_region(&meta.arn, &r.region))
                else {
                    continue;
                };
                if let Some(w) =
                    self.replica_write(account, meta, &value, r, Some(existing), now)?
                {
                    out.push(w);
                }
            }
        }
        Ok(out)
    }

    /// Runs one read-modify-write cycle: `plan` sees the current state (under the writer lock)
    /// and returns the writes and the caller's result; the writes are committed in one
    /// transaction together with the purge of expired secrets of `(account, region)`, then the
    /// index is updated.
    pub fn mutate<R>(
        &self,
        account: &str,
        region: &str,
        now: i64,
        plan: impl FnOnce(&Self) -> Result<(Vec<Write>, R), Error>,
    ) -> Result<R, Error> {
        let _guard = self
            .writer
            .lock()
            .map_err(|_| Error::Internal("secrets writer lock poisoned".into()))?;
        let (mut writes, result) = plan(self)?;
        let mut copies = self.propagate(&writes, now)?;
        writes.append(&mut copies);
        let purge: Vec<Write> = self
            .expired(account, region, now)
            .into_iter()
            .filter(|s| {
                !writes.iter().any(|w| match w {
                    Write::Delete(d) => d.meta.arn == s.meta.arn,
                    Write::Put { prev, .. } => {
                        prev.as_ref().is_some_and(|p| p.meta.arn == s.meta.arn)
                    }
                })
            })
            .map(Write::Delete)
            .collect();
        // Purges first: a create may reuse the name of a purged secret.
        let mut all = purge;
        all.append(&mut writes);
        self.commit(all).map(|()| result)
    }

    fn commit(&self, mut writes: Vec<Write>) -> Result<(), Error> {
        if writes.is_empty() {
            return Ok(());
        }
        for w in &mut writes {
            if let Write::Put {
                prev: Some(p),
                meta,
                ..
            } = w
            {
                meta.last_accessed = meta.last_accessed.max(p.last_accessed());
            }
        }
        // Encode everything before the transaction: the closure may run more than once.
        struct Encoded {
            account: String,
            key: String,
            data: Vec<u8>,
            expect: Expect,
            versions: Vec<(String, Vec<u8>)>,
            removed_versions: Vec<String>,
            delete: bool,
        }
        let mut enc = Vec::with_capacity(writes.len());
        for w in &writes {
            match w {
                Write::Put {
                    account,
                    prev,
                    meta,
                    new_values,
                } => {
                    let mut versions = Vec::new();
                    for (id, s) in new_values {
                        versions.push((
                            version_key(&meta.region, &meta.name, id),
                            to_json(&VersionRecord {
                                arn: meta.arn.clone(),
                                id: id.clone(),
                                binary: s.binary,
                                wrapped_key: b64(&s.wrapped_key),
                                sealed_value: b64(&s.sealed_value),
                            })?,
                        ));
                    }
                    let removed_versions = prev
                        .as_ref()
                        .map(|p| {
                            p.meta
                                .versions
                                .iter()
                                .filter(|v| meta.version(&v.id).is_none())
                                .map(|v| version_key(&meta.region, &meta.name, &v.id))
                                .collect()
                        })
                        .unwrap_or_default();
                    enc.push(Encoded {
                        account: account.clone(),
                        key: meta.key(),
                        data: to_json(meta)?,
                        expect: prev
                            .as_ref()
                            .map(|p| Expect::Version(p.store_version))
                            .unwrap_or(Expect::Absent),
                        versions,
                        removed_versions,
                        delete: false,
                    });
                }
                Write::Delete(s) => enc.push(Encoded {
                    account: s.account.clone(),
                    key: s.meta.key(),
                    data: Vec::new(),
                    expect: Expect::Version(s.store_version),
                    versions: Vec::new(),
                    removed_versions: s
                        .meta
                        .versions
                        .iter()
                        .map(|v| version_key(&s.meta.region, &s.meta.name, &v.id))
                        .collect(),
                    delete: true,
                }),
            }
        }
        let new_versions: Vec<Option<i64>> = self.store.write(|tx| {
            let mut out = Vec::with_capacity(enc.len());
            for e in &enc {
                for k in &e.removed_versions {
                    tx.delete(KIND_VERSION, &e.account, k, Expect::Any)?;
                }
                if e.delete {
                    tx.delete(KIND_SECRET, &e.account, &e.key, e.expect)?;
                    out.push(None);
                } else {
                    for (k, data) in &e.versions {
                        tx.put(KIND_VERSION, &e.account, k, data, Expect::Any)?;
                    }
                    out.push(Some(tx.put(
                        KIND_SECRET,
                        &e.account,
                        &e.key,
                        &e.data,
                        e.expect,
                    )?));
                }
            }
            Ok::<_, Error>(out)
        })?;
        let mut idx = self
            .index
            .write()
            .map_err(|_| Error::Internal("secrets index lock poisoned".into()))?;
        for (w, ver) in writes.into_iter().zip(new_versions) {
            match (w, ver) {
                (
                    Write::Put {
                        account,
                        prev,
                        meta,
                        new_values,
                    },
                    Some(store_version),
                ) => {
                    let mut values = prev.map(|p| p.values.clone()).unwrap_or_default();
                    values.retain(|id, _| meta.version(id).is_some());
                    for (id, s) in new_values {
                        values.insert(id, Arc::new(s));
                    }
                    let names = idx
                        .by_account
                        .entry(account.clone())
                        .or_default()
                        .entry(meta.region.clone())
                        .or_default();
                    names.insert(
                        meta.name.clone(),
                        Arc::new(Secret::new(*meta, account, store_version, values)),
                    );
                }
                (Write::Delete(s), _) => {
                    if let Some(names) = idx
                        .by_account
                        .get_mut(&s.account)
                        .and_then(|r| r.get_mut(&s.meta.region))
                        && names
                            .get(&s.meta.name)
                            .is_some_and(|c| c.meta.arn == s.meta.arn)
                    {
                        names.remove(&s.meta.name);
                    }
                }
                (Write::Put { .. }, None) => {}
            }
        }
        Ok(())
    }
}
