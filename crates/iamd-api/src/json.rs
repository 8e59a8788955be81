//! awsJson1.1: `X-Amz-Target` routing, JSON body decoding and JSON encoding (Secrets Manager).

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::Value as Json;

use crate::error::ApiError;
use crate::model::{Operation, Protocol, Service, Shape, ShapeKind};
use crate::validate::{self, Violations};
use crate::value::Value;

/// Decode an awsJson1.1 request.
///
/// - `target` is the `X-Amz-Target` header (`secretsmanager.CreateSecret`); a wrong prefix or an
///   unknown operation → `UnknownOperationException` (400, no message).
/// - An empty (or all-whitespace) body is `{}`. Anything that is not a JSON object, or a member
///   of the wrong JSON type → `SerializationException` (400).
/// - Members the model does not know are ignored; `null` members are absent.
/// - Constraint violations → `ValidationException` `N validation error(s) detected: ...`.
pub fn decode_json(
    service: Service,
    target: &str,
    body: &[u8],
) -> Result<(&'static Operation, Value), ApiError> {
    let op = match (service.protocol(), service.json_target_prefix()) {
        (Protocol::Json11, Some(prefix)) => target
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|name| service.operation(name)),
        _ => None,
    };
    let Some(op) = op else {
        return Err(ApiError::new("UnknownOperationException", "", 400));
    };
    let json: Json = if body.iter().all(u8::is_ascii_whitespace) {
        Json::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(body).map_err(|_| ApiError::serialization(""))?
    };
    if !json.is_object() {
        return Err(ApiError::serialization(""));
    }
    let Some(shape) = op.input_shape() else {
        return Ok((op, Value::empty()));
    };
    let value = from_json(service, shape, &json)?;
    let mut violations = Violations::new();
    validate::validate_structure(
        service,
        shape,
        &value,
        &validate::Path::ROOT,
        &mut violations,
    );
    match violations.into_message() {
        Some(msg) => Err(ApiError::validation(service, msg)),
        None => Ok((op, value)),
    }
}

/// How Coral's JSON deserializer names the token it did not expect.
fn token_name(j: &Json) -> &'static str {
    match j {
        Json::Null => "NULL_VALUE",
        Json::Bool(_) => "BOOLEAN_VALUE",
        Json::Number(n) if n.is_f64() => "DECIMAL_VALUE",
        Json::Number(_) => "NUMBER_VALUE",
        Json::String(_) => "STRING_VALUE",
        Json::Array(_) => "START_ARRAY",
        Json::Object(_) => "START_OBJECT",
    }
}

fn mismatch(j: &Json, expected: &str) -> ApiError {
    match j {
        Json::Object(_) => {
            ApiError::serialization("Start of structure or map found where not expected.")
        }
        Json::Array(_) => ApiError::serialization("Start of list found where not expected"),
        other => ApiError::serialization(format!(
            "{} can not be converted to {expected}",
            token_name(other)
        )),
    }
}

