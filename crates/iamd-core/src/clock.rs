//! Time is an input: everything that compares against "now" asks a [`Clock`], so tests of expiry
//! and skew set the time instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// A clock that runs with another and can be moved ahead of it: the clock of rotation schedules
/// in `--dev` mode (`POST /_iamd/clock`), so a test sees a daily rotation happen in seconds
/// while requests are still signed and checked against the real time.
pub struct OffsetClock {
    base: std::sync::Arc<dyn Clock>,
    offset: AtomicI64,
}

impl OffsetClock {
    pub fn new(base: std::sync::Arc<dyn Clock>) -> Self {
        Self {
            base,
            offset: AtomicI64::new(0),
        }
    }

    /// Moves the clock `secs` ahead (back, if negative) of its base; answers the new time.
    pub fn advance(&self, secs: i64) -> i64 {
        let offset = self.offset.fetch_add(secs, Ordering::SeqCst) + secs;
        self.base.now_unix() + offset
    }
}

impl OffsetClock {
    /// Back to the base clock.
    pub fn reset(&self) {
        self.offset.store(0, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now_unix(&self) -> i64 {
        self.base.now_unix() + self.offset.load(Ordering::SeqCst)
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            // A clock before 1970 is a broken machine; treat it as the epoch rather than panic.
            Err(_) => 0,
        }
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now_unix: i64) -> Self {
        Self(AtomicI64::new(now_unix))
    }
    pub fn set(&self, now_unix: i64) {
        self.0.store(now_unix, Ordering::SeqCst);
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
