//! Limits on wrong one-time codes (issue 11, finding 4), so that a six-digit code cannot be
//! guessed while it is valid: without them a caller holding a user's access key could try the
//! million codes of a 90-second window at tens of thousands a second.
//!
//! - **Per device, in the store**, so that every node and every restart sees it: the
//!   `mfa-attempts` record beside the device (same account and key) counts the wrong codes (six
//!   digits that are no code of the window; a malformed code is no guess) since the last
//!   accepted one. From the [`FAILURES_BEFORE_LOCK`]th on, each wrong code locks the
//!   device, for [`FIRST_LOCK_SECONDS`] and twice as long with every further wrong code, up to
//!   [`MAX_LOCK_SECONDS`]. A locked device answers every code — the right one too — with the
//!   answer to a wrong code, without checking it, so a guesser learns nothing while it lasts; an
//!   accepted code removes the record. So at most 7 guesses fit in the 90 seconds a code is
//!   accepted, a dozen in the first hour, then one an hour: with a code valid for 3 steps, about
//!   7 · 10⁻⁵ chance a day of hitting one.
//! - **Per caller, in memory on each node**: an IAM user checking codes through STS
//!   (GetSessionToken, AssumeRole) gets at most [`CALLER_FAILURES_PER_WINDOW`] wrong codes per
//!   [`CALLER_WINDOW_SECONDS`] on a node, over all its devices; beyond that its codes are
//!   refused unchecked until the window ends. (Per node: the device limit above is the one that
//!   holds across nodes.)
//!
//! Only what must be remembered is written: a wrong code on an unlocked device writes its
//! failure count (one small record), a code sent while locked writes nothing, and an accepted
//! code removes the record in the transaction that spends the code. STS requests without MFA
//! never come here.
//!
//! The record is separate from the device's, so wrong codes never move the device record's
//! version, which spending a code compare-and-sets: an attacker's wrong codes cannot make the
//! user's right code lose that race.

use super::super::{from_json, to_json};
use crate::error::Error;
use iamd_store::{Expect, Tx};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;

pub(crate) const KIND_ATTEMPTS: &str = "mfa-attempts";
/// Wrong codes in a row a device takes before it locks.
pub const FAILURES_BEFORE_LOCK: u32 = 5;
/// The first lock; every further wrong code doubles it.
pub const FIRST_LOCK_SECONDS: i64 = 30;
/// The longest lock.
pub const MAX_LOCK_SECONDS: i64 = 3600;
/// Wrong codes one caller may send per window on one node.
pub const CALLER_FAILURES_PER_WINDOW: u32 = 10;
pub const CALLER_WINDOW_SECONDS: i64 = 60;

/// The `mfa-attempts` record of a device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    /// Wrong codes since the last accepted one.
    pub failures: u32,
    /// Until when (Unix seconds) every code is refused unchecked.
    #[serde(default)]
    pub locked_until: Option<i64>,
}

impl Attempts {
    pub fn locked(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// One more wrong code at `now`: from the [`FAILURES_BEFORE_LOCK`]th on, the device locks
    /// for `FIRST_LOCK_SECONDS × 2^(failures − FAILURES_BEFORE_LOCK)`, at most
    /// [`MAX_LOCK_SECONDS`].
    pub fn fail(&mut self, now: i64) {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= FAILURES_BEFORE_LOCK {
            let doublings = (self.failures - FAILURES_BEFORE_LOCK).min(16);
            let secs = (FIRST_LOCK_SECONDS << doublings).min(MAX_LOCK_SECONDS);
            self.locked_until = Some(now.saturating_add(secs));
        }
    }
}

/// The device's record, if it has one.
pub(super) fn load(tx: &mut dyn Tx, acct: &str, key: &str) -> Result<Option<Attempts>, Error> {
    match tx.get(KIND_ATTEMPTS, acct, key)? {
        Some(r) => Ok(Some(from_json(&r.data)?)),
        None => Ok(None),
    }
}

/// Whether the device is locked at `now`.
pub(super) fn locked(tx: &mut dyn Tx, acct: &str, key: &str, now: i64) -> Result<bool, Error> {
    Ok(load(tx, acct, key)?.is_some_and(|a| a.locked(now)))
}

/// Counts one wrong code (in the caller's write transaction).
pub(super) fn record_failure(
    tx: &mut dyn Tx,
    acct: &str,
    key: &str,
    now: i64,
) -> Result<(), Error> {
    let mut a = load(tx, acct, key)?.unwrap_or_default();
    a.fail(now);
    tx.put(KIND_ATTEMPTS, acct, key, &to_json(&a)?, Expect::Any)?;
    Ok(())
}

/// Forgets the device's failures (a code was accepted, or the device is deleted).
pub(super) fn clear(tx: &mut dyn Tx, acct: &str, key: &str) -> Result<(), Error> {
    tx.delete(KIND_ATTEMPTS, acct, key, Expect::Any)?;
    Ok(())
}

/// The per-caller limit of this node: caller → (start of its window, wrong codes in it).
#[derive(Debug, Default)]
pub struct CallerFailures(Mutex<HashMap<String, (i64, u32)>>);

impl CallerFailures {
    /// Whether `caller` has used up its wrong codes for the window that holds `now`.
    pub fn throttled(&self, caller: &str, now: i64) -> bool {
        let Ok(map) = self.0.lock() else {
            // A poisoned lock: refuse rather than stop counting.
            return true;
        };
        map.get(caller).is_some_and(|(start, n)| {
            now < start.saturating_add(CALLER_WINDOW_SECONDS) && *n >= CALLER_FAILURES_PER_WINDOW
        })
    }

    /// Forgets every count.
    pub fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }

    /// Counts one wrong code of `caller` at `now`.
    pub fn fail(&self, caller: &str, now: i64) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        if map.len() >= 100_000 {
            // Bounded: windows are a minute long, so dropping old ones loses at most a minute.
            map.retain(|_, (start, _)| now < start.saturating_add(CALLER_WINDOW_SECONDS));
        }
        let entry = map.entry(caller.to_owned()).or_insert((now, 0));
        if now >= entry.0.saturating_add(CALLER_WINDOW_SECONDS) {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_five_and_backs_off_to_an_hour() {
        let mut a = Attempts::default();
        for _ in 0..FAILURES_BEFORE_LOCK - 1 {
            a.fail(1000);
            assert!(!a.locked(1000));
        }
        let mut locks = Vec::new();
        for i in 0..10 {
            a.fail(1000 + i);
            locks.push(a.locked_until.unwrap() - (1000 + i));
        }
        assert_eq!(locks, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert!(a.locked(1009 + 3599) && !a.locked(1009 + 3600));
        // Many failures later the arithmetic still holds.
        a.failures = u32::MAX - 1;
        a.fail(i64::MAX - 10);
        assert_eq!(a.locked_until, Some(i64::MAX));
    }

    #[test]
    fn callers_get_a_few_wrong_codes_a_minute() {
        let c = CallerFailures::default();
        for _ in 0..CALLER_FAILURES_PER_WINDOW {
            assert!(!c.throttled("u", 100));
            c.fail("u", 100);
        }
        assert!(c.throttled("u", 100));
        assert!(c.throttled("u", 159));
        assert!(!c.throttled("other", 100));
        assert!(!c.throttled("u", 160));
        c.fail("u", 160);
        assert!(!c.throttled("u", 160));
    }
}
