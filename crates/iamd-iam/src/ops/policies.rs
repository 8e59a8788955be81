//! Managed policies: CreatePolicy, GetPolicy, DeletePolicy, ListPolicies, their versions, their
//! tags and ListEntitiesForPolicy. A policy is named by ARN and resolved with [`NamedPolicy`]:
//! each operation is authorized on the policy's own ARN with its tags, or on the ARN as sent when
//! nothing has it.

use super::{
    NamedPolicy, at, page, removed_tag_keys, request_tag_keys, tags_in, tags_opt, tags_page,
    truncation,
};
use crate::arn::Arn;
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::records::Entity;
use crate::iam::{Page, PolicyRecord, PolicyVersionRecord, Tag, url_encode};
use crate::op::{Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::CreatePolicy>::OP,
    &Entry::<IamDomain, o::GetPolicy>::OP,
    &Entry::<IamDomain, o::DeletePolicy>::OP,
    &Entry::<IamDomain, o::ListPolicies>::OP,
    &Entry::<IamDomain, o::CreatePolicyVersion>::OP,
    &Entry::<IamDomain, o::GetPolicyVersion>::OP,
    &Entry::<IamDomain, o::DeletePolicyVersion>::OP,
    &Entry::<IamDomain, o::ListPolicyVersions>::OP,
    &Entry::<IamDomain, o::SetDefaultPolicyVersion>::OP,
    &Entry::<IamDomain, o::TagPolicy>::OP,
    &Entry::<IamDomain, o::UntagPolicy>::OP,
    &Entry::<IamDomain, o::ListPolicyTags>::OP,
    &Entry::<IamDomain, o::ListEntitiesForPolicy>::OP,
];

const DEFAULT_PATH: &str = "/";

/// A managed policy; `full` adds what only GetPolicy returns (description, tags).
/// `boundary_uses` is how many users and roles have it as permissions boundary.
pub(super) fn policy_out(
    acct: &str,
    p: &PolicyRecord,
    full: bool,
    boundary_uses: i64,
) -> api::Policy {
    api::Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.id.clone()),
        arn: Some(p.arn(acct)),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version.clone()),
        attachment_count: Some(p.attachment_count),
        permissions_boundary_usage_count: Some(boundary_uses),
        is_attachable: Some(true),
        description: p.description.clone().filter(|_| full),
        create_date: Some(at(p.created)),
        update_date: Some(at(p.updated)),
        tags: if full { tags_opt(&p.tags) } else { None },
    }
}

/// A version of `p`; `with_doc` adds its document (URL-encoded, as IAM answers documents).
pub(super) fn version_out(
    p: &PolicyRecord,
    v: &PolicyVersionRecord,
    with_doc: bool,
) -> api::PolicyVersion {
    api::PolicyVersion {
        document: with_doc.then(|| url_encode(&v.document)),
        version_id: Some(v.id.clone()),
        is_default_version: Some(p.default_version == v.id),
        create_date: Some(at(v.created)),
    }
}

