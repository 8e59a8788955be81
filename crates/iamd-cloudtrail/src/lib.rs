//! CloudTrail: `LookupEvents` (awsJson1.1, `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`,
//! signing name `cloudtrail`) over the events an [`EventQuery`] finds.
//!
//! This crate does not record events: the audit store does, and the server object connects it
//! through [`EventQuery`] (an adapter over the store; until one is connected, [`MemoryEvents`],
//! which holds what tests put in it). Every other CloudTrail operation answers NotImplemented.

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub mod lookup;
pub mod ops;
pub mod query;
mod token;

pub use query::{
    Attribute, EventQuery, EventResource, MemoryEvents, Query, QueryError, StoredEvent,
};

use std::sync::Arc;

/// What CloudTrail operations act through.
pub struct CloudTrailDomain {
    /// The recorded events, as LookupEvents queries them.
    pub events: Arc<dyn EventQuery>,
}

impl CloudTrailDomain {
    pub fn new(events: Arc<dyn EventQuery>) -> Self {
        Self { events }
    }
}
