//! Secrets Manager's errors, with AWS's codes and texts. Sources: aws-semantics.md §6 ([rec]:
//! LocalStack snapshots recorded against AWS); where AWS's text is not recorded anywhere found,
//! the text is moto's or LocalStack's and marked [open].

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    // --- ResourceNotFoundException ---
    /// §6.6 [rec].
    #[error("secret not found")]
    SecretNotFound,
    #[error("no value for stage {stage}")]
    NoValueForStage { stage: String },
    #[error("no value for version {version_id}")]
    NoValueForVersion { version_id: String },

    // --- InvalidRequestException ---
    /// §6.5 [rec].
    #[error("marked for deletion")]
    MarkedForDeletion,
    /// LocalStack snapshot recorded against AWS (`test_no_client_request_token`).
    #[error("token required")]
    ClientRequestTokenRequired,
    /// §6.3 [rec].
    #[error("stage not on version")]
    StageNotOnVersion,
    /// LocalStack's text [open].
    #[error("no value given")]
    ValueRequired,
    /// §6.5 [rec].
    #[error("name scheduled for deletion")]
    NameScheduledForDeletion,
    /// moto/LocalStack's text [open].
    #[error("already marked deleted")]
    AlreadyMarkedDeleted,
    /// Text recorded from AWS in several projects' CI logs.
    #[error("no rotation function")]
    NoRotationFunction,
    /// moto's text, which it says follows AWS's documentation [open].
    #[error("no rotation to cancel")]
    NoRotationToCancel,
    /// aws-semantics-2.md §7.1 [rec]: AWSPENDING sits on a version other than AWSCURRENT.
    #[error("previous rotation not complete")]
    RotationInProgress,

    // --- InvalidParameterException ---
    #[error("both binary and string values")]
    BothValues,
    /// Recorded from AWS for DeleteSecret (gruntwork-io/cloud-nuke#435, rebuy-de/aws-nuke#1127)
    /// and PutResourcePolicy (lgallard/terraform-aws-secrets-manager#188).
    #[error("replica is read-only")]
    ReplicaReadOnly,
    /// Recorded from AWS in gruntwork-io/cloud-nuke#435 and rebuy-de/aws-nuke#1127.
    #[error("secret still has replicas")]
    StillHasReplicas { arn: String, regions: Vec<String> },
    /// aws-samples/aws-health-aware#32 (a Terraform run against AWS), pinned by moto [open for
    /// the other operations].
    #[error("invalid replica region")]
    InvalidReplicaRegion,
    /// [open]: AWS's text is not recorded anywhere found.
    #[error("not a replica")]
    NotAReplica,
    #[error("unsupported KMS key")]
    UnsupportedKmsKey,
    /// moto's text; the RemoveFromVersionId-can't-be-empty text is moto's copy of AWS's.
    #[error("not a valid version {version_id}")]
    NotAValidVersion { version_id: String },
    #[error("stage {stage} not in {version_id}")]
    StageNotInVersion { stage: String, version_id: String },
    #[error("RemoveFromVersionId required")]
    RemoveFromVersionIdRequired { stage: String, holder: String },
    /// aws-semantics.md §6.5; the same text in several emulators' tests.
    #[error("force delete with a window")]
    ForceDeleteWithWindow,
    /// moto's text [open].
    #[error("recovery window out of range")]
    RecoveryWindowOutOfRange,
    /// moto's texts [open].
    #[error("ids or filters")]
    IdsXorFilters,
    #[error("MaxResults without Filters")]
    MaxResultsWithoutFilters,
    /// [open] AWS's text for "every character excluded" is not recorded anywhere found.
    #[error("every character type excluded")]
    AllCharactersExcluded,
    /// Text as moto reports it; unverified against AWS.
    #[error("password too short for its types")]
    PasswordTooShort,
    /// RotateSecret without a ClientRequestToken (a raw call; SDKs fill one in):
    /// aws-semantics-2.md §7.1 [rec] — InvalidParameterException here, where PutSecretValue's
    /// is InvalidRequestException.
    #[error("rotation token required")]
    RotationTokenRequired,
    /// `RotationRules` refused by the schedule parser (its message: aws-semantics-2.md §7.1–7.2).
    #[error("invalid rotation rules")]
    InvalidRotationRules { message: String },

    // --- ResourceExistsException ---
    /// §6.6 [rec].
    #[error("secret {name} exists")]
    SecretExists { name: String },
    /// moto's text [open].
    #[error("token {token} in use")]
    ClientRequestTokenInUse { token: String, arn: String },

    // --- AccessDeniedException (not a policy decision) ---
    /// Another account's caller and the AWS managed key `aws/secretsmanager`, which only its own
    /// account may use: the text AWS's knowledge center ("secrets-manager-cross-account-key")
    /// quotes for this case (aws-semantics-2.md §6).
    #[error("the default key serves its own account only")]
    DefaultKeyCrossAccount,
    /// aws-semantics-2.md §7.1 [rec]: a `RotationLambdaARN` that names no built-in rotator of
    /// this server (AWS: a function Secrets Manager may not invoke); HTTP 400.
    #[error("rotation function not invocable")]
    RotationFunctionNotInvocable,

    // --- ValidationException ---
    /// LocalStack snapshot recorded against AWS (`test_invalid_secret_name`).
    #[error("invalid secret name")]
    InvalidName,

    // --- InvalidNextTokenException ---
    /// [open] AWS's text for a bad token is not recorded anywhere found.
    #[error("invalid next token")]
    InvalidNextToken,

    // --- MalformedPolicyDocumentException / PublicPolicyException ---
    #[error("malformed resource policy")]
    MalformedPolicy,
    /// A user or role the resource policy names does not exist: the text AWS's Secrets Manager
    /// documentation gives for a nonexistent user, and that terraform-provider-aws retries on
    /// while a new role propagates.
    #[error("unsupported principal")]
    UnsupportedPrincipal,
    #[error("public policy blocked")]
    PublicPolicy,
}

