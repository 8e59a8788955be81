//! Typed operation shapes: the conversions between the decoders' [`Value`] tree and the structs
//! generated per operation (`crate::iam`, `crate::sts`, `crate::secretsmanager`).
//!
//! Decoding stays model-driven ([`crate::decode_query`], [`crate::decode_json`] check shapes,
//! required members, lengths, patterns and enums with AWS's messages); [`FromValue`] then moves
//! the validated tree into the operation's input struct, so a handler reads `input.user_name`,
//! never a member by its name. Outputs go the other way through [`IntoValue`], in model order.

use crate::model::Service;
use crate::value::Value;
use std::collections::BTreeMap;

/// A timestamp member.
pub type Timestamp = time::OffsetDateTime;

/// A blob member (bytes; base64 in JSON, in query strings and XML).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Blob {
    fn from(b: Vec<u8>) -> Self {
        Blob(b)
    }
}

/// A decoded tree that does not have the shape its type expects. The decoders validate against
/// the same model first, so this means a decoder and the generated types disagree: an internal
/// error, never the client's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shape mismatch at {path}: expected {expected}")]
pub struct ShapeError {
    pub path: String,
    pub expected: &'static str,
}

impl ShapeError {
    pub fn new(path: &str, expected: &'static str) -> Self {
        ShapeError {
            path: path.to_owned(),
            expected,
        }
    }

    /// A required member was absent.
    pub fn missing(shape: &str, member: &str) -> Self {
        ShapeError {
            path: format!("{shape}.{member}"),
            expected: "a required member",
        }
    }

    /// The same error, one member further out.
    pub fn within(mut self, member: &str) -> Self {
        self.path = format!("{member}.{}", self.path);
        self
    }
}

/// Moves a decoded [`Value`] into a typed shape.
pub trait FromValue: Sized {
    fn from_value(v: Value) -> Result<Self, ShapeError>;
}

/// Turns a typed shape into the [`Value`] the encoders write.
pub trait IntoValue {
    fn into_value(self) -> Value;
}

/// An operation of a service model: its name and its typed input and output. Generated, one
/// marker type per operation (`crate::iam::ops::CreateUser`).
pub trait ApiOperation: 'static {
    const SERVICE: Service;
    const NAME: &'static str;
    type Input: FromValue + Send + 'static;
    type Output: IntoValue + Send + 'static;
}

/// The members of a structure value, for the generated `FromValue` impls.
pub struct Fields;

impl Fields {
    pub fn of(v: Value, shape: &str) -> Result<Vec<(&'static str, Value)>, ShapeError> {
        match v {
            Value::Structure(fields) => Ok(fields),
            _ => Err(ShapeError::new(shape, "a structure")),
        }
    }
}

impl FromValue for () {
    fn from_value(_: Value) -> Result<Self, ShapeError> {
        Ok(())
    }
}

impl IntoValue for () {
    fn into_value(self) -> Value {
        Value::Structure(Vec::new())
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, ShapeError> {
        match v {
            Value::String(s) => Ok(s),
            _ => Err(ShapeError::new("", "a string")),
        }
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::String(self)
    }
}

impl FromValue for i64 {
    fn from_value(v: Value) -> Result<Self, ShapeError> {
        match v {
            Value::Integer(i) => Ok(i),
            _ => Err(ShapeError::new("", "an integer")),
        }
    }
}

impl IntoValue for i64 {
    fn into_value(self) -> Value {
        Value::Integer(self)
    }
}

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, ShapeError> {
        match v {
            Value::Boolean(b) => Ok(b),
            _ => Err(ShapeError::new("", "a boolean")),
        }
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Boolean(self)
    }
}

impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, ShapeError> {
        match v {
            Value::Double(d) => Ok(d),
            Value::Integer(i) => Ok(i as f64),
            _ => Err(ShapeError::new("", "a number")),
        }
    }
}

impl IntoValue for f64 {
    fn into_value(self) -> Value {
        Value::Double(self)
    }
}

impl FromValue for Timestamp {
    fn from_value(v: Value) -> Result<Self, ShapeError> {
        match v {
            Value::Timestamp(t) => Ok(t),
            _ => Err(ShapeError::new("", "a timestamp")),
        }
    }
}

impl IntoValue for Timestamp {
    fn into_value(self) -> Value {
        Value::Timestamp(self)
    }
}

impl FromValue for Blob {
    fn from_value(v: Value) -> Result<Self, ShapeError> {
        match v {
            Value::Blob(b) => Ok(Blob(b)),
            _ => Err(ShapeError::new("", "a blob")),
        }
    }
}

