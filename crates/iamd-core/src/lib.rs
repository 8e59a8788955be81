//! The core every service's domain shares: accounts and credentials, ARNs, authorization (the
//! authorizer and its caches), errors, the operation framework (resolve, plan, act), request
//! origins, regions, STS session tokens and timestamps.
//!
//! The services themselves are crates of their own (`iamd-iam`, `iamd-sts`, `iamd-secrets`);
//! `iamd-service` assembles them into the server object.

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub mod accounts;
pub mod arn;
pub mod authz;
pub mod cache;
pub mod clock;
pub mod error;
pub mod op;
pub mod origin;
pub mod regions;
pub mod sessions;
pub mod store_mode;
pub mod timestamps;
