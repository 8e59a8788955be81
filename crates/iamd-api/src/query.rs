//! awsQuery: form/query-string decoding and XML encoding (IAM, STS).

use std::fmt::Write as _;

use base64::Engine as _;
use time::{OffsetDateTime, UtcOffset};

use crate::error::ApiError;
use crate::model::{Operation, Protocol, Service, Shape, ShapeKind};
use crate::validate::{self, Path, Violations};
use crate::value::Value;

/// Keys with more `.`-separated segments than this are ignored: no model path is that deep
/// (the deepest IAM/STS input path has 6), and AWS ignores parameters it does not know.
const MAX_KEY_SEGMENTS: usize = 32;

/// Parse an `application/x-www-form-urlencoded` body or a URL query string into decoded pairs.
///
/// Both `+` and `%20` decode to a space. Invalid or truncated `%` escapes are kept literally
/// and invalid UTF-8 is replaced by U+FFFD (as browsers and `form_urlencoded` do), so this
/// never fails; the decoder then reports whatever does not fit the model.
pub fn parse_form(bytes: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for piece in bytes.split(|b| *b == b'&') {
        if piece.is_empty() {
            continue;
        }
        let (k, v) = match piece.iter().position(|b| *b == b'=') {
            Some(i) => {
                let (k, v) = piece.split_at(i);
                (k, v.get(1..).unwrap_or_default())
            }
            None => (piece, &[][..]),
        };
        out.push((decode_component(k), decode_component(v)));
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_component(s: &[u8]) -> String {
    if !s.iter().any(|b| *b == b'%' || *b == b'+') {
        return String::from_utf8_lossy(s).into_owned();
    }
    let mut buf = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match (b, tail) {
            (b'+', _) => buf.push(b' '),
            (b'%', [h, l, ..]) => match (hex_val(*h), hex_val(*l)) {
                (Some(h), Some(l)) => {
                    buf.push(h * 16 + l);
                    rest = tail.get(2..).unwrap_or_default();
                }
                _ => buf.push(b'%'),
            },
            (b, _) => buf.push(b),
        }
    }
    match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Decode an awsQuery request: select the operation by `Action`, check `Version`, decode the
/// parameters into a `Value::Structure` following the input shape, and validate it.
///
/// Errors (all HTTP 400):
/// - no `Action` → `MissingAction` `Missing Action`;
/// - unknown `Action`, or `Version` missing/different → `InvalidAction`
///   `Could not find operation <Action> for version <Version|NO_VERSION_SPECIFIED>`;
/// - the same key twice → `ValidationError`;
/// - values that do not parse as their type, or break model constraints → `ValidationError`
///   `N validation error(s) detected: ...`.
pub fn decode_query(
    service: Service,
    params: &[(String, String)],
) -> Result<(&'static Operation, Value), ApiError> {
    let mut action = None;
    let mut version = None;
    for (k, v) in params {
        match k.as_str() {
            "Action" => action = action.or(Some(v.as_str())),
            "Version" => version = version.or(Some(v.as_str())),
            _ => {}
        }
    }
    let Some(action) = action else {
        return Err(ApiError::new("MissingAction", "Missing Action", 400));
    };
    let version_ok = version == Some(service.api_version());
    let op = match (service.protocol(), version_ok) {
        (Protocol::Query, true) => service.operation(action),
        _ => None,
    };
    let Some(op) = op else {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {}",
                version.unwrap_or("NO_VERSION_SPECIFIED")
            ),
            400,
        ));
    };
    let tree = build_tree(params)?;
    let mut violations = Violations::new();
    let value = match op.input_shape() {
        Some(shape) => {
            let v = decode_structure(service, shape, &tree, &Path::ROOT, &mut violations);
            if violations.is_empty() {
                if service == Service::Iam
                    && let Some(msg) = validate::iam_name_violation(service, shape, &v)
                {
                    return Err(ApiError::validation(service, msg));
                }
                validate::validate_structure(service, shape, &v, &Path::ROOT, &mut violations);
            }
            v
        }
        None => Value::empty(),
    };
    match violations.into_message() {
        Some(msg) => Err(ApiError::validation(service, msg)),
        None => Ok((op, value)),
    }
}

/// Parameters arranged by their `.`-separated key segments.
#[derive(Debug, Default)]
struct Node<'a> {
    value: Option<&'a str>,
    /// Sorted by segment.
    children: Vec<(&'a str, Node<'a>)>,
}

