//! Login profiles (console passwords): CreateLoginProfile, GetLoginProfile, UpdateLoginProfile,
//! DeleteLoginProfile.
//!
//! Storage choice: one record of kind [`KIND_LOGIN`] per user, keyed by the user's unique id (so
//! a profile follows its user through UpdateUser renames). The password is kept only as an
//! Argon2id hash (PHC string); it is hashed before the store transaction starts, is never logged
//! and never returned. DeleteUser refuses while the record exists (see `Iam::delete_user`).

use super::{Iam, UserRecord, from_json, must, to_json};
use crate::error::Error;
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
}

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

fn not_found(user: &str) -> Error {
    Error::aws(
        "NoSuchEntity",
        format!("Login Profile for User {user} cannot be found."),
    )
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
                return Err(Error::aws(
                    "EntityAlreadyExists",
                    format!("Login Profile for user {} already exists.", u.name),
                ));
            }
            let rec = LoginProfileRecord {
                user_id: u.id.clone(),
                created: now,
                reset_required,
                hash: hash.clone(),
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

    /// Changes the password and/or the reset flag; neither given changes nothing (as AWS).
    pub fn update_login_profile(
        &self,
        acct: &str,
        user: &str,
        password: Option<&str>,
        reset_required: Option<bool>,
    ) -> Result<(), Error> {
        let hash = password.map(hash_password).transpose()?;
        self.write(|tx| {
            let (u, _) = must::<UserRecord>(tx, acct, user)?;
            let (mut p, v) = load_profile(tx, acct, &u.id)?.ok_or_else(|| not_found(&u.name))?;
            if let Some(h) = &hash {
                p.hash = h.clone();
            }
            if let Some(r) = reset_required {
                p.reset_required = r;
            }
            tx.put(KIND_LOGIN, acct, &u.id, &to_json(&p)?, Expect::Version(v))?;
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
        let iam = Iam::new(store.clone());
        iam.create_user(A, "alice", "/", None, &[], 100).unwrap();
        (iam, store)
    }

    fn err<T: std::fmt::Debug>(r: Result<T, Error>) -> (&'static str, String) {
        match r {
            Err(Error::Aws { code, message }) => (code, message),
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
}
