//! Signing-key derivation (`kSigning`), separate from verification so the server can cache it per
//! (access key, date, region, service).
//!
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key>:
//! `kDate = HMAC("AWS4" + secret, YYYYMMDD)`, `kRegion = HMAC(kDate, region)`,
//! `kService = HMAC(kRegion, service)`, `kSigning = HMAC(kService, "aws4_request")`.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 over the concatenation of `parts`. `None` only if the HMAC implementation refused the key, which
/// RFC 2104 HMAC never does (any key length is valid); callers treat `None` as "cannot verify".
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    for p in parts {
        mac.update(p);
    }
    Some(mac.finalize().into_bytes().into())
}

/// The derived SigV4 signing key `kSigning` (32 bytes). Zeroized on drop; `Debug` never shows it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SigningKey {
    bytes: [u8; 32],
    /// False only if derivation failed (unreachable in practice, see [`hmac_sha256`]); such a key verifies nothing.
    valid: bool,
}

impl SigningKey {
    /// Derives `kSigning` from the secret access key and the credential scope parts
    /// (`date` is the scope's `YYYYMMDD`).
    pub fn derive(secret: &[u8], date: &str, region: &str, service: &str) -> Self {
        let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
        k_secret.extend_from_slice(b"AWS4");
        k_secret.extend_from_slice(secret);
        let derived = (|| {
            let k_date = Zeroizing::new(hmac_sha256(&k_secret, &[date.as_bytes()])?);
            let k_region = Zeroizing::new(hmac_sha256(&*k_date, &[region.as_bytes()])?);
            let k_service = Zeroizing::new(hmac_sha256(&*k_region, &[service.as_bytes()])?);
            hmac_sha256(&*k_service, &[b"aws4_request"])
        })();
        match derived {
            Some(bytes) => Self { bytes, valid: true },
            None => Self {
                bytes: [0; 32],
                valid: false,
            },
        }
    }

    /// Wraps an already derived `kSigning` (e.g. one the server cached or received from a key store).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes, valid: true }
    }

    /// The raw key bytes (for caches that store them; keep them secret).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    pub(crate) fn sign(&self, string_to_sign_parts: &[&[u8]]) -> Option<[u8; 32]> {
        if !self.valid {
            return None;
        }
        hmac_sha256(&self.bytes, string_to_sign_parts)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Example from create-signed-request.html / the old "Deriving the signing key" page (secret
    /// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215/us-east-1/iam).
    #[test]
    fn derive_matches_aws_doc_example() {
        let k = SigningKey::derive(
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(k.as_bytes()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let k = SigningKey::from_bytes([7; 32]);
        assert_eq!(format!("{k:?}"), "SigningKey(<redacted>)");
    }
}
