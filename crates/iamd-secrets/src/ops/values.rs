//! Secret values: CreateSecret, GetSecretValue, BatchGetSecretValue, PutSecretValue and
//! UpdateSecret.

use super::{Found, Keys, Named, at, status_list, tags_in};
use crate::domains::SecretsDomain;
use crate::error::{Error, SecretsError};
use crate::op::{Check, Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use crate::secrets::kms::{check_key_id, may_use_secret_key};
use crate::secrets::list::{Filter, FilterKey, Listing, page};
use crate::secrets::replication::requested_regions;
use crate::secrets::versions::{value_of, version_token};
use crate::secrets::write::NewSecret;
use crate::secrets::{AWSCURRENT, Plain, Secret, VersionMeta, arn_suffix, valid_name};
use iamd_api::Service;
use iamd_api::secretsmanager::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<SecretsDomain>] = &[
    &Entry::<SecretsDomain, o::CreateSecret>::OP,
    &Entry::<SecretsDomain, o::GetSecretValue>::OP,
    &Entry::<SecretsDomain, o::BatchGetSecretValue>::OP,
    &Entry::<SecretsDomain, o::PutSecretValue>::OP,
    &Entry::<SecretsDomain, o::UpdateSecret>::OP,
];

/// The ARN a secret created now will have: its name and a random six-character suffix. It is
/// chosen before authorization, so that the request is authorized on the very ARN it creates.
#[derive(Debug)]
pub struct NewArn(String);

