//! Replication writes: which regions a request may replicate to, placing a replica, adding and
//! removing regions, promoting a replica, and the status each replica shows.
//!
//! Replicas are written in the same transaction as the primary, so they are `InSync` at once
//! (AWS answers `InProgress` first and converges; iamd never needs to).

use super::write::put;
use super::{
    Replica, Sealed, Secret, SecretMeta, Secrets, Write, arn_in_region, valid_replica_region,
};
use crate::error::{Error, SecretsError};

/// The replica regions a request asks for (CreateSecret's and ReplicateSecretToRegions'
/// `AddReplicaRegions`) from a secret in `primary_region`, each with its key (`None`: the AWS
/// managed key). A region that is the primary's own, unknown, or named twice is refused
/// ([open] for the last); so is a key other than the AWS managed one.
pub fn requested_regions<'a>(
    primary_region: &str,
    items: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> Result<Vec<(String, Option<String>)>, SecretsError> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for (region, kms_key_id) in items {
        let region = region.unwrap_or_default();
        if !valid_replica_region(primary_region, region) || out.iter().any(|(r, _)| r == region) {
            return Err(SecretsError::InvalidReplicaRegion);
        }
        super::kms::check_key_id(kms_key_id)?;
        out.push((region.to_owned(), None));
    }
    Ok(out)
}

/// Creates (or brings up to date) the replica of `primary` in `region`. A secret of the same
/// name already there makes the replication fail (status `Failed`, nothing written) unless
/// `force`, which replaces a standalone secret; one that is itself a replica, or a primary
/// with replicas, is never replaced [open]. moto's StatusMessage text
/// (`Replication failed: Secret name <name> already exists in region <region>.`); AWS's
/// documented example reads "Secret with this name already exists in this region" and a live
/// record (a Terraform test comment) starts with the same `Replication failed: Secret name`.
#[expect(
    clippy::too_many_arguments,
    reason = "the primary, the replica's region and its settings, as ReplicateSecretToRegions passes them"
)]
pub(crate) fn place_replica(
    s: &Secrets,
    account: &str,
    primary: &SecretMeta,
    value: &dyn Fn(&str) -> Option<Sealed>,
    region: &str,
    kms_key_id: Option<String>,
    force: bool,
    now: i64,
) -> Result<(Replica, Vec<Write>), Error> {
    let mut writes = Vec::new();
    let mut existing = None;
    if let Some(target) = s.find_record(account, region, &primary.name) {
        let ours = target.meta.arn == arn_in_region(&primary.arn, region)
            && target.meta.primary_region.as_deref() == Some(primary.region.as_str());
        let replaceable = !target.meta.is_replica() && target.meta.replicas.is_empty();
        if ours {
            existing = Some(target);
        } else if target.expired(now) || (force && replaceable) {
            writes.push(Write::Delete(target));
        } else {
            let failed = Replica {
                region: region.to_owned(),
                kms_key_id,
                in_sync: false,
                message: Some(format!(
                    "Replication failed: Secret name {} already exists in region {region}.",
                    primary.name
                )),
            };
            return Ok((failed, Vec::new()));
        }
    }
    let replica = Replica {
        region: region.to_owned(),
        kms_key_id,
        in_sync: true,
        message: None,
    };
    if let Some(w) = s.replica_write(account, primary, value, &replica, existing, now)? {
        writes.push(w);
    }
    Ok((replica, writes))
}

