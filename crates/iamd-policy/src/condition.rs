//! Condition operators and their evaluation (reference §2.5).

use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;
use time::OffsetDateTime;

use crate::context::{Context, ContextEntry, ContextValue};
use crate::json::Json;
use crate::pattern::{Glob, Template, eq_ignore_case};

/// A condition operator without its `ForAllValues:`/`ForAnyValue:` prefix and `IfExists` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const OPERATORS: &[(&str, Operator)] = &[
    ("StringEquals", Operator::StringEquals),
    ("StringNotEquals", Operator::StringNotEquals),
    ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        Operator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", Operator::StringLike),
    ("StringNotLike", Operator::StringNotLike),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericNotEquals", Operator::NumericNotEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        Operator::NumericGreaterThanEquals,
    ),
    ("DateEquals", Operator::DateEquals),
    ("DateNotEquals", Operator::DateNotEquals),
    ("DateLessThan", Operator::DateLessThan),
    ("DateLessThanEquals", Operator::DateLessThanEquals),
    ("DateGreaterThan", Operator::DateGreaterThan),
    ("DateGreaterThanEquals", Operator::DateGreaterThanEquals),
    ("Bool", Operator::Bool),
    ("BinaryEquals", Operator::BinaryEquals),
    ("IpAddress", Operator::IpAddress),
    ("NotIpAddress", Operator::NotIpAddress),
    ("ArnEquals", Operator::ArnEquals),
    ("ArnLike", Operator::ArnLike),
    ("ArnNotEquals", Operator::ArnNotEquals),
    ("ArnNotLike", Operator::ArnNotLike),
    ("Null", Operator::Null),
];

impl Operator {
    /// Looks an operator up by name (case-insensitively).
    pub fn from_name(name: &str) -> Option<Operator> {
        OPERATORS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, o)| *o)
    }

    /// The operator's AWS name.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("", |(n, _)| n)
    }

    /// Negated operators are true when the key is absent and combine values with NOR.
    pub fn is_negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// The positive counterpart of a negated operator (itself otherwise).
    fn positive(self) -> Operator {
        use Operator::*;
        match self {
            StringNotEquals => StringEquals,
            StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
            StringNotLike => StringLike,
            NumericNotEquals => NumericEquals,
            DateNotEquals => DateEquals,
            NotIpAddress => IpAddress,
            ArnNotEquals => ArnEquals,
            ArnNotLike => ArnLike,
            o => o,
        }
    }

    fn is_date(self) -> bool {
        use Operator::*;
        matches!(
            self,
            DateEquals
                | DateNotEquals
                | DateLessThan
                | DateLessThanEquals
                | DateGreaterThan
                | DateGreaterThanEquals
        )
    }

    fn is_numeric(self) -> bool {
        use Operator::*;
        matches!(
            self,
            NumericEquals
                | NumericNotEquals
                | NumericLessThan
                | NumericLessThanEquals
                | NumericGreaterThan
                | NumericGreaterThanEquals
        )
    }
}

/// `ForAllValues:` / `ForAnyValue:` set quantifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// Every request value must match (true when the key is absent or empty).
    ForAllValues,
    /// Some request value must match (false when the key is absent or empty).
    ForAnyValue,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(Template),
    Arn(Template, Option<Box<[Glob; 6]>>),
    Number(f64),
    Date(i128),
    Ip(IpNet),
    Binary(Vec<u8>),
    Null(bool),
    /// Unparseable for this operator: never matches.
    Invalid,
}

/// One `Operator: { key: values }` entry, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator name as written, when it is not exactly the operator's AWS name.
    op_name: Option<String>,
    op: Option<Operator>,
    quantifier: Option<Quantifier>,
    if_exists: bool,
    /// The key as written followed by its lowercase form (one allocation).
    keys: String,
    key_len: usize,
    values: Vec<Value>,
}

/// Why a condition block is invalid.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CondError {
    Syntax,
    LegacyParse,
    KeyWithoutVendor,
}

