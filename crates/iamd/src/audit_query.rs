//! LookupEvents (iamd-cloudtrail) over the audit log that iamd-audit records into the store: the
//! adapter between the two crates' query types.

use iamd_audit::{Lookup, LookupError, lookup_events};
use iamd_service::cloudtrail::{
    Attribute, EventQuery, EventResource, Query, QueryError, StoredEvent,
};
use iamd_store::{AuditAttribute, Store};
use std::sync::Arc;

pub struct StoreEvents(pub Arc<dyn Store>);

fn attribute(a: &Attribute) -> AuditAttribute {
    match a {
        Attribute::EventId(v) => AuditAttribute::EventId(v.clone()),
        Attribute::EventName(v) => AuditAttribute::EventName(v.clone()),
        Attribute::ReadOnly(v) => AuditAttribute::ReadOnly(v.to_string()),
        Attribute::Username(v) => AuditAttribute::Username(v.clone()),
        Attribute::ResourceType(v) => AuditAttribute::ResourceType(v.clone()),
        Attribute::ResourceName(v) => AuditAttribute::ResourceName(v.clone()),
        Attribute::EventSource(v) => AuditAttribute::EventSource(v.clone()),
        Attribute::AccessKeyId(v) => AuditAttribute::AccessKeyId(v.clone()),
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl EventQuery for StoreEvents {
    fn lookup(
        &self,
        account: &str,
        query: &Query,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<(Vec<StoredEvent>, Option<String>), QueryError> {
        let page = lookup_events(
            self.0.as_ref(),
            &Lookup {
                account: account.to_owned(),
                attribute: query.attribute.as_ref().map(attribute),
                start_time: Some(query.start),
                end_time: Some(query.end),
                max_results: limit,
                next_token: cursor.map(str::to_owned),
            },
        )
        .map_err(|e| match e {
            LookupError::InvalidNextToken => QueryError::InvalidCursor,
            LookupError::Store(e) => QueryError::Unavailable(e.to_string()),
        })?;
        let events = page
            .events
            .into_iter()
            .map(|e| StoredEvent {
                event_id: e.event_id,
                event_name: e.event_name,
                time: e.event_time,
                event_source: e.event_source,
                read_only: e.read_only,
                username: non_empty(e.username),
                access_key_id: non_empty(e.access_key_id),
                resources: e
                    .resources
                    .into_iter()
                    .map(|(resource_type, resource_name)| EventResource {
                        resource_type,
                        resource_name,
                    })
                    .collect(),
                cloudtrail_event: e.cloud_trail_event,
            })
            .collect();
        Ok((events, page.next_token))
    }
}

/// Rotation steps into the audit trail, as Secrets Manager's service events (issue #18: "records
/// every step in the audit trail").
pub struct RotationAudit(pub Arc<iamd_audit::Auditor>);

impl iamd_service::secrets::rotation::RotationEvents for RotationAudit {
    fn rotation_event(&self, e: iamd_service::secrets::rotation::RotationEvent<'_>) {
        self.0.submit_row(iamd_audit::record::secrets_service_event(
            e.account,
            e.region,
            e.secret_arn,
            e.event_name,
            e.error_message,
            e.time,
        ));
    }
}
