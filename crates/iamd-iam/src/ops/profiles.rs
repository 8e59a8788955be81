//! Instance profiles: CreateInstanceProfile, GetInstanceProfile, DeleteInstanceProfile,
//! ListInstanceProfiles, their role (AddRoleToInstanceProfile, RemoveRoleFromInstanceProfile,
//! ListInstanceProfilesForRole) and their tags.
//!
//! An instance profile's resource is its ARN with its tags as `aws:ResourceTag/*` only (the
//! Service Authorization Reference lists no `iam:ResourceTag` for instance profiles).

use super::roles::{role_out, role_resource};
use super::{
    Named, at, entity_arn, named_resource, page, removed_tag_keys, request_tag_keys, resource_tags,
    tags_in, tags_opt, tags_page, truncation,
};
use crate::arn::Arn;
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::{Iam, InstanceProfileRecord, Page, RoleRecord};
use crate::op::{Check, Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};
use iamd_policy::Context;

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::CreateInstanceProfile>::OP,
    &Entry::<IamDomain, o::GetInstanceProfile>::OP,
    &Entry::<IamDomain, o::DeleteInstanceProfile>::OP,
    &Entry::<IamDomain, o::ListInstanceProfiles>::OP,
    &Entry::<IamDomain, o::AddRoleToInstanceProfile>::OP,
    &Entry::<IamDomain, o::RemoveRoleFromInstanceProfile>::OP,
    &Entry::<IamDomain, o::ListInstanceProfilesForRole>::OP,
    &Entry::<IamDomain, o::TagInstanceProfile>::OP,
    &Entry::<IamDomain, o::UntagInstanceProfile>::OP,
    &Entry::<IamDomain, o::ListInstanceProfileTags>::OP,
];

const DEFAULT_PATH: &str = "/";

/// An instance profile's resource: its ARN with its tags.
pub(crate) fn profile_resource(
    req: &Request<'_>,
    named: &Named<InstanceProfileRecord>,
) -> Resource {
    named_resource(req, "instance-profile", named, |p, r| {
        resource_tags(r, &p.tags)
    })
}

/// An instance profile with its roles (as ListRoles shows them); `tags` only for Get/Create (the
/// list operations do not return tags).
pub(crate) fn profile_out(
    iam: &Iam,
    account: &str,
    p: &InstanceProfileRecord,
    roles: &[RoleRecord],
    tags: bool,
) -> api::InstanceProfile {
    api::InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: entity_arn(account, "instance-profile", p).into_string(),
        create_date: at(p.created),
        roles: roles
            .iter()
            .map(|r| role_out(iam, account, r, false))
            .collect(),
        tags: if tags { tags_opt(&p.tags) } else { None },
    }
}