impl<'a> Node<'a> {
    fn child(&self, name: &str) -> Option<&Node<'a>> {
        self.children
            .binary_search_by(|(k, _)| (*k).cmp(name))
            .ok()
            .and_then(|i| self.children.get(i))
            .map(|(_, n)| n)
    }
}

fn build_tree(params: &[(String, String)]) -> Result<Node<'_>, ApiError> {
    let mut entries: Vec<(Vec<&str>, &str)> = Vec::with_capacity(params.len());
    for (k, v) in params {
        if k == "Action" || k == "Version" {
            continue;
        }
        let segs: Vec<&str> = k.split('.').take(MAX_KEY_SEGMENTS + 1).collect();
        if segs.len() > MAX_KEY_SEGMENTS {
            continue;
        }
        entries.push((segs, v.as_str()));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for pair in entries.windows(2) {
        if let [a, b] = pair
            && a.0 == b.0
        {
            return Err(ApiError::new(
                "ValidationError",
                format!("Duplicate parameter: {}", a.0.join(".")),
                400,
            ));
        }
    }
    Ok(group(&entries, 0))
}

fn group<'a>(entries: &[(Vec<&'a str>, &'a str)], depth: usize) -> Node<'a> {
    let mut node = Node::default();
    let mut i = 0;
    while let Some((segs, value)) = entries.get(i) {
        let Some(key) = segs.get(depth) else {
            node.value = Some(value);
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while entries
            .get(j)
            .is_some_and(|(s, _)| s.get(depth) == Some(key))
        {
            j += 1;
        }
        node.children
            .push((key, group(entries.get(i..j).unwrap_or(&[]), depth + 1)));
        i = j;
    }
    node
}

fn decode_structure(
    service: Service,
    shape: &Shape,
    node: &Node<'_>,
    path: &Path<'_>,
    out: &mut Violations,
) -> Value {
    let mut fields = Vec::new();
    for member in shape.members {
        let Some(child) = node.child(member.wire_name()) else {
            continue;
        };
        let Some(target) = service.shape(member.target) else {
            continue;
        };
        let p = path.member(member.name);
        let sensitive = member.sensitive || target.sensitive;
        let flattened = member.flattened || target.flattened;
        if let Some(v) = decode_node(service, target, child, flattened, &p, sensitive, out) {
            fields.push((member.name, v));
        }
    }
    Value::Structure(fields)
}

/// Numbered children (`1`, `2`, …) sorted by index; other keys are ignored.
/// Indexes are only sorted, never used to size anything, so `member.999999999` is harmless.
fn numbered<'n, 'a>(node: &'n Node<'a>) -> Vec<(u32, &'n Node<'a>)> {
    let mut items: Vec<(u32, &Node<'a>)> = node
        .children
        .iter()
        .filter_map(|(k, n)| {
            let first = k.as_bytes().first()?;
            if *first == b'0' || !k.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            k.parse::<u32>().ok().map(|i| (i, n))
        })
        .collect();
    items.sort_unstable_by_key(|(i, _)| *i);
    items
}

fn decode_node(
    service: Service,
    shape: &Shape,
    node: &Node<'_>,
    flattened: bool,
    path: &Path<'_>,
    sensitive: bool,
    out: &mut Violations,
) -> Option<Value> {
    match shape.kind {
        ShapeKind::Structure => {
            if node.children.is_empty() {
                return None;
            }
            Some(decode_structure(service, shape, node, path, out))
        }
        ShapeKind::List => {
            let elem = shape.member.and_then(|id| service.shape(id))?;
            let container = if flattened {
                Some(node)
            } else {
                node.child(shape.member_location_name.unwrap_or("member"))
            };
            let Some(container) = container else {
                // `Tags=` (empty value, no members) is how query serializers send an empty list.
                return match node.value {
                    Some("") if node.children.is_empty() => Some(Value::List(Vec::new())),
                    _ => None,
                };
            };
            let mut items = Vec::new();
            for (pos, (_, n)) in numbered(container).into_iter().enumerate() {
                let p = path.index(pos);
                if let Some(v) = decode_node(
                    service,
                    elem,
                    n,
                    elem.flattened,
                    &p,
                    sensitive || elem.sensitive,
                    out,
                ) {
                    items.push(v);
                }
            }
            Some(Value::List(items))
        }
        ShapeKind::Map => {
            let key_shape = shape.member.and_then(|id| service.shape(id))?;
            let val_shape = shape.value.and_then(|id| service.shape(id))?;
            let container = if flattened {
                Some(node)
            } else {
                node.child("entry")
            };
            let Some(container) = container else {
                return match node.value {
                    Some("") if node.children.is_empty() => Some(Value::Map(Vec::new())),
                    _ => None,
                };
            };
            let key_name = shape.key_location_name.unwrap_or("key");
            let value_name = shape.value_location_name.unwrap_or("value");
            let mut entries: Vec<(String, Value)> = Vec::new();
            for (_, n) in numbered(container) {
                let Some(k) = n.child(key_name).and_then(|k| k.value) else {
                    continue;
                };
                let p = path.key(k);
                let v = match n.child(value_name) {
                    Some(vn) => decode_node(
                        service,
                        val_shape,
                        vn,
                        val_shape.flattened,
                        &p,
                        sensitive || val_shape.sensitive,
                        out,
                    ),
                    None => None,
                };
                let _ = key_shape;
                if let Some(v) = v {
                    if let Some(slot) = entries.iter_mut().find(|(ek, _)| ek == k) {
                        slot.1 = v;
                    } else {
                        entries.push((k.to_owned(), v));
                    }
                }
            }
            Some(Value::Map(entries))
        }
        _ => {
            let raw = node.value?;
            match parse_scalar(shape.kind, raw) {
                Ok(v) => Some(v),
                Err(constraint) => {
                    let shown = if sensitive { None } else { Some(raw) };
                    out.push(shown, path, constraint);
                    None
                }
            }
        }
    }
}

/// Parse a query-string scalar by model type. The error is the constraint text of the violation.
fn parse_scalar(kind: ShapeKind, raw: &str) -> Result<Value, &'static str> {
    match kind {
        ShapeKind::String => Ok(Value::String(raw.to_owned())),
        ShapeKind::Integer => raw
            .trim()
            .parse::<i32>()
            .map(|i| Value::Integer(i64::from(i)))
            .map_err(|_| "Member must be a valid integer"),
        ShapeKind::Long => raw
            .trim()
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| "Member must be a valid long"),
        ShapeKind::Boolean => {
            if raw.eq_ignore_ascii_case("true") {
                Ok(Value::Boolean(true))
            } else if raw.eq_ignore_ascii_case("false") {
                Ok(Value::Boolean(false))
            } else {
                Err("Member must be a valid boolean")
            }
        }
        ShapeKind::Double | ShapeKind::Float => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite())
            .map(Value::Double)
            .ok_or("Member must be a valid number"),
        ShapeKind::Timestamp => parse_timestamp(raw)
            .map(Value::Timestamp)
            .ok_or("Member must be a valid timestamp"),
        ShapeKind::Blob => base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map(Value::Blob)
            .map_err(|_| "Member must be valid base64"),
        ShapeKind::Structure | ShapeKind::List | ShapeKind::Map => Err("Member must be a scalar"),
    }
}

