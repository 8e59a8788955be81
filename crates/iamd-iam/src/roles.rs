//! Roles and their trust policies.

use super::principals::check_trust_principals;
use super::*;

impl Iam {
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per member of the AWS request it serves"
    )]
    pub fn create_role(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        trust: &str,
        description: Option<&str>,
        max_session: Option<i64>,
        boundary: Option<&str>,
        tags: &[Tag],
        now: i64,
    ) -> Result<RoleRecord, Error> {
        validate_policy_document(DocKind::Trust, trust)?;
        check_tags(tags)?;
        let id = ids::unique_id("AROA")?;
        self.write(|tx| {
            if load::<RoleRecord>(tx, acct, name)?.is_some() {
                return Err(RoleRecord::already_exists(name));
            }
            let trust_ids = check_trust_principals(tx, trust)?;
            if let Some(b) = boundary {
                load_policy(tx, acct, b, Missing::Boundary)?;
            }
            let rec = RoleRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                trust: trust.to_owned(),
                description: description.map(str::to_owned),
                max_session: max_session.unwrap_or(3600),
                tags: tags.to_vec(),
                boundary: boundary.map(str::to_owned),
                inline: Default::default(),
                attached: Vec::new(),
                trust_ids: trust_ids.clone(),
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    /// UpdateRole: description and/or maximum session duration.
    pub fn update_role(
        &self,
        acct: &str,
        name: &str,
        description: Option<&str>,
        max_session: Option<i64>,
    ) -> Result<RoleRecord, Error> {
        self.update::<RoleRecord, _>(acct, name, |_, r| {
            if let Some(d) = description {
                r.description = Some(d.to_owned());
            }
            if let Some(m) = max_session {
                r.max_session = m;
            }
            Ok(r.clone())
        })
    }

    pub fn update_assume_role_policy(
        &self,
        acct: &str,
        name: &str,
        doc: &str,
    ) -> Result<(), Error> {
        self.update::<RoleRecord, _>(acct, name, |tx, r| {
            validate_policy_document(DocKind::Trust, doc)?;
            r.trust_ids = check_trust_principals(tx, doc)?;
            r.trust = doc.to_owned();
            Ok(())
        })
    }

    pub fn delete_role(&self, acct: &str, name: &str) -> Result<(), Error> {
        self.write(|tx| {
            let (r, v) = must::<RoleRecord>(tx, acct, name)?;
            let key = r.key();
            if all::<InstanceProfileRecord>(tx, acct)?
                .iter()
                .any(|p| p.roles.contains(&key))
            {
                return Err(delete_conflict(Blocker::InstanceProfiles));
            }
            if !r.inline.is_empty() {
                return Err(delete_conflict(Blocker::InlinePolicies));
            }
            if !r.attached.is_empty() {
                return Err(delete_conflict(Blocker::AttachedPolicies));
            }
            remove(tx, acct, &r, v)
        })
    }

    pub fn list_roles(
        &self,
        acct: &str,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<RoleRecord>, Error> {
        self.list_paged::<RoleRecord>(acct, prefix, page, |_| true)
    }
}
