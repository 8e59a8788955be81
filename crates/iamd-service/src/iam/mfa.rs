//! Virtual MFA devices (RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits), as IAM's
//! CreateVirtualMFADevice / EnableMFADevice / ListMFADevices / DeactivateMFADevice /
//! DeleteVirtualMFADevice manage them, and the one-time-code check STS's AssumeRole and
//! GetSessionToken make with `SerialNumber` + `TokenCode`.
//!
//! The seed is sealed at rest with the master key's `mfa-seed v1` key, bound to the device's
//! serial number. A code is accepted within ±1 step of now, and only once: the last accepted
//! step of each device is remembered (in memory, per process).

use super::{Iam, from_json, to_json};
use crate::error::Error;
use crate::iam::Tag;
use hmac::{Hmac, KeyInit, Mac};
use iamd_crypto::SealingKey;
use iamd_store::{Expect, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

pub(crate) const KIND_MFA: &str = "mfa-device";
const STEP: i64 = 30;
const SEED_BYTES: usize = 40;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaDeviceRecord {
    pub name: String,
    pub path: String,
    pub serial: String,
    pub sealed_seed: Vec<u8>,
    pub created: i64,
    /// The IAM user the device is enabled for, and when.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub enabled_at: Option<i64>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// The RFC 6238 code of `seed` at time step `step`.
pub fn totp(seed: &[u8], step: i64) -> u32 {
    let Ok(mut mac) = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(seed) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[off] & 0x7f) << 24)
        | (u32::from(h[off + 1]) << 16)
        | (u32::from(h[off + 2]) << 8)
        | u32::from(h[off + 3]);
    bin % 1_000_000
}

fn code_matches(seed: &[u8], step: i64, code: &str) -> bool {
    code.len() == 6
        && code.bytes().all(|b| b.is_ascii_digit())
        && iamd_crypto::ct_eq(
            format!("{:06}", totp(seed, step)).as_bytes(),
            code.as_bytes(),
        )
}

/// The device name of a serial number `arn:aws:iam::<acct>:mfa/<path><name>`.
fn name_of(serial: &str) -> &str {
    serial.rsplit('/').next().unwrap_or(serial)
}

fn not_found(serial: &str) -> Error {
    Error::aws(
        "NoSuchEntity",
        format!("VirtualMFADevice with serial number {serial} doesn't exist."),
    )
}

/// The last accepted step per device serial: a code is good once.
#[derive(Default)]
pub struct UsedCodes(Mutex<HashMap<String, i64>>);

impl UsedCodes {
    fn accept(&self, serial: &str, step: i64) -> bool {
        let Ok(mut m) = self.0.lock() else {
            return false;
        };
        let last = m.entry(serial.to_owned()).or_insert(i64::MIN);
        if step <= *last {
            return false;
        }
        *last = step;
        true
    }
}

/// What [`Iam::verify_mfa_code`] concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaCheck {
    Valid,
    /// No enabled device with that serial for this user.
    UnknownDevice,
    /// Wrong, expired or already used code.
    InvalidCode,
}

impl Iam {
    fn load_mfa(
        tx: &mut dyn iamd_store::Tx,
        acct: &str,
        serial: &str,
    ) -> Result<Option<(MfaDeviceRecord, i64)>, Error> {
        match tx.get(KIND_MFA, acct, &name_of(serial).to_lowercase())? {
            Some(r) => {
                let d: MfaDeviceRecord = from_json(&r.data)?;
                Ok((d.serial == serial).then_some((d, r.version)))
            }
            None => Ok(None),
        }
    }

