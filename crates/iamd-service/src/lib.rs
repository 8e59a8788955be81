//! IAM, STS and Secrets Manager domain logic: accounts, credentials, and the operations.
//!
//! Synchronous by design: the server calls into it from its async handlers (on a blocking thread
//! when an operation writes). Time comes from a [`clock::Clock`].

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
pub mod core;
pub mod domains;
pub mod error;
pub mod iam;
pub mod op;
pub mod origin;
pub mod regions;
pub mod registry;
pub mod secrets;
pub mod sessions;
pub mod sts;
pub mod timestamps;

pub use accounts::{Accounts, BootstrapCredentials, Caller, Credential, Principal};
pub use core::{Dispatch, Iamd, Options, Prepared, SessionAuthError};
pub use error::{Error, to_api_error};
pub use origin::RequestOrigin;
