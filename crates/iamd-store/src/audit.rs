//! The audit log: append-only CloudTrail-style events beside the versioned records.
//!
//! Events live in their own table (`audit_events`), not in `records`: appending one does not
//! move the store's revision, so the audit log never invalidates any node's caches, and events
//! are queried by account and time without reading every record. The record itself is opaque
//! JSON text to the store; the columns beside it are the attributes CloudTrail's LookupEvents
//! filters on.

/// One stored event (one account's copy of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// The store's order of arrival (assigned on append; ignored when appending).
    pub seq: i64,
    /// The account the event is delivered to (`recipientAccountId`).
    pub account: String,
    /// `eventTime`, Unix seconds.
    pub event_time: i64,
    pub event_id: String,
    pub event_name: String,
    pub event_source: String,
    pub read_only: bool,
    /// LookupEvents' `Username`: the IAM user name, the role session name, `root`, … (may be empty).
    pub username: String,
    pub access_key_id: String,
    /// `resources[].type`, in order.
    pub resource_types: Vec<String>,
    /// `resources[].ARN`, in order.
    pub resource_names: Vec<String>,
    /// The CloudTrail record, as JSON text.
    pub record: String,
}

/// The single attribute LookupEvents may filter on (`LookupAttributes` holds at most one).
/// Values compare exactly (CloudTrail's are case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditAttribute {
    EventId(String),
    EventName(String),
    /// `"true"` or `"false"`, as LookupEvents passes it; any other text matches nothing.
    ReadOnly(String),
    Username(String),
    ResourceType(String),
    ResourceName(String),
    EventSource(String),
    AccessKeyId(String),
}

impl AuditAttribute {
    /// The attribute's key as SQL sees it and its value.
    pub(crate) fn parts(&self) -> (&'static str, &str) {
        match self {
            AuditAttribute::EventId(v) => ("EventId", v),
            AuditAttribute::EventName(v) => ("EventName", v),
            AuditAttribute::ReadOnly(v) => ("ReadOnly", v),
            AuditAttribute::Username(v) => ("Username", v),
            AuditAttribute::ResourceType(v) => ("ResourceType", v),
            AuditAttribute::ResourceName(v) => ("ResourceName", v),
            AuditAttribute::EventSource(v) => ("EventSource", v),
            AuditAttribute::AccessKeyId(v) => ("AccessKeyId", v),
        }
    }
}

/// A query of one account's events, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub account: String,
    pub attribute: Option<AuditAttribute>,
    /// Inclusive bounds on `eventTime`, Unix seconds.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// At most this many events (at least 1 is asked for).
    pub limit: usize,
    /// Where the previous page stopped: [`AuditPage::next`].
    pub cursor: Option<AuditCursor>,
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditRow>,
    /// Pass as [`AuditQuery::cursor`] for the next page; `None` when there is none.
    pub next: Option<AuditCursor>,
}

/// The position after which a page starts: `(event_time, seq)` of the last event returned
/// (events are ordered by time, then by the order they were stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    pub time: i64,
    pub seq: i64,
}

impl AuditCursor {
    pub(crate) const START: AuditCursor = AuditCursor {
        time: i64::MAX,
        seq: i64::MAX,
    };
}

/// Resource lists are stored as `\nA\nB\n`, so one value is found with a substring search of
/// `\nvalue\n` (values never hold a newline: ARNs and type names).
pub(crate) fn join_list(items: &[String]) -> String {
    let mut s = String::from("\n");
    for i in items {
        s.push_str(&i.replace('\n', " "));
        s.push('\n');
    }
    s
}

pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split('\n')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The clamp and defaults every backend applies to a query.
pub(crate) fn bounds(q: &AuditQuery) -> (i64, i64, AuditCursor, i64, &'static str, &str) {
    let cursor = q.cursor.unwrap_or(AuditCursor::START);
    let (key, value) = q.attribute.as_ref().map(|a| a.parts()).unwrap_or(("", ""));
    let limit = i64::try_from(q.limit.clamp(1, 10_000)).unwrap_or(1);
    (
        q.start_time.unwrap_or(i64::MIN),
        q.end_time.unwrap_or(i64::MAX),
        cursor,
        limit,
        key,
        value,
    )
}

/// Cuts the `limit + 1` rows a backend fetched into a page and its cursor.
pub(crate) fn page(mut events: Vec<AuditRow>, limit: i64) -> AuditPage {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = events.len() > limit;
    events.truncate(limit);
    let next = if more {
        events.last().map(|e| AuditCursor {
            time: e.event_time,
            seq: e.seq,
        })
    } else {
        None
    };
    AuditPage { events, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let v = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(join_list(&v), "\na\nb\n");
        assert_eq!(split_list(&join_list(&v)), v);
        assert!(split_list(&join_list(&[])).is_empty());
    }
}
