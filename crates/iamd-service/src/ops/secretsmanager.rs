//! Secrets Manager operations (awsJson1.1, `secretsmanager.<Op>`).
//!
//! The model has already checked shapes, lengths and patterns; these handlers add AWS's
//! semantic rules and messages (aws-semantics.md §6). Every client error is HTTP 400 (the model
//! declares no other status for Secrets Manager's errors).
//!
//! KMS: until customer-managed keys exist every secret is on the account's AWS-managed
//! `aws/secretsmanager` key; `KmsKeyId` is accepted only as that key (or absent). Another
//! account's caller never reads or writes a value, even where the resource policy allows it, as
//! AWS's managed key never serves another account (aws-semantics.md §6.8, `secrets::kms`).

use super::{Authz, Ctx, OpSpec, no_resource};
use crate::error::Error;
use crate::secrets::password::{PasswordSpec, generate};
use crate::secrets::{
    Replica, Sealed, Secret, SecretMeta, Secrets, Tag, Write, arn_in_region, valid_replica_region,
};
use iamd_api::{Service, Value};
use std::sync::Arc;
use time::OffsetDateTime;

const SM: Service = Service::SecretsManager;

/// One operation: the IAM action is `secretsmanager:<operation>` for every Secrets Manager
/// operation (Service Authorization Reference).
macro_rules! op {
    ($name:literal, $resource:expr, $mutates:expr, $run:expr) => {
        OpSpec {
            service: SM,
            name: $name,
            authz: Authz::Action {
                action: concat!("secretsmanager:", $name),
                resource: $resource,
            },
            mutates: $mutates,
            run: $run,
        }
    };
}

#[rustfmt::skip]
pub const OPS: &[OpSpec] = &[
    //  operation                    resource         writes handler
    op!("DescribeSecret",            secret_resource, false, describe_secret),
    op!("ListSecrets",               no_resource,     false, list_secrets),
    op!("GetRandomPassword",         no_resource,     false, get_random_password),
    op!("ReplicateSecretToRegions",  secret_resource, true,  replicate_secret_to_regions),
    op!("RemoveRegionsFromReplication", secret_resource, true, remove_regions_from_replication),
    op!("StopReplicationToReplica",  secret_resource, true,  stop_replication_to_replica),
];

// --- messages ------------------------------------------------------------------------------

/// aws-semantics.md §6.6 [rec].
fn not_found() -> Error {
    Error::aws(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
    )
}

/// Every write to a replica, in its region. Recorded from AWS for DeleteSecret
/// (gruntwork-io/cloud-nuke#435, rebuy-de/aws-nuke#1127) and PutResourcePolicy
/// (lgallard/terraform-aws-secrets-manager#188); moto pins the same text for the other writes.
fn replica_read_only() -> Error {
    Error::aws(
        "InvalidParameterException",
        "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
    )
}

/// A replica region that is the primary's own, unknown, or missing: AWS's text for the first
/// is recorded in aws-samples/aws-health-aware#32 (a Terraform run against AWS) and pinned by
/// moto; iamd uses it for the others too [open].
fn invalid_replica_region() -> Error {
    Error::aws("InvalidParameterException", "Invalid replica region.")
}

/// StopReplicationToReplica on a secret that is not a replica [open: AWS's text is not
/// recorded anywhere we found].
fn not_a_replica() -> Error {
    Error::aws(
        "InvalidParameterException",
        "Operation not permitted on a primary secret. Call must be made on a replica secret.",
    )
}

// --- helpers -------------------------------------------------------------------------------

fn secrets<'a>(ctx: &'a Ctx<'_>) -> &'a Secrets {
    &ctx.core.secrets
}

fn secret_id(input: &Value) -> &str {
    input.str("SecretId").unwrap_or_default()
}

/// The secret's ARN when it exists; otherwise the SecretId as given (aws-semantics.md §4.5).
fn secret_resource(ctx: &Ctx<'_>, input: &Value) -> Result<Option<String>, Error> {
    let id = secret_id(input);
    Ok(Some(
        find(ctx, id)
            .map(|s| s.meta.arn.clone())
            .unwrap_or_else(|| id.to_owned()),
    ))
}

