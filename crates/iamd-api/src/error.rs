//! API errors as the wire protocols report them.

use std::borrow::Cow;

use crate::model::Service;

/// An error to send to the client: wire code, message, HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({status}): {message}")]
pub struct ApiError {
    pub code: Cow<'static, str>,
    pub message: String,
    pub status: u16,
}

impl ApiError {
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        status: u16,
    ) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
            status,
        }
    }

    /// An error declared in the service model, with its modeled HTTP status
    /// (e.g. IAM `NoSuchEntity` → 404, `EntityAlreadyExists` → 409; Secrets Manager → 400).
    /// Codes the model does not declare get 400.
    pub fn modeled(service: Service, code: &'static str, message: impl Into<String>) -> Self {
        let status = service.modeled_status(code).unwrap_or(400);
        ApiError::new(code, message, status)
    }

    /// Model-validation failure: `ValidationError` (query) / `ValidationException` (JSON), 400.
    pub fn validation(service: Service, message: impl Into<String>) -> Self {
        ApiError::new(validation_code(service), message, 400)
    }

    /// awsJson1.1 body that cannot be deserialized: `SerializationException`, 400.
    pub fn serialization(message: impl Into<String>) -> Self {
        ApiError::new("SerializationException", message, 400)
    }

    /// Whether the client is at fault (`<Type>Sender</Type>`) or the server (`Receiver`).
    pub fn is_sender_fault(&self) -> bool {
        self.status < 500
    }
}

pub(crate) fn validation_code(service: Service) -> &'static str {
    match service.protocol() {
        crate::model::Protocol::Query => "ValidationError",
        crate::model::Protocol::Json11 => "ValidationException",
    }
}