fn from_json(service: Service, shape: &Shape, j: &Json) -> Result<Value, ApiError> {
    match shape.kind {
        ShapeKind::Structure => {
            let Json::Object(obj) = j else {
                return Err(mismatch(j, "a Structure"));
            };
            let mut fields = Vec::new();
            for member in shape.members {
                let Some(mv) = obj.get(member.name) else {
                    continue;
                };
                if mv.is_null() {
                    continue;
                }
                let Some(target) = service.shape(member.target) else {
                    continue;
                };
                fields.push((member.name, from_json(service, target, mv)?));
            }
            Ok(Value::Structure(fields))
        }
        ShapeKind::List => {
            let Json::Array(items) = j else {
                return Err(match j {
                    Json::Object(_) => mismatch(j, "a List"),
                    other => ApiError::serialization(format!(
                        "Expected list or null but found {}",
                        token_name(other)
                    )),
                });
            };
            let Some(elem) = shape.member.and_then(|id| service.shape(id)) else {
                return Ok(Value::List(Vec::new()));
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if item.is_null() {
                    continue;
                }
                out.push(from_json(service, elem, item)?);
            }
            Ok(Value::List(out))
        }
        ShapeKind::Map => {
            let Json::Object(obj) = j else {
                return Err(mismatch(j, "a Map"));
            };
            let Some(val_shape) = shape.value.and_then(|id| service.shape(id)) else {
                return Ok(Value::Map(Vec::new()));
            };
            let mut out = Vec::with_capacity(obj.len());
            for (k, v) in obj {
                if v.is_null() {
                    continue;
                }
                out.push((k.clone(), from_json(service, val_shape, v)?));
            }
            Ok(Value::Map(out))
        }
        ShapeKind::String => match j {
            Json::String(s) => Ok(Value::String(s.clone())),
            other => Err(mismatch(other, "a String")),
        },
        ShapeKind::Integer | ShapeKind::Long => {
            let expected = if shape.kind == ShapeKind::Integer {
                "an Integer"
            } else {
                "a Long"
            };
            let Json::Number(n) = j else {
                return Err(mismatch(j, expected));
            };
            let i = n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| mismatch(j, expected))?;
            if shape.kind == ShapeKind::Integer && i32::try_from(i).is_err() {
                return Err(mismatch(j, expected));
            }
            Ok(Value::Integer(i))
        }
        ShapeKind::Double | ShapeKind::Float => match j {
            Json::Number(n) => n
                .as_f64()
                .map(Value::Double)
                .ok_or_else(|| mismatch(j, "a Double")),
            other => Err(mismatch(other, "a Double")),
        },
        ShapeKind::Boolean => match j {
            Json::Bool(b) => Ok(Value::Boolean(*b)),
            other => Err(mismatch(other, "a Boolean")),
        },
        ShapeKind::Timestamp => match j {
            Json::Number(n) => n
                .as_f64()
                .and_then(|secs| crate::query::parse_timestamp(&format!("{secs}")))
                .map(Value::Timestamp)
                .ok_or_else(|| mismatch(j, "a Timestamp")),
            Json::String(s) => crate::query::parse_timestamp(s)
                .map(Value::Timestamp)
                .ok_or_else(|| mismatch(j, "a Timestamp")),
            other => Err(mismatch(other, "a Timestamp")),
        },
        ShapeKind::Blob => match j {
            Json::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(Value::Blob)
                .map_err(|_| ApiError::serialization("Base64 encoded string was malformed")),
            other => Err(mismatch(other, "a ByteBuffer")),
        },
    }
}

/// Encode a successful awsJson1.1 response body. Timestamps are epoch seconds (with a
/// fraction when not whole), blobs base64. An operation without output shape gets `{}`.
pub fn encode_json_response(op: &Operation, result: &Value) -> Vec<u8> {
    let mut out = String::with_capacity(256);
    match (op.output, result) {
        (Some(_), Value::Structure(_)) => write_json(&mut out, result),
        _ => out.push_str("{}"),
    }
    out.into_bytes()
}

/// Serialize any value as JSON (same rules as responses).
pub fn encode_value(v: &Value) -> Vec<u8> {
    let mut out = String::with_capacity(128);
    write_json(&mut out, v);
    out.into_bytes()
}

/// Encode an awsJson1.1 error body: `{"__type":"Code","Message":"…"}` (no `Message` if empty).
pub fn encode_json_error(err: &ApiError) -> Vec<u8> {
    let mut out = String::with_capacity(64 + err.message.len());
    out.push_str("{\"__type\":");
    write_json_str(&mut out, &err.code);
    if !err.message.is_empty() {
        out.push_str(",\"Message\":");
        write_json_str(&mut out, &err.message);
    }
    out.push('}');
    out.into_bytes()
}

fn write_json(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => write_json_str(out, s),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Double(d) => {
            if d.is_finite() {
                let _ = write!(out, "{d}");
            } else {
                out.push_str("null");
            }
        }
        Value::Timestamp(t) => {
            let total_ms = t.unix_timestamp_nanos() / 1_000_000;
            let sign = if total_ms < 0 { "-" } else { "" };
            let abs = total_ms.unsigned_abs();
            let (secs, millis) = (abs / 1000, abs % 1000);
            if millis == 0 {
                let _ = write!(out, "{sign}{secs}");
            } else {
                let _ = write!(out, "{sign}{secs}.{millis:03}");
            }
        }
        Value::Blob(b) => {
            out.push('"');
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
            out.push('"');
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(out, k);
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
        Value::Structure(fields) => {
            out.push('{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(out, k);
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&s[last..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        last = i + 1;
    }
    out.push_str(&s[last..]);
    out.push('"');
}
