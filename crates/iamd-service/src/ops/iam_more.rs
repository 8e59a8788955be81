//! GetAccountAuthorizationDetails (no resource type, per the Service Authorization Reference).
//! Registered in `ops::TABLES`.

use super::iam::{
    acct, boundary_out, page, policy_out, profile_out, role_out, tags_out, ts, version_out,
};
use super::{Authz, Ctx, OpSpec, no_resource};
use crate::error::Error;
use crate::iam::details::{Detail, DetailFilter};
use crate::iam::{entity_arn, url_encode};
use iamd_api::{Service, Value};
use std::collections::BTreeMap;

// --- GetAccountAuthorizationDetails -----------------------------------------------------------

fn inline_out(list: &BTreeMap<String, String>) -> Value {
    list.iter()
        .map(|(name, doc)| {
            Value::builder()
                .set("PolicyName", name.as_str())
                .set("PolicyDocument", url_encode(doc))
                .build()
        })
        .collect()
}

fn attached_out(arns: &[String]) -> Value {
    arns.iter()
        .map(|arn| {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            Value::builder()
                .set("PolicyName", name)
                .set("PolicyArn", arn.as_str())
                .build()
        })
        .collect()
}

fn get_account_authorization_details(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let filter = DetailFilter::from_names(&input.strings("Filter"));
    let details = ctx.core.iam.account_details(a, filter, page(input))?;
    let boundary_uses = if details.items.iter().any(|d| matches!(d, Detail::Policy(_))) {
        ctx.core.iam.boundary_uses(a)?
    } else {
        Default::default()
    };
    let (mut users, mut groups, mut roles, mut policies) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for d in &details.items {
        match d {
            Detail::User(u, gs) => users.push(
                Value::builder()
                    .set("Path", u.path.as_str())
                    .set("UserName", u.name.as_str())
                    .set("UserId", u.id.as_str())
                    .set("Arn", entity_arn(a, "user", &u.path, &u.name))
                    .set("CreateDate", ts(u.created))
                    .set("UserPolicyList", inline_out(&u.inline))
                    .set(
                        "GroupList",
                        gs.iter()
                            .map(|g| Value::from(g.name.as_str()))
                            .collect::<Value>(),
                    )
                    .set("AttachedManagedPolicies", attached_out(&u.attached))
                    .set_opt("PermissionsBoundary", boundary_out(&u.boundary))
                    .set("Tags", tags_out(&u.tags))
                    .build(),
            ),
            Detail::Group(g) => groups.push(
                Value::builder()
                    .set("Path", g.path.as_str())
                    .set("GroupName", g.name.as_str())
                    .set("GroupId", g.id.as_str())
                    .set("Arn", entity_arn(a, "group", &g.path, &g.name))
                    .set("CreateDate", ts(g.created))
                    .set("GroupPolicyList", inline_out(&g.inline))
                    .set("AttachedManagedPolicies", attached_out(&g.attached))
                    .build(),
            ),
            Detail::Role(r, profiles) => {
                let base = role_out(ctx, r, false);
                let mut b = Value::builder();
                for (k, v) in base.as_structure().unwrap_or_default() {
                    // Role details carry no MaxSessionDuration/Description (RoleDetail shape).
                    if !matches!(*k, "MaxSessionDuration" | "Description") {
                        b = b.set(k, v.clone());
                    }
                }
                roles.push(
                    b.set(
                        "InstanceProfileList",
                        profiles
                            .iter()
                            .map(|p| profile_out(ctx, p, std::slice::from_ref(r), false))
                            .collect::<Value>(),
                    )
                    .set("RolePolicyList", inline_out(&r.inline))
                    .set("AttachedManagedPolicies", attached_out(&r.attached))
                    .set_opt("PermissionsBoundary", boundary_out(&r.boundary))
                    .set("Tags", tags_out(&r.tags))
                    .set("RoleLastUsed", Value::builder().build())
                    .build(),
                );
            }
            Detail::Policy(p) => {
                let arn = p.arn(a);
                let uses = boundary_uses.get(&arn).copied().unwrap_or(0);
                let base = policy_out(a, p, true, uses);
                let mut b = Value::builder();
                for (k, v) in base.as_structure().unwrap_or_default() {
                    // ManagedPolicyDetail has no Tags member.
                    if *k != "Tags" {
                        b = b.set(k, v.clone());
                    }
                }
                policies.push(
                    b.set(
                        "PolicyVersionList",
                        p.versions
                            .iter()
                            .map(|v| version_out(p, v, true))
                            .collect::<Value>(),
                    )
                    .build(),
                );
            }
        }
    }
    let truncated = details.is_truncated();
    Ok(Value::builder()
        .set("UserDetailList", users.into_iter().collect::<Value>())
        .set("GroupDetailList", groups.into_iter().collect::<Value>())
        .set("RoleDetailList", roles.into_iter().collect::<Value>())
        .set("Policies", policies.into_iter().collect::<Value>())
        .set("IsTruncated", truncated)
        .set_opt("Marker", details.marker)
        .build())
}

macro_rules! op {
    ($name:literal, $res:expr, $mutates:expr, $run:expr) => {
        OpSpec {
            service: Service::Iam,
            name: $name,
            authz: Authz::Action {
                action: concat!("iam:", $name),
                resource: $res,
            },
            mutates: $mutates,
            run: $run,
        }
    };
}

pub const OPS: &[OpSpec] = &[op!(
    "GetAccountAuthorizationDetails",
    no_resource,
    false,
    get_account_authorization_details
)];
