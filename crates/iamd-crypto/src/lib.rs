//! Key material, envelope sealing and AWS-shaped identifiers.
//!
//! Pure: the only outside input is the operating system's random source (`getrandom`); no files,
//! no clock. Everything that holds key material zeroizes on drop and prints a placeholder.
//!
//! * [`MasterKey`]: the 32-byte root of every other key. Sub-keys are derived per purpose with
//!   HMAC-SHA256 so that one purpose's ciphertext can never be opened as another's.
//! * [`SealingKey::seal`] / [`SealingKey::open`]: AES-256-GCM with a random 96-bit nonce and caller
//!   supplied associated data (the record it belongs to), so a sealed blob moved onto another record
//!   fails to open.
//! * [`ids`]: unique ids (`AIDA…`, `AROA…`), access key ids that encode their account the way AWS's
//!   do, and secret access keys.

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub mod ids;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Errors from this crate. Deliberately vague: a failed open never says why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the operating system's random source failed")]
    Random,
    #[error("sealed data could not be opened")]
    Open,
    #[error("key material has the wrong length: expected {expected} bytes, got {got}")]
    KeyLength { expected: usize, got: usize },
    #[error("sealing failed")]
    Seal,
}

/// Fills `buf` from the OS random source.
pub fn random_fill(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buf).map_err(|_| CryptoError::Random)
}

/// The master key: 32 random bytes kept outside the database (`--master-key-file` or
/// `<data-dir>/master.key`). Whoever holds it can open every secret; back it up.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub const LEN: usize = 32;

    pub fn generate() -> Result<Self, CryptoError> {
        let mut k = [0u8; 32];
        random_fill(&mut k)?;
        Ok(Self(k))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::KeyLength {
            expected: 32,
            got: bytes.len(),
        })?;
        Ok(Self(arr))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short public fingerprint (first 8 hex digits of HMAC(key, "fingerprint")) so operators can
    /// tell two nodes share a key without revealing it.
    pub fn fingerprint(&self) -> String {
        let d = self.derive_bytes(b"iamd fingerprint v1");
        let mut s = String::with_capacity(8);
        for b in &d[..4] {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    fn derive_bytes(&self, label: &[u8]) -> [u8; 32] {
        // HMAC-SHA256 as a PRF: HKDF-Expand with a single block is exactly this construction.
        let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) {
            Ok(m) => m,
            // HMAC accepts keys of any length; this branch is unreachable but must not panic.
            Err(_) => return [0u8; 32],
        };
        mac.update(label);
        mac.finalize().into_bytes().into()
    }

    /// Derives the sealing key for one purpose (`b"access-key-secret v1"`, `b"session-token v1"`, …).
    pub fn sealing_key(&self, purpose: &[u8]) -> SealingKey {
        let mut label = Vec::with_capacity(purpose.len() + 12);
        label.extend_from_slice(b"iamd seal v1 ");
        label.extend_from_slice(purpose);
        SealingKey::from_bytes(self.derive_bytes(&label))
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(<redacted {}>)", self.fingerprint())
    }
}

/// An AES-256-GCM key for one purpose, held as its expanded key schedule (built once, not per
/// seal or open). The schedule is zeroized when the key is dropped (`aes-gcm`'s `zeroize`).
#[derive(Clone)]
pub struct SealingKey(Aes256Gcm);

/// Layout of a sealed blob: version byte, 12-byte nonce, ciphertext with 16-byte tag.
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

impl SealingKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut bytes = bytes;
        let key = Self(Aes256Gcm::new(&bytes.into()));
        bytes.zeroize();
        key
    }

    fn cipher(&self) -> Result<&Aes256Gcm, CryptoError> {
        Ok(&self.0)
    }

    /// Seals `plaintext`, binding it to `aad` (which is authenticated, not stored).
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        random_fill(&mut nonce)?;
        let ct = self
            .cipher()?
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a blob made by [`seal`](Self::seal) with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let Some((&SEAL_VERSION, rest)) = sealed.split_first() else {
            return Err(CryptoError::Open);
        };
        let (nonce, msg) = rest
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(CryptoError::Open)?;
        if msg.len() < 16 {
            return Err(CryptoError::Open);
        }
        self.cipher()?
            .decrypt(&Nonce::from(*nonce), Payload { msg, aad })
            .map_err(|_| CryptoError::Open)
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

/// Constant-time equality for secrets of possibly different lengths.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: flips each byte of a blob the test sealed"
)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let mk = MasterKey::generate().unwrap();
        let k = mk.sealing_key(b"test");
        let sealed = k.seal(b"record-1", b"hunter2").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(k.open(b"record-1", &sealed).unwrap(), b"hunter2");
        // Bound to its record: moving it elsewhere fails.
        assert_eq!(k.open(b"record-2", &sealed), Err(CryptoError::Open));
        // Bound to its purpose.
        let other = mk.sealing_key(b"other");
        assert_eq!(other.open(b"record-1", &sealed), Err(CryptoError::Open));
        // Any flipped byte fails.
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert_eq!(
                k.open(b"record-1", &bad),
                Err(CryptoError::Open),
                "byte {i}"
            );
        }
        assert_eq!(k.open(b"record-1", &sealed[..5]), Err(CryptoError::Open));
    }

    #[test]
    fn nonces_differ() {
        let k = MasterKey::generate().unwrap().sealing_key(b"x");
        assert_ne!(k.seal(b"", b"same").unwrap(), k.seal(b"", b"same").unwrap());
    }

    #[test]
    fn derivation_is_deterministic_and_keys_never_print() {
        let mk = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let a = mk.sealing_key(b"p").seal(b"", b"v").unwrap();
        let again = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(again.sealing_key(b"p").open(b"", &a).unwrap(), b"v");
        let dbg = format!("{mk:?} {:?}", mk.sealing_key(b"p"));
        assert!(!dbg.contains("7, 7"), "{dbg}");
        assert!(dbg.contains("redacted"));
        assert_eq!(mk.fingerprint().len(), 8);
        assert!(MasterKey::from_bytes(&[1u8; 31]).is_err());
    }

    #[test]
    fn ct_eq_works() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}
