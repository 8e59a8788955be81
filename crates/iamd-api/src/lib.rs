//! iamd-api: the wire layer for AWS's awsQuery (IAM `2010-05-08`, STS `2011-06-15`) and
//! awsJson1.1 (Secrets Manager, CloudTrail) protocols.
//!
//! Pure functions over bytes and strings — no HTTP, no async. The server crate extracts the
//! body / query string / `X-Amz-Target`, calls [`decode_query`] or [`decode_json`], hands the
//! resulting [`Value`] to a handler, and encodes the handler's result with
//! [`encode_query_response`] / [`encode_json_response`] or its [`ApiError`] with
//! [`encode_query_error`] / [`encode_json_error`].
//!
//! Shapes, operations, constraints and modeled errors come from botocore's service models,
//! compiled into static tables by `tools/codegen/gen_models.py` (see [`generated`]).
//!
//! ```
//! use iamd_api::{ApiError, Service, Value, decode_query, encode_query_error, encode_query_response, parse_form};
//!
//! let service = Service::from_signing_name("sts").unwrap();
//! let params = parse_form(b"Action=GetCallerIdentity&Version=2011-06-15");
//! let (op, _input) = decode_query(service, &params).unwrap();
//! let out = Value::builder()
//!     .set("UserId", "000000000000")
//!     .set("Account", "000000000000")
//!     .set("Arn", "arn:aws:iam::000000000000:root")
//!     .build();
//! let xml = encode_query_response(service, op, &out, "request-id");
//! assert!(xml.starts_with(b"<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));
//!
//! // Handlers fail with modeled errors; the status comes from the model (IAM NoSuchEntity → 404).
//! let err = ApiError::modeled(Service::Iam, "NoSuchEntity", "The role with name r cannot be found.");
//! assert_eq!(err.status, 404);
//! let body = encode_query_error(Service::Iam, &err, "request-id");
//! # assert!(!body.is_empty());
//! ```

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

pub mod error;
pub mod generated;
pub mod json;
pub mod model;
pub mod query;
mod shapes;
pub mod typed;
pub mod validate;
pub mod value;

pub use error::ApiError;
pub use json::{decode_json, encode_json_error, encode_json_response};
pub use model::{
    ErrorInfo, Member, Operation, Pattern, Protocol, Service, Shape, ShapeId, ShapeKind,
};
pub use query::{
    decode_query, encode_query_error, encode_query_response, format_timestamp, parse_form,
};
pub use shapes::{cloudtrail, iam, secretsmanager, sts};
pub use typed::{ApiOperation, Blob, FromValue, IntoValue, ShapeError, Timestamp};
pub use value::{StructBuilder, Value};
