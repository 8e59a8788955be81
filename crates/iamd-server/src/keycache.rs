//! Derived SigV4 signing keys, cached per (access key, date, region, service): deriving one costs
//! four HMACs, and a key id's secret never changes, so the cache never goes stale. Bounded: it is
//! emptied when it grows past `CAPACITY` access keys (keys are rederived on demand).
//!
//! Looked up by access key id without building a combined key string: a key id is used with one
//! or a few scopes at a time, so each has a short list of (date, region, service) entries.

use iamd_sigv4::SigningKey;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

const CAPACITY: usize = 50_000;
/// Scopes kept per access key (a day's rollover, several regions, IAM and STS and Secrets Manager).
const SCOPES_PER_KEY: usize = 16;

struct Scoped {
    date: String,
    region: String,
    service: String,
    key: Arc<SigningKey>,
}

#[derive(Default)]
pub struct KeyCache {
    map: RwLock<HashMap<String, Vec<Scoped>>>,
}

impl KeyCache {
    pub fn get_or_derive(
        &self,
        access_key_id: &str,
        secret: &[u8],
        date: &str,
        region: &str,
        service: &str,
    ) -> Arc<SigningKey> {
        let find = |scopes: &[Scoped]| {
            scopes
                .iter()
                .find(|s| s.date == date && s.region == region && s.service == service)
                .map(|s| s.key.clone())
        };
        if let Ok(m) = self.map.read()
            && let Some(k) = m.get(access_key_id).and_then(|s| find(s))
        {
            return k;
        }
        let key = Arc::new(SigningKey::derive(secret, date, region, service));
        if let Ok(mut m) = self.map.write() {
            if m.len() >= CAPACITY {
                m.clear();
            }
            let scopes = m.entry(access_key_id.to_owned()).or_default();
            if scopes.len() >= SCOPES_PER_KEY {
                scopes.clear();
            }
            scopes.push(Scoped {
                date: date.to_owned(),
                region: region.to_owned(),
                service: service.to_owned(),
                key: key.clone(),
            });
        }
        key
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
}
