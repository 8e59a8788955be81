//! Groups and membership.

use super::*;

impl Iam {
    pub fn create_group(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        now: i64,
    ) -> Result<GroupRecord, Error> {
        let id = ids::unique_id("AGPA")?;
        self.write(|tx| {
            let rec = GroupRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                inline: Default::default(),
                attached: Vec::new(),
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    /// A group and one page of its members.
    pub fn get_group(
        &self,
        acct: &str,
        name: &str,
        page: PageReq<'_>,
    ) -> Result<(GroupRecord, Page<UserRecord>), Error> {
        let (g, users) = self.read(|tx| {
            let (g, _) = must::<GroupRecord>(tx, acct, name)?;
            let users = all::<UserRecord>(tx, acct)?;
            Ok((g, users))
        })?;
        let members = users
            .into_iter()
            .filter(|u| u.groups.contains(&g.id))
            .collect();
        let page = paginate(members, |u: &UserRecord| u.key(), page)?;
        Ok((g, page))
    }

    pub fn delete_group(&self, acct: &str, name: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (g, v) = must::<GroupRecord>(tx, acct, name)?;
            if all::<UserRecord>(tx, acct)?
                .iter()
                .any(|u| u.groups.contains(&g.id))
            {
                return Err(delete_conflict(Blocker::GroupMembers));
            }
            if !g.inline.is_empty() {
                return Err(delete_conflict(Blocker::InlinePolicies));
            }
            if !g.attached.is_empty() {
                return Err(delete_conflict(Blocker::AttachedPolicies));
            }
            remove(tx, acct, &g, v)
        })
    }

    pub fn list_groups(
        &self,
        acct: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<GroupRecord>, Error> {
        self.list_paged::<GroupRecord>(acct, prefix, page, |_| true)
    }

    pub fn update_group(
        &self,
        acct: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (old, v) = must::<GroupRecord>(tx, acct, name)?;
            let mut rec = old.clone();
            if let Some(n) = new_name {
                rec.name = n.to_owned();
            }
            if let Some(p) = new_path {
                rec.path = p.to_owned();
            }
            if rec.key() == old.key() {
                save(tx, acct, &rec, Some(v))
            } else {
                if load::<GroupRecord>(tx, acct, &rec.name)?.is_some() {
                    return Err(GroupRecord::already_exists(&rec.name));
                }
                remove(tx, acct, &old, v)?;
                save(tx, acct, &rec, None)
            }
        })
    }

    pub fn add_user_to_group(&self, acct: &str, group: &str, user: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (g, _) = must::<GroupRecord>(tx, acct, group)?;
            let (mut u, v) = must::<UserRecord>(tx, acct, user)?;
            if u.groups.contains(&g.id) {
                return Ok(());
            }
            if u.groups.len() >= MAX_GROUPS_PER_USER {
                return Err(limit("GroupsPerUser", MAX_GROUPS_PER_USER));
            }
            u.groups.push(g.id);
            save(tx, acct, &u, Some(v))
        })
    }

    /// AWS looks the user up before the group (with both missing it names the user), and
    /// removing a user that is not a member succeeds without a change (LocalStack's snapshots
    /// recorded against AWS: test_iam_groups `remove-from-unknown-group`, test_iam_users
    /// `remove-nonmember-user-from-group`).
    pub fn remove_user_from_group(&self, acct: &str, group: &str, user: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (mut u, v) = must::<UserRecord>(tx, acct, user)?;
            let (g, _) = must::<GroupRecord>(tx, acct, group)?;
            if !u.groups.contains(&g.id) {
                return Ok(());
            }
            u.groups.retain(|id| *id != g.id);
            save(tx, acct, &u, Some(v))
        })
    }

    pub fn list_groups_for_user(
        &self,
        acct: &str,
        user: &str,
        page: PageReq<'_>,
    ) -> Result<Page<GroupRecord>, Error> {
        let groups = self.read(|tx| {
            let (u, _) = must::<UserRecord>(tx, acct, user)?;
            Ok(all::<GroupRecord>(tx, acct)?
                .into_iter()
                .filter(|g| u.groups.contains(&g.id))
                .collect::<Vec<_>>())
        })?;
        paginate(groups, |g| g.key(), page)
    }
}