fn find(ctx: &Ctx<'_>, id: &str) -> Option<Arc<Secret>> {
    secrets(ctx).find(&ctx.caller.account, ctx.region, id, ctx.core.now())
}

fn lookup(ctx: &Ctx<'_>, input: &Value) -> Result<Arc<Secret>, Error> {
    find(ctx, secret_id(input)).ok_or_else(not_found)
}

fn ts(secs: i64) -> Value {
    Value::Timestamp(
        OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    )
}

fn strings(items: &[String]) -> Value {
    Value::List(items.iter().map(Value::from).collect())
}

/// KmsKeyId: only the AWS-managed key until KMS exists (documented at the top of this file).
fn check_kms_key(input: &Value) -> Result<(), Error> {
    match input.str("KmsKeyId") {
        None | Some("") | Some("aws/secretsmanager") | Some("alias/aws/secretsmanager") => Ok(()),
        Some(_) => Err(Error::aws(
            "InvalidParameterException",
            "iamd supports only the AWS managed key aws/secretsmanager until KMS is available.",
        )),
    }
}

fn tags_value(tags: &[Tag]) -> Value {
    Value::List(
        tags.iter()
            .map(|t| {
                Value::builder()
                    .set("Key", t.key.as_str())
                    .set("Value", t.value.as_str())
                    .build()
            })
            .collect(),
    )
}

fn stages_map(meta: &SecretMeta) -> Option<Value> {
    let entries: Vec<(String, Value)> = meta
        .versions
        .iter()
        .filter(|v| !v.stages.is_empty())
        .map(|v| (v.id.clone(), strings(&v.stages)))
        .collect();
    (!entries.is_empty()).then_some(Value::Map(entries))
}

/// One `ReplicationStatus` entry: the region, its key (AWS shows `alias/aws/secretsmanager`
/// for the AWS-managed key), status and message (AWS's examples in API_DescribeSecret and
/// API_RemoveRegionsFromReplication: `InSync`, `Replication succeeded`), and the replica's
/// LastAccessedDate when it was ever read.
fn status_entry(r: &Replica, accessed: Option<i64>) -> Value {
    Value::builder()
        .set("Region", r.region.as_str())
        .set(
            "KmsKeyId",
            r.kms_key_id
                .as_deref()
                .unwrap_or("alias/aws/secretsmanager"),
        )
        .set("Status", if r.in_sync { "InSync" } else { "Failed" })
        .set(
            "StatusMessage",
            r.message.as_deref().unwrap_or("Replication succeeded"),
        )
        .set_opt("LastAccessedDate", accessed.map(ts))
        .build()
}

fn status_list(replicas: &[Replica]) -> Value {
    Value::List(replicas.iter().map(|r| status_entry(r, None)).collect())
}

/// A primary's `ReplicationStatus` (the regions in `only`, when given), with each replica's
/// LastAccessedDate from its region's index.
fn replication_status(ctx: &Ctx<'_>, secret: &Secret, only: Option<&[String]>) -> Value {
    let meta = &secret.meta;
    Value::List(
        meta.replicas
            .iter()
            .filter(|r| only.is_none_or(|o| o.contains(&r.region)))
            .map(|r| {
                let accessed = r
                    .in_sync
                    .then(|| secrets(ctx).find_record(&secret.account, &r.region, &meta.name))
                    .flatten()
                    .filter(|rep| rep.meta.arn == arn_in_region(&meta.arn, &r.region))
                    .and_then(|rep| rep.last_accessed());
                status_entry(r, accessed)
            })
            .collect(),
    )
}

