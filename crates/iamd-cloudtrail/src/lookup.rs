//! LookupEvents: validation with CloudTrail's own exceptions, the default window, paging.
//! <https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html>

use crate::query::{Attribute, EventQuery, Query, QueryError, StoredEvent};
use crate::token::Binding;
use iamd_api::cloudtrail as api;
use iamd_core::error::{CloudTrailError, Error};
use iamd_store::StoreError;

/// "The default is 50" and "Possible values are 1 through 50" (model doc of `MaxResults`).
pub const MAX_RESULTS: i64 = 50;
/// Without StartTime, the window starts 90 days back: LookupEvents covers "the last 90 days".
pub const DEFAULT_WINDOW_SECS: i64 = 90 * 24 * 3600;
/// `AttributeValue`: "The maximum length … is 2000 characters. The following characters
/// ('_', ' ', ',', '\\n') count as two characters towards the 2000 character limit."
pub const MAX_VALUE_WEIGHT: usize = 2000;

fn value_weight(v: &str) -> usize {
    v.chars()
        .map(|c| {
            if matches!(c, '_' | ' ' | ',' | '\n') {
                2
            } else {
                1
            }
        })
        .sum()
}

fn parse_attribute(key: &str, value: &str) -> Result<Attribute, CloudTrailError> {
    let v = value.to_owned();
    let a = match key {
        "EventId" => Attribute::EventId(v),
        "EventName" => Attribute::EventName(v),
        "ReadOnly" => match value {
            "true" => Attribute::ReadOnly(true),
            "false" => Attribute::ReadOnly(false),
            _ => return Err(CloudTrailError::InvalidReadOnlyValue { value: v }),
        },
        "Username" => Attribute::Username(v),
        "ResourceType" => Attribute::ResourceType(v),
        "ResourceName" => Attribute::ResourceName(v),
        "EventSource" => Attribute::EventSource(v),
        "AccessKeyId" => Attribute::AccessKeyId(v),
        _ => {
            return Err(CloudTrailError::UnknownLookupAttributeKey {
                key: key.to_owned(),
            });
        }
    };
    Ok(a)
}

/// Unix seconds of a request timestamp: StartTime rounds up and EndTime down, so a window given
/// with fractions of a second holds only the whole seconds events are recorded at.
fn secs(t: &iamd_api::Timestamp, up: bool) -> i64 {
    let s = t.unix_timestamp();
    if up && t.nanosecond() > 0 {
        s.saturating_add(1)
    } else {
        s
    }
}

fn to_api(e: StoredEvent) -> api::Event {
    api::Event {
        event_id: Some(e.event_id),
        event_name: Some(e.event_name),
        read_only: Some(if e.read_only { "true" } else { "false" }.to_owned()),
        access_key_id: e.access_key_id,
        event_time: time::OffsetDateTime::from_unix_timestamp(e.time).ok(),
        event_source: Some(e.event_source),
        username: e.username,
        resources: Some(
            e.resources
                .into_iter()
                .map(|r| api::Resource {
                    resource_type: Some(r.resource_type),
                    resource_name: Some(r.resource_name),
                })
                .collect(),
        ),
        cloud_trail_event: Some(e.cloudtrail_event),
    }
}

/// LookupEvents for `account` at `now` (unix seconds), once authorized.
///
/// Checks, in this order: MaxResults (1–50), the lookup attributes (at most one, a known key,
/// a value of 1–2000 weighted characters, `true`/`false` for ReadOnly), StartTime not after
/// EndTime, EventCategory `insight`, then the NextToken against these parameters.
pub fn lookup_events(
    events: &dyn EventQuery,
    account: &str,
    now: i64,
    input: api::LookupEventsRequest,
) -> Result<api::LookupEventsResponse, Error> {
    let limit = match input.max_results {
        None => MAX_RESULTS,
        Some(n) if (1..=MAX_RESULTS).contains(&n) => n,
        Some(n) => return Err(CloudTrailError::InvalidMaxResults(n).into()),
    };
    let attrs = input.lookup_attributes.unwrap_or_default();
    if attrs.len() > 1 {
        return Err(CloudTrailError::TooManyLookupAttributes.into());
    }
    let raw = attrs.first();
    let attribute = match raw {
        None => None,
        Some(a) => {
            let parsed = parse_attribute(&a.attribute_key, &a.attribute_value)?;
            let w = value_weight(&a.attribute_value);
            if w == 0 || w > MAX_VALUE_WEIGHT {
                return Err(CloudTrailError::LookupAttributeValueLength.into());
            }
            Some(parsed)
        }
    };
    if let (Some(s), Some(e)) = (&input.start_time, &input.end_time)
        && s > e
    {
        return Err(CloudTrailError::StartAfterEnd.into());
    }
    let insight = match input.event_category.as_deref() {
        None => false,
        Some("insight") => true,
        Some(other) => return Err(CloudTrailError::InvalidEventCategory(other.to_owned()).into()),
    };
    let binding = Binding {
        account,
        attribute: raw.map(|a| (a.attribute_key.as_str(), a.attribute_value.as_str())),
        start: input.start_time.map(|t| t.unix_timestamp_nanos()),
        end: input.end_time.map(|t| t.unix_timestamp_nanos()),
        category: input.event_category.as_deref(),
    };
    let cursor = match input.next_token.as_deref() {
        None => None,
        Some(t) => Some(
            binding
                .decode(t)
                .ok_or(Error::from(CloudTrailError::InvalidNextToken))?,
        ),
    };
    // iamd records no Insights events: with EventCategory insight, LookupEvents returns only
    // Insights events, so none.
    if insight {
        return Ok(api::LookupEventsResponse {
            events: Some(Vec::new()),
            next_token: None,
        });
    }
    let end = input.end_time.map_or(now, |t| secs(&t, false));
    let start = input
        .start_time
        .map_or(now.saturating_sub(DEFAULT_WINDOW_SECS), |t| secs(&t, true));
    let query = Query {
        attribute,
        start,
        end,
    };
    let limit = usize::try_from(limit).unwrap_or(50);
    let (page, next) = events
        .lookup(account, &query, limit, cursor.as_deref())
        .map_err(|e| match e {
            QueryError::InvalidCursor => Error::from(CloudTrailError::InvalidNextToken),
            QueryError::Unavailable(m) => Error::Store(StoreError::Unavailable(m)),
        })?;
    Ok(api::LookupEventsResponse {
        events: Some(page.into_iter().map(to_api).collect()),
        next_token: next.map(|c| binding.encode(&c)),
    })
}
