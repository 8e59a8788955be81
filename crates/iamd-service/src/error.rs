//! The service layer's one error type, and its mapping to AWS wire errors — the only place that
//! decides codes and HTTP statuses for failures that are not validation of the request shape.

use iamd_api::{ApiError, Service};
use iamd_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AWS error the caller caused, with AWS's code and message (`NoSuchEntity`, …). Its HTTP
    /// status comes from the service model; codes the model does not declare are listed in
    /// [`unmodeled_status`].
    #[error("{code}: {message}")]
    Aws { code: &'static str, message: String },
    /// The operation exists in AWS's model but iamd does not implement it yet.
    #[error("{0} is not implemented by iamd yet")]
    NotImplemented(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] iamd_crypto::CryptoError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn aws(code: &'static str, message: impl Into<String>) -> Self {
        Error::Aws {
            code,
            message: message.into(),
        }
    }
}

/// HTTP statuses of codes that AWS returns but the botocore models do not declare.
fn unmodeled_status(service: Service, code: &str) -> u16 {
    let query = matches!(service, Service::Iam | Service::Sts);
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

/// Maps a service error to the AWS error the client sees.
pub fn to_api_error(service: Service, err: &Error) -> ApiError {
    match err {
        Error::Aws { code, message } => {
            let status = service
                .modeled_status(code)
                .unwrap_or_else(|| unmodeled_status(service, code));
            ApiError::new(*code, message.clone(), status)
        }
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
        Error::Store(_) | Error::Crypto(_) | Error::Internal(_) => {
            tracing::error!(error = %err, "internal error");
            let code = match service {
                Service::SecretsManager => "InternalServiceError",
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