impl SecretsError {
    pub fn code(&self) -> &'static str {
        use SecretsError::*;
        match self {
            SecretNotFound | NoValueForStage { .. } | NoValueForVersion { .. } => {
                "ResourceNotFoundException"
            }
            MarkedForDeletion
            | ClientRequestTokenRequired
            | StageNotOnVersion
            | ValueRequired
            | NameScheduledForDeletion
            | AlreadyMarkedDeleted
            | NoRotationFunction
            | NoRotationToCancel
            | RotationInProgress => "InvalidRequestException",
            BothValues
            | ReplicaReadOnly
            | StillHasReplicas { .. }
            | InvalidReplicaRegion
            | NotAReplica
            | UnsupportedKmsKey
            | NotAValidVersion { .. }
            | StageNotInVersion { .. }
            | RemoveFromVersionIdRequired { .. }
            | ForceDeleteWithWindow
            | RecoveryWindowOutOfRange
            | IdsXorFilters
            | MaxResultsWithoutFilters
            | AllCharactersExcluded
            | PasswordTooShort
            | InvalidRotationRules { .. }
            | RotationTokenRequired => "InvalidParameterException",
            SecretExists { .. } | ClientRequestTokenInUse { .. } => "ResourceExistsException",
            InvalidName => "ValidationException",
            InvalidNextToken => "InvalidNextTokenException",
            MalformedPolicy | UnsupportedPrincipal => "MalformedPolicyDocumentException",
            DefaultKeyCrossAccount | RotationFunctionNotInvocable => "AccessDeniedException",
            PublicPolicy => "PublicPolicyException",
        }
    }

    pub fn message(&self) -> String {
        use SecretsError::*;
        match self {
            SecretNotFound => "Secrets Manager can't find the specified secret.".to_owned(),
            NoValueForStage { stage } => format!("Secrets Manager can't find the specified secret value for staging label: {stage}"),
            NoValueForVersion { version_id } => format!("Secrets Manager can't find the specified secret value for VersionId: {version_id}"),
            MarkedForDeletion => "You can't perform this operation on the secret because it was marked for deletion.".to_owned(),
            ClientRequestTokenRequired => "You must provide a ClientRequestToken value. We recommend a UUID-type value.".to_owned(),
            StageNotOnVersion => "You provided a VersionStage that is not associated to the provided VersionId.".to_owned(),
            ValueRequired => "You must provide either SecretString or SecretBinary.".to_owned(),
            NameScheduledForDeletion => "You can't create this secret because a secret with this name is already scheduled for deletion.".to_owned(),
            AlreadyMarkedDeleted => "You tried to perform the operation on a secret that's currently marked deleted.".to_owned(),
            NoRotationFunction => "No Lambda rotation function ARN is associated with this secret.".to_owned(),
            NoRotationToCancel => "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.".to_owned(),
            RotationTokenRequired => "You must provide a ClientRequestToken value. We recommend a UUID-type value.".to_owned(),
            RotationInProgress => "A previous rotation isn't complete. That rotation will be reattempted.".to_owned(),
            InvalidRotationRules { message } => message.clone(),
            RotationFunctionNotInvocable => "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.".to_owned(),
            BothValues => "You can't specify both a binary secret value and a string secret value in the same secret.".to_owned(),
            ReplicaReadOnly => "Operation not permitted on a replica secret. Call must be made in primary secret's region.".to_owned(),
            StillHasReplicas { arn, regions } => format!("You can't delete secret {arn} that still has replica regions [{}].", regions.join(", ")),
            InvalidReplicaRegion => "Invalid replica region.".to_owned(),
            NotAReplica => "Operation not permitted on a primary secret. Call must be made on a replica secret.".to_owned(),
            UnsupportedKmsKey => "iamd supports only the AWS managed key aws/secretsmanager until KMS is available.".to_owned(),
            NotAValidVersion { version_id } => format!("Not a valid version: {version_id}"),
            StageNotInVersion { stage, version_id } => format!("Version stage {stage} not found in version {version_id}"),
            RemoveFromVersionIdRequired { stage, holder } => format!("The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {holder}, so you must explicitly reference that version in RemoveFromVersionId."),
            ForceDeleteWithWindow => "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.".to_owned(),
            RecoveryWindowOutOfRange => "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).".to_owned(),
            IdsXorFilters => "Either 'SecretIdList' or 'Filters' must be provided, but not both.".to_owned(),
            MaxResultsWithoutFilters => "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.".to_owned(),
            AllCharactersExcluded => "The password can't be generated because all character types are excluded.".to_owned(),
            PasswordTooShort => "Password length is too short based on the required types.".to_owned(),
            SecretExists { name } => format!("The operation failed because the secret {name} already exists."),
            ClientRequestTokenInUse { token, arn } => format!("You can't use ClientRequestToken {token} because that value is already in use for a version of secret {arn}."),
            InvalidName => "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!".to_owned(),
            InvalidNextToken => "The NextToken value is invalid.".to_owned(),
            MalformedPolicy => "This policy has invalid syntax.".to_owned(),
            UnsupportedPrincipal => "This resource policy contains an unsupported principal.".to_owned(),
            DefaultKeyCrossAccount => "You can't access a secret from a different AWS account if you encrypt the secret with the default KMS service key.".to_owned(),
            PublicPolicy => "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.".to_owned(),
        }
    }
}
