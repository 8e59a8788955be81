//! Resource policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy and
//! ValidateResourcePolicy.

use super::{Keys, Named};
use crate::domains::SecretsDomain;
use crate::error::{Error, SecretsError};
use crate::op::{Check, Entry, Op, Operation, Plan, Request, Verdicts};
use crate::secrets::policy::{grants_broad_access, principal_ids, validate_resource_policy};
use iamd_api::secretsmanager::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<SecretsDomain>] = &[
    &Entry::<SecretsDomain, o::PutResourcePolicy>::OP,
    &Entry::<SecretsDomain, o::GetResourcePolicy>::OP,
    &Entry::<SecretsDomain, o::DeleteResourcePolicy>::OP,
    &Entry::<SecretsDomain, o::ValidateResourcePolicy>::OP,
];

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html>:
/// the policy is checked (syntax, then broad access when BlockPublicPolicy asks for it — public
/// policies are accepted otherwise: "By default, public policies aren't blocked") and stored
/// with the unique ids of the users and roles it names. The request's BlockPublicPolicy is
/// `secretsmanager:BlockPublicPolicy`.
impl Op<SecretsDomain> for o::PutResourcePolicy {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "secretsmanager:PutResourcePolicy",
            Some(named.resource()),
            Keys::new()
                .bool(
                    "secretsmanager:BlockPublicPolicy",
                    input.block_public_policy,
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
        let text = input.resource_policy;
        validate_resource_policy(&text)?;
        if input.block_public_policy.unwrap_or(false) && grants_broad_access(&text) {
            return Err(SecretsError::PublicPolicy.into());
        }
        let ids = principal_ids(&d.iam, &text)?;
        let secret = named.found()?;
        secret.live_primary()?;
        let meta = d.secrets.modify(&secret, req.now, |m| {
            m.policy = Some(text);
            m.policy_ids = ids;
            Ok(())
        })?;
        Ok(api::PutResourcePolicyResponse {
            arn: Some(meta.arn),
            name: Some(meta.name),
            policy_name: None,
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetResourcePolicy.html>:
/// the policy as AWS holds it now (a principal deleted since it was put shows as its old
/// unique id). Touches no store (but for the principals' ids, cached per IAM generation).
impl Op<SecretsDomain> for o::GetResourcePolicy {
    type Target = Named;
    const WRITES: bool = false;
    const INLINE: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:GetResourcePolicy",
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
        let found = named.into_found()?;
        Ok(api::GetResourcePolicyResponse {
            arn: Some(found.secret.meta.arn.clone()),
            name: Some(found.secret.meta.name.clone()),
            resource_policy: found.policy,
            policy_name: None,
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteResourcePolicy.html>
impl Op<SecretsDomain> for o::DeleteResourcePolicy {
    type Target = Named;
    const WRITES: bool = true;

    fn resolve(d: &SecretsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Named, Error> {
        Ok(Named::find(d, req, &input.secret_id))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Named) -> Result<Plan, Error> {
        Ok(Plan::require(
            "secretsmanager:DeleteResourcePolicy",
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
        let meta = d.secrets.modify(&secret, req.now, |m| {
            m.policy = None;
            m.policy_ids.clear();
            Ok(())
        })?;
        Ok(api::DeleteResourcePolicyResponse {
            arn: Some(meta.arn),
            name: Some(meta.name),
            policy_name: None,
        })
    }
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ValidateResourcePolicy.html>:
/// syntax errors are `MalformedPolicyDocumentException` (a declared error of the operation); a
/// policy that passes syntax is checked for broad access with iamd's approximation of Zelkova
/// (`secrets::policy::grants_broad_access`). AWS does not document its `CheckName` values;
/// `BROAD_ACCESS` is iamd's.
///
/// "Required permissions: secretsmanager:ValidateResourcePolicy and
/// secretsmanager:PutResourcePolicy" (API_ValidateResourcePolicy): the second is judged on the
/// same resource as the first (the secret when SecretId is given, none otherwise [open]).
impl Op<SecretsDomain> for o::ValidateResourcePolicy {
    type Target = Option<Named>;
    const WRITES: bool = false;

    fn resolve(
        d: &SecretsDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Option<Named>, Error> {
        Ok(input.secret_id.as_deref().map(|id| Named::find(d, req, id)))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, named: &Option<Named>) -> Result<Plan, Error> {
        let resource = || named.as_ref().map(Named::resource);
        Ok(
            Plan::require("secretsmanager:ValidateResourcePolicy", resource()).and(Check::require(
                "secretsmanager:PutResourcePolicy",
                resource(),
            )),
        )
    }

    fn act(
        _: &SecretsDomain,
        _: &Request<'_>,
        input: Self::Input,
        named: Option<Named>,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        if let Some(named) = named {
            named.found()?;
        }
        let text = input.resource_policy;
        validate_resource_policy(&text)?;
        let mut errors = Vec::new();
        if grants_broad_access(&text) {
            errors.push(api::ValidationErrorsEntry {
                check_name: Some("BROAD_ACCESS".to_owned()),
                error_message: Some(
                    "The policy grants access to every principal (\"*\") without a condition that limits the callers."
                        .to_owned(),
                ),
            });
        }
        Ok(api::ValidateResourcePolicyResponse {
            policy_validation_passed: Some(errors.is_empty()),
            validation_errors: Some(errors),
        })
    }
}