impl Condition {
    /// The operator name as written in the policy (`ForAnyValue:StringLikeIfExists`).
    pub fn operator_name(&self) -> &str {
        match (&self.op_name, self.op) {
            (Some(n), _) => n,
            (None, Some(op)) => op.name(),
            (None, None) => "",
        }
    }
    /// The operator, if known.
    pub fn operator(&self) -> Option<Operator> {
        self.op
    }
    /// The set quantifier, if any.
    pub fn quantifier(&self) -> Option<Quantifier> {
        self.quantifier
    }
    /// Whether the operator has the `IfExists` suffix.
    pub fn if_exists(&self) -> bool {
        self.if_exists
    }
    /// The context key name as written.
    pub fn key(&self) -> &str {
        self.keys.get(..self.key_len).unwrap_or_default()
    }

    /// The context key name, lowercase.
    fn key_lower(&self) -> &str {
        self.keys.get(self.key_len..).unwrap_or_default()
    }

    /// Compiles a whole `Condition` element into a flat list (operators × keys, all ANDed).
    pub(crate) fn compile_block(block: &Json<'_>, vars: bool) -> Result<Vec<Condition>, CondError> {
        let ops = block.as_object().ok_or(CondError::Syntax)?;
        let mut out = Vec::with_capacity(
            ops.iter()
                .map(|(_, body)| body.as_object().map_or(0, <[_]>::len))
                .sum(),
        );
        for (op_name, body) in ops {
            let keys = body.as_object().ok_or(CondError::Syntax)?;
            let (quantifier, rest) = if let Some(r) = strip_prefix_ci(op_name, "ForAllValues:") {
                (Some(Quantifier::ForAllValues), r)
            } else if let Some(r) = strip_prefix_ci(op_name, "ForAnyValue:") {
                (Some(Quantifier::ForAnyValue), r)
            } else {
                (None, op_name.as_ref())
            };
            let (if_exists, base) = match strip_suffix_ci(rest, "IfExists") {
                Some(b) => (true, b),
                None => (false, rest),
            };
            let op = Operator::from_name(base);
            let op = match op {
                Some(Operator::Null) if if_exists => None,
                o => o,
            };
            if op.is_none() {
                // IAM accepts an unknown operator only with an empty body (moto's
                // reverse-engineered rule); it then constrains nothing.
                if keys.is_empty() {
                    continue;
                }
                return Err(CondError::Syntax);
            }
            for (key, vals) in keys {
                if !key.bytes().any(|b| b == b':') {
                    return Err(CondError::KeyWithoutVendor);
                }
                let items = match vals {
                    Json::Array(a) => a.as_slice(),
                    v => std::slice::from_ref(v),
                };
                let mut values = Vec::with_capacity(items.len());
                for it in items {
                    let text = match it {
                        Json::String(s) => s.as_ref(),
                        Json::Number(n) => n.as_str(),
                        Json::Bool(true) => "true",
                        Json::Bool(false) => "false",
                        _ => return Err(CondError::Syntax),
                    };
                    values.push(compile_value(op, text, vars)?);
                }
                let canonical = quantifier.is_none()
                    && !if_exists
                    && op.is_some_and(|o| o.name() == op_name.as_ref());
                out.push(Condition {
                    op_name: (!canonical).then(|| op_name.to_string()),
                    op,
                    quantifier,
                    if_exists,
                    keys: {
                        let mut keys = String::with_capacity(2 * key.len());
                        keys.push_str(key);
                        keys.push_str(key);
                        if let Some(lower) = keys.get_mut(key.len()..) {
                            lower.make_ascii_lowercase();
                        }
                        keys
                    },
                    key_len: key.len(),
                    values,
                });
            }
        }
        Ok(out)
    }

    /// Whether the condition holds for the request context.
    pub(crate) fn holds(&self, ctx: &Context) -> bool {
        let Some(op) = self.op else { return true };
        // an exhausted simulation budget: the decision is discarded, stop working
        if crate::work::exhausted() {
            return false;
        }
        let entry = ctx.get_lower(self.key_lower());
        if op == Operator::Null {
            let absent = entry.is_none_or(|e| e.values.is_empty());
            return self
                .values
                .iter()
                .any(|v| matches!(v, Value::Null(b) if *b == absent));
        }
        let Some(entry) = entry else {
            return match self.quantifier {
                Some(Quantifier::ForAllValues) => true,
                Some(Quantifier::ForAnyValue) => self.if_exists,
                None => self.if_exists || op.is_negated(),
            };
        };
        match self.quantifier {
            Some(Quantifier::ForAllValues) => {
                entry.values.iter().all(|v| self.value_matches(op, v, ctx))
            }
            Some(Quantifier::ForAnyValue) => {
                entry.values.iter().any(|v| self.value_matches(op, v, ctx))
            }
            None => self.single(op, entry, ctx),
        }
    }

