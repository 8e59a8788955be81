//! IAM's errors: each failure a typed variant, its code and AWS's text decided here and nowhere
//! else. Texts carry their source where it is not the IAM API reference itself.

/// The IAM entities whose messages follow one pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Group,
    Role,
    InstanceProfile,
}

/// What must go before an entity can be deleted (`DeleteConflict: Cannot delete entity, …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    LoginProfile,
    AccessKeys,
    MfaDevice,
    InlinePolicies,
    AttachedPolicies,
    GroupMembers,
    InstanceProfiles,
}

/// Every IAM failure iamd answers, with AWS's code and text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamError {
    // --- NoSuchEntity (404) ---
    #[error("no such {kind:?} {name}")]
    NoSuchEntity { kind: EntityKind, name: String },
    #[error("no such policy {arn}")]
    NoSuchPolicy { arn: String },
    #[error("policy {arn} not attachable")]
    PolicyNotAttachable { arn: String },
    #[error("boundary {arn} not attachable")]
    BoundaryNotAttachable { arn: String },
    #[error("no such policy version {arn} {version}")]
    NoSuchPolicyVersion { arn: String, version: String },
    #[error("no such inline policy {name} of a {label}")]
    NoSuchInlinePolicy { label: &'static str, name: String },
    #[error("no such access key {id}")]
    NoSuchAccessKey { id: String },
    #[error("no such MFA device {serial}")]
    NoSuchMfaDevice { serial: String },
    #[error("no login profile for {user}")]
    NoSuchLoginProfile { user: String },
    #[error("no password policy in {account}")]
    NoSuchPasswordPolicy { account: String },
    #[error("role {role} not in instance profile {profile}")]
    RoleNotInInstanceProfile { role: String, profile: String },
    #[error("no entity with ARN {arn}")]
    NoSuchEntityArn { arn: String },

    // --- EntityAlreadyExists (409) ---
    #[error("{kind:?} {name} already exists")]
    EntityAlreadyExists { kind: EntityKind, name: String },
    #[error("policy {name} already exists")]
    PolicyAlreadyExists { name: String },
    #[error("MFA device already exists")]
    MfaDeviceExists,
    #[error("MFA device in use")]
    MfaDeviceInUse,
    #[error("login profile of {user} exists")]
    LoginProfileExists { user: String },

    // --- DeleteConflict (409) ---
    #[error("cannot delete: {0:?}")]
    DeleteConflict(Blocker),
    #[error("policy still attached")]
    PolicyAttached,
    #[error("policy has versions")]
    PolicyHasVersions,
    #[error("default version")]
    DefaultPolicyVersion,
    #[error("MFA device active")]
    MfaDeviceActive,

    // --- LimitExceeded (409) ---
    #[error("quota {quota}: {limit}")]
    Quota { quota: &'static str, limit: usize },
    #[error("too many policy versions")]
    PolicyVersionQuota,
    #[error("inline policies too large")]
    InlinePolicySize {
        limit: usize,
        label: &'static str,
        entity: String,
    },

    // --- InvalidInput (400) ---
    #[error("duplicate tag keys")]
    DuplicateTagKeys { case_sensitive: bool },
    #[error("{arn} is AWS managed")]
    AwsManagedPolicy { arn: String },
    #[error("bad context entry: {0}")]
    InvalidContextEntry(String),
    #[error("caller ARN {arn} not a user of this account")]
    CallerArnNotAUser { arn: String },
    /// A simulation whose work or answer would pass iamd's per-request budget (issue #11,
    /// finding 3): `what` says which.
    #[error("simulation too large: {what}")]
    SimulationTooLarge { what: &'static str },

    // --- MalformedPolicyDocument (400) ---
    /// The policy engine's validation text.
    #[error("malformed policy: {0}")]
    MalformedPolicyDocument(String),
    #[error("trust policy names {arn}, which does not exist")]
    InvalidTrustPrincipal { arn: String },

    // --- ValidationError (400) ---
    #[error("invalid marker")]
    InvalidMarker,
    #[error("user name required")]
    UserNameRequired,
    #[error("invalid ARN {arn}")]
    InvalidArn { arn: String },
    /// A value whose derived form would not fit (a virtual MFA device name or path whose serial
    /// number would exceed the model's 256 characters), in the model's wording.
    #[error("{member} longer than {max}")]
    TooLong { member: &'static str, max: usize },

    // --- others ---
    #[error("invalid authentication code")]
    InvalidAuthenticationCode,
    /// The password policy's rules the password broke (`password_policy::violation`).
    #[error("password policy violation")]
    PasswordPolicyViolation { message: String },
    #[error("only IAM users can change their own password")]
    InvalidUserType,
    #[error("wrong old password")]
    WrongOldPassword,
    /// GetAccessKeyLastUsed of a key id that names no key: AWS's own wording (no colon after
    /// "perform", `access key <id>` as the resource).
    #[error("access key {key_id} unknown")]
    AccessKeyLastUsedDenied { caller: String, key_id: String },
    /// GetCredentialReport before any GenerateCredentialReport.
    #[error("no credential report")]
    ReportNotPresent,
    /// GetCredentialReport of a report older than four hours.
    #[error("credential report expired")]
    ReportExpired,
    /// GetCredentialReport while the report is being generated.
    #[error("credential report in progress")]
    ReportInProgress,
    /// A service-last-accessed job id that names no job of the caller.
    #[error("no job {id}")]
    NoSuchJob { id: String },
}

impl EntityKind {
    fn lower(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
            EntityKind::InstanceProfile => "instance profile",
        }
    }
    fn title(self) -> &'static str {
        match self {
            EntityKind::User => "User",
            EntityKind::Group => "Group",
            EntityKind::Role => "Role",
            EntityKind::InstanceProfile => "Instance Profile",
        }
    }
}

impl Blocker {
    fn text(self) -> &'static str {
        match self {
            Blocker::LoginProfile => "must delete login profile first.",
            Blocker::AccessKeys => "must delete access keys first.",
            Blocker::MfaDevice => "must remove MFA device first.",
            Blocker::InlinePolicies => "must delete policies first.",
            Blocker::AttachedPolicies => "must detach all policies first.",
            Blocker::GroupMembers => "must remove users from group first.",
            Blocker::InstanceProfiles => "must remove roles from instance profile first.",
        }
    }
}

