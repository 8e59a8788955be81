//! A secret's life: DeleteSecret, RestoreSecret, and rotation (RotateSecret,
//! CancelRotateSecret), which needs Lambda.

use super::{Keys, Named, at};
use crate::domains::SecretsDomain;
use crate::error::{Error, SecretsError};
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use crate::secrets::parse_arn;
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

/// Rotation needs Lambda, which iamd does not have: without a rotation function AWS answers
/// InvalidRequestException (text recorded from AWS in several projects' CI logs); with one, iamd
/// answers NotImplemented rather than pretend.
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
        _: &SecretsDomain,
        _: &Request<'_>,
        input: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        named.found()?.live_primary()?;
        if input.rotation_lambda_arn.is_some_and(|a| !a.is_empty()) {
            return Err(Error::NotImplemented(
                "RotateSecret with a rotation function",
            ));
        }
        Err(SecretsError::NoRotationFunction.into())
    }
}

/// No secret can have rotation configured yet, so there is never a rotation to cancel.
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
        _: &SecretsDomain,
        _: &Request<'_>,
        _: Self::Input,
        named: Named,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        named.found()?.live_primary()?;
        Err(SecretsError::NoRotationToCancel.into())
    }
}