/// A page of instance profiles, `IsTruncated` and `Marker`.
fn profiles_page(
    iam: &Iam,
    account: &str,
    p: Page<(InstanceProfileRecord, Vec<RoleRecord>)>,
) -> (Vec<api::InstanceProfile>, bool, Option<String>) {
    let (truncated, marker) = truncation(&p);
    let items = p
        .items
        .iter()
        .map(|(p, roles)| profile_out(iam, account, p, roles, false))
        .collect();
    (items, truncated, marker)
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html>:
/// authorized on the ARN the instance profile will have, with the tags the request sets.
impl Op<IamDomain> for o::CreateInstanceProfile {
    type Target = Arn;
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<Arn, Error> {
        let path = input.path.as_deref().unwrap_or(DEFAULT_PATH);
        Ok(Arn::iam(
            req.account(),
            "instance-profile",
            path,
            &input.instance_profile_name,
        ))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, arn: &Arn) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "iam:CreateInstanceProfile",
            Some(Resource::arn(arn)),
            request_tag_keys(&input.tags),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: Arn,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = d.iam.create_instance_profile(
            req.account(),
            &input.instance_profile_name,
            input.path.as_deref().unwrap_or(DEFAULT_PATH),
            &tags_in(&input.tags),
            req.now,
        )?;
        Ok(api::CreateInstanceProfileResponse {
            instance_profile: profile_out(&d.iam, req.account(), &p, &[], true),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetInstanceProfile.html>
impl Op<IamDomain> for o::GetInstanceProfile {
    type Target = Named<InstanceProfileRecord>;
    const WRITES: bool = false;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.instance_profile_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:GetInstanceProfile",
            Some(profile_resource(req, named)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = named.found()?;
        let (p, roles) = d.iam.get_instance_profile(req.account(), &p.name)?;
        Ok(api::GetInstanceProfileResponse {
            instance_profile: profile_out(&d.iam, req.account(), &p, &roles, true),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteInstanceProfile.html>
impl Op<IamDomain> for o::DeleteInstanceProfile {
    type Target = Named<InstanceProfileRecord>;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.instance_profile_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:DeleteInstanceProfile",
            Some(profile_resource(req, named)),
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
            .delete_instance_profile(req.account(), &named.found()?.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfiles.html>: no
/// resource type.
impl Op<IamDomain> for o::ListInstanceProfiles {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:ListInstanceProfiles", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = d.iam.list_instance_profiles(
            req.account(),
            input.path_prefix.as_deref(),
            None,
            page(&input.marker, input.max_items),
        )?;
        let (instance_profiles, is_truncated, marker) = profiles_page(&d.iam, req.account(), p);
        Ok(api::ListInstanceProfilesResponse {
            instance_profiles,
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html>:
/// authorized on the instance profile (its resource type in the Service Authorization
/// Reference); the role is resolved too and acted on by its stored name. With both missing, the
/// instance profile is named (the domain looks it up first).
impl Op<IamDomain> for o::AddRoleToInstanceProfile {
    type Target = (Named<InstanceProfileRecord>, Named<RoleRecord>);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Ok((
            Named::find(d, req, &input.instance_profile_name)?,
            Named::find(d, req, &input.role_name)?,
        ))
    }

    /// The API reference: "The caller of this operation must be granted the PassRole permission
    /// on the IAM role" — an instance profile hands its role to every EC2 instance it is
    /// attached to. The PassRole check carries `iam:AssociatedResourceArn` as the reference says
    /// it is for this action (`arn:aws:ec2:*:<caller's account>:instance/*`) and
    /// `iam:PassedToService` `ec2.amazonaws.com` (the only service that uses instance profiles;
    /// our choice, pinned in `test_add_role_to_instance_profile_needs_pass_role`).
    fn plan(req: &Request<'_>, _: &Self::Input, (p, r): &Self::Target) -> Result<Plan, Error> {
        let mut keys = Context::new();
        keys.set("iam:PassedToService", "ec2.amazonaws.com");
        keys.set(
            "iam:AssociatedResourceArn",
            format!("arn:aws:ec2:*:{}:instance/*", req.account()).as_str(),
        );
        Ok(Plan::require(
            "iam:AddRoleToInstanceProfile",
            Some(profile_resource(req, p)),
        )
        .and(Check::require("iam:PassRole", Some(role_resource(req, r))).with_keys(keys)))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        (p, r): Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = p.found()?;
        let r = r.found()?;
        d.iam
            .add_role_to_instance_profile(req.account(), &p.name, &r.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_RemoveRoleFromInstanceProfile.html>:
/// authorized on the instance profile, like AddRoleToInstanceProfile.
impl Op<IamDomain> for o::RemoveRoleFromInstanceProfile {
    type Target = (Named<InstanceProfileRecord>, Named<RoleRecord>);
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Ok((
            Named::find(d, req, &input.instance_profile_name)?,
            Named::find(d, req, &input.role_name)?,
        ))
    }

    fn plan(req: &Request<'_>, _: &Self::Input, (p, _): &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:RemoveRoleFromInstanceProfile",
            Some(profile_resource(req, p)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        (p, r): Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = p.found()?;
        let r = r.found()?;
        d.iam
            .remove_role_from_instance_profile(req.account(), &p.name, &r.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfilesForRole.html>:
/// on the role, with its tags.
impl Op<IamDomain> for o::ListInstanceProfilesForRole {
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
            "iam:ListInstanceProfilesForRole",
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
        let p = d.iam.list_instance_profiles(
            req.account(),
            None,
            Some(&r.name),
            page(&input.marker, input.max_items),
        )?;
        let (instance_profiles, is_truncated, marker) = profiles_page(&d.iam, req.account(), p);
        Ok(api::ListInstanceProfilesForRoleResponse {
            instance_profiles,
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagInstanceProfile.html>
impl Op<IamDomain> for o::TagInstanceProfile {
    type Target = Named<InstanceProfileRecord>;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.instance_profile_name)
    }

    fn plan(req: &Request<'_>, input: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "iam:TagInstanceProfile",
            Some(profile_resource(req, named)),
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
        let p = named.found()?;
        d.iam
            .tag::<InstanceProfileRecord>(req.account(), &p.name, &tags_in(&Some(input.tags)))?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagInstanceProfile.html>
impl Op<IamDomain> for o::UntagInstanceProfile {
    type Target = Named<InstanceProfileRecord>;
    const WRITES: bool = true;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.instance_profile_name)
    }

    fn plan(req: &Request<'_>, input: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "iam:UntagInstanceProfile",
            Some(profile_resource(req, named)),
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
        let p = named.found()?;
        let keys: Vec<&str> = input.tag_keys.iter().map(String::as_str).collect();
        d.iam
            .untag::<InstanceProfileRecord>(req.account(), &p.name, &keys)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfileTags.html>
impl Op<IamDomain> for o::ListInstanceProfileTags {
    type Target = Named<InstanceProfileRecord>;
    const WRITES: bool = false;

    fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        input: &Self::Input,
    ) -> Result<Self::Target, Error> {
        Named::find(d, req, &input.instance_profile_name)
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:ListInstanceProfileTags",
            Some(profile_resource(req, named)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        named: Self::Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = named.found()?;
        let (tags, is_truncated, marker) = tags_page(d.iam.list_tags::<InstanceProfileRecord>(
            req.account(),
            &p.name,
            page(&input.marker, input.max_items),
        )?);
        Ok(api::ListInstanceProfileTagsResponse {
            tags,
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}