/// An operation that names one policy by its ARN: resolved with [`NamedPolicy::find`],
/// authorized with `$action` on [`NamedPolicy::resource`] (with the request's keys `$keys`
/// computes, if any), then `$act` acts with the policy's own ARN.
macro_rules! on_policy {
    ($op:ident, $action:literal, $writes:expr, $act:ident) => {
        on_policy!($op, $action, $writes, $act, |_| iamd_policy::Context::new());
    };
    ($op:ident, $action:literal, $writes:expr, $act:ident, $keys:expr) => {
        impl Op<IamDomain> for o::$op {
            type Target = NamedPolicy;
            const WRITES: bool = $writes;

            fn resolve(
                d: &IamDomain,
                req: &Request<'_>,
                input: &Self::Input,
            ) -> Result<NamedPolicy, Error> {
                NamedPolicy::find(d, req, &input.policy_arn)
            }

            fn plan(_: &Request<'_>, input: &Self::Input, p: &NamedPolicy) -> Result<Plan, Error> {
                let keys: fn(&Self::Input) -> iamd_policy::Context = $keys;
                Ok(Plan::require_with($action, Some(p.resource()), keys(input)))
            }

            fn act(
                d: &IamDomain,
                req: &Request<'_>,
                input: Self::Input,
                p: NamedPolicy,
                _: Verdicts,
            ) -> Result<Self::Output, Error> {
                $act(d, req, input, p.arn())
            }
        }
    };
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html>: authorized on the
/// ARN the policy will have, with the tags the request sets.
impl Op<IamDomain> for o::CreatePolicy {
    type Target = Arn;
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<Arn, Error> {
        let path = input.path.as_deref().unwrap_or(DEFAULT_PATH);
        Ok(Arn::iam(req.account(), "policy", path, &input.policy_name))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, arn: &Arn) -> Result<Plan, Error> {
        Ok(Plan::require_with(
            "iam:CreatePolicy",
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
        let p = d.iam.create_policy(
            req.account(),
            &input.policy_name,
            input.path.as_deref().unwrap_or(DEFAULT_PATH),
            &input.policy_document,
            input.description.as_deref(),
            &tags_in(&input.tags),
            req.now,
        )?;
        Ok(api::CreatePolicyResponse {
            policy: Some(policy_out(req.account(), &p, false, 0)),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html>: no resource
/// type. `PolicyUsageFilter` is not applied (as before the port).
impl Op<IamDomain> for o::ListPolicies {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:ListPolicies", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let a = req.account();
        let p = d.iam.list_policies(
            a,
            input.scope.map(api::PolicyScopeType::as_str),
            input.only_attached.unwrap_or(false),
            input.path_prefix.as_deref(),
            page(&input.marker, input.max_items),
        )?;
        let uses = d.iam.boundary_uses(a)?;
        let (is_truncated, marker) = truncation(&p);
        Ok(api::ListPoliciesResponse {
            policies: Some(
                p.items
                    .iter()
                    .map(|x| {
                        let n = uses.get(&x.arn(a)).copied().unwrap_or(0);
                        policy_out(a, x, false, n)
                    })
                    .collect(),
            ),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicy.html>
on_policy!(GetPolicy, "iam:GetPolicy", false, get_policy);
fn get_policy(
    d: &IamDomain,
    req: &Request<'_>,
    _: api::GetPolicyRequest,
    arn: &str,
) -> Result<api::GetPolicyResponse, Error> {
    let a = req.account();
    let p = d.iam.get_policy(a, arn)?;
    let n = d.iam.boundary_uses(a)?.get(&p.arn(a)).copied().unwrap_or(0);
    Ok(api::GetPolicyResponse {
        policy: Some(policy_out(a, &p, true, n)),
    })
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html>
on_policy!(DeletePolicy, "iam:DeletePolicy", true, delete_policy);
fn delete_policy(
    d: &IamDomain,
    req: &Request<'_>,
    _: api::DeletePolicyRequest,
    arn: &str,
) -> Result<(), Error> {
    d.iam.delete_policy(req.account(), arn)
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html>
on_policy!(
    CreatePolicyVersion,
    "iam:CreatePolicyVersion",
    true,
    create_policy_version
);
fn create_policy_version(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::CreatePolicyVersionRequest,
    arn: &str,
) -> Result<api::CreatePolicyVersionResponse, Error> {
    let set_default = input.set_as_default.unwrap_or(false);
    let v = d.iam.create_policy_version(
        req.account(),
        arn,
        &input.policy_document,
        set_default,
        req.now,
    )?;
    Ok(api::CreatePolicyVersionResponse {
        policy_version: Some(api::PolicyVersion {
            document: None,
            version_id: Some(v.id),
            is_default_version: Some(set_default),
            create_date: Some(at(v.created)),
        }),
    })
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html>
on_policy!(
    GetPolicyVersion,
    "iam:GetPolicyVersion",
    false,
    get_policy_version
);
fn get_policy_version(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::GetPolicyVersionRequest,
    arn: &str,
) -> Result<api::GetPolicyVersionResponse, Error> {
    let (p, v) = d
        .iam
        .get_policy_version(req.account(), arn, &input.version_id)?;
    Ok(api::GetPolicyVersionResponse {
        policy_version: Some(version_out(&p, &v, true)),
    })
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicyVersion.html>
on_policy!(
    DeletePolicyVersion,
    "iam:DeletePolicyVersion",
    true,
    delete_policy_version
);
fn delete_policy_version(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::DeletePolicyVersionRequest,
    arn: &str,
) -> Result<(), Error> {
    d.iam
        .delete_policy_version(req.account(), arn, &input.version_id)
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicyVersions.html>: newest
// first, as AWS lists them.
on_policy!(
    ListPolicyVersions,
    "iam:ListPolicyVersions",
    false,
    list_policy_versions
);
fn list_policy_versions(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::ListPolicyVersionsRequest,
    arn: &str,
) -> Result<api::ListPolicyVersionsResponse, Error> {
    let p = d.iam.get_policy(req.account(), arn)?;
    let indexed: Vec<(usize, PolicyVersionRecord)> =
        p.versions.iter().rev().cloned().enumerate().collect();
    let page = crate::iam::paginate(
        indexed,
        |(i, _)| format!("{i:08}"),
        page(&input.marker, input.max_items),
    )?;
    let (is_truncated, marker) = truncation(&page);
    Ok(api::ListPolicyVersionsResponse {
        versions: Some(
            page.items
                .iter()
                .map(|(_, v)| version_out(&p, v, false))
                .collect(),
        ),
        is_truncated: Some(is_truncated),
        marker,
    })
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetDefaultPolicyVersion.html>
on_policy!(
    SetDefaultPolicyVersion,
    "iam:SetDefaultPolicyVersion",
    true,
    set_default_policy_version
);
fn set_default_policy_version(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::SetDefaultPolicyVersionRequest,
    arn: &str,
) -> Result<(), Error> {
    d.iam
        .set_default_policy_version(req.account(), arn, &input.version_id, req.now)
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagPolicy.html>: with the tags set as
// `aws:RequestTag/*` and `aws:TagKeys`.
on_policy!(TagPolicy, "iam:TagPolicy", true, tag_policy, |i| {
    request_tag_keys(&Some(i.tags.clone()))
});
fn tag_policy(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::TagPolicyRequest,
    arn: &str,
) -> Result<(), Error> {
    d.iam
        .tag_policy(req.account(), arn, &tags_in(&Some(input.tags)))
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagPolicy.html>: with the keys
// removed as `aws:TagKeys`.
on_policy!(UntagPolicy, "iam:UntagPolicy", true, untag_policy, |i| {
    removed_tag_keys(&i.tag_keys)
});
fn untag_policy(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::UntagPolicyRequest,
    arn: &str,
) -> Result<(), Error> {
    let keys: Vec<&str> = input.tag_keys.iter().map(String::as_str).collect();
    d.iam.untag_policy(req.account(), arn, &keys)
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicyTags.html>
on_policy!(
    ListPolicyTags,
    "iam:ListPolicyTags",
    false,
    list_policy_tags
);
fn list_policy_tags(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::ListPolicyTagsRequest,
    arn: &str,
) -> Result<api::ListPolicyTagsResponse, Error> {
    let p = d.iam.get_policy(req.account(), arn)?;
    let indexed: Vec<(usize, Tag)> = p.tags.into_iter().enumerate().collect();
    let page = crate::iam::paginate(
        indexed,
        |(i, _)| format!("{i:08}"),
        page(&input.marker, input.max_items),
    )?;
    let (tags, is_truncated, marker) = tags_page(Page {
        items: page.items.into_iter().map(|(_, t)| t).collect(),
        marker: page.marker,
    });
    Ok(api::ListPolicyTagsResponse {
        tags,
        is_truncated: Some(is_truncated),
        marker,
    })
}
/// One entry of ListEntitiesForPolicy's combined listing.
enum PolicyEntity {
    Group(api::PolicyGroup),
    User(api::PolicyUser),
    Role(api::PolicyRole),
}

// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListEntitiesForPolicy.html>: the
// groups, users and roles the policy is attached to (or is the boundary of), paged together:
// groups first, then users, then roles, each by name.
on_policy!(
    ListEntitiesForPolicy,
    "iam:ListEntitiesForPolicy",
    false,
    list_entities_for_policy
);
fn list_entities_for_policy(
    d: &IamDomain,
    req: &Request<'_>,
    input: api::ListEntitiesForPolicyRequest,
    arn: &str,
) -> Result<api::ListEntitiesForPolicyResponse, Error> {
    let e = d.iam.list_entities_for_policy(
        req.account(),
        arn,
        input.policy_usage_filter.map(api::PolicyUsageType::as_str),
    )?;
    let want = |k: api::EntityType| input.entity_filter.is_none_or(|f| f == k);
    let prefix = input.path_prefix.as_deref();
    let pathed = |p: &str| prefix.is_none_or(|x| p.starts_with(x));
    let mut all: Vec<(String, PolicyEntity)> = Vec::new();
    if want(api::EntityType::Group) {
        for g in e.groups.iter().filter(|g| pathed(&g.path)) {
            all.push((
                format!("1{}", g.key()),
                PolicyEntity::Group(api::PolicyGroup {
                    group_name: Some(g.name.clone()),
                    group_id: Some(g.id.clone()),
                }),
            ));
        }
    }
    if want(api::EntityType::User) {
        for u in e.users.iter().filter(|u| pathed(&u.path)) {
            all.push((
                format!("2{}", u.key()),
                PolicyEntity::User(api::PolicyUser {
                    user_name: Some(u.name.clone()),
                    user_id: Some(u.id.clone()),
                }),
            ));
        }
    }
    if want(api::EntityType::Role) {
        for r in e.roles.iter().filter(|r| pathed(&r.path)) {
            all.push((
                format!("3{}", r.key()),
                PolicyEntity::Role(api::PolicyRole {
                    role_name: Some(r.name.clone()),
                    role_id: Some(r.id.clone()),
                }),
            ));
        }
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let page = crate::iam::paginate(
        all,
        |(k, _)| k.clone(),
        page(&input.marker, input.max_items),
    )?;
    let (is_truncated, marker) = truncation(&page);
    let (mut groups, mut users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    for (_, entity) in page.items {
        match entity {
            PolicyEntity::Group(g) => groups.push(g),
            PolicyEntity::User(u) => users.push(u),
            PolicyEntity::Role(r) => roles.push(r),
        }
    }
    Ok(api::ListEntitiesForPolicyResponse {
        policy_groups: Some(groups),
        policy_users: Some(users),
        policy_roles: Some(roles),
        is_truncated: Some(is_truncated),
        marker,
    })
}
