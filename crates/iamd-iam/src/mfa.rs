//! Virtual MFA devices (RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits), as IAM's
//! CreateVirtualMFADevice / EnableMFADevice / ResyncMFADevice / ListMFADevices /
//! DeactivateMFADevice / DeleteVirtualMFADevice manage them, and the one-time-code check STS's
//! AssumeRole and GetSessionToken make with `SerialNumber` + `TokenCode`.
//!
//! The seed is sealed at rest with the master key's `mfa-seed v1` key, bound to the device's
//! serial number. A code is accepted within ±1 step of the device's time (now plus the drift
//! ResyncMFADevice measured), and only once: the device record holds the last accepted step, and
//! accepting a code rewrites the record with a compare-and-set on its version, so two requests
//! (on one node or on several nodes sharing a store) racing with one code let only one through,
//! and a restart forgets nothing. Wrong codes are limited per device (in the store) and per
//! caller (per node): see [`lockout`].

use super::{Iam, from_json, to_json};
use crate::error::{Error, IamError};
use crate::iam::Tag;
use hmac::{Hmac, KeyInit, Mac};
use iamd_crypto::SealingKey;
use iamd_store::{Expect, StoreError, StoreExt};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub mod lockout;
#[cfg(test)]
mod lockout_tests;

pub(crate) const KIND_MFA: &str = "mfa-device";
const STEP: i64 = 30;
const SEED_BYTES: usize = 40;
/// How far (in steps, either way) ResyncMFADevice looks for the two consecutive codes: ±10 steps
/// = ±5 minutes. AWS does not publish its window. RFC 6238 §6 leaves resynchronization to the
/// validator; 5 minutes covers the drift of a hardware token or a phone without network time
/// for a long while, and keeps the chance of guessing two consecutive codes at about
/// 21 / 10^12 per attempt. The window is centred on the drift already recorded, so a device can
/// be followed further in several resyncs.
const RESYNC_WINDOW: i64 = 10;
/// QR code rendering: pixels per module and the quiet zone (4 modules, ISO/IEC 18004).
const QR_SCALE: usize = 4;
const QR_QUIET: usize = 4;

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
    /// The last time step whose code was accepted (EnableMFADevice, ResyncMFADevice, STS): a
    /// code for this step or an earlier one is refused.
    #[serde(default)]
    pub last_used_step: Option<i64>,
    /// The device's clock offset in steps, as ResyncMFADevice measured it (0 until then).
    #[serde(default)]
    pub drift: i64,
}

/// A device as CreateVirtualMFADevice answers it: the record, and the seed in Base32 and as
/// the QR code PNG of its `otpauth://` URI (both shown this once, zeroized when dropped).
pub struct NewDevice {
    pub record: MfaDeviceRecord,
    pub seed_b32: Zeroizing<String>,
    pub qr_png: Zeroizing<Vec<u8>>,
}

/// The RFC 6238 code of `seed` at time step `step`.
pub fn totp(seed: &[u8], step: i64) -> u32 {
    let Ok(mut mac) = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(seed) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    // RFC 4226 dynamic truncation: the low nibble of the last byte picks 4 bytes (HMAC-SHA1's
    // 20 bytes always hold them: the offset is at most 15).
    let off = h.last().map_or(0, |b| usize::from(b & 0x0f));
    let Some(&[b0, b1, b2, b3]) = h
        .get(off..off + 4)
        .and_then(|w| <&[u8; 4]>::try_from(w).ok())
    else {
        return u32::MAX;
    };
    (u32::from_be_bytes([b0, b1, b2, b3]) & 0x7fff_ffff) % 1_000_000
}

