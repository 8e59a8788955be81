//! LookupEvents' NextToken: the store's cursor, bound to the request that produced it.
//!
//! AWS: "This token must be passed in with the same parameters that were specified in the
//! original call" (model doc of `NextToken`); another call's token is InvalidNextTokenException.
//! The token is base64url of the first 16 bytes of SHA-256 over the request's parameters (the
//! account, the lookup attribute, StartTime/EndTime as given, EventCategory — not MaxResults,
//! which a caller may change between pages), followed by the store's cursor.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

const BINDING: usize = 16;

/// The parameters a token is bound to.
pub(crate) struct Binding<'a> {
    pub account: &'a str,
    pub attribute: Option<(&'a str, &'a str)>,
    pub start: Option<i128>,
    pub end: Option<i128>,
    pub category: Option<&'a str>,
}

impl Binding<'_> {
    fn digest(&self) -> [u8; BINDING] {
        let mut h = Sha256::new();
        h.update(b"iamd LookupEvents NextToken v1\0");
        for part in [
            Some(self.account),
            self.attribute.map(|(k, _)| k),
            self.attribute.map(|(_, v)| v),
            self.category,
        ] {
            match part {
                Some(p) => {
                    h.update((p.len() as u64).to_be_bytes());
                    h.update(p.as_bytes());
                }
                None => h.update(u64::MAX.to_be_bytes()),
            }
        }
        for t in [self.start, self.end] {
            match t {
                Some(t) => {
                    h.update([1]);
                    h.update(t.to_be_bytes());
                }
                None => h.update([0]),
            }
        }
        let full = h.finalize();
        let mut out = [0u8; BINDING];
        for (o, b) in out.iter_mut().zip(full.iter()) {
            *o = *b;
        }
        out
    }

    pub fn encode(&self, cursor: &str) -> String {
        let mut bytes = self.digest().to_vec();
        bytes.extend_from_slice(cursor.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The cursor inside `token`, if it was issued for these parameters.
    pub fn decode(&self, token: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let (bound, cursor) = bytes.split_at_checked(BINDING)?;
        if bound != self.digest() || cursor.is_empty() {
            return None;
        }
        String::from_utf8(cursor.to_vec()).ok()
    }
}
