//! IAM entities: users, access keys, groups, roles, managed and inline policies, instance
//! profiles.
//!
//! All IAM state goes through [`Iam`]: handlers never touch the store directly, so a per-account
//! in-memory snapshot can later replace the store reads behind this one API. Every change is one
//! closure transaction; every failure leaves the store as it was.

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub mod access_advisor;
mod access_keys;
mod account;
mod boundaries;
pub mod credential_report;
pub mod details;
pub mod doc;
mod groups;
mod holders;
pub mod last_used;
pub mod login;
pub mod mfa;
pub mod ops;
pub mod password_policy;
mod policies;
pub mod principal_ids;
mod principals;
mod profiles;
pub mod records;
mod roles;
mod tags;
mod trust;
mod users;

pub use doc::{DocKind, url_encode, validate_policy_document};
pub use records::{
    GroupRecord, InstanceProfileRecord, PolicyRecord, PolicyVersionRecord, RoleRecord, Tag,
    UserRecord,
};

// The shared core, and this crate, by the paths its modules name them (`crate::accounts::…`,
// `crate::iam::…`, `crate::domains::IamDomain`): IAM was a module of iamd-service.
pub(crate) use crate as domains;
pub(crate) use crate as iam;
pub(crate) use iamd_core::{accounts, arn, authz, cache, error, op, timestamps};

use crate::accounts::{AccessKeyRecord, Accounts, KeyOwner};
use crate::error::{Blocker, Error, IamError};
use base64::Engine;
use iamd_crypto::ids;
use iamd_store::{Expect, Store, StoreError, StoreExt, Tx};
use records::{Entity, PolicyHolder, Tagged};
use std::sync::Arc;
use zeroize::Zeroizing;

/// What IAM operations act through.
pub struct IamDomain {
    /// Users, groups, roles, policies, instance profiles, MFA devices, login profiles.
    pub iam: Arc<Iam>,
    /// Accounts and their access keys (CreateAccessKey, the root's keys, account creation dates).
    pub accounts: Arc<Accounts>,
}

/// IAM is the directory of principals.
impl authz::Directory for Iam {
    fn generation(&self) -> u64 {
        Iam::generation(self)
    }
    fn user_policies(&self, account: &str, name: &str) -> Result<authz::PrincipalPolicies, Error> {
        Iam::user_policies(self, account, name)
    }
    fn role_policies(&self, account: &str, name: &str) -> Result<authz::PrincipalPolicies, Error> {
        Iam::role_policies(self, account, name)
    }
    fn managed_policy_document(&self, account: &str, arn: &str) -> Result<Option<String>, Error> {
        Iam::managed_policy_document(self, account, arn)
    }
}

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
        if tags
            .iter()
            .take(i)
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
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            char::from(alphabet.get(usize::from(b % 32)).copied().unwrap_or(b'A')).to_string()
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
    role_cache: crate::cache::GenCache<String, Option<Arc<RoleRecord>>>,
    /// Moves after every write transaction (committed or not): caches of IAM-derived data (the
    /// compiled policies of principals) are valid while it stays the same.
    generation: std::sync::atomic::AtomicU64,
    /// Unique ids of users and roles by name, for trust policies (see `trust.rs`).
    entity_ids: crate::cache::GenCache<String, Option<String>>,
    /// Seals virtual MFA devices' seeds (the master key's `mfa-seed v1` key).
    mfa_seal: iamd_crypto::SealingKey,
    /// Wrong MFA codes per caller on this node (see [`mfa::lockout`]).
    mfa_callers: mfa::lockout::CallerFailures,
    /// Last use of access keys, roles and services (see [`last_used`]).
    pub last_used: last_used::LastUsed,
}

impl Iam {
    pub fn new(store: Arc<dyn Store>, mfa_seal: iamd_crypto::SealingKey) -> Self {
        Self {
            store,
            generation: std::sync::atomic::AtomicU64::new(0),
            role_cache: crate::cache::GenCache::new("roles", "roles", 100_000),
            entity_ids: crate::cache::GenCache::new(
                "entity ids",
                "entity_ids",
                trust::ENTITY_IDS_CAPACITY,
            ),
            mfa_seal,
            mfa_callers: Default::default(),
            last_used: Default::default(),
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

    /// The last use of `subject` in `acct` (this node's memory merged with the store).
    pub fn last_use(
        &self,
        acct: &str,
        subject: &last_used::Subject,
    ) -> Result<Option<last_used::Use>, Error> {
        self.last_used.get(self.store.as_ref(), acct, subject)
    }

    /// Every use of a service by one entity (a user's or role's unique id, `root`), by namespace.
    pub fn services_used(
        &self,
        acct: &str,
        entity: &str,
    ) -> Result<Vec<(String, last_used::Use)>, Error> {
        let prefix = last_used::service_prefix(entity);
        Ok(self
            .last_used
            .with_prefix(self.store.as_ref(), acct, &prefix)?
            .into_iter()
            .filter_map(|(k, u)| k.strip_prefix(&prefix).map(|ns| (ns.to_owned(), u)))
            .collect())
    }

    /// Writes the uses recorded in memory to the store (see [`last_used::LastUsed::flush`]).
    pub fn flush_last_used(&self) -> Result<usize, Error> {
        self.last_used.flush(self.store.as_ref())
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
        self.role_cache
            .get_or_try_insert(key, self.generation(), || {
                Ok(self.find::<RoleRecord>(acct, name)?.map(Arc::new))
            })
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