/// Whether `code` has the form of a one-time code (six digits): only such codes are guesses,
/// counted against the device; anything else can match no step and is refused uncounted.
fn well_formed(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

fn code_matches(seed: &[u8], step: i64, code: &str) -> bool {
    well_formed(code)
        && iamd_crypto::ct_eq(
            format!("{:06}", totp(seed, step)).as_bytes(),
            code.as_bytes(),
        )
}

/// Longest serial number any operation accepts (`serialNumberType`, 9–256, botocore's IAM model).
const MAX_SERIAL: usize = 256;

/// The model gives `VirtualMFADeviceName` no maximum length, but every later operation names the
/// device by its serial number `arn:aws:iam::<acct>:mfa<path><name>`, at most [`MAX_SERIAL`]
/// characters: a longer one could never be enabled or deleted (and a 10,000-character name
/// overflowed the QR code, answering 500 — issue #11, finding 15). Refused in the model's words,
/// naming the member that does not fit (iamd's choice; AWS's answer is not recorded).
fn check_serial_fits(acct: &str, path: &str, name: &str) -> Result<(), Error> {
    let fixed = "arn:aws:iam::".len() + acct.len() + ":mfa".len();
    let too_long =
        |member: &'static str, max: usize| Error::from(IamError::TooLong { member, max });
    let path_len = path.chars().count();
    // Room for the path with a one-character name.
    let max_path = MAX_SERIAL.saturating_sub(fixed + 1);
    if path_len > max_path {
        return Err(too_long("path", max_path));
    }
    let max_name = MAX_SERIAL.saturating_sub(fixed + path_len);
    if name.chars().count() > max_name {
        return Err(too_long("virtualMFADeviceName", max_name));
    }
    Ok(())
}

/// The device name of a serial number `arn:aws:iam::<acct>:mfa/<path><name>`.
fn name_of(serial: &str) -> &str {
    serial.rsplit('/').next().unwrap_or(serial)
}

/// No such device, or not the user's: AWS's text for DeleteVirtualMFADevice and
/// DeactivateMFADevice (recorded against AWS in 2026 by LocalStack's IAM MFA snapshot tests);
/// EnableMFADevice and ResyncMFADevice are assumed to answer the same.
fn device_not_found(serial: &str) -> Error {
    IamError::NoSuchMfaDevice {
        serial: serial.to_owned(),
    }
    .into()
}

fn invalid_code() -> Error {
    // The recorded EnableMFADevice text (aws-semantics.md §7.2 area; IAM console reports it too).
    IamError::InvalidAuthenticationCode.into()
}

/// `otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String`, the URI AWS's
/// QRCodePNG encodes (IAM API reference, VirtualMFADevice). A new device has no user yet, so
/// `AccountName` is the account id.
pub fn otpauth_uri(name: &str, acct: &str, b32: &str) -> String {
    format!("otpauth://totp/{name}@{acct}?secret={b32}")
}

/// A PNG (8-bit grayscale, dark modules black) of the QR code of `text`.
pub fn qr_png(text: &str) -> Result<Vec<u8>, Error> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| Error::Internal(format!("QR encoding failed: {e}")))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET) * QR_SCALE;
    let mut pixels = vec![0xffu8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QR_QUIET, i / modules + QR_QUIET);
        for y in my * QR_SCALE..(my + 1) * QR_SCALE {
            let row = y * side;
            if let Some(run) = pixels.get_mut(row + mx * QR_SCALE..row + (mx + 1) * QR_SCALE) {
                run.fill(0);
            }
        }
    }
    let side32 = u32::try_from(side).map_err(|_| Error::Internal("QR code too large".into()))?;
    let png_err = |e: png::EncodingError| Error::Internal(format!("PNG encoding failed: {e}"));
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side32, side32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(png_err)?;
        w.write_image_data(&pixels).map_err(png_err)?;
        w.finish().map_err(png_err)?;
    }
    Ok(out)
}

/// The first step `t` in `range` whose code is `code1` while `t + 1`'s is `code2`.
fn consecutive(
    seed: &[u8],
    range: std::ops::RangeInclusive<i64>,
    code1: &str,
    code2: &str,
) -> Option<i64> {
    range
        .into_iter()
        .find(|t| code_matches(seed, *t, code1) && code_matches(seed, *t + 1, code2))
}

