//! Derived SigV4 signing keys, cached per (access key, date, region, service): deriving one costs
//! four HMACs, and a key id's secret never changes, so the cache never goes stale. Bounded: it is
//! emptied when it grows past `CAPACITY` access keys (keys are rederived on demand).
//!
//! Only a key that has just verified a request is stored ([`KeyCache::verify_with`]): nothing an
//! unauthenticated request sends is kept. (Storing before the check let requests with bad
//! signatures grow the cache with whatever scope strings they sent: issue #11, finding 9.) The
//! stored strings are bounded too ([`MAX_SCOPE_PART`]), whatever the caller checked before.
//!
//! Looked up by access key id without building a combined key string: a key id is used with one
//! or a few scopes at a time, so each has a short list of (date, region, service) entries.

use iamd_sigv4::SigningKey;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

const CAPACITY: usize = 50_000;
/// Scopes kept per access key (a day's rollover, several regions, IAM and STS and Secrets Manager).
const SCOPES_PER_KEY: usize = 16;
/// Longest access key id or scope part stored (AWS key ids are at most 128 characters; dates are
/// 8, regions and services a few dozen). A longer one is used but never kept.
pub const MAX_SCOPE_PART: usize = 128;

struct Scoped {
    date: String,
    region: String,
    service: String,
    key: Arc<SigningKey>,
}

impl Scoped {
    fn bytes(&self) -> usize {
        self.date.len() + self.region.len() + self.service.len() + std::mem::size_of::<SigningKey>()
    }
}

pub struct KeyCache {
    map: RwLock<HashMap<String, Vec<Scoped>>>,
    /// Hits and misses; the entry count is set from [`KeyCache::size`] when metrics are read.
    pub(crate) stats: Arc<iamd_metrics::CacheStats>,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache {
            map: RwLock::default(),
            stats: iamd_metrics::cache("signing_keys", CAPACITY * SCOPES_PER_KEY),
        }
    }
}

/// What the cache holds: signing keys, and the bytes of the strings and keys stored (not counting
/// the maps' own overhead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyCacheSize {
    pub keys: usize,
    pub bytes: usize,
}

