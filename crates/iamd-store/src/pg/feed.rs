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
    /// `Err(Unavailable)`: the connection is gone and the subscription with it (every later call
    /// says so too); subscribe again.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<i64>, StoreError> {
        let client = self
            .client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("subscription closed".into()))?;
        let next = off_runtime("notifications", || {
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
        });
        if next.is_err() {
            // The client reads what the server sent before the error together with it and
            // reports the error first: notifications read with it would otherwise come out of
            // later calls, after the caller was told that the feed was lost.
            drop_off_runtime(self.client.take());
        }
        next
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
    use super::Subscription;
    use crate::pg::PostgresSettings;
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

    /// A fake PostgreSQL server on 127.0.0.1 for one connection: it accepts the startup and the
    /// `LISTEN`; then, when `go` says so, it sends in one write a notification for each of
    /// `revisions` followed by the FATAL error of a terminated backend, and closes the connection.
    fn dying_listener(
        revisions: &'static [i64],
        go: std::sync::mpsc::Receiver<()>,
    ) -> (u16, std::thread::JoinHandle<()>) {
        use std::io::{Read, Write};
        fn message(kind: u8, body: &[u8]) -> Vec<u8> {
            let mut out = vec![kind];
            out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
            out.extend_from_slice(body);
            out
        }
        fn cstr(out: &mut Vec<u8>, s: &str) {
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        }
        fn read_body(r: &mut impl Read) -> Vec<u8> {
            let mut len = [0u8; 4];
            r.read_exact(&mut len).unwrap();
            let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
            r.read_exact(&mut body).unwrap();
            body
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            read_body(&mut tcp); // the startup message (sslmode=disable: no SSLRequest)
            let mut out = message(b'R', &0u32.to_be_bytes()); // AuthenticationOk
            out.extend(message(b'Z', b"I"));
            tcp.write_all(&out).unwrap();
            let mut kind = [0u8; 1];
            tcp.read_exact(&mut kind).unwrap();
            assert_eq!(kind, [b'Q']);
            let query = read_body(&mut tcp);
            assert!(query.starts_with(b"LISTEN iamd_changes"), "{query:?}");
            let mut out = message(b'C', b"LISTEN\0");
            out.extend(message(b'Z', b"I"));
            tcp.write_all(&out).unwrap();
            go.recv().unwrap();
            let mut out = Vec::new();
            for rev in revisions {
                let mut body = 4242u32.to_be_bytes().to_vec();
                cstr(&mut body, super::CHANGES_CHANNEL);
                cstr(&mut body, &rev.to_string());
                out.extend(message(b'A', &body));
            }
            let mut fields = Vec::new();
            for (k, v) in [
                (b'S', "FATAL"),
                (b'V', "FATAL"),
                (b'C', "57P01"),
                (b'M', "terminating connection due to administrator command"),
            ] {
                fields.push(k);
                cstr(&mut fields, v);
            }
            fields.push(0);
            out.extend(message(b'E', &fields));
            tcp.write_all(&out).unwrap();
            let _ = tcp.shutdown(std::net::Shutdown::Both);
        });
        (port, handle)
    }

    #[test]
    fn a_lost_connection_ends_the_subscription_even_with_revisions_queued() {
        // The client reads the queued notifications and the error in one go and reports the
        // error first; the revisions read with it must not surface after the loss was reported
        // (the caller has moved on to a new subscription and a revision check by then).
        let (go, wait) = std::sync::mpsc::channel();
        let (port, server) = dying_listener(&[41, 42], wait);
        let settings = PostgresSettings::from_url(&format!(
            "postgres://iamd@127.0.0.1:{port}/db?sslmode=disable&connect_timeout=5"
        ))
        .unwrap();
        let mut sub = Subscription::open(&settings).unwrap();
        go.send(()).unwrap();
        server.join().unwrap();
        let mut seen = Vec::new();
        let lost = loop {
            match sub.recv_timeout(Duration::from_secs(5)) {
                Ok(Some(rev)) => seen.push(rev),
                Ok(None) => panic!("no news from a dead connection; saw {seen:?}"),
                Err(e) => break e,
            }
        };
        assert!(matches!(lost, StoreError::Unavailable(_)), "{lost:?}");
        assert!(seen.len() <= 2, "{seen:?}");
        // From then on the subscription is over.
        match sub.recv_timeout(Duration::from_millis(100)) {
            Err(StoreError::Unavailable(m)) => assert!(m.contains("closed"), "{m}"),
            other => panic!("after a lost connection: {other:?}"),
        }
        assert!(sub.next().is_none());
    }
}
