//! IAM, STS, Secrets Manager and CloudTrail assembled into one service: the server object ([`Iamd`]) that
//! dispatches authenticated requests to the operations of each service's table.
//!
//! Synchronous by design: the server calls into it from its async handlers (on a blocking thread
//! when an operation writes). Time comes from a [`clock::Clock`].
//!
//! The shared core lives in `iamd-core`, each service in a crate of its own (`iamd-iam`,
//! `iamd-sts`, `iamd-secrets`); they are re-exported here under the paths they had as modules.

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub use iamd_cloudtrail as cloudtrail;
pub use iamd_core::{
    accounts, arn, authz, cache, clock, error, op, origin, regions, sessions, store_mode,
    timestamps,
};
pub use iamd_iam as iam;
pub use iamd_secrets as secrets;
pub use iamd_sts as sts;

pub mod registry;
pub mod service;

pub use accounts::{Accounts, BootstrapCredentials, Caller, Credential, Principal};
pub use error::{Error, to_api_error};
pub use origin::RequestOrigin;
pub use service::{Dispatch, Iamd, Options, Prepared, SessionAuthError};

/// Domain tests that drive the whole [`Iamd`] (authorization included).
#[cfg(test)]
mod tests {
    mod cloudtrail;
    mod secrets;
    mod sts;
}