    /// Creates a virtual device; returns it and its Base32 seed (shown once).
    pub fn create_virtual_mfa_device(
        &self,
        seal: &SealingKey,
        acct: &str,
        name: &str,
        path: &str,
        tags: &[Tag],
        now: i64,
    ) -> Result<(MfaDeviceRecord, Zeroizing<String>), Error> {
        super::check_tags(tags)?;
        let mut seed = Zeroizing::new([0u8; SEED_BYTES]);
        iamd_crypto::random_fill(seed.as_mut())?;
        let serial = format!("arn:aws:iam::{acct}:mfa{path}{name}");
        let rec = MfaDeviceRecord {
            name: name.to_owned(),
            path: path.to_owned(),
            sealed_seed: seal.seal(serial.as_bytes(), seed.as_ref())?,
            serial,
            created: now,
            user: None,
            enabled_at: None,
            tags: tags.to_vec(),
        };
        let data = to_json(&rec)?;
        self.write(|tx| {
            match tx.put(KIND_MFA, acct, &name.to_lowercase(), &data, Expect::Absent) {
                Ok(_) => Ok(()),
                Err(StoreError::AlreadyExists { .. }) => Err(Error::aws(
                    "EntityAlreadyExists",
                    "MFADevice entity at the same path and name already exists.",
                )),
                Err(e) => Err(e.into()),
            }
        })?;
        let b32 = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(seed.as_ref()));
        Ok((rec, b32))
    }

    fn seed_of(seal: &SealingKey, d: &MfaDeviceRecord) -> Result<Zeroizing<Vec<u8>>, Error> {
        seal.open(d.serial.as_bytes(), &d.sealed_seed)
            .map(Zeroizing::new)
            .map_err(|_| Error::Internal("an MFA seed does not open with this master key".into()))
    }

    /// Enables a device for a user with two consecutive codes.
    #[allow(clippy::too_many_arguments)]
    pub fn enable_mfa_device(
        &self,
        seal: &SealingKey,
        used: &UsedCodes,
        acct: &str,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
        now: i64,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (u, _) = super::must::<super::UserRecord>(tx, acct, user)?;
            let (mut d, v) = Self::load_mfa(tx, acct, serial)?.ok_or_else(|| not_found(serial))?;
            if d.user.is_some() {
                return Err(Error::aws(
                    "EntityAlreadyExists",
                    "MFA Device is already in use.",
                ));
            }
            let seed = Self::seed_of(seal, &d)?;
            let step = now.div_euclid(STEP);
            let Some(t) = (step - 2..=step)
                .find(|t| code_matches(&seed, *t, code1) && code_matches(&seed, *t + 1, code2))
            else {
                return Err(Error::aws(
                    "InvalidAuthenticationCode",
                    "Authentication code for device is not valid.",
                ));
            };
            used.accept(serial, t + 1);
            d.user = Some(u.name.clone());
            d.enabled_at = Some(now);
            tx.put(
                KIND_MFA,
                acct,
                &d.name.to_lowercase(),
                &to_json(&d)?,
                Expect::Version(v),
            )?;
            Ok(())
        })
    }

    /// Detaches a device from its user.
    pub fn deactivate_mfa_device(&self, acct: &str, user: &str, serial: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (u, _) = super::must::<super::UserRecord>(tx, acct, user)?;
            let (mut d, v) = Self::load_mfa(tx, acct, serial)?
                .filter(|(d, _)| d.user.as_deref() == Some(u.name.as_str()))
                .ok_or_else(|| {
                    Error::aws(
                        "NoSuchEntity",
                        format!("MFA Device with serial number {serial} does not exist."),
                    )
                })?;
            d.user = None;
            d.enabled_at = None;
            tx.put(
                KIND_MFA,
                acct,
                &d.name.to_lowercase(),
                &to_json(&d)?,
                Expect::Version(v),
            )?;
            Ok(())
        })
    }

    pub fn delete_virtual_mfa_device(&self, acct: &str, serial: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (d, v) = Self::load_mfa(tx, acct, serial)?.ok_or_else(|| not_found(serial))?;
            if d.user.is_some() {
                return Err(Error::aws(
                    "DeleteConflict",
                    "MFA Device must be deactivated before deleting.",
                ));
            }
            tx.delete(KIND_MFA, acct, &d.name.to_lowercase(), Expect::Version(v))?;
            Ok(())
        })
    }

    /// The devices enabled for a user.
    pub fn list_mfa_devices(&self, acct: &str, user: &str) -> Result<Vec<MfaDeviceRecord>, Error> {
        self.read(|tx| {
            let (u, _) = super::must::<super::UserRecord>(tx, acct, user)?;
            let mut out = Vec::new();
            for r in tx.list(KIND_MFA, acct)? {
                let d: MfaDeviceRecord = from_json(&r.data)?;
                if d.user.as_deref() == Some(u.name.as_str()) {
                    out.push(d);
                }
            }
            Ok(out)
        })
    }

    /// Every virtual device of the account, with the user each is enabled for.
    pub fn list_virtual_mfa_devices(
        &self,
        acct: &str,
    ) -> Result<Vec<(MfaDeviceRecord, Option<super::UserRecord>)>, Error> {
        self.read(|tx| {
            let mut out = Vec::new();
            for r in tx.list(KIND_MFA, acct)? {
                let d: MfaDeviceRecord = from_json(&r.data)?;
                let user = match &d.user {
                    Some(u) => super::load::<super::UserRecord>(tx, acct, u)?.map(|(u, _)| u),
                    None => None,
                };
                out.push((d, user));
            }
            Ok(out)
        })
    }

    /// Checks a one-time code for `user`'s device `serial` (STS's `SerialNumber` + `TokenCode`).
    #[allow(clippy::too_many_arguments)]
    pub fn verify_mfa_code(
        &self,
        seal: &SealingKey,
        used: &UsedCodes,
        acct: &str,
        user: &str,
        serial: &str,
        code: &str,
        now: i64,
    ) -> Result<MfaCheck, Error> {
        let dev = self.read(|tx| Self::load_mfa(tx, acct, serial))?;
        let Some((d, _)) = dev.filter(|(d, _)| {
            d.user
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(user))
        }) else {
            return Ok(MfaCheck::UnknownDevice);
        };
        let seed = Self::seed_of(seal, &d)?;
        let step = now.div_euclid(STEP);
        match (step - 1..=step + 1).find(|t| code_matches(&seed, *t, code)) {
            Some(t) if used.accept(serial, t) => Ok(MfaCheck::Valid),
            _ => Ok(MfaCheck::InvalidCode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", 8-digit codes mod 10^6.
        let seed = b"12345678901234567890";
        for (t, code) in [
            (59i64, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
        ] {
            assert_eq!(totp(seed, t / 30), code % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn codes_are_good_once() {
        let used = UsedCodes::default();
        assert!(used.accept("a", 5));
        assert!(!used.accept("a", 5));
        assert!(!used.accept("a", 4));
        assert!(used.accept("a", 6));
        assert!(used.accept("b", 5));
    }
}
