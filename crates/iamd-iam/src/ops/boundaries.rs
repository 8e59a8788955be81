//! Permissions boundaries: Put/Delete{User,Role}PermissionsBoundary.
//!
//! Each is authorized on the user or role found, with its tags; the Service Authorization
//! Reference lists `iam:PermissionsBoundary` for all four: the boundary being set for Put*, the
//! target's current one for Delete*.

use super::roles::role_resource_bounded;
use super::{Named, boundary_key, user_resource_bounded};
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::{RoleRecord, UserRecord};
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use iamd_api::iam::ops as o;

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::PutUserPermissionsBoundary>::OP,
    &Entry::<IamDomain, o::DeleteUserPermissionsBoundary>::OP,
    &Entry::<IamDomain, o::PutRolePermissionsBoundary>::OP,
    &Entry::<IamDomain, o::DeleteRolePermissionsBoundary>::OP,
];

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPermissionsBoundary.html>
impl Op<IamDomain> for o::PutUserPermissionsBoundary {
    type Target = Named<UserRecord>;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.user_name)
    }

    fn plan(req: &Request<'_>, input: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "iam:PutUserPermissionsBoundary",
            Some(user_resource_bounded(req, named)),
            boundary_key(&input.permissions_boundary),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let u = named.found()?;
        d.iam
            .put_user_boundary(req.account(), &u.name, &input.permissions_boundary)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUserPermissionsBoundary.html>
impl Op<IamDomain> for o::DeleteUserPermissionsBoundary {
    type Target = Named<UserRecord>;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.user_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:DeleteUserPermissionsBoundary",
            Some(user_resource_bounded(req, named)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam
            .delete_user_boundary(req.account(), &named.found()?.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePermissionsBoundary.html>
impl Op<IamDomain> for o::PutRolePermissionsBoundary {
    type Target = Named<RoleRecord>;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.role_name)
    }

    fn plan(req: &Request<'_>, input: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "iam:PutRolePermissionsBoundary",
            Some(role_resource_bounded(req, named)),
            boundary_key(&input.permissions_boundary),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let r = named.found()?;
        d.iam
            .put_role_boundary(req.account(), &r.name, &input.permissions_boundary)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePermissionsBoundary.html>
impl Op<IamDomain> for o::DeleteRolePermissionsBoundary {
    type Target = Named<RoleRecord>;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.role_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:DeleteRolePermissionsBoundary",
            Some(role_resource_bounded(req, named)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam
            .delete_role_boundary(req.account(), &named.found()?.name)?;
        Ok(())
    }
}
