//! Managed policies attached to users, groups and roles: Attach/Detach{User,Group,Role}Policy
//! and ListAttached{User,Group,Role}Policies, one generic implementation over [`Holder`].
//!
//! Each is authorized on the holder found (its ARN, and for users and roles its tags), not on the
//! policy: the Service Authorization Reference gives these actions the holder's resource type
//! only. Attach/Detach carry the policy as `iam:PolicyARN`, and for users and roles the holder's
//! current permissions boundary as `iam:PermissionsBoundary`.
//!
//! API reference: `https://docs.aws.amazon.com/IAM/latest/APIReference/API_<Operation>.html`.

use super::{Holder, Named, page, truncation};
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::{GroupRecord, RoleRecord, UserRecord};
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use iamd_api::iam::{self as api, ops as o};
use iamd_policy::Context;

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::AttachUserPolicy>::OP,
    &Entry::<IamDomain, o::DetachUserPolicy>::OP,
    &Entry::<IamDomain, o::ListAttachedUserPolicies>::OP,
    &Entry::<IamDomain, o::AttachGroupPolicy>::OP,
    &Entry::<IamDomain, o::DetachGroupPolicy>::OP,
    &Entry::<IamDomain, o::ListAttachedGroupPolicies>::OP,
    &Entry::<IamDomain, o::AttachRolePolicy>::OP,
    &Entry::<IamDomain, o::DetachRolePolicy>::OP,
    &Entry::<IamDomain, o::ListAttachedRolePolicies>::OP,
];

/// Attach or Detach: the holder, with the policy as `iam:PolicyARN` (as the request names it:
/// policies are found by their exact ARN).
fn plan_attachment<T: Holder>(
    action: &'static str,
    req: &Request<'_>,
    named: &Named<T>,
    policy_arn: &str,
    bounded: bool,
) -> Result<Plan, Error> {
    let mut keys = Context::new();
    keys.set("iam:PolicyARN", policy_arn);
    Ok(Plan::require_with(
        action,
        Some(T::resource(req, named, bounded)),
        keys,
    ))
}

fn attach<T: Holder>(
    d: &IamDomain,
    req: &Request<'_>,
    named: Named<T>,
    policy_arn: &str,
) -> Result<(), Error> {
    let h = named.found()?;
    d.iam.attach::<T>(req.account(), h.name(), policy_arn)
}

fn detach<T: Holder>(
    d: &IamDomain,
    req: &Request<'_>,
    named: Named<T>,
    policy_arn: &str,
) -> Result<(), Error> {
    let h = named.found()?;
    d.iam.detach::<T>(req.account(), h.name(), policy_arn)
}

/// One page of attached policies, `IsTruncated` and `Marker`.
fn list<T: Holder>(
    d: &IamDomain,
    req: &Request<'_>,
    named: Named<T>,
    prefix: Option<&str>,
    marker: &Option<String>,
    max_items: Option<i64>,
) -> Result<(Vec<api::AttachedPolicy>, bool, Option<String>), Error> {
    let h = named.found()?;
    let p = d
        .iam
        .list_attached::<T>(req.account(), h.name(), prefix, page(marker, max_items))?;
    let (truncated, marker) = truncation(&p);
    let items = p
        .items
        .into_iter()
        .map(|(name, arn)| api::AttachedPolicy {
            policy_name: Some(name),
            policy_arn: Some(arn),
        })
        .collect();
    Ok((items, truncated, marker))
}

/// The three operations of one holder kind: `$name` is the input member naming the holder,
/// `$bounded` whether Attach/Detach carry its boundary.
macro_rules! attached_ops {
    (
        $rec:ty, $name:ident, $bounded:expr,
        $attach:ident, $detach:ident, $list:ident, $list_out:ident
    ) => {
        impl Op<IamDomain> for o::$attach {
            type Target = Named<$rec>;
            const WRITES: bool = true;

            fn resolve(
                d: &IamDomain,
                req: &Request<'_>,
                input: &Self::Input,
            ) -> Result<Self::Target, Error> {
                Named::find(d, req, &input.$name)
            }

            fn plan(
                req: &Request<'_>,
                input: &Self::Input,
                named: &Self::Target,
            ) -> Result<Plan, Error> {
                plan_attachment(
                    concat!("iam:", stringify!($attach)),
                    req,
                    named,
                    &input.policy_arn,
                    $bounded,
                )
            }

            fn act(
                d: &IamDomain,
                req: &Request<'_>,
                input: Self::Input,
                named: Self::Target,
                _: Verdicts,
            ) -> Result<Self::Output, Error> {
                attach(d, req, named, &input.policy_arn)
            }
        }

        impl Op<IamDomain> for o::$detach {
            type Target = Named<$rec>;
            const WRITES: bool = true;

            fn resolve(
                d: &IamDomain,
                req: &Request<'_>,
                input: &Self::Input,
            ) -> Result<Self::Target, Error> {
                Named::find(d, req, &input.$name)
            }

            fn plan(
                req: &Request<'_>,
                input: &Self::Input,
                named: &Self::Target,
            ) -> Result<Plan, Error> {
                plan_attachment(
                    concat!("iam:", stringify!($detach)),
                    req,
                    named,
                    &input.policy_arn,
                    $bounded,
                )
            }

            fn act(
                d: &IamDomain,
                req: &Request<'_>,
                input: Self::Input,
                named: Self::Target,
                _: Verdicts,
            ) -> Result<Self::Output, Error> {
                detach(d, req, named, &input.policy_arn)
            }
        }

        impl Op<IamDomain> for o::$list {
            type Target = Named<$rec>;
            const WRITES: bool = false;

            fn resolve(
                d: &IamDomain,
                req: &Request<'_>,
                input: &Self::Input,
            ) -> Result<Self::Target, Error> {
                Named::find(d, req, &input.$name)
            }

            fn plan(
                req: &Request<'_>,
                _: &Self::Input,
                named: &Self::Target,
            ) -> Result<Plan, Error> {
                Ok(Plan::require(
                    concat!("iam:", stringify!($list)),
                    Some(<$rec as Holder>::resource(req, named, false)),
                ))
            }

            fn act(
                d: &IamDomain,
                req: &Request<'_>,
                input: Self::Input,
                named: Self::Target,
                _: Verdicts,
            ) -> Result<Self::Output, Error> {
                let (attached, is_truncated, marker) = list(
                    d,
                    req,
                    named,
                    input.path_prefix.as_deref(),
                    &input.marker,
                    input.max_items,
                )?;
                Ok(api::$list_out {
                    attached_policies: Some(attached),
                    is_truncated: Some(is_truncated),
                    marker,
                })
            }
        }
    };
}

attached_ops!(
    UserRecord,
    user_name,
    true,
    AttachUserPolicy,
    DetachUserPolicy,
    ListAttachedUserPolicies,
    ListAttachedUserPoliciesResponse
);
attached_ops!(
    GroupRecord,
    group_name,
    false,
    AttachGroupPolicy,
    DetachGroupPolicy,
    ListAttachedGroupPolicies,
    ListAttachedGroupPoliciesResponse
);
attached_ops!(
    RoleRecord,
    role_name,
    true,
    AttachRolePolicy,
    DetachRolePolicy,
    ListAttachedRolePolicies,
    ListAttachedRolePoliciesResponse
);
