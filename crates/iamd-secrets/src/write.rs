//! The writes of Secrets Manager's operations. Each takes the secret its request resolved and
//! was authorized on, and re-reads it under the writer lock ([`Secrets::current`]): a write in
//! between may have changed it, and one that deleted it (or replaced it by a new secret of the
//! same name, which was not authorized) leaves nothing to act on.

use super::replication::place_replica;
use super::{
    AWSCURRENT, Plain, Replica, Sealed, Secret, SecretMeta, Secrets, Tag, VersionMeta, Write,
};
use crate::error::{Error, SecretsError};
use std::sync::Arc;

impl Secret {
    /// Writes are made to a primary (or standalone) secret, in its region; a replica is
    /// read-only.
    pub fn primary(&self) -> Result<(), SecretsError> {
        if self.meta.is_replica() {
            return Err(SecretsError::ReplicaReadOnly);
        }
        Ok(())
    }

    /// Not scheduled for deletion.
    pub fn live(&self) -> Result<(), SecretsError> {
        if self.meta.is_scheduled_for_deletion() {
            return Err(SecretsError::MarkedForDeletion);
        }
        Ok(())
    }

    /// A primary that is not scheduled for deletion: what most writes need.
    pub fn live_primary(&self) -> Result<(), SecretsError> {
        self.primary()?;
        self.live()
    }
}

/// Adds tags, replacing the value of a key already there.
pub fn merge_tags(tags: &mut Vec<Tag>, new: Vec<Tag>) {
    for t in new {
        match tags.iter_mut().find(|x| x.key == t.key) {
            Some(x) => x.value = t.value,
            None => tags.push(t),
        }
    }
}

/// DeleteSecret's recovery window in days: 30 by default, 7 to 30, and not with
/// ForceDeleteWithoutRecovery (aws-semantics.md §6.5; the range text is moto's [open]).
pub fn recovery_window(force: bool, window: Option<i64>) -> Result<i64, SecretsError> {
    if force && window.is_some() {
        return Err(SecretsError::ForceDeleteWithWindow);
    }
    let days = window.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(SecretsError::RecoveryWindowOutOfRange);
    }
    Ok(days)
}

/// A secret to create (CreateSecret), its ARN already chosen (it was authorized on it).
#[derive(Debug)]
pub struct NewSecret {
    pub account: String,
    pub region: String,
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
    /// The first version: its id (the ClientRequestToken) and value.
    pub value: Option<(String, Plain)>,
    /// Replica regions, each with its key (`None`: the AWS managed key).
    pub replicas: Vec<(String, Option<String>)>,
    pub force_overwrite_replicas: bool,
    /// Whether the caller may tag the new secret (`secretsmanager:TagResource` on its ARN),
    /// decided before: needed only when the secret is created with tags, so a retry of a create
    /// that succeeded is not judged on it again, and a refusal creates nothing.
    pub may_tag: Result<(), Error>,
}

/// What CreateSecret made (or found, for a retry).
#[derive(Debug)]
pub struct Created {
    pub arn: String,
    pub name: String,
    pub version_id: Option<String>,
    /// The replicas asked for, as placed; empty for a retry.
    pub replicas: Vec<Replica>,
}

/// The state of a secret after a write, and the version the write named, if any.
#[derive(Debug)]
pub struct Written {
    pub meta: SecretMeta,
    pub version: Option<VersionMeta>,
}

/// The write replacing `secret`'s metadata (and adding `new_values`).
pub(crate) fn put(
    secret: &Arc<Secret>,
    meta: SecretMeta,
    new_values: Vec<(String, Sealed)>,
) -> Write {
    Write::Put {
        account: secret.account.clone(),
        prev: Some(secret.clone()),
        meta: Box::new(meta),
        new_values,
    }
}

impl Secrets {
    /// `authorized` as it is now (to be called under the writer lock): the same secret — same
    /// account, region, name and ARN — as last committed, or SecretNotFound when it is gone.
    pub(crate) fn current(&self, authorized: &Secret, now: i64) -> Result<Arc<Secret>, Error> {
        self.find_record(
            &authorized.account,
            &authorized.meta.region,
            &authorized.meta.name,
        )
        .filter(|s| s.meta.arn == authorized.meta.arn && !s.expired(now))
        .ok_or_else(|| SecretsError::SecretNotFound.into())
    }

    /// One read-modify-write of `secret`: `change` sees it as now (refused by `check` first)
    /// and returns its new metadata, the values it adds and its result; nothing is written when
    /// the metadata stays the same.
    fn rewrite<R>(
        &self,
        secret: &Secret,
        now: i64,
        check: fn(&Secret) -> Result<(), SecretsError>,
        change: impl FnOnce(
            &Self,
            &Arc<Secret>,
        ) -> Result<(SecretMeta, Vec<(String, Sealed)>, R), Error>,
    ) -> Result<R, Error> {
        self.mutate(&secret.account, &secret.meta.region, now, |s| {
            let current = s.current(secret, now)?;
            check(&current)?;
            let (meta, new_values, out) = change(s, &current)?;
            if meta == current.meta && new_values.is_empty() {
                return Ok((Vec::new(), out));
            }
            Ok((vec![put(&current, meta, new_values)], out))
        })
    }