    /// A plain (non-set) operator. On a multivalued key it never matches: AWS documents such
    /// use as unsupported; the independent engine iam-simulate treats it as non-matching
    /// (reference §2.5, §9 item 6). The choice is pinned in the corpus.
    fn single(&self, op: Operator, entry: &ContextEntry, ctx: &Context) -> bool {
        if entry.multi {
            return false;
        }
        match entry.values.as_slice() {
            [v] => self.value_matches(op, v, ctx),
            _ => op.is_negated(),
        }
    }

    /// One request value against all policy values: OR for positive operators, NOR for
    /// negated ones.
    fn value_matches(&self, op: Operator, v: &ContextValue, ctx: &Context) -> bool {
        // one unit per pair of values compared (request values × policy values can be
        // thousands × thousands in a simulation)
        if !crate::work::charge(1 + self.values.len()) {
            return false;
        }
        let pos = op.positive();
        let any = self.values.iter().any(|pv| value_eq(pos, pv, v, ctx));
        if op.is_negated() { !any } else { any }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    if s.len() >= p.len() && s.is_char_boundary(p.len()) && s[..p.len()].eq_ignore_ascii_case(p) {
        Some(&s[p.len()..])
    } else {
        None
    }
}

fn strip_suffix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    let at = s.len().checked_sub(p.len())?;
    if s.is_char_boundary(at) && s[at..].eq_ignore_ascii_case(p) {
        Some(&s[..at])
    } else {
        None
    }
}

fn compile_value(op: Option<Operator>, text: &str, vars: bool) -> Result<Value, CondError> {
    use Operator::*;
    let Some(op) = op else {
        return Ok(Value::Invalid);
    };
    Ok(match op.positive() {
        StringEquals | StringEqualsIgnoreCase | StringLike | Bool => {
            Value::Text(Template::new(text, vars))
        }
        ArnEquals | ArnLike => {
            let t = Template::new(text, vars);
            let segs = if t.has_vars() {
                None
            } else {
                split_arn(text).map(|s| Box::new(s.map(Glob::new)))
            };
            Value::Arn(t, segs)
        }
        o if o.is_numeric() => parse_number(text).map_or(Value::Invalid, Value::Number),
        o if o.is_date() => match parse_date(text) {
            Some(d) => Value::Date(d.unix_timestamp_nanos()),
            None => return Err(CondError::LegacyParse),
        },
        IpAddress => parse_net(text).map_or(Value::Invalid, Value::Ip),
        BinaryEquals => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_or(Value::Invalid, Value::Binary),
        Null => match text.to_ascii_lowercase().as_str() {
            "true" => Value::Null(true),
            "false" => Value::Null(false),
            _ => Value::Invalid,
        },
        _ => Value::Invalid,
    })
}

fn value_eq(op: Operator, pv: &Value, v: &ContextValue, ctx: &Context) -> bool {
    use Operator::*;
    match (op, pv) {
        (StringEquals, Value::Text(t)) => t.resolve(ctx).is_some_and(|p| *p == *v.as_text()),
        (StringEqualsIgnoreCase, Value::Text(t)) => t
            .resolve(ctx)
            .is_some_and(|p| eq_ignore_case(&p, &v.as_text())),
        (StringLike, Value::Text(t)) => t.glob(ctx).is_some_and(|g| g.matches(&v.as_text())),
        (Bool, Value::Text(t)) => {
            let Some(req) = as_bool(v) else { return false };
            t.resolve(ctx).is_some_and(|p| {
                if p.eq_ignore_ascii_case("true") {
                    req
                } else if p.eq_ignore_ascii_case("false") {
                    !req
                } else {
                    false
                }
            })
        }
        (ArnEquals | ArnLike, Value::Arn(t, segs)) => {
            let req = v.as_text();
            let Some(rs) = split_arn(&req) else {
                return false;
            };
            match segs {
                Some(g) => g.iter().zip(rs.iter()).all(|(g, r)| g.matches(r)),
                None => t.resolve(ctx).is_some_and(|p| {
                    split_arn(&p).is_some_and(|ps| {
                        ps.iter()
                            .zip(rs.iter())
                            .all(|(p, r)| Glob::new(p).matches(r))
                    })
                }),
            }
        }
        (o, Value::Number(p)) if o.is_numeric() => {
            let Some(r) = as_number(v) else { return false };
            match o {
                NumericEquals => r == *p,
                NumericLessThan => r < *p,
                NumericLessThanEquals => r <= *p,
                NumericGreaterThan => r > *p,
                NumericGreaterThanEquals => r >= *p,
                _ => false,
            }
        }
        (o, Value::Date(p)) if o.is_date() => {
            let Some(r) = as_date(v) else { return false };
            match o {
                DateEquals => r == *p,
                DateLessThan => r < *p,
                DateLessThanEquals => r <= *p,
                DateGreaterThan => r > *p,
                DateGreaterThanEquals => r >= *p,
                _ => false,
            }
        }
        (IpAddress, Value::Ip(net)) => as_ip(v).is_some_and(|ip| net_contains(net, ip)),
        (BinaryEquals, Value::Binary(b)) => match v {
            ContextValue::Binary(r) => r == b,
            other => base64::engine::general_purpose::STANDARD
                .decode(other.as_text().as_bytes())
                .is_ok_and(|r| r == *b),
        },
        _ => false,
    }
}

