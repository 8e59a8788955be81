//! GetSessionToken and GetFederationToken: temporary credentials of the caller itself.

use super::common;
use crate::accounts::Principal;
use crate::arn::Arn;
use crate::domains::StsDomain;
use crate::error::{Error, StsError};
use crate::op::{Check, Op, Plan, Request, Resource, Verdicts};
use crate::sessions::{SessionClaims, SessionPrincipal};
use iamd_api::sts::{self as api, ops as o};
use iamd_policy::Context;

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html>: IAM users and
/// roots; 900–129,600 s (the model checks the range), default 43,200 s for users; a root's
/// session lasts at most (and by default) 3,600 s — longer requests are cut to one hour, as the
/// API reference says. "No permissions are required for users to perform this operation": it
/// authenticates, it does not authorize.
impl Op<StsDomain> for o::GetSessionToken {
    type Target = Option<i64>;
    const WRITES: bool = false;
    const INLINE: bool = true;

    /// A request with an MFA code spends it in the store.
    fn writes(input: &Self::Input) -> bool {
        input.serial_number.is_some() || input.token_code.is_some()
    }

    /// The time the request's MFA code was verified, if it carries one.
    fn resolve(
        d: &StsDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Option<i64>, Error> {
        common::check_mfa(
            d,
            req,
            input.serial_number.as_deref(),
            input.token_code.as_deref(),
        )
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &Option<i64>) -> Result<Plan, Error> {
        Ok(Plan::NoPermissionNeeded)
    }

    fn act(
        d: &StsDomain,
        req: &Request<'_>,
        input: Self::Input,
        mfa_at: Option<i64>,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let (principal, duration) = match &req.caller.principal {
            Principal::Root => (
                SessionPrincipal::Root,
                input.duration_seconds.unwrap_or(3600).min(3600),
            ),
            Principal::User { name, path, id } => (
                SessionPrincipal::User {
                    name: name.clone(),
                    path: path.clone(),
                    id: id.clone(),
                },
                input.duration_seconds.unwrap_or(43_200),
            ),
            // Sessions are refused before this point (core::session_limits).
            _ => {
                return Err(StsError::SessionCredentialsNotAllowed {
                    operation: "GetSessionToken".into(),
                }
                .into());
            }
        };
        let (key_id, secret) = common::new_key(req.account())?;
        let claims = SessionClaims {
            account: req.account().to_owned(),
            principal,
            access_key_id: key_id,
            secret_access_key: secret,
            issued_at: req.now,
            expires_at: req.now + duration,
            mfa_at,
            source_identity: None,
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            policy: None,
            policy_arns: Vec::new(),
            chained: false,
        };
        Ok(api::GetSessionTokenResponse {
            credentials: Some(common::credentials(d, &claims)?),
            ..Default::default()
        })
    }
}

/// The federated user a GetFederationToken request names: `arn:aws:sts::<account>:federated-user/<Name>`.
fn federated_user(req: &Request<'_>, name: &str) -> Arn {
    Arn::of("sts", "", req.account(), &format!("federated-user/{name}"))
}

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html>: a session
/// whose permissions are the intersection of the calling user's policies and the session
/// policies passed (none passed: no permissions). 900–129,600 s, default 43,200 s; the root's
/// at most 3,600 s. Session tags need `sts:TagSession`, judged with `aws:RequestTag/*` and
/// `aws:TagKeys`, as on AssumeRole (IAM User Guide, id_session-tags: permissions required to add
/// session tags): they override the user's own tags of the same key.
impl Op<StsDomain> for o::GetFederationToken {
    type Target = common::Tags;
    const WRITES: bool = false;
    const INLINE: bool = true;

    fn resolve(_: &StsDomain, _: &Request<'_>, input: &Self::Input) -> Result<common::Tags, Error> {
        Ok(common::request_tags(&input.tags, &None)?.0)
    }

    fn plan(req: &Request<'_>, input: &Self::Input, tags: &common::Tags) -> Result<Plan, Error> {
        let user = Resource::arn(&federated_user(req, &input.name));
        let mut keys = Context::new();
        common::tag_keys(tags, &mut keys);
        Ok(Plan::require("sts:GetFederationToken", Some(user.clone()))
            .and_if(!tags.is_empty(), || {
                Check::require("sts:TagSession", Some(user)).with_keys(keys)
            }))
    }

    fn act(
        d: &StsDomain,
        req: &Request<'_>,
        input: Self::Input,
        tags: common::Tags,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let name = input.name;
        let (user, user_id, duration) = match &req.caller.principal {
            Principal::Root => (
                None,
                None,
                input.duration_seconds.unwrap_or(43_200).min(3600),
            ),
            Principal::User { id, .. } => (
                Some(req.caller.arn()),
                Some(id.clone()),
                input.duration_seconds.unwrap_or(43_200),
            ),
            _ => {
                return Err(StsError::SessionCredentialsNotAllowed {
                    operation: "GetFederationToken".into(),
                }
                .into());
            }
        };
        let (policy, policy_arns) = common::session_policies(&input.policy, &input.policy_arns)?;
        let passed_extras = policy.is_some() || !policy_arns.is_empty() || !tags.is_empty();
        let packed = common::packed_size(&policy, &policy_arns, &tags)?;
        let (key_id, secret) = common::new_key(req.account())?;
        let claims = SessionClaims {
            account: req.account().to_owned(),
            principal: SessionPrincipal::FederatedUser {
                name: name.clone(),
                user,
                user_id,
            },
            access_key_id: key_id,
            secret_access_key: secret,
            issued_at: req.now,
            expires_at: req.now + duration,
            mfa_at: None,
            source_identity: None,
            tags,
            transitive_tag_keys: Vec::new(),
            policy,
            policy_arns,
            chained: false,
        };
        Ok(api::GetFederationTokenResponse {
            credentials: Some(common::credentials(d, &claims)?),
            federated_user: Some(api::FederatedUser {
                federated_user_id: format!("{}:{name}", req.account()),
                arn: federated_user(req, &name).into_string(),
            }),
            packed_policy_size: passed_extras.then_some(packed),
            ..Default::default()
        })
    }
}
