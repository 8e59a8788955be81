//! Groups: CreateGroup, GetGroup, DeleteGroup, ListGroups, UpdateGroup, and membership
//! (AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser).
//!
//! Groups carry no tags and no permissions boundary: their resource is their ARN alone.

use super::{Named, at, entity_arn, named_resource, page, truncation, user_out, user_resource};
use crate::arn::Arn;
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::{GroupRecord, UserRecord};
use crate::op::{Check, Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::CreateGroup>::OP,
    &Entry::<IamDomain, o::GetGroup>::OP,
    &Entry::<IamDomain, o::DeleteGroup>::OP,
    &Entry::<IamDomain, o::ListGroups>::OP,
    &Entry::<IamDomain, o::UpdateGroup>::OP,
    &Entry::<IamDomain, o::AddUserToGroup>::OP,
    &Entry::<IamDomain, o::RemoveUserFromGroup>::OP,
    &Entry::<IamDomain, o::ListGroupsForUser>::OP,
];

const DEFAULT_PATH: &str = "/";

/// A group's resource: its ARN (groups have no tags).
pub(crate) fn group_resource(req: &Request<'_>, named: &Named<GroupRecord>) -> Resource {
    named_resource(req, "group", named, |_, r| r)
}

/// A group as IAM's responses show it.
pub(crate) fn group_out(account: &str, g: &GroupRecord) -> api::Group {
    api::Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.id.clone(),
        arn: entity_arn(account, "group", g).into_string(),
        create_date: at(g.created),
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateGroup.html>: authorized on
/// the ARN the group will have.
impl Op<IamDomain> for o::CreateGroup {
    type Target = Arn;
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<Arn, Error> {
        let path = input.path.as_deref().unwrap_or(DEFAULT_PATH);
        Ok(Arn::iam(req.account(), "group", path, &input.group_name))
    }

    fn plan(_: &Request<'_>, _: &Self::Input, arn: &Arn) -> Result<Plan, Error> {
        Ok(Plan::require("iam:CreateGroup", Some(Resource::arn(arn))))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: Arn,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let g = d.iam.create_group(
            req.account(),
            &input.group_name,
            input.path.as_deref().unwrap_or(DEFAULT_PATH),
            req.now,
        )?;
        Ok(api::CreateGroupResponse {
            group: group_out(req.account(), &g),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetGroup.html>: the group and one
/// page of its members.
impl Op<IamDomain> for o::GetGroup {
    type Target = Named<GroupRecord>;
    const WRITES: bool = false;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.group_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:GetGroup",
            Some(group_resource(req, named)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let g = named.found()?;
        let (g, users) =
            d.iam
                .get_group(req.account(), &g.name, page(&input.marker, input.max_items))?;
        let (is_truncated, marker) = truncation(&users);
        Ok(api::GetGroupResponse {
            group: group_out(req.account(), &g),
            users: users
                .items
                .iter()
                .map(|u| user_out(req.account(), u, false))
                .collect(),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteGroup.html>
impl Op<IamDomain> for o::DeleteGroup {
    type Target = Named<GroupRecord>;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.group_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:DeleteGroup",
            Some(group_resource(req, named)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam.delete_group(req.account(), &named.found()?.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListGroups.html>: no resource type.
impl Op<IamDomain> for o::ListGroups {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:ListGroups", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = d.iam.list_groups(
            req.account(),
            input.path_prefix.as_deref(),
            page(&input.marker, input.max_items),
        )?;
        let (is_truncated, marker) = truncation(&p);
        Ok(api::ListGroupsResponse {
            groups: p
                .items
                .iter()
                .map(|g| group_out(req.account(), g))
                .collect(),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateGroup.html>: "The person
/// making the request (the principal), must have permission to change the group with the old
/// name and the new name": `iam:UpdateGroup` on the group's ARN and on the ARN it will have.
impl Op<IamDomain> for o::UpdateGroup {
    type Target = (Named<GroupRecord>, Option<Arn>);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        let named = Named::<GroupRecord>::find(d, req, &input.group_name)?;
        let moved = match &named {
            Named::Found(g) if input.new_group_name.is_some() || input.new_path.is_some() => {
                Some(Arn::iam(
                    req.account(),
                    "group",
                    input.new_path.as_deref().unwrap_or(&g.path),
                    input.new_group_name.as_deref().unwrap_or(&g.name),
                ))
            }
            _ => None,
        };
        Ok((named, moved))
    }

    fn plan(
        req: &Request<'_>,
        _: &Self::Input,
        (named, moved): &Self::Target,
    ) -> Result<Plan, Error> {
        Ok(
            Plan::require("iam:UpdateGroup", Some(group_resource(req, named)))
                .and_if(moved.is_some(), || {
                    Check::require("iam:UpdateGroup", moved.as_ref().map(Resource::arn))
                }),
        )
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        (named, _): Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let g = named.found()?;
        d.iam.update_group(
            req.account(),
            &g.name,
            input.new_group_name.as_deref(),
            input.new_path.as_deref(),
        )?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddUserToGroup.html>: the Service
/// Authorization Reference gives `iam:AddUserToGroup` the resource type `group` only; the user is
/// resolved too and acted on by its stored name. With both missing, the group is named (the
/// domain looks it up first).
impl Op<IamDomain> for o::AddUserToGroup {
    type Target = (Named<GroupRecord>, Named<UserRecord>);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Ok((
            Named::find(d, req, &input.group_name)?,
            Named::find(d, req, &input.user_name)?,
        ))
    }

    fn plan(req: &Request<'_>, _: &Self::Input, (g, _): &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:AddUserToGroup",
            Some(group_resource(req, g)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        (g, u): Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let g = g.found()?;
        let u = u.found()?;
        d.iam.add_user_to_group(req.account(), &g.name, &u.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_RemoveUserFromGroup.html>:
/// authorized on the group, like AddUserToGroup. AWS looks the user up before the group (see
/// [`crate::iam::Iam::remove_user_from_group`]), so a missing user is named first.
impl Op<IamDomain> for o::RemoveUserFromGroup {
    type Target = (Named<GroupRecord>, Named<UserRecord>);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Ok((
            Named::find(d, req, &input.group_name)?,
            Named::find(d, req, &input.user_name)?,
        ))
    }

    fn plan(req: &Request<'_>, _: &Self::Input, (g, _): &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:RemoveUserFromGroup",
            Some(group_resource(req, g)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        (g, u): Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let u = u.found()?;
        let g = g.found()?;
        d.iam
            .remove_user_from_group(req.account(), &g.name, &u.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListGroupsForUser.html>: on the
/// user, with its tags.
impl Op<IamDomain> for o::ListGroupsForUser {
    type Target = Named<UserRecord>;
    const WRITES: bool = false;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.user_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:ListGroupsForUser",
            Some(user_resource(req, named)),
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
        let p = d.iam.list_groups_for_user(
            req.account(),
            &u.name,
            page(&input.marker, input.max_items),
        )?;
        let (is_truncated, marker) = truncation(&p);
        Ok(api::ListGroupsForUserResponse {
            groups: p
                .items
                .iter()
                .map(|g| group_out(req.account(), g))
                .collect(),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}
