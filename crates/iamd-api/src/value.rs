//! Generic value tree shared by decoders (request input) and encoders (response output).

use time::OffsetDateTime;

/// A protocol-independent value, shaped by the service model.
///
/// Structures keep model member names (`&'static str`); decoders emit members in model order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Integer(i64),
    Boolean(bool),
    Double(f64),
    Timestamp(OffsetDateTime),
    Blob(Vec<u8>),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    Structure(Vec<(&'static str, Value)>),
}

impl Value {
    /// An empty structure (e.g. the input of an operation without members).
    pub fn empty() -> Value {
        Value::Structure(Vec::new())
    }

    /// Start building an output structure.
    pub fn builder() -> StructBuilder {
        StructBuilder { fields: Vec::new() }
    }

    /// Member of a structure by model name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Structure(fields) => fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether a structure member is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }
    pub fn f64(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Value::as_f64)
    }
    pub fn timestamp(&self, name: &str) -> Option<OffsetDateTime> {
        self.get(name).and_then(Value::as_timestamp)
    }
    pub fn blob(&self, name: &str) -> Option<&[u8]> {
        self.get(name).and_then(Value::as_blob)
    }
    pub fn list(&self, name: &str) -> Option<&[Value]> {
        self.get(name).and_then(Value::as_list)
    }
    /// A list of strings member; non-string elements are skipped. Absent → empty.
    pub fn strings(&self, name: &str) -> Vec<&str> {
        self.list(name)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
    pub fn map(&self, name: &str) -> Option<&[(String, Value)]> {
        self.get(name).and_then(Value::as_map)
    }
    /// A nested structure member.
    pub fn structure(&self, name: &str) -> Option<&Value> {
        self.get(name).filter(|v| matches!(v, Value::Structure(_)))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Double(d) => Some(*d),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }
    pub fn as_timestamp(&self) -> Option<OffsetDateTime> {
        match self {
            Value::Timestamp(t) => Some(*t),
            _ => None,
        }
    }
    pub fn as_blob(&self) -> Option<&[u8]> {
        match self {
            Value::Blob(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_structure(&self) -> Option<&[(&'static str, Value)]> {
        match self {
            Value::Structure(s) => Some(s),
            _ => None,
        }
    }
}

/// Builder for output structures: `Value::builder().set("Arn", arn).set_opt("Path", p).build()`.
#[derive(Debug, Default)]
pub struct StructBuilder {
    fields: Vec<(&'static str, Value)>,
}

impl StructBuilder {
    /// Set a member (replaces an earlier value of the same name).
    pub fn set(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.push(name, value.into());
        self
    }
    /// Set a member only when `Some`.
    pub fn set_opt<V: Into<Value>>(mut self, name: &'static str, value: Option<V>) -> Self {
        if let Some(v) = value {
            self.push(name, v.into());
        }
        self
    }
    fn push(&mut self, name: &'static str, value: Value) {
        if let Some(slot) = self.fields.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        } else {
            self.fields.push((name, value));
        }
    }
    pub fn build(self) -> Value {
        Value::Structure(self.fields)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::String(s.clone())
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Integer(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Integer(i64::from(i))
    }
}
impl From<u32> for Value {
    fn from(i: u32) -> Self {
        Value::Integer(i64::from(i))
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}
impl From<f64> for Value {
    fn from(d: f64) -> Self {
        Value::Double(d)
    }
}
impl From<OffsetDateTime> for Value {
    fn from(t: OffsetDateTime) -> Self {
        Value::Timestamp(t)
    }
}
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::Blob(b)
    }
}
impl From<Vec<Value>> for Value {
    fn from(l: Vec<Value>) -> Self {
        Value::List(l)
    }
}
impl From<Vec<(String, Value)>> for Value {
    fn from(m: Vec<(String, Value)>) -> Self {
        Value::Map(m)
    }
}
impl From<StructBuilder> for Value {
    fn from(b: StructBuilder) -> Self {
        b.build()
    }
}
impl<T: Into<Value>> FromIterator<T> for Value {
    /// Collects into a `Value::List`.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Value::List(iter.into_iter().map(Into::into).collect())
    }
}
