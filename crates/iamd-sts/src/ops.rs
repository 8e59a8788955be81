//! STS operations (awsQuery, `2011-06-15`), typed: resolve → plan → act.

use crate::domains::StsDomain;
use crate::error::{Error, StsError};
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use iamd_api::sts::{self as api, ops as o};

/// Every STS operation iamd serves.
pub static OPS: &[&dyn Operation<StsDomain>] = &[
    &Entry::<StsDomain, o::GetCallerIdentity>::OP,
    &Entry::<StsDomain, o::GetAccessKeyInfo>::OP,
    &Entry::<StsDomain, o::AssumeRole>::OP,
    &Entry::<StsDomain, o::GetSessionToken>::OP,
    &Entry::<StsDomain, o::GetFederationToken>::OP,
];

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>: "No
/// permissions are required to perform this operation. If an administrator attaches a policy to
/// your identity that explicitly denies access to the sts:GetCallerIdentity action, you can still
/// perform this operation."
impl Op<StsDomain> for o::GetCallerIdentity {
    type Target = ();
    const WRITES: bool = false;
    const INLINE: bool = true;

    fn resolve(_: &StsDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::NoPermissionNeeded)
    }

    fn act(
        _: &StsDomain,
        req: &Request<'_>,
        _: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        Ok(api::GetCallerIdentityResponse {
            user_id: Some(req.caller.user_id()),
            account: Some(req.account().to_owned()),
            arn: Some(req.caller.arn()),
        })
    }
}

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html>: the account
/// that owns an access key id. Keys iamd knows answer from the store; any other AWS-format key id
/// answers from the account encoded in it, as AWS does for key ids it did not issue. The Service
/// Authorization Reference lists no resource type for the action.
impl Op<StsDomain> for o::GetAccessKeyInfo {
    type Target = ();
    const WRITES: bool = false;
    const INLINE: bool = true;

    fn resolve(_: &StsDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("sts:GetAccessKeyInfo", None))
    }

    fn act(
        d: &StsDomain,
        _: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let key_id = input.access_key_id;
        let account = match d.accounts.lookup(&key_id) {
            Some(c) if !c.implicit_dev_account || d.dev => c.account.clone(),
            _ => match iamd_crypto::ids::account_from_access_key_id(&key_id) {
                Some(n) => format!("{n:012}"),
                None => return Err(StsError::InvalidAccessKeyId { key_id }.into()),
            },
        };
        Ok(api::GetAccessKeyInfoResponse {
            account: Some(account),
        })
    }
}
