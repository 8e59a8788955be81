//! Instance profiles and their role.

use super::*;

impl Iam {
    pub fn create_instance_profile(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        tags: &[Tag],
        now: i64,
    ) -> Result<InstanceProfileRecord, Error> {
        check_tags(tags)?;
        let id = ids::unique_id("AIPA")?;
        self.write(|tx| {
            let rec = InstanceProfileRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                roles: Vec::new(),
                tags: tags.to_vec(),
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    fn with_roles(
        tx: &mut dyn Tx,
        acct: &str,
        p: InstanceProfileRecord,
    ) -> Result<(InstanceProfileRecord, Vec<RoleRecord>), Error> {
        let mut roles = Vec::new();
        for r in &p.roles {
            if let Some((role, _)) = load::<RoleRecord>(tx, acct, r)? {
                roles.push(role);
            }
        }
        Ok((p, roles))
    }

    pub fn get_instance_profile(
        &self,
        acct: &str,
        name: &str,
    ) -> Result<(InstanceProfileRecord, Vec<RoleRecord>), Error> {
        self.read(|tx| {
            let (p, _) = must::<InstanceProfileRecord>(tx, acct, name)?;
            Self::with_roles(tx, acct, p)
        })
    }

    pub fn delete_instance_profile(&self, acct: &str, name: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (p, v) = must::<InstanceProfileRecord>(tx, acct, name)?;
            if !p.roles.is_empty() {
                return Err(delete_conflict(Blocker::InstanceProfiles));
            }
            remove(tx, acct, &p, v)
        })
    }

    pub fn list_instance_profiles(
        &self,
        acct: &str,
        prefix: Option<&str>,
        role: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<(InstanceProfileRecord, Vec<RoleRecord>)>, Error> {
        let items = self.read(|tx| {
            let role_key = match role {
                Some(r) => Some(must::<RoleRecord>(tx, acct, r)?.0.key()),
                None => None,
            };
            let mut out = Vec::new();
            for p in all::<InstanceProfileRecord>(tx, acct)? {
                if prefix.is_some_and(|x| !p.path.starts_with(x)) {
                    continue;
                }
                if role_key.as_ref().is_some_and(|k| !p.roles.contains(k)) {
                    continue;
                }
                out.push(Self::with_roles(tx, acct, p)?);
            }
            Ok(out)
        })?;
        paginate(items, |(p, _)| p.key(), page)
    }

    pub fn add_role_to_instance_profile(
        &self,
        acct: &str,
        profile: &str,
        role: &str,
    ) -> Result<(), Error> {
        self.update::<InstanceProfileRecord, _>(acct, profile, |tx, p| {
            let (r, _) = must::<RoleRecord>(tx, acct, role)?;
            if !p.roles.is_empty() {
                return Err(limit("InstanceSessionsPerInstanceProfile", 1));
            }
            p.roles.push(r.key());
            Ok(())
        })
    }

    pub fn remove_role_from_instance_profile(
        &self,
        acct: &str,
        profile: &str,
        role: &str,
    ) -> Result<(), Error> {
        self.update::<InstanceProfileRecord, _>(acct, profile, |tx, p| {
            let (r, _) = must::<RoleRecord>(tx, acct, role)?;
            let key = r.key();
            if !p.roles.contains(&key) {
                // LocalStack's snapshot recorded against AWS (test_iam_instance_profiles
                // `remove-unattached-role-error`).
                return Err(IamError::RoleNotInInstanceProfile {
                    role: r.name.clone(),
                    profile: p.name.clone(),
                }
                .into());
            }
            p.roles.retain(|k| *k != key);
            Ok(())
        })
    }

    /// How many users and roles use each policy ARN as permissions boundary.
    pub fn boundary_uses(
        &self,
        acct: &str,
    ) -> Result<std::collections::HashMap<String, i64>, Error> {
        self.read(|tx| {
            let mut uses = std::collections::HashMap::new();
            let users = all::<UserRecord>(tx, acct)?;
            let roles = all::<RoleRecord>(tx, acct)?;
            for b in users
                .iter()
                .filter_map(|u| u.boundary.clone())
                .chain(roles.iter().filter_map(|r| r.boundary.clone()))
            {
                *uses.entry(b).or_insert(0) += 1;
            }
            Ok(uses)
        })
    }
}