impl NewArn {
    /// The new secret as a resource: its ARN in the caller's account. It has no tags, policy or
    /// `secretsmanager:SecretId` yet (the Service Authorization Reference lists the request's
    /// keys for CreateSecret, not the SecretId).
    fn resource(&self, req: &Request<'_>) -> Resource {
        Resource {
            account: Some(req.account().to_owned()),
            ..Resource::as_named(&self.0)
        }
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html>:
/// authorized on the ARN the secret will have, suffix included — a Deny on
/// `secret:prod/*` stops creating `prod/db`, and an Allow on `secret:app/*` lets `app/x`
/// through (issue #11, finding 6: it was authorized on the bare Name). AWS prints that ARN in
/// the denial: `… is not authorized to perform: secretsmanager:CreateSecret on resource:
/// arn:aws:secretsmanager:eu-central-1:…:secret:secret_default-GJe9zJ` (recorded in
/// shalb/cluster.dev#76). A fresh suffix is drawn for every request, even when the name is
/// taken: the denial never reveals an existing secret's ARN.
///
/// "To add replica Regions, you must also have secretsmanager:ReplicateSecretToRegions" and
/// "If you include tags in the secret, you also need secretsmanager:TagResource" (Required
/// permissions), both on the same ARN (AWS's TagResource denial for a CreateSecret with Tags,
/// kubernetes-sigs/cluster-api-provider-aws#1523, names the new ARN, suffix included). The
/// TagResource verdict is applied where the tags are: when the secret is created, under the
/// writer lock (so a retry of a create that succeeded, which tags nothing, is not judged on it
/// again, and a refusal creates nothing). An empty Tags list adds no tag and needs no
/// TagResource [open].
impl Op<SecretsDomain> for o::CreateSecret {
    type Target = NewArn;
    const WRITES: bool = true;

    fn resolve(_: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<NewArn, Error> {
        Ok(NewArn(format!(
            "arn:aws:secretsmanager:{}:{}:secret:{}{}",
            req.region,
            req.account(),
            input.name,
            arn_suffix()?
        )))
    }

    fn plan(req: &Request<'_>, input: &Self::Input, arn: &NewArn) -> Result<Plan, Error> {
        let keys = Keys::new()
            .str("secretsmanager:Name", Some(&input.name))
            .str("secretsmanager:Description", input.description.as_deref())
            .str("secretsmanager:KmsKeyArn", input.kms_key_id.as_deref())
            .bool(
                "secretsmanager:ForceOverwriteReplicaSecret",
                input.force_overwrite_replica_secret,
            )
            .tags(input.tags.as_deref())
            .replica_regions(input.add_replica_regions.as_deref())
            .done();
        Ok(Plan::require_with(
            "secretsmanager:CreateSecret",
            Some(arn.resource(req)),
            keys.clone(),
        )
        .and_if(input.add_replica_regions.is_some(), || {
            Check::require(
                "secretsmanager:ReplicateSecretToRegions",
                Some(arn.resource(req)),
            )
            .with_keys(keys.clone())
        })
        .and_if(input.tags.as_ref().is_some_and(|t| !t.is_empty()), || {
            Check::report(
                "secretsmanager:TagResource",
                Some(
                    arn.resource(req)
                        .with_key("secretsmanager:SecretId", &arn.0),
                ),
            )
            .with_keys(keys)
        }))
    }

    fn act(
        d: &SecretsDomain,
        req: &Request<'_>,
        input: Self::Input,
        arn: NewArn,
        verdicts: Verdicts,
    ) -> Result<Self::Output, Error> {
        // The TagResource verdict, when the request has tags (the only reported check).
        let tagged = input.tags.as_ref().is_some_and(|t| !t.is_empty());
        let may_tag = verdicts.into_iter().next().unwrap_or_else(|| match tagged {
            true => Err(Error::Internal(
                "CreateSecret: no TagResource verdict".into(),
            )),
            false => Ok(()),
        });
        if !valid_name(&input.name) {
            return Err(SecretsError::InvalidName.into());
        }
        // Features iamd does not have are refused, never ignored: a request asking for them
        // would otherwise get a plain secret it did not ask for.
        if input.cross_account_primary_arn.is_some() {
            return Err(Error::NotImplemented(
                "CreateSecret with CrossAccountPrimaryARN (cross-account replicas)",
            ));
        }
        if input.r#type.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(Error::NotImplemented(
                "CreateSecret with Type (managed external secrets)",
            ));
        }
        let value = value_of(input.secret_string, input.secret_binary.map(|b| b.0))?;
        check_key_id(input.kms_key_id.as_deref())?;
        let replicas = requested_regions(
            req.region,
            input
                .add_replica_regions
                .iter()
                .flatten()
                .map(|r| (r.region.as_deref(), r.kms_key_id.as_deref())),
        )?;
        let token = version_token(&value, input.client_request_token)?;
        let created = d.secrets.create(
            NewSecret {
                account: req.account().to_owned(),
                region: req.region.to_owned(),
                name: input.name,
                arn: arn.0,
                description: input.description,
                tags: tags_in(input.tags.unwrap_or_default()),
                value: token.zip(value),
                replicas,
                force_overwrite_replicas: input.force_overwrite_replica_secret.unwrap_or(false),
                may_tag,
            },
            req.now,
        )?;
        Ok(api::CreateSecretResponse {
            replication_status: (!created.replicas.is_empty())
                .then(|| status_list(&created.replicas)),
            arn: Some(created.arn),
            name: Some(created.name),
            version_id: created.version_id,
        })
    }
}

/// A version's value as GetSecretValue and BatchGetSecretValue return it, for a caller of the
/// secret's own account (the AWS managed key serves no other); the read is recorded as the
/// secret's LastAccessedDate.
fn read_value(
    d: &SecretsDomain,
    req: &Request<'_>,
    secret: &Secret,
    v: &VersionMeta,
) -> Result<api::SecretValueEntry, Error> {
    may_use_secret_key(req.account(), secret)?;
    if v.empty {
        // A rotation's pending version before createSecret filled it in (aws-semantics-2.md
        // §7.3: AWS's templates branch on this error).
        return Err(SecretsError::NoValueForVersion {
            version_id: v.id.clone(),
        }
        .into());
    }
    let plain = d.secrets.open_value(secret, &v.id)?;
    secret.touch(req.now);
    let (secret_string, secret_binary) = match &plain {
        Plain::String(text) => (Some(text.as_str().to_owned()), None),
        Plain::Binary(bytes) => (None, Some(iamd_api::Blob(bytes.to_vec()))),
    };
    Ok(api::SecretValueEntry {
        arn: Some(secret.meta.arn.clone()),
        name: Some(secret.meta.name.clone()),
        version_id: Some(v.id.clone()),
        secret_binary,
        secret_string,
        version_stages: Some(v.stages.clone()),
        created_date: Some(at(v.created)),
    })
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html>:
/// the hot path, served from memory.
impl Op<SecretsDomain> for o::GetSecretValue {
    type Target = Named;
    const WRITES: bool = false;
    const INLINE: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:GetSecretValue",
            Some(named.resource()),
            Keys::new()
                .str("secretsmanager:VersionId", input.version_id.as_deref())
                .str(
                    "secretsmanager:VersionStage",
                    input.version_stage.as_deref(),
                )
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
        secret.live()?;
        let v = secret
            .meta
            .select_version(input.version_id.as_deref(), input.version_stage.as_deref())?;
        let e = read_value(d, req, &secret, v)?;
        Ok(api::GetSecretValueResponse {
            arn: e.arn,
            name: e.name,
            version_id: e.version_id,
            secret_binary: e.secret_binary,
            secret_string: e.secret_string,
            version_stages: e.version_stages,
            created_date: e.created_date,
        })
    }
}

