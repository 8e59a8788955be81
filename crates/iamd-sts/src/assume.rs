//! <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>
//!
//! Resolved first: the role the ARN names (its canonical ARN, effective trust policy and tags) and
//! everything the request proves (session tags, source identity, an MFA code). Then authorized in
//! the role's account: the caller's identity policies must allow `sts:AssumeRole` on the role and
//! the role's trust policy must allow the caller (directly, or its account — then the identity
//! side must allow too), same account or across accounts (aws-semantics.md §1.3–1.4, §4.3), plus
//! `sts:TagSession` / `sts:SetSourceIdentity` when tags or a source identity are passed. A role
//! that does not exist is judged as a role nothing trusts, so the answer is the same AccessDenied
//! and roles cannot be enumerated.

use super::common::{self, Tags};
use crate::accounts::Principal;
use crate::arn::Arn;
use crate::authz::PolicyDoc;
use crate::domains::StsDomain;
use crate::error::{Error, StsError};
use crate::iam::RoleRecord;
use crate::op::{Check, Op, Plan, Request, Resource, Verdicts};
use crate::sessions::{SessionClaims, SessionPrincipal};
use iamd_api::sts::{self as api, ops as o};
use iamd_policy::{Context, ResourcePolicyKind};
use std::sync::Arc;

/// Role chaining caps a session at one hour (aws-semantics.md §4.3).
const CHAINING_MAX: i64 = 3600;

/// What AssumeRole resolves.
pub enum Target {
    /// The ARN names no role: authorized as a role nothing trusts.
    Missing {
        arn: String,
        account: String,
    },
    Found(Box<Assume>),
}

/// A role to assume, and what the request proved.
pub struct Assume {
    role: Arc<RoleRecord>,
    account: String,
    arn: Arn,
    /// The trust policy as AWS holds it now (deleted principals as their old unique ids).
    trust: String,
    tags: Tags,
    transitive: Vec<String>,
    source_identity: Option<String>,
    /// When the MFA code of this request was verified (and spent).
    mfa_at: Option<i64>,
}

/// The parts of a role ARN: account, path and name. Anything else is AWS's
/// `ValidationError: <arn> is invalid` (aws-semantics.md §4.3).
fn parse_role_arn(text: &str) -> Result<(String, String), Error> {
    let bad = || {
        Error::from(StsError::InvalidArn {
            arn: text.to_owned(),
        })
    };
    let arn = Arn::parse(text).map_err(|_| bad())?;
    let account = arn.account();
    if !arn.partition().starts_with("aws")
        || arn.service() != "iam"
        || !arn.region().is_empty()
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
        || arn.resource_type() != "role"
        || !arn.resource().starts_with("role/")
        || arn.name().is_empty()
    {
        return Err(bad());
    }
    Ok((account.to_owned(), arn.name().to_owned()))
}

impl Op<StsDomain> for o::AssumeRole {
    type Target = Target;
    const WRITES: bool = false;
    const INLINE: bool = true;

    /// A request with an MFA code spends it in the store.
    fn writes(input: &Self::Input) -> bool {
        input.serial_number.is_some() || input.token_code.is_some()
    }

    fn resolve(d: &StsDomain, req: &Request<'_>, input: &Self::Input) -> Result<Target, Error> {
        let (account, name) = parse_role_arn(&input.role_arn)?;
        if matches!(req.caller.principal, Principal::Root) {
            return Err(StsError::RootCannotAssumeRole.into());
        }
        let Some(role) = d.iam.cached_role(&account, &name)? else {
            return Ok(Target::Missing {
                arn: input.role_arn.clone(),
                account,
            });
        };
        let (tags, transitive) = common::request_tags(&input.tags, &input.transitive_tag_keys)?;
        if input
            .source_identity
            .as_deref()
            .is_some_and(|si| si.starts_with("aws:"))
        {
            return Err(StsError::SourceIdentityReserved.into());
        }
        let mfa_at = common::check_mfa(
            d,
            req,
            input.serial_number.as_deref(),
            input.token_code.as_deref(),
        )?;
        Ok(Target::Found(Box::new(Assume {
            arn: Arn::iam(&account, "role", &role.path, &role.name),
            trust: d.iam.role_trust(&role),
            role,
            account,
            tags,
            transitive,
            source_identity: input.source_identity.clone(),
            mfa_at,
        })))
    }

