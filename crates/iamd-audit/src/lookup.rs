//! The query LookupEvents answers from: one account's events, newest first, at most one
//! attribute, a time range, a page size and an opaque continuation token that is valid only
//! with the parameters it was issued for.

use iamd_store::{AuditAttribute, AuditCursor, AuditQuery, Store, StoreError};
use sha2::{Digest, Sha256};

/// One LookupEvents request, already validated by the API layer (one attribute at most,
/// `max_results` 1–50, start ≤ end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The caller's account: an account sees its own events only.
    pub account: String,
    pub attribute: Option<AuditAttribute>,
    /// Inclusive, Unix seconds.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub max_results: usize,
    /// The `NextToken` of the previous page.
    pub next_token: Option<String>,
}

/// One event as LookupEvents lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupEvent {
    pub event_id: String,
    pub event_name: String,
    pub read_only: bool,
    pub access_key_id: String,
    /// Unix seconds.
    pub event_time: i64,
    pub event_source: String,
    pub username: String,
    /// `(ResourceType, ResourceName)`.
    pub resources: Vec<(String, String)>,
    /// The whole record as JSON text (`CloudTrailEvent`).
    pub cloud_trail_event: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LookupPage {
    pub events: Vec<LookupEvent>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// `NextToken` was not issued for these parameters (`InvalidNextTokenException`).
    InvalidNextToken,
    /// The store failed.
    Store(StoreError),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::InvalidNextToken => f.write_str("invalid NextToken"),
            LookupError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LookupError {}

/// Binds a token to the account and attribute it pages through.
fn fingerprint(q: &Lookup) -> String {
    let mut h = Sha256::new();
    h.update(q.account.as_bytes());
    h.update([0]);
    if let Some(a) = &q.attribute {
        h.update(format!("{a:?}").as_bytes());
    }
    // Not the time range: LookupEvents fills a default window ending "now", which moves
    // between pages; its own NextToken binds the times the caller gave (iamd-cloudtrail).
    hex::encode(h.finalize().get(..8).unwrap_or_default())
}

fn encode(q: &Lookup, c: AuditCursor) -> String {
    format!("{}.{}.{}", c.time, c.seq, fingerprint(q))
}

fn decode(q: &Lookup, token: &str) -> Result<AuditCursor, LookupError> {
    let mut parts = token.split('.');
    let (Some(t), Some(s), Some(fp), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LookupError::InvalidNextToken);
    };
    if fp != fingerprint(q) {
        return Err(LookupError::InvalidNextToken);
    }
    Ok(AuditCursor {
        time: t.parse().map_err(|_| LookupError::InvalidNextToken)?,
        seq: s.parse().map_err(|_| LookupError::InvalidNextToken)?,
    })
}

/// Answers one LookupEvents page from the store (blocking: call it where blocking is allowed).
pub fn lookup_events(store: &dyn Store, q: &Lookup) -> Result<LookupPage, LookupError> {
    // Not a StoreExt transaction: refuse on an async worker, as one would.
    iamd_store::check_blocking().map_err(LookupError::Store)?;
    let cursor = match &q.next_token {
        Some(t) => Some(decode(q, t)?),
        None => None,
    };
    let page = store
        .audit_query(&AuditQuery {
            account: q.account.clone(),
            attribute: q.attribute.clone(),
            start_time: q.start_time,
            end_time: q.end_time,
            limit: q.max_results.max(1),
            cursor,
        })
        .map_err(LookupError::Store)?;
    Ok(LookupPage {
        next_token: page.next.map(|c| encode(q, c)),
        events: page
            .events
            .into_iter()
            .map(|r| LookupEvent {
                resources: r.resource_types.into_iter().zip(r.resource_names).collect(),
                event_id: r.event_id,
                event_name: r.event_name,
                read_only: r.read_only,
                access_key_id: r.access_key_id,
                event_time: r.event_time,
                event_source: r.event_source,
                username: r.username,
                cloud_trail_event: r.record,
            })
            .collect(),
    })
}