impl Secrets {
    /// ReplicateSecretToRegions: a replica of `secret` in each of `regions`. A region that
    /// already holds an in-sync replica is left as it is; a `Failed` one is tried again [open].
    /// Returns the secret as it is after.
    pub fn replicate(
        &self,
        secret: &Secret,
        regions: &[(String, Option<String>)],
        force: bool,
        now: i64,
    ) -> Result<SecretMeta, Error> {
        self.mutate(&secret.account, &secret.meta.region, now, |s| {
            let current = s.current(secret, now)?;
            current.live_primary()?;
            let mut meta = current.meta.clone();
            let value = |id: &str| current.sealed(id).map(|v| (**v).clone());
            let mut writes = Vec::new();
            for (region, kms) in regions {
                if meta.replica(region).is_some_and(|r| r.in_sync) {
                    continue;
                }
                let (r, mut w) = place_replica(
                    s,
                    &current.account,
                    &meta,
                    &value,
                    region,
                    kms.clone(),
                    force,
                    now,
                )?;
                meta.replicas.retain(|x| x.region != *region);
                meta.replicas.push(r);
                writes.append(&mut w);
            }
            if meta != current.meta {
                writes.insert(0, put(&current, meta.clone(), Vec::new()));
            }
            Ok((writes, meta))
        })
    }

    /// RemoveRegionsFromReplication: each replica named is deleted at once ("When you delete a
    /// replica, it is deleted immediately", DeleteSecret's documentation); a region that failed
    /// to replicate is only forgotten (the secret that was in the way stays). Regions the
    /// secret does not replicate to are ignored, as moto does [open]. Returns the secret as it
    /// is after.
    pub fn remove_regions(
        &self,
        secret: &Secret,
        regions: &[String],
        now: i64,
    ) -> Result<SecretMeta, Error> {
        self.mutate(&secret.account, &secret.meta.region, now, |s| {
            let current = s.current(secret, now)?;
            current.primary()?;
            let mut meta = current.meta.clone();
            let mut writes = Vec::new();
            for region in regions {
                let Some(r) = meta.replica(region).cloned() else {
                    continue;
                };
                meta.replicas.retain(|x| x.region != *region);
                if r.in_sync
                    && let Some(replica) = s
                        .find_record(&current.account, region, &meta.name)
                        .filter(|x| x.meta.arn == arn_in_region(&meta.arn, region))
                {
                    writes.push(Write::Delete(replica));
                }
            }
            if meta != current.meta {
                writes.insert(0, put(&current, meta.clone(), Vec::new()));
            }
            Ok((writes, meta))
        })
    }

    /// StopReplicationToReplica, called in the replica's region: promotes the replica to a
    /// standalone secret with its ARN, values (already sealed under that ARN), labels and
    /// metadata, and takes the region off the primary's replicas. Returns the replica's ARN.
    pub fn stop_replication(&self, replica: &Secret, now: i64) -> Result<String, Error> {
        self.mutate(&replica.account, &replica.meta.region, now, |s| {
            let current = s.current(replica, now)?;
            let Some(primary_region) = current.meta.primary_region.clone() else {
                return Err(SecretsError::NotAReplica.into());
            };
            let mut meta = current.meta.clone();
            meta.primary_region = None;
            meta.last_changed = now;
            let arn = meta.arn.clone();
            let mut writes = vec![put(&current, meta, Vec::new())];
            if let Some(primary) = s
                .find_record(&current.account, &primary_region, &current.meta.name)
                .filter(|p| p.meta.arn == arn_in_region(&current.meta.arn, &primary_region))
            {
                let mut pm = primary.meta.clone();
                pm.replicas.retain(|r| r.region != current.meta.region);
                writes.push(put(&primary, pm, Vec::new()));
            }
            Ok((writes, arn))
        })
    }

    /// The replicas of a primary, each with its LastAccessedDate as its region's index has it
    /// (the day the replica was last read, if ever).
    pub fn replica_statuses<'a>(&self, secret: &'a Secret) -> Vec<(&'a Replica, Option<i64>)> {
        let meta = &secret.meta;
        meta.replicas
            .iter()
            .map(|r| {
                let accessed = r
                    .in_sync
                    .then(|| self.find_record(&secret.account, &r.region, &meta.name))
                    .flatten()
                    .filter(|rep| rep.meta.arn == arn_in_region(&meta.arn, &r.region))
                    .and_then(|rep| rep.last_accessed());
                (r, accessed)
            })
            .collect()
    }
}
