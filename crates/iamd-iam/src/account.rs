//! Account-wide counts (GetAccountSummary, boundary uses).

use super::*;

impl Iam {
    pub fn account_counts(&self, acct: &str) -> Result<AccountCounts, Error> {
        self.read(|tx| {
            let policies = all::<PolicyRecord>(tx, acct)?;
            Ok(AccountCounts {
                users: tx.list(records::KIND_USER, acct)?.len(),
                groups: tx.list(records::KIND_GROUP, acct)?.len(),
                roles: tx.list(records::KIND_ROLE, acct)?.len(),
                policy_versions: policies.iter().map(|p| p.versions.len()).sum(),
                policies: policies.len(),
                instance_profiles: tx.list(records::KIND_INSTANCE_PROFILE, acct)?.len(),
                root_keys: accounts::account_keys(tx, acct)?
                    .iter()
                    .filter(|k| k.user.is_none())
                    .count(),
            })
        })
    }
}