impl KeyCache {
    fn cached(
        &self,
        access_key_id: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Option<Arc<SigningKey>> {
        let m = self.map.read().ok()?;
        m.get(access_key_id)?
            .iter()
            .find(|s| s.date == date && s.region == region && s.service == service)
            .map(|s| s.key.clone())
    }

    /// Runs `verify` with the signing key of this scope, cached or derived from `secret`; a derived
    /// key is stored only if `verify` accepted it (and the strings are short enough to keep).
    pub fn verify_with<E>(
        &self,
        access_key_id: &str,
        secret: &[u8],
        date: &str,
        region: &str,
        service: &str,
        verify: impl FnOnce(&SigningKey) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(key) = self.cached(access_key_id, date, region, service) {
            self.stats.hit();
            return verify(&key);
        }
        self.stats.miss();
        let key = SigningKey::derive(secret, date, region, service);
        verify(&key)?;
        if [access_key_id, date, region, service]
            .iter()
            .all(|s| s.len() <= MAX_SCOPE_PART)
        {
            self.insert(access_key_id, date, region, service, key);
        }
        Ok(())
    }

    fn insert(
        &self,
        access_key_id: &str,
        date: &str,
        region: &str,
        service: &str,
        key: SigningKey,
    ) {
        let Ok(mut m) = self.map.write() else {
            return;
        };
        if m.len() >= CAPACITY && !m.contains_key(access_key_id) {
            m.clear();
        }
        let scopes = m.entry(access_key_id.to_owned()).or_default();
        if scopes
            .iter()
            .any(|s| s.date == date && s.region == region && s.service == service)
        {
            return; // another request verified the same scope meanwhile
        }
        if scopes.len() >= SCOPES_PER_KEY {
            scopes.clear();
        }
        scopes.push(Scoped {
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            key: Arc::new(key),
        });
    }

    /// How many keys, and how many bytes of keys and strings, are stored.
    pub fn size(&self) -> KeyCacheSize {
        let Ok(m) = self.map.read() else {
            return KeyCacheSize::default();
        };
        m.iter()
            .fold(KeyCacheSize::default(), |acc, (id, scopes)| KeyCacheSize {
                keys: acc.keys + scopes.len(),
                bytes: acc.bytes + id.len() + scopes.iter().map(Scoped::bytes).sum::<usize>(),
            })
    }

    pub fn clear(&self) {
        if let Ok(mut m) = self.map.write() {
            m.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl KeyCache {
        /// The old lookup, for the tests written against it: the key of a scope as stored after
        /// a request it verified.
        fn get_or_derive(
            &self,
            access_key_id: &str,
            secret: &[u8],
            date: &str,
            region: &str,
            service: &str,
        ) -> Arc<SigningKey> {
            let verified = self.verify_with(access_key_id, secret, date, region, service, |_| {
                Ok::<(), ()>(())
            });
            assert_eq!(verified, Ok(()));
            self.cached(access_key_id, date, region, service).unwrap()
        }
    }

    #[test]
    fn one_key_per_scope_and_secret_never_mixed_up() {
        let c = KeyCache::default();
        let a = c.get_or_derive("AKIA1", b"s1", "20260101", "us-east-1", "sts");
        let again = c.get_or_derive("AKIA1", b"s1", "20260101", "us-east-1", "sts");
        assert!(Arc::ptr_eq(&a, &again));
        // Each part of the scope selects its own key, derived as SigV4 defines it.
        for (date, region, service) in [
            ("20260102", "us-east-1", "sts"),
            ("20260101", "eu-west-1", "sts"),
            ("20260101", "us-east-1", "iam"),
        ] {
            let k = c.get_or_derive("AKIA1", b"s1", date, region, service);
            assert!(!Arc::ptr_eq(&a, &k));
            assert_eq!(
                k.as_bytes(),
                SigningKey::derive(b"s1", date, region, service).as_bytes()
            );
        }
        // Another access key with the same scope has its own entry.
        let b = c.get_or_derive("AKIA2", b"s2", "20260101", "us-east-1", "sts");
        assert_eq!(
            b.as_bytes(),
            SigningKey::derive(b"s2", "20260101", "us-east-1", "sts").as_bytes()
        );
        // A key id used with many scopes stays bounded and still answers correctly.
        for day in 0..40 {
            let date = format!("202601{:02}", day % 28 + 1);
            let k = c.get_or_derive("AKIA3", b"s3", &date, "us-east-1", "sts");
            assert_eq!(
                k.as_bytes(),
                SigningKey::derive(b"s3", &date, "us-east-1", "sts").as_bytes()
            );
        }
        assert!(c.map.read().unwrap().get("AKIA3").unwrap().len() <= SCOPES_PER_KEY);
    }

    #[test]
    fn a_key_that_verified_nothing_is_not_kept() {
        let c = KeyCache::default();
        let huge = "r".repeat(390_000);
        for id in ["AKIA1", "AKIA2"] {
            for region in ["us-east-1", huge.as_str()] {
                let r = c.verify_with(id, b"s", "20260101", region, "sts", |_| {
                    Err("bad signature")
                });
                assert_eq!(r, Err("bad signature"));
            }
        }
        assert_eq!(c.size(), KeyCacheSize::default());
        assert!(c.map.read().unwrap().is_empty());
        // A verified key is kept, with what it stores counted.
        c.verify_with("AKIA1", b"s", "20260101", "us-east-1", "sts", |_| {
            Ok::<(), ()>(())
        })
        .unwrap();
        let size = c.size();
        assert_eq!(size.keys, 1);
        assert_eq!(
            size.bytes,
            5 + 8 + 9 + 3 + std::mem::size_of::<SigningKey>()
        );
        // A verified key with an overlong scope part is used but not kept.
        c.verify_with(
            "AKIA1",
            b"s",
            "20260101",
            &huge,
            "sts",
            |_| Ok::<(), ()>(()),
        )
        .unwrap();
        assert_eq!(c.size(), size);
    }
}
