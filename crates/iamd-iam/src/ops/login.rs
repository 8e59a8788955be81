//! Console passwords: login profiles (Create/Get/Update/DeleteLoginProfile, on the user), the
//! account password policy (Get/Update/DeleteAccountPasswordPolicy, no resource type) and
//! ChangePassword (the calling IAM user's own password, on that user).
//!
//! ChangePassword needs `iam:ChangePassword` on the caller's own user like any action; an account
//! whose password policy sets AllowUsersToChangePassword grants it (and
//! `iam:GetAccountPasswordPolicy`) to every IAM user as one more identity policy of the user
//! (`Iam::user_policies`, `password_policy::change_own_password_grant`), so the plan is the
//! ordinary one and explicit denies, boundaries and session policies still apply.

use super::{Named, UserOrRoot, at, user_resource};
use crate::accounts::Principal;
use crate::domains::IamDomain;
use crate::error::{Error, IamError};
use crate::iam::UserRecord;
use crate::iam::login::LoginProfile;
use crate::iam::password_policy::PasswordPolicy;
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use iamd_api::iam::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<IamDomain>] = &[
    &Entry::<IamDomain, o::CreateLoginProfile>::OP,
    &Entry::<IamDomain, o::GetLoginProfile>::OP,
    &Entry::<IamDomain, o::UpdateLoginProfile>::OP,
    &Entry::<IamDomain, o::DeleteLoginProfile>::OP,
    &Entry::<IamDomain, o::GetAccountPasswordPolicy>::OP,
    &Entry::<IamDomain, o::UpdateAccountPasswordPolicy>::OP,
    &Entry::<IamDomain, o::DeleteAccountPasswordPolicy>::OP,
    &Entry::<IamDomain, o::ChangePassword>::OP,
];

fn login_out(p: &LoginProfile) -> api::LoginProfile {
    api::LoginProfile {
        user_name: p.user_name.clone(),
        create_date: at(p.created),
        password_reset_required: Some(p.reset_required),
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html>: on the user
/// named, or the caller; the root has no login profile to create here.
impl Op<IamDomain> for o::CreateLoginProfile {
    type Target = UserOrRoot;
    const WRITES: bool = true;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:CreateLoginProfile",
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
        let u = target.user()?;
        let p = d.iam.create_login_profile(
            req.account(),
            &u.name,
            input.password.as_deref().unwrap_or_default(),
            input.password_reset_required.unwrap_or(false),
            req.now,
        )?;
        Ok(api::CreateLoginProfileResponse {
            login_profile: login_out(&p),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetLoginProfile.html>
impl Op<IamDomain> for o::GetLoginProfile {
    type Target = UserOrRoot;
    const WRITES: bool = false;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:GetLoginProfile",
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
        let p = d
            .iam
            .get_login_profile(req.account(), &target.user()?.name)?;
        Ok(api::GetLoginProfileResponse {
            login_profile: login_out(&p),
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateLoginProfile.html>: `UserName`
/// is required.
impl Op<IamDomain> for o::UpdateLoginProfile {
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
            "iam:UpdateLoginProfile",
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
        d.iam.update_login_profile(
            req.account(),
            &named.found()?.name,
            input.password.as_deref(),
            input.password_reset_required,
        )?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteLoginProfile.html>
impl Op<IamDomain> for o::DeleteLoginProfile {
    type Target = UserOrRoot;
    const WRITES: bool = true;

    fn resolve(d: &IamDomain, req: &Request<'_>, input: &Self::Input) -> Result<UserOrRoot, Error> {
        UserOrRoot::resolve(d, req, input.user_name.as_deref())
    }

    fn plan(req: &Request<'_>, _: &Self::Input, target: &UserOrRoot) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:DeleteLoginProfile",
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
        d.iam
            .delete_login_profile(req.account(), &target.user()?.name)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountPasswordPolicy.html>: no
/// resource type. Members in the PasswordPolicy shape's order; the optional ones only when set
/// (AWS's answer after an UpdateAccountPasswordPolicy without parameters has none of them:
/// aws/aws-cli#7265).
impl Op<IamDomain> for o::GetAccountPasswordPolicy {
    type Target = ();
    const WRITES: bool = false;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:GetAccountPasswordPolicy", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = d.iam.get_password_policy(req.account())?;
        Ok(api::GetAccountPasswordPolicyResponse {
            password_policy: api::PasswordPolicy {
                minimum_password_length: Some(p.minimum_length),
                require_symbols: Some(p.require_symbols),
                require_numbers: Some(p.require_numbers),
                require_uppercase_characters: Some(p.require_uppercase),
                require_lowercase_characters: Some(p.require_lowercase),
                allow_users_to_change_password: Some(p.allow_users_to_change),
                expire_passwords: Some(p.expire_passwords()),
                max_password_age: p.max_age,
                password_reuse_prevention: p.reuse_prevention,
                hard_expiry: p.hard_expiry,
            },
        })
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html>:
/// no resource type. Members left out take their defaults: "This operation does not support
/// partial updates" (API reference). The ranges (length 6–128, age 1–1095, reuse 1–24) are the
/// model's and were checked while decoding.
impl Op<IamDomain> for o::UpdateAccountPasswordPolicy {
    type Target = ();
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:UpdateAccountPasswordPolicy", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let p = PasswordPolicy {
            minimum_length: input
                .minimum_password_length
                .unwrap_or(PasswordPolicy::default().minimum_length),
            require_symbols: input.require_symbols.unwrap_or(false),
            require_numbers: input.require_numbers.unwrap_or(false),
            require_uppercase: input.require_uppercase_characters.unwrap_or(false),
            require_lowercase: input.require_lowercase_characters.unwrap_or(false),
            allow_users_to_change: input.allow_users_to_change_password.unwrap_or(false),
            max_age: input.max_password_age,
            reuse_prevention: input.password_reuse_prevention,
            hard_expiry: input.hard_expiry,
        };
        d.iam.update_password_policy(req.account(), &p)?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccountPasswordPolicy.html>:
/// no resource type.
impl Op<IamDomain> for o::DeleteAccountPasswordPolicy {
    type Target = ();
    const WRITES: bool = true;

    fn resolve(_: &IamDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("iam:DeleteAccountPasswordPolicy", None))
    }

    fn act(
        d: &IamDomain,
        req: &Request<'_>,
        _: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        d.iam.delete_password_policy(req.account())?;
        Ok(())
    }
}

/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html>: the caller's
/// own user. Only an IAM user has a password of its own to change: "If this command is called
/// using AWS account (root) credentials, the command returns an InvalidUserType error" (aws-cli's
/// change-password example); role and federated sessions get the same answer, before
/// authorization (as before the port).
impl Op<IamDomain> for o::ChangePassword {
    type Target = Named<UserRecord>;
    const WRITES: bool = true;

    fn resolve(d: &IamDomain, req: &Request<'_>, _: &Self::Input) -> Result<Self::Target, Error> {
        match &req.caller.principal {
            Principal::User { name, .. } => Named::find(d, req, name),
            _ => Err(IamError::InvalidUserType.into()),
        }
    }

    fn plan(req: &Request<'_>, _: &Self::Input, named: &Self::Target) -> Result<Plan, Error> {
        Ok(Plan::require(
            "iam:ChangePassword",
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
        d.iam.change_password(
            req.account(),
            &named.found()?.name,
            &input.old_password,
            &input.new_password,
        )?;
        Ok(())
    }
}
