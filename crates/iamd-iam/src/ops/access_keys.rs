//! Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey (on the user
//! named, else the caller: an IAM user, or the account root for its own keys) and
//! GetAccessKeyLastUsed (on the key's owner).

use super::{Named, UserOrRoot, at, page, truncation};
use crate::domains::IamDomain;
use crate::error::{Error, IamError};
use crate::iam::records::Entity;
use crate::iam::{KeyScope, UserRecord};
use crate::op::{Entry, Op, Operation, Plan, Request, Resource, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::CreateAccessKey>::OP,
    &Entry::<IamDomain, o::ListAccessKeys>::OP,
    &Entry::<IamDomain, o::UpdateAccessKey>::OP,
    &Entry::<IamDomain, o::DeleteAccessKey>::OP,
    &Entry::<IamDomain, o::GetAccessKeyLastUsed>::OP,
];

/// The keys' owner as the domain takes it: the user by its canonical name, or the root. A user
/// that does not exist is NoSuchEntity for the name as sent.
fn scope(target: &UserOrRoot) -> Result<KeyScope<'_>, Error> {
    match target {
        UserOrRoot::User(Named::Found(u)) => Ok(KeyScope::User(&u.name)),
        UserOrRoot::User(Named::Missing(name)) => Err(UserRecord::not_found(name)),
        UserOrRoot::Root => Ok(KeyScope::Root),
    }
}

fn status(active: bool) -> api::StatusType {
    if active {
        api::StatusType::Active
    } else {
        api::StatusType::Inactive
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html>
impl Op<IamDomain> for o::CreateAccessKey {
    type Target = UserOrRoot;
    const WRITES: bool = true;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:CreateAccessKey",
            Some(target.resource(req)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        target: UserOrRoot,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let (k, secret) =
            d.iam
                .create_access_key(&d.accounts, req.account(), scope(&target)?, req.now)?;
        Ok(api::CreateAccessKeyResponse {
            access_key: api::AccessKey {
                user_name: k.user.clone(),
                access_key_id: k.access_key_id.clone(),
                status: status(k.active),
                secret_access_key: secret.as_str().to_owned(),
                create_date: Some(at(k.created_at)),
            },
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccessKeys.html>
impl Op<IamDomain> for o::ListAccessKeys {
    type Target = UserOrRoot;
    const WRITES: bool = false;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:ListAccessKeys",
            Some(target.resource(req)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        target: UserOrRoot,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = d.iam.list_access_keys(
            req.account(),
            scope(&target)?,
            page(&input.marker, input.max_items),
        )?;
        let (is_truncated, marker) = truncation(&p);
        Ok(api::ListAccessKeysResponse {
            access_key_metadata: p
                .items
                .iter()
                .map(|k| api::AccessKeyMetadata {
                    user_name: k.user.clone(),
                    access_key_id: Some(k.access_key_id.clone()),
                    status: Some(status(k.active)),
                    create_date: Some(at(k.created_at)),
                })
                .collect(),
            is_truncated: Some(is_truncated),
            marker,
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html>: authorized on
/// the user named (or the caller); the domain refuses a key that is not that user's with
/// NoSuchEntity.
impl Op<IamDomain> for o::UpdateAccessKey {
    type Target = UserOrRoot;
    const WRITES: bool = true;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:UpdateAccessKey",
            Some(target.resource(req)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        target: UserOrRoot,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam.update_access_key(
            &d.accounts,
            req.account(),
            scope(&target)?,
            &input.access_key_id,
            input.status == api::StatusType::Active,
        )?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccessKey.html>: as
/// UpdateAccessKey.
impl Op<IamDomain> for o::DeleteAccessKey {
    type Target = UserOrRoot;
    const WRITES: bool = true;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:DeleteAccessKey",
            Some(target.resource(req)),
        ))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        target: UserOrRoot,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam.delete_access_key(
            &d.accounts,
            req.account(),
            scope(&target)?,
            &input.access_key_id,
        )?;
        Ok(())
    }
}

/// The key GetAccessKeyLastUsed asks about, with its owner.
#[derive(Debug)]
pub enum KeyOwner {
    /// The key's user (`None`: a root key) and that user as found.
    Found(Option<String>, Box<UserOrRoot>),
    /// No key of the caller's account has this id.
    Unknown(String),
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html>: acts on
/// the user owning the key (the root for its own keys). The last use is what the server recorded
/// for the key (`crate::last_used`): its date, the service namespace and the Region of the
/// request; a key never used answers `ServiceName` and `Region` `N/A` without a date, as AWS
/// does. A key id that names no key of the
/// caller's account is authorized on `access key <id>` and then refused, whoever asks, with
/// AWS's own wording (no colon after "perform"): `User: <caller> is not authorized to perform
/// iam:GetAccessKeyLastUsed on resource: access key <id>` (LocalStack's snapshot recorded
/// against AWS, test_iam_users `get-last-used-nonexistent-key-error`).
impl Op<IamDomain> for o::GetAccessKeyLastUsed {
    type Target = KeyOwner;
    const WRITES: bool = false;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<KeyOwner, Error> {
        let Some(k) = d.iam.find_access_key(req.account(), &input.access_key_id)? else {
            return Ok(KeyOwner::Unknown(input.access_key_id.clone()));
        };
        let owner = match &k.user {
            Some(name) => UserOrRoot::User(Named::find(d, req, name)?),
            None => UserOrRoot::Root,
        };
        Ok(KeyOwner::Found(k.user, Box::new(owner)))
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &KeyOwner) -> Result<Plan, Error> {
        let resource = match target {
            KeyOwner::Found(_, owner) => owner.resource(req),
            KeyOwner::Unknown(id) => Resource::as_named(&format!("access key {id}")),
        };
        Ok(Plan::require("iam:GetAccessKeyLastUsed", Some(resource)))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        target: KeyOwner,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let user_name = match target {
            KeyOwner::Found(user_name, _) => user_name,
            KeyOwner::Unknown(key_id) => {
                return Err(IamError::AccessKeyLastUsedDenied {
                    caller: req.caller.arn(),
                    key_id,
                }
                .into());
            }
        };
        let used = d.iam.last_use(
            req.account(),
            &crate::iam::last_used::Subject::AccessKey(input.access_key_id),
        )?;
        Ok(api::GetAccessKeyLastUsedResponse {
            user_name,
            access_key_last_used: Some(match used {
                Some(u) => api::AccessKeyLastUsed {
                    last_used_date: Some(super::at(u.at)),
                    service_name: u.service,
                    region: u.region,
                },
                None => api::AccessKeyLastUsed {
                    last_used_date: None,
                    service_name: "N/A".to_owned(),
                    region: "N/A".to_owned(),
                },
            }),
        })
    }
}