/// The fields DescribeSecret and ListSecrets share; `versions_member` differs between them.
/// `PrimaryRegion` appears only on secrets that take part in replication (observed on AWS:
/// rebuy-de/aws-nuke#1127), `ReplicationStatus` only on primaries.
fn describe(ctx: &Ctx<'_>, secret: &Secret, versions_member: &'static str) -> Value {
    let meta = &secret.meta;
    let mut b = Value::builder()
        .set("ARN", meta.arn.as_str())
        .set("Name", meta.name.as_str())
        .set_opt("Description", meta.description.as_deref())
        // Omitted for the AWS-managed key (aws-semantics.md §6.8).
        .set_opt("KmsKeyId", meta.kms_key_id.as_deref())
        .set("LastChangedDate", ts(meta.last_changed))
        .set_opt("LastAccessedDate", secret.last_accessed().map(ts))
        .set_opt("DeletedDate", meta.deleted.map(ts));
    if !meta.tags.is_empty() {
        b = b.set("Tags", tags_value(&meta.tags));
    }
    let b = b
        .set_opt(versions_member, stages_map(meta))
        .set("CreatedDate", ts(meta.created));
    if meta.is_replica() || !meta.replicas.is_empty() {
        let b = b.set("PrimaryRegion", meta.primary_region());
        if meta.replicas.is_empty() {
            return b.build();
        }
        return b
            .set("ReplicationStatus", replication_status(ctx, secret, None))
            .build();
    }
    b.build()
}

fn put(
    secret: &Arc<Secret>,
    meta: SecretMeta,
    new_values: Vec<(String, crate::secrets::Sealed)>,
) -> Write {
    Write::Put {
        account: secret.account.clone(),
        prev: Some(secret.clone()),
        meta: Box::new(meta),
        new_values,
    }
}

/// Writes are made to a primary, in its region; a replica is read-only.
fn primary_only(secret: Arc<Secret>) -> Result<Arc<Secret>, Error> {
    if secret.meta.is_replica() {
        return Err(replica_read_only());
    }
    Ok(secret)
}

/// Re-reads the secret under the writer lock (the state may have changed since authorization).
fn relookup(ctx: &Ctx<'_>, input: &Value) -> Result<Arc<Secret>, Error> {
    writable(ctx, input)
}

fn relive(ctx: &Ctx<'_>, input: &Value) -> Result<Arc<Secret>, Error> {
    live_writable(ctx, input)
}

/// A primary secret (or a standalone one) to write to.
fn writable(ctx: &Ctx<'_>, input: &Value) -> Result<Arc<Secret>, Error> {
    primary_only(lookup(ctx, input)?)
}

/// [`writable`], and not scheduled for deletion.
fn live_writable(ctx: &Ctx<'_>, input: &Value) -> Result<Arc<Secret>, Error> {
    let s = writable(ctx, input)?;
    if s.meta.is_scheduled_for_deletion() {
        return Err(crate::error::SecretsError::MarkedForDeletion.into());
    }
    Ok(s)
}

/// The replica regions a request asks for (CreateSecret and ReplicateSecretToRegions'
/// `AddReplicaRegions`), each with its key: `None` for the AWS-managed key.
fn replica_regions_input(
    ctx: &Ctx<'_>,
    input: &Value,
) -> Result<Vec<(String, Option<String>)>, Error> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for item in input.list("AddReplicaRegions").unwrap_or_default() {
        let region = item.str("Region").unwrap_or_default();
        // A region named twice is refused like any other invalid one [open].
        if !valid_replica_region(ctx.region, region) || out.iter().any(|(r, _)| r == region) {
            return Err(invalid_replica_region());
        }
        check_kms_key(item)?;
        out.push((region.to_owned(), None));
    }
    Ok(out)
}

