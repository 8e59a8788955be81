//! Access keys of users and account roots.

use super::*;

impl Iam {
    fn key_owner(
        tx: &mut dyn Tx,
        acct: &str,
        scope: KeyScope<'_>,
    ) -> Result<Option<KeyOwner>, Error> {
        match scope {
            KeyScope::Root => Ok(None),
            KeyScope::User(name) => {
                let (u, _) = must::<UserRecord>(tx, acct, name)?;
                Ok(Some(KeyOwner {
                    name: u.name,
                    path: u.path,
                    id: u.id,
                }))
            }
        }
    }

    fn owned_keys(
        tx: &mut dyn Tx,
        acct: &str,
        owner: Option<&KeyOwner>,
    ) -> Result<Vec<AccessKeyRecord>, Error> {
        let want = owner.map(|o| o.name.as_str());
        Ok(accounts::account_keys(tx, acct)?
            .into_iter()
            .filter(|k| k.user.as_deref() == want)
            .collect())
    }

    /// Creates an access key (at most two per user); it authenticates as soon as this returns.
    pub fn create_access_key(
        &self,
        accounts: &Accounts,
        acct: &str,
        scope: KeyScope<'_>,
        now: i64,
    ) -> Result<(AccessKeyRecord, Zeroizing<String>), Error> {
        let created = self.write(|tx| {
            let owner = Self::key_owner(tx, acct, scope)?;
            if Self::owned_keys(tx, acct, owner.as_ref())?.len() >= MAX_ACCESS_KEYS {
                return Err(limit("AccessKeysPerUser", MAX_ACCESS_KEYS));
            }
            let (rec, secret) = accounts.new_access_key(acct, owner.as_ref(), now)?;
            accounts::put_key(tx, &rec, Expect::Absent)?;
            Ok((rec, secret))
        })?;
        accounts.refresh_key(acct, &created.0.access_key_id)?;
        Ok(created)
    }

    pub fn list_access_keys(
        &self,
        acct: &str,
        scope: KeyScope<'_>,
        page: PageReq<'_>,
    ) -> Result<Page<AccessKeyRecord>, Error> {
        let keys = self.read(|tx| {
            let owner = Self::key_owner(tx, acct, scope)?;
            Self::owned_keys(tx, acct, owner.as_ref())
        })?;
        paginate(keys, |k| k.access_key_id.clone(), page)
    }

    fn owned_key(
        tx: &mut dyn Tx,
        acct: &str,
        scope: KeyScope<'_>,
        key_id: &str,
    ) -> Result<(AccessKeyRecord, i64), Error> {
        let owner = Self::key_owner(tx, acct, scope)?;
        match accounts::get_key(tx, acct, key_id)? {
            Some((k, v)) if k.user.as_deref() == owner.as_ref().map(|o| o.name.as_str()) => {
                Ok((k, v))
            }
            _ => Err(key_not_found(key_id)),
        }
    }

    /// Activates or deactivates a key; an inactive key stops authenticating as soon as this
    /// returns.
    pub fn update_access_key(
        &self,
        accounts: &Accounts,
        acct: &str,
        scope: KeyScope<'_>,
        key_id: &str,
        active: bool,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (mut k, v) = Self::owned_key(tx, acct, scope, key_id)?;
            k.active = active;
            accounts::put_key(tx, &k, Expect::Version(v))
        })?;
        accounts.refresh_key(acct, key_id)
    }

    pub fn delete_access_key(
        &self,
        accounts: &Accounts,
        acct: &str,
        scope: KeyScope<'_>,
        key_id: &str,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (k, v) = Self::owned_key(tx, acct, scope, key_id)?;
            tx.delete(
                accounts::KIND_ACCESS_KEY,
                acct,
                &k.access_key_id,
                Expect::Version(v),
            )?;
            Ok(())
        })?;
        accounts.refresh_key(acct, key_id)
    }

    /// A virtual MFA device by serial number, ignoring ASCII case: device names are unique per
    /// account case-insensitively (the store key is the lower-cased name), so a serial equal to
    /// a device's own but for case names that device.
    pub fn find_mfa_device_ignoring_case(
        &self,
        acct: &str,
        serial: &str,
    ) -> Result<Option<mfa::MfaDeviceRecord>, Error> {
        let name = serial.rsplit('/').next().unwrap_or(serial);
        self.read(
            |tx| match tx.get(mfa::KIND_MFA, acct, &name.to_lowercase())? {
                Some(r) => {
                    let d: mfa::MfaDeviceRecord = from_json(&r.data)?;
                    Ok(d.serial.eq_ignore_ascii_case(serial).then_some(d))
                }
                None => Ok(None),
            },
        )
    }

    /// The key's record, if the account has it.
    pub fn find_access_key(
        &self,
        acct: &str,
        key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, Error> {
        self.read(|tx| Ok(accounts::get_key(tx, acct, key_id)?.map(|(k, _)| k)))
    }
}
