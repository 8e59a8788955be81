//! What a role's trust policy says now: principals deleted (or deleted and recreated) since it
//! was saved show as the unique ids they had, as on AWS, in every response that carries the
//! policy and in AssumeRole's decision. The unique ids of users and roles by name are cached
//! while the IAM generation stays the same.

use super::principal_ids::{self, PrincipalIds};
use super::{Iam, RoleRecord, UserRecord};

/// How many names' unique ids are kept (as the cache it replaces in `core.rs`).
pub(super) const ENTITY_IDS_CAPACITY: usize = 100_000;

impl Iam {
    /// A role's trust policy as AWS holds it now (see [`Self::policy_now`]).
    pub fn role_trust(&self, role: &RoleRecord) -> String {
        self.policy_now(&role.trust, &role.trust_ids)
    }

    /// A policy that holds its principals by unique id (a role's trust policy, a secret's
    /// resource policy) as AWS holds it now (see [`principal_ids`]), with the principals'
    /// current unique ids from the generation-validated cache.
    pub fn policy_now(&self, text: &str, ids: &PrincipalIds) -> String {
        if ids.is_empty() {
            return text.to_owned();
        }
        principal_ids::effective_policy(text, ids, |arn| {
            let (account, kind, _, name) = principal_ids::entity_of_arn(arn)?;
            self.current_id(kind, account, name)
        })
    }

    /// The unique id of the user (`kind` `user`) or role (`role`) named exactly `name` in
    /// `account` as IAM has it now (`None`: it does not exist, or has another case), cached
    /// while the IAM generation stays the same. The cache is keyed by the exact name: keyed
    /// case-insensitively, a lookup of `bob` would hide `Bob` until the next write.
    pub fn current_id(&self, kind: &str, account: &str, name: &str) -> Option<String> {
        // Built by hand, not with `format!`: every AssumeRole reads its trust policy's ids here.
        let mut key = String::with_capacity(account.len() + kind.len() + name.len() + 2);
        for part in [account, "/", kind, "/", name] {
            key.push_str(part);
        }
        let generation = self.generation();
        if let Some(id) = self.entity_ids.get(&key, generation) {
            return id;
        }
        let id = match kind {
            "role" => self
                .find::<RoleRecord>(account, name)
                .ok()
                .flatten()
                .filter(|r| r.name == name)
                .map(|r| r.id),
            _ => self
                .find::<UserRecord>(account, name)
                .ok()
                .flatten()
                .filter(|u| u.name == name)
                .map(|u| u.id),
        };
        self.entity_ids.insert(key, generation, id.clone());
        id
    }
}

#[cfg(test)]
mod tests {
    use super::super::Iam;
    use iamd_store::SqliteStore;
    use std::sync::Arc;

    const A: &str = "111122223333";

    fn trusting(arn: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{arn}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    }

    #[test]
    fn a_deleted_principal_shows_as_the_unique_id_it_had_even_once_recreated() {
        let iam = Iam::new(
            Arc::new(SqliteStore::open_in_memory().unwrap()),
            iamd_crypto::SealingKey::from_bytes([7; 32]),
        );
        let bob = iam.create_user(A, "Bob", "/", None, &[], 0).unwrap();
        let arn = format!("arn:aws:iam::{A}:user/Bob");
        let trust = trusting(&arn);
        let role = iam
            .create_role(A, "R", "/", &trust, None, None, None, &[], 0)
            .unwrap();
        assert_eq!(iam.role_trust(&role), trust);
        iam.delete_user(A, "Bob").unwrap();
        assert_eq!(iam.role_trust(&role), trusting(&bob.id));
        let again = iam.create_user(A, "Bob", "/", None, &[], 0).unwrap();
        assert_ne!(again.id, bob.id);
        assert_eq!(iam.role_trust(&role), trusting(&bob.id));
    }

    #[test]
    fn current_ids_are_by_exact_name_and_a_name_in_another_case_does_not_hide_it() {
        let iam = Iam::new(
            Arc::new(SqliteStore::open_in_memory().unwrap()),
            iamd_crypto::SealingKey::from_bytes([7; 32]),
        );
        let bob = iam.create_user(A, "Bob", "/", None, &[], 0).unwrap();
        assert_eq!(iam.current_id("user", A, "bob"), None);
        assert_eq!(iam.current_id("user", A, "Bob"), Some(bob.id));
        assert_eq!(iam.current_id("role", A, "Bob"), None);
    }
}
