//! The service layer's one error type, and its mapping to AWS wire errors — the only place that
//! decides codes, texts and HTTP statuses.
//!
//! Domain code fails with typed variants ([`IamError`], [`StsError`], [`SecretsError`],
//! [`CloudTrailError`], [`Denied`]); this module (one submodule per service) turns them into AWS's code and text,
//! and [`to_api_error`] adds the status from the service model or the protocol's rules.

mod cloudtrail;
mod iam;
mod secrets;
mod sts;

pub use cloudtrail::CloudTrailError;
pub use iam::{Blocker, EntityKind, IamError};
pub use secrets::SecretsError;
pub use sts::StsError;

use iamd_api::{ApiError, Protocol, Service};
use iamd_store::StoreError;

/// A denial by the policy engine. The message is the engine's (`User: … is not authorized to
/// perform: …`); the code depends on the protocol (`AccessDenied` for query services,
/// `AccessDeniedException` for JSON ones) and is chosen in [`to_api_error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy engine did not allow the request.
    #[error("access denied: {}", .0.message)]
    Denied(Box<Denied>),
    #[error(transparent)]
    Iam(#[from] IamError),
    #[error(transparent)]
    Sts(#[from] StsError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    CloudTrail(#[from] CloudTrailError),
    /// The operation exists in AWS's model but iamd does not implement it yet.
    #[error("{0} is not implemented by iamd yet")]
    NotImplemented(&'static str),
    /// A configuration value iamd was started with is unusable (never a client error).
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] iamd_crypto::CryptoError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A denial with the engine's text.
    pub fn denied(message: String) -> Self {
        Error::Denied(Box::new(Denied { message }))
    }

    /// The wire code and text of an error the client caused (`None` for internal failures):
    /// what per-item error lists (BatchGetSecretValue's `Errors`) report.
    pub fn code_and_message(&self, service: Service) -> Option<(&'static str, String)> {
        match self {
            Error::Denied(d) => Some((access_denied_code(service), d.message.clone())),
            Error::Iam(e) => Some((e.code(), e.message())),
            Error::Sts(e) => Some((e.code(), e.message())),
            Error::Secrets(e) => Some((e.code(), e.message())),
            Error::CloudTrail(e) => Some((e.code(), e.message())),
            _ => None,
        }
    }
}

/// `AccessDenied` (query services) or `AccessDeniedException` (JSON services).
pub fn access_denied_code(service: Service) -> &'static str {
    match service.protocol() {
        Protocol::Query => "AccessDenied",
        Protocol::Json11 => "AccessDeniedException",
    }
}

/// HTTP statuses of codes that AWS returns but the botocore models do not declare.
fn unmodeled_status(service: Service, code: &str) -> u16 {
    let query = matches!(service.protocol(), Protocol::Query);
    match code {
        // Query services answer authorization and authentication failures with 403; JSON services
        // with 400 (aws-semantics.md §5.3).
        "AccessDenied"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "MissingAuthenticationToken"
        | "OptInRequired"
            if query =>
        {
            403
        }
        "ServiceUnavailable" => 503,
        "InternalFailure" | "InternalError" | "ServiceFailure" => 500,
        "NotImplemented" => 501,
        _ => 400,
    }
}

fn status(service: Service, code: &str) -> u16 {
    service
        .modeled_status(code)
        .unwrap_or_else(|| unmodeled_status(service, code))
}

/// Maps a service error to the AWS error the client sees.
pub fn to_api_error(service: Service, err: &Error) -> ApiError {
    if let Some((code, message)) = err.code_and_message(service) {
        return ApiError::new(code, message, status(service, code));
    }
    match err {
        Error::NotImplemented(op) => ApiError::new(
            "NotImplemented",
            format!("iamd does not implement {op} yet"),
            501,
        ),
        Error::Store(StoreError::Unavailable(_)) => {
            tracing::error!(error = %err, "store unavailable");
            ApiError::new(
                "ServiceUnavailable",
                "The service is unavailable. Please try again later.".to_owned(),
                503,
            )
        }
        Error::Store(StoreError::Conflict { .. }) => ApiError::new(
            if matches!(service, Service::Iam) {
                "ConcurrentModification"
            } else {
                "InternalServiceError"
            },
            "The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.".to_owned(),
            if matches!(service, Service::Iam) { 409 } else { 500 },
        ),
        _ => {
            tracing::error!(error = %err, "internal error");
            let code = match service {
                Service::SecretsManager => "InternalServiceError",
                // CloudTrail's model names no server fault; AWS's common error is InternalFailure.
                Service::CloudTrail => "InternalFailure",
                Service::Iam => "ServiceFailure",
                Service::Sts => "InternalFailure",
            };
            ApiError::new(
                code,
                "We encountered an internal error. Please try again.".to_owned(),
                500,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_errors_render_with_awss_code_text_and_status() {
        let e: Error = IamError::NoSuchEntity {
            kind: EntityKind::Role,
            name: "r".into(),
        }
        .into();
        let api = to_api_error(Service::Iam, &e);
        assert_eq!(
            (api.code.as_ref(), api.message.as_str(), api.status),
            ("NoSuchEntity", "The role with name r cannot be found.", 404)
        );
        let e: Error = SecretsError::SecretNotFound.into();
        let api = to_api_error(Service::SecretsManager, &e);
        assert_eq!(
            (api.code.as_ref(), api.status),
            ("ResourceNotFoundException", 400)
        );
        let e = Error::denied("User: x is not authorized to perform: y".into());
        assert_eq!(to_api_error(Service::Iam, &e).code, "AccessDenied");
        assert_eq!(to_api_error(Service::Iam, &e).status, 403);
        assert_eq!(
            to_api_error(Service::SecretsManager, &e).code,
            "AccessDeniedException"
        );
        assert_eq!(to_api_error(Service::SecretsManager, &e).status, 400);
        let e: Error = StsError::RootCannotAssumeRole.into();
        assert_eq!(to_api_error(Service::Sts, &e).status, 403);
    }
}
