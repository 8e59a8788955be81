//! What the policy engine evaluates for a principal: its policies, boundary and tags.

use super::*;

/// IAM checks that the users and roles a trust policy names exist when it is saved, and refuses
/// the document otherwise with `Invalid principal in policy: "AWS":"<arn>"` (aws-semantics.md
/// §2.2, recorded). Accounts, account roots, sessions and `*` are not checked. AWS then holds the
/// principals by unique id: see [`principal_ids`].
pub(super) fn check_trust_principals(
    tx: &mut dyn Tx,
    doc: &str,
) -> Result<principal_ids::PrincipalIds, Error> {
    principal_ids::resolve(tx, doc)?
        .map_err(|arn| Error::from(IamError::InvalidTrustPrincipal { arn }))
}

/// Reads the default version's document of a managed policy (customer or AWS managed).
pub(super) fn policy_document(
    tx: &mut dyn Tx,
    acct: &str,
    arn: &str,
) -> Result<Option<String>, Error> {
    let Ok((p, _)) = load_policy(tx, acct, arn, Missing::Get) else {
        // A policy deleted while still referenced grants nothing.
        return Ok(None);
    };
    Ok(p.versions
        .into_iter()
        .find(|v| v.id == p.default_version)
        .map(|v| v.document))
}

/// An entity's inline policies (ids `<kind>/<entity>/<policy>`) and attached managed policies
/// (ids = ARNs; a policy deleted while still attached grants nothing), appended to `out`.
pub(super) fn collect_policies(
    tx: &mut dyn Tx,
    acct: &str,
    kind: &str,
    entity: &str,
    inline: &std::collections::BTreeMap<String, String>,
    attached: &[String],
    out: &mut Vec<crate::authz::PolicyDoc>,
) -> Result<(), Error> {
    for (name, text) in inline {
        out.push(crate::authz::PolicyDoc {
            id: format!("{kind}/{entity}/{name}"),
            text: text.clone(),
        });
    }
    for arn in attached {
        if let Some(text) = policy_document(tx, acct, arn)? {
            out.push(crate::authz::PolicyDoc {
                id: arn.clone(),
                text,
            });
        }
    }
    Ok(())
}

/// A permissions boundary's document. Fail closed: a boundary that no longer resolves allows
/// nothing.
pub(super) fn boundary_document(
    tx: &mut dyn Tx,
    acct: &str,
    boundary: Option<&String>,
) -> Result<Option<crate::authz::PolicyDoc>, Error> {
    let Some(arn) = boundary else { return Ok(None) };
    Ok(Some(crate::authz::PolicyDoc {
        id: arn.clone(),
        text: policy_document(tx, acct, arn)?.unwrap_or_else(|| {
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
                .to_owned()
        }),
    }))
}

impl Iam {
    /// Everything the policy engine evaluates for an IAM user: its inline and attached policies,
    /// those of its groups, its permissions boundary and its tags
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).
    /// A user that no longer exists has no policies.
    pub fn user_policies(
        &self,
        acct: &str,
        user: &str,
    ) -> Result<crate::authz::PrincipalPolicies, Error> {
        use crate::authz::PrincipalPolicies;
        self.read(|tx| {
            let Some((u, _)) = load::<UserRecord>(tx, acct, user)? else {
                return Ok(PrincipalPolicies::default());
            };
            let mut identity = Vec::new();
            collect_policies(
                tx,
                acct,
                "user",
                &u.name,
                &u.inline,
                &u.attached,
                &mut identity,
            )?;
            // Membership is recorded by group id (renames keep it).
            if !u.groups.is_empty() {
                for g in all::<GroupRecord>(tx, acct)? {
                    if u.groups.contains(&g.id) {
                        collect_policies(
                            tx,
                            acct,
                            "group",
                            &g.name,
                            &g.inline,
                            &g.attached,
                            &mut identity,
                        )?;
                    }
                }
            }
            if password_policy::load_policy(tx, acct)?.is_some_and(|(p, _)| p.allow_users_to_change)
            {
                identity.push(password_policy::change_own_password_grant(&entity_arn(
                    acct, "user", &u.path, &u.name,
                )));
            }
            Ok(PrincipalPolicies {
                identity,
                boundary: boundary_document(tx, acct, u.boundary.as_ref())?,
                tags: u
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
                session: None,
            })
        })
    }
}

impl Iam {
    /// Everything the policy engine evaluates for a role's sessions: the role's inline and
    /// attached policies (AWS managed too), its permissions boundary and its tags. A role that
    /// no longer exists has no policies.
    pub fn role_policies(
        &self,
        acct: &str,
        role: &str,
    ) -> Result<crate::authz::PrincipalPolicies, Error> {
        use crate::authz::PrincipalPolicies;
        self.read(|tx| {
            let Some((r, _)) = load::<RoleRecord>(tx, acct, role)? else {
                return Ok(PrincipalPolicies::default());
            };
            let mut identity = Vec::new();
            collect_policies(
                tx,
                acct,
                "role",
                &r.name,
                &r.inline,
                &r.attached,
                &mut identity,
            )?;
            Ok(PrincipalPolicies {
                identity,
                boundary: boundary_document(tx, acct, r.boundary.as_ref())?,
                tags: r
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
                session: None,
            })
        })
    }

    /// The default version's document of a managed policy (customer or AWS managed), if the
    /// policy exists: session policies passed as `PolicyArns` resolve through this.
    pub fn managed_policy_document(&self, acct: &str, arn: &str) -> Result<Option<String>, Error> {
        self.read(|tx| policy_document(tx, acct, arn))
    }
}