fn net_contains(net: &IpNet, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpNet::V4(n), IpAddr::V6(v6)) => v6.to_ipv4_mapped().is_some_and(|v4| n.contains(&v4)),
        _ => net.contains(&ip),
    }
}

fn as_bool(v: &ContextValue) -> Option<bool> {
    match v {
        ContextValue::Bool(b) => Some(*b),
        ContextValue::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        ContextValue::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn as_number(v: &ContextValue) -> Option<f64> {
    match v {
        ContextValue::Number(n) => Some(*n),
        ContextValue::String(s) => parse_number(s),
        _ => None,
    }
}

// Not inlined: LLVM would otherwise hoist the float multiplication out of its match arm and
// run it on whatever bytes another variant holds, which are often subnormal floats that cost
// a microcode assist (measured: half of all condition time).
#[inline(never)]
fn as_date(v: &ContextValue) -> Option<i128> {
    match v {
        ContextValue::Date(d) => Some(d.unix_timestamp_nanos()),
        ContextValue::Number(n) => Some((*n * 1e9) as i128),
        ContextValue::String(s) => parse_date(s).map(|d| d.unix_timestamp_nanos()),
        _ => None,
    }
}

fn as_ip(v: &ContextValue) -> Option<IpAddr> {
    match v {
        ContextValue::Ip(ip) => Some(*ip),
        ContextValue::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        return Some(n.trunc());
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Parses a date as IAM does: W3C ISO-8601 (`2020-01-01`, `2020-01-01T12:00:00Z`, with
/// fractions or offsets) or epoch seconds.
pub fn parse_date(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    let s = s.trim();
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        if let Ok(secs) = s.parse::<i64>() {
            return OffsetDateTime::from_unix_timestamp(secs).ok();
        }
        if s.contains('.')
            && let Ok(f) = s.parse::<f64>()
        {
            return OffsetDateTime::from_unix_timestamp_nanos((f * 1e9) as i128).ok();
        }
    }
    if let Ok(d) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(d);
    }
    if let Ok(d) = OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(d);
    }
    // date only, or date-time without seconds
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &fmt) {
        return Some(d.midnight().assume_utc());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]Z");
    if let Ok(d) = time::PrimitiveDateTime::parse(s, &fmt) {
        return Some(d.assume_utc());
    }
    None
}

/// Byte offsets of the first five colons of `s`, if it has that many.
pub(crate) fn arn_colons(s: &str) -> Option<[usize; 5]> {
    // byte scan: `str::splitn` with a char pattern costs several times more on short strings
    let mut cuts = [0usize; 5];
    let mut n = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b':' {
            *cuts.get_mut(n)? = i;
            n += 1;
            if n == cuts.len() {
                return Some(cuts);
            }
        }
    }
    None
}

