//! Tags of users, roles and instance profiles (by name).

use super::*;

impl Iam {
    pub fn tag<T: Tagged>(&self, acct: &str, name: &str, tags: &[Tag]) -> Result<(), Error> {
        self.update::<T, _>(acct, name, |_, rec| merge_tags(rec, tags))
    }

    pub fn untag<T: Tagged>(&self, acct: &str, name: &str, keys: &[&str]) -> Result<(), Error> {
        self.update::<T, _>(acct, name, |_, rec| {
            drop_tags(rec, keys);
            Ok(())
        })
    }

    pub fn list_tags<T: Tagged>(
        &self,
        acct: &str,
        name: &str,
        page: PageReq<'_>,
    ) -> Result<Page<Tag>, Error> {
        let rec = self.get::<T>(acct, name)?;
        paginate_in_order(rec.tags().to_vec(), page)
    }
}
