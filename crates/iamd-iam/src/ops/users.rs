//! Users: CreateUser, GetUser, UpdateUser, DeleteUser, ListUsers, and their tags.

use super::{
    Named, UserOrRoot, at, page, removed_tag_keys, request_tag_keys, tags_in, tags_page,
    truncation, user_out, user_resource,
};
use crate::arn::Arn;
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::UserRecord;
use crate::op::{Check, Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::CreateUser>::OP,
    &Entry::<IamDomain, o::GetUser>::OP,
    &Entry::<IamDomain, o::UpdateUser>::OP,
    &Entry::<IamDomain, o::DeleteUser>::OP,
    &Entry::<IamDomain, o::ListUsers>::OP,
    &Entry::<IamDomain, o::TagUser>::OP,
    &Entry::<IamDomain, o::UntagUser>::OP,
    &Entry::<IamDomain, o::ListUserTags>::OP,
];

const DEFAULT_PATH: &str = "/";

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html>: authorized on the
/// ARN the user will have, with the tags (`aws:RequestTag/*`, `aws:TagKeys`) and the boundary
/// (`iam:PermissionsBoundary`) the request sets.
impl Op<IamDomain> for o::CreateUser {
    type Target = Arn;
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<Arn, Error> {
        let path = input.path.as_deref().unwrap_or(DEFAULT_PATH);
        Ok(Arn::iam(req.account(), "user", path, &input.user_name))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, arn: &Arn) -> Result<Plan, Error> {
        let mut keys = request_tag_keys(&input.tags);
        if let Some(b) = &input.permissions_boundary {
            keys.set("iam:PermissionsBoundary", b.as_str());
        }
        Ok(Plan::require_with(
            "iam:CreateUser",
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
        let u = d.iam.create_user(
            req.account(),
            &input.user_name,
            input.path.as_deref().unwrap_or(DEFAULT_PATH),
            input.permissions_boundary.as_deref(),
            &tags_in(&input.tags),
            req.now,
        )?;
        Ok(api::CreateUserResponse {
            user: Some(user_out(req.account(), &u, true)),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html>: the named user, or
/// the caller; the root has its own shape (its account id as UserId, no UserName or Path).
impl Op<IamDomain> for o::GetUser {
    type Target = UserOrRoot;
    const WRITES: bool = false;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GetUser", Some(target.resource(req))))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        target: UserOrRoot,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let user = match target {
            UserOrRoot::User(named) => user_out(req.account(), &named.found()?, true),
            UserOrRoot::Root => {
                let created = d.accounts.created_at(req.account())?.unwrap_or(req.now);
                api::User {
                    path: None,
                    user_name: None,
                    user_id: req.account().to_owned(),
                    arn: req.caller.arn(),
                    create_date: at(created),
                    password_last_used: None,
                    permissions_boundary: None,
                    tags: None,
                }
            }
        };
        Ok(api::GetUserResponse { user })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateUser.html>: "To change a user
/// name, the requester must have appropriate permissions on both the source object and the
/// target object": `iam:UpdateUser` on the user's ARN and on the ARN it will have.
impl Op<IamDomain> for o::UpdateUser {
    type Target = (Named<UserRecord>, Option<Arn>);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        let named = Named::<UserRecord>::find(d, req, &input.user_name)?;
        let moved = match &named {
            Named::Found(u) if input.new_user_name.is_some() || input.new_path.is_some() => {
                Some(Arn::iam(
                    req.account(),
                    "user",
                    input.new_path.as_deref().unwrap_or(&u.path),
                    input.new_user_name.as_deref().unwrap_or(&u.name),
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
            Plan::require("iam:UpdateUser", Some(user_resource(req, named)))
                .and_if(moved.is_some(), || {
                    Check::require("iam:UpdateUser", moved.as_ref().map(Resource::arn))
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
        let u = named.found()?;
        d.iam.update_user(
            &d.accounts,
            req.account(),
            &u.name,
            input.new_user_name.as_deref(),
            input.new_path.as_deref(),
        )?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html>
impl Op<IamDomain> for o::DeleteUser {
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
            "iam:DeleteUser",
            Some(user_resource(req, named)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam.delete_user(req.account(), &named.found()?.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html>: no resource type.
impl Op<IamDomain> for o::ListUsers {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:ListUsers", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = d.iam.list_users(
            req.account(),
            input.path_prefix.as_deref(),
            page(&input.marker, input.max_items),
        )?;
        let (is_truncated, marker) = truncation(&p);
        Ok(api::ListUsersResponse {
            users: p
                .items
                .iter()
                .map(|u| user_out(req.account(), u, false))
                .collect(),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagUser.html>
impl Op<IamDomain> for o::TagUser {
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
            "iam:TagUser",
            Some(user_resource(req, named)),
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
        let u = named.found()?;
        d.iam
            .tag::<UserRecord>(req.account(), &u.name, &tags_in(&Some(input.tags)))?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagUser.html>
impl Op<IamDomain> for o::UntagUser {
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
            "iam:UntagUser",
            Some(user_resource(req, named)),
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
        let u = named.found()?;
        let keys: Vec<&str> = input.tag_keys.iter().map(String::as_str).collect();
        d.iam.untag::<UserRecord>(req.account(), &u.name, &keys)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUserTags.html>
impl Op<IamDomain> for o::ListUserTags {
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
            "iam:ListUserTags",
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
        let (tags, is_truncated, marker) = tags_page(d.iam.list_tags::<UserRecord>(
            req.account(),
            &u.name,
            page(&input.marker, input.max_items),
        )?);
        Ok(api::ListUserTagsResponse {
            tags,
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn entity_arns_use_the_stored_path_and_case() {
        let u = crate::iam::UserRecord {
            name: "Alice".into(),
            path: "/dev/".into(),
            id: "AIDA".into(),
            created: 0,
            tags: vec![],
            boundary: None,
            inline: Default::default(),
            attached: vec![],
            groups: vec![],
        };
        assert_eq!(
            crate::iam::ops::entity_arn("111122223333", "user", &u).as_str(),
            "arn:aws:iam::111122223333:user/dev/Alice"
        );
    }
}
