//! Login profiles (console passwords): CreateLoginProfile, GetLoginProfile, UpdateLoginProfile,
//! DeleteLoginProfile.
//!
//! Storage choice: one record of kind [`KIND_LOGIN`] per user, keyed by the user's unique id (so
//! a profile follows its user through UpdateUser renames). The password is kept only as an
//! Argon2id hash (PHC string); it is hashed before the store transaction starts, is never logged
//! and never returned. DeleteUser refuses while the record exists (see `Iam::delete_user`).
//!
//! Every new password is checked against the account password policy (or AWS's default one,
//! [`check_password`]); the hashes of earlier passwords are kept (at most 24, the largest
//! PasswordReusePrevention) so a policy that prevents reuse can be enforced.

use super::password_policy::{PasswordPolicy, check_password, load_policy, reuse_violation};
use super::{Iam, UserRecord, from_json, must, to_json};
use crate::error::{Error, IamError};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use iamd_store::{Expect, Tx};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub(crate) const KIND_LOGIN: &str = "iam-login-profile";
const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;
// OWASP's minimum for Argon2id: 19 MiB, 2 iterations, 1 lane.
const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginProfileRecord {
    /// The owning user's unique id (the store key).
    pub user_id: String,
    pub created: i64,
    pub reset_required: bool,
    /// `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` (base64 without padding).
    pub hash: String,
    /// Hashes of earlier passwords, newest first (at most [`MAX_REMEMBERED`]).
    #[serde(default)]
    pub previous: Vec<String>,
}

/// The most previous passwords a policy can forbid (PasswordReusePrevention's maximum, 24): the
/// current one and 23 before it.
const MAX_REMEMBERED: usize = 23;

/// A login profile as the API returns it: the user's current name with the record.
#[derive(Debug, Clone)]
pub struct LoginProfile {
    pub user_name: String,
    pub created: i64,
    pub reset_required: bool,
}

fn argon(m: u32, t: u32, p: u32) -> Result<Argon2<'static>, Error> {
    let params = Params::new(m, t, p, Some(HASH_BYTES))
        .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD_NO_PAD
}

/// Hashes a password with Argon2id and a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; SALT_BYTES];
    iamd_crypto::random_fill(&mut salt)?;
    let mut out = Zeroizing::new([0u8; HASH_BYTES]);
    argon(M_COST, T_COST, P_COST)?
        .hash_password_into(password.as_bytes(), &salt, out.as_mut())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))?;
    Ok(format!(
        "$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}${}${}",
        b64().encode(salt),
        b64().encode(out.as_ref())
    ))
}