/// Splits an ARN into its six colon-separated segments (the last keeps its colons).
pub(crate) fn split_arn(s: &str) -> Option<[&str; 6]> {
    let [c0, c1, c2, c3, c4] = arn_colons(s)?;
    Some([
        s.get(..c0)?,
        s.get(c0 + 1..c1)?,
        s.get(c1 + 1..c2)?,
        s.get(c2 + 1..c3)?,
        s.get(c3 + 1..c4)?,
        s.get(c4 + 1..)?,
    ])
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index known fixtures")]
mod tests {
    use super::*;

    fn cond(json: &str) -> Vec<Condition> {
        Condition::compile_block(&Json::parse(json).unwrap(), true).unwrap()
    }
    fn holds(json: &str, ctx: &Context) -> bool {
        cond(json).iter().all(|c| c.holds(ctx))
    }

    #[test]
    fn key_as_written_and_lowercase() {
        let c = &cond(r#"{"StringEquals":{"AWS:PrincipalTag/Team":"a"}}"#)[0];
        assert_eq!(c.key(), "AWS:PrincipalTag/Team");
        assert_eq!(c.key_lower(), "aws:principaltag/team");
        assert_eq!(c.operator_name(), "StringEquals");
        let c = &cond(r#"{"stringequalsIfExists":{"a:b":"a"}}"#)[0];
        assert_eq!(c.operator_name(), "stringequalsIfExists");
        let c = &cond(r#"{"stringequals":{"a:b":"a"}}"#)[0];
        assert_eq!(c.operator_name(), "stringequals");
    }

    #[test]
    fn missing_key_rules() {
        let c = Context::new();
        assert!(!holds(r#"{"StringEquals":{"aws:x":"a"}}"#, &c));
        assert!(holds(r#"{"StringNotEquals":{"aws:x":"a"}}"#, &c));
        assert!(holds(r#"{"StringEqualsIfExists":{"aws:x":"a"}}"#, &c));
        assert!(holds(r#"{"ForAllValues:StringEquals":{"aws:x":"a"}}"#, &c));
        assert!(!holds(r#"{"ForAnyValue:StringEquals":{"aws:x":"a"}}"#, &c));
        assert!(holds(r#"{"Null":{"aws:x":"true"}}"#, &c));
        assert!(!holds(r#"{"Null":{"aws:x":"false"}}"#, &c));
    }

    #[test]
    fn typed_operators() {
        let mut c = Context::new();
        c.set("aws:SourceIp", "10.1.2.3")
            .set("aws:CurrentTime", "2026-05-01T00:00:00Z")
            .set("n:x", 5i64)
            .set("aws:SecureTransport", true);
        assert!(holds(r#"{"IpAddress":{"aws:sourceip":"10.0.0.0/8"}}"#, &c));
        assert!(!holds(r#"{"IpAddress":{"aws:sourceip":"10.1.2.4"}}"#, &c));
        assert!(holds(
            r#"{"NotIpAddress":{"aws:sourceip":["192.168.0.0/16","::1"]}}"#,
            &c
        ));
        assert!(holds(
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"}}"#,
            &c
        ));
        assert!(holds(
            r#"{"DateLessThan":{"aws:CurrentTime":"1800000000"}}"#,
            &c
        ));
        assert!(holds(r#"{"NumericLessThanEquals":{"n:x":"5"}}"#, &c));
        assert!(holds(r#"{"NumericGreaterThan":{"n:x":4.5}}"#, &c));
        assert!(holds(r#"{"Bool":{"aws:SecureTransport":true}}"#, &c));
        assert!(!holds(r#"{"Bool":{"aws:SecureTransport":"false"}}"#, &c));
    }

    #[test]
    fn split_arn_keeps_colons_in_the_resource() {
        assert_eq!(
            split_arn("arn:aws:s3:::b/k:x:y"),
            Some(["arn", "aws", "s3", "", "", "b/k:x:y"])
        );
        assert_eq!(
            split_arn("arn:aws:s3:::"),
            Some(["arn", "aws", "s3", "", "", ""])
        );
        assert_eq!(split_arn("arn:aws:s3::"), None);
        assert_eq!(split_arn("*"), None);
        assert_eq!(split_arn("é:é:é:é:é:é"), Some(["é"; 6]));
    }

    #[test]
    fn invalid_date_fails_legacy_parsing() {
        let j = Json::parse(r#"{"DateEquals":{"aws:CurrentTime":"yesterday"}}"#).unwrap();
        assert_eq!(
            Condition::compile_block(&j, true).unwrap_err(),
            CondError::LegacyParse
        );
    }
}