/// Creates (or brings up to date) the replica of `primary` in `region`. A secret of the same
/// name already there makes the replication fail (status `Failed`, nothing written) unless
/// `force`, which replaces a standalone secret; one that is itself a replica, or a primary
/// with replicas, is never replaced [open]. moto's StatusMessage text
/// (`Replication failed: Secret name <name> already exists in region <region>.`); AWS's
/// documented example reads "Secret with this name already exists in this region" and a live
/// record (a Terraform test comment) starts with the same `Replication failed: Secret name`.
#[allow(clippy::too_many_arguments)]
fn place_replica(
    s: &Secrets,
    account: &str,
    primary: &SecretMeta,
    value: &dyn Fn(&str) -> Option<Sealed>,
    region: &str,
    kms_key_id: Option<String>,
    force: bool,
    now: i64,
) -> Result<(Replica, Vec<Write>), Error> {
    let mut writes = Vec::new();
    let mut existing = None;
    if let Some(target) = s.find_record(account, region, &primary.name) {
        let ours = target.meta.arn == arn_in_region(&primary.arn, region)
            && target.meta.primary_region.as_deref() == Some(primary.region.as_str());
        let replaceable = !target.meta.is_replica() && target.meta.replicas.is_empty();
        if ours {
            existing = Some(target);
        } else if target.expired(now) || (force && replaceable) {
            writes.push(Write::Delete(target));
        } else {
            let failed = Replica {
                region: region.to_owned(),
                kms_key_id,
                in_sync: false,
                message: Some(format!(
                    "Replication failed: Secret name {} already exists in region {region}.",
                    primary.name
                )),
            };
            return Ok((failed, Vec::new()));
        }
    }
    let replica = Replica {
        region: region.to_owned(),
        kms_key_id,
        in_sync: true,
        message: None,
    };
    if let Some(w) = s.replica_write(account, primary, value, &replica, existing, now)? {
        writes.push(w);
    }
    Ok((replica, writes))
}

// --- operations ----------------------------------------------------------------------------

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html>
fn describe_secret(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let secret = lookup(ctx, input)?;
    Ok(describe(ctx, &secret, "VersionIdsToStages"))
}

/// Pagination tokens: an opaque encoding of the position in the (stable) ordering.
fn encode_token(pos: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("iamd-sm:{pos}"))
}

fn decode_token(token: Option<&str>) -> Result<usize, Error> {
    use base64::Engine;
    let Some(t) = token else { return Ok(0) };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("iamd-sm:").and_then(|n| n.parse().ok()))
        // [open] AWS's text for a bad token is not recorded anywhere we found.
        .ok_or_else(|| {
            Error::aws(
                "InvalidNextTokenException",
                "The NextToken value is invalid.",
            )
        })
}

/// Filters (<https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html>):
/// values of one filter are alternatives, filters all apply; `!` negates a value; `description`
/// and `all` ignore case, the others are case-sensitive prefix matches.
fn matches_filters(meta: &SecretMeta, filters: &[Value]) -> bool {
    filters.iter().all(|f| {
        let key = f.str("Key").unwrap_or_default();
        let values = f.strings("Values");
        let (neg, pos): (Vec<&str>, Vec<&str>) = values.iter().partition(|v| v.starts_with('!'));
        let test = |v: &str| filter_value_matches(meta, key, v);
        let pos_ok = pos.is_empty() || pos.iter().any(|v| test(v));
        let neg_ok = neg.iter().all(|v| !test(&v[1..]));
        pos_ok && neg_ok
    })
}

