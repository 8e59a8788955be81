//! Replication: ReplicateSecretToRegions, RemoveRegionsFromReplication,
//! StopReplicationToReplica.

use super::{Keys, Named, status_entry, status_list};
use crate::domains::SecretsDomain;
use crate::error::{Error, SecretsError};
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use crate::secrets::replication::requested_regions;
use iamd_api::secretsmanager::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<SecretsDomain>] = &[
    &Entry::<SecretsDomain, o::ReplicateSecretToRegions>::OP,
    &Entry::<SecretsDomain, o::RemoveRegionsFromReplication>::OP,
    &Entry::<SecretsDomain, o::StopReplicationToReplica>::OP,
];

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html>:
/// the regions asked for are `secretsmanager:AddReplicaRegions`; the answer lists their status.
impl Op<SecretsDomain> for o::ReplicateSecretToRegions {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:ReplicateSecretToRegions",
            Some(named.resource()),
            Keys::new()
                .bool(
                    "secretsmanager:ForceOverwriteReplicaSecret",
                    input.force_overwrite_replica_secret,
                )
                .replica_regions(Some(&input.add_replica_regions))
                .done(),
        ))
    }

    fn act(
        d: &SecretsDomain,
        req: &Request<'_>,
        input: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let secret = named.found()?;
        secret.live_primary()?;
        let regions = requested_regions(
            req.region,
            input
                .add_replica_regions
                .iter()
                .map(|r| (r.region.as_deref(), r.kms_key_id.as_deref())),
        )?;
        let force = input.force_overwrite_replica_secret.unwrap_or(false);
        let meta = d.secrets.replicate(&secret, &regions, force, req.now)?;
        let asked = |region: &str| regions.iter().any(|(r, _)| r == region);
        Ok(api::ReplicateSecretToRegionsResponse {
            replication_status: Some(status_list(
                meta.replicas.iter().filter(|r| asked(&r.region)),
            )),
            arn: Some(meta.arn),
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RemoveRegionsFromReplication.html>:
/// the answer lists the replicas that remain.
impl Op<SecretsDomain> for o::RemoveRegionsFromReplication {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:RemoveRegionsFromReplication",
            Some(named.resource()),
        ))
    }

    fn act(
        d: &SecretsDomain,
        req: &Request<'_>,
        input: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let secret = named.found()?;
        secret.primary()?;
        let meta = d
            .secrets
            .remove_regions(&secret, &input.remove_replica_regions, req.now)?;
        Ok(api::RemoveRegionsFromReplicationResponse {
            replication_status: Some(status_list(&meta.replicas)),
            arn: Some(meta.arn),
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html>:
/// called in the replica's region, on the replica (authorized on the replica's ARN, whose
/// `secretsmanager:SecretPrimaryRegion` is its primary's); a secret that is not a replica is
/// refused ([open]: AWS's text is not recorded anywhere found).
impl Op<SecretsDomain> for o::StopReplicationToReplica {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:StopReplicationToReplica",
            Some(named.resource()),
        ))
    }

    fn act(
        d: &SecretsDomain,
        req: &Request<'_>,
        _: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let secret = named.found()?;
        if !secret.meta.is_replica() {
            return Err(SecretsError::NotAReplica.into());
        }
        let arn = d.secrets.stop_replication(&secret, req.now)?;
        Ok(api::StopReplicationToReplicaResponse { arn: Some(arn) })
    }
}

/// A primary's `ReplicationStatus` as DescribeSecret shows it: each replica with its
/// LastAccessedDate.
pub(super) fn statuses(
    d: &SecretsDomain,
    secret: &crate::secrets::Secret,
) -> Vec<api::ReplicationStatusType> {
    d.secrets
        .replica_statuses(secret)
        .into_iter()
        .map(|(r, accessed)| status_entry(r, accessed))
        .collect()
}
