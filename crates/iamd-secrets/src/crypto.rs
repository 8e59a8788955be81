//! Envelope encryption of secret versions (design §6): every version gets its own random 32-byte
//! data key; the value is sealed with it (AES-256-GCM), and the data key is sealed ("wrapped")
//! with the master key's `secret-data-key v1` sealing key. Both seals bind the same associated
//! data, the secret's ARN and the version id, so a blob copied onto another secret or version
//! fails to open. Plaintext values and data keys live in [`Zeroizing`] buffers only.

use crate::error::Error;
use iamd_crypto::{SealingKey, random_fill};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use zeroize::Zeroizing;

/// The master-key purpose under which data keys are wrapped.
pub(crate) const DATA_KEY_PURPOSE: &[u8] = b"secret-data-key v1";

/// A version's value as callers hand it in or get it back.
pub enum Plain {
    String(Zeroizing<String>),
    Binary(Zeroizing<Vec<u8>>),
}

impl Plain {
    pub fn is_binary(&self) -> bool {
        matches!(self, Plain::Binary(_))
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Plain::String(s) => s.as_bytes(),
            Plain::Binary(b) => b,
        }
    }

    /// Same kind and same bytes, compared in constant time.
    pub fn same_as(&self, other: &Plain) -> bool {
        self.is_binary() == other.is_binary() && iamd_crypto::ct_eq(self.bytes(), other.bytes())
    }
}

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_binary() {
            "Plain::Binary(<redacted>)"
        } else {
            "Plain::String(<redacted>)"
        })
    }
}

/// One version's value at rest.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub binary: bool,
    /// The data key sealed with the master sealing key.
    pub wrapped_key: Vec<u8>,
    /// The value sealed with the data key.
    pub sealed_value: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("binary", &self.binary)
            .finish_non_exhaustive()
    }
}

