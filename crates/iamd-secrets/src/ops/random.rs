//! GetRandomPassword.

use crate::domains::SecretsDomain;
use crate::error::Error;
use crate::op::{Entry, Op, Operation, Plan, Request, Verdicts};
use crate::secrets::password::{PasswordSpec, generate};
use iamd_api::secretsmanager::{self as api, ops as o};

pub(super) static OPS: &[&dyn Operation<SecretsDomain>] =
    &[&Entry::<SecretsDomain, o::GetRandomPassword>::OP];

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html>:
/// no resource type; the rules are [`crate::secrets::password`]. At most 4,096 characters (the
/// model's limit), so it runs inline.
impl Op<SecretsDomain> for o::GetRandomPassword {
    type Target = ();
    const WRITES: bool = false;
    const INLINE: bool = true;

    fn resolve(_: &SecretsDomain, _: &Request<'_>, _: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    fn plan(_: &Request<'_>, _: &Self::Input, _: &()) -> Result<Plan, Error> {
        Ok(Plan::require("secretsmanager:GetRandomPassword", None))
    }

    fn act(
        _: &SecretsDomain,
        _: &Request<'_>,
        input: Self::Input,
        _: (),
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let spec = PasswordSpec {
            length: input
                .password_length
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(32),
            exclude_characters: input.exclude_characters.unwrap_or_default(),
            exclude_numbers: input.exclude_numbers.unwrap_or(false),
            exclude_punctuation: input.exclude_punctuation.unwrap_or(false),
            exclude_uppercase: input.exclude_uppercase.unwrap_or(false),
            exclude_lowercase: input.exclude_lowercase.unwrap_or(false),
            include_space: input.include_space.unwrap_or(false),
            require_each_included_type: input.require_each_included_type.unwrap_or(true),
        };
        let password = generate(&spec)?;
        Ok(api::GetRandomPasswordResponse {
            random_password: Some(password.as_str().to_owned()),
        })
    }
}