    fn plan(_: &Request<'_>, input: &Self::Input, target: &Target) -> Result<Plan, Error> {
        let a = match target {
            Target::Missing { arn, account } => {
                let mut r =
                    Resource::as_named(arn).with_policy(None, ResourcePolicyKind::RoleTrust);
                r.account = Some(account.clone());
                return Ok(Plan::require("sts:AssumeRole", Some(r)));
            }
            Target::Found(a) => a,
        };
        // The request's context keys (Service Authorization Reference, sts:AssumeRole).
        let mut keys = Context::new();
        keys.set_static("sts:RoleSessionName", input.role_session_name.as_str());
        if a.mfa_at.is_some() {
            // The code was verified on this request (iamd_policy::principal_context's note).
            keys.set_static("aws:MultiFactorAuthPresent", true);
            keys.set_static("aws:MultiFactorAuthAge", 0i64);
        }
        if let Some(e) = &input.external_id {
            keys.set("sts:ExternalId", e.as_str());
        }
        if let Some(si) = &a.source_identity {
            keys.set("sts:SourceIdentity", si.as_str());
        }
        common::tag_keys(&a.tags, &mut keys);
        if !a.transitive.is_empty() {
            keys.set_multi("sts:TransitiveTagKeys", a.transitive.iter().cloned());
        }
        let mut role = Resource::arn(&a.arn).with_policy(
            Some(PolicyDoc {
                id: a.arn.as_str().to_owned(),
                text: a.trust.clone(),
            }),
            ResourcePolicyKind::RoleTrust,
        );
        role.account = Some(a.account.clone());
        for t in &a.role.tags {
            role = role
                .with_key(&format!("aws:ResourceTag/{}", t.key), &t.value)
                .with_key(&format!("iam:ResourceTag/{}", t.key), &t.value);
        }
        let check = |action| Check::require(action, Some(role.clone())).with_keys(keys.clone());
        Ok(Plan::Checks(vec![check("sts:AssumeRole")])
            .and_if(!a.tags.is_empty() || !a.transitive.is_empty(), || {
                check("sts:TagSession")
            })
            .and_if(a.source_identity.is_some(), || {
                check("sts:SetSourceIdentity")
            }))
    }

    fn act(
        d: &StsDomain,
        req: &Request<'_>,
        input: Self::Input,
        target: Target,
        _: Verdicts,
    ) -> Result<Self::Output, Error> {
        let Target::Found(a) = target else {
            // A role that does not exist is trusted by nothing: the plan above never allows it.
            return Err(Error::Internal(
                "AssumeRole of a missing role passed authorization".into(),
            ));
        };
        let Assume {
            role,
            account,
            mut tags,
            transitive,
            source_identity,
            mfa_at,
            ..
        } = *a;
        // Role chaining: a role session assuming a role.
        let parent = req.caller.session.as_deref();
        let chained = matches!(req.caller.principal, Principal::AssumedRole { .. });
        let duration = input.duration_seconds.unwrap_or(3600);
        if chained && duration > CHAINING_MAX {
            return Err(StsError::ChainedDurationTooLong.into());
        }
        if duration > role.max_session {
            return Err(StsError::DurationAboveRoleMaximum.into());
        }
        // Transitive tags of the calling session pass on and cannot be overridden.
        let mut transitive_keys = transitive;
        if let Some(p) = parent.filter(|_| chained) {
            for k in &p.transitive_tag_keys {
                if tags.iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
                    return Err(StsError::TransitiveKeyConflict.into());
                }
                if let Some((_, v)) = p.tags.iter().find(|(x, _)| x.eq_ignore_ascii_case(k)) {
                    tags.push((k.clone(), v.clone()));
                    transitive_keys.push(k.clone());
                }
            }
        }
        let source_identity =
            source_identity.or_else(|| parent.and_then(|p| p.source_identity.clone()));
        let (policy, policy_arns) = common::session_policies(&input.policy, &input.policy_arns)?;
        let passed_extras = policy.is_some() || !policy_arns.is_empty() || !tags.is_empty();
        let packed = common::packed_size(&policy, &policy_arns, &tags)?;
        let session_name = input.role_session_name;
        let (key_id, secret) = common::new_key(&account)?;
        let claims = SessionClaims {
            account: account.clone(),
            principal: SessionPrincipal::AssumedRole {
                role_name: role.name.clone(),
                role_path: role.path.clone(),
                role_id: role.id.clone(),
                session_name: session_name.clone(),
            },
            access_key_id: key_id,
            secret_access_key: secret,
            issued_at: req.now,
            expires_at: req.now + duration,
            // MFA is not forwarded through role chaining (aws-semantics.md §4.3): only a code
            // verified on this request counts.
            mfa_at,
            source_identity: source_identity.clone(),
            tags,
            transitive_tag_keys: transitive_keys,
            policy,
            policy_arns,
            chained,
        };
        Ok(api::AssumeRoleResponse {
            credentials: Some(common::credentials(d, &claims)?),
            assumed_role_user: Some(api::AssumedRoleUser {
                assumed_role_id: format!("{}:{session_name}", role.id),
                arn: format!(
                    "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
                    role.name
                ),
            }),
            packed_policy_size: passed_extras.then_some(packed),
            source_identity,
            ..Default::default()
        })
    }
}