    /// CreateSecret: a new secret under `new.arn`, with its first version and replicas. A
    /// retry (same ClientRequestToken, same value) of a create that succeeded answers as it did
    /// and changes nothing.
    pub fn create(&self, new: NewSecret, now: i64) -> Result<Created, Error> {
        let NewSecret {
            account,
            region,
            name,
            arn,
            description,
            tags,
            value,
            replicas,
            force_overwrite_replicas,
            may_tag,
        } = new;
        self.mutate(&account, &region, now, |s| {
            if let Some(existing) = s.find(&account, &region, &name, now) {
                if existing.meta.is_scheduled_for_deletion() {
                    return Err(SecretsError::NameScheduledForDeletion.into());
                }
                if let Some((token, value)) = &value
                    && let Ok(Some(_)) = s.existing_version(&existing, token, value)
                {
                    let out = Created {
                        arn: existing.meta.arn.clone(),
                        name: existing.meta.name.clone(),
                        version_id: Some(token.clone()),
                        replicas: Vec::new(),
                    };
                    return Ok((Vec::new(), out));
                }
                return Err(SecretsError::SecretExists { name: name.clone() }.into());
            }
            if !tags.is_empty() {
                may_tag?;
            }
            let mut meta = SecretMeta {
                arn: arn.clone(),
                name: name.clone(),
                region: region.clone(),
                description,
                kms_key_id: None,
                tags: Vec::new(),
                created: now,
                last_changed: now,
                deleted: None,
                deletion_date: None,
                policy: None,
                policy_ids: Default::default(),
                last_accessed: None,
                versions: Vec::new(),
                primary_region: None,
                replicas: Vec::new(),
                rotation: None,
            };
            merge_tags(&mut meta.tags, tags);
            let mut new_values = Vec::new();
            if let Some((token, value)) = &value {
                new_values.push((token.clone(), s.seal_value(&arn, token, value)?));
                meta.versions.push(VersionMeta {
                    id: token.clone(),
                    stages: vec![AWSCURRENT.to_owned()],
                    created: now,
                    empty: false,
                });
            }
            let mut replica_writes = Vec::new();
            {
                let value = |id: &str| {
                    new_values
                        .iter()
                        .find(|(v, _)| v == id)
                        .map(|(_, s): &(String, Sealed)| s.clone())
                };
                for (region, kms) in &replicas {
                    let (r, mut w) = place_replica(
                        s,
                        &account,
                        &meta,
                        &value,
                        region,
                        kms.clone(),
                        force_overwrite_replicas,
                        now,
                    )?;
                    meta.replicas.push(r);
                    replica_writes.append(&mut w);
                }
            }
            let out = Created {
                arn: arn.clone(),
                name: name.clone(),
                version_id: value.as_ref().map(|(t, _)| t.clone()),
                replicas: meta.replicas.clone(),
            };
            let mut writes = vec![Write::Put {
                account: account.clone(),
                prev: None,
                meta: Box::new(meta),
                new_values,
            }];
            writes.append(&mut replica_writes);
            Ok((writes, out))
        })
    }

    /// PutSecretValue: a new version `token` carrying `stages`, or, for a token already used
    /// with the same value, that version unchanged.
    pub fn put_value(
        &self,
        secret: &Secret,
        token: &str,
        value: &Plain,
        stages: &[String],
        now: i64,
    ) -> Result<Written, Error> {
        self.rewrite(secret, now, Secret::live_primary, |s, current| {
            // The empty version a rotation created (aws-semantics-2.md §7.3): this write fills it
            // in, and `stages` are attached to it as to a new version.
            if current.meta.version(token).is_some_and(|v| v.empty) {
                let mut meta = current.meta.clone();
                let sealed = s.seal_value(&meta.arn, token, value)?;
                if let Some(v) = meta.versions.iter_mut().find(|v| v.id == token) {
                    v.empty = false;
                }
                meta.attach_stages(token, stages);
                meta.last_changed = now;
                crate::rotation::value_changed_by_hand(&mut meta, &current.meta, now);
                let out = Written {
                    meta: meta.clone(),
                    version: meta.version(token).cloned(),
                };
                return Ok((meta, vec![(token.to_owned(), sealed)], out));
            }
            if let Some(v) = s.existing_version(current, token, value)? {
                let meta = current.meta.clone();
                return Ok((
                    meta.clone(),
                    Vec::new(),
                    Written {
                        meta,
                        version: Some(v),
                    },
                ));
            }
            let mut meta = current.meta.clone();
            let sealed = s.seal_value(&meta.arn, token, value)?;
            meta.add_version(token, stages, now);
            crate::rotation::value_changed_by_hand(&mut meta, &current.meta, now);
            let out = Written {
                meta: meta.clone(),
                version: meta.version(token).cloned(),
            };
            Ok((meta, vec![(token.to_owned(), sealed)], out))
        })
    }

