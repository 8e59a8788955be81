//! Roles: CreateRole, GetRole, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy,
//! DeleteRole, ListRoles, and their tags.
//!
//! A role's resource is its ARN with its tags as `aws:ResourceTag/*` and `iam:ResourceTag/*`;
//! the actions of `IAM_BOUNDARY_ACTIONS` (authz.rs) also carry its current permissions boundary.

use super::{
    Named, at, boundary_out, entity_arn, named_resource, page, principal_tags, removed_tag_keys,
    request_tag_keys, tags_in, tags_opt, tags_page, truncation, with_boundary,
};
use crate::arn::Arn;
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::{Iam, RoleRecord, url_encode};
use crate::op::{Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::CreateRole>::OP,
    &Entry::<IamDomain, o::GetRole>::OP,
    &Entry::<IamDomain, o::UpdateRole>::OP,
    &Entry::<IamDomain, o::UpdateRoleDescription>::OP,
    &Entry::<IamDomain, o::UpdateAssumeRolePolicy>::OP,
    &Entry::<IamDomain, o::DeleteRole>::OP,
    &Entry::<IamDomain, o::ListRoles>::OP,
    &Entry::<IamDomain, o::TagRole>::OP,
    &Entry::<IamDomain, o::UntagRole>::OP,
    &Entry::<IamDomain, o::ListRoleTags>::OP,
];

const DEFAULT_PATH: &str = "/";

/// A role's resource: its ARN with its tags.
pub(crate) fn role_resource(req: &Request<'_>, named: &Named<RoleRecord>) -> Resource {
    named_resource(req, "role", named, |r, res| principal_tags(res, &r.tags))
}

/// A role's resource with its current permissions boundary as `iam:PermissionsBoundary`, for
/// the actions of `IAM_BOUNDARY_ACTIONS`.
pub(crate) fn role_resource_bounded(req: &Request<'_>, named: &Named<RoleRecord>) -> Resource {
    named_resource(req, "role", named, |r, res| {
        with_boundary(principal_tags(res, &r.tags), &r.boundary)
    })
}

/// A role as IAM's responses show it; `full` adds what only GetRole, CreateRole and
/// UpdateRoleDescription return (tags, permissions boundary, an empty RoleLastUsed). The trust
/// policy is the effective one: principals deleted since it was saved show as their unique ids,
/// in every response that carries it (as on AWS).
pub(crate) fn role_out(iam: &Iam, account: &str, r: &RoleRecord, full: bool) -> api::Role {
    api::Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: entity_arn(account, "role", r).into_string(),
        create_date: at(r.created),
        assume_role_policy_document: Some(url_encode(&iam.role_trust(r))),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session),
        permissions_boundary: if full {
            boundary_out(&r.boundary)
        } else {
            None
        },
        tags: if full { tags_opt(&r.tags) } else { None },
        role_last_used: full.then(|| role_last_used(iam, account, r)),
        source_role_template: None,
    }
}