/// Whether `step`'s code may still be accepted (not spent).
fn fresh(d: &MfaDeviceRecord, step: i64) -> bool {
    d.last_used_step.is_none_or(|last| step > last)
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

    /// Creates a virtual device; returns it, its Base32 seed and the QR code PNG of its
    /// `otpauth://` URI (both shown once).
    pub fn create_virtual_mfa_device(
        &self,
        seal: &SealingKey,
        acct: &str,
        name: &str,
        path: &str,
        tags: &[Tag],
        now: i64,
    ) -> Result<NewDevice, Error> {
        check_serial_fits(acct, path, name)?;
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
            last_used_step: None,
            drift: 0,
        };
        let data = to_json(&rec)?;
        let b32 = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(seed.as_ref()));
        let png = Zeroizing::new(qr_png(&Zeroizing::new(otpauth_uri(name, acct, &b32)))?);
        self.write(|tx| {
            match tx.put(KIND_MFA, acct, &name.to_lowercase(), &data, Expect::Absent) {
                Ok(_) => Ok(()),
                // AWS's text, as recorded in 2026 (LocalStack's IAM MFA snapshot tests).
                Err(StoreError::AlreadyExists { .. }) => Err(IamError::MfaDeviceExists.into()),
                Err(e) => Err(e.into()),
            }
        })?;
        Ok(NewDevice {
            record: rec,
            seed_b32: b32,
            qr_png: png,
        })
    }

    fn seed_of(seal: &SealingKey, d: &MfaDeviceRecord) -> Result<Zeroizing<Vec<u8>>, Error> {
        seal.open(d.serial.as_bytes(), &d.sealed_seed)
            .map(Zeroizing::new)
            .map_err(|_| Error::Internal("an MFA seed does not open with this master key".into()))
    }

    /// Enables a device for a user with two consecutive codes (the later of them at most now).
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per member of the AWS request it serves"
    )]
    pub fn enable_mfa_device(
        &self,
        seal: &SealingKey,
        acct: &str,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
        now: i64,
    ) -> Result<(), Error> {
        // The closure answers `Ok(Err(_))` for a wrong code, so that its failure is committed.
        self.write(|tx| {
            let (u, _) = super::must::<super::UserRecord>(tx, acct, user)?;
            let (mut d, v) =
                Self::load_mfa(tx, acct, serial)?.ok_or_else(|| device_not_found(serial))?;
            if d.user.is_some() {
                return Err(IamError::MfaDeviceInUse.into());
            }
            let key = d.name.to_lowercase();
            if lockout::locked(tx, acct, &key, now)? {
                return Ok(Err(invalid_code()));
            }
            let seed = Self::seed_of(seal, &d)?;
            let step = now.div_euclid(STEP);
            let Some(t) = consecutive(&seed, step - 2..=step, code1, code2) else {
                if well_formed(code1) && well_formed(code2) {
                    lockout::record_failure(tx, acct, &key, now)?;
                }
                return Ok(Err(invalid_code()));
            };
            if !fresh(&d, t) {
                return Ok(Err(invalid_code()));
            }
            d.user = Some(u.name.clone());
            d.enabled_at = Some(now);
            d.last_used_step = Some(t + 1);
            d.drift = 0;
            tx.put(KIND_MFA, acct, &key, &to_json(&d)?, Expect::Version(v))?;
            lockout::clear(tx, acct, &key)?;
            Ok(Ok(()))
        })?
    }

    /// ResyncMFADevice: finds two consecutive codes within [`RESYNC_WINDOW`] steps of the
    /// device's recorded time and records the device's drift, so that its next codes validate.
    /// The codes are spent like any other.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per member of the AWS request it serves"
    )]
    pub fn resync_mfa_device(
        &self,
        seal: &SealingKey,
        acct: &str,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
        now: i64,
    ) -> Result<(), Error> {
        // Not `self.write`: the drift and the last step feed no cache of IAM data. The closure
        // answers `Ok(Err(_))` for a wrong code, so that its failure is committed.
        self.store.write(|tx| -> Result<Result<(), Error>, Error> {
            let (u, _) = super::must::<super::UserRecord>(tx, acct, user)?;
            let (mut d, v) = Self::load_mfa(tx, acct, serial)?
                .filter(|(d, _)| d.user.as_deref() == Some(u.name.as_str()))
                .ok_or_else(|| device_not_found(serial))?;
            let key = d.name.to_lowercase();
            if lockout::locked(tx, acct, &key, now)? {
                return Ok(Err(invalid_code()));
            }
            let seed = Self::seed_of(seal, &d)?;
            let centre = now.div_euclid(STEP) + d.drift;
            let window = centre - RESYNC_WINDOW..=centre + RESYNC_WINDOW;
            let Some(t) = consecutive(&seed, window, code1, code2) else {
                if well_formed(code1) && well_formed(code2) {
                    lockout::record_failure(tx, acct, &key, now)?;
                }
                return Ok(Err(invalid_code()));
            };
            if !fresh(&d, t) {
                return Ok(Err(invalid_code()));
            }
            d.last_used_step = Some(t + 1);
            d.drift = t + 1 - now.div_euclid(STEP);
            tx.put(KIND_MFA, acct, &key, &to_json(&d)?, Expect::Version(v))?;
            lockout::clear(tx, acct, &key)?;
            Ok(Ok(()))
        })?
    }

    /// Detaches a device from its user.
    pub fn deactivate_mfa_device(&self, acct: &str, user: &str, serial: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (u, _) = super::must::<super::UserRecord>(tx, acct, user)?;
            let (mut d, v) = Self::load_mfa(tx, acct, serial)?
                .filter(|(d, _)| d.user.as_deref() == Some(u.name.as_str()))
                .ok_or_else(|| device_not_found(serial))?;
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
            let (d, v) =
                Self::load_mfa(tx, acct, serial)?.ok_or_else(|| device_not_found(serial))?;
            if d.user.is_some() {
                return Err(IamError::MfaDeviceActive.into());
            }
            tx.delete(KIND_MFA, acct, &d.name.to_lowercase(), Expect::Version(v))?;
            lockout::clear(tx, acct, &d.name.to_lowercase())?;
            Ok(())
        })
    }

    /// A device by serial number, or `None`.
    pub fn find_mfa_device(
        &self,
        acct: &str,
        serial: &str,
    ) -> Result<Option<MfaDeviceRecord>, Error> {
        self.read(|tx| Ok(Self::load_mfa(tx, acct, serial)?.map(|(d, _)| d)))
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

    /// Checks a one-time code for `user`'s device `serial` (STS's `SerialNumber` + `TokenCode`)
    /// and spends it. Reads first, so that an unknown device, a locked device or a spent code
    /// writes nothing; a wrong code is counted against the device and the caller
    /// ([`lockout`]); a matching code is recorded as the device's last step in a write
    /// transaction that checks the step (and the lock) again and replaces the record only at the
    /// version it read: of two requests with one code, on one node or several, only one gets
    /// `Valid`.
    pub fn verify_mfa_code(
        &self,
        seal: &SealingKey,
        acct: &str,
        user: &str,
        serial: &str,
        code: &str,
        now: i64,
    ) -> Result<MfaCheck, Error> {
        let owned = |d: &MfaDeviceRecord| {
            d.user
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(user))
        };
        let caller = format!("{acct}/{}", user.to_lowercase());
        if self.mfa_callers.throttled(&caller, now) {
            return Ok(MfaCheck::InvalidCode);
        }
        let dev = self.read(|tx| {
            let Some((d, _)) = Self::load_mfa(tx, acct, serial)?.filter(|(d, _)| owned(d)) else {
                return Ok(None);
            };
            let locked = lockout::locked(tx, acct, &d.name.to_lowercase(), now)?;
            Ok(Some((d, locked)))
        })?;
        let Some((d, locked)) = dev else {
            return Ok(MfaCheck::UnknownDevice);
        };
        if locked {
            return Ok(MfaCheck::InvalidCode);
        }
        let key = d.name.to_lowercase();
        let seed = Self::seed_of(seal, &d)?;
        let centre = now.div_euclid(STEP) + d.drift;
        let same_device = |cur: &MfaDeviceRecord| owned(cur) && cur.sealed_seed == d.sealed_seed;
        let Some(t) = (centre - 1..=centre + 1).find(|t| code_matches(&seed, *t, code)) else {
            if !well_formed(code) {
                return Ok(MfaCheck::InvalidCode);
            }
            // A wrong code: counted for this caller here and for the device in the store.
            self.mfa_callers.fail(&caller, now);
            self.store
                .write(|tx| match Self::load_mfa(tx, acct, serial)? {
                    Some((cur, _)) if same_device(&cur) => {
                        lockout::record_failure(tx, acct, &key, now)
                    }
                    _ => Ok(()),
                })?;
            return Ok(MfaCheck::InvalidCode);
        };
        if !fresh(&d, t) {
            // The right code, already spent: a replay, not a guess.
            return Ok(MfaCheck::InvalidCode);
        }
        // Not `self.write`: the last step feeds no cache of IAM data.
        let spent = self.store.write(|tx| {
            let Some((mut cur, v)) = Self::load_mfa(tx, acct, serial)? else {
                return Ok(MfaCheck::UnknownDevice);
            };
            if !same_device(&cur) {
                return Ok(MfaCheck::UnknownDevice);
            }
            if !fresh(&cur, t) || lockout::locked(tx, acct, &key, now)? {
                return Ok(MfaCheck::InvalidCode);
            }
            cur.last_used_step = Some(t);
            match tx.put(KIND_MFA, acct, &key, &to_json(&cur)?, Expect::Version(v)) {
                Ok(_) => {}
                Err(StoreError::Conflict { .. }) => return Ok(MfaCheck::InvalidCode),
                Err(e) => return Err(Error::from(e)),
            }
            lockout::clear(tx, acct, &key)?;
            Ok(MfaCheck::Valid)
        });
        match spent {
            // Another writer moved the record between our read and our put.
            Err(Error::Store(StoreError::Conflict { .. })) => Ok(MfaCheck::InvalidCode),
            other => other,
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]
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

    /// The PNG decodes (with an independent PNG reader and QR decoder) to the URI it encodes.
    #[test]
    fn qr_png_round_trips_through_a_decoder() {
        let uri = otpauth_uri(
            "alice-phone",
            "123456789012",
            "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        );
        assert_eq!(
            uri,
            "otpauth://totp/alice-phone@123456789012?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        );
        let png_bytes = qr_png(&uri).unwrap();
        assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.width, info.height);
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        let (w, h) = (info.width as usize, info.height as usize);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, uri);
    }

    #[test]
    fn a_device_serial_fits_in_256_characters() {
        let acct = "123456789012";
        assert!(check_serial_fits(acct, "/", &"n".repeat(226)).is_ok());
        let msg = |e: Error| match e.code_and_message(iamd_api::Service::Iam) {
            Some((code, message)) => format!("{code}: {message}"),
            None => panic!("{e:?}"),
        };
        assert_eq!(
            msg(check_serial_fits(acct, "/", &"n".repeat(227)).unwrap_err()),
            "ValidationError: 1 validation error detected: Value at 'virtualMFADeviceName' failed \
             to satisfy constraint: Member must have length less than or equal to 226"
        );
        assert!(check_serial_fits(acct, &format!("/{}/", "p".repeat(224)), "n").is_ok());
        assert!(
            msg(check_serial_fits(acct, &format!("/{}/", "p".repeat(225)), "n").unwrap_err())
                .contains("Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 226")
        );
        // The 10,000-character name of the finding is refused before any QR code is drawn.
        assert!(check_serial_fits(acct, "/", &"a".repeat(10_000)).is_err());
    }
}
