//! STS operations.

use super::Ctx;
use crate::error::Error;
use iamd_api::Value;

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>
pub fn get_caller_identity(ctx: &Ctx<'_>, _input: &Value) -> Result<Value, Error> {
    Ok(Value::builder()
        .set("UserId", ctx.caller.user_id())
        .set("Account", ctx.caller.account.as_str())
        .set("Arn", ctx.caller.arn())
        .build())
}

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html>: the account
/// that owns an access key id. Keys iamd knows answer from the store; any other AWS-format key id
/// answers from the account encoded in it, as AWS does for key ids it did not issue.
pub fn get_access_key_info(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let key_id = input.str("AccessKeyId").unwrap_or_default();
    let account = match ctx.core.accounts.lookup(key_id) {
        Some(c) if !c.implicit_dev_account || ctx.core.dev() => c.account.clone(),
        _ => match iamd_crypto::ids::account_from_access_key_id(key_id) {
            Some(n) => format!("{n:012}"),
            None => {
                return Err(Error::aws(
                    "InvalidParameterValue",
                    format!("The access key ID {key_id} is not in a valid format."),
                ));
            }
        },
    };
    Ok(Value::builder().set("Account", account).build())
}

// --- temporary credentials ----------------------------------------------------------------------

use crate::accounts::Principal;
use crate::authz::{AuthzRequest, PolicyDoc, ResourcePolicy};
use crate::iam::entity_arn;
use crate::sessions::{SessionClaims, SessionPrincipal};
use iamd_api::Service;
use iamd_policy::{Context, PolicyKind, ResourcePolicyKind};
use time::OffsetDateTime;

/// Role chaining caps a session at one hour (aws-semantics.md §4.3).
const CHAINING_MAX: i64 = 3600;
/// The packed-size budget session policies and tags are measured against (iamd's model of
/// AWS's packing; AWS reports only the percentage).
const PACKED_BUDGET: usize = 2048;

