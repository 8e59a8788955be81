//! What STS's operations share: checking an MFA code, session policies and tags, the packed
//! size, new temporary keys, and the `Credentials` they answer.

use crate::accounts::Principal;
use crate::domains::StsDomain;
use crate::error::{Error, StsError};
use crate::op::Request;
use crate::sessions::{SessionClaims, SessionSecret};
use iamd_api::sts as api;
use iamd_policy::{Context, PolicyKind};

/// The packed-size budget session policies and tags are measured against (iamd's model of
/// AWS's packing; AWS reports only the percentage).
const PACKED_BUDGET: usize = 2048;

/// Session tags as (key, value) pairs.
pub(super) type Tags = Vec<(String, String)>;

/// Checks `SerialNumber` + `TokenCode` against the calling IAM user's enabled virtual device:
/// `Ok(None)` when no MFA was passed, `Ok(Some(now))` when the code is good (RFC 6238, ±1 step,
/// each code once, spent in the store). A wrong, stale or reused code, or a locked device, is
/// `MultiFactorAuthentication failed with invalid MFA one time pass code.`; a serial naming no
/// device of the caller the other recorded text (aws-semantics.md §4.3).
pub(super) fn check_mfa(
    d: &StsDomain,
    req: &Request<'_>,
    serial: Option<&str>,
    code: Option<&str>,
) -> Result<Option<i64>, Error> {
    if serial.is_none() && code.is_none() {
        return Ok(None);
    }
    let (Some(serial), Principal::User { name, .. }) = (serial, &req.caller.principal) else {
        return Err(StsError::MfaUnknownDevice.into());
    };
    let Some(code) = code else {
        return Err(StsError::MfaInvalidCode.into());
    };
    match d
        .iam
        .verify_mfa_code(d.iam.mfa_seal(), req.account(), name, serial, code, req.now)?
    {
        crate::iam::mfa::MfaCheck::Valid => Ok(Some(req.now)),
        crate::iam::mfa::MfaCheck::UnknownDevice => Err(StsError::MfaUnknownDevice.into()),
        crate::iam::mfa::MfaCheck::InvalidCode => Err(StsError::MfaInvalidCode.into()),
    }
}

/// A new temporary access key id (`ASIA…`, encoding `account` like AWS's) and secret.
pub(super) fn new_key(account: &str) -> Result<(String, SessionSecret), Error> {
    let n: u64 = account
        .parse()
        .map_err(|_| Error::Internal(format!("account id {account} is not numeric")))?;
    Ok((
        iamd_crypto::ids::access_key_id(iamd_crypto::ids::TEMPORARY_KEY_PREFIX, n)?,
        iamd_crypto::ids::secret_access_key()?.into(),
    ))
}

/// Seals the claims and renders AWS's `Credentials` structure.
pub(super) fn credentials(
    d: &StsDomain,
    claims: &SessionClaims,
) -> Result<api::Credentials, Error> {
    Ok(api::Credentials {
        access_key_id: claims.access_key_id.clone(),
        secret_access_key: claims.secret_access_key.expose().to_owned(),
        session_token: d.sessions.seal(claims)?,
        expiration: crate::timestamps::at(claims.expires_at),
    })
}

/// Session policies of a request: the inline `Policy` (validated as a session policy by the
/// engine's grammar) and the `PolicyArns` (resolved on each request; a missing one grants
/// nothing).
pub(super) fn session_policies(
    policy: &Option<String>,
    arns: &Option<Vec<api::PolicyDescriptorType>>,
) -> Result<(Option<String>, Vec<String>), Error> {
    if let Some(text) = policy
        && let Err(e) = iamd_policy::Policy::parse(text, PolicyKind::Session)
    {
        return Err(StsError::MalformedPolicyDocument(e.message().to_owned()).into());
    }
    let mut out = Vec::new();
    for d in arns.iter().flatten() {
        let arn = d.arn.clone().unwrap_or_default();
        if crate::iam::parse_policy_arn(&arn).is_err() {
            return Err(StsError::InvalidArn { arn }.into());
        }
        out.push(arn);
    }
    Ok((policy.clone(), out))
}

/// `PackedPolicySize`: the percentage of the packed budget the session policies and tags use.
/// AWS compresses them with an undocumented packing; iamd counts characters without whitespace.
/// Over 100 % → `PackedPolicyTooLarge`.
pub(super) fn packed_size(
    policy: &Option<String>,
    arns: &[String],
    tags: &[(String, String)],
) -> Result<i64, Error> {
    let used = policy
        .as_deref()
        .map(crate::iam::doc::policy_size)
        .unwrap_or(0)
        + arns.iter().map(String::len).sum::<usize>()
        + tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    let percent = (used * 100).div_ceil(PACKED_BUDGET).max(1);
    if percent > 100 {
        return Err(StsError::PackedPolicyTooLarge { percent }.into());
    }
    i64::try_from(percent).map_err(|_| StsError::PackedPolicyTooLarge { percent }.into())
}

/// Session tags of the request, with AWS's checks: keys unique case-insensitively, transitive
/// keys among the tags.
pub(super) fn request_tags(
    tags: &Option<Vec<api::Tag>>,
    transitive: &Option<Vec<String>>,
) -> Result<(Tags, Vec<String>), Error> {
    let mut out: Tags = Vec::new();
    for t in tags.iter().flatten() {
        if out.iter().any(|(x, _)| x.eq_ignore_ascii_case(&t.key)) {
            return Err(StsError::DuplicateTagKeys.into());
        }
        out.push((t.key.clone(), t.value.clone()));
    }
    let transitive = transitive.clone().unwrap_or_default();
    for k in &transitive {
        if !out.iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
            return Err(StsError::TransitiveKeyNotInTags.into());
        }
    }
    Ok((out, transitive))
}

/// The condition keys of session tags being set: `aws:RequestTag/<key>` and `aws:TagKeys`.
pub(super) fn tag_keys(tags: &Tags, context: &mut Context) {
    if tags.is_empty() {
        return;
    }
    for (k, v) in tags {
        context.set(&format!("aws:RequestTag/{k}"), v.as_str());
    }
    context.set_multi("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()));
}
