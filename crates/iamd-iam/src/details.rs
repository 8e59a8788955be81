//! GetAccountAuthorizationDetails: one consistent snapshot of an account's users, groups, roles
//! and managed policies, filtered and paginated as one sequence (users, then groups, roles,
//! customer managed policies, AWS managed policies), so a marker resumes across kinds.

use super::{
    GroupRecord, Iam, InstanceProfileRecord, Page, PageReq, PolicyRecord, RoleRecord, UserRecord,
    all, aws_managed_record, paginate,
};
use crate::error::Error;

/// Which kinds the `Filter` parameter selects; all when the filter is empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetailFilter {
    pub users: bool,
    pub groups: bool,
    pub roles: bool,
    pub local_policies: bool,
    pub aws_policies: bool,
}

impl DetailFilter {
    /// From the `Filter` list's values (the model has checked them against the enum).
    pub fn from_names(names: &[&str]) -> Self {
        if names.is_empty() {
            return Self {
                users: true,
                groups: true,
                roles: true,
                local_policies: true,
                aws_policies: true,
            };
        }
        let has = |n: &str| names.contains(&n);
        Self {
            users: has("User"),
            groups: has("Group"),
            roles: has("Role"),
            local_policies: has("LocalManagedPolicy"),
            aws_policies: has("AWSManagedPolicy"),
        }
    }
}

/// One entry of the combined sequence.
#[derive(Debug, Clone)]
pub enum Detail {
    /// A user with the groups it belongs to.
    User(UserRecord, Vec<GroupRecord>),
    Group(GroupRecord),
    /// A role with the instance profiles that hold it.
    Role(RoleRecord, Vec<InstanceProfileRecord>),
    /// A managed policy (customer managed, or AWS managed with `aws_managed` set and its
    /// attachment count in this account).
    Policy(PolicyRecord),
}

fn sort_key(d: &Detail) -> String {
    match d {
        Detail::User(u, _) => format!("0/{}", u.name.to_lowercase()),
        Detail::Group(g) => format!("1/{}", g.name.to_lowercase()),
        Detail::Role(r, _) => format!("2/{}", r.name.to_lowercase()),
        Detail::Policy(p) if p.aws_managed => format!("4/{}{}", p.path, p.name),
        Detail::Policy(p) => format!("3/{}", p.name.to_lowercase()),
    }
}

impl Iam {
    pub fn account_details(
        &self,
        acct: &str,
        filter: DetailFilter,
        page: PageReq<'_>,
    ) -> Result<Page<Detail>, Error> {
        let items = self.read(|tx| {
            let users: Vec<UserRecord> = all(tx, acct)?;
            let groups: Vec<GroupRecord> = all(tx, acct)?;
            let roles: Vec<RoleRecord> = all(tx, acct)?;
            let mut out = Vec::new();
            if filter.users {
                for u in &users {
                    let gs = groups
                        .iter()
                        .filter(|g| u.groups.contains(&g.id))
                        .cloned()
                        .collect();
                    out.push(Detail::User(u.clone(), gs));
                }
            }
            if filter.groups {
                out.extend(groups.iter().cloned().map(Detail::Group));
            }
            if filter.roles {
                let profiles: Vec<InstanceProfileRecord> = all(tx, acct)?;
                for r in &roles {
                    let key = r.name.to_lowercase();
                    let ps = profiles
                        .iter()
                        .filter(|p| p.roles.contains(&key))
                        .cloned()
                        .collect();
                    out.push(Detail::Role(r.clone(), ps));
                }
            }
            if filter.local_policies {
                let policies: Vec<PolicyRecord> = all(tx, acct)?;
                out.extend(policies.into_iter().map(Detail::Policy));
            }
            if filter.aws_policies {
                // AWS lists only the AWS managed policies attached somewhere in the account.
                let mut counts: std::collections::BTreeMap<&str, i64> = Default::default();
                let attached = users
                    .iter()
                    .flat_map(|u| &u.attached)
                    .chain(groups.iter().flat_map(|g| &g.attached))
                    .chain(roles.iter().flat_map(|r| &r.attached));
                for arn in attached.filter(|a| super::is_aws_managed(a)) {
                    *counts.entry(arn.as_str()).or_default() += 1;
                }
                for (arn, n) in counts {
                    if let Some(mut p) = aws_managed_record(arn) {
                        p.attachment_count = n;
                        out.push(Detail::Policy(p));
                    }
                }
            }
            Ok(out)
        })?;
        let mut items = items;
        items.sort_by_key(sort_key);
        paginate(items, sort_key, page)
    }
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of values the tests build"
)]
mod tests {
    use super::*;
    use iamd_store::{SqliteStore, Store};
    use std::sync::Arc;