/// What a BatchGetSecretValue request reads.
#[derive(Debug)]
pub enum Batch {
    /// Refused after BatchGetSecretValue itself is authorized (moto's texts [open]).
    Invalid(SecretsError),
    /// `SecretIdList`: each id, with what it names.
    Ids(Vec<(String, Named)>),
    /// `Filters`: one page of the secrets they select, or why the page cannot be had.
    Filtered(Result<(Vec<Found>, Option<String>), SecretsError>),
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html>:
/// needs `secretsmanager:GetSecretValue` on every secret it returns, each decided as a
/// GetSecretValue call would be, and refusals are reported per secret in `Errors` (an id that
/// names nothing is reported as not found, without a check). "If you use filters, you must also
/// have secretsmanager:ListSecrets" (Required permissions): ListSecrets has no resource, so the
/// denial names none, as ListSecrets' own does (aws-semantics.md §4.5), and the whole call
/// fails, since without the listing there is no secret to report an error for.
impl Op<SecretsDomain> for o::BatchGetSecretValue {
    type Target = Batch;
    const WRITES: bool = false;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Batch, Error> {
        if input.secret_id_list.is_some() == input.filters.is_some() {
            return Ok(Batch::Invalid(SecretsError::IdsXorFilters));
        }
        if input.max_results.is_some() && input.filters.is_none() {
            return Ok(Batch::Invalid(SecretsError::MaxResultsWithoutFilters));
        }
        if let Some(ids) = &input.secret_id_list {
            return Ok(Batch::Ids(
                ids.iter()
                    .map(|id| (id.clone(), Named::find(d, req, id)))
                    .collect(),
            ));
        }
        let listing = Listing {
            filters: filters_in(input.filters.as_deref().unwrap_or_default()),
            ..Listing::default()
        };
        let all = d
            .secrets
            .listing(req.account(), req.region, req.now, &listing);
        Ok(Batch::Filtered(
            page(all, input.next_token.as_deref(), input.max_results, 20).map(|(items, next)| {
                let found = items.into_iter().map(|s| Found::new(d, s)).collect();
                (found, next)
            }),
        ))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, batch: &Batch) -> Result<Plan, Error> {
        let read = |f: &Found| Check::report("secretsmanager:GetSecretValue", Some(f.resource()));
        let plan = Plan::require("secretsmanager:BatchGetSecretValue", None);
        Ok(match batch {
            Batch::Invalid(_) => plan,
            Batch::Ids(items) => items.iter().fold(plan, |plan, (_, named)| match named {
                Named::Found(f) => plan.and(read(f)),
                Named::Missing(_) => plan,
            }),
            Batch::Filtered(page) => {
                let plan = plan.and(Check::require("secretsmanager:ListSecrets", None));
                match page {
                    Ok((found, _)) => found.iter().fold(plan, |plan, f| plan.and(read(f))),
                    Err(_) => plan,
                }
            }
        })
    }

