//! Built-in rotators: the jobs AWS's rotation Lambda functions do (its published templates),
//! done by iamd itself, so that `RotateSecret` works with no function to deploy (issue #18).
//!
//! A rotation is AWS's four steps (createSecret → setSecret → testSecret → finishSecret). The
//! engine (in `iamd-secrets`) owns the secret's versions and labels: it creates the empty
//! `AWSPENDING` version, stores what [`Rotator::create_secret`] returns into it, and does
//! finishSecret (moving `AWSCURRENT`) itself, exactly as AWS's templates do it. A rotator owns
//! the outside system: it makes the new value and, where there is a system (a database, a
//! webhook), sets and tests it there. Everything a rotator reads goes through its
//! [`RotationHost`], which acts with the permissions of the principal that configured the
//! rotation, never with iamd's own.
//!
//! A rotator is chosen by the function name of `RotationLambdaARN`:
//! `arn:aws:lambda:REGION:ACCOUNT:function:iamd-rotator-<name>` (see [`rotator_name`]).

use zeroize::Zeroizing;

pub mod postgres;
pub mod webhook;

pub use postgres::{PostgresAlternatingUsers, PostgresOptions, PostgresSingleUser};

/// The prefix of the Lambda function names that select a built-in rotator.
pub const FUNCTION_PREFIX: &str = "iamd-rotator-";

/// The four steps of a rotation, named as AWS names them in the events it sends its functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    CreateSecret,
    SetSecret,
    TestSecret,
    FinishSecret,
}

impl Step {
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::CreateSecret => "createSecret",
            Step::SetSecret => "setSecret",
            Step::TestSecret => "testSecret",
            Step::FinishSecret => "finishSecret",
        }
    }
}

/// Why a step failed. The message is shown to operators (logs, DescribeSecret extensions): it
/// must never hold a secret value or password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RotationError {
    pub message: String,
}

impl RotationError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// GetRandomPassword's parameters, as AWS's templates pass them.
#[derive(Debug, Clone)]
pub struct PasswordParams {
    pub length: usize,
    pub exclude_characters: String,
    pub exclude_numbers: bool,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    pub exclude_lowercase: bool,
    pub include_space: bool,
    pub require_each_included_type: bool,
}

impl Default for PasswordParams {
    /// AWS's templates: 32 characters, excluding `:/@"'\` (EXCLUDE_CHARACTERS' default), each
    /// included type required.
    fn default() -> Self {
        Self {
            length: 32,
            exclude_characters: ":/@\"'\\".to_owned(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each_included_type: true,
        }
    }
}

/// What a rotator may use, on behalf of the principal that configured the rotation.
pub trait RotationHost {
    /// The rotated secret's ARN.
    fn secret_arn(&self) -> &str;
    /// The rotation's token: the VersionId of the pending version.
    fn token(&self) -> &str;
    /// The rotated secret's tags (rotators read their parameters from `iamd:rotator:*` tags).
    fn tags(&self) -> &[(String, String)];
    /// `SecretString` of another secret (e.g. the master secret of alternating users) at
    /// `AWSCURRENT`, as GetSecretValue gives it to the configuring principal: refused if that
    /// principal may not read it.
    fn other_secret_value(&self, secret_id: &str) -> Result<Zeroizing<String>, RotationError>;
    /// A password as GetRandomPassword makes it.
    fn random_password(&self, params: &PasswordParams) -> Result<Zeroizing<String>, RotationError>;
}

/// The values of the rotated secret a step sees (`SecretString`s).
pub struct Values<'a> {
    pub current: &'a str,
    pub previous: Option<&'a str>,
    /// `None` at createSecret; the value createSecret stored afterwards.
    pub pending: Option<&'a str>,
}

/// One kind of rotation.
pub trait Rotator: Send + Sync {
    /// The name after [`FUNCTION_PREFIX`].
    fn name(&self) -> &'static str;
    /// createSecret: the new value, which the engine stores as the `AWSPENDING` version.
    fn create_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<Zeroizing<String>, RotationError>;
    /// setSecret: makes the outside system accept the pending value (nothing to do for a value
    /// whose consumers simply re-read it).
    fn set_secret(&self, host: &dyn RotationHost, values: &Values<'_>)
    -> Result<(), RotationError>;
    /// testSecret: proves the pending value works.
    fn test_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<(), RotationError>;
}

/// The rotators a server offers, found by name.
pub struct Rotators {
    list: Vec<Box<dyn Rotator>>,
}

impl Rotators {
    pub fn new(list: Vec<Box<dyn Rotator>>) -> Self {
        Self { list }
    }

