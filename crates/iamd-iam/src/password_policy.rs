//! The account password policy: GetAccountPasswordPolicy, UpdateAccountPasswordPolicy,
//! DeleteAccountPasswordPolicy, and the checks CreateLoginProfile, UpdateLoginProfile and
//! ChangePassword apply to a new console password.
//!
//! Storage choice: at most one record of kind [`KIND_PASSWORD_POLICY`] per account, under the
//! fixed key [`POLICY_KEY`]. Without one, AWS's default password policy applies (see
//! [`check_password`]) and GetAccountPasswordPolicy answers NoSuchEntity — AWS treats "the
//! default policy" as "no policy" (aws/aws-cli#8402, #7265).

use super::{Iam, from_json, to_json};
use crate::error::{Error, IamError};
use iamd_store::{Expect, Tx};
use serde::{Deserialize, Serialize};

pub(crate) const KIND_PASSWORD_POLICY: &str = "iam-password-policy";
const POLICY_KEY: &str = "policy";

/// The symbols that count for RequireSymbols (UpdateAccountPasswordPolicy's documentation):
/// `! @ # $ % ^ & * ( ) _ + - = [ ] { } | '`.
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// An account's custom password policy, as UpdateAccountPasswordPolicy stored it. Members the
/// request omitted hold AWS's defaults (the operation does not support partial updates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// 6–128; default 6.
    pub minimum_length: i64,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    /// 1–1095 days; `None`: passwords never expire.
    pub max_age: Option<i64>,
    /// 1–24 previous passwords; `None`: reuse is not prevented.
    pub reuse_prevention: Option<i64>,
    /// `None` when the request did not set it (GetAccountPasswordPolicy then omits it).
    pub hard_expiry: Option<bool>,
}

impl Default for PasswordPolicy {
    /// What `UpdateAccountPasswordPolicy` with no parameters stores: AWS answers it with
    /// `MinimumPasswordLength` 6 and every flag false (aws/aws-cli#7265).
    fn default() -> Self {
        Self {
            minimum_length: 6,
            require_symbols: false,
            require_numbers: false,
            require_uppercase: false,
            require_lowercase: false,
            allow_users_to_change: false,
            max_age: None,
            reuse_prevention: None,
            hard_expiry: None,
        }
    }
}

impl PasswordPolicy {
    /// `ExpirePasswords`: true when MaxPasswordAge holds a value greater than 0 (the
    /// PasswordPolicy shape's documentation).
    pub fn expire_passwords(&self) -> bool {
        self.max_age.is_some_and(|d| d > 0)
    }
}

fn has_upper(p: &str) -> bool {
    p.chars().any(|c| c.is_ascii_uppercase())
}
fn has_lower(p: &str) -> bool {
    p.chars().any(|c| c.is_ascii_lowercase())
}
fn has_number(p: &str) -> bool {
    p.chars().any(|c| c.is_ascii_digit())
}
fn has_symbol(p: &str) -> bool {
    p.chars().any(|c| SYMBOLS.contains(c))
}

const UPPER: &str = "Password should have at least one uppercase letter";
const LOWER: &str = "Password should have at least one lowercase letter";
const NUMBER: &str = "Password should have at least one number";
const SYMBOL: &str = "Password should have at least one symbol";

fn violation(message: impl Into<String>) -> Error {
    IamError::PasswordPolicyViolation {
        message: message.into(),
    }
    .into()
}

