//! What a secret is, without its value: DescribeSecret, ListSecrets.

use super::replication::statuses;
use super::values::filters_in;
use super::{Named, at, stages_map, tags_out};
use crate::domains::SecretsDomain;
use crate::error::Error;
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use crate::secrets::list::{Listing, SortBy, page};
use crate::secrets::{Secret, SecretMeta};
use iamd_api::secretsmanager::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<SecretsDomain>] = &[
    &Entry::<SecretsDomain, o::DescribeSecret>::OP,
    &Entry::<SecretsDomain, o::ListSecrets>::OP,
];

/// `PrimaryRegion` appears only on secrets that take part in replication (observed on AWS:
/// rebuy-de/aws-nuke#1127), `ReplicationStatus` only on primaries.
fn takes_part_in_replication(meta: &SecretMeta) -> bool {
    meta.is_replica() || !meta.replicas.is_empty()
}

/// The rotation members of DescribeSecret and ListSecrets (aws-semantics-2.md §7.2, the model's
/// DescribeSecret documentation): `RotationEnabled` absent when rotation was never configured;
/// the function and rules kept when it is disabled; `LastRotatedDate` and `NextRotationDate`
/// absent when it is not configured or disabled.
struct RotationFields {
    enabled: Option<bool>,
    lambda_arn: Option<String>,
    rules: Option<api::RotationRulesType>,
    last_rotated: Option<iamd_api::Timestamp>,
    next: Option<iamd_api::Timestamp>,
}

fn rotation_fields(meta: &SecretMeta) -> RotationFields {
    let Some(c) = &meta.rotation else {
        return RotationFields {
            enabled: None,
            lambda_arn: None,
            rules: None,
            last_rotated: None,
            next: None,
        };
    };
    RotationFields {
        enabled: Some(c.enabled),
        lambda_arn: c.lambda_arn.clone(),
        rules: c.schedule.as_ref().map(|s| {
            let (days, expression, duration) = s.describe();
            api::RotationRulesType {
                automatically_after_days: days,
                duration: duration.map(str::to_owned),
                schedule_expression: expression.map(str::to_owned),
            }
        }),
        last_rotated: c.last_rotated.filter(|_| c.enabled).map(at),
        next: c.next_window.filter(|_| c.enabled).map(|(_, end)| at(end)),
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html>:
/// the hot path's companion, served from memory. KmsKeyId is omitted for the AWS-managed key
/// (aws-semantics.md §6.8); a secret scheduled for deletion is described (with DeletedDate).
impl Op<SecretsDomain> for o::DescribeSecret {
    type Target = Named;
    const WRITES: bool = false;
    const INLINE: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:DescribeSecret",
            Some(named.resource()),
        ))
    }

    fn act(
        d: &SecretsDomain,
        _: &Request<'_>,
        _: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let secret = named.found()?;
        let meta = &secret.meta;
        let r = rotation_fields(meta);
        Ok(api::DescribeSecretResponse {
            arn: Some(meta.arn.clone()),
            name: Some(meta.name.clone()),
            r#type: None,
            description: meta.description.clone(),
            kms_key_id: meta.kms_key_id.clone(),
            rotation_enabled: r.enabled,
            rotation_lambda_arn: r.lambda_arn,
            rotation_rules: r.rules,
            external_secret_rotation_metadata: None,
            external_secret_rotation_role_arn: None,
            last_rotated_date: r.last_rotated,
            last_changed_date: Some(at(meta.last_changed)),
            last_accessed_date: secret.last_accessed().map(at),
            deleted_date: meta.deleted.map(at),
            next_rotation_date: r.next,
            tags: (!meta.tags.is_empty()).then(|| tags_out(&meta.tags)),
            version_ids_to_stages: stages_map(meta),
            owning_service: None,
            created_date: Some(at(meta.created)),
            primary_region: takes_part_in_replication(meta)
                .then(|| meta.primary_region().to_owned()),
            replication_status: (!meta.replicas.is_empty()).then(|| statuses(d, &secret)),
            cross_account_primary: None,
            cross_account_replicas: None,
        })
    }
}

/// One ListSecrets entry: DescribeSecret's members that SecretListEntry has.
fn list_entry(secret: &Secret) -> api::SecretListEntry {
    let meta = &secret.meta;
    let r = rotation_fields(meta);
    api::SecretListEntry {
        arn: Some(meta.arn.clone()),
        name: Some(meta.name.clone()),
        r#type: None,
        description: meta.description.clone(),
        kms_key_id: meta.kms_key_id.clone(),
        rotation_enabled: r.enabled,
        rotation_lambda_arn: r.lambda_arn,
        rotation_rules: r.rules,
        external_secret_rotation_metadata: None,
        external_secret_rotation_role_arn: None,
        last_rotated_date: r.last_rotated,
        last_changed_date: Some(at(meta.last_changed)),
        last_accessed_date: secret.last_accessed().map(at),
        deleted_date: meta.deleted.map(at),
        next_rotation_date: r.next,
        tags: (!meta.tags.is_empty()).then(|| tags_out(&meta.tags)),
        secret_versions_to_stages: stages_map(meta),
        owning_service: None,
        created_date: Some(at(meta.created)),
        primary_region: takes_part_in_replication(meta).then(|| meta.primary_region().to_owned()),
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html>: no
/// resource type. Filters, order and pages: [`crate::secrets::list`].
impl Op<SecretsDomain> for o::ListSecrets {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &SecretsDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("secretsmanager:ListSecrets", None))
    }

    fn act(
        d: &SecretsDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let listing = Listing {
            filters: filters_in(input.filters.as_deref().unwrap_or_default()),
            include_deleted: input.include_planned_deletion.unwrap_or(false),
            sort_by: match input.sort_by {
                None | Some(api::SortByType::CreatedDate) => SortBy::CreatedDate,
                Some(api::SortByType::Name) => SortBy::Name,
                Some(api::SortByType::LastAccessedDate) => SortBy::LastAccessedDate,
                Some(api::SortByType::LastChangedDate) => SortBy::LastChangedDate,
            },
            descending: input.sort_order == Some(api::SortOrderType::Desc),
        };
        let all = d
            .secrets
            .listing(req.account(), req.region, req.now, &listing);
        let (items, next_token) = page(all, input.next_token.as_deref(), input.max_results, 100)?;
        Ok(api::ListSecretsResponse {
            secret_list: Some(items.iter().map(|s| list_entry(s)).collect()),
            next_token,
        })
    }
}