/// RoleLastUsed: when and in which Region a session of the role last made a request
/// (`crate::last_used`); empty (`<RoleLastUsed/>`) for a role never used, as AWS answers
/// (aws-semantics-2.md §4.2). Assuming the role is a request of the caller, not of the role:
/// only the role's sessions count. A failure to read it leaves it empty rather than failing
/// the request that shows the role.
pub(crate) fn role_last_used(iam: &Iam, account: &str, r: &RoleRecord) -> api::RoleLastUsed {
    match iam.last_use(account, &crate::iam::last_used::Subject::Role(r.id.clone())) {
        Ok(Some(u)) => api::RoleLastUsed {
            last_used_date: Some(at(u.at)),
            region: Some(u.region),
        },
        _ => api::RoleLastUsed::default(),
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html>: authorized on the
/// ARN the role will have, with the tags (`aws:RequestTag/*`, `aws:TagKeys`) and the boundary
/// (`iam:PermissionsBoundary`) the request sets.
impl Op<IamDomain> for o::CreateRole {
    type Target = Arn;
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<Arn, Error> {
        let path = input.path.as_deref().unwrap_or(DEFAULT_PATH);
        Ok(Arn::iam(req.account(), "role", path, &input.role_name))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, arn: &Arn) -> Result<Plan, Error> {
        let mut keys = request_tag_keys(&input.tags);
        if let Some(b) = &input.permissions_boundary {
            keys.set("iam:PermissionsBoundary", b.as_str());
        }
        Ok(Plan::require_with(
            "iam:CreateRole",
            Some(Resource::arn(arn)),
            keys,
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: Arn,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let r = d.iam.create_role(
            req.account(),
            &input.role_name,
            input.path.as_deref().unwrap_or(DEFAULT_PATH),
            &input.assume_role_policy_document,
            input.description.as_deref(),
            input.max_session_duration,
            input.permissions_boundary.as_deref(),
            &tags_in(&input.tags),
            req.now,
        )?;
        Ok(api::CreateRoleResponse {
            role: role_out(&d.iam, req.account(), &r, true),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html>
impl Op<IamDomain> for o::GetRole {
    type Target = Named<RoleRecord>;
    const WRITES: bool = false;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.role_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:GetRole",
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
        Ok(api::GetRoleResponse {
            role: role_out(&d.iam, req.account(), &named.found()?, true),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateRole.html>: description and/or
/// maximum session duration.
impl Op<IamDomain> for o::UpdateRole {
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
            "iam:UpdateRole",
            Some(role_resource_bounded(req, named)),
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
        d.iam.update_role(
            req.account(),
            &r.name,
            input.description.as_deref(),
            input.max_session_duration,
        )?;
        Ok(api::UpdateRoleResponse {})
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateRoleDescription.html>:
/// answers the role as GetRole does.
impl Op<IamDomain> for o::UpdateRoleDescription {
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
            "iam:UpdateRoleDescription",
            Some(role_resource_bounded(req, named)),
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
        let r = d
            .iam
            .update_role(req.account(), &r.name, Some(&input.description), None)?;
        Ok(api::UpdateRoleDescriptionResponse {
            role: Some(role_out(&d.iam, req.account(), &r, true)),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html>
impl Op<IamDomain> for o::UpdateAssumeRolePolicy {
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
            "iam:UpdateAssumeRolePolicy",
            Some(role_resource_bounded(req, named)),
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
            .update_assume_role_policy(req.account(), &r.name, &input.policy_document)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html>
impl Op<IamDomain> for o::DeleteRole {
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
            "iam:DeleteRole",
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
        d.iam.delete_role(req.account(), &named.found()?.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html>: no resource type;
/// neither tags nor boundaries in the answer.
impl Op<IamDomain> for o::ListRoles {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:ListRoles", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = d.iam.list_roles(
            req.account(),
            input.path_prefix.as_deref(),
            page(&input.marker, input.max_items),
        )?;
        let (is_truncated, marker) = truncation(&p);
        Ok(api::ListRolesResponse {
            roles: p
                .items
                .iter()
                .map(|r| role_out(&d.iam, req.account(), r, false))
                .collect(),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html>
impl Op<IamDomain> for o::TagRole {
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
            "iam:TagRole",
            Some(role_resource(req, named)),
            request_tag_keys(&Some(input.tags.clone())),
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
            .tag::<RoleRecord>(req.account(), &r.name, &tags_in(&Some(input.tags)))?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagRole.html>
impl Op<IamDomain> for o::UntagRole {
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
            "iam:UntagRole",
            Some(role_resource(req, named)),
            removed_tag_keys(&input.tag_keys),
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
        let keys: Vec<&str> = input.tag_keys.iter().map(String::as_str).collect();
        d.iam.untag::<RoleRecord>(req.account(), &r.name, &keys)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoleTags.html>
impl Op<IamDomain> for o::ListRoleTags {
    type Target = Named<RoleRecord>;
    const WRITES: bool = false;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.role_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:ListRoleTags",
            Some(role_resource(req, named)),
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
        let (tags, is_truncated, marker) = tags_page(d.iam.list_tags::<RoleRecord>(
            req.account(),
            &r.name,
            page(&input.marker, input.max_items),
        )?);
        Ok(api::ListRoleTagsResponse {
            tags,
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}
