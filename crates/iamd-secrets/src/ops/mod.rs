//! Secrets Manager operations (awsJson1.1, `secretsmanager.<Op>`), typed: each resolves the
//! secret its `SecretId` names — by name, full ARN or partial ARN, in the ARN's account for an
//! ARN — then is authorized on that secret's ARN, with its resource policy and its condition
//! keys, then acts on that same secret.
//!
//! The IAM action is `secretsmanager:<operation>` for every operation (Service Authorization
//! Reference); a few need a second one (CreateSecret with Tags or replica regions,
//! BatchGetSecretValue, ValidateResourcePolicy). A `SecretId` that names nothing is authorized
//! on the id as given (AWS prints it so in AccessDenied) and answers ResourceNotFoundException
//! after. Every client error is HTTP 400 (the model declares no other status for Secrets
//! Manager's errors).
//!
//! KMS: until customer-managed keys exist every secret is on the account's AWS-managed
//! `aws/secretsmanager` key; `KmsKeyId` is accepted only as that key (or absent). Another
//! account's caller never reads or writes a value, even where the resource policy allows it, as
//! AWS's managed key never serves another account (aws-semantics.md §6.8, `secrets::kms`).

mod describe;
mod lifecycle;
mod policy;
mod random;
mod replication;
mod tags;
mod values;
mod versions;

#[cfg(test)]
mod table_tests;

use crate::authz::PolicyDoc;
use crate::domains::SecretsDomain;
use crate::error::{Error, SecretsError};
use crate::op::{Operation, Request, Resource};
use crate::secrets::{Replica, Secret, SecretMeta, Tag};
use iamd_api::secretsmanager as api;
use iamd_policy::{Context, ResourcePolicyKind};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every Secrets Manager operation iamd serves in typed form: one table per concern.
pub static TABLES: &[&[&dyn Operation<SecretsDomain>]] = &[
    values::OPS,
    versions::OPS,
    lifecycle::OPS,
    policy::OPS,
    tags::OPS,
    replication::OPS,
    describe::OPS,
    random::OPS,
];

// --- targets ----------------------------------------------------------------------------------

/// The secret a request's `SecretId` names: found — with its resource policy as it holds now —
/// or not.
#[derive(Debug)]
pub enum Named {
    Found(Found),
    /// Nothing by that id (or a secret of another region, or past its deletion date): authorized
    /// on the id as given, then ResourceNotFoundException.
    Missing(String),
}

#[derive(Debug)]
pub struct Found {
    pub secret: Arc<Secret>,
    /// The resource policy as AWS holds it now: a principal deleted (or recreated) since it was
    /// put shows as the unique id it had, which matches nobody ([`crate::iam::Iam::policy_now`]).
    pub policy: Option<String>,
}

impl Named {
    /// Resolves `id` (a name in the caller's account, or a full or partial ARN, in the ARN's
    /// account) in the request's region.
    pub(crate) fn find(d: &SecretsDomain, req: &Request<'_>, id: &str) -> Named {
        match d.secrets.find(req.account(), req.region, id, req.now) {
            Some(secret) => Named::Found(Found::new(d, secret)),
            None => Named::Missing(id.to_owned()),
        }
    }

    /// What the request is authorized on: the secret's ARN with its resource policy and keys,
    /// or the id as given.
    pub(crate) fn resource(&self) -> Resource {
        match self {
            Named::Found(f) => f.resource(),
            Named::Missing(id) => Resource::as_named(id),
        }
    }

    /// The secret, or ResourceNotFoundException.
    pub(crate) fn found(self) -> Result<Arc<Secret>, Error> {
        self.into_found().map(|f| f.secret)
    }

    pub(crate) fn into_found(self) -> Result<Found, Error> {
        match self {
            Named::Found(f) => Ok(f),
            Named::Missing(_) => Err(SecretsError::SecretNotFound.into()),
        }
    }
}

impl Found {
    fn new(d: &SecretsDomain, secret: Arc<Secret>) -> Found {
        let policy = (secret.meta.policy.as_deref())
            .map(|text| d.iam.policy_now(text, &secret.meta.policy_ids));
        Found { secret, policy }
    }

    /// The secret as a resource (Service Authorization Reference, resource type `secret`): its
    /// ARN, in its account, with `secretsmanager:SecretId`, `secretsmanager:SecretPrimaryRegion`
    /// (a replica's primary region), its tags as `aws:ResourceTag/*` and
    /// `secretsmanager:ResourceTag/*`, and its resource policy.
    pub(crate) fn resource(&self) -> Resource {
        let meta = &self.secret.meta;
        let mut keys = Context::new();
        keys.set_static("secretsmanager:SecretId", meta.arn.as_str());
        keys.set_static("secretsmanager:SecretPrimaryRegion", meta.primary_region());
        for tag in &meta.tags {
            keys.set(&format!("aws:ResourceTag/{}", tag.key), tag.value.as_str());
            keys.set(
                &format!("secretsmanager:ResourceTag/{}", tag.key),
                tag.value.as_str(),
            );
        }
        Resource {
            name: meta.arn.clone(),
            account: Some(self.secret.account.clone()),
            keys,
            policy: self.policy.as_ref().map(|text| PolicyDoc {
                id: meta.arn.clone(),
                text: text.clone(),
            }),
            policy_kind: ResourcePolicyKind::Generic,
        }
    }
}

