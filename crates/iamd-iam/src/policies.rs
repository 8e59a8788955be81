//! Customer managed policies and their versions (AWS managed ones are read-only data).

use super::*;

impl Iam {
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per member of the AWS request it serves"
    )]
    pub fn create_policy(
        &self,
        acct: &str,
        name: &str,
        path: &str,
        document: &str,
        description: Option<&str>,
        tags: &[Tag],
        now: i64,
    ) -> Result<PolicyRecord, Error> {
        validate_policy_document(DocKind::Managed, document)?;
        check_tag_keys(tags, PolicyRecord::CASE_SENSITIVE_KEYS)?;
        let id = ids::unique_id("ANPA")?;
        self.write(|tx| {
            let rec = PolicyRecord {
                name: name.to_owned(),
                path: path.to_owned(),
                id: id.clone(),
                created: now,
                updated: now,
                description: description.map(str::to_owned),
                default_version: "v1".to_owned(),
                next_version: 2,
                versions: vec![PolicyVersionRecord {
                    id: "v1".to_owned(),
                    document: document.to_owned(),
                    created: now,
                }],
                attachment_count: 0,
                tags: tags.to_vec(),
                aws_managed: false,
            };
            save(tx, acct, &rec, None)?;
            Ok(rec)
        })
    }

    pub fn get_policy(&self, acct: &str, arn: &str) -> Result<PolicyRecord, Error> {
        self.read(|tx| load_policy(tx, acct, arn, Missing::Get).map(|(p, _)| p))
    }

    fn update_policy<R>(
        &self,
        acct: &str,
        arn: &str,
        mut f: impl FnMut(&mut PolicyRecord) -> Result<R, Error>,
    ) -> Result<R, Error> {
        refuse_aws_managed(arn)?;
        self.write(|tx| {
            let (mut p, v) = load_policy(tx, acct, arn, Missing::Get)?;
            let out = f(&mut p)?;
            save(tx, acct, &p, Some(v))?;
            Ok(out)
        })
    }

    pub fn delete_policy(&self, acct: &str, arn: &str) -> Result<(), Error> {
        refuse_aws_managed(arn)?;
        self.write(|tx| {
            let (p, v) = load_policy(tx, acct, arn, Missing::Get)?;
            // A policy that is some user's or role's permissions boundary counts as attached:
            // AWS refuses to delete it until the boundary is removed (gruntwork-io/cloud-nuke#972:
            // DeleteConflict while the policy was a role's boundary, deleted once it was not).
            let full_arn = p.arn(acct);
            let is_boundary = all::<UserRecord>(tx, acct)?
                .iter()
                .any(|u| u.boundary.as_deref() == Some(full_arn.as_str()))
                || all::<RoleRecord>(tx, acct)?
                    .iter()
                    .any(|r| r.boundary.as_deref() == Some(full_arn.as_str()));
            if p.attachment_count > 0 || is_boundary {
                return Err(IamError::PolicyAttached.into());
            }
            if p.versions.len() > 1 {
                return Err(IamError::PolicyHasVersions.into());
            }
            remove(tx, acct, &p, v)
        })
    }

    /// ListPolicies. `scope`: `All` (default), `Local`, `AWS` (iamd carries no AWS managed
    /// policies yet, so `AWS` lists nothing).
    pub fn list_policies(
        &self,
        acct: &str,
        scope: Option<&str>,
        only_attached: bool,
        prefix: Option<&str>,
        page: PageReq<'_>,
    ) -> Result<Page<PolicyRecord>, Error> {
        if scope == Some("AWS") {
            return paginate(Vec::new(), |p: &PolicyRecord| p.key(), page);
        }
        self.list_paged::<PolicyRecord>(acct, prefix, page, |p| {
            !only_attached || p.attachment_count > 0
        })
    }

    pub fn create_policy_version(
        &self,
        acct: &str,
        arn: &str,
        document: &str,
        set_default: bool,
        now: i64,
    ) -> Result<PolicyVersionRecord, Error> {
        self.update_policy(acct, arn, |p| {
            if p.versions.len() >= MAX_POLICY_VERSIONS {
                return Err(IamError::PolicyVersionQuota.into());
            }
            validate_policy_document(DocKind::Managed, document)?;
            let v = PolicyVersionRecord {
                id: format!("v{}", p.next_version),
                document: document.to_owned(),
                created: now,
            };
            p.next_version += 1;
            if set_default {
                p.default_version = v.id.clone();
            }
            p.updated = now;
            p.versions.push(v.clone());
            Ok(v)
        })
    }

    pub fn get_policy_version(
        &self,
        acct: &str,
        arn: &str,
        version: &str,
    ) -> Result<(PolicyRecord, PolicyVersionRecord), Error> {
        let p = self
            .get_policy(acct, arn)
            .map_err(|e| policy_gone_as_version(e, arn, version))?;
        let v = p
            .versions
            .iter()
            .find(|v| v.id == version)
            .cloned()
            .ok_or_else(|| version_missing(arn, version))?;
        Ok((p, v))
    }

    pub fn delete_policy_version(&self, acct: &str, arn: &str, version: &str) -> Result<(), Error> {
        self.update_policy(acct, arn, |p| {
            if !p.versions.iter().any(|v| v.id == version) {
                return Err(version_missing(arn, version));
            }
            if p.default_version == version {
                return Err(IamError::DefaultPolicyVersion.into());
            }
            p.versions.retain(|v| v.id != version);
            Ok(())
        })
        .map_err(|e| policy_gone_as_version(e, arn, version))
    }

    pub fn set_default_policy_version(
        &self,
        acct: &str,
        arn: &str,
        version: &str,
        now: i64,
    ) -> Result<(), Error> {
        self.update_policy(acct, arn, |p| {
            if !p.versions.iter().any(|v| v.id == version) {
                return Err(version_missing(arn, version));
            }
            p.default_version = version.to_owned();
            p.updated = now;
            Ok(())
        })
        .map_err(|e| policy_gone_as_version(e, arn, version))
    }

    pub fn tag_policy(&self, acct: &str, arn: &str, tags: &[Tag]) -> Result<(), Error> {
        self.update_policy(acct, arn, |p| merge_tags(p, tags))
    }

    pub fn untag_policy(&self, acct: &str, arn: &str, keys: &[&str]) -> Result<(), Error> {
        self.update_policy(acct, arn, |p| {
            drop_tags(p, keys);
            Ok(())
        })
    }
}
