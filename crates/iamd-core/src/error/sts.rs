//! STS's errors, with AWS's codes and texts (aws-semantics.md §4.3–4.4 unless noted).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    // --- ValidationError (400) ---
    /// A role or policy ARN that is not one.
    #[error("{arn} is invalid")]
    InvalidArn { arn: String },
    #[error("source identity starts with aws:")]
    SourceIdentityReserved,
    #[error("chained session too long")]
    ChainedDurationTooLong,
    #[error("duration above the role's maximum")]
    DurationAboveRoleMaximum,

    // --- InvalidParameterValue (400) ---
    #[error("duplicate session tag keys")]
    DuplicateTagKeys,
    #[error("transitive key not among the tags")]
    TransitiveKeyNotInTags,
    #[error("transitive key conflicts with the calling session's")]
    TransitiveKeyConflict,
    #[error("access key id {key_id} malformed")]
    InvalidAccessKeyId { key_id: String },

    // --- PackedPolicyTooLarge (400) ---
    #[error("packed policy {percent}%")]
    PackedPolicyTooLarge { percent: usize },

    // --- MalformedPolicyDocument (400): the policy engine's text ---
    #[error("malformed session policy: {0}")]
    MalformedPolicyDocument(String),

    // --- AccessDenied (403), not from the policy engine ---
    #[error("root cannot assume roles")]
    RootCannotAssumeRole,
    /// What temporary credentials may not call (core::session_limits); observed texts in
    /// aws-sdk-net#1704, granted#151.
    #[error("{operation} not allowed with session credentials")]
    SessionCredentialsNotAllowed { operation: String },
    #[error("MFA device unknown")]
    MfaUnknownDevice,
    #[error("MFA code invalid")]
    MfaInvalidCode,

    // --- InvalidClientTokenId (403) ---
    /// IAM called with GetSessionToken credentials without MFA, or with GetFederationToken
    /// credentials (observed: aws-sdk-js#460, cloudyr/aws.iam#15).
    #[error("session credentials not valid for IAM")]
    SessionNotValidForIam,
}

impl StsError {
    pub fn code(&self) -> &'static str {
        use StsError::*;
        match self {
            InvalidArn { .. }
            | SourceIdentityReserved
            | ChainedDurationTooLong
            | DurationAboveRoleMaximum => "ValidationError",
            DuplicateTagKeys
            | TransitiveKeyNotInTags
            | TransitiveKeyConflict
            | InvalidAccessKeyId { .. } => "InvalidParameterValue",
            PackedPolicyTooLarge { .. } => "PackedPolicyTooLarge",
            MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            RootCannotAssumeRole
            | SessionCredentialsNotAllowed { .. }
            | MfaUnknownDevice
            | MfaInvalidCode => "AccessDenied",
            SessionNotValidForIam => "InvalidClientTokenId",
        }
    }

    pub fn message(&self) -> String {
        use StsError::*;
        match self {
            InvalidArn { arn } => format!("{arn} is invalid"),
            SourceIdentityReserved => "1 validation error detected: Value at 'sourceIdentity' failed to satisfy constraint: Member must not start with 'aws:'".to_owned(),
            ChainedDurationTooLong => "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".to_owned(),
            DurationAboveRoleMaximum => "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".to_owned(),
            DuplicateTagKeys => "Duplicate tag keys found. Please note that Tag keys are case insensitive.".to_owned(),
            TransitiveKeyNotInTags => "The specified transitive tag key must be included in the requested tags.".to_owned(),
            TransitiveKeyConflict => "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.".to_owned(),
            InvalidAccessKeyId { key_id } => format!("The access key ID {key_id} is not in a valid format."),
            PackedPolicyTooLarge { percent } => format!("Packed policy consumes {percent}% of allotted space, please use smaller policy."),
            MalformedPolicyDocument(m) => m.clone(),
            // Observed AWS text for root credentials calling AssumeRole.
            RootCannotAssumeRole => "Roles may not be assumed by root accounts.".to_owned(),
            SessionCredentialsNotAllowed { operation } => format!("Cannot call {operation} with session credentials"),
            // Recorded text, with its double space.
            MfaUnknownDevice => "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.".to_owned(),
            MfaInvalidCode => "MultiFactorAuthentication failed with invalid MFA one time pass code.".to_owned(),
            SessionNotValidForIam => "The security token included in the request is invalid.".to_owned(),
        }
    }
}
