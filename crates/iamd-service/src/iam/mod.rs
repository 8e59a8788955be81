//! IAM entities: users, access keys, groups, roles, managed and inline policies, instance
//! profiles.
//!
//! All IAM state goes through [`Iam`]: handlers never touch the store directly, so a per-account
//! in-memory snapshot can later replace the store reads behind this one API. Every change is one
//! closure transaction; every failure leaves the store as it was.

pub mod details;
pub mod doc;
pub mod login;
pub mod mfa;
pub mod ops;
pub mod password_policy;
pub mod principal_ids;
pub mod records;
mod trust;

pub use doc::{DocKind, url_encode, validate_policy_document};
pub use records::{
    GroupRecord, InstanceProfileRecord, PolicyRecord, PolicyVersionRecord, RoleRecord, Tag,
    UserRecord,
};

use crate::accounts::{self, AccessKeyRecord, Accounts, KeyOwner};
use crate::error::{Blocker, Error, IamError};
use base64::Engine;
use iamd_crypto::ids;
use iamd_store::{Expect, Store, StoreError, StoreExt, Tx};
use records::{Entity, PolicyHolder, Tagged};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Most tags an entity can carry.
pub const MAX_TAGS: usize = 50;
/// Most managed policies attached to one user, group or role (the default quota).
pub const MAX_ATTACHED: usize = 10;
/// Most versions of one managed policy.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// Most access keys per user (and for the root).
pub const MAX_ACCESS_KEYS: usize = 2;
/// Most groups one user belongs to.
pub const MAX_GROUPS_PER_USER: usize = 10;
/// Default MaxItems of list operations.
pub const DEFAULT_MAX_ITEMS: i64 = 100;

/// One page of a listing; `marker` is set when more items follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub marker: Option<String>,
}

impl<T> Page<T> {
    pub fn is_truncated(&self) -> bool {
        self.marker.is_some()
    }
}

/// Pagination input: `Marker` (opaque, from a previous page) and `MaxItems`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageReq<'a> {
    pub marker: Option<&'a str>,
    pub max_items: Option<i64>,
}

/// A marker iamd did not issue is `ValidationError: Invalid Marker.` (LocalStack's snapshot
/// recorded against AWS, test_iam_mfa `list-invalid-marker-error`).
fn decode_marker(marker: Option<&str>) -> Result<Option<String>, Error> {
    marker
        .map(|m| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(Error::Iam(IamError::InvalidMarker))
        })
        .transpose()
}

fn encode_marker(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

fn page_size(req: PageReq<'_>) -> usize {
    usize::try_from(req.max_items.unwrap_or(DEFAULT_MAX_ITEMS).max(1)).unwrap_or(1)
}

/// `items` must be sorted by `key`. The marker is the key of the last item returned, encoded so
/// clients treat it as opaque.
pub fn paginate<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    req: PageReq<'_>,
) -> Result<Page<T>, Error> {
    let after = decode_marker(req.marker)?;
    let max = page_size(req);
    let mut out = Vec::new();
    let mut marker = None;
    for item in items {
        let k = key(&item);
        if after.as_deref().is_some_and(|a| k.as_str() <= a) {
            continue;
        }
        if out.len() == max {
            marker = out.last().map(|l| encode_marker(&key(l)));
            break;
        }
        out.push(item);
    }
    Ok(Page { items: out, marker })
}

