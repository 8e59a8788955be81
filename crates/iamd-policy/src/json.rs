//! A strict JSON tree for policy documents: object members keep their order and duplicate
//! member names are rejected (IAM treats `{"Effect":"Allow","Effect":"Deny"}` as invalid JSON,
//! whereas `serde_json::Value` would silently keep the last one).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value with ordered object members. Strings borrow from the parsed text unless they
/// contain escapes (a policy is compiled straight from this tree, which is then dropped).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    /// Numbers keep their textual form (IAM compares condition values as text or parses them
    /// per operator).
    Number(String),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    pub(crate) fn parse(text: &'a str) -> Result<Json<'a>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let value = Json::deserialize(&mut de)?;
        de.end()?;
        Ok(value)
    }

    pub(crate) fn as_object(&self) -> Option<&[(Cow<'a, str>, Json<'a>)]> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Json<'de>>()? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        // a statement has up to six members: no regrowth
        let mut out: Vec<(Cow<'de, str>, Json<'de>)> = Vec::with_capacity(6);
        // keys go through JsonVisitor too, so that unescaped ones are borrowed
        while let Some(key) = map.next_key::<Json<'de>>()? {
            let Json::String(key) = key else {
                return Err(de::Error::custom("object key is not a string"));
            };
            if out.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format_args!("duplicate member `{key}`")));
            }
            let v = map.next_value::<Json<'de>>()?;
            out.push((key, v));
        }
        Ok(Json::Object(out))
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json<'de>, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index known fixtures")]
mod tests {
    use super::*;

    #[test]
    fn duplicate_members_are_rejected_and_order_kept() {
        assert!(Json::parse(r#"{"a":1,"a":2}"#).is_err());
        let j = Json::parse(r#"{"b":1,"a":[true,null,"x"]}"#).unwrap();
        let m = j.as_object().unwrap();
        assert_eq!(m[0].0, "b");
        assert_eq!(m[1].0, "a");
        assert!(matches!(m[0].0, Cow::Borrowed(_)));
        assert!(Json::parse("{} x").is_err());
        // escapes are resolved (owned), and still compared as duplicates
        let j = Json::parse(r#"{"\u0041":"x\"y"}"#).unwrap();
        let m = j.as_object().unwrap();
        assert_eq!(m[0].0, "A");
        assert_eq!(m[0].1, Json::String(Cow::Borrowed("x\"y")));
        assert!(Json::parse(r#"{"A":1,"\u0041":2}"#).is_err());
    }
}

/// Byte ranges `[start, end)` of each statement object in a (valid) policy text, in order, for
/// IAM's `MatchedStatements` positions. Returns an empty list if the shape is unexpected.
pub(crate) fn statement_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return out;
    }
    i += 1;
    loop {
        i = ws(b, i);
        if b.get(i) != Some(&b'"') {
            return out;
        }
        let Some(kend) = string_end(b, i) else {
            return out;
        };
        let raw = &text[i..kend];
        let key: Option<String> = if raw.contains('\\') {
            serde_json::from_str(raw).ok()
        } else {
            Some(raw[1..raw.len() - 1].to_owned())
        };
        i = ws(b, kend);
        if b.get(i) != Some(&b':') {
            return out;
        }
        i = ws(b, i + 1);
        if key.as_deref() == Some("Statement") {
            match b.get(i) {
                Some(b'{') => {
                    if let Some(e) = value_end(b, i) {
                        out.push((i, e));
                    }
                }
                Some(b'[') => {
                    let mut j = ws(b, i + 1);
                    while b.get(j) == Some(&b'{') {
                        let Some(e) = value_end(b, j) else { break };
                        out.push((j, e));
                        j = ws(b, e);
                        if b.get(j) == Some(&b',') {
                            j = ws(b, j + 1);
                        }
                    }
                }
                _ => {}
            }
            return out;
        }
        let Some(e) = value_end(b, i) else {
            return out;
        };
        i = ws(b, e);
        if b.get(i) == Some(&b',') {
            i += 1;
        } else {
            return out;
        }
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// End (exclusive) of the string starting at `i` (which is `"`).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// End (exclusive) of the JSON value starting at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
/// [`line_col`] of many offsets, in one pass over the text when they ascend (a simulation asks
/// for the positions of thousands of statements of one document).
pub(crate) fn line_cols(text: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let (mut line, mut col, mut pos) = (1usize, 0usize, 0usize);
    let mut out = Vec::with_capacity(offsets.len());
    for &at in offsets {
        let at = at.min(text.len());
        let Some(seg) = text.get(pos..at).filter(|_| at >= pos) else {
            out.push(line_col(text, at));
            continue;
        };
        for c in seg.chars() {
            if c == '\n' {
                line += 1;
                col = 0;
            } else {
                col += 1;
            }
        }
        pos = at;
        out.push((line, col + 1));
    }
    out
}

pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit_once('\n')
        .map_or(before, |(_, l)| l)
        .chars()
        .count()
        + 1;
    (line, col)
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index known fixtures")]
mod span_tests {
    use super::*;

    #[test]
    fn spans_of_statements() {
        let t =
            "{\"Version\":\"2012-10-17\",\n \"Statement\":[{\"Sid\":\"a}\"},\n  {\"Sid\":\"b\"}]}";
        let s = statement_spans(t);
        assert_eq!(s.len(), 2);
        assert_eq!(&t[s[0].0..s[0].1], "{\"Sid\":\"a}\"}");
        assert_eq!(&t[s[1].0..s[1].1], "{\"Sid\":\"b\"}");
        assert_eq!(line_col(t, s[1].0), (3, 3));
        let t = "{\"Statement\":{\"Effect\":\"Allow\"}}";
        assert_eq!(statement_spans(t), vec![(13, 31)]);
    }
}
