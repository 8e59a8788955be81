//! Inline and attached policies of users, groups and roles.

use super::*;

impl Iam {
    pub fn put_inline<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        policy: &str,
        document: &str,
    ) -> Result<(), Error> {
        self.update::<T, _>(acct, entity, |_, rec| {
            let others = rec
                .inline()
                .iter()
                .filter(|(n, _)| n.as_str() != policy)
                .map(|(_, d)| doc::policy_size(d))
                .sum();
            validate_policy_document(
                DocKind::Inline {
                    label: T::LABEL,
                    entity: rec.name(),
                    limit: T::INLINE_LIMIT,
                    others,
                },
                document,
            )?;
            rec.inline_mut()
                .insert(policy.to_owned(), document.to_owned());
            Ok(())
        })
    }

    /// The entity's name as stored and the document.
    pub fn get_inline<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        policy: &str,
    ) -> Result<(String, String), Error> {
        let rec = self.get::<T>(acct, entity)?;
        let doc = rec
            .inline()
            .get(policy)
            .cloned()
            .ok_or_else(|| inline_missing(T::LABEL, policy))?;
        Ok((rec.name().to_owned(), doc))
    }

    pub fn delete_inline<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        policy: &str,
    ) -> Result<(), Error> {
        self.update::<T, _>(acct, entity, |_, rec| {
            rec.inline_mut()
                .remove(policy)
                .map(|_| ())
                .ok_or_else(|| inline_missing(T::LABEL, policy))
        })
    }

    pub fn list_inline<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        page: PageReq<'_>,
    ) -> Result<Page<String>, Error> {
        let rec = self.get::<T>(acct, entity)?;
        paginate(rec.inline().keys().cloned().collect(), Clone::clone, page)
    }

    pub fn attach<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        arn: &str,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (mut rec, v) = must::<T>(tx, acct, entity)?;
            let (mut p, pv) = load_policy(tx, acct, arn, Missing::Attach)?;
            let arn = loaded_policy_arn(acct, &p, pv);
            if rec.attached().contains(&arn) {
                return Ok(());
            }
            if rec.attached().len() >= MAX_ATTACHED {
                return Err(limit(T::ATTACH_QUOTA, MAX_ATTACHED));
            }
            rec.attached_mut().push(arn);
            save(tx, acct, &rec, Some(v))?;
            if pv == AWS_MANAGED_VERSION {
                return Ok(());
            }
            p.attachment_count += 1;
            save(tx, acct, &p, Some(pv))
        })
    }

    pub fn detach<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        arn: &str,
    ) -> Result<(), Error> {
        self.write(|tx| {
            let (mut rec, v) = must::<T>(tx, acct, entity)?;
            let Some(pos) = rec.attached().iter().position(|a| a == arn) else {
                return Err(policy_missing(Missing::Get, arn));
            };
            rec.attached_mut().remove(pos);
            save(tx, acct, &rec, Some(v))?;
            if let Ok((mut p, pv)) = load_policy(tx, acct, arn, Missing::Get)
                && pv != AWS_MANAGED_VERSION
            {
                p.attachment_count = (p.attachment_count - 1).max(0);
                save(tx, acct, &p, Some(pv))?;
            }
            Ok(())
        })
    }

    /// Attached policies as (name, ARN), filtered by the policy path prefix.
    pub fn list_attached<T: PolicyHolder>(
        &self,
        acct: &str,
        entity: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<(String, String)>, Error> {
        let rec = self.get::<T>(acct, entity)?;
        let mut items: Vec<(String, String)> = rec
            .attached()
            .iter()
            .filter_map(|arn| {
                let (_, path, name) = parse_policy_arn(arn).ok()?;
                prefix
                    .is_none_or(|p| path.starts_with(p))
                    .then(|| (name.to_owned(), arn.clone()))
            })
            .collect();
        items.sort_by(|a, b| a.1.cmp(&b.1));
        paginate(items, |(_, arn)| arn.clone(), page)
    }

    /// The users, groups and roles that use a managed policy: attached as a permissions policy
    /// (`usage` `PermissionsPolicy`), as a permissions boundary (`PermissionsBoundary`; groups have
    /// none), or either way (no `usage`: "If it is not included, all policies are returned",
    /// API_ListEntitiesForPolicy).
    pub fn list_entities_for_policy(
        &self,
        acct: &str,
        arn: &str,
        usage: Option<&str>,
    ) -> Result<PolicyEntities, Error> {
        let attached = usage != Some("PermissionsBoundary");
        let boundary = usage != Some("PermissionsPolicy");
        self.read(|tx| {
            let (p, pv) = load_policy(tx, acct, arn, Missing::Get)?;
            let arn = loaded_policy_arn(acct, &p, pv);
            let uses = |list: &[String], b: &Option<String>| {
                (attached && list.contains(&arn))
                    || (boundary && b.as_deref() == Some(arn.as_str()))
            };
            Ok(PolicyEntities {
                users: all::<UserRecord>(tx, acct)?
                    .into_iter()
                    .filter(|u| uses(&u.attached, &u.boundary))
                    .collect(),
                groups: all::<GroupRecord>(tx, acct)?
                    .into_iter()
                    .filter(|g| attached && g.attached.contains(&arn))
                    .collect(),
                roles: all::<RoleRecord>(tx, acct)?
                    .into_iter()
                    .filter(|r| uses(&r.attached, &r.boundary))
                    .collect(),
            })
        })
    }
}
