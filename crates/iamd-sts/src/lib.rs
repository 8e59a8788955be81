//! STS: temporary credentials (AssumeRole, GetSessionToken, GetFederationToken) and who-am-I.

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

mod assume;
mod common;
pub mod ops;
mod tokens;

// The shared core, IAM and this crate by the paths its modules name them (`crate::accounts::…`,
// `crate::iam::…`, `crate::domains::StsDomain`): STS was a module of iamd-service.
pub(crate) use crate as domains;
pub(crate) use iamd_core::{accounts, arn, authz, error, op, sessions, timestamps};
pub(crate) use iamd_iam as iam;

use iamd_core::accounts::Accounts;
use iamd_core::sessions::SessionKeys;
use iamd_iam::Iam;
use std::sync::Arc;

/// What STS operations act through.
pub struct StsDomain {
    /// Roles to assume, users' MFA devices.
    pub iam: Arc<Iam>,
    /// Access key owners (GetAccessKeyInfo).
    pub accounts: Arc<Accounts>,
    /// Seals the session tokens it issues.
    pub sessions: Arc<SessionKeys>,
    /// `--dev`: implicit dev accounts are reported by GetAccessKeyInfo.
    pub dev: bool,
}