impl IntoValue for Blob {
    fn into_value(self) -> Value {
        Value::Blob(self.0)
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: Value) -> Result<Self, ShapeError> {
        match v {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| T::from_value(item).map_err(|e| e.within(&format!("[{i}]"))))
                .collect(),
            _ => Err(ShapeError::new("", "a list")),
        }
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    fn into_value(self) -> Value {
        Value::List(self.into_iter().map(IntoValue::into_value).collect())
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(v: Value) -> Result<Self, ShapeError> {
        match v {
            Value::Map(entries) => entries
                .into_iter()
                .map(|(k, item)| {
                    let item = T::from_value(item).map_err(|e| e.within(&k))?;
                    Ok((k, item))
                })
                .collect(),
            _ => Err(ShapeError::new("", "a map")),
        }
    }
}

impl<T: IntoValue> IntoValue for BTreeMap<String, T> {
    fn into_value(self) -> Value {
        Value::Map(self.into_iter().map(|(k, v)| (k, v.into_value())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Service, decode_json, decode_query, encode_query_response, parse_form};

    #[test]
    fn a_decoded_query_request_moves_into_its_struct() {
        let params = parse_form(
            b"Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fdev%2F&Tags.member.1.Key=team&Tags.member.1.Value=blue",
        );
        let (op, v) = decode_query(Service::Iam, &params).unwrap();
        assert_eq!(op.name, "CreateUser");
        let input = crate::iam::CreateUserRequest::from_value(v).unwrap();
        assert_eq!(input.user_name, "alice");
        assert_eq!(input.path.as_deref(), Some("/dev/"));
        assert_eq!(input.permissions_boundary, None);
        let tags = input.tags.unwrap();
        let pairs: Vec<_> = tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect();
        assert_eq!(pairs, [("team", "blue")]);
    }

    #[test]
    fn enums_decode_as_enums_and_sensitive_members_stay_out_of_debug() {
        let params = parse_form(
            b"Action=UpdateAccessKey&Version=2010-05-08&AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Inactive",
        );
        let (_, v) = decode_query(Service::Iam, &params).unwrap();
        let input = crate::iam::UpdateAccessKeyRequest::from_value(v).unwrap();
        assert_eq!(input.status, crate::iam::StatusType::Inactive);

        let (_, v) = decode_json(
            Service::SecretsManager,
            "secretsmanager.PutSecretValue",
            br#"{"SecretId":"s","SecretString":"hunter2"}"#,
        )
        .unwrap();
        let input = crate::secretsmanager::PutSecretValueRequest::from_value(v).unwrap();
        assert_eq!(input.secret_string.as_deref(), Some("hunter2"));
        let shown = format!("{input:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Redacted"), "{shown}");
    }

    #[test]
    fn outputs_encode_in_model_order_and_omit_absent_members() {
        use crate::sts::{GetCallerIdentityResponse, ops};
        let out = GetCallerIdentityResponse {
            user_id: Some("AIDA".into()),
            account: Some("111122223333".into()),
            arn: None,
        };
        let op = Service::Sts
            .operation(<ops::GetCallerIdentity as ApiOperation>::NAME)
            .unwrap();
        let xml = String::from_utf8(encode_query_response(
            Service::Sts,
            op,
            &out.into_value(),
            "r",
        ))
        .unwrap();
        assert!(
            xml.contains("<UserId>AIDA</UserId><Account>111122223333</Account>"),
            "{xml}"
        );
        assert!(!xml.contains("<Arn>"), "{xml}");
    }

    #[test]
    fn a_tree_of_the_wrong_shape_is_an_error_naming_the_member() {
        let v = Value::builder().set("UserName", 5i64).build();
        let e = crate::iam::CreateUserRequest::from_value(v).unwrap_err();
        assert_eq!(e.path, "UserName.");
        let e = crate::iam::CreateUserRequest::from_value(Value::empty()).unwrap_err();
        assert_eq!(e.path, "CreateUserRequest.UserName");
    }

    #[test]
    fn every_operation_has_a_marker_with_its_service_and_name() {
        for svc in Service::ALL {
            let names = match svc {
                Service::Iam => crate::iam::OPERATION_NAMES,
                Service::Sts => crate::sts::OPERATION_NAMES,
                Service::SecretsManager => crate::secretsmanager::OPERATION_NAMES,
                Service::CloudTrail => crate::cloudtrail::OPERATION_NAMES,
            };
            let model: Vec<&str> = svc.operations().iter().map(|o| o.name).collect();
            assert_eq!(names, model.as_slice());
        }
    }
}
