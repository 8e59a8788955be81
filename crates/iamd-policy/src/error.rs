//! Typed validation errors carrying IAM's `MalformedPolicyDocument` message texts.

/// What kind of problem a policy document has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyErrorKind {
    /// Characters outside TAB, LF, CR and U+0020–U+00FF (the API model's pattern). IAM and STS
    /// report this as a `ValidationError`, not `MalformedPolicyDocument`.
    InvalidCharacters,
    /// Not JSON.
    InvalidJson,
    /// JSON, but not shaped like a policy.
    Syntax,
    /// `Version` missing or not allowed for this kind.
    Version,
    /// Rejected by IAM's "legacy parser" (Effect spelling, dates…).
    LegacyParse,
    /// Bad or duplicate `Sid`.
    Sid,
    /// Principal present where forbidden, missing where required, or malformed.
    Principal,
    /// Bad or missing action.
    Action,
    /// Bad or missing resource.
    Resource,
    /// Bad condition block.
    Condition,
}

/// A policy document failed validation. `Display` gives IAM's message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    kind: PolicyErrorKind,
    message: String,
}

impl PolicyError {
    pub(crate) fn new(kind: PolicyErrorKind, message: impl Into<String>) -> PolicyError {
        PolicyError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn syntax() -> PolicyError {
        PolicyError::new(PolicyErrorKind::Syntax, "Syntax errors in policy.")
    }

    /// The category of the problem.
    pub fn kind(&self) -> PolicyErrorKind {
        self.kind
    }

    /// IAM's message text (for `MalformedPolicyDocument`).
    pub fn message(&self) -> &str {
        &self.message
    }
}