/// Whether `password` satisfies `policy`, or — without a custom policy — AWS's default password
/// policy: at least 8 characters and at least three of uppercase letters, lowercase letters,
/// numbers and symbols (IAM User Guide, "Default password policy"; the 128-character maximum is
/// the request's own length constraint). The account-name/e-mail rule of the default policy has
/// nothing to compare against in iamd.
///
/// Texts: AWS's answers to CreateLoginProfile under the default policy, `Password should have a
/// minimum length of 8` and `Password should meet 1 more of the following requirements: Password
/// should have at least one uppercase letter, Password should have at least one symbol` (recorded
/// in public transcripts). Under a custom policy iamd names the first unmet rule in the same
/// words (length, uppercase, lowercase, number, symbol): unverified against AWS.
pub fn check_password(policy: Option<&PasswordPolicy>, password: &str) -> Result<(), Error> {
    let len = i64::try_from(password.chars().count()).unwrap_or(i64::MAX);
    match policy {
        None => {
            if len < 8 {
                return Err(violation("Password should have a minimum length of 8"));
            }
            let missing: Vec<&str> = [
                (has_upper(password), UPPER),
                (has_lower(password), LOWER),
                (has_number(password), NUMBER),
                (has_symbol(password), SYMBOL),
            ]
            .iter()
            .filter(|(ok, _)| !ok)
            .map(|(_, m)| *m)
            .collect();
            let present = 4 - missing.len();
            if present < 3 {
                return Err(violation(format!(
                    "Password should meet {} more of the following requirements: {}",
                    3 - present,
                    missing.join(", ")
                )));
            }
            Ok(())
        }
        Some(p) => {
            if len < p.minimum_length {
                return Err(violation(format!(
                    "Password should have a minimum length of {}",
                    p.minimum_length
                )));
            }
            for (required, ok, message) in [
                (p.require_uppercase, has_upper(password), UPPER),
                (p.require_lowercase, has_lower(password), LOWER),
                (p.require_numbers, has_number(password), NUMBER),
                (p.require_symbols, has_symbol(password), SYMBOL),
            ] {
                if required && !ok {
                    return Err(violation(message));
                }
            }
            Ok(())
        }
    }
}

/// The reuse message AWS answers when a new password repeats a remembered one (unverified:
/// the text as IAM-compatible services report it).
pub(crate) fn reuse_violation() -> Error {
    violation("Policy constraint violation with password reuse prevention during password change.")
}

/// What AllowUsersToChangePassword grants every IAM user of the account: `iam:ChangePassword`
/// on its own user and `iam:GetAccountPasswordPolicy` ("This option does not attach a
/// permissions policy to each user, rather the permissions are applied at the account-level for
/// all users by IAM": the PasswordPolicy shape's documentation). iamd evaluates it as one more
/// identity policy of the user, so explicit denies, boundaries and session policies still apply.
pub(crate) fn change_own_password_grant(user_arn: &str) -> crate::authz::PolicyDoc {
    let text = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": user_arn},
            {"Effect": "Allow", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"},
        ],
    })
    .to_string();
    crate::authz::PolicyDoc {
        id: "account password policy (AllowUsersToChangePassword)".to_owned(),
        text,
    }
}

fn not_found(acct: &str) -> Error {
    // AWS's text, e.g. aws/aws-cli#7265, turbot/steampipe-plugin-aws#369.
    IamError::NoSuchPasswordPolicy {
        account: acct.to_owned(),
    }
    .into()
}

/// The account's custom password policy and its store version, if it has one.
pub(crate) fn load_policy(
    tx: &mut dyn Tx,
    acct: &str,
) -> Result<Option<(PasswordPolicy, i64)>, Error> {
    match tx.get(KIND_PASSWORD_POLICY, acct, POLICY_KEY)? {
        Some(r) => Ok(Some((from_json(&r.data)?, r.version))),
        None => Ok(None),
    }
}

impl Iam {
    pub fn get_password_policy(&self, acct: &str) -> Result<PasswordPolicy, Error> {
        self.read(|tx| Ok(load_policy(tx, acct)?.ok_or_else(|| not_found(acct))?.0))
    }

    /// The account's custom password policy, if any (`None`: the default policy applies).
    pub fn password_policy(&self, acct: &str) -> Result<Option<PasswordPolicy>, Error> {
        self.read(|tx| Ok(load_policy(tx, acct)?.map(|(p, _)| p)))
    }

    /// Replaces the policy as a whole (no partial updates, as AWS).
    pub fn update_password_policy(&self, acct: &str, policy: &PasswordPolicy) -> Result<(), Error> {
        let data = to_json(policy)?;
        self.write(|tx| {
            let expect = match load_policy(tx, acct)? {
                Some((_, v)) => Expect::Version(v),
                None => Expect::Absent,
            };
            tx.put(KIND_PASSWORD_POLICY, acct, POLICY_KEY, &data, expect)?;
            Ok(())
        })
    }

