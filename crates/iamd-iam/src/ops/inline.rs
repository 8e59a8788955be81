//! Inline policies of users, groups and roles: Put/Get/Delete{User,Group,Role}Policy and
//! List{User,Group,Role}Policies, one generic implementation over [`Holder`].
//!
//! Each is authorized on the holder found (its ARN, and for users and roles its tags);
//! Put/Delete{User,Role}Policy also carry its current permissions boundary (the Service
//! Authorization Reference lists `iam:PermissionsBoundary` for them, not for Get/List).
//!
//! API reference: `https://docs.aws.amazon.com/IAM/latest/APIReference/API_<Operation>.html`.

use super::{Holder, Named, page, truncation};
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::{GroupRecord, RoleRecord, UserRecord, url_encode};
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::PutUserPolicy>::OP,
    &Entry::<IamDomain, o::GetUserPolicy>::OP,
    &Entry::<IamDomain, o::DeleteUserPolicy>::OP,
    &Entry::<IamDomain, o::ListUserPolicies>::OP,
    &Entry::<IamDomain, o::PutGroupPolicy>::OP,
    &Entry::<IamDomain, o::GetGroupPolicy>::OP,
    &Entry::<IamDomain, o::DeleteGroupPolicy>::OP,
    &Entry::<IamDomain, o::ListGroupPolicies>::OP,
    &Entry::<IamDomain, o::PutRolePolicy>::OP,
    &Entry::<IamDomain, o::GetRolePolicy>::OP,
    &Entry::<IamDomain, o::DeleteRolePolicy>::OP,
    &Entry::<IamDomain, o::ListRolePolicies>::OP,
];

fn plan<T: Holder>(
    action: &'static str,
    req: &Request<'_>,
    named: &Named<T>,
    bounded: bool,
) -> Result<Plan, Error> {
    Ok(Plan::require(
        action,
        Some(T::resource(req, named, bounded)),
    ))
}

fn put<T: Holder>(
    d: &IamDomain,
    req: &Request<'_>,
    named: Named<T>,
    policy: &str,
    document: &str,
) -> Result<(), Error> {
    let h = named.found()?;
    d.iam
        .put_inline::<T>(req.account(), h.name(), policy, document)
}

/// The holder's stored name and the policy's document, URL-encoded as IAM answers it.
fn get<T: Holder>(
    d: &IamDomain,
    req: &Request<'_>,
    named: Named<T>,
    policy: &str,
) -> Result<(String, String), Error> {
    let h = named.found()?;
    let (name, doc) = d.iam.get_inline::<T>(req.account(), h.name(), policy)?;
    Ok((name, url_encode(&doc)))
}

fn delete<T: Holder>(
    d: &IamDomain,
    req: &Request<'_>,
    named: Named<T>,
    policy: &str,
) -> Result<(), Error> {
    let h = named.found()?;
    d.iam.delete_inline::<T>(req.account(), h.name(), policy)
}

/// One page of policy names, `IsTruncated` and `Marker`.
fn list<T: Holder>(
    d: &IamDomain,
    req: &Request<'_>,
    named: Named<T>,
    marker: &Option<String>,
    max_items: Option<i64>,
) -> Result<(Vec<String>, bool, Option<String>), Error> {
    let h = named.found()?;
    let p = d
        .iam
        .list_inline::<T>(req.account(), h.name(), page(marker, max_items))?;
    let (truncated, marker) = truncation(&p);
    Ok((p.items, truncated, marker))
}

/// The four operations of one holder kind: `$name` is the input member naming the holder,
/// `$bounded` whether Put/Delete carry its boundary.
macro_rules! inline_ops {
    (
        $rec:ty, $name:ident, $bounded:expr,
        $put:ident, $get:ident, $get_out:ident, $del:ident, $list:ident, $list_out:ident
    ) => {
        impl Op<IamDomain> for o::$put {
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
                _: &Self::Input,
                named: &Self::Target,
            ) -> Result<Plan, Error> {
                plan(concat!("iam:", stringify!($put)), req, named, $bounded)
            }

            fn act(
                d: &IamDomain,
                req: &Request<'_>,
                input: Self::Input,
                named: Self::Target,
                _: Verdicts,
            ) -> Result<Self::Output, Error> {
                put(d, req, named, &input.policy_name, &input.policy_document)
            }
        }

        impl Op<IamDomain> for o::$get {
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
                plan(concat!("iam:", stringify!($get)), req, named, false)
            }

            fn act(
                d: &IamDomain,
                req: &Request<'_>,
                input: Self::Input,
                named: Self::Target,
                _: Verdicts,
            ) -> Result<Self::Output, Error> {
                let (holder, policy_document) = get(d, req, named, &input.policy_name)?;
                Ok(api::$get_out {
                    $name: holder,
                    policy_name: input.policy_name,
                    policy_document,
                })
            }
        }

        impl Op<IamDomain> for o::$del {
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
                _: &Self::Input,
                named: &Self::Target,
            ) -> Result<Plan, Error> {
                plan(concat!("iam:", stringify!($del)), req, named, $bounded)
            }

            fn act(
                d: &IamDomain,
                req: &Request<'_>,
                input: Self::Input,
                named: Self::Target,
                _: Verdicts,
            ) -> Result<Self::Output, Error> {
                delete(d, req, named, &input.policy_name)
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
                plan(concat!("iam:", stringify!($list)), req, named, false)
            }

            fn act(
                d: &IamDomain,
                req: &Request<'_>,
                input: Self::Input,
                named: Self::Target,
                _: Verdicts,
            ) -> Result<Self::Output, Error> {
                let (policy_names, is_truncated, marker) =
                    list(d, req, named, &input.marker, input.max_items)?;
                Ok(api::$list_out {
                    policy_names,
                    is_truncated: Some(is_truncated),
                    marker,
                })
            }
        }
    };
}

inline_ops!(
    UserRecord,
    user_name,
    true,
    PutUserPolicy,
    GetUserPolicy,
    GetUserPolicyResponse,
    DeleteUserPolicy,
    ListUserPolicies,
    ListUserPoliciesResponse
);
inline_ops!(
    GroupRecord,
    group_name,
    false,
    PutGroupPolicy,
    GetGroupPolicy,
    GetGroupPolicyResponse,
    DeleteGroupPolicy,
    ListGroupPolicies,
    ListGroupPoliciesResponse
);
inline_ops!(
    RoleRecord,
    role_name,
    true,
    PutRolePolicy,
    GetRolePolicy,
    GetRolePolicyResponse,
    DeleteRolePolicy,
    ListRolePolicies,
    ListRolePoliciesResponse
);
