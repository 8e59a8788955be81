//! A secret's life: DeleteSecret, RestoreSecret, and rotation (RotateSecret,
//! CancelRotateSecret), run by the built-in rotators (`crate::rotation`).

use super::{Keys, Named, at};
use crate::domains::SecretsDomain;
use crate::error::{Error, SecretsError};
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use crate::secrets::parse_arn;
use crate::secrets::rotation::schedule::{self, RulesInput};
use crate::secrets::rotation::{ConfiguredBy, Job, RotationConfig, unfinished_rotation};
use crate::secrets::write::recovery_window;
use iamd_api::secretsmanager::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<SecretsDomain>] = &[
    &Entry::<SecretsDomain, o::DeleteSecret>::OP,
    &Entry::<SecretsDomain, o::RestoreSecret>::OP,
    &Entry::<SecretsDomain, o::RotateSecret>::OP,
    &Entry::<SecretsDomain, o::CancelRotateSecret>::OP,
];

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html>:
/// schedules the deletion (7 to 30 days, 30 by default), or deletes at once with
/// ForceDeleteWithoutRecovery, which "doesn't return ResourceNotFoundException" for a secret
/// that does not exist.
impl Op<SecretsDomain> for o::DeleteSecret {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:DeleteSecret",
            Some(named.resource()),
            Keys::new()
                .bool(
                    "secretsmanager:ForceDeleteWithoutRecovery",
                    input.force_delete_without_recovery,
                )
                .int(
                    "secretsmanager:RecoveryWindowInDays",
                    input.recovery_window_in_days,
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
        let force = input.force_delete_without_recovery.unwrap_or(false);
        let days = recovery_window(force, input.recovery_window_in_days)?;
        let secret = match named {
            Named::Missing(id) if force => {
                let name = parse_arn(&id).map(|a| a.rest.to_owned());
                return Ok(api::DeleteSecretResponse {
                    arn: id.starts_with("arn:").then(|| id.clone()),
                    name: Some(name.unwrap_or(id)),
                    deletion_date: Some(at(req.now)),
                });
            }
            named => named.found()?,
        };
        let (meta, date) = d.secrets.delete(&secret, force, days, req.now)?;
        Ok(api::DeleteSecretResponse {
            arn: Some(meta.arn),
            name: Some(meta.name),
            deletion_date: Some(at(date)),
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RestoreSecret.html>
impl Op<SecretsDomain> for o::RestoreSecret {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:RestoreSecret",
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
        secret.primary()?;
        let meta = d.secrets.restore(&secret, req.now)?;
        Ok(api::RestoreSecretResponse {
            arn: Some(meta.arn),
            name: Some(meta.name),
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html>
/// (aws-semantics-2.md §7.1): stores the rotation configuration (given members replace the
/// stored ones), creates the empty `AWSPENDING` version named by the ClientRequestToken and
/// answers at once; the steps run on the rotation thread. `RotationLambdaARN` must name one of
/// this server's built-in rotators (`arn:aws:lambda:REGION:ACCOUNT:function:iamd-rotator-<name>`);
/// any other function is one Secrets Manager "cannot invoke", and nothing is saved. No
/// `lambda:InvokeFunction` is needed: there is no function.
impl Op<SecretsDomain> for o::RotateSecret {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:RotateSecret",
            Some(named.resource()),
            Keys::new()
                .str(
                    "secretsmanager:RotationLambdaArn",
                    input.rotation_lambda_arn.as_deref(),
                )
                .bool("secretsmanager:RotateImmediately", input.rotate_immediately)
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
        let lambda_arn = input.rotation_lambda_arn.filter(|a| !a.is_empty());
        let stored_arn = (secret.meta.rotation.as_ref()).and_then(|c| c.lambda_arn.as_ref());
        if lambda_arn.is_none() && stored_arn.is_none() {
            return Err(SecretsError::NoRotationFunction.into());
        }
        let token = input
            .client_request_token
            .ok_or(SecretsError::RotationTokenRequired)?;
        let schedule = match &input.rotation_rules {
            Some(r) => Some(
                schedule::parse(&RulesInput {
                    automatically_after_days: r.automatically_after_days,
                    schedule_expression: r.schedule_expression.as_deref(),
                    duration: r.duration.as_deref(),
                })
                .map_err(|message| SecretsError::InvalidRotationRules { message })?,
            ),
            None => None,
        };
        if let Some(arn) = &lambda_arn
            && d.rotation.rotators().for_lambda_arn(arn).is_none()
        {
            return Err(SecretsError::RotationFunctionNotInvocable.into());
        }
        let immediately = input.rotate_immediately.unwrap_or(true);
        let configured_by = ConfiguredBy::of(req.caller)?;
        let now = req.now;
        let meta = d
            .secrets
            .start_rotation(&secret, &token, !immediately, now, |stored| {
                let lambda_arn = lambda_arn
                    .or_else(|| stored.and_then(|c| c.lambda_arn.clone()))
                    .ok_or(SecretsError::NoRotationFunction)?;
                let schedule = schedule.or_else(|| stored.and_then(|c| c.schedule.clone()));
                let next_window = schedule.as_ref().map(|s| s.next_window(now));
                Ok(RotationConfig {
                    lambda_arn: Some(lambda_arn),
                    schedule,
                    enabled: true,
                    last_rotated: stored.and_then(|c| c.last_rotated),
                    next_window,
                    configured_by,
                    pending: None,
                    last_failure: stored.and_then(|c| c.last_failure.clone()),
                })
            })?;
        d.rotation.enqueue(Job {
            account: secret.account.clone(),
            region: meta.region.clone(),
            name: meta.name.clone(),
            token: Some(token.clone()),
        });
        Ok(api::RotateSecretResponse {
            arn: Some(meta.arn),
            name: Some(meta.name),
            version_id: Some(token),
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CancelRotateSecret.html>:
/// `RotationEnabled` false, the function and rules kept, the rotation in progress no longer
/// run, labels left as they are (the caller removes `AWSPENDING` if it wants to). `VersionId`:
/// the version the unfinished rotation created, if any. A secret without a rotation function
/// answers moto's text (which it says follows AWS's documentation [open]).
impl Op<SecretsDomain> for o::CancelRotateSecret {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:CancelRotateSecret",
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
        secret.live_primary()?;
        let meta = d.secrets.cancel_rotation(&secret, req.now)?;
        let version_id = unfinished_rotation(&meta).map(|v| v.id.clone());
        Ok(api::CancelRotateSecretResponse {
            arn: Some(meta.arn),
            name: Some(meta.name),
            version_id,
        })
    }
}
