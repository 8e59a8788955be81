//! Derived SigV4 signing keys, cached per (access key, date, region, service): deriving one costs
//! four HMACs, and a key id's secret never changes, so the cache never goes stale. Bounded: it is
//! emptied when it grows past `CAPACITY` entries (keys are rederived on demand).

use iamd_sigv4::SigningKey;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

const CAPACITY: usize = 50_000;

#[derive(Default)]
pub struct KeyCache {
    map: RwLock<HashMap<String, Arc<SigningKey>>>,
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
        let id = format!("{access_key_id}/{date}/{region}/{service}");
        if let Ok(m) = self.map.read()
            && let Some(k) = m.get(&id)
        {
            return k.clone();
        }
        let key = Arc::new(SigningKey::derive(secret, date, region, service));
        if let Ok(mut m) = self.map.write() {
            if m.len() >= CAPACITY {
                m.clear();
            }
            m.insert(id, key.clone());
        }
        key
    }

    pub fn clear(&self) {
        if let Ok(mut m) = self.map.write() {
            m.clear();
        }
    }
}