fn ts(t: i64) -> Value {
    Value::Timestamp(OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

fn validation(msg: impl Into<String>) -> Error {
    Error::aws("ValidationError", msg)
}

/// `MultiFactorAuthentication failed, …` for a serial number that names no device of the caller
/// (aws-semantics.md §4.3, recorded text with its double space).
fn mfa_unknown_device() -> Error {
    Error::aws(
        "AccessDenied",
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.",
    )
}

/// Checks `SerialNumber` + `TokenCode` against the calling IAM user's enabled virtual device:
/// `Ok(None)` when no MFA was passed, `Ok(Some(now))` when the code is good (RFC 6238, ±1 step,
/// each code once). A wrong, stale or reused code → AccessDenied `MultiFactorAuthentication
/// failed with invalid MFA one time pass code.` (aws-semantics.md §4.3).
fn check_mfa(ctx: &Ctx<'_>, input: &Value) -> Result<Option<i64>, Error> {
    let (serial, code) = (input.str("SerialNumber"), input.str("TokenCode"));
    if serial.is_none() && code.is_none() {
        return Ok(None);
    }
    let invalid_code = || {
        Error::aws(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        )
    };
    let (Some(serial), Principal::User { name, .. }) = (serial, &ctx.caller.principal) else {
        return Err(mfa_unknown_device());
    };
    let Some(code) = code else {
        return Err(invalid_code());
    };
    let now = ctx.core.now();
    match ctx.core.iam.verify_mfa_code(
        ctx.core.iam.mfa_seal(),
        &ctx.caller.account,
        name,
        serial,
        code,
        now,
    )? {
        crate::iam::mfa::MfaCheck::Valid => Ok(Some(now)),
        crate::iam::mfa::MfaCheck::UnknownDevice => Err(mfa_unknown_device()),
        crate::iam::mfa::MfaCheck::InvalidCode => Err(invalid_code()),
    }
}

/// A new temporary access key id (`ASIA…`, encoding `account` like AWS's) and secret.
fn new_key(account: &str) -> Result<(String, String), Error> {
    let n: u64 = account
        .parse()
        .map_err(|_| Error::Internal(format!("account id {account} is not numeric")))?;
    Ok((
        iamd_crypto::ids::access_key_id(iamd_crypto::ids::TEMPORARY_KEY_PREFIX, n)?,
        iamd_crypto::ids::secret_access_key()?,
    ))
}

/// Seals the claims and renders AWS's `Credentials` structure.
fn credentials_out(ctx: &Ctx<'_>, claims: &SessionClaims) -> Result<Value, Error> {
    let token = ctx.core.sessions.seal(claims)?;
    Ok(Value::builder()
        .set("AccessKeyId", claims.access_key_id.as_str())
        .set("SecretAccessKey", claims.secret_access_key.as_str())
        .set("SessionToken", token)
        .set("Expiration", ts(claims.expires_at))
        .build())
}

/// Session policies of a request: the inline `Policy` (validated as a session policy by the
/// engine's grammar) and the `PolicyArns` (resolved on each request; a missing one grants
/// nothing).
fn session_policies(input: &Value) -> Result<(Option<String>, Vec<String>), Error> {
    let policy = input.str("Policy").map(str::to_owned);
    if let Some(text) = &policy
        && let Err(e) = iamd_policy::Policy::parse(text, PolicyKind::Session)
    {
        return Err(Error::aws(
            "MalformedPolicyDocument",
            e.message().to_owned(),
        ));
    }
    let mut arns = Vec::new();
    for d in input.list("PolicyArns").unwrap_or_default() {
        let arn = d.str("arn").unwrap_or_default();
        if crate::iam::parse_policy_arn(arn).is_err() {
            return Err(validation(format!("{arn} is invalid")));
        }
        arns.push(arn.to_owned());
    }
    Ok((policy, arns))
}

/// `PackedPolicySize`: the percentage of the packed budget the session policies and tags use.
/// AWS compresses them with an undocumented packing; iamd counts characters without whitespace.
/// Over 100 % → `PackedPolicyTooLarge`.
fn packed_size(
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
    let pct = (used * 100).div_ceil(PACKED_BUDGET).max(1);
    if pct > 100 {
        return Err(Error::aws(
            "PackedPolicyTooLarge",
            format!("Packed policy consumes {pct}% of allotted space, please use smaller policy."),
        ));
    }
    Ok(pct as i64)
}

/// The parts of a role ARN: account, path and name. Anything else is AWS's
/// `ValidationError: <arn> is invalid` (aws-semantics.md §4.3).
fn parse_role_arn(arn: &str) -> Result<(&str, &str, &str), Error> {
    let bad = || validation(format!("{arn} is invalid"));
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(res)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    if !partition.starts_with("aws")
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let rest = res.strip_prefix("role/").ok_or_else(bad)?;
    let (path, name) = match rest.rfind('/') {
        Some(i) => (&rest[..=i], &rest[i + 1..]),
        None => ("", rest),
    };
    if name.is_empty() {
        return Err(bad());
    }
    Ok((account, path, name))
}

/// Session tags as (key, value) pairs.
type Tags = Vec<(String, String)>;

/// Session tags of the request, with AWS's checks: keys unique case-insensitively, transitive
/// keys among the tags.
fn request_tags(input: &Value) -> Result<(Tags, Vec<String>), Error> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for t in input.list("Tags").unwrap_or_default() {
        let k = t.str("Key").unwrap_or_default();
        if tags.iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
            return Err(Error::aws(
                "InvalidParameterValue",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        tags.push((k.to_owned(), t.str("Value").unwrap_or_default().to_owned()));
    }
    let transitive: Vec<String> = input
        .strings("TransitiveTagKeys")
        .into_iter()
        .map(str::to_owned)
        .collect();
    for k in &transitive {
        if !tags.iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
            return Err(Error::aws(
                "InvalidParameterValue",
                "The specified transitive tag key must be included in the requested tags.",
            ));
        }
    }
    Ok((tags, transitive))
}

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>
///
/// Authorized here rather than by the table: the caller's identity policies must allow
/// `sts:AssumeRole` on the role and the role's trust policy must allow the caller (directly, or
/// its account — then the identity side must allow too), in the same account or across
/// accounts (aws-semantics.md §1.3–1.4, §4.3). A role that does not exist answers the same
/// AccessDenied as one the caller may not assume, so roles cannot be enumerated.
pub fn assume_role(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let caller = ctx.caller;
    let role_arn_in = input.str("RoleArn").unwrap_or_default();
    let session_name = input.str("RoleSessionName").unwrap_or_default();
    let (role_account, _, role_name) = parse_role_arn(role_arn_in)?;
    if matches!(caller.principal, Principal::Root) {
        // Observed AWS text for root credentials calling AssumeRole.
        return Err(Error::aws(
            "AccessDenied",
            "Roles may not be assumed by root accounts.",
        ));
    }
    let denied = |arn: &str| {
        Error::aws(
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                caller.arn()
            ),
        )
    };
    let role = ctx
        .core
        .iam
        .cached_role(role_account, role_name)?
        .ok_or_else(|| denied(role_arn_in))?;
    let role_arn = entity_arn(role_account, "role", &role.path, &role.name);

    let (mut tags, transitive) = request_tags(input)?;
    let source_identity = input.str("SourceIdentity").map(str::to_owned);
    if let Some(si) = &source_identity
        && si.starts_with("aws:")
    {
        return Err(validation(
            "1 validation error detected: Value at 'sourceIdentity' failed to satisfy constraint: Member must not start with 'aws:'",
        ));
    }
    let mfa_at = check_mfa(ctx, input)?;

    // The request's context keys (Service Authorization Reference, sts:AssumeRole).
    let mut context = Context::new();
    context.set_static("aws:RequestedRegion", ctx.region);
    context.set_static("sts:RoleSessionName", session_name);
    if mfa_at.is_some() {
        // The code was verified on this request (iamd_policy::principal_context's note).
        context.set_static("aws:MultiFactorAuthPresent", true);
        context.set_static("aws:MultiFactorAuthAge", 0i64);
    }
    if let Some(e) = input.str("ExternalId") {
        context.set_static("sts:ExternalId", e);
    }
    if let Some(si) = &source_identity {
        context.set_static("sts:SourceIdentity", si.as_str());
    }
    if !tags.is_empty() {
        for (k, v) in &tags {
            context.set(&format!("aws:RequestTag/{k}"), v.as_str());
        }
        context.set_multi("aws:TagKeys", tags.iter().map(|(k, _)| k.as_str()));
    }
    if !transitive.is_empty() {
        context.set_multi(
            "sts:TransitiveTagKeys",
            transitive.iter().map(String::as_str),
        );
    }
    for t in &role.tags {
        context.set(&format!("aws:ResourceTag/{}", t.key), t.value.as_str());
        context.set(&format!("iam:ResourceTag/{}", t.key), t.value.as_str());
    }
    let trust = ResourcePolicy {
        doc: PolicyDoc {
            id: role_arn.clone(),
            // A trusted user or role deleted (and maybe recreated) since the policy was saved
            // is trusted no more: AWS holds trust principals by unique id.
            text: ctx.core.role_trust(&role),
        },
        kind: ResourcePolicyKind::RoleTrust,
    };
    let decide = |action: &str| {
        ctx.core.authorize_request(
            caller,
            AuthzRequest {
                service: Service::Sts,
                action,
                resource: Some(&role_arn),
                resource_account: Some(role_account),
                context: context.clone(),
                resource_policy: Some(trust.clone()),
                resource_kind: ResourcePolicyKind::RoleTrust,
            },
        )
    };
    decide("sts:AssumeRole")?;
    if !tags.is_empty() || !transitive.is_empty() {
        decide("sts:TagSession")?;
    }
    if source_identity.is_some() {
        decide("sts:SetSourceIdentity")?;
    }

    // Role chaining: a role session assuming a role.
    let parent = caller.session.as_deref();
    let chained = matches!(caller.principal, Principal::AssumedRole { .. });
    let duration = input.i64("DurationSeconds").unwrap_or(3600);
    if chained && duration > CHAINING_MAX {
        return Err(validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if duration > role.max_session {
        return Err(validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }

    // Transitive tags of the calling session pass on and cannot be overridden.
    let mut transitive_keys = transitive.clone();
    if let Some(p) = parent.filter(|_| chained) {
        for k in &p.transitive_tag_keys {
            if tags.iter().any(|(x, _)| x.eq_ignore_ascii_case(k)) {
                return Err(Error::aws(
                    "InvalidParameterValue",
                    "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
                ));
            }
            if let Some((_, v)) = p.tags.iter().find(|(x, _)| x.eq_ignore_ascii_case(k)) {
                tags.push((k.clone(), v.clone()));
                transitive_keys.push(k.clone());
            }
        }
    }
    let source_identity =
        source_identity.or_else(|| parent.and_then(|p| p.source_identity.clone()));
    let (policy, policy_arns) = session_policies(input)?;
    let passed_extras = policy.is_some() || !policy_arns.is_empty() || !tags.is_empty();
    let packed = packed_size(&policy, &policy_arns, &tags)?;

    let now = ctx.core.now();
    let (key_id, secret) = new_key(role_account)?;
    let claims = SessionClaims {
        account: role_account.to_owned(),
        principal: SessionPrincipal::AssumedRole {
            role_name: role.name.clone(),
            role_path: role.path.clone(),
            role_id: role.id.clone(),
            session_name: session_name.to_owned(),
        },
        access_key_id: key_id,
        secret_access_key: secret,
        issued_at: now,
        expires_at: now + duration,
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
    let credentials = credentials_out(ctx, &claims)?;
    Ok(Value::builder()
        .set("Credentials", credentials)
        .set(
            "AssumedRoleUser",
            Value::builder()
                .set("AssumedRoleId", format!("{}:{session_name}", role.id))
                .set(
                    "Arn",
                    format!(
                        "arn:aws:sts::{role_account}:assumed-role/{}/{session_name}",
                        role.name
                    ),
                )
                .build(),
        )
        .set_opt("PackedPolicySize", passed_extras.then_some(packed))
        .set_opt("SourceIdentity", source_identity)
        .build())
}

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html>: IAM users and
/// roots; 900–129,600 s (the model checks the range), default 43,200 s for users; a root's
/// session lasts at most (and by default) 3,600 s — longer requests are cut to one hour, as the
/// API reference says.
pub fn get_session_token(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let caller = ctx.caller;
    let mfa_at = check_mfa(ctx, input)?;
    let (principal, duration) = match &caller.principal {
        Principal::Root => (
            SessionPrincipal::Root,
            input.i64("DurationSeconds").unwrap_or(3600).min(3600),
        ),
        Principal::User { name, path, id } => (
            SessionPrincipal::User {
                name: name.clone(),
                path: path.clone(),
                id: id.clone(),
            },
            input.i64("DurationSeconds").unwrap_or(43_200),
        ),
        // Sessions are refused before this point (core::session_limits).
        _ => {
            return Err(Error::aws(
                "AccessDenied",
                "Cannot call GetSessionToken with session credentials",
            ));
        }
    };
    let now = ctx.core.now();
    let (key_id, secret) = new_key(&caller.account)?;
    let claims = SessionClaims {
        account: caller.account.clone(),
        principal,
        access_key_id: key_id,
        secret_access_key: secret,
        issued_at: now,
        expires_at: now + duration,
        mfa_at,
        source_identity: None,
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        policy: None,
        policy_arns: Vec::new(),
        chained: false,
    };
    Ok(Value::builder()
        .set("Credentials", credentials_out(ctx, &claims)?)
        .build())
}

/// The resource of `sts:GetFederationToken`: `arn:aws:sts::<account>:federated-user/<Name>`.
pub fn federated_user_arn(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    Ok(Some(format!(
        "arn:aws:sts::{}:federated-user/{}",
        ctx.caller.account,
        input.str("Name").unwrap_or_default()
    )))
}

/// <https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html>: a session
/// whose permissions are the intersection of the calling user's policies and the session
/// policies passed (none passed: no permissions). 900–129,600 s, default 43,200 s; the root's
/// at most 3,600 s.
pub fn get_federation_token(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let caller = ctx.caller;
    let name = input.str("Name").unwrap_or_default();
    let (user, user_id, duration) = match &caller.principal {
        Principal::Root => (
            None,
            None,
            input.i64("DurationSeconds").unwrap_or(43_200).min(3600),
        ),
        Principal::User { id, .. } => (
            Some(caller.arn()),
            Some(id.clone()),
            input.i64("DurationSeconds").unwrap_or(43_200),
        ),
        _ => {
            return Err(Error::aws(
                "AccessDenied",
                "Cannot call GetFederationToken with session credentials",
            ));
        }
    };
    let (tags, _) = request_tags(input)?;
    if !tags.is_empty() {
        // Session tags need sts:TagSession, judged with aws:RequestTag/* and aws:TagKeys, as on
        // AssumeRole (IAM User Guide, id_session-tags: permissions required to add session tags).
        let context = crate::authz::request_context(Service::Sts, "GetFederationToken", input);
        let on = federated_user_arn(ctx, input)?;
        ctx.core.authorize_with(
            caller,
            Service::Sts,
            ctx.region,
            "sts:TagSession",
            on.as_deref(),
            context,
        )?;
    }
    let (policy, policy_arns) = session_policies(input)?;
    let passed_extras = policy.is_some() || !policy_arns.is_empty() || !tags.is_empty();
    let packed = packed_size(&policy, &policy_arns, &tags)?;
    let now = ctx.core.now();
    let (key_id, secret) = new_key(&caller.account)?;
    let claims = SessionClaims {
        account: caller.account.clone(),
        principal: SessionPrincipal::FederatedUser {
            name: name.to_owned(),
            user,
            user_id,
        },
        access_key_id: key_id,
        secret_access_key: secret,
        issued_at: now,
        expires_at: now + duration,
        mfa_at: None,
        source_identity: None,
        tags,
        transitive_tag_keys: Vec::new(),
        policy,
        policy_arns,
        chained: false,
    };
    Ok(Value::builder()
        .set("Credentials", credentials_out(ctx, &claims)?)
        .set(
            "FederatedUser",
            Value::builder()
                .set("FederatedUserId", format!("{}:{name}", caller.account))
                .set(
                    "Arn",
                    format!("arn:aws:sts::{}:federated-user/{name}", caller.account),
                )
                .build(),
        )
        .set_opt("PackedPolicySize", passed_extras.then_some(packed))
        .build())
}