/// `arn:aws:iam::<account>:<kind><path><name>`.
pub fn entity_arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(v).map_err(|e| Error::Internal(format!("encoding a record: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(data: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(data).map_err(|e| Error::Internal(format!("decoding a record: {e}")))
}

fn load<T: Entity>(tx: &mut dyn Tx, acct: &str, name: &str) -> Result<Option<(T, i64)>, Error> {
    match tx.get(T::KIND, acct, &name.to_lowercase())? {
        Some(r) => Ok(Some((from_json(&r.data)?, r.version))),
        None => Ok(None),
    }
}

fn must<T: Entity>(tx: &mut dyn Tx, acct: &str, name: &str) -> Result<(T, i64), Error> {
    load(tx, acct, name)?.ok_or_else(|| T::not_found(name))
}

/// Writes a record: `version` `None` creates it (refusing a duplicate name), `Some` updates it.
fn save<T: Entity>(
    tx: &mut dyn Tx,
    acct: &str,
    rec: &T,
    version: Option<i64>,
) -> Result<(), Error> {
    let expect = version.map_or(Expect::Absent, Expect::Version);
    match tx.put(T::KIND, acct, &rec.key(), &to_json(rec)?, expect) {
        Ok(_) => Ok(()),
        Err(StoreError::AlreadyExists { .. }) => Err(T::already_exists(rec.name())),
        Err(e) => Err(e.into()),
    }
}

fn remove<T: Entity>(tx: &mut dyn Tx, acct: &str, rec: &T, version: i64) -> Result<(), Error> {
    tx.delete(T::KIND, acct, &rec.key(), Expect::Version(version))?;
    Ok(())
}

fn all<T: Entity>(tx: &mut dyn Tx, acct: &str) -> Result<Vec<T>, Error> {
    tx.list(T::KIND, acct)?
        .iter()
        .map(|r| from_json(&r.data))
        .collect()
}

fn delete_conflict(blocker: Blocker) -> Error {
    IamError::DeleteConflict(blocker).into()
}

fn limit(quota: &'static str, limit: usize) -> Error {
    IamError::Quota { quota, limit }.into()
}

fn key_not_found(key_id: &str) -> Error {
    IamError::NoSuchAccessKey {
        id: key_id.to_owned(),
    }
    .into()
}

/// Refuses tag lists with the same key twice (tag keys are case-insensitive).
pub fn check_tags(tags: &[Tag]) -> Result<(), Error> {
    check_tag_keys(tags, false)
}

/// Duplicate keys in one request: `Duplicate tag keys found.`, with IAM's note where keys are
/// case-insensitive (see [`Tagged::CASE_SENSITIVE_KEYS`]; LocalStack's AWS-recorded snapshot
/// test_iam_policies `err-duplicate-keys` for policies, AWS's CreateRole answer for roles).
fn check_tag_keys(tags: &[Tag], case_sensitive: bool) -> Result<(), Error> {
    for (i, t) in tags.iter().enumerate() {
        if tags[..i]
            .iter()
            .any(|u| same_key(&u.key, &t.key, case_sensitive))
        {
            return Err(IamError::DuplicateTagKeys { case_sensitive }.into());
        }
    }
    Ok(())
}

fn same_key(a: &str, b: &str, case_sensitive: bool) -> bool {
    if case_sensitive {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// Adds or overwrites tags; a key that exists in another case is replaced.
fn merge_tags<T: Tagged>(rec: &mut T, tags: &[Tag]) -> Result<(), Error> {
    check_tag_keys(tags, T::CASE_SENSITIVE_KEYS)?;
    let list = rec.tags_mut();
    for t in tags {
        match list
            .iter_mut()
            .find(|u| same_key(&u.key, &t.key, T::CASE_SENSITIVE_KEYS))
        {
            Some(u) => *u = t.clone(),
            None => list.push(t.clone()),
        }
    }
    if list.len() > MAX_TAGS {
        return Err(limit(T::TAG_QUOTA, MAX_TAGS));
    }
    Ok(())
}

fn drop_tags<T: Tagged>(rec: &mut T, keys: &[&str]) {
    rec.tags_mut().retain(|t| {
        !keys
            .iter()
            .any(|k| same_key(k, &t.key, T::CASE_SENSITIVE_KEYS))
    });
}

/// The parts of a customer managed policy ARN: account, path, name.
pub fn parse_policy_arn(arn: &str) -> Result<(&str, &str, &str), Error> {
    // ValidationError, as AWS answered AttachRolePolicy with a policy name for an ARN (LocalStack's
    // AWS-recorded snapshot test_iam_roles `non-existent-malformed-policy-arn`).
    let invalid = || {
        Error::from(IamError::InvalidArn {
            arn: arn.to_owned(),
        })
    };
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let res = resource.strip_prefix("policy").ok_or_else(invalid)?;
    if !res.starts_with('/') {
        return Err(invalid());
    }
    let cut = res.rfind('/').map_or(0, |i| i + 1);
    let (path, name) = res.split_at(cut);
    if name.is_empty() || account.is_empty() {
        return Err(invalid());
    }
    Ok((account, path, name))
}

/// How a missing policy is reported: GetPolicy says `was not found`, attaching says `does not
/// exist or is not attachable`, a permissions boundary names the `Scope ARN`.
#[derive(Debug, Clone, Copy)]
enum Missing {
    Get,
    Attach,
    Boundary,
}

fn policy_missing(how: Missing, arn: &str) -> Error {
    let arn = arn.to_owned();
    match how {
        Missing::Get => IamError::NoSuchPolicy { arn },
        Missing::Attach => IamError::PolicyNotAttachable { arn },
        Missing::Boundary => IamError::BoundaryNotAttachable { arn },
    }
    .into()
}

/// The store version reported for AWS managed policies, which live in iamd-policy's data and
/// never in the store: writers must not save them (see [`load_policy`]).
const AWS_MANAGED_VERSION: i64 = -1;

/// An AWS managed policy (`arn:aws:iam::aws:policy/…`) as a read-only record, from the data
/// iamd-policy ships (its default version; provenance in crates/iamd-policy/data).
pub fn aws_managed_record(arn: &str) -> Option<PolicyRecord> {
    use time::format_description::well_known::Rfc3339;
    let m = iamd_policy::aws_managed_policy(arn)?;
    let date = |s: &str| {
        time::OffsetDateTime::parse(s, &Rfc3339)
            .map(|t| t.unix_timestamp())
            .unwrap_or(0)
    };
    // AWS's own ids for these policies are not in the data; derive a stable one from the ARN.
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(arn.as_bytes())
    };
    let id: String = std::iter::once("ANPA".to_owned())
        .chain(digest.iter().take(17).map(|b| {
            (b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[usize::from(b % 32)] as char).to_string()
        }))
        .collect();
    Some(PolicyRecord {
        name: m.name.clone(),
        path: m.path.clone(),
        id,
        created: date(&m.create_date),
        updated: date(&m.update_date),
        description: None,
        default_version: m.default_version_id.clone(),
        next_version: 0,
        versions: vec![PolicyVersionRecord {
            id: m.default_version_id.clone(),
            document: m.document.clone(),
            created: date(&m.update_date),
        }],
        attachment_count: 0,
        tags: Vec::new(),
        aws_managed: true,
    })
}

/// Whether a policy ARN names an AWS managed policy.
pub fn is_aws_managed(arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::aws:policy/")
}

/// Resolves a managed policy ARN of `acct`, or an AWS managed policy (returned with
/// [`AWS_MANAGED_VERSION`]: read-only, never saved).
fn load_policy(
    tx: &mut dyn Tx,
    acct: &str,
    arn: &str,
    how: Missing,
) -> Result<(PolicyRecord, i64), Error> {
    let (account, path, name) = parse_policy_arn(arn)?;
    if account == "aws" {
        return aws_managed_record(arn)
            .map(|p| (p, AWS_MANAGED_VERSION))
            .ok_or_else(|| policy_missing(how, arn));
    }
    if account != acct {
        return Err(policy_missing(how, arn));
    }
    match load::<PolicyRecord>(tx, acct, name)? {
        Some((p, v)) if p.path == path && p.name == name => Ok((p, v)),
        _ => Err(policy_missing(how, arn)),
    }
}

fn policy_arn(acct: &str, p: &PolicyRecord) -> String {
    entity_arn(acct, "policy", &p.path, &p.name)
}

/// The ARN of a loaded policy: AWS managed ones belong to the account `aws`.
fn loaded_policy_arn(acct: &str, p: &PolicyRecord, version: i64) -> String {
    if version == AWS_MANAGED_VERSION {
        entity_arn("aws", "policy", &p.path, &p.name)
    } else {
        policy_arn(acct, p)
    }
}

/// AWS managed policies cannot be changed by customers.
fn refuse_aws_managed(arn: &str) -> Result<(), Error> {
    if is_aws_managed(arn) {
        return Err(IamError::AwsManagedPolicy {
            arn: arn.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// What an access key operation acts on: a user by name, or the account root.
#[derive(Debug, Clone, Copy)]
pub enum KeyScope<'a> {
    User(&'a str),
    Root,
}

/// Users, groups, roles with their memberships and attachments, for ListEntitiesForPolicy.
#[derive(Debug, Default)]
pub struct PolicyEntities {
    pub users: Vec<UserRecord>,
    pub groups: Vec<GroupRecord>,
    pub roles: Vec<RoleRecord>,
}

/// Counts for GetAccountSummary.
#[derive(Debug, Default)]
pub struct AccountCounts {
    pub users: usize,
    pub groups: usize,
    pub roles: usize,
    pub policies: usize,
    pub policy_versions: usize,
    pub instance_profiles: usize,
    pub root_keys: usize,
}

/// A role (or its absence) and the generation it was read at.
type CachedRole = (u64, Option<Arc<RoleRecord>>);

/// What an IAM resource contributes to the authorization of a request on it: its tags and, for
/// users and roles, its permissions boundary.
#[derive(Debug, Clone, Default)]
pub struct ResourceFacts {
    /// The resource type as the Service Authorization Reference names it: `user`, `role`,
    /// `policy`, `instance-profile` or `mfa`.
    pub kind: &'static str,
    pub tags: Vec<Tag>,
    pub boundary: Option<String>,
}

/// The IAM state of every account.
pub struct Iam {
    store: Arc<dyn Store>,
    /// Roles read by AssumeRole, with the generation they were read at.
    role_cache: std::sync::RwLock<std::collections::HashMap<String, CachedRole>>,
    /// Moves after every write transaction (committed or not): caches of IAM-derived data (the
    /// compiled policies of principals) are valid while it stays the same.
    generation: std::sync::atomic::AtomicU64,
    /// Unique ids of users and roles by name, for trust policies (see `trust.rs`).
    entity_ids: crate::cache::GenCache<String, Option<String>>,
    /// Seals virtual MFA devices' seeds (the master key's `mfa-seed v1` key).
    mfa_seal: iamd_crypto::SealingKey,
    /// Wrong MFA codes per caller on this node (see [`mfa::lockout`]).
    mfa_callers: mfa::lockout::CallerFailures,
}

impl Iam {
    pub fn new(store: Arc<dyn Store>, mfa_seal: iamd_crypto::SealingKey) -> Self {
        Self {
            store,
            generation: std::sync::atomic::AtomicU64::new(0),
            role_cache: Default::default(),
            entity_ids: crate::cache::GenCache::new("entity ids", trust::ENTITY_IDS_CAPACITY),
            mfa_seal,
            mfa_callers: Default::default(),
        }
    }

    /// The key that seals virtual MFA devices' seeds.
    pub fn mfa_seal(&self) -> &iamd_crypto::SealingKey {
        &self.mfa_seal
    }

    /// The current generation (see the field).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Declares every cache of IAM data stale (after a change made outside `Iam`, e.g. a reset).
    pub fn invalidate(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Forgets this node's per-caller counts of wrong MFA codes (the dev-mode reset; the
    /// devices' own counts are records, wiped with the rest).
    pub fn forget_mfa_failures(&self) {
        self.mfa_callers.clear();
    }

    fn read<R>(&self, f: impl FnMut(&mut dyn Tx) -> Result<R, Error>) -> Result<R, Error> {
        self.store.read(f)
    }

    fn write<R>(&self, f: impl FnMut(&mut dyn Tx) -> Result<R, Error>) -> Result<R, Error> {
        let out = self.store.write(f);
        // After the commit: a reader that built a cache entry before this point recorded the
        // previous generation, so its entry is rebuilt on next use.
        self.invalidate();
        out
    }

    /// Any entity by name.
    pub fn get<T: Entity>(&self, acct: &str, name: &str) -> Result<T, Error> {
        self.read(|tx| must::<T>(tx, acct, name).map(|(r, _)| r))
    }

    /// A role by name (case-insensitively, as IAM finds names), from a cache that stays valid
    /// while the generation does: AssumeRole reads its role on every call.
    pub fn cached_role(&self, acct: &str, name: &str) -> Result<Option<Arc<RoleRecord>>, Error> {
        let key = format!("{acct}/{}", name.to_lowercase());
        let generation = self.generation();
        if let Ok(cache) = self.role_cache.read()
            && let Some((g, role)) = cache.get(&key)
            && *g == generation
        {
            return Ok(role.clone());
        }
        let role = self.find::<RoleRecord>(acct, name)?.map(Arc::new);
        if let Ok(mut cache) = self.role_cache.write() {
            if cache.len() >= 100_000 {
                cache.clear();
            }
            cache.insert(key, (generation, role.clone()));
        }
        Ok(role)
    }

    /// Any entity by name, or `None`.
    pub fn find<T: Entity>(&self, acct: &str, name: &str) -> Result<Option<T>, Error> {
        self.read(|tx| load::<T>(tx, acct, name).map(|o| o.map(|(r, _)| r)))
    }

    /// The facts of the IAM resource an ARN names in `acct` (`None`: not an IAM resource of
    /// that account, or it does not exist). The ARN must name the entity with its path.
    pub fn resource_facts(&self, acct: &str, arn: &str) -> Result<Option<ResourceFacts>, Error> {
        let Some(resource) = arn
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.strip_prefix(acct))
            .and_then(|r| r.strip_prefix(':'))
        else {
            return Ok(None);
        };
        let Some((kind, rest)) = resource.split_once('/') else {
            return Ok(None);
        };
        let name = rest.rsplit('/').next().unwrap_or(rest);
        fn same<T: Entity>(acct: &str, kind: &str, arn: &str, r: &T) -> bool {
            entity_arn(acct, kind, r.path(), r.name()) == arn
        }
        let facts = match kind {
            "user" => self
                .find::<UserRecord>(acct, name)?
                .filter(|u| same(acct, kind, arn, u))
                .map(|u| ResourceFacts {
                    kind: "user",
                    tags: u.tags,
                    boundary: u.boundary,
                }),
            "role" => self
                .find::<RoleRecord>(acct, name)?
                .filter(|r| same(acct, kind, arn, r))
                .map(|r| ResourceFacts {
                    kind: "role",
                    tags: r.tags,
                    boundary: r.boundary,
                }),
            "instance-profile" => self
                .find::<InstanceProfileRecord>(acct, name)?
                .filter(|p| same(acct, kind, arn, p))
                .map(|p| ResourceFacts {
                    kind: "instance-profile",
                    tags: p.tags,
                    boundary: None,
                }),
            "policy" => self
                .find::<PolicyRecord>(acct, name)?
                .filter(|p| p.arn(acct) == arn)
                .map(|p| ResourceFacts {
                    kind: "policy",
                    tags: p.tags,
                    boundary: None,
                }),
            "mfa" => self.find_mfa_device(acct, arn)?.map(|d| ResourceFacts {
                kind: "mfa",
                tags: d.tags,
                boundary: None,
            }),
            _ => None,
        };
        Ok(facts)
    }

    /// Loads, changes and saves one entity in one transaction.
    fn update<T: Entity, R>(
        &self,
        acct: &str,
        name: &str,
        mut f: impl FnMut(&mut dyn Tx, &mut T) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.write(|tx| {
            let (mut rec, v) = must::<T>(tx, acct, name)?;
            let out = f(tx, &mut rec)?;
            save(tx, acct, &rec, Some(v))?;
            Ok(out)
        })
    }

    /// Entities whose path starts with `prefix` and that `keep` accepts, one page. Records come
    /// from the store ordered by key; only those after the marker are decoded, and decoding stops
    /// once the page is full.
    fn list_paged<T: Entity>(
        &self,
        acct: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Page<T>, Error> {
        let mut after = decode_marker(page.marker)?;
        let max = page_size(page);
        let mut out: Vec<T> = Vec::new();
        let mut more = false;
        // Read the store a chunk at a time from the marker on: a page of a large account costs
        // about a page of reads, not the whole account (filters may skip records, so loop).
        let chunk = max + 1;
        'pages: loop {
            let records = self.read(|tx| {
                tx.list_after(T::KIND, acct, after.as_deref(), chunk)
                    .map_err(Error::from)
            })?;
            let exhausted = records.len() < chunk;
            for r in records {
                after = Some(r.key.clone());
                let rec: T = from_json(&r.data)?;
                if prefix.is_some_and(|p| !rec.path().starts_with(p)) || !keep(&rec) {
                    continue;
                }
                if out.len() == max {
                    more = true;
                    break 'pages;
                }
                out.push(rec);
            }
            if exhausted {
                break;
            }
        }
        let marker = if more {
            out.last().map(|l| encode_marker(&l.key()))
        } else {
            None
        };
        Ok(Page { items: out, marker })
    }

    // --- tags (users, roles, instance profiles by name) -------------------------------------

    pub fn tag<T: Tagged>(&self, acct: &str, name: &str, tags: &[Tag]) -> Result<(), Error> {
        self.update::<T, _>(acct, name, |_, rec| merge_tags(rec, tags))
    }

    pub fn untag<T: Tagged>(&self, acct: &str, name: &str, keys: &[&str]) -> Result<(), Error> {
        self.update::<T, _>(acct, name, |_, rec| {
            drop_tags(rec, keys);
            Ok(())
        })
    }

    pub fn list_tags<T: Tagged>(
        &self,
        acct: &str,
        name: &str,
        page: PageReq<'_>,
    ) -> Result<Page<Tag>, Error> {
        let rec = self.get::<T>(acct, name)?;
        paginate_in_order(rec.tags().to_vec(), page)
    }

    // --- users --------------------------------------------------------------------------------

    pub fn create_user(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        boundary: Option<&str>,
        tags: &[Tag],
        now: i64,
    ) -> Result<UserRecord, Error> {
        check_tags(tags)?;
        let id = ids::unique_id("AIDA")?;
        self.write(|tx| {
            if load::<UserRecord>(tx, acct, name)?.is_some() {
                return Err(UserRecord::already_exists(name));
            }
            if let Some(b) = boundary {
                load_policy(tx, acct, b, Missing::Boundary)?;
            }
            let rec = UserRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                tags: tags.to_vec(),
                boundary: boundary.map(str::to_owned),
                inline: Default::default(),
                attached: Vec::new(),
                groups: Vec::new(),
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    /// Renames and/or moves a user; its access keys follow at once.
    pub fn update_user(
        &self,
        accounts: &Accounts,
        acct: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), Error> {
        let keys = self.write(|tx| {
            let (old, v) = must::<UserRecord>(tx, acct, name)?;
            let mut rec = old.clone();
            if let Some(n) = new_name {
                rec.name = n.to_owned();
            }
            if let Some(p) = new_path {
                rec.path = p.to_owned();
            }
            if rec.key() == old.key() {
                save(tx, acct, &rec, Some(v))?;
            } else {
                if load::<UserRecord>(tx, acct, &rec.name)?.is_some() {
                    return Err(UserRecord::already_exists(&rec.name));
                }
                remove(tx, acct, &old, v)?;
                save(tx, acct, &rec, None)?;
            }
            let mut moved = Vec::new();
            for mut k in accounts::account_keys(tx, acct)? {
                if k.user.as_deref() == Some(old.name.as_str()) {
                    k.user = Some(rec.name.clone());
                    k.user_path = Some(rec.path.clone());
                    accounts::put_key(tx, &k, Expect::Any)?;
                    moved.push(k.access_key_id);
                }
            }
            Ok(moved)
        })?;
        for k in keys {
            accounts.refresh_key(acct, &k)?;
        }
        Ok(())
    }

    /// Deletes a user that owns nothing any more (AWS's order: login profile, keys, inline policies, attached
    /// policies, group memberships).
    pub fn delete_user(&self, acct: &str, name: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (rec, v) = must::<UserRecord>(tx, acct, name)?;
            // AWS's DeleteUser documentation lists the password (login profile) first.
            if login::load_profile(tx, acct, &rec.id)?.is_some() {
                return Err(delete_conflict(Blocker::LoginProfile));
            }
            if accounts::account_keys(tx, acct)?
                .iter()
                .any(|k| k.user.as_deref() == Some(rec.name.as_str()))
            {
                return Err(delete_conflict(Blocker::AccessKeys));
            }
            for r in tx.list(mfa::KIND_MFA, acct)? {
                let d: mfa::MfaDeviceRecord = from_json(&r.data)?;
                if d.user.as_deref() == Some(rec.name.as_str()) {
                    return Err(delete_conflict(Blocker::MfaDevice));
                }
            }
            if !rec.inline.is_empty() {
                return Err(delete_conflict(Blocker::InlinePolicies));
            }
            if !rec.attached.is_empty() {
                return Err(delete_conflict(Blocker::AttachedPolicies));
            }
            if !rec.groups.is_empty() {
                return Err(delete_conflict(Blocker::GroupMembers));
            }
            remove(tx, acct, &rec, v)
        })
    }

    pub fn list_users(
        &self,
        acct: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<UserRecord>, Error> {
        self.list_paged::<UserRecord>(acct, prefix, page, |_| true)
    }

    // --- access keys --------------------------------------------------------------------------

    fn key_owner(
        tx: &mut dyn Tx,
        acct: &str,
        scope: KeyScope<'_>,
    ) -> Result<Option<KeyOwner>, Error> {
        match scope {
            KeyScope::Root => Ok(None),
            KeyScope::User(name) => {
                let (u, _) = must::<UserRecord>(tx, acct, name)?;
                Ok(Some(KeyOwner {
                    name: u.name,
                    path: u.path,
                    id: u.id,
                }))
            }
        }
    }

    fn owned_keys(
        tx: &mut dyn Tx,
        acct: &str,
        owner: Option<&KeyOwner>,
    ) -> Result<Vec<AccessKeyRecord>, Error> {
        let want = owner.map(|o| o.name.as_str());
        Ok(accounts::account_keys(tx, acct)?
            .into_iter()
            .filter(|k| k.user.as_deref() == want)
            .collect())
    }

    /// Creates an access key (at most two per user); it authenticates as soon as this returns.
    pub fn create_access_key(
        &self,
        accounts: &Accounts,
        acct: &str,
        scope: KeyScope<'_>,
        now: i64,
    ) -> Result<(AccessKeyRecord, Zeroizing<String>), Error> {
        let created = self.write(|tx| {
            let owner = Self::key_owner(tx, acct, scope)?;
            if Self::owned_keys(tx, acct, owner.as_ref())?.len() >= MAX_ACCESS_KEYS {
                return Err(limit("AccessKeysPerUser", MAX_ACCESS_KEYS));
            }
            let (rec, secret) = accounts.new_access_key(acct, owner.as_ref(), now)?;
            accounts::put_key(tx, &rec, Expect::Absent)?;
            Ok((rec, secret))
        })?;
        accounts.refresh_key(acct, &created.0.access_key_id)?;
        Ok(created)
    }

    pub fn list_access_keys(
        &self,
        acct: &str,
        scope: KeyScope<'_>,
        page: PageReq<'_>,
    ) -> Result<Page<AccessKeyRecord>, Error> {
        let keys = self.read(|tx| {
            let owner = Self::key_owner(tx, acct, scope)?;
            Self::owned_keys(tx, acct, owner.as_ref())
        })?;
        paginate(keys, |k| k.access_key_id.clone(), page)
    }

    fn owned_key(
        tx: &mut dyn Tx,
        acct: &str,
        scope: KeyScope<'_>,
        key_id: &str,
    ) -> Result<(AccessKeyRecord, i64), Error> {
        let owner = Self::key_owner(tx, acct, scope)?;
        match accounts::get_key(tx, acct, key_id)? {
            Some((k, v)) if k.user.as_deref() == owner.as_ref().map(|o| o.name.as_str()) => {
                Ok((k, v))
            }
            _ => Err(key_not_found(key_id)),
        }
    }

    /// Activates or deactivates a key; an inactive key stops authenticating as soon as this
    /// returns.
    pub fn update_access_key(
        &self,
        accounts: &Accounts,
        acct: &str,
        scope: KeyScope<'_>,
        key_id: &str,
        active: bool,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (mut k, v) = Self::owned_key(tx, acct, scope, key_id)?;
            k.active = active;
            accounts::put_key(tx, &k, Expect::Version(v))
        })?;
        accounts.refresh_key(acct, key_id)
    }

    pub fn delete_access_key(
        &self,
        accounts: &Accounts,
        acct: &str,
        scope: KeyScope<'_>,
        key_id: &str,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (k, v) = Self::owned_key(tx, acct, scope, key_id)?;
            tx.delete(
                accounts::KIND_ACCESS_KEY,
                acct,
                &k.access_key_id,
                Expect::Version(v),
            )?;
            Ok(())
        })?;
        accounts.refresh_key(acct, key_id)
    }

    /// A virtual MFA device by serial number, ignoring ASCII case: device names are unique per
    /// account case-insensitively (the store key is the lower-cased name), so a serial equal to
    /// a device's own but for case names that device.
    pub fn find_mfa_device_ignoring_case(
        &self,
        acct: &str,
        serial: &str,
    ) -> Result<Option<mfa::MfaDeviceRecord>, Error> {
        let name = serial.rsplit('/').next().unwrap_or(serial);
        self.read(
            |tx| match tx.get(mfa::KIND_MFA, acct, &name.to_lowercase())? {
                Some(r) => {
                    let d: mfa::MfaDeviceRecord = from_json(&r.data)?;
                    Ok(d.serial.eq_ignore_ascii_case(serial).then_some(d))
                }
                None => Ok(None),
            },
        )
    }

    /// The key's record, if the account has it.
    pub fn find_access_key(
        &self,
        acct: &str,
        key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, Error> {
        self.read(|tx| Ok(accounts::get_key(tx, acct, key_id)?.map(|(k, _)| k)))
    }

    // --- groups -------------------------------------------------------------------------------

    pub fn create_group(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        now: i64,
    ) -> Result<GroupRecord, Error> {
        let id = ids::unique_id("AGPA")?;
        self.write(|tx| {
            let rec = GroupRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                inline: Default::default(),
                attached: Vec::new(),
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    /// A group and one page of its members.
    pub fn get_group(
        &self,
        acct: &str,
        name: &str,
        page: PageReq<'_>,
    ) -> Result<(GroupRecord, Page<UserRecord>), Error> {
        let (g, users) = self.read(|tx| {
            let (g, _) = must::<GroupRecord>(tx, acct, name)?;
            let users = all::<UserRecord>(tx, acct)?;
            Ok((g, users))
        })?;
        let members = users
            .into_iter()
            .filter(|u| u.groups.contains(&g.id))
            .collect();
        let page = paginate(members, |u: &UserRecord| u.key(), page)?;
        Ok((g, page))
    }

    pub fn delete_group(&self, acct: &str, name: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (g, v) = must::<GroupRecord>(tx, acct, name)?;
            if all::<UserRecord>(tx, acct)?
                .iter()
                .any(|u| u.groups.contains(&g.id))
            {
                return Err(delete_conflict(Blocker::GroupMembers));
            }
            if !g.inline.is_empty() {
                return Err(delete_conflict(Blocker::InlinePolicies));
            }
            if !g.attached.is_empty() {
                return Err(delete_conflict(Blocker::AttachedPolicies));
            }
            remove(tx, acct, &g, v)
        })
    }

    pub fn list_groups(
        &self,
        acct: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<GroupRecord>, Error> {
        self.list_paged::<GroupRecord>(acct, prefix, page, |_| true)
    }

    pub fn update_group(
        &self,
        acct: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (old, v) = must::<GroupRecord>(tx, acct, name)?;
            let mut rec = old.clone();
            if let Some(n) = new_name {
                rec.name = n.to_owned();
            }
            if let Some(p) = new_path {
                rec.path = p.to_owned();
            }
            if rec.key() == old.key() {
                save(tx, acct, &rec, Some(v))
            } else {
                if load::<GroupRecord>(tx, acct, &rec.name)?.is_some() {
                    return Err(GroupRecord::already_exists(&rec.name));
                }
                remove(tx, acct, &old, v)?;
                save(tx, acct, &rec, None)
            }
        })
    }

    pub fn add_user_to_group(&self, acct: &str, group: &str, user: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (g, _) = must::<GroupRecord>(tx, acct, group)?;
            let (mut u, v) = must::<UserRecord>(tx, acct, user)?;
            if u.groups.contains(&g.id) {
                return Ok(());
            }
            if u.groups.len() >= MAX_GROUPS_PER_USER {
                return Err(limit("GroupsPerUser", MAX_GROUPS_PER_USER));
            }
            u.groups.push(g.id);
            save(tx, acct, &u, Some(v))
        })
    }

    /// AWS looks the user up before the group (with both missing it names the user), and
    /// removing a user that is not a member succeeds without a change (LocalStack's snapshots
    /// recorded against AWS: test_iam_groups `remove-from-unknown-group`, test_iam_users
    /// `remove-nonmember-user-from-group`).
    pub fn remove_user_from_group(&self, acct: &str, group: &str, user: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (mut u, v) = must::<UserRecord>(tx, acct, user)?;
            let (g, _) = must::<GroupRecord>(tx, acct, group)?;
            if !u.groups.contains(&g.id) {
                return Ok(());
            }
            u.groups.retain(|id| *id != g.id);
            save(tx, acct, &u, Some(v))
        })
    }

    pub fn list_groups_for_user(
        &self,
        acct: &str,
        user: &str,
        page: PageReq<'_>,
    ) -> Result<Page<GroupRecord>, Error> {
        let groups = self.read(|tx| {
            let (u, _) = must::<UserRecord>(tx, acct, user)?;
            Ok(all::<GroupRecord>(tx, acct)?
                .into_iter()
                .filter(|g| u.groups.contains(&g.id))
                .collect::<Vec<_>>())
        })?;
        paginate(groups, |g| g.key(), page)
    }

    // --- roles --------------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub fn create_role(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        trust: &str,
        description: Option<&str>,
        max_session: Option<i64>,
        boundary: Option<&str>,
        tags: &[Tag],
        now: i64,
    ) -> Result<RoleRecord, Error> {
        validate_policy_document(DocKind::Trust, trust)?;
        check_tags(tags)?;
        let id = ids::unique_id("AROA")?;
        self.write(|tx| {
            if load::<RoleRecord>(tx, acct, name)?.is_some() {
                return Err(RoleRecord::already_exists(name));
            }
            let trust_ids = check_trust_principals(tx, trust)?;
            if let Some(b) = boundary {
                load_policy(tx, acct, b, Missing::Boundary)?;
            }
            let rec = RoleRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                trust: trust.to_owned(),
                description: description.map(str::to_owned),
                max_session: max_session.unwrap_or(3600),
                tags: tags.to_vec(),
                boundary: boundary.map(str::to_owned),
                inline: Default::default(),
                attached: Vec::new(),
                trust_ids: trust_ids.clone(),
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    /// UpdateRole: description and/or maximum session duration.
    pub fn update_role(
        &self,
        acct: &str,
        name: &str,
        description: Option<&str>,
        max_session: Option<i64>,
    ) -> Result<RoleRecord, Error> {
        self.update::<RoleRecord, _>(acct, name, |_, r| {
            if let Some(d) = description {
                r.description = Some(d.to_owned());
            }
            if let Some(m) = max_session {
                r.max_session = m;
            }
            Ok(r.clone())
        })
    }

    pub fn update_assume_role_policy(
        &self,
        acct: &str,
        name: &str,
        doc: &str,
    ) -> Result<(), Error> {
        self.update::<RoleRecord, _>(acct, name, |tx, r| {
            validate_policy_document(DocKind::Trust, doc)?;
            r.trust_ids = check_trust_principals(tx, doc)?;
            r.trust = doc.to_owned();
            Ok(())
        })
    }

    pub fn delete_role(&self, acct: &str, name: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (r, v) = must::<RoleRecord>(tx, acct, name)?;
            let key = r.key();
            if all::<InstanceProfileRecord>(tx, acct)?
                .iter()
                .any(|p| p.roles.contains(&key))
            {
                return Err(delete_conflict(Blocker::InstanceProfiles));
            }
            if !r.inline.is_empty() {
                return Err(delete_conflict(Blocker::InlinePolicies));
            }
            if !r.attached.is_empty() {
                return Err(delete_conflict(Blocker::AttachedPolicies));
            }
            remove(tx, acct, &r, v)
        })
    }

    pub fn list_roles(
        &self,
        acct: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<RoleRecord>, Error> {
        self.list_paged::<RoleRecord>(acct, prefix, page, |_| true)
    }

    // --- permissions boundaries -----------------------------------------------------------------

    pub fn put_user_boundary(&self, acct: &str, user: &str, arn: &str) -> Result<(), Error> {
        self.update::<UserRecord, _>(acct, user, |tx, u| {
            load_policy(tx, acct, arn, Missing::Boundary)?;
            u.boundary = Some(arn.to_owned());
            Ok(())
        })
    }

    pub fn delete_user_boundary(&self, acct: &str, user: &str) -> Result<(), Error> {
        self.update::<UserRecord, _>(acct, user, |_, u| {
            u.boundary = None;
            Ok(())
        })
    }

    pub fn put_role_boundary(&self, acct: &str, role: &str, arn: &str) -> Result<(), Error> {
        self.update::<RoleRecord, _>(acct, role, |tx, r| {
            load_policy(tx, acct, arn, Missing::Boundary)?;
            r.boundary = Some(arn.to_owned());
            Ok(())
        })
    }

    pub fn delete_role_boundary(&self, acct: &str, role: &str) -> Result<(), Error> {
        self.update::<RoleRecord, _>(acct, role, |_, r| {
            r.boundary = None;
            Ok(())
        })
    }

    // --- managed policies -----------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub fn create_policy(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        document: &str,
        description: Option<&str>,
        tags: &[Tag],
        now: i64,
    ) -> Result<PolicyRecord, Error> {
        validate_policy_document(DocKind::Managed, document)?;
        check_tag_keys(tags, PolicyRecord::CASE_SENSITIVE_KEYS)?;
        let id = ids::unique_id("ANPA")?;
        self.write(|tx| {
            let rec = PolicyRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                updated: now,
                description: description.map(str::to_owned),
                default_version: "v1".to_owned(),
                next_version: 2,
                versions: vec![PolicyVersionRecord {
                    id: "v1".to_owned(),
                    document: document.to_owned(),
                    created: now,
                }],
                attachment_count: 0,
                tags: tags.to_vec(),
                aws_managed: false,
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    pub fn get_policy(&self, acct: &str, arn: &str) -> Result<PolicyRecord, Error> {
        self.read(|tx| load_policy(tx, acct, arn, Missing::Get).map(|(p, _)| p))
    }

    fn update_policy<R>(
        &self,
        acct: &str,
        arn: &str,
        mut f: impl FnMut(&mut PolicyRecord) -> Result<R, Error>,
    ) -> Result<R, Error> {
        refuse_aws_managed(arn)?;
        self.write(|tx| {
            let (mut p, v) = load_policy(tx, acct, arn, Missing::Get)?;
            let out = f(&mut p)?;
            save(tx, acct, &p, Some(v))?;
            Ok(out)
        })
    }

    pub fn delete_policy(&self, acct: &str, arn: &str) -> Result<(), Error> {
        refuse_aws_managed(arn)?;
        self.write(|tx| {
            let (p, v) = load_policy(tx, acct, arn, Missing::Get)?;
            // A policy that is some user's or role's permissions boundary counts as attached:
            // AWS refuses to delete it until the boundary is removed (gruntwork-io/cloud-nuke#972:
            // DeleteConflict while the policy was a role's boundary, deleted once it was not).
            let full_arn = p.arn(acct);
            let is_boundary = all::<UserRecord>(tx, acct)?
                .iter()
                .any(|u| u.boundary.as_deref() == Some(full_arn.as_str()))
                || all::<RoleRecord>(tx, acct)?
                    .iter()
                    .any(|r| r.boundary.as_deref() == Some(full_arn.as_str()));
            if p.attachment_count > 0 || is_boundary {
                return Err(IamError::PolicyAttached.into());
            }
            if p.versions.len() > 1 {
                return Err(IamError::PolicyHasVersions.into());
            }
            remove(tx, acct, &p, v)
        })
    }

    /// ListPolicies. `scope`: `All` (default), `Local`, `AWS` (iamd carries no AWS managed
    /// policies yet, so `AWS` lists nothing).
    pub fn list_policies(
        &self,
        acct: &str,
        scope: Option<&str>,
        only_attached: bool,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<PolicyRecord>, Error> {
        if scope == Some("AWS") {
            return paginate(Vec::new(), |p: &PolicyRecord| p.key(), page);
        }
        self.list_paged::<PolicyRecord>(acct, prefix, page, |p| {
            !only_attached || p.attachment_count > 0
        })
    }

    pub fn create_policy_version(
        &self,
        acct: &str,
        arn: &str,
        document: &str,
        set_default: bool,
        now: i64,
    ) -> Result<PolicyVersionRecord, Error> {
        self.update_policy(acct, arn, |p| {
            if p.versions.len() >= MAX_POLICY_VERSIONS {
                return Err(IamError::PolicyVersionQuota.into());
            }
            validate_policy_document(DocKind::Managed, document)?;
            let v = PolicyVersionRecord {
                id: format!("v{}", p.next_version),
                document: document.to_owned(),
                created: now,
            };
            p.next_version += 1;
            if set_default {
                p.default_version = v.id.clone();
            }
            p.updated = now;
            p.versions.push(v.clone());
            Ok(v)
        })
    }

    pub fn get_policy_version(
        &self,
        acct: &str,
        arn: &str,
        version: &str,
    ) -> Result<(PolicyRecord, PolicyVersionRecord), Error> {
        let p = self
            .get_policy(acct, arn)
            .map_err(|e| policy_gone_as_version(e, arn, version))?;
        let v = p
            .versions
            .iter()
            .find(|v| v.id == version)
            .cloned()
            .ok_or_else(|| version_missing(arn, version))?;
        Ok((p, v))
    }

    pub fn delete_policy_version(&self, acct: &str, arn: &str, version: &str) -> Result<(), Error> {
        self.update_policy(acct, arn, |p| {
            if !p.versions.iter().any(|v| v.id == version) {
                return Err(version_missing(arn, version));
            }
            if p.default_version == version {
                return Err(IamError::DefaultPolicyVersion.into());
            }
            p.versions.retain(|v| v.id != version);
            Ok(())
        })
        .map_err(|e| policy_gone_as_version(e, arn, version))
    }

    pub fn set_default_policy_version(
        &self,
        acct: &str,
        arn: &str,
        version: &str,
        now: i64,
    ) -> Result<(), Error> {
        self.update_policy(acct, arn, |p| {
            if !p.versions.iter().any(|v| v.id == version) {
                return Err(version_missing(arn, version));
            }
            p.default_version = version.to_owned();
            p.updated = now;
            Ok(())
        })
        .map_err(|e| policy_gone_as_version(e, arn, version))
    }

    pub fn tag_policy(&self, acct: &str, arn: &str, tags: &[Tag]) -> Result<(), Error> {
        self.update_policy(acct, arn, |p| merge_tags(p, tags))
    }

    pub fn untag_policy(&self, acct: &str, arn: &str, keys: &[&str]) -> Result<(), Error> {
        self.update_policy(acct, arn, |p| {
            drop_tags(p, keys);
            Ok(())
        })
    }

    // --- inline and attached policies (users, groups, roles) --------------------------------------

    pub fn put_inline<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        policy: &str,
        document: &str,
    ) -> Result<(), Error> {
        self.update::<T, _>(acct, entity, |_, rec| {
            let others = rec
                .inline()
                .iter()
                .filter(|(n, _)| n.as_str() != policy)
                .map(|(_, d)| doc::policy_size(d))
                .sum();
            validate_policy_document(
                DocKind::Inline {
                    label: T::LABEL,
                    entity: rec.name(),
                    limit: T::INLINE_LIMIT,
                    others,
                },
                document,
            )?;
            rec.inline_mut()
                .insert(policy.to_owned(), document.to_owned());
            Ok(())
        })
    }

    /// The entity's name as stored and the document.
    pub fn get_inline<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        policy: &str,
    ) -> Result<(String, String), Error> {
        let rec = self.get::<T>(acct, entity)?;
        let doc = rec
            .inline()
            .get(policy)
            .cloned()
            .ok_or_else(|| inline_missing(T::LABEL, policy))?;
        Ok((rec.name().to_owned(), doc))
    }

    pub fn delete_inline<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        policy: &str,
    ) -> Result<(), Error> {
        self.update::<T, _>(acct, entity, |_, rec| {
            rec.inline_mut()
                .remove(policy)
                .map(|_| ())
                .ok_or_else(|| inline_missing(T::LABEL, policy))
        })
    }

    pub fn list_inline<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        page: PageReq<'_>,
    ) -> Result<Page<String>, Error> {
        let rec = self.get::<T>(acct, entity)?;
        paginate(rec.inline().keys().cloned().collect(), Clone::clone, page)
    }

    pub fn attach<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        arn: &str,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (mut rec, v) = must::<T>(tx, acct, entity)?;
            let (mut p, pv) = load_policy(tx, acct, arn, Missing::Attach)?;
            let arn = loaded_policy_arn(acct, &p, pv);
            if rec.attached().contains(&arn) {
                return Ok(());
            }
            if rec.attached().len() >= MAX_ATTACHED {
                return Err(limit(T::ATTACH_QUOTA, MAX_ATTACHED));
            }
            rec.attached_mut().push(arn);
            save(tx, acct, &rec, Some(v))?;
            if pv == AWS_MANAGED_VERSION {
                return Ok(());
            }
            p.attachment_count += 1;
            save(tx, acct, &p, Some(pv))
        })
    }

    pub fn detach<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        arn: &str,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (mut rec, v) = must::<T>(tx, acct, entity)?;
            let Some(pos) = rec.attached().iter().position(|a| a == arn) else {
                return Err(policy_missing(Missing::Get, arn));
            };
            rec.attached_mut().remove(pos);
            save(tx, acct, &rec, Some(v))?;
            if let Ok((mut p, pv)) = load_policy(tx, acct, arn, Missing::Get)
                && pv != AWS_MANAGED_VERSION
            {
                p.attachment_count = (p.attachment_count - 1).max(0);
                save(tx, acct, &p, Some(pv))?;
            }
            Ok(())
        })
    }

    /// Attached policies as (name, ARN), filtered by the policy path prefix.
    pub fn list_attached<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<(String, String)>, Error> {
        let rec = self.get::<T>(acct, entity)?;
        let mut items: Vec<(String, String)> = rec
            .attached()
            .iter()
            .filter_map(|arn| {
                let (_, path, name) = parse_policy_arn(arn).ok()?;
                prefix
                    .is_none_or(|p| path.starts_with(p))
                    .then(|| (name.to_owned(), arn.clone()))
            })
            .collect();
        items.sort_by(|a, b| a.1.cmp(&b.1));
        paginate(items, |(_, arn)| arn.clone(), page)
    }

    /// The users, groups and roles that use a managed policy: attached as a permissions policy
    /// (`usage` `PermissionsPolicy`), as a permissions boundary (`PermissionsBoundary`; groups have
    /// none), or either way (no `usage`: "If it is not included, all policies are returned",
    /// API_ListEntitiesForPolicy).
    pub fn list_entities_for_policy(
        &self,
        acct: &str,
        arn: &str,
        usage: Option<&str>,
    ) -> Result<PolicyEntities, Error> {
        let attached = usage != Some("PermissionsBoundary");
        let boundary = usage != Some("PermissionsPolicy");
        self.read(|tx| {
            let (p, pv) = load_policy(tx, acct, arn, Missing::Get)?;
            let arn = loaded_policy_arn(acct, &p, pv);
            let uses = |list: &[String], b: &Option<String>| {
                (attached && list.contains(&arn))
                    || (boundary && b.as_deref() == Some(arn.as_str()))
            };
            Ok(PolicyEntities {
                users: all::<UserRecord>(tx, acct)?
                    .into_iter()
                    .filter(|u| uses(&u.attached, &u.boundary))
                    .collect(),
                groups: all::<GroupRecord>(tx, acct)?
                    .into_iter()
                    .filter(|g| attached && g.attached.contains(&arn))
                    .collect(),
                roles: all::<RoleRecord>(tx, acct)?
                    .into_iter()
                    .filter(|r| uses(&r.attached, &r.boundary))
                    .collect(),
            })
        })
    }

    // --- instance profiles --------------------------------------------------------------------

    pub fn create_instance_profile(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        tags: &[Tag],
        now: i64,
    ) -> Result<InstanceProfileRecord, Error> {
        check_tags(tags)?;
        let id = ids::unique_id("AIPA")?;
        self.write(|tx| {
            let rec = InstanceProfileRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                roles: Vec::new(),
                tags: tags.to_vec(),
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    fn with_roles(
        tx: &mut dyn Tx,
        acct: &str,
        p: InstanceProfileRecord,
    ) -> Result<(InstanceProfileRecord, Vec<RoleRecord>), Error> {
        let mut roles = Vec::new();
        for r in &p.roles {
            if let Some((role, _)) = load::<RoleRecord>(tx, acct, r)? {
                roles.push(role);
            }
        }
        Ok((p, roles))
    }

    pub fn get_instance_profile(
        &self,
        acct: &str,
        name: &str,
    ) -> Result<(InstanceProfileRecord, Vec<RoleRecord>), Error> {
        self.read(|tx| {
            let (p, _) = must::<InstanceProfileRecord>(tx, acct, name)?;
            Self::with_roles(tx, acct, p)
        })
    }

    pub fn delete_instance_profile(&self, acct: &str, name: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (p, v) = must::<InstanceProfileRecord>(tx, acct, name)?;
            if !p.roles.is_empty() {
                return Err(delete_conflict(Blocker::InstanceProfiles));
            }
            remove(tx, acct, &p, v)
        })
    }

    pub fn list_instance_profiles(
        &self,
        acct: &str,
        prefix: Option<&str>,
        role: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<(InstanceProfileRecord, Vec<RoleRecord>)>, Error> {
        let items = self.read(|tx| {
            let role_key = match role {
                Some(r) => Some(must::<RoleRecord>(tx, acct, r)?.0.key()),
                None => None,
            };
            let mut out = Vec::new();
            for p in all::<InstanceProfileRecord>(tx, acct)? {
                if prefix.is_some_and(|x| !p.path.starts_with(x)) {
                    continue;
                }
                if role_key.as_ref().is_some_and(|k| !p.roles.contains(k)) {
                    continue;
                }
                out.push(Self::with_roles(tx, acct, p)?);
            }
            Ok(out)
        })?;
        paginate(items, |(p, _)| p.key(), page)
    }

    pub fn add_role_to_instance_profile(
        &self,
        acct: &str,
        profile: &str,
        role: &str,
    ) -> Result<(), Error> {
        self.update::<InstanceProfileRecord, _>(acct, profile, |tx, p| {
            let (r, _) = must::<RoleRecord>(tx, acct, role)?;
            if !p.roles.is_empty() {
                return Err(limit("InstanceSessionsPerInstanceProfile", 1));
            }
            p.roles.push(r.key());
            Ok(())
        })
    }

    pub fn remove_role_from_instance_profile(
        &self,
        acct: &str,
        profile: &str,
        role: &str,
    ) -> Result<(), Error> {
        self.update::<InstanceProfileRecord, _>(acct, profile, |tx, p| {
            let (r, _) = must::<RoleRecord>(tx, acct, role)?;
            let key = r.key();
            if !p.roles.contains(&key) {
                // LocalStack's snapshot recorded against AWS (test_iam_instance_profiles
                // `remove-unattached-role-error`).
                return Err(IamError::RoleNotInInstanceProfile {
                    role: r.name.clone(),
                    profile: p.name.clone(),
                }
                .into());
            }
            p.roles.retain(|k| *k != key);
            Ok(())
        })
    }

    /// How many users and roles use each policy ARN as permissions boundary.
    pub fn boundary_uses(
        &self,
        acct: &str,
    ) -> Result<std::collections::HashMap<String, i64>, Error> {
        self.read(|tx| {
            let mut uses = std::collections::HashMap::new();
            let users = all::<UserRecord>(tx, acct)?;
            let roles = all::<RoleRecord>(tx, acct)?;
            for b in users
                .iter()
                .filter_map(|u| u.boundary.clone())
                .chain(roles.iter().filter_map(|r| r.boundary.clone()))
            {
                *uses.entry(b).or_insert(0) += 1;
            }
            Ok(uses)
        })
    }

    // --- account --------------------------------------------------------------------------------

    pub fn account_counts(&self, acct: &str) -> Result<AccountCounts, Error> {
        self.read(|tx| {
            let policies = all::<PolicyRecord>(tx, acct)?;
            Ok(AccountCounts {
                users: tx.list(records::KIND_USER, acct)?.len(),
                groups: tx.list(records::KIND_GROUP, acct)?.len(),
                roles: tx.list(records::KIND_ROLE, acct)?.len(),
                policy_versions: policies.iter().map(|p| p.versions.len()).sum(),
                policies: policies.len(),
                instance_profiles: tx.list(records::KIND_INSTANCE_PROFILE, acct)?.len(),
                root_keys: accounts::account_keys(tx, acct)?
                    .iter()
                    .filter(|k| k.user.is_none())
                    .count(),
            })
        })
    }
}

/// Version operations on a policy that does not exist name the version too: `Policy <arn>
/// version v1 does not exist or is not attachable.` (LocalStack's AWS-recorded snapshot
/// test_iam_policies `err-get-version-nonexistent-policy`, `err-set-default-nonexistent-policy`).
fn policy_gone_as_version(e: Error, arn: &str, version: &str) -> Error {
    match &e {
        Error::Iam(e) if e.code() == "NoSuchEntity" => version_missing(arn, version),
        _ => e,
    }
}

fn version_missing(arn: &str, version: &str) -> Error {
    IamError::NoSuchPolicyVersion {
        arn: arn.to_owned(),
        version: version.to_owned(),
    }
    .into()
}

fn inline_missing(label: &'static str, policy: &str) -> Error {
    IamError::NoSuchInlinePolicy {
        label,
        name: policy.to_owned(),
    }
    .into()
}

/// Pages over a list kept in its own order (tags): the marker is the index of the last item.
fn paginate_in_order<T>(items: Vec<T>, page: PageReq<'_>) -> Result<Page<T>, Error> {
    let indexed: Vec<(usize, T)> = items.into_iter().enumerate().collect();
    let p = paginate(indexed, |(i, _)| format!("{i:08}"), page)?;
    Ok(Page {
        items: p.items.into_iter().map(|(_, t)| t).collect(),
        marker: p.marker,
    })
}

#[cfg(test)]
mod tests;

/// IAM checks that the users and roles a trust policy names exist when it is saved, and refuses
/// the document otherwise with `Invalid principal in policy: "AWS":"<arn>"` (aws-semantics.md
/// §2.2, recorded). Accounts, account roots, sessions and `*` are not checked. AWS then holds the
/// principals by unique id: see [`principal_ids`].
fn check_trust_principals(
    tx: &mut dyn Tx,
    doc: &str,
) -> Result<principal_ids::PrincipalIds, Error> {
    principal_ids::resolve(tx, doc)?
        .map_err(|arn| Error::from(IamError::InvalidTrustPrincipal { arn }))
}

/// Reads the default version's document of a managed policy (customer or AWS managed).
fn policy_document(tx: &mut dyn Tx, acct: &str, arn: &str) -> Result<Option<String>, Error> {
    let Ok((p, _)) = load_policy(tx, acct, arn, Missing::Get) else {
        // A policy deleted while still referenced grants nothing.
        return Ok(None);
    };
    Ok(p.versions
        .into_iter()
        .find(|v| v.id == p.default_version)
        .map(|v| v.document))
}

/// An entity's inline policies (ids `<kind>/<entity>/<policy>`) and attached managed policies
/// (ids = ARNs; a policy deleted while still attached grants nothing), appended to `out`.
fn collect_policies(
    tx: &mut dyn Tx,
    acct: &str,
    kind: &str,
    entity: &str,
    inline: &std::collections::BTreeMap<String, String>,
    attached: &[String],
    out: &mut Vec<crate::authz::PolicyDoc>,
) -> Result<(), Error> {
    for (name, text) in inline {
        out.push(crate::authz::PolicyDoc {
            id: format!("{kind}/{entity}/{name}"),
            text: text.clone(),
        });
    }
    for arn in attached {
        if let Some(text) = policy_document(tx, acct, arn)? {
            out.push(crate::authz::PolicyDoc {
                id: arn.clone(),
                text,
            });
        }
    }
    Ok(())
}

/// A permissions boundary's document. Fail closed: a boundary that no longer resolves allows
/// nothing.
fn boundary_document(
    tx: &mut dyn Tx,
    acct: &str,
    boundary: Option<&String>,
) -> Result<Option<crate::authz::PolicyDoc>, Error> {
    let Some(arn) = boundary else { return Ok(None) };
    Ok(Some(crate::authz::PolicyDoc {
        id: arn.clone(),
        text: policy_document(tx, acct, arn)?.unwrap_or_else(|| {
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
                .to_owned()
        }),
    }))
}

impl Iam {
    /// Everything the policy engine evaluates for an IAM user: its inline and attached policies,
    /// those of its groups, its permissions boundary and its tags
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).
    /// A user that no longer exists has no policies.
    pub fn user_policies(
        &self,
        acct: &str,
        user: &str,
    ) -> Result<crate::authz::PrincipalPolicies, Error> {
        use crate::authz::PrincipalPolicies;
        self.read(|tx| {
            let Some((u, _)) = load::<UserRecord>(tx, acct, user)? else {
                return Ok(PrincipalPolicies::default());
            };
            let mut identity = Vec::new();
            collect_policies(
                tx,
                acct,
                "user",
                &u.name,
                &u.inline,
                &u.attached,
                &mut identity,
            )?;
            // Membership is recorded by group id (renames keep it).
            if !u.groups.is_empty() {
                for g in all::<GroupRecord>(tx, acct)? {
                    if u.groups.contains(&g.id) {
                        collect_policies(
                            tx,
                            acct,
                            "group",
                            &g.name,
                            &g.inline,
                            &g.attached,
                            &mut identity,
                        )?;
                    }
                }
            }
            if password_policy::load_policy(tx, acct)?.is_some_and(|(p, _)| p.allow_users_to_change)
            {
                identity.push(password_policy::change_own_password_grant(&entity_arn(
                    acct, "user", &u.path, &u.name,
                )));
            }
            Ok(PrincipalPolicies {
                identity,
                boundary: boundary_document(tx, acct, u.boundary.as_ref())?,
                tags: u
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
                session: None,
            })
        })
    }
}

impl Iam {
    /// Everything the policy engine evaluates for a role's sessions: the role's inline and
    /// attached policies (AWS managed too), its permissions boundary and its tags. A role that
    /// no longer exists has no policies.
    pub fn role_policies(
        &self,
        acct: &str,
        role: &str,
    ) -> Result<crate::authz::PrincipalPolicies, Error> {
        use crate::authz::PrincipalPolicies;
        self.read(|tx| {
            let Some((r, _)) = load::<RoleRecord>(tx, acct, role)? else {
                return Ok(PrincipalPolicies::default());
            };
            let mut identity = Vec::new();
            collect_policies(
                tx,
                acct,
                "role",
                &r.name,
                &r.inline,
                &r.attached,
                &mut identity,
            )?;
            Ok(PrincipalPolicies {
                identity,
                boundary: boundary_document(tx, acct, r.boundary.as_ref())?,
                tags: r
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
                session: None,
            })
        })
    }

    /// The default version's document of a managed policy (customer or AWS managed), if the
    /// policy exists: session policies passed as `PolicyArns` resolve through this.
    pub fn managed_policy_document(&self, acct: &str, arn: &str) -> Result<Option<String>, Error> {
        self.read(|tx| policy_document(tx, acct, arn))
    }
}