    fn act(
        d: &SecretsDomain,
        req: &Request<'_>,
        _: Self::Input,
        batch: Batch,
        verdicts: Verdicts,
    ) -> Result<Self::Output, Error> {
        let mut verdicts = verdicts.into_iter();
        let mut verdict = || {
            verdicts.next().unwrap_or_else(|| {
                Err(Error::Internal(
                    "BatchGetSecretValue: a secret without its verdict".into(),
                ))
            })
        };
        let mut values = Vec::new();
        let mut errors = Vec::new();
        let mut report = |id: &str, one: Result<api::SecretValueEntry, Error>| match one {
            Ok(v) => {
                values.push(v);
                Ok(())
            }
            Err(e) => match e.code_and_message(Service::SecretsManager) {
                Some((code, message)) => {
                    errors.push(api::APIErrorType {
                        secret_id: Some(id.to_owned()),
                        error_code: Some(code.to_owned()),
                        message: Some(message),
                    });
                    Ok(())
                }
                None => Err(e),
            },
        };
        let mut next_token = None;
        match batch {
            Batch::Invalid(e) => return Err(e.into()),
            Batch::Ids(items) => {
                for (id, named) in items {
                    let one = match named {
                        Named::Missing(_) => Err(SecretsError::SecretNotFound.into()),
                        Named::Found(f) => verdict().and_then(|()| {
                            f.secret.live()?;
                            let v = f.secret.meta.select_version(None, None)?;
                            read_value(d, req, &f.secret, v)
                        }),
                    };
                    report(&id, one)?;
                }
            }
            Batch::Filtered(page) => {
                let (found, next) = page?;
                next_token = next;
                for f in found {
                    let one = verdict().and_then(|()| {
                        let v = f.secret.meta.select_version(None, None)?;
                        read_value(d, req, &f.secret, v)
                    });
                    report(&f.secret.meta.arn, one)?;
                }
            }
        }
        Ok(api::BatchGetSecretValueResponse {
            secret_values: Some(values),
            next_token,
            errors: Some(errors),
        })
    }
}

/// Filters as the domain takes them.
pub(super) fn filters_in(filters: &[api::Filter]) -> Vec<Filter> {
    filters
        .iter()
        .map(|f| Filter {
            key: f.key.map(|k| match k {
                api::FilterNameStringType::Name => FilterKey::Name,
                api::FilterNameStringType::Description => FilterKey::Description,
                api::FilterNameStringType::TagKey => FilterKey::TagKey,
                api::FilterNameStringType::TagValue => FilterKey::TagValue,
                api::FilterNameStringType::PrimaryRegion => FilterKey::PrimaryRegion,
                api::FilterNameStringType::OwningService => FilterKey::OwningService,
                api::FilterNameStringType::All => FilterKey::All,
            }),
            values: f.values.clone().unwrap_or_default(),
        })
        .collect()
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html>
impl Op<SecretsDomain> for o::PutSecretValue {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:PutSecretValue",
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
        let value = value_of(input.secret_string, input.secret_binary.map(|b| b.0))?;
        let secret = named.found()?;
        secret.live_primary()?;
        may_use_secret_key(req.account(), &secret)?;
        // LocalStack's text [open].
        let value = value.ok_or(SecretsError::ValueRequired)?;
        let token = input
            .client_request_token
            .ok_or(SecretsError::ClientRequestTokenRequired)?;
        let stages = input
            .version_stages
            .unwrap_or_else(|| vec![AWSCURRENT.to_owned()]);
        let w = d
            .secrets
            .put_value(&secret, &token, &value, &stages, req.now)?;
        Ok(api::PutSecretValueResponse {
            arn: Some(w.meta.arn),
            name: Some(w.meta.name),
            version_id: Some(token),
            version_stages: Some(w.version.map(|v| v.stages).unwrap_or_default()),
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html>
impl Op<SecretsDomain> for o::UpdateSecret {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:UpdateSecret",
            Some(named.resource()),
            Keys::new()
                .str("secretsmanager:Description", input.description.as_deref())
                .str("secretsmanager:KmsKeyArn", input.kms_key_id.as_deref())
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
        let value = value_of(input.secret_string, input.secret_binary.map(|b| b.0))?;
        check_key_id(input.kms_key_id.as_deref())?;
        let secret = named.found()?;
        secret.live_primary()?;
        if value.is_some() {
            may_use_secret_key(req.account(), &secret)?;
        }
        let token = version_token(&value, input.client_request_token)?;
        let w = d
            .secrets
            .update(&secret, input.description, token.zip(value), req.now)?;
        Ok(api::UpdateSecretResponse {
            arn: Some(w.meta.arn),
            name: Some(w.meta.name),
            version_id: w.version.map(|v| v.id),
        })
    }
}
