//! AWS-shaped identifiers.
//!
//! * Unique ids: a 4-letter type prefix (`AIDA` user, `AROA` role, `AGPA` group, `ANPA` policy,
//!   `AIPA` instance profile, …) and 17 characters of base32 —
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids>.
//! * Access key ids: `AKIA` (long-term) or `ASIA` (temporary) and 16 base32 characters that decode
//!   to 10 bytes; the first 6 bytes, masked with `0x7fffffffff80` and shifted right by 7, are the
//!   account id. AWS does not document this, but `sts:GetAccessKeyInfo` and third-party tools rely
//!   on it (<https://awsteele.com/blog/2020/09/26/aws-access-key-format.html>), so iamd's keys keep
//!   the same property.

use crate::{CryptoError, random_fill};
use data_encoding::BASE32_NOPAD;

/// Prefix of a long-term access key id.
pub const LONG_TERM_KEY_PREFIX: &str = "AKIA";
/// Prefix of a temporary (STS) access key id.
pub const TEMPORARY_KEY_PREFIX: &str = "ASIA";

/// A unique id: `prefix` followed by 17 base32 characters.
pub fn unique_id(prefix: &str) -> Result<String, CryptoError> {
    let mut b = [0u8; 11];
    random_fill(&mut b)?;
    let enc = BASE32_NOPAD.encode(&b);
    Ok(format!("{prefix}{}", &enc[..17]))
}

/// An access key id for `account` (12 digits) with the given 4-letter prefix.
pub fn access_key_id(prefix: &str, account: u64) -> Result<String, CryptoError> {
    let mut b = [0u8; 10];
    random_fill(&mut b)?;
    // Low 7 bits of the 48-bit field are random; the top bit stays clear.
    let field = ((account & 0xff_ffff_ffff) << 7) | u64::from(b[5] & 0x7f);
    let fb = field.to_be_bytes();
    b[..6].copy_from_slice(&fb[2..8]);
    Ok(format!("{prefix}{}", BASE32_NOPAD.encode(&b)))
}

/// The account encoded in an AWS-format access key id, if it has that format.
pub fn account_from_access_key_id(key_id: &str) -> Option<u64> {
    if key_id.len() != 20 || !key_id.is_ascii() {
        return None;
    }
    let decoded = BASE32_NOPAD.decode(key_id.as_bytes().get(4..)?).ok()?;
    let [d0, d1, d2, d3, d4, d5, _, _, _, _] = *<&[u8; 10]>::try_from(decoded.as_slice()).ok()?;
    let field = [0, 0, d0, d1, d2, d3, d4, d5];
    let account = (u64::from_be_bytes(field) & 0x7fff_ffff_ff80) >> 7;
    (account <= 999_999_999_999).then_some(account)
}

/// A 40-character secret access key (30 random bytes, base64).
pub fn secret_access_key() -> Result<String, CryptoError> {
    use base64::Engine;
    let mut b = [0u8; 30];
    random_fill(&mut b)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(b))
}

/// A random 12-digit account id that does not start with 0 (so it never collides with the dev
/// account `000000000000`).
pub fn account_id() -> Result<String, CryptoError> {
    let mut b = [0u8; 8];
    random_fill(&mut b)?;
    let n = u64::from_le_bytes(b) % 900_000_000_000 + 100_000_000_000;
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_encode_their_account() {
        for acct in [0u64, 1, 123_456_789_012, 999_999_999_999, 111_111_111_111] {
            for _ in 0..50 {
                let k = access_key_id("AKIA", acct).unwrap();
                assert_eq!(k.len(), 20);
                assert!(k.starts_with("AKIA"));
                assert!(
                    k.chars()
                        .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
                );
                assert_eq!(account_from_access_key_id(&k), Some(acct), "{k}");
            }
        }
    }

    #[test]
    fn decodes_published_example() {
        // From the blog post cited in the module docs: ASIAQNZGKIQY56JQ7WML belongs to 029608264753.
        assert_eq!(
            account_from_access_key_id("ASIAQNZGKIQY56JQ7WML"),
            Some(29_608_264_753)
        );
    }

    #[test]
    fn rejects_malformed_key_ids() {
        assert_eq!(account_from_access_key_id("test"), None);
        assert_eq!(account_from_access_key_id("AKIA0000000000000000"), None);
        assert_eq!(account_from_access_key_id("AKIAé00000000000000"), None);
    }

    #[test]
    fn unique_ids_and_secrets_have_aws_shape() {
        let id = unique_id("AIDA").unwrap();
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        assert_ne!(unique_id("AIDA").unwrap(), id);
        let s = secret_access_key().unwrap();
        assert_eq!(s.len(), 40);
        let a = account_id().unwrap();
        assert_eq!(a.len(), 12);
        assert!(!a.starts_with('0'));
    }
}