impl IamError {
    /// The wire code.
    pub fn code(&self) -> &'static str {
        use IamError::*;
        match self {
            NoSuchEntity { .. }
            | NoSuchPolicy { .. }
            | PolicyNotAttachable { .. }
            | BoundaryNotAttachable { .. }
            | NoSuchPolicyVersion { .. }
            | NoSuchInlinePolicy { .. }
            | NoSuchAccessKey { .. }
            | NoSuchMfaDevice { .. }
            | NoSuchLoginProfile { .. }
            | NoSuchPasswordPolicy { .. }
            | RoleNotInInstanceProfile { .. }
            | NoSuchEntityArn { .. }
            | NoSuchJob { .. } => "NoSuchEntity",
            EntityAlreadyExists { .. }
            | PolicyAlreadyExists { .. }
            | MfaDeviceExists
            | MfaDeviceInUse
            | LoginProfileExists { .. } => "EntityAlreadyExists",
            DeleteConflict(_) | PolicyAttached | PolicyHasVersions | DefaultPolicyVersion
            | MfaDeviceActive => "DeleteConflict",
            Quota { .. } | PolicyVersionQuota | InlinePolicySize { .. } => "LimitExceeded",
            DuplicateTagKeys { .. }
            | AwsManagedPolicy { .. }
            | InvalidContextEntry(_)
            | CallerArnNotAUser { .. }
            | SimulationTooLarge { .. } => "InvalidInput",
            MalformedPolicyDocument(_) | InvalidTrustPrincipal { .. } => "MalformedPolicyDocument",
            InvalidMarker | UserNameRequired | InvalidArn { .. } | TooLong { .. } => {
                "ValidationError"
            }
            InvalidAuthenticationCode => "InvalidAuthenticationCode",
            PasswordPolicyViolation { .. } => "PasswordPolicyViolation",
            InvalidUserType => "InvalidUserType",
            WrongOldPassword | AccessKeyLastUsedDenied { .. } => "AccessDenied",
            ReportNotPresent => "ReportNotPresent",
            ReportExpired => "ReportExpired",
            ReportInProgress => "ReportInProgress",
        }
    }

    /// AWS's text.
    pub fn message(&self) -> String {
        use IamError::*;
        match self {
            NoSuchEntity {
                kind: EntityKind::InstanceProfile,
                name,
            } => format!("Instance Profile {name} cannot be found."),
            NoSuchEntity { kind, name } => {
                format!("The {} with name {name} cannot be found.", kind.lower())
            }
            NoSuchPolicy { arn } => format!("Policy {arn} was not found."),
            PolicyNotAttachable { arn } => {
                format!("Policy {arn} does not exist or is not attachable.")
            }
            BoundaryNotAttachable { arn } => {
                format!("Scope ARN: {arn} does not exist or is not attachable.")
            }
            NoSuchPolicyVersion { arn, version } => {
                format!("Policy {arn} version {version} does not exist or is not attachable.")
            }
            NoSuchInlinePolicy { label, name } => {
                format!("The {label} policy with name {name} cannot be found.")
            }
            NoSuchAccessKey { id } => format!("The Access Key with id {id} cannot be found."),
            NoSuchMfaDevice { serial } => {
                format!("MFA Device with serial number {serial} does not exist.")
            }
            NoSuchLoginProfile { user } => format!("Login Profile for User {user} cannot be found."),
            NoSuchPasswordPolicy { account } => {
                format!("The Password Policy with domain name {account} cannot be found.")
            }
            RoleNotInInstanceProfile { role, profile } => {
                format!("Role {role} in Instance Profile {profile} cannot be found.")
            }
            NoSuchEntityArn { arn } => format!("The entity with ARN {arn} cannot be found."),
            EntityAlreadyExists {
                kind: EntityKind::InstanceProfile,
                name,
            } => format!("Instance Profile {name} already exists."),
            EntityAlreadyExists { kind, name } => {
                format!("{} with name {name} already exists.", kind.title())
            }
            PolicyAlreadyExists { name } => {
                format!("A policy called {name} already exists. Duplicate names are not allowed.")
            }
            MfaDeviceExists => "MFA device already exists.".to_owned(),
            MfaDeviceInUse => "MFA Device is already in use.".to_owned(),
            LoginProfileExists { user } => format!("Login Profile for user {user} already exists."),
            DeleteConflict(b) => format!("Cannot delete entity, {}", b.text()),
            PolicyAttached => "Cannot delete a policy attached to entities.".to_owned(),
            PolicyHasVersions => "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".to_owned(),
            DefaultPolicyVersion => "Cannot delete the default version of a policy.".to_owned(),
            MfaDeviceActive => "MFA Device must be deactivated before deleting.".to_owned(),
            Quota { quota, limit } => format!("Cannot exceed quota for {quota}: {limit}"),
            PolicyVersionQuota => "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.".to_owned(),
            InlinePolicySize {
                limit,
                label,
                entity,
            } => format!("Maximum policy size of {limit} bytes exceeded for {label} {entity}"),
            // LocalStack's AWS-recorded snapshot test_iam_policies `err-duplicate-keys` for
            // policies; AWS's CreateRole answer for roles and users.
            DuplicateTagKeys {
                case_sensitive: true,
            } => "Duplicate tag keys found.".to_owned(),
            DuplicateTagKeys {
                case_sensitive: false,
            } => "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                .to_owned(),
            AwsManagedPolicy { arn } => {
                format!("Policy {arn} is an AWS managed policy and cannot be modified.")
            }
            InvalidContextEntry(m) => m.clone(),
            CallerArnNotAUser { arn } => {
                format!("CallerArn {arn} must be an IAM user of this account.")
            }
            SimulationTooLarge { what } => format!(
                "The simulation is too large: {what}. Request fewer results per page \
                 (MaxItems), or simulate fewer or simpler policies, context values or actions."
            ),
            MalformedPolicyDocument(m) => m.clone(),
            InvalidTrustPrincipal { arn } => {
                format!("Invalid principal in policy: \"AWS\":\"{arn}\"")
            }
            InvalidMarker => "Invalid Marker.".to_owned(),
            UserNameRequired => {
                "Must specify userName when calling with non-User credentials".to_owned()
            }
            InvalidArn { arn } => format!("ARN {arn} is not valid."),
            TooLong { member, max } => format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ),
            InvalidAuthenticationCode => "Authentication code for device is not valid.".to_owned(),
            PasswordPolicyViolation { message } => message.clone(),
            InvalidUserType => "Only IAM Users can change their own password.".to_owned(),
            WrongOldPassword => "The old password was incorrect.".to_owned(),
            AccessKeyLastUsedDenied { caller, key_id } => format!(
                "User: {caller} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {key_id}"
            ),
            // The texts of the model's documentation of the three exceptions (botocore
            // iam/2010-05-08, CredentialReport{NotPresent,Expired,NotReady}Exception): AWS's own
            // wire messages are not recorded in any source we found.
            ReportNotPresent => "The request was rejected because the credential report does not exist. To generate a credential report, use GenerateCredentialReport.".to_owned(),
            ReportExpired => "The request was rejected because the most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.".to_owned(),
            ReportInProgress => "The request was rejected because the credential report is still being generated.".to_owned(),
            // AWS's text for an unknown job id is not recorded in any source we found.
            NoSuchJob { id } => format!("No job with ID {id} was found."),
        }
    }
}
