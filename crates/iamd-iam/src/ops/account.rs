//! The account: GetAccountSummary and GetAccountAuthorizationDetails (no resource type, per the
//! Service Authorization Reference).

use super::policies::{policy_out, version_out};
use super::{boundary_out, entity_arn, page, role_trust, tags_out, truncation};
use crate::domains::IamDomain;
use crate::error::Error;
use crate::iam::details::{Detail, DetailFilter};
use crate::iam::{InstanceProfileRecord, RoleRecord, url_encode};
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use iamd_api::iam::{self as api, ops as o};
use std::collections::BTreeMap;

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::GetAccountSummary>::OP,
    &Entry::<IamDomain, o::GetAccountAuthorizationDetails>::OP,
];

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html>: entity
/// counts and the default quotas of
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>.
impl Op<IamDomain> for o::GetAccountSummary {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GetAccountSummary", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let c = d.iam.account_counts(req.account())?;
        let n = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
        let summary: BTreeMap<String, i64> = [
            ("Users", n(c.users)),
            ("UsersQuota", 5000),
            ("Groups", n(c.groups)),
            ("GroupsQuota", 300),
            ("Roles", n(c.roles)),
            ("RolesQuota", 1000),
            ("Policies", n(c.policies)),
            ("PoliciesQuota", 1500),
            ("PolicyVersionsInUse", n(c.policy_versions)),
            ("PolicyVersionsInUseQuota", 10000),
            ("VersionsPerPolicyQuota", 5),
            ("PolicySizeQuota", 6144),
            ("InstanceProfiles", n(c.instance_profiles)),
            ("InstanceProfilesQuota", 1000),
            ("AccessKeysPerUserQuota", 2),
            ("AccountAccessKeysPresent", i64::from(c.root_keys > 0)),
            ("AccountMFAEnabled", 0),
            ("GroupsPerUserQuota", 10),
            ("AttachedPoliciesPerUserQuota", 10),
            ("AttachedPoliciesPerGroupQuota", 10),
            ("AttachedPoliciesPerRoleQuota", 10),
            ("UserPolicySizeQuota", 2048),
            ("GroupPolicySizeQuota", 5120),
            ("RolePolicySizeQuota", 10240),
            ("AssumeRolePolicySizeQuota", 2048),
            ("MFADevices", 0),
            ("MFADevicesInUse", 0),
            ("SigningCertificatesPerUserQuota", 2),
            ("ServerCertificates", 0),
            ("ServerCertificatesQuota", 20),
            ("Providers", 0),
            ("GlobalEndpointTokenVersion", 1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Ok(api::GetAccountSummaryResponse {
            summary_map: Some(summary),
        })
    }
}

fn inline_out(list: &BTreeMap<String, String>) -> Vec<api::PolicyDetail> {
    list.iter()
        .map(|(name, doc)| api::PolicyDetail {
            policy_name: Some(name.clone()),
            policy_document: Some(url_encode(doc)),
        })
        .collect()
}

fn attached_out(arns: &[String]) -> Vec<api::AttachedPolicy> {
    arns.iter()
        .map(|arn| api::AttachedPolicy {
            policy_name: Some(arn.rsplit('/').next().unwrap_or(arn).to_owned()),
            policy_arn: Some(arn.clone()),
        })
        .collect()
}

/// An instance profile holding `role`, as a role's detail lists it (no tags).
fn profile_out(
    d: &IamDomain,
    acct: &str,
    p: &InstanceProfileRecord,
    role: &RoleRecord,
) -> api::InstanceProfile {
    api::InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: entity_arn(acct, "instance-profile", p).into_string(),
        create_date: super::at(p.created),
        roles: vec![api::Role {
            path: role.path.clone(),
            role_name: role.name.clone(),
            role_id: role.id.clone(),
            arn: entity_arn(acct, "role", role).into_string(),
            create_date: super::at(role.created),
            assume_role_policy_document: Some(url_encode(&role_trust(d, role))),
            description: role.description.clone(),
            max_session_duration: Some(role.max_session),
            permissions_boundary: None,
            tags: None,
            role_last_used: None,
            source_role_template: None,
        }],
        tags: None,
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html>:
/// users, groups, roles and managed policies, filtered and paged as one sequence (see
/// [`crate::iam::details`]). Trust policies show deleted principals as unique ids.
impl Op<IamDomain> for o::GetAccountAuthorizationDetails {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GetAccountAuthorizationDetails", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let a = req.account();
        let names: Vec<&str> = input.filter.iter().flatten().map(|f| f.as_str()).collect();
        let details = d.iam.account_details(
            a,
            DetailFilter::from_names(&names),
            page(&input.marker, input.max_items),
        )?;
        let boundary_uses = if details.items.iter().any(|d| matches!(d, Detail::Policy(_))) {
            d.iam.boundary_uses(a)?
        } else {
            Default::default()
        };
        let (is_truncated, marker) = truncation(&details);
        let (mut users, mut groups, mut roles, mut policies) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for detail in &details.items {
            match detail {
                Detail::User(u, gs) => users.push(api::UserDetail {
                    path: Some(u.path.clone()),
                    user_name: Some(u.name.clone()),
                    user_id: Some(u.id.clone()),
                    arn: Some(entity_arn(a, "user", u).into_string()),
                    create_date: Some(super::at(u.created)),
                    user_policy_list: Some(inline_out(&u.inline)),
                    group_list: Some(gs.iter().map(|g| g.name.clone()).collect()),
                    attached_managed_policies: Some(attached_out(&u.attached)),
                    permissions_boundary: boundary_out(&u.boundary),
                    tags: Some(tags_out(&u.tags)),
                }),
                Detail::Group(g) => groups.push(api::GroupDetail {
                    path: Some(g.path.clone()),
                    group_name: Some(g.name.clone()),
                    group_id: Some(g.id.clone()),
                    arn: Some(entity_arn(a, "group", g).into_string()),
                    create_date: Some(super::at(g.created)),
                    group_policy_list: Some(inline_out(&g.inline)),
                    attached_managed_policies: Some(attached_out(&g.attached)),
                }),
                // Role details carry no MaxSessionDuration or Description (RoleDetail shape).
                Detail::Role(r, profiles) => roles.push(api::RoleDetail {
                    path: Some(r.path.clone()),
                    role_name: Some(r.name.clone()),
                    role_id: Some(r.id.clone()),
                    arn: Some(entity_arn(a, "role", r).into_string()),
                    create_date: Some(super::at(r.created)),
                    assume_role_policy_document: Some(url_encode(&role_trust(d, r))),
                    instance_profile_list: Some(
                        profiles.iter().map(|p| profile_out(d, a, p, r)).collect(),
                    ),
                    role_policy_list: Some(inline_out(&r.inline)),
                    attached_managed_policies: Some(attached_out(&r.attached)),
                    permissions_boundary: boundary_out(&r.boundary),
                    tags: Some(tags_out(&r.tags)),
                    role_last_used: Some(super::roles::role_last_used(&d.iam, a, r)),
                }),
                // ManagedPolicyDetail has no Tags member.
                Detail::Policy(p) => {
                    let uses = boundary_uses.get(&p.arn(a)).copied().unwrap_or(0);
                    let base = policy_out(a, p, true, uses);
                    policies.push(api::ManagedPolicyDetail {
                        policy_name: base.policy_name,
                        policy_id: base.policy_id,
                        arn: base.arn,
                        path: base.path,
                        default_version_id: base.default_version_id,
                        attachment_count: base.attachment_count,
                        permissions_boundary_usage_count: base.permissions_boundary_usage_count,
                        is_attachable: base.is_attachable,
                        description: base.description,
                        create_date: base.create_date,
                        update_date: base.update_date,
                        policy_version_list: Some(
                            p.versions.iter().map(|v| version_out(p, v, true)).collect(),
                        ),
                    });
                }
            }
        }
        Ok(api::GetAccountAuthorizationDetailsResponse {
            user_detail_list: Some(users),
            group_detail_list: Some(groups),
            role_detail_list: Some(roles),
            policies: Some(policies),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}