    pub fn delete_password_policy(&self, acct: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (_, v) = load_policy(tx, acct)?.ok_or_else(|| not_found(acct))?;
            tx.delete(KIND_PASSWORD_POLICY, acct, POLICY_KEY, Expect::Version(v))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamd_store::{SqliteStore, Store};
    use std::sync::Arc;

    const A: &str = "111122223333";

    fn err(r: Result<(), Error>) -> (&'static str, String) {
        match r {
            Err(e) if e.code_and_message(iamd_api::Service::Iam).is_some() => e
                .code_and_message(iamd_api::Service::Iam)
                .unwrap_or(("", String::new())),
            other => panic!("expected an AWS error, got {other:?}"),
        }
    }

    #[test]
    fn default_policy_needs_eight_characters_and_three_kinds() {
        assert_eq!(
            err(check_password(None, "Ab1!xyz")),
            (
                "PasswordPolicyViolation",
                "Password should have a minimum length of 8".into()
            )
        );
        // Lowercase and numbers only: two of four, one more needed; the missing kinds listed.
        assert_eq!(
            err(check_password(None, "abcdefg1")).1,
            "Password should meet 1 more of the following requirements: Password should have at \
             least one uppercase letter, Password should have at least one symbol"
        );
        assert_eq!(
            err(check_password(None, "abcdefgh")).1,
            "Password should meet 2 more of the following requirements: Password should have at \
             least one uppercase letter, Password should have at least one number, Password \
             should have at least one symbol"
        );
        check_password(None, "abcdefg1A").unwrap();
        check_password(None, "abcdefg1!").unwrap();
        check_password(None, "ABCDEFG1!").unwrap();
        // Symbols are IAM's list; other punctuation does not count.
        assert!(check_password(None, "abcdefg1~").is_err());
    }

    #[test]
    fn custom_policy_checks_each_required_kind() {
        let mut p = PasswordPolicy {
            minimum_length: 10,
            ..Default::default()
        };
        assert_eq!(
            err(check_password(Some(&p), "short")).1,
            "Password should have a minimum length of 10"
        );
        // A custom policy replaces the default: no character kinds unless required.
        check_password(Some(&p), "aaaaaaaaaa").unwrap();
        p.require_uppercase = true;
        assert_eq!(
            err(check_password(Some(&p), "aaaaaaaaaa")).1,
            "Password should have at least one uppercase letter"
        );
        p.require_lowercase = true;
        assert_eq!(
            err(check_password(Some(&p), "AAAAAAAAAA")).1,
            "Password should have at least one lowercase letter"
        );
        p.require_numbers = true;
        assert_eq!(
            err(check_password(Some(&p), "AAAAAaaaaa")).1,
            "Password should have at least one number"
        );
        p.require_symbols = true;
        assert_eq!(
            err(check_password(Some(&p), "AAAAAaaaa1")).1,
            "Password should have at least one symbol"
        );
        check_password(Some(&p), "AAAAAaaa1|").unwrap();
        // Length counts characters, not bytes.
        p = PasswordPolicy::default();
        check_password(Some(&p), "ééééé\u{e9}").unwrap();
    }

    #[test]
    fn stored_per_account_replaced_whole_and_deleted() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let iam = Iam::new(store, iamd_crypto::SealingKey::from_bytes([7; 32]));
        let missing = (
            "NoSuchEntity",
            "The Password Policy with domain name 111122223333 cannot be found.".to_owned(),
        );
        assert_eq!(err(iam.get_password_policy(A).map(|_| ())), missing);
        assert_eq!(err(iam.delete_password_policy(A)), missing);
        let p = PasswordPolicy {
            minimum_length: 12,
            require_symbols: true,
            max_age: Some(90),
            hard_expiry: Some(true),
            ..Default::default()
        };
        iam.update_password_policy(A, &p).unwrap();
        assert_eq!(iam.get_password_policy(A).unwrap(), p);
        assert!(p.expire_passwords());
        assert!(iam.password_policy("999988887777").unwrap().is_none());
        iam.update_password_policy(A, &PasswordPolicy::default())
            .unwrap();
        let d = iam.get_password_policy(A).unwrap();
        assert_eq!(d, PasswordPolicy::default());
        assert!(!d.expire_passwords());
        iam.delete_password_policy(A).unwrap();
        assert!(iam.password_policy(A).unwrap().is_none());
    }
}
