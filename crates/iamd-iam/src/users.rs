//! Users: create, rename and move, delete, list.

use super::*;

impl Iam {
    pub fn create_user(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        boundary: Option<&str>,
        tags: &[Tag],
        now: i64,
    ) -> Result<UserRecord, Error> {
        check_tags(tags)?;
        let id = ids::unique_id("AIDA")?;
        self.write(|tx| {
            if load::<UserRecord>(tx, acct, name)?.is_some() {
                return Err(UserRecord::already_exists(name));
            }
            if let Some(b) = boundary {
                load_policy(tx, acct, b, Missing::Boundary)?;
            }
            let rec = UserRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                tags: tags.to_vec(),
                boundary: boundary.map(str::to_owned),
                inline: Default::default(),
                attached: Vec::new(),
                groups: Vec::new(),
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    /// Renames and/or moves a user; its access keys follow at once.
    pub fn update_user(
        &self,
        accounts: &Accounts,
        acct: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), Error> {
        let keys = self.write(|tx| {
            let (old, v) = must::<UserRecord>(tx, acct, name)?;
            let mut rec = old.clone();
            if let Some(n) = new_name {
                rec.name = n.to_owned();
            }
            if let Some(p) = new_path {
                rec.path = p.to_owned();
            }
            if rec.key() == old.key() {
                save(tx, acct, &rec, Some(v))?;
            } else {
                if load::<UserRecord>(tx, acct, &rec.name)?.is_some() {
                    return Err(UserRecord::already_exists(&rec.name));
                }
                remove(tx, acct, &old, v)?;
                save(tx, acct, &rec, None)?;
            }
            let mut moved = Vec::new();
            for mut k in accounts::account_keys(tx, acct)? {
                if k.user.as_deref() == Some(old.name.as_str()) {
                    k.user = Some(rec.name.clone());
                    k.user_path = Some(rec.path.clone());
                    accounts::put_key(tx, &k, Expect::Any)?;
                    moved.push(k.access_key_id);
                }
            }
            Ok(moved)
        })?;
        for k in keys {
            accounts.refresh_key(acct, &k)?;
        }
        Ok(())
    }

    /// Deletes a user that owns nothing any more (AWS's order: login profile, keys, inline policies, attached
    /// policies, group memberships).
    pub fn delete_user(&self, acct: &str, name: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (rec, v) = must::<UserRecord>(tx, acct, name)?;
            // AWS's DeleteUser documentation lists the password (login profile) first.
            if login::load_profile(tx, acct, &rec.id)?.is_some() {
                return Err(delete_conflict(Blocker::LoginProfile));
            }
            if accounts::account_keys(tx, acct)?
                .iter()
                .any(|k| k.user.as_deref() == Some(rec.name.as_str()))
            {
                return Err(delete_conflict(Blocker::AccessKeys));
            }
            for r in tx.list(mfa::KIND_MFA, acct)? {
                let d: mfa::MfaDeviceRecord = from_json(&r.data)?;
                if d.user.as_deref() == Some(rec.name.as_str()) {
                    return Err(delete_conflict(Blocker::MfaDevice));
                }
            }
            if !rec.inline.is_empty() {
                return Err(delete_conflict(Blocker::InlinePolicies));
            }
            if !rec.attached.is_empty() {
                return Err(delete_conflict(Blocker::AttachedPolicies));
            }
            if !rec.groups.is_empty() {
                return Err(delete_conflict(Blocker::GroupMembers));
            }
            remove(tx, acct, &rec, v)
        })
    }

    pub fn list_users(
        &self,
        acct: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<UserRecord>, Error> {
        self.list_paged::<UserRecord>(acct, prefix, page, |_| true)
    }
}