/// Whether `password` matches a hash made by [`hash_password`] (constant-time comparison).
pub fn verify_password(hash: &str, password: &str) -> bool {
    let parts: Vec<&str> = hash.split('$').collect();
    let [_, "argon2id", "v=19", params, salt, expected] = parts.as_slice() else {
        return false;
    };
    let mut mtp = [0u32; 3];
    for (slot, kv) in mtp.iter_mut().zip(params.split(',')) {
        match kv.split_once('=').and_then(|(_, v)| v.parse().ok()) {
            Some(v) => *slot = v,
            None => return false,
        }
    }
    let (Ok(salt), Ok(expected)) = (b64().decode(salt), b64().decode(expected)) else {
        return false;
    };
    let Ok(a) = argon(mtp[0], mtp[1], mtp[2]) else {
        return false;
    };
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    if expected.is_empty()
        || a.hash_password_into(password.as_bytes(), &salt, &mut out)
            .is_err()
    {
        return false;
    }
    out.iter()
        .zip(&expected)
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Checks a new password against the policy and the remembered ones, and hashes it.
fn new_password_hash(
    policy: Option<&PasswordPolicy>,
    current: &LoginProfileRecord,
    password: &str,
) -> Result<String, Error> {
    check_password(policy, password)?;
    if let Some(n) = policy.and_then(|p| p.reuse_prevention) {
        let n = usize::try_from(n).unwrap_or(0);
        let remembered = std::iter::once(&current.hash).chain(current.previous.iter());
        if remembered.take(n).any(|h| verify_password(h, password)) {
            return Err(reuse_violation());
        }
    }
    hash_password(password)
}

/// Makes `hash` the current password, remembering the one it replaces.
fn set_password(p: &mut LoginProfileRecord, hash: &str) {
    let old = std::mem::replace(&mut p.hash, hash.to_owned());
    p.previous.insert(0, old);
    p.previous.truncate(MAX_REMEMBERED);
}

fn not_found(user: &str) -> Error {
    IamError::NoSuchLoginProfile {
        user: user.to_owned(),
    }
    .into()
}

/// The user's login profile record and its store version, if any.
pub(crate) fn load_profile(
    tx: &mut dyn Tx,
    acct: &str,
    user_id: &str,
) -> Result<Option<(LoginProfileRecord, i64)>, Error> {
    match tx.get(KIND_LOGIN, acct, user_id)? {
        Some(r) => Ok(Some((from_json(&r.data)?, r.version))),
        None => Ok(None),
    }
}

fn out(user: &UserRecord, p: &LoginProfileRecord) -> LoginProfile {
    LoginProfile {
        user_name: user.name.clone(),
        created: p.created,
        reset_required: p.reset_required,
    }
}

impl Iam {
    pub fn create_login_profile(
        &self,
        acct: &str,
        user: &str,
        password: &str,
        reset_required: bool,
        now: i64,
    ) -> Result<LoginProfile, Error> {
        let hash = hash_password(password)?;
        self.write(|tx| {
            let (u, _) = must::<UserRecord>(tx, acct, user)?;
            if load_profile(tx, acct, &u.id)?.is_some() {
                return Err(IamError::LoginProfileExists {
                    user: u.name.clone(),
                }
                .into());
            }
            let policy = load_policy(tx, acct)?.map(|(p, _)| p);
            check_password(policy.as_ref(), password)?;
            let rec = LoginProfileRecord {
                user_id: u.id.clone(),
                created: now,
                reset_required,
                hash: hash.clone(),
                previous: Vec::new(),
            };
            tx.put(KIND_LOGIN, acct, &u.id, &to_json(&rec)?, Expect::Absent)?;
            Ok(out(&u, &rec))
        })
    }

    pub fn get_login_profile(&self, acct: &str, user: &str) -> Result<LoginProfile, Error> {
        self.read(|tx| {
            let (u, _) = must::<UserRecord>(tx, acct, user)?;
            let (p, _) = load_profile(tx, acct, &u.id)?.ok_or_else(|| not_found(&u.name))?;
            Ok(out(&u, &p))
        })
    }

    /// Changes the password and/or the reset flag; neither given changes nothing (as AWS). A new
    /// password must satisfy the password policy, including its reuse prevention.
    pub fn update_login_profile(
        &self,
        acct: &str,
        user: &str,
        password: Option<&str>,
        reset_required: Option<bool>,
    ) -> Result<(), Error> {
        let (u, p, v, policy) = self.profile_and_policy(acct, user)?;
        let hash = match password {
            Some(pw) => Some(new_password_hash(policy.as_ref(), &p, pw)?),
            None => None,
        };
        self.save_profile(acct, &u, v, |p| {
            if let Some(h) = &hash {
                set_password(p, h);
            }
            if let Some(r) = reset_required {
                p.reset_required = r;
            }
        })
    }

    /// ChangePassword: the calling IAM user replaces its own password, proving the current one.
    /// The new one must satisfy the password policy; the reset requirement is cleared.
    ///
    /// A wrong `OldPassword` answers `AccessDenied` (403) `The old password was incorrect.`:
    /// unverified, AWS's text was not found in any recording.
    pub fn change_password(
        &self,
        acct: &str,
        user: &str,
        old: &str,
        new: &str,
    ) -> Result<(), Error> {
        let (u, p, v, policy) = self.profile_and_policy(acct, user)?;
        if !verify_password(&p.hash, old) {
            return Err(IamError::WrongOldPassword.into());
        }
        let hash = new_password_hash(policy.as_ref(), &p, new)?;
        self.save_profile(acct, &u, v, |p| {
            set_password(p, &hash);
            p.reset_required = false;
        })
    }

    /// The user, its login profile with the profile's store version, and the account's password
    /// policy, read together.
    fn profile_and_policy(
        &self,
        acct: &str,
        user: &str,
    ) -> Result<(UserRecord, LoginProfileRecord, i64, Option<PasswordPolicy>), Error> {
        self.read(|tx| {
            let (u, _) = must::<UserRecord>(tx, acct, user)?;
            let (p, v) = load_profile(tx, acct, &u.id)?.ok_or_else(|| not_found(&u.name))?;
            let policy = load_policy(tx, acct)?.map(|(p, _)| p);
            Ok((u, p, v, policy))
        })
    }

    /// Writes the profile read at `version` after `change`; a write in between answers
    /// ConcurrentModification (the hashing happened outside the transaction).
    fn save_profile(
        &self,
        acct: &str,
        u: &UserRecord,
        version: i64,
        change: impl Fn(&mut LoginProfileRecord),
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (mut p, _) = load_profile(tx, acct, &u.id)?.ok_or_else(|| not_found(&u.name))?;
            change(&mut p);
            tx.put(
                KIND_LOGIN,
                acct,
                &u.id,
                &to_json(&p)?,
                Expect::Version(version),
            )?;
            Ok(())
        })
    }

    pub fn delete_login_profile(&self, acct: &str, user: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (u, _) = must::<UserRecord>(tx, acct, user)?;
            let (_, v) = load_profile(tx, acct, &u.id)?.ok_or_else(|| not_found(&u.name))?;
            tx.delete(KIND_LOGIN, acct, &u.id, Expect::Version(v))?;
            Ok(())
        })
    }

    /// Checks a console password (for a future console sign-in; used by tests now).
    pub fn check_login_password(&self, acct: &str, user: &str, password: &str) -> bool {
        let hash = self.read(|tx| {
            let (u, _) = must::<UserRecord>(tx, acct, user)?;
            Ok(load_profile(tx, acct, &u.id)?.map(|(p, _)| p.hash))
        });
        matches!(hash, Ok(Some(h)) if verify_password(&h, password))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iamd_store::{SqliteStore, Store, StoreExt};
    use std::sync::Arc;

    const A: &str = "111122223333";
    const PW: &str = "Correct-Horse-42!";

    fn iam() -> (Iam, Arc<dyn Store>) {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let iam = Iam::new(store.clone(), iamd_crypto::SealingKey::from_bytes([7; 32]));
        iam.create_user(A, "alice", "/", None, &[], 100).unwrap();
        (iam, store)
    }

    fn err<T: std::fmt::Debug>(r: Result<T, Error>) -> (&'static str, String) {
        match r {
            Err(e) if e.code_and_message(iamd_api::Service::Iam).is_some() => e
                .code_and_message(iamd_api::Service::Iam)
                .unwrap_or(("", String::new())),
            other => panic!("expected an AWS error, got {other:?}"),
        }
    }

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let a = hash_password(PW).unwrap();
        let b = hash_password(PW).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(!a.contains(PW));
        assert!(verify_password(&a, PW));
        assert!(!verify_password(&a, "correct-horse-42!"));
        assert!(!verify_password("garbage", PW));
        assert!(!verify_password("$argon2id$v=19$m=x$AA$AA", PW));
    }

    #[test]
    fn lifecycle_and_errors() {
        let (iam, store) = iam();
        assert_eq!(
            err(iam.get_login_profile(A, "alice")),
            (
                "NoSuchEntity",
                "Login Profile for User alice cannot be found.".into()
            )
        );
        let p = iam.create_login_profile(A, "ALICE", PW, true, 200).unwrap();
        assert_eq!(
            (p.user_name.as_str(), p.created, p.reset_required),
            ("alice", 200, true)
        );
        assert_eq!(
            err(iam.create_login_profile(A, "alice", "other", false, 300)),
            (
                "EntityAlreadyExists",
                "Login Profile for user alice already exists.".into()
            )
        );
        // The refused create changed nothing.
        assert!(iam.check_login_password(A, "alice", PW));
        assert!(iam.get_login_profile(A, "alice").unwrap().reset_required);
        // Only the hash is stored.
        let u: UserRecord = iam.get(A, "alice").unwrap();
        let raw = store
            .read(|tx: &mut dyn Tx| Ok::<_, Error>(tx.get(KIND_LOGIN, A, &u.id)?))
            .unwrap()
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw.data).contains(PW));
        assert_eq!(
            err(iam.delete_user(A, "alice")),
            (
                "DeleteConflict",
                "Cannot delete entity, must delete login profile first.".into()
            )
        );
        iam.update_login_profile(A, "alice", Some("New-Pass-1"), None)
            .unwrap();
        assert!(!iam.check_login_password(A, "alice", PW));
        assert!(iam.check_login_password(A, "alice", "New-Pass-1"));
        assert!(iam.get_login_profile(A, "alice").unwrap().reset_required);
        iam.update_login_profile(A, "alice", None, Some(false))
            .unwrap();
        assert!(!iam.get_login_profile(A, "alice").unwrap().reset_required);
        iam.delete_login_profile(A, "alice").unwrap();
        assert_eq!(err(iam.delete_login_profile(A, "alice")).0, "NoSuchEntity");
        iam.delete_user(A, "alice").unwrap();
        assert_eq!(
            err(iam.create_login_profile(A, "alice", PW, false, 1)),
            (
                "NoSuchEntity",
                "The user with name alice cannot be found.".into()
            )
        );
    }

    #[test]
    fn new_passwords_follow_the_policy_and_change_password_proves_the_old_one() {
        use crate::iam::password_policy::PasswordPolicy;
        let (iam, _) = iam();
        // No custom policy: AWS's default one (8 characters, three kinds).
        assert_eq!(
            err(iam.create_login_profile(A, "alice", "abcdefgh", false, 1)),
            (
                "PasswordPolicyViolation",
                "Password should meet 2 more of the following requirements: Password should have \
                 at least one uppercase letter, Password should have at least one number, \
                 Password should have at least one symbol"
                    .into()
            )
        );
        assert_eq!(err(iam.get_login_profile(A, "alice")).0, "NoSuchEntity");
        iam.create_login_profile(A, "alice", PW, true, 1).unwrap();
        iam.update_password_policy(
            A,
            &PasswordPolicy {
                minimum_length: 12,
                require_numbers: true,
                reuse_prevention: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            err(iam.update_login_profile(A, "alice", Some("Short-1"), None)),
            (
                "PasswordPolicyViolation",
                "Password should have a minimum length of 12".into()
            )
        );
        assert!(iam.check_login_password(A, "alice", PW));
        assert_eq!(
            err(iam.change_password(A, "alice", "wrong", "abcdefghijk1")),
            ("AccessDenied", "The old password was incorrect.".into())
        );
        assert_eq!(
            err(iam.change_password(A, "alice", PW, "abcdefghijkl")).1,
            "Password should have at least one number"
        );
        // Reuse prevention 2: the current password and the one before it are refused.
        assert_eq!(
            err(iam.change_password(A, "alice", PW, PW)),
            (
                "PasswordPolicyViolation",
                "Policy constraint violation with password reuse prevention during password change."
                    .into()
            )
        );
        assert!(iam.get_login_profile(A, "alice").unwrap().reset_required);
        iam.change_password(A, "alice", PW, "abcdefghijk1").unwrap();
        assert!(iam.check_login_password(A, "alice", "abcdefghijk1"));
        assert!(!iam.get_login_profile(A, "alice").unwrap().reset_required);
        assert_eq!(
            err(iam.change_password(A, "alice", "abcdefghijk1", PW)).0,
            "PasswordPolicyViolation"
        );
        iam.change_password(A, "alice", "abcdefghijk1", "abcdefghijk2")
            .unwrap();
        // Two changes later the first password may come back.
        iam.update_login_profile(A, "alice", Some(PW), None)
            .unwrap();
        assert!(iam.check_login_password(A, "alice", PW));
    }
}