    /// UpdateSecret: a new AWSCURRENT version (`value`, named by its token; a token already used
    /// with the same value changes nothing) and/or a new description.
    pub fn update(
        &self,
        secret: &Secret,
        description: Option<String>,
        value: Option<(String, Plain)>,
        now: i64,
    ) -> Result<Written, Error> {
        self.rewrite(secret, now, Secret::live_primary, |s, current| {
            let mut meta = current.meta.clone();
            let mut new_values = Vec::new();
            let mut version = None;
            if let Some((token, value)) = &value {
                match s.existing_version(current, token, value)? {
                    Some(existing) => version = Some(existing),
                    None => {
                        let sealed = s.seal_value(&meta.arn, token, value)?;
                        meta.add_version(token, &[AWSCURRENT.to_owned()], now);
                        crate::rotation::value_changed_by_hand(&mut meta, &current.meta, now);
                        new_values.push((token.clone(), sealed));
                        version = meta.version(token).cloned();
                    }
                }
            }
            if let Some(d) = description {
                meta.description = Some(d);
                meta.last_changed = now;
            }
            let out = Written {
                meta: meta.clone(),
                version,
            };
            Ok((meta, new_values, out))
        })
    }

    /// UpdateSecretVersionStage (see [`SecretMeta::move_stage`]).
    pub fn update_stage(
        &self,
        secret: &Secret,
        stage: &str,
        remove_from: Option<&str>,
        move_to: Option<&str>,
        now: i64,
    ) -> Result<SecretMeta, Error> {
        self.modify(secret, now, |m| m.move_stage(stage, remove_from, move_to))
    }

    /// A change to a live primary's metadata (labels, tags, resource policy); the secret is
    /// marked changed when it changed.
    pub fn modify(
        &self,
        secret: &Secret,
        now: i64,
        change: impl FnOnce(&mut SecretMeta) -> Result<(), SecretsError>,
    ) -> Result<SecretMeta, Error> {
        self.rewrite(secret, now, Secret::live_primary, |_, current| {
            let mut meta = current.meta.clone();
            change(&mut meta)?;
            if meta != current.meta {
                meta.last_changed = now;
            }
            Ok((meta.clone(), Vec::new(), meta))
        })
    }

    /// DeleteSecret: schedules the deletion `days` from now, or deletes at once with `force`. A
    /// primary that still has replicas is refused (they must be removed first). Returns the
    /// secret as it was and its deletion date.
    pub fn delete(
        &self,
        secret: &Secret,
        force: bool,
        days: i64,
        now: i64,
    ) -> Result<(SecretMeta, i64), Error> {
        secret.primary()?;
        still_has_replicas(&secret.meta)?;
        self.mutate(&secret.account, &secret.meta.region, now, |s| {
            let current = s.current(secret, now)?;
            current.primary()?;
            still_has_replicas(&current.meta)?;
            if force {
                return Ok((
                    vec![Write::Delete(current.clone())],
                    (current.meta.clone(), now),
                ));
            }
            if current.meta.is_scheduled_for_deletion() {
                return Err(SecretsError::AlreadyMarkedDeleted.into());
            }
            let mut meta = current.meta.clone();
            let date = now + days * 86_400;
            meta.deleted = Some(now);
            meta.deletion_date = Some(date);
            Ok((
                vec![put(&current, meta, Vec::new())],
                (current.meta.clone(), date),
            ))
        })
    }

    /// RestoreSecret: cancels a scheduled deletion (a secret not scheduled stays as it is).
    pub fn restore(&self, secret: &Secret, now: i64) -> Result<SecretMeta, Error> {
        self.rewrite(secret, now, Secret::primary, |_, current| {
            let mut meta = current.meta.clone();
            meta.deleted = None;
            meta.deletion_date = None;
            Ok((meta.clone(), Vec::new(), meta))
        })
    }
}

/// DeleteSecret on a primary that still has replicas, with the regions in the order they were
/// added.
fn still_has_replicas(meta: &SecretMeta) -> Result<(), SecretsError> {
    if meta.replicas.is_empty() {
        return Ok(());
    }
    Err(SecretsError::StillHasReplicas {
        arn: meta.arn.clone(),
        regions: meta.replicas.iter().map(|r| r.region.clone()).collect(),
    })
}