// --- request keys -----------------------------------------------------------------------------

/// The request's own condition keys (Service Authorization Reference, `secretsmanager:*` keys
/// the request sets, `aws:RequestTag/*`, `aws:TagKeys`), member by member; a member the request
/// omits sets no key.
#[derive(Default)]
pub(crate) struct Keys(Context);

impl Keys {
    pub(crate) fn new() -> Keys {
        Keys::default()
    }

    pub(crate) fn str(mut self, key: &'static str, value: Option<&str>) -> Keys {
        if let Some(v) = value {
            self.0.set_static(key, v);
        }
        self
    }

    pub(crate) fn bool(mut self, key: &'static str, value: Option<bool>) -> Keys {
        if let Some(v) = value {
            self.0.set_static(key, v);
        }
        self
    }

    pub(crate) fn int(mut self, key: &'static str, value: Option<i64>) -> Keys {
        if let Some(v) = value {
            self.0.set_static(key, v);
        }
        self
    }

    /// Tags being set: `aws:RequestTag/<key>` and `aws:TagKeys` (present, perhaps empty, when
    /// the request has `Tags`; a tag without a key or a value sets neither).
    pub(crate) fn tags(mut self, tags: Option<&[api::Tag]>) -> Keys {
        if let Some(tags) = tags {
            let mut keys = Vec::new();
            for t in tags {
                if let (Some(k), Some(v)) = (&t.key, &t.value) {
                    self.0.set(&format!("aws:RequestTag/{k}"), v.as_str());
                    keys.push(k.clone());
                }
            }
            self.0.set_multi("aws:TagKeys", keys);
        }
        self
    }

    /// Tags being removed: `aws:TagKeys`.
    pub(crate) fn removed_tags(mut self, keys: &[String]) -> Keys {
        if !keys.is_empty() {
            self.0.set_multi("aws:TagKeys", keys.iter().cloned());
        }
        self
    }

    /// `secretsmanager:AddReplicaRegions`.
    pub(crate) fn replica_regions(mut self, regions: Option<&[api::ReplicaRegionType]>) -> Keys {
        if let Some(regions) = regions {
            self.0.set_multi(
                "secretsmanager:AddReplicaRegions",
                regions
                    .iter()
                    .filter_map(|r| r.region.clone())
                    .collect::<Vec<_>>(),
            );
        }
        self
    }

    pub(crate) fn done(self) -> Context {
        self.0
    }
}

// --- outputs ----------------------------------------------------------------------------------

pub(crate) fn at(secs: i64) -> iamd_api::Timestamp {
    crate::timestamps::at(secs)
}

/// Tags as a request gives them (a missing key or value is empty).
pub(crate) fn tags_in(tags: Vec<api::Tag>) -> Vec<Tag> {
    tags.into_iter()
        .map(|t| Tag {
            key: t.key.unwrap_or_default(),
            value: t.value.unwrap_or_default(),
        })
        .collect()
}

pub(crate) fn tags_out(tags: &[Tag]) -> Vec<api::Tag> {
    tags.iter()
        .map(|t| api::Tag {
            key: Some(t.key.clone()),
            value: Some(t.value.clone()),
        })
        .collect()
}

/// Each labeled version's labels (DescribeSecret's `VersionIdsToStages`, ListSecrets'
/// `SecretVersionsToStages`); absent when no version has a label. AWS returns a JSON object,
/// whose order carries nothing; the generated shape is a map ordered by version id.
pub(crate) fn stages_map(meta: &SecretMeta) -> Option<BTreeMap<String, Vec<String>>> {
    let map: BTreeMap<String, Vec<String>> = meta
        .versions
        .iter()
        .filter(|v| !v.stages.is_empty())
        .map(|v| (v.id.clone(), v.stages.clone()))
        .collect();
    (!map.is_empty()).then_some(map)
}

/// One `ReplicationStatus` entry: the region, its key (AWS shows `alias/aws/secretsmanager`
/// for the AWS-managed key), status and message (AWS's examples in API_DescribeSecret and
/// API_RemoveRegionsFromReplication: `InSync`, `Replication succeeded`), and the replica's
/// LastAccessedDate when it was ever read.
pub(crate) fn status_entry(r: &Replica, accessed: Option<i64>) -> api::ReplicationStatusType {
    api::ReplicationStatusType {
        region: Some(r.region.clone()),
        kms_key_id: Some(
            r.kms_key_id
                .clone()
                .unwrap_or_else(|| "alias/aws/secretsmanager".to_owned()),
        ),
        status: Some(if r.in_sync {
            api::StatusType::InSync
        } else {
            api::StatusType::Failed
        }),
        status_message: Some(
            r.message
                .clone()
                .unwrap_or_else(|| "Replication succeeded".to_owned()),
        ),
        last_accessed_date: accessed.map(at),
    }
}

/// The `ReplicationStatus` of replicas as a write answers it (without LastAccessedDate).
pub(crate) fn status_list<'a>(
    replicas: impl IntoIterator<Item = &'a Replica>,
) -> Vec<api::ReplicationStatusType> {
    replicas
        .into_iter()
        .map(|r| status_entry(r, None))
        .collect()
}