    const A: &str = "111122223333";
    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const SSM: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

    fn names(p: &Page<Detail>) -> Vec<String> {
        p.items
            .iter()
            .map(|d| match d {
                Detail::User(u, gs) => format!(
                    "user:{}:{}",
                    u.name,
                    gs.iter()
                        .map(|g| g.name.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Detail::Group(g) => format!("group:{}", g.name),
                Detail::Role(r, ps) => format!("role:{}:{}", r.name, ps.len()),
                Detail::Policy(p) => format!("policy:{}:{}", p.name, p.attachment_count),
            })
            .collect()
    }

    fn account() -> Iam {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let iam = Iam::new(store, iamd_crypto::SealingKey::from_bytes([7; 32]));
        iam.create_group(A, "devs", "/", 1).unwrap();
        iam.create_user(A, "dana", "/", None, &[], 1).unwrap();
        iam.create_user(A, "bob", "/", None, &[], 1).unwrap();
        iam.add_user_to_group(A, "devs", "dana").unwrap();
        let p = iam
            .create_policy(A, "local", "/", DOC, None, &[], 1)
            .unwrap();
        iam.attach::<UserRecord>(A, "dana", &p.arn(A)).unwrap();
        iam.create_role(A, "r1", "/", TRUST, None, None, None, &[], 1)
            .unwrap();
        iam.attach::<RoleRecord>(A, "r1", SSM).unwrap();
        iam.attach::<UserRecord>(A, "bob", SSM).unwrap();
        iam.create_instance_profile(A, "ip", "/", &[], 1).unwrap();
        iam.add_role_to_instance_profile(A, "ip", "r1").unwrap();
        iam
    }

    #[test]
    fn all_kinds_in_order_with_relations() {
        let iam = account();
        let all = iam
            .account_details(A, DetailFilter::from_names(&[]), PageReq::default())
            .unwrap();
        assert_eq!(
            names(&all),
            [
                "user:bob:",
                "user:dana:devs",
                "group:devs",
                "role:r1:1",
                "policy:local:1",
                "policy:AmazonSSMManagedInstanceCore:2",
            ]
        );
        assert!(!all.is_truncated());
    }

    #[test]
    fn filters_select_kinds() {
        let iam = account();
        let only = |f: &[&str]| {
            names(
                &iam.account_details(A, DetailFilter::from_names(f), PageReq::default())
                    .unwrap(),
            )
        };
        assert_eq!(only(&["Group"]), ["group:devs"]);
        assert_eq!(only(&["LocalManagedPolicy"]), ["policy:local:1"]);
        assert_eq!(
            only(&["AWSManagedPolicy"]),
            ["policy:AmazonSSMManagedInstanceCore:2"]
        );
        assert_eq!(
            only(&["Role", "User"]),
            ["user:bob:", "user:dana:devs", "role:r1:1"]
        );
    }

    #[test]
    fn pages_resume_across_kinds() {
        let iam = account();
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = iam
                .account_details(
                    A,
                    DetailFilter::from_names(&[]),
                    PageReq {
                        marker: marker.as_deref(),
                        max_items: Some(4),
                    },
                )
                .unwrap();
            assert!(page.items.len() <= 4);
            seen.extend(names(&page));
            match page.marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[3], "role:r1:1");
        assert_eq!(seen[4], "policy:local:1");
    }
}