fn filter_value_matches(meta: &SecretMeta, key: &str, value: &str) -> bool {
    let ci_prefix = |field: &str, v: &str| field.to_lowercase().starts_with(&v.to_lowercase());
    match key {
        "name" => meta.name.starts_with(value),
        "description" => meta
            .description
            .as_deref()
            .is_some_and(|d| ci_prefix(d, value)),
        "tag-key" => meta.tags.iter().any(|t| t.key.starts_with(value)),
        "tag-value" => meta.tags.iter().any(|t| t.value.starts_with(value)),
        // Secrets that take part in replication, by their primary's region (a secret that is
        // not replicated has no PrimaryRegion and matches no value; moto pins the same).
        "primary-region" => {
            (meta.is_replica() || !meta.replicas.is_empty())
                && meta.primary_region().starts_with(value)
        }
        // Service-owned secrets do not exist yet.
        "owning-service" => false,
        "all" => value.split_whitespace().all(|word| {
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
        _ => false,
    }
}

fn sorted(ctx: &Ctx<'_>, input: &Value, include_deleted: bool) -> Vec<Arc<Secret>> {
    let filters = input.list("Filters").unwrap_or_default();
    let mut list: Vec<Arc<Secret>> = secrets(ctx)
        .list(&ctx.caller.account, ctx.region, ctx.core.now())
        .into_iter()
        .filter(|s| include_deleted || !s.meta.is_scheduled_for_deletion())
        .filter(|s| matches_filters(&s.meta, filters))
        .collect();
    // [open] AWS documents SortBy/SortOrder but not the defaults; iamd lists by creation date,
    // oldest first, then by name.
    match input.str("SortBy").unwrap_or("created-date") {
        "name" => list.sort_by(|a, b| a.meta.name.cmp(&b.meta.name)),
        "last-accessed-date" => list.sort_by(|a, b| {
            (a.last_accessed(), &a.meta.name).cmp(&(b.last_accessed(), &b.meta.name))
        }),
        "last-changed-date" => list.sort_by(|a, b| {
            (a.meta.last_changed, &a.meta.name).cmp(&(b.meta.last_changed, &b.meta.name))
        }),
        _ => {
            list.sort_by(|a, b| (a.meta.created, &a.meta.name).cmp(&(b.meta.created, &b.meta.name)))
        }
    }
    if input.str("SortOrder") == Some("desc") {
        list.reverse();
    }
    list
}

fn page<T>(
    items: Vec<T>,
    input: &Value,
    default_max: usize,
) -> Result<(Vec<T>, Option<String>), Error> {
    let start = decode_token(input.str("NextToken"))?;
    let max = input
        .i64("MaxResults")
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

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html>
fn list_secrets(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let all = sorted(
        ctx,
        input,
        input.bool("IncludePlannedDeletion").unwrap_or(false),
    );
    let (items, next) = page(all, input, 100)?;
    Ok(Value::builder()
        .set(
            "SecretList",
            Value::List(
                items
                    .iter()
                    .map(|s| describe(ctx, s, "SecretVersionsToStages"))
                    .collect(),
            ),
        )
        .set_opt("NextToken", next)
        .build())
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html>
fn get_random_password(_ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let spec = PasswordSpec {
        length: input
            .i64("PasswordLength")
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(32),
        exclude_characters: input
            .str("ExcludeCharacters")
            .unwrap_or_default()
            .to_owned(),
        exclude_numbers: input.bool("ExcludeNumbers").unwrap_or(false),
        exclude_punctuation: input.bool("ExcludePunctuation").unwrap_or(false),
        exclude_uppercase: input.bool("ExcludeUppercase").unwrap_or(false),
        exclude_lowercase: input.bool("ExcludeLowercase").unwrap_or(false),
        include_space: input.bool("IncludeSpace").unwrap_or(false),
        require_each_included_type: input.bool("RequireEachIncludedType").unwrap_or(true),
    };
    let password = generate(&spec)?;
    Ok(Value::builder()
        .set("RandomPassword", password.as_str())
        .build())
}

// --- replication ---------------------------------------------------------------------------

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html>:
/// replicas are written in the same transaction as the primary, so they are `InSync` at once
/// (AWS answers `InProgress` first and converges; iamd never needs to). A region that already
/// holds an in-sync replica is left as it is; a `Failed` one is tried again [open].
fn replicate_secret_to_regions(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let secret = live_writable(ctx, input)?;
    let regions = replica_regions_input(ctx, input)?;
    let force = input.bool("ForceOverwriteReplicaSecret").unwrap_or(false);
    let account = secret.account.clone();
    let now = ctx.core.now();
    secrets(ctx).mutate(&account, ctx.region, now, |s| {
        let secret = relive(ctx, input)?;
        let mut meta = secret.meta.clone();
        let value = |id: &str| secret.sealed(id).map(|v| (**v).clone());
        let mut writes = Vec::new();
        for (region, kms) in &regions {
            if meta.replica(region).is_some_and(|r| r.in_sync) {
                continue;
            }
            let (r, mut w) =
                place_replica(s, &account, &meta, &value, region, kms.clone(), force, now)?;
            meta.replicas.retain(|x| x.region != *region);
            meta.replicas.push(r);
            writes.append(&mut w);
        }
        let asked: Vec<String> = regions.iter().map(|(r, _)| r.clone()).collect();
        let status = Value::List(
            meta.replicas
                .iter()
                .filter(|r| asked.contains(&r.region))
                .map(|r| status_entry(r, None))
                .collect(),
        );
        let out = Value::builder()
            .set("ARN", meta.arn.as_str())
            .set("ReplicationStatus", status)
            .build();
        if meta != secret.meta {
            writes.insert(0, put(&secret, meta, Vec::new()));
        }
        Ok((writes, out))
    })
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RemoveRegionsFromReplication.html>:
/// each replica named is deleted at once ("When you delete a replica, it is deleted
/// immediately", DeleteSecret's documentation); a region that failed to replicate is only
/// forgotten (the secret that was in the way stays). Regions the secret does not replicate to
/// are ignored, as moto does [open]. The answer lists the replicas that remain.
fn remove_regions_from_replication(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let secret = writable(ctx, input)?;
    let regions: Vec<String> = input
        .strings("RemoveReplicaRegions")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let account = secret.account.clone();
    let now = ctx.core.now();
    secrets(ctx).mutate(&account, ctx.region, now, |s| {
        let secret = relookup(ctx, input)?;
        let mut meta = secret.meta.clone();
        let mut writes = Vec::new();
        for region in &regions {
            let Some(r) = meta.replica(region).cloned() else {
                continue;
            };
            meta.replicas.retain(|x| x.region != *region);
            if r.in_sync
                && let Some(replica) = s
                    .find_record(&account, region, &meta.name)
                    .filter(|x| x.meta.arn == arn_in_region(&meta.arn, region))
            {
                writes.push(Write::Delete(replica));
            }
        }
        let out = Value::builder()
            .set("ARN", meta.arn.as_str())
            .set("ReplicationStatus", status_list(&meta.replicas))
            .build();
        if meta != secret.meta {
            writes.insert(0, put(&secret, meta, Vec::new()));
        }
        Ok((writes, out))
    })
}

/// <https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html>:
/// called in the replica's region, promotes the replica to a standalone secret with its ARN,
/// values (already sealed under that ARN), labels and metadata, and takes the region off the
/// primary's replicas.
fn stop_replication_to_replica(ctx: &Ctx<'_>, input: &Value) -> Result<Value, Error> {
    let secret = lookup(ctx, input)?;
    if !secret.meta.is_replica() {
        return Err(not_a_replica());
    }
    let account = secret.account.clone();
    let now = ctx.core.now();
    secrets(ctx).mutate(&account, ctx.region, now, |s| {
        let secret = lookup(ctx, input)?;
        let Some(primary_region) = secret.meta.primary_region.clone() else {
            return Err(not_a_replica());
        };
        let mut meta = secret.meta.clone();
        meta.primary_region = None;
        meta.last_changed = now;
        let out = Value::builder().set("ARN", meta.arn.as_str()).build();
        let mut writes = vec![put(&secret, meta, Vec::new())];
        if let Some(primary) = s
            .find_record(&account, &primary_region, &secret.meta.name)
            .filter(|p| p.meta.arn == arn_in_region(&secret.meta.arn, &primary_region))
        {
            let mut pm = primary.meta.clone();
            pm.replicas.retain(|r| r.region != ctx.region);
            writes.push(put(&primary, pm, Vec::new()));
        }
        Ok((writes, out))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed operations are checked by `secrets::ops::table_tests`.
    #[test]
    fn every_operation_needs_its_own_action_and_reads_do_not_write() {
        for op in OPS {
            assert_eq!(
                format!("{:?}", op.authz),
                format!("Action(secretsmanager:{})", op.name)
            );
        }
        let writes: Vec<&str> = OPS.iter().filter(|o| o.mutates).map(|o| o.name).collect();
        for read in ["DescribeSecret", "ListSecrets"] {
            assert!(!writes.contains(&read), "{read}");
        }
        for write in ["ReplicateSecretToRegions", "StopReplicationToReplica"] {
            assert!(writes.contains(&write), "{write}");
        }
    }
}
