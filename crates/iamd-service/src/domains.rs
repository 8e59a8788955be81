//! The domain services each service's operations act through. An operation gets its service's
//! domain and nothing else: no policy caches, no other service's state, no way to authorize.

use crate::accounts::Accounts;
use crate::iam::Iam;
use crate::secrets::Secrets;
use crate::sessions::SessionKeys;
use std::sync::Arc;

/// What IAM operations act through.
pub struct IamDomain {
    /// Users, groups, roles, policies, instance profiles, MFA devices, login profiles.
    pub iam: Arc<Iam>,
    /// Accounts and their access keys (CreateAccessKey, the root's keys, account creation dates).
    pub accounts: Arc<Accounts>,
}

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

/// What Secrets Manager operations act through.
pub struct SecretsDomain {
    /// Secrets of every account and region, indexed in memory.
    pub secrets: Arc<Secrets>,
    /// The users and roles resource policies name: their unique ids when a policy is put, and
    /// whether they are still those principals when it is evaluated or shown
    /// (`Iam::policy_now`). Never used to authorize.
    pub iam: Arc<Iam>,
}
