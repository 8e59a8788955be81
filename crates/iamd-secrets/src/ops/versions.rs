//! Versions and their labels: ListSecretVersionIds, UpdateSecretVersionStage.

use super::{Keys, Named, at};
use crate::domains::SecretsDomain;
use crate::error::Error;
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use crate::secrets::VersionMeta;
use crate::secrets::list::page;
use iamd_api::secretsmanager::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<SecretsDomain>] = &[
    &Entry::<SecretsDomain, o::ListSecretVersionIds>::OP,
    &Entry::<SecretsDomain, o::UpdateSecretVersionStage>::OP,
];

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html>:
/// newest first; unlabeled ("deprecated") versions only with IncludeDeprecated.
impl Op<SecretsDomain> for o::ListSecretVersionIds {
    type Target = Named;
    const WRITES: bool = false;
    const INLINE: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:ListSecretVersionIds",
            Some(named.resource()),
        ))
    }

    fn act(
        _: &SecretsDomain,
        _: &Request<'_>,
        input: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let secret = named.found()?;
        secret.live()?;
        let include_deprecated = input.include_deprecated.unwrap_or(false);
        let versions: Vec<&VersionMeta> = (secret.meta.versions.iter().rev())
            .filter(|v| include_deprecated || !v.stages.is_empty())
            .collect();
        let (items, next_token) = page(
            versions,
            input.next_token.as_deref(),
            input.max_results,
            100,
        )?;
        let versions = items
            .into_iter()
            .map(|v| api::SecretVersionsListEntry {
                version_id: Some(v.id.clone()),
                version_stages: (!v.stages.is_empty()).then(|| v.stages.clone()),
                last_accessed_date: None,
                created_date: Some(at(v.created)),
                // What AWS lists for the AWS-managed key (LocalStack snapshot recorded against
                // AWS).
                kms_key_ids: Some(vec!["DefaultEncryptionKey".to_owned()]),
            })
            .collect();
        Ok(api::ListSecretVersionIdsResponse {
            versions: Some(versions),
            next_token,
            arn: Some(secret.meta.arn.clone()),
            name: Some(secret.meta.name.clone()),
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html>:
/// the label is the request's `secretsmanager:VersionStage`; the rules are
/// [`crate::secrets::SecretMeta::move_stage`].
impl Op<SecretsDomain> for o::UpdateSecretVersionStage {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:UpdateSecretVersionStage",
            Some(named.resource()),
            Keys::new()
                .str("secretsmanager:VersionStage", Some(&input.version_stage))
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
        let meta = d.secrets.update_stage(
            &secret,
            &input.version_stage,
            input.remove_from_version_id.as_deref(),
            input.move_to_version_id.as_deref(),
            req.now,
        )?;
        Ok(api::UpdateSecretVersionStageResponse {
            arn: Some(meta.arn),
            name: Some(meta.name),
        })
    }
}
