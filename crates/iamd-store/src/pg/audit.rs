//! The audit log on PostgreSQL: plain appends, no writer lock and no revision bump (events move
//! no cache), each batch in one transaction. A batch is retried whole when the connection is
//! lost, even during `COMMIT`: `event_id` is unique and a repeated insert does nothing.

use super::pg_error;
use super::pool::Pool;
use super::tx::{Failure, classify, with_retries};
use crate::StoreError;
use crate::audit::{self, AuditPage, AuditQuery, AuditRow};

const SQL_INSERT: &str = "INSERT INTO audit_events (account, event_time, event_id, event_name,
        event_source, read_only, username, access_key_id, resource_types, resource_names, record)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (event_id) DO NOTHING";

const SQL_QUERY: &str = "SELECT seq, account, event_time, event_id, event_name, event_source,
        read_only, username, access_key_id, resource_types, resource_names, record
    FROM audit_events
    WHERE account = $1 AND event_time >= $2 AND event_time <= $3
      AND (event_time < $4 OR (event_time = $4 AND seq < $5))
      AND CASE $6::text
        WHEN '' THEN true
        WHEN 'EventId' THEN event_id = $7
        WHEN 'EventName' THEN event_name = $7
        WHEN 'ReadOnly' THEN read_only = $7
        WHEN 'Username' THEN username = $7
        WHEN 'ResourceType' THEN strpos(resource_types, E'\\n' || $7 || E'\\n') > 0
        WHEN 'ResourceName' THEN strpos(resource_names, E'\\n' || $7 || E'\\n') > 0
        WHEN 'EventSource' THEN event_source = $7
        WHEN 'AccessKeyId' THEN access_key_id = $7
        ELSE false END
    ORDER BY event_time DESC, seq DESC
    LIMIT $8";

const SQL_SCAN: &str = "SELECT seq, account, event_time, event_id, event_name, event_source,
        read_only, username, access_key_id, resource_types, resource_names, record
    FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2";

/// In batches (see `prune`).
const SQL_PRUNE: &str = "DELETE FROM audit_events WHERE seq IN
    (SELECT seq FROM audit_events WHERE event_time < $1 LIMIT 5000)";

fn row(r: &postgres::Row) -> Result<AuditRow, Failure> {
    let f = |e: postgres::Error| Failure::Final(pg_error(&e));
    let read_only: String = r.try_get(6).map_err(f)?;
    let types: String = r.try_get(9).map_err(f)?;
    let names: String = r.try_get(10).map_err(f)?;
    Ok(AuditRow {
        seq: r.try_get(0).map_err(f)?,
        account: r.try_get(1).map_err(f)?,
        event_time: r.try_get(2).map_err(f)?,
        event_id: r.try_get(3).map_err(f)?,
        event_name: r.try_get(4).map_err(f)?,
        event_source: r.try_get(5).map_err(f)?,
        read_only: read_only == "true",
        username: r.try_get(7).map_err(f)?,
        access_key_id: r.try_get(8).map_err(f)?,
        resource_types: audit::split_list(&types),
        resource_names: audit::split_list(&names),
        record: r.try_get(11).map_err(f)?,
    })
}

pub(super) fn append(pool: &Pool, rows: &[AuditRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    with_retries(pool, |conn| {
        let stmt = conn.prepared(SQL_INSERT).map_err(|e| classify(&e))?;
        let mut tx = conn.client.transaction().map_err(|e| classify(&e))?;
        for r in rows {
            let read_only = if r.read_only { "true" } else { "false" };
            let types = audit::join_list(&r.resource_types);
            let names = audit::join_list(&r.resource_names);
            tx.execute(
                &stmt,
                &[
                    &r.account,
                    &r.event_time,
                    &r.event_id,
                    &r.event_name,
                    &r.event_source,
                    &read_only,
                    &r.username,
                    &r.access_key_id,
                    &types,
                    &names,
                    &r.record,
                ],
            )
            .map_err(|e| classify(&e))?;
        }
        tx.commit().map_err(|e| classify(&e))
    })
}

pub(super) fn query(pool: &Pool, q: &AuditQuery) -> Result<AuditPage, StoreError> {
    let (start, end, cursor, limit, key, value) = audit::bounds(q);
    let fetch = limit.saturating_add(1);
    with_retries(pool, |conn| {
        let stmt = conn.prepared(SQL_QUERY).map_err(|e| classify(&e))?;
        let rows = conn
            .client
            .query(
                &stmt,
                &[
                    &q.account,
                    &start,
                    &end,
                    &cursor.time,
                    &cursor.seq,
                    &key,
                    &value,
                    &fetch,
                ],
            )
            .map_err(|e| classify(&e))?;
        let events = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
        Ok(audit::page(events, limit))
    })
}

pub(super) fn scan(pool: &Pool, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    with_retries(pool, |conn| {
        let stmt = conn.prepared(SQL_SCAN).map_err(|e| classify(&e))?;
        let rows = conn
            .client
            .query(&stmt, &[&after_seq, &limit])
            .map_err(|e| classify(&e))?;
        rows.iter().map(row).collect()
    })
}

/// Deletes in batches of 5,000, each its own short transaction.
pub(super) fn prune(pool: &Pool, before: i64) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let n = with_retries(pool, |conn| {
            let stmt = conn.prepared(SQL_PRUNE).map_err(|e| classify(&e))?;
            conn.client
                .execute(&stmt, &[&before])
                .map_err(|e| classify(&e))
        })?;
        total += n;
        if n < 5000 {
            return Ok(total);
        }
    }
}