/// ISO-8601 / RFC 3339 (`2026-11-23T13:26:15Z`, with or without fraction) or epoch seconds.
pub(crate) fn parse_timestamp(raw: &str) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    if let Ok(t) = OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) {
        return Some(t);
    }
    let secs: f64 = raw.parse().ok()?;
    if !secs.is_finite() {
        return None;
    }
    let nanos = (secs * 1e9) as i128;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// `2026-11-23T13:26:15Z` (UTC, whole seconds), as IAM and STS print timestamps.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let mut s = String::with_capacity(20);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    s
}

/// Escape text for XML element content and attribute values.
pub(crate) fn xml_escape_into(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            b'\r' => "&#13;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// Encode a successful awsQuery response:
/// `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>`.
/// Members are written in model order; members of `result` the model does not know are skipped.
/// Operations without an output shape get only `ResponseMetadata`.
pub fn encode_query_response(
    service: Service,
    op: &Operation,
    result: &Value,
    request_id: &str,
) -> Vec<u8> {
    let mut out = String::with_capacity(512);
    out.push('<');
    out.push_str(op.name);
    out.push_str("Response xmlns=\"");
    out.push_str(service.xml_namespace().unwrap_or(""));
    out.push_str("\">");
    if let Some(shape) = op.output_shape() {
        let wrapper = op.result_wrapper.unwrap_or("");
        let has_wrapper = !wrapper.is_empty();
        if has_wrapper {
            out.push('<');
            out.push_str(wrapper);
            out.push('>');
        }
        write_members(&mut out, service, shape, result);
        if has_wrapper {
            out.push_str("</");
            out.push_str(wrapper);
            out.push('>');
        }
    }
    out.push_str("<ResponseMetadata><RequestId>");
    xml_escape_into(&mut out, request_id);
    out.push_str("</RequestId></ResponseMetadata></");
    out.push_str(op.name);
    out.push_str("Response>");
    out.into_bytes()
}

fn write_members(out: &mut String, service: Service, shape: &Shape, value: &Value) {
    for member in shape.members {
        let Some(v) = value.get(member.name) else {
            continue;
        };
        let Some(target) = service.shape(member.target) else {
            continue;
        };
        let flattened = member.flattened || target.flattened;
        write_element(
            out,
            service,
            target,
            member.wire_name(),
            member.xml_namespace,
            flattened,
            v,
        );
    }
}

fn open(out: &mut String, name: &str, ns: Option<&str>) {
    out.push('<');
    out.push_str(name);
    if let Some(ns) = ns {
        out.push_str(" xmlns=\"");
        xml_escape_into(out, ns);
        out.push('"');
    }
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn write_element(
    out: &mut String,
    service: Service,
    shape: &Shape,
    name: &str,
    ns: Option<&str>,
    flattened: bool,
    value: &Value,
) {
    match value {
        Value::List(items) => {
            let elem = shape.member.and_then(|id| service.shape(id));
            let member_name = shape.member_location_name.unwrap_or("member");
            if flattened {
                for item in items {
                    write_item(out, service, elem, name, item);
                }
            } else {
                open(out, name, ns);
                for item in items {
                    write_item(out, service, elem, member_name, item);
                }
                close(out, name);
            }
        }
        Value::Map(entries) => {
            let val_shape = shape.value.and_then(|id| service.shape(id));
            let key_name = shape.key_location_name.unwrap_or("key");
            let value_name = shape.value_location_name.unwrap_or("value");
            if !flattened {
                open(out, name, ns);
            }
            for (k, v) in entries {
                out.push_str(if flattened { "" } else { "<entry>" });
                if flattened {
                    open(out, name, None);
                }
                open(out, key_name, None);
                xml_escape_into(out, k);
                close(out, key_name);
                write_item(out, service, val_shape, value_name, v);
                if flattened {
                    close(out, name);
                } else {
                    out.push_str("</entry>");
                }
            }
            if !flattened {
                close(out, name);
            }
        }
        Value::Structure(_) => {
            open(out, name, ns);
            write_members(out, service, shape, value);
            close(out, name);
        }
        scalar => {
            open(out, name, ns);
            write_scalar(out, scalar);
            close(out, name);
        }
    }
}

fn write_item(out: &mut String, service: Service, shape: Option<&Shape>, name: &str, v: &Value) {
    match shape {
        Some(s) => write_element(out, service, s, name, None, s.flattened, v),
        None => {
            open(out, name, None);
            write_scalar(out, v);
            close(out, name);
        }
    }
}

fn write_scalar(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => xml_escape_into(out, s),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Double(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Timestamp(t) => out.push_str(&format_timestamp(*t)),
        Value::Blob(b) => out.push_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        Value::List(_) | Value::Map(_) | Value::Structure(_) => {}
    }
}

/// Encode an awsQuery error:
/// `<ErrorResponse xmlns=…><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>`
/// (`Receiver` for 5xx).
pub fn encode_query_error(service: Service, err: &ApiError, request_id: &str) -> Vec<u8> {
    let mut out = String::with_capacity(256 + err.message.len());
    out.push_str("<ErrorResponse xmlns=\"");
    out.push_str(service.xml_namespace().unwrap_or(""));
    out.push_str("\"><Error><Type>");
    out.push_str(if err.is_sender_fault() {
        "Sender"
    } else {
        "Receiver"
    });
    out.push_str("</Type><Code>");
    xml_escape_into(&mut out, &err.code);
    out.push_str("</Code><Message>");
    xml_escape_into(&mut out, &err.message);
    out.push_str("</Message></Error><RequestId>");
    xml_escape_into(&mut out, request_id);
    out.push_str("</RequestId></ErrorResponse>");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    //! The botocore models of IAM/STS use no `locationName` or `flattened` on inputs, so these
    //! code paths are exercised with synthetic shapes pointing at real STS scalar shapes.
    use super::*;
    use crate::model::{DEFAULT_SHAPE, Shape, ShapeKind};

    fn string_id() -> u16 {
        let shapes = Service::Sts.shapes();
        shapes.iter().position(|s| s.name == "tagKeyType").unwrap() as u16
    }

    fn tree(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn list_with_member_location_name_and_flattened() {
        let id = string_id();
        let named = Shape {
            kind: ShapeKind::List,
            member: Some(id),
            member_location_name: Some("item"),
            ..DEFAULT_SHAPE
        };
        let params = tree(&[
            ("L.item.2", "b"),
            ("L.item.1", "a"),
            ("L.member.3", "ignored"),
        ]);
        let root = build_tree(&params).unwrap();
        let node = root.child("L").unwrap();
        let mut v = Violations::new();
        let got = decode_node(
            Service::Sts,
            &named,
            node,
            false,
            &Path::ROOT,
            false,
            &mut v,
        );
        assert_eq!(got, Some(Value::List(vec!["a".into(), "b".into()])));

        let params = tree(&[("L.2", "b"), ("L.1", "a")]);
        let root = build_tree(&params).unwrap();
        let node = root.child("L").unwrap();
        let got = decode_node(Service::Sts, &named, node, true, &Path::ROOT, false, &mut v);
        assert_eq!(got, Some(Value::List(vec!["a".into(), "b".into()])));
        assert!(v.is_empty());
    }

    #[test]
    fn flattened_map_and_custom_key_names() {
        let id = string_id();
        let map = Shape {
            kind: ShapeKind::Map,
            member: Some(id),
            value: Some(id),
            key_location_name: Some("Name"),
            value_location_name: Some("Val"),
            ..DEFAULT_SHAPE
        };
        let params = tree(&[("M.1.Name", "k"), ("M.1.Val", "v")]);
        let root = build_tree(&params).unwrap();
        let mut viol = Violations::new();
        let got = decode_node(
            Service::Sts,
            &map,
            root.child("M").unwrap(),
            true,
            &Path::ROOT,
            false,
            &mut viol,
        );
        assert_eq!(got, Some(Value::Map(vec![("k".into(), "v".into())])));

        // Encoding mirrors it.
        let mut out = String::new();
        write_element(
            &mut out,
            Service::Sts,
            &map,
            "M",
            None,
            true,
            &Value::Map(vec![("k".into(), "v".into())]),
        );
        assert_eq!(out, "<M><Name>k</Name><Val>v</Val></M>");
        let list = Shape {
            kind: ShapeKind::List,
            member: Some(id),
            member_location_name: Some("item"),
            ..DEFAULT_SHAPE
        };
        let mut out = String::new();
        write_element(
            &mut out,
            Service::Sts,
            &list,
            "L",
            None,
            false,
            &Value::List(vec!["a".into()]),
        );
        assert_eq!(out, "<L><item>a</item></L>");
        let mut out = String::new();
        write_element(
            &mut out,
            Service::Sts,
            &list,
            "L",
            None,
            true,
            &Value::List(vec!["a".into(), "b".into()]),
        );
        assert_eq!(out, "<L>a</L><L>b</L>");
        let mut out = String::new();
        write_element(
            &mut out,
            Service::Sts,
            &list,
            "L",
            Some("urn:x"),
            false,
            &Value::List(vec![]),
        );
        assert_eq!(out, "<L xmlns=\"urn:x\"></L>");
    }

    #[test]
    fn timestamps() {
        let t = parse_timestamp("2026-11-23T13:26:15Z").unwrap();
        assert_eq!(format_timestamp(t), "2026-11-23T13:26:15Z");
        let t = parse_timestamp("2026-11-23T15:26:15.123+02:00").unwrap();
        assert_eq!(format_timestamp(t), "2026-11-23T13:26:15Z");
        let t = parse_timestamp("1795440375").unwrap();
        assert_eq!(format_timestamp(t), "2026-11-23T13:26:15Z");
        assert!(parse_timestamp("yesterday").is_none());
        assert!(parse_timestamp("1e300").is_none());
        assert!(parse_timestamp("NaN").is_none());
    }
}
