//! Listing secrets (ListSecrets, BatchGetSecretValue with Filters): filters, order and pages.

use super::{Secret, SecretMeta, Secrets};
use crate::error::SecretsError;
use std::sync::Arc;

/// A filter's key (<https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    Name,
    Description,
    TagKey,
    TagValue,
    PrimaryRegion,
    OwningService,
    All,
}

/// One filter: its values are alternatives (`!` negates one), and every filter applies. A
/// filter without a key matches nothing.
#[derive(Debug, Clone)]
pub struct Filter {
    pub key: Option<FilterKey>,
    pub values: Vec<String>,
}

/// ListSecrets' `SortBy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// [open] AWS documents SortBy/SortOrder but not the defaults; iamd lists by creation date,
    /// oldest first, then by name.
    #[default]
    CreatedDate,
    Name,
    LastAccessedDate,
    LastChangedDate,
}

/// Which secrets of an account and region to list, and in which order.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub filters: Vec<Filter>,
    /// Secrets scheduled for deletion too (ListSecrets' `IncludePlannedDeletion`).
    pub include_deleted: bool,
    pub sort_by: SortBy,
    pub descending: bool,
}

impl Secrets {
    /// The live secrets of `(account, region)` that `listing` selects, in its order.
    pub fn listing(
        &self,
        account: &str,
        region: &str,
        now: i64,
        listing: &Listing,
    ) -> Vec<Arc<Secret>> {
        let mut list: Vec<Arc<Secret>> = self
            .list(account, region, now)
            .into_iter()
            .filter(|s| listing.include_deleted || !s.meta.is_scheduled_for_deletion())
            .filter(|s| matches_filters(&s.meta, &listing.filters))
            .collect();
        match listing.sort_by {
            SortBy::Name => list.sort_by(|a, b| a.meta.name.cmp(&b.meta.name)),
            SortBy::LastAccessedDate => list.sort_by(|a, b| {
                (a.last_accessed(), &a.meta.name).cmp(&(b.last_accessed(), &b.meta.name))
            }),
            SortBy::LastChangedDate => list.sort_by(|a, b| {
                (a.meta.last_changed, &a.meta.name).cmp(&(b.meta.last_changed, &b.meta.name))
            }),
            SortBy::CreatedDate => list.sort_by(|a, b| {
                (a.meta.created, &a.meta.name).cmp(&(b.meta.created, &b.meta.name))
            }),
        }
        if listing.descending {
            list.reverse();
        }
        list
    }
}

/// Filters (<https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html>):
/// values of one filter are alternatives, filters all apply; `!` negates a value; `description`
/// and `all` ignore case, the others are case-sensitive prefix matches.
pub fn matches_filters(meta: &SecretMeta, filters: &[Filter]) -> bool {
    filters.iter().all(|f| {
        let (neg, pos): (Vec<&str>, Vec<&str>) = f
            .values
            .iter()
            .map(String::as_str)
            .partition(|v| v.starts_with('!'));
        let test = |v: &str| f.key.is_some_and(|key| filter_value_matches(meta, key, v));
        let pos_ok = pos.is_empty() || pos.iter().any(|v| test(v));
        let neg_ok = neg.iter().all(|v| !test(&v[1..]));
        pos_ok && neg_ok
    })
}

fn filter_value_matches(meta: &SecretMeta, key: FilterKey, value: &str) -> bool {
    let ci_prefix = |field: &str, v: &str| field.to_lowercase().starts_with(&v.to_lowercase());
    match key {
        FilterKey::Name => meta.name.starts_with(value),
        FilterKey::Description => meta
            .description
            .as_deref()
            .is_some_and(|d| ci_prefix(d, value)),
        FilterKey::TagKey => meta.tags.iter().any(|t| t.key.starts_with(value)),
        FilterKey::TagValue => meta.tags.iter().any(|t| t.value.starts_with(value)),
        // Secrets that take part in replication, by their primary's region (a secret that is
        // not replicated has no PrimaryRegion and matches no value; moto pins the same).
        FilterKey::PrimaryRegion => {
            (meta.is_replica() || !meta.replicas.is_empty())
                && meta.primary_region().starts_with(value)
        }
        // Service-owned secrets do not exist yet.
        FilterKey::OwningService => false,
        FilterKey::All => value.split_whitespace().all(|word| {
            let w = word.to_lowercase();
            let hit = |field: &str| {
                field
                    .to_lowercase()
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|p| p.starts_with(&w))
                    || field.to_lowercase().starts_with(&w)
            };
            hit(&meta.name)
                || meta.description.as_deref().is_some_and(hit)
                || meta.tags.iter().any(|t| hit(&t.key) || hit(&t.value))
        }),
    }
}

/// One page of `items`: from the position `next_token` encodes (the start without one), at most
/// `max_results` (`default_max` without it; at least one), and the token of the next page when
/// there is more.
pub fn page<T>(
    items: Vec<T>,
    next_token: Option<&str>,
    max_results: Option<i64>,
    default_max: usize,
) -> Result<(Vec<T>, Option<String>), SecretsError> {
    let start = decode_token(next_token)?;
    let max = max_results
        .and_then(|m| usize::try_from(m).ok())
        .unwrap_or(default_max)
        .max(1);
    let total = items.len();
    let end = start.saturating_add(max).min(total);
    let next = (end < total).then(|| encode_token(end));
    Ok((
        items
            .into_iter()
            .skip(start)
            .take(end.saturating_sub(start))
            .collect(),
        next,
    ))
}

/// Pagination tokens: an opaque encoding of the position in the (stable) ordering.
fn encode_token(pos: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("iamd-sm:{pos}"))
}

fn decode_token(token: Option<&str>) -> Result<usize, SecretsError> {
    use base64::Engine;
    let Some(t) = token else { return Ok(0) };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("iamd-sm:").and_then(|n| n.parse().ok()))
        .ok_or(SecretsError::InvalidNextToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let (items, next) = page((0..5).collect::<Vec<_>>(), None, Some(2), 100).unwrap();
        assert_eq!(items, vec![0, 1]);
        let (items, next) = page((0..5).collect(), next.as_deref(), Some(2), 100).unwrap();
        assert_eq!(items, vec![2, 3]);
        let (items, next) = page((0..5).collect(), next.as_deref(), Some(2), 100).unwrap();
        assert_eq!((items, next), (vec![4], None));
        assert_eq!(
            page((0..5).collect::<Vec<i32>>(), Some("garbage"), None, 100).unwrap_err(),
            SecretsError::InvalidNextToken
        );
    }
}
