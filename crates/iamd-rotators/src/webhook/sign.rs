//! The request signature: `X-Iamd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, the MAC
//! taken with the shared key over `<t>.<body>` (the decimal timestamp, a full stop, the body's
//! exact bytes). docs/rotation-webhook.md says how a receiver checks it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header's name.
pub const HEADER: &str = "x-iamd-signature";

/// The MAC of one request.
fn mac(key: &[u8], timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => <Hmac<Sha256> as KeyInit>::new(&Default::default()),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header's value for a request sent at `timestamp`.
pub fn header_value(key: &[u8], timestamp: u64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(key, timestamp, body).finalize().into_bytes())
    )
}

/// Why a receiver refuses a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the request is older or newer than the tolerance allows")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// A receiver's check, as docs/rotation-webhook.md describes it (for Rust receivers and the
/// tests): the timestamp within `tolerance_secs` of `now`, and one `v1` entry equal, in constant
/// time, to the MAC of `<t>.<body>`.
pub fn verify(
    key: &[u8],
    header: &str,
    body: &[u8],
    now: u64,
    tolerance_secs: u64,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<u64>().map_err(|_| VerifyError::Malformed)?);
            }
            Some(("v1", v)) => {
                signatures.push(hex::decode(v).map_err(|_| VerifyError::Malformed)?);
            }
            Some(_) => {}
            None => return Err(VerifyError::Malformed),
        }
    }
    let t = timestamp.ok_or(VerifyError::Malformed)?;
    if signatures.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if t.abs_diff(now) > tolerance_secs {
        return Err(VerifyError::Stale);
    }
    if signatures
        .iter()
        .any(|s| mac(key, t, body).verify_slice(s).is_ok())
    {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}