/// The associated data binding a sealed version to its secret and version id.
pub(crate) fn aad(arn: &str, version_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(arn.len() + version_id.len() + 16);
    out.extend_from_slice(b"secret-version\n");
    out.extend_from_slice(arn.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(version_id.as_bytes());
    out
}

pub(crate) fn seal(
    master: &SealingKey,
    arn: &str,
    version_id: &str,
    value: &Plain,
) -> Result<Sealed, Error> {
    let ad = aad(arn, version_id);
    let mut dk = Zeroizing::new([0u8; 32]);
    random_fill(dk.as_mut())?;
    let data_key = SealingKey::from_bytes(*dk);
    let sealed_value = data_key.seal(&ad, value.bytes())?;
    let wrapped_key = master.seal(&ad, dk.as_ref())?;
    Ok(Sealed {
        binary: value.is_binary(),
        wrapped_key,
        sealed_value,
    })
}

fn unwrap_data_key(master: &SealingKey, ad: &[u8], wrapped: &[u8]) -> Result<SealingKey, Error> {
    let dk = Zeroizing::new(master.open(ad, wrapped)?);
    let arr: Zeroizing<[u8; 32]> = Zeroizing::new(
        dk.as_slice()
            .try_into()
            .map_err(|_| Error::Internal("a wrapped data key has the wrong length".into()))?,
    );
    Ok(SealingKey::from_bytes(*arr))
}

/// Data keys already unwrapped, by wrapped blob, each with the associated data it was unwrapped
/// under: a version read again opens only its value, not its data key too. The keys are held as
/// AES key schedules that zeroize on drop, next to the master key they were wrapped with.
#[derive(Default)]
pub(crate) struct DataKeys {
    map: RwLock<HashMap<Vec<u8>, BoundKey>>,
}

/// A data key with the associated data it was unwrapped under.
type BoundKey = (Vec<u8>, Arc<SealingKey>);

/// About 700 bytes per key schedule: at most some 7 MB; past it, keys are unwrapped again.
const DATA_KEYS_CAPACITY: usize = 10_000;

impl DataKeys {
    fn get(
        &self,
        master: &SealingKey,
        ad: &[u8],
        wrapped: &[u8],
    ) -> Result<Arc<SealingKey>, Error> {
        if let Ok(map) = self.map.read()
            && let Some((bound, key)) = map.get(wrapped)
            && bound.as_slice() == ad
        {
            return Ok(key.clone());
        }
        let key = Arc::new(unwrap_data_key(master, ad, wrapped)?);
        if let Ok(mut map) = self.map.write() {
            if map.len() >= DATA_KEYS_CAPACITY {
                map.clear();
            }
            map.insert(wrapped.to_vec(), (ad.to_vec(), key.clone()));
        }
        Ok(key)
    }
}

pub(crate) fn open(
    master: &SealingKey,
    arn: &str,
    version_id: &str,
    sealed: &Sealed,
) -> Result<Plain, Error> {
    let ad = aad(arn, version_id);
    let data_key = unwrap_data_key(master, &ad, &sealed.wrapped_key)?;
    open_with(&data_key, &ad, sealed)
}

/// [`open`] with the data key from (or added to) `keys`.
pub(crate) fn open_cached(
    master: &SealingKey,
    keys: &DataKeys,
    arn: &str,
    version_id: &str,
    sealed: &Sealed,
) -> Result<Plain, Error> {
    let ad = aad(arn, version_id);
    let data_key = keys.get(master, &ad, &sealed.wrapped_key)?;
    open_with(&data_key, &ad, sealed)
}

fn open_with(data_key: &SealingKey, ad: &[u8], sealed: &Sealed) -> Result<Plain, Error> {
    let mut plain = Zeroizing::new(data_key.open(ad, &sealed.sealed_value)?);
    if sealed.binary {
        return Ok(Plain::Binary(plain));
    }
    // Moves the bytes into the String (no copy left behind); the emptied buffer zeroizes.
    match String::from_utf8(std::mem::take(&mut *plain)) {
        Ok(s) => Ok(Plain::String(Zeroizing::new(s))),
        Err(e) => {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            Err(Error::Internal(
                "a stored secret string is not UTF-8".into(),
            ))
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
    use iamd_crypto::MasterKey;

    #[test]
    fn round_trip_and_binding() {
        let mk = MasterKey::generate().unwrap();
        let k = mk.sealing_key(DATA_KEY_PURPOSE);
        let arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:a-AbCdEf";
        let v = Plain::String(Zeroizing::new("hunter2".into()));
        let s = seal(&k, arn, "v1", &v).unwrap();
        assert!(!s.sealed_value.windows(7).any(|w| w == b"hunter2"));
        assert!(open(&k, arn, "v1", &s).unwrap().same_as(&v));
        // Another version id, another secret, or another master key: refused.
        assert!(open(&k, arn, "v2", &s).is_err());
        assert!(
            open(
                &k,
                "arn:aws:secretsmanager:us-east-1:111111111111:secret:b-AbCdEf",
                "v1",
                &s
            )
            .is_err()
        );
        let other = MasterKey::generate().unwrap().sealing_key(DATA_KEY_PURPOSE);
        assert!(open(&other, arn, "v1", &s).is_err());
        // A different purpose of the same master key does not open data keys either.
        assert!(open(&mk.sealing_key(b"access-key-secret v1"), arn, "v1", &s).is_err());
        // Each version has its own data key: two seals of one value differ entirely.
        let s2 = seal(&k, arn, "v1", &v).unwrap();
        assert_ne!(s.wrapped_key, s2.wrapped_key);
        assert_ne!(s.sealed_value, s2.sealed_value);
        let b = Plain::Binary(Zeroizing::new(vec![0, 159, 146, 150]));
        let sb = seal(&k, arn, "v3", &b).unwrap();
        let back = open(&k, arn, "v3", &sb).unwrap();
        assert!(back.is_binary() && back.same_as(&b));
        assert!(!back.same_as(&Plain::String(Zeroizing::new("\0\u{9f}".into()))));
    }

    #[test]
    fn cached_data_keys_keep_the_binding() {
        let mk = MasterKey::generate().unwrap();
        let k = mk.sealing_key(DATA_KEY_PURPOSE);
        let keys = DataKeys::default();
        let arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:a-AbCdEf";
        let v = Plain::String(Zeroizing::new("hunter2".into()));
        let s = seal(&k, arn, "v1", &v).unwrap();
        // First open unwraps and caches the data key; the second uses the cached key.
        assert!(open_cached(&k, &keys, arn, "v1", &s).unwrap().same_as(&v));
        assert!(open_cached(&k, &keys, arn, "v1", &s).unwrap().same_as(&v));
        assert_eq!(keys.map.read().unwrap().len(), 1);
        // The cached key is bound to the associated data it was unwrapped under: the same blob
        // presented for another version or secret is refused, cached or not.
        assert!(open_cached(&k, &keys, arn, "v2", &s).is_err());
        let b = "arn:aws:secretsmanager:us-east-1:111111111111:secret:b-AbCdEf";
        assert!(open_cached(&k, &keys, b, "v1", &s).is_err());
        // A tampered value is refused although its data key is cached.
        let mut bad = s.clone();
        let last = bad.sealed_value.len() - 1;
        bad.sealed_value[last] ^= 1;
        assert!(open_cached(&k, &keys, arn, "v1", &bad).is_err());
        // Another master key does not find the cached key usable.
        let other = MasterKey::generate().unwrap().sealing_key(DATA_KEY_PURPOSE);
        let s_other = seal(&other, arn, "v1", &v).unwrap();
        assert!(open_cached(&k, &keys, arn, "v1", &s_other).is_err());
    }
}
