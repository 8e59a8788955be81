//! The change feed: `LISTEN` on a dedicated connection for the revisions that write transactions
//! `NOTIFY` when they commit.

use super::{PostgresSettings, drop_off_runtime, off_runtime, pg_error};
use crate::StoreError;
use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use std::time::{Duration, Instant};

/// The channel [`PostgresStore`](super::PostgresStore) notifies after every committed write; the payload is the new
/// revision in decimal.
pub const CHANGES_CHANNEL: &str = "iamd_changes";

/// Change notifications from [`PostgresStore::subscribe`](super::PostgresStore::subscribe).
pub struct Subscription {
    client: Option<Client>,
}

impl Subscription {
    /// Opens a dedicated connection that `LISTEN`s on [`CHANGES_CHANNEL`] (see
    /// [`PostgresStore::subscribe`](super::PostgresStore::subscribe)).
    pub(super) fn open(settings: &PostgresSettings) -> Result<Self, StoreError> {
        off_runtime("subscribe", || {
            let mut client = settings.connect()?;
            client
                .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
                .map_err(|e| pg_error(&e))?;
            Ok(Subscription {
                client: Some(client),
            })
        })
    }

    /// Waits up to `timeout` for the next committed revision. `Ok(None)`: nothing arrived.
    /// `Err(Unavailable)`: the connection is gone; subscribe again.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<i64>, StoreError> {
        let client = self
            .client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("subscription closed".into()))?;
        off_runtime("notifications", || {
            let deadline = Instant::now() + timeout;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let next = client.notifications().timeout_iter(left).next();
                match next {
                    Ok(Some(n)) => {
                        if n.channel() != CHANGES_CHANNEL {
                            continue;
                        }
                        match n.payload().parse::<i64>() {
                            Ok(rev) => return Ok(Some(rev)),
                            // Not ours (someone else notifying the channel): ignore.
                            Err(_) => continue,
                        }
                    }
                    Ok(None) if client.is_closed() => {
                        return Err(StoreError::Unavailable(
                            "postgres: notification connection lost".into(),
                        ));
                    }
                    Ok(None) => return Ok(None),
                    Err(e) => return Err(pg_error(&e)),
                }
            }
        })
    }
}

impl Iterator for Subscription {
    type Item = Result<i64, StoreError>;

    /// Blocks until the next revision; ends after reporting a lost connection once.
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.client.as_ref()?;
            match self.recv_timeout(Duration::from_secs(3600)) {
                Ok(Some(rev)) => return Some(Ok(rev)),
                Ok(None) => continue,
                Err(e) => {
                    drop_off_runtime(self.client.take());
                    return Some(Err(e));
                }
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop_off_runtime(self.client.take());
    }
}

impl crate::ChangeFeed for Subscription {
    fn wait(&mut self, timeout: Duration) -> Result<Option<i64>, StoreError> {
        self.recv_timeout(timeout)
    }
}

#[cfg(test)]
mod tests {
    use crate::pg::testing::{TestSchema, pg_url};
    use crate::{Expect, Store, StoreError, StoreExt};
    use std::time::{Duration, Instant};

    #[test]
    fn notifications_carry_committed_revisions() {
        let Some(url) = pg_url("notifications_carry_committed_revisions") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let a = schema.store();
        let b = schema.store();
        // Start from a revision no concurrently running test reaches, so that notifications from
        // other schemas on the channel cannot satisfy the assertions.
        a.write(|tx| tx.set_meta("revision", "7000000000")).unwrap();
        let mut sub = b.subscribe().unwrap();
        a.write(|tx| tx.put("user", "1", "x", b"1", Expect::Absent))
            .unwrap();
        // Refused and read-only transactions notify nothing.
        let _ = a.write(|tx| tx.put("user", "1", "x", b"1", Expect::Absent));
        a.write(|tx| tx.get("user", "1", "x").map(|_| ())).unwrap();
        a.write(|tx| tx.put("user", "1", "y", b"1", Expect::Absent))
            .unwrap();
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while got.len() < 2 && Instant::now() < deadline {
            if let Some(rev) = sub.recv_timeout(Duration::from_millis(200)).unwrap()
                && rev > 7_000_000_000
            {
                got.push(rev);
            }
        }
        assert_eq!(got, [7_000_000_002, 7_000_000_003]);
        assert_eq!(b.revision().unwrap(), 7_000_000_003);
        assert_eq!(
            sub.recv_timeout(Duration::from_millis(300))
                .unwrap()
                .filter(|r| *r > 7_000_000_000),
            None
        );
    }

    #[test]
    fn a_lost_listener_connection_is_reported() {
        let Some(url) = pg_url("a_lost_listener_connection_is_reported") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let store = schema.store();
        let mut sub = store.subscribe().unwrap();
        let mut admin = schema.client();
        let n = admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE query = 'LISTEN iamd_changes' AND application_name = $1",
                &[&schema.name],
            )
            .unwrap();
        assert!(n >= 1);
        let mut outcome = Ok(None);
        for _ in 0..25 {
            outcome = sub.recv_timeout(Duration::from_millis(200));
            if outcome.is_err() {
                break;
            }
        }
        assert!(
            matches!(outcome, Err(StoreError::Unavailable(_))),
            "{outcome:?}"
        );
        assert!(matches!(sub.next(), Some(Err(_)) | None));
    }
}
