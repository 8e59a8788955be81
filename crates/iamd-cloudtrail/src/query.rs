//! The query LookupEvents asks of the event store: the one interface between this crate and the
//! store that records events.
//!
//! An adapter implements [`EventQuery`] over the real store; [`MemoryEvents`] is the in-memory
//! implementation the tests (and a server with no audit store) use. The contract:
//!
//! - only events of `account` (the account that recorded them: `recipientAccountId`);
//! - only events whose time is within `query.start ..= query.end` (unix seconds, inclusive), and
//!   that match `query.attribute` when there is one ([`StoredEvent::matches`] says how);
//! - newest first (time descending; among equal times an order the store keeps stable, e.g. by
//!   event id descending);
//! - at most `limit` events (1–50), and a cursor when more follow: an opaque string the store
//!   understands, passed back as `cursor` with the same account and query to get the next page
//!   (LookupEvents wraps it in its NextToken, tied to the query). A cursor the store cannot read
//!   is [`QueryError::InvalidCursor`].

use std::sync::Mutex;

/// One lookup attribute, parsed (LookupEvents allows at most one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Attribute {
    EventId(String),
    EventName(String),
    ReadOnly(bool),
    Username(String),
    ResourceType(String),
    ResourceName(String),
    EventSource(String),
    AccessKeyId(String),
}

/// What to look up: the time window (always set: LookupEvents fills in the defaults) and at most
/// one attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    pub attribute: Option<Attribute>,
    /// Unix seconds, inclusive.
    pub start: i64,
    /// Unix seconds, inclusive.
    pub end: i64,
}

/// A resource an event names (`Resources[]` of LookupEvents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventResource {
    /// `AWS::IAM::User`, `AWS::SecretsManager::Secret`, …
    pub resource_type: String,
    /// The resource's name or ARN, as the event names it.
    pub resource_name: String,
}

/// A recorded event as LookupEvents shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// `eventID`.
    pub event_id: String,
    /// `eventName`.
    pub event_name: String,
    /// `eventTime`, unix seconds.
    pub time: i64,
    /// `eventSource` (`iam.amazonaws.com`, …).
    pub event_source: String,
    /// `readOnly`.
    pub read_only: bool,
    /// The user name LookupEvents shows: the IAM user's name, the role session's name, `root`.
    pub username: Option<String>,
    /// `userIdentity.accessKeyId`.
    pub access_key_id: Option<String>,
    pub resources: Vec<EventResource>,
    /// The whole record, CloudTrail's JSON (`CloudTrailEvent`).
    pub cloudtrail_event: String,
}

impl StoredEvent {
    /// Whether the event matches a lookup attribute: values are compared exactly
    /// (case-sensitive, as AWS does); ResourceType and ResourceName match any of its resources.
    pub fn matches(&self, attribute: &Attribute) -> bool {
        match attribute {
            Attribute::EventId(v) => self.event_id == *v,
            Attribute::EventName(v) => self.event_name == *v,
            Attribute::ReadOnly(v) => self.read_only == *v,
            Attribute::Username(v) => self.username.as_deref() == Some(v.as_str()),
            Attribute::ResourceType(v) => self.resources.iter().any(|r| r.resource_type == *v),
            Attribute::ResourceName(v) => self.resources.iter().any(|r| r.resource_name == *v),
            Attribute::EventSource(v) => self.event_source == *v,
            Attribute::AccessKeyId(v) => self.access_key_id.as_deref() == Some(v.as_str()),
        }
    }

    /// Whether the event is within the query's window and matches its attribute.
    pub fn selected_by(&self, query: &Query) -> bool {
        (query.start..=query.end).contains(&self.time)
            && query.attribute.as_ref().is_none_or(|a| self.matches(a))
    }
}

/// Why a lookup failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// The cursor is not one the store issued (LookupEvents answers InvalidNextTokenException).
    InvalidCursor,
    /// The store could not answer (ServiceUnavailable).
    Unavailable(String),
}

/// Looks up recorded events; see the module documentation for the contract.
pub trait EventQuery: Send + Sync {
    /// One page of `account`'s events selected by `query`, newest first, at most `limit`, and
    /// the cursor of the next page when there is one.
    fn lookup(
        &self,
        account: &str,
        query: &Query,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<(Vec<StoredEvent>, Option<String>), QueryError>;
}

/// Events held in memory, per account. Its cursor is `<time>:<event id>` of the last event
/// returned.
#[derive(Default)]
pub struct MemoryEvents {
    events: Mutex<Vec<(String, StoredEvent)>>,
}

impl MemoryEvents {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an event of `account`.
    pub fn record(&self, account: &str, event: StoredEvent) {
        if let Ok(mut v) = self.events.lock() {
            v.push((account.to_owned(), event));
        }
    }
}

/// Newest first; equal times by event id, descending.
fn order_key(e: &StoredEvent) -> (std::cmp::Reverse<i64>, std::cmp::Reverse<&str>) {
    (
        std::cmp::Reverse(e.time),
        std::cmp::Reverse(e.event_id.as_str()),
    )
}

impl EventQuery for MemoryEvents {
    fn lookup(
        &self,
        account: &str,
        query: &Query,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<(Vec<StoredEvent>, Option<String>), QueryError> {
        let after = match cursor {
            None => None,
            Some(c) => {
                let (time, id) = c.split_once(':').ok_or(QueryError::InvalidCursor)?;
                let time: i64 = time.parse().map_err(|_| QueryError::InvalidCursor)?;
                Some((time, id.to_owned()))
            }
        };
        let all = self
            .events
            .lock()
            .map_err(|_| QueryError::Unavailable("event list poisoned".into()))?;
        let mut selected: Vec<&StoredEvent> = all
            .iter()
            .filter(|(a, e)| a == account && e.selected_by(query))
            .map(|(_, e)| e)
            .collect();
        selected.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
        let start = match &after {
            None => 0,
            Some((time, id)) => {
                let key = (std::cmp::Reverse(*time), std::cmp::Reverse(id.as_str()));
                selected.partition_point(|e| order_key(e) <= key)
            }
        };
        let rest = selected.get(start..).unwrap_or_default();
        let page: Vec<StoredEvent> = rest.iter().take(limit).map(|e| (*e).clone()).collect();
        let next = match (rest.len() > limit, page.last()) {
            (true, Some(last)) => Some(format!("{}:{}", last.time, last.event_id)),
            _ => None,
        };
        Ok((page, next))
    }
}
