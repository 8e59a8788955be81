//! Permissions boundaries of users and roles.

use super::*;

impl Iam {
    pub fn put_user_boundary(&self, acct: &str, user: &str, arn: &str) -> Result<(), Error> {
        self.update::<UserRecord, _>(acct, user, |tx, u| {
            load_policy(tx, acct, arn, Missing::Boundary)?;
            u.boundary = Some(arn.to_owned());
            Ok(())
        })
    }

    pub fn delete_user_boundary(&self, acct: &str, user: &str) -> Result<(), Error> {
        self.update::<UserRecord, _>(acct, user, |_, u| {
            u.boundary = None;
            Ok(())
        })
    }

    pub fn put_role_boundary(&self, acct: &str, role: &str, arn: &str) -> Result<(), Error> {
        self.update::<RoleRecord, _>(acct, role, |tx, r| {
            load_policy(tx, acct, arn, Missing::Boundary)?;
            r.boundary = Some(arn.to_owned());
            Ok(())
        })
    }

    pub fn delete_role_boundary(&self, acct: &str, role: &str) -> Result<(), Error> {
        self.update::<RoleRecord, _>(acct, role, |_, r| {
            r.boundary = None;
            Ok(())
        })
    }
}