    /// The rotator a `RotationLambdaARN` names, if it names one this server offers.
    pub fn for_lambda_arn(&self, lambda_arn: &str) -> Option<&dyn Rotator> {
        let name = rotator_name(lambda_arn)?;
        self.list
            .iter()
            .find(|r| r.name() == name)
            .map(|r| r.as_ref())
    }
}

impl Default for Rotators {
    /// The rotators that need no configuration.
    fn default() -> Self {
        Self::new(vec![Box::new(PasswordRotator)])
    }
}

/// The rotator name in a `RotationLambdaARN` of the built-in form, or `None` for any other ARN.
pub fn rotator_name(lambda_arn: &str) -> Option<&str> {
    let mut parts = lambda_arn.splitn(7, ':');
    let (Some("arn"), Some(_partition), Some("lambda"), Some(region), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if region.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (Some("function"), Some(function)) = (parts.next(), parts.next()) else {
        return None;
    };
    function
        .strip_prefix(FUNCTION_PREFIX)
        .filter(|n| !n.is_empty())
}

/// `password`: a new random value for secrets whose consumers re-read them. The value is a
/// password alone, or, when the current value is a JSON object with a `password` member, that
/// object with a new `password` (the shape AWS's database templates use).
pub struct PasswordRotator;

impl Rotator for PasswordRotator {
    fn name(&self) -> &'static str {
        "password"
    }

    fn create_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<Zeroizing<String>, RotationError> {
        let password = host.random_password(&password_params(host.tags())?)?;
        match serde_json::from_str::<serde_json::Value>(values.current) {
            Ok(serde_json::Value::Object(mut object)) if object.contains_key("password") => {
                object.insert(
                    "password".to_owned(),
                    serde_json::Value::String(password.to_string()),
                );
                let out = serde_json::to_string(&object)
                    .map_err(|e| RotationError::new(format!("encoding the new value: {e}")))?;
                // The map held a copy of the password: clear what can be reached.
                if let Some(serde_json::Value::String(s)) = object.get_mut("password") {
                    zeroize::Zeroize::zeroize(s);
                }
                Ok(Zeroizing::new(out))
            }
            _ => Ok(password),
        }
    }

    fn set_secret(&self, _: &dyn RotationHost, _: &Values<'_>) -> Result<(), RotationError> {
        Ok(())
    }

    fn test_secret(&self, _: &dyn RotationHost, values: &Values<'_>) -> Result<(), RotationError> {
        match values.pending {
            Some(p) if !p.is_empty() => Ok(()),
            _ => Err(RotationError::new("the pending version has no value")),
        }
    }
}

/// GetRandomPassword's parameters from the secret's `iamd:rotator:password-length` and
/// `iamd:rotator:exclude-characters` tags, AWS's template defaults otherwise.
pub fn password_params(tags: &[(String, String)]) -> Result<PasswordParams, RotationError> {
    let mut p = PasswordParams::default();
    for (k, v) in tags {
        match k.as_str() {
            "iamd:rotator:password-length" => {
                p.length = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=4096).contains(n))
                    .ok_or_else(|| {
                        RotationError::new(
                            "the tag iamd:rotator:password-length must be a number from 1 to 4096",
                        )
                    })?;
            }
            "iamd:rotator:exclude-characters" => p.exclude_characters = v.clone(),
            _ => {}
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_built_in_function_form_names_a_rotator() {
        assert_eq!(
            rotator_name("arn:aws:lambda:us-east-1:111122223333:function:iamd-rotator-password"),
            Some("password")
        );
        for arn in [
            "arn:aws:lambda:us-east-1:111122223333:function:my-rotator",
            "arn:aws:lambda:us-east-1:111122223333:function:iamd-rotator-",
            "arn:aws:lambda:us-east-1:1111:function:iamd-rotator-password",
            "arn:aws:s3:us-east-1:111122223333:function:iamd-rotator-password",
            "iamd-rotator-password",
            "",
        ] {
            assert_eq!(rotator_name(arn), None, "{arn}");
        }
    }
}
