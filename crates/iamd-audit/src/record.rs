//! The CloudTrail record (aws-semantics-2.md §3.1–3.2): built on the writer thread from the
//! facts the request path captured ([`Facts`]), one copy per account it is delivered to.

use iamd_api::Service;
use iamd_core::accounts::{Caller, Principal};
use iamd_core::sessions::SessionPrincipal;
use iamd_store::AuditRow;
use serde_json::{Map, Value as Json, json};

/// The current CloudTrail record version (aws-semantics-2.md §3.1: the page says 1.11).
pub const EVENT_VERSION: &str = "1.11";

/// CloudTrail caps `userAgent`, `errorCode` and `errorMessage` at 1 KB.
const FIELD_LIMIT: usize = 1024;
/// and `requestParameters` / `responseElements` at 100 KB.
const ELEMENTS_LIMIT: usize = 100 * 1024;

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC, second precision).
pub fn iso(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// What the request path knows about one authenticated request, captured cheaply (strings and
/// already-redacted JSON); the record is built from it off the request path.
#[derive(Debug, Clone)]
pub struct Facts {
    pub caller: Caller,
    pub service: Service,
    pub event_name: &'static str,
    /// The region the request was signed for.
    pub region: String,
    pub request_id: String,
    /// When the request completed, Unix seconds.
    pub time: i64,
    /// Redacted (see [`crate::redact`]).
    pub request_parameters: Json,
    /// Redacted; `Null` for read-only calls and failures.
    pub response_elements: Json,
    /// `(type, ARN)` of what the request acted on.
    pub resources: Vec<(String, String)>,
    /// `(errorCode, errorMessage)` of a denial or failure.
    pub error: Option<(String, String)>,
    /// `additionalEventData` when not `Null` (iamd's extensions, e.g. a failed signature).
    pub additional_event_data: Json,
}

fn truncate(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    let mut end = limit;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_owned()
}

fn capped(j: Json) -> Json {
    if j.is_null() {
        return j;
    }
    // The size of what would be written; beyond the cap CloudTrail omits the elements.
    let len = j.to_string().len();
    if len > ELEMENTS_LIMIT {
        json!({ "omitted": true, "reason": "larger than 100 KB" })
    } else {
        j
    }
}

/// The name LookupEvents shows (and filters `ResourceName` on) for a resource of the record:
/// "user-created names" (CloudTrail API reference, `Resource.ResourceName`), so an IAM user,
/// role, group or instance profile by its name; a policy and a secret by their ARN, which is how
/// they are named in requests.
pub fn lookup_name<'a>(resource_type: &str, arn: &'a str) -> &'a str {
    match resource_type {
        "AWS::IAM::User" | "AWS::IAM::Role" | "AWS::IAM::Group" | "AWS::IAM::InstanceProfile" => {
            arn.rsplit('/').next().unwrap_or(arn)
        }
        _ => arn,
    }
}

/// `eventSource`.
pub fn event_source(service: Service) -> &'static str {
    match service {
        Service::Iam => "iam.amazonaws.com",
        Service::Sts => "sts.amazonaws.com",
        Service::SecretsManager => "secretsmanager.amazonaws.com",
        Service::CloudTrail => "cloudtrail.amazonaws.com",
    }
}

/// `awsRegion`: IAM is global and recorded in us-east-1; STS and Secrets Manager in the region
/// the request was signed for (the regional endpoint it used).
pub fn aws_region(service: Service, region: &str) -> String {
    match service {
        Service::Iam => "us-east-1".to_owned(),
        _ => region.to_owned(),
    }
}

/// `readOnly`: the calls that change nothing. STS's credential calls are read-only on AWS
/// (AssumeRole's events say `"readOnly": true`).
pub fn read_only(name: &str) -> bool {
    [
        "Get",
        "List",
        "Describe",
        "BatchGet",
        "Simulate",
        "AssumeRole",
        "Validate",
        "Decode",
        "Lookup",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// Whether AWS shows `responseElements` for a successful call: every mutating call, and STS's
/// read-only calls that issue credentials (their secret parts hidden).
pub fn shows_response(name: &str) -> bool {
    !read_only(name)
        || matches!(
            name,
            "AssumeRole"
                | "AssumeRoleWithSAML"
                | "AssumeRoleWithWebIdentity"
                | "GetSessionToken"
                | "GetFederationToken"
        )
}

fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

fn attributes(caller: &Caller) -> Option<Json> {
    caller.session.as_ref().map(|s| {
        json!({
            "creationDate": iso(s.issued_at),
            "mfaAuthenticated": if s.mfa_at.is_some() { "true" } else { "false" },
        })
    })
}

/// `userIdentity` of the caller's own copy of the event.
pub fn user_identity(caller: &Caller) -> Json {
    let account = &caller.account;
    let mut id = Map::new();
    let arn = caller.arn();
    let mut session_context = Map::new();
    if let Some(a) = attributes(caller) {
        session_context.insert("attributes".into(), a);
    }
    match &caller.principal {
        Principal::Root => {
            id.insert("type".into(), "Root".into());
            id.insert("principalId".into(), account.clone().into());
        }
        Principal::User { name, id: uid, .. } => {
            id.insert("type".into(), "IAMUser".into());
            id.insert("principalId".into(), uid.clone().into());
            id.insert("userName".into(), name.clone().into());
        }
        Principal::AssumedRole {
            role_name,
            role_path,
            role_id,
            session_name,
        } => {
            id.insert("type".into(), "AssumedRole".into());
            id.insert(
                "principalId".into(),
                format!("{role_id}:{session_name}").into(),
            );
            session_context.insert(
                "sessionIssuer".into(),
                json!({
                    "type": "Role",
                    "principalId": role_id,
                    "arn": role_arn(account, role_path, role_name),
                    "accountId": account,
                    "userName": role_name,
                }),
            );
        }
        Principal::FederatedUser { name, user } => {
            id.insert("type".into(), "FederatedUser".into());
            id.insert("principalId".into(), format!("{account}:{name}").into());
            let user_id = caller.session.as_ref().and_then(|s| match &s.principal {
                SessionPrincipal::FederatedUser { user_id, .. } => user_id.clone(),
                _ => None,
            });
            let issuer = match user {
                Some(user_arn) => json!({
                    "type": "IAMUser",
                    "principalId": user_id.unwrap_or_default(),
                    "arn": user_arn,
                    "accountId": account,
                    "userName": user_arn.rsplit('/').next().unwrap_or_default(),
                }),
                None => json!({
                    "type": "Root",
                    "principalId": account,
                    "arn": format!("arn:aws:iam::{account}:root"),
                    "accountId": account,
                }),
            };
            session_context.insert("sessionIssuer".into(), issuer);
        }
    }
    id.insert("arn".into(), arn.into());
    id.insert("accountId".into(), account.clone().into());
    id.insert("accessKeyId".into(), caller.access_key_id.clone().into());
    if let Some(s) = caller.session.as_ref()
        && let Some(si) = &s.source_identity
    {
        session_context.insert("sourceIdentity".into(), si.clone().into());
    }
    if !session_context.is_empty() {
        id.insert("sessionContext".into(), Json::Object(session_context));
    }
    Json::Object(id)
}

/// `userIdentity` of the copy delivered to the other account of a cross-account call: the
/// calling account, as AWS shows it to a role's owner.
pub fn foreign_identity(caller: &Caller) -> Json {
    let principal_id = match &caller.principal {
        Principal::Root => caller.account.clone(),
        Principal::User { id, .. } => id.clone(),
        Principal::AssumedRole {
            role_id,
            session_name,
            ..
        } => format!("{role_id}:{session_name}"),
        Principal::FederatedUser { name, .. } => format!("{}:{name}", caller.account),
    };
    json!({
        "type": "AWSAccount",
        "principalId": principal_id,
        "accountId": caller.account,
    })
}

/// LookupEvents' `Username`: the user name, the role session name, `root`, the federated name.
pub fn username(caller: &Caller) -> String {
    match &caller.principal {
        Principal::Root => "root".to_owned(),
        Principal::User { name, .. } => name.clone(),
        Principal::AssumedRole { session_name, .. } => session_name.clone(),
        Principal::FederatedUser { name, .. } => name.clone(),
    }
}

/// The 12-digit account of an ARN, if it names one.
pub fn arn_account(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The event's copies: the caller's account's, and, when the call acted on another account's
/// resource, that account's, both with one `sharedEventID` (aws-semantics-2.md §3.3).
pub fn build(f: &Facts) -> Vec<AuditRow> {
    let caller_account = f.caller.account.as_str();
    let others: Vec<&str> = {
        let mut v: Vec<&str> = f
            .resources
            .iter()
            .filter_map(|(_, arn)| arn_account(arn))
            .filter(|a| *a != caller_account)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let shared = (!others.is_empty()).then(|| uuid::Uuid::new_v4().to_string());
    let read_only = read_only(f.event_name);
    let resources: Vec<Json> = f
        .resources
        .iter()
        .map(|(ty, arn)| {
            let mut r = Map::new();
            r.insert("ARN".into(), arn.clone().into());
            if let Some(a) = arn_account(arn) {
                r.insert("accountId".into(), a.into());
            }
            r.insert("type".into(), ty.clone().into());
            Json::Object(r)
        })
        .collect();
    let request_parameters = capped(f.request_parameters.clone());
    let response_elements = capped(f.response_elements.clone());
    let user_agent = f
        .caller
        .origin
        .user_agent
        .as_deref()
        .map(|u| truncate(u, FIELD_LIMIT));
    let source_ip = f
        .caller
        .origin
        .source_ip
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "AWS Internal".to_owned());
    let username = username(&f.caller);
    let one = |recipient: &str, identity: Json| -> AuditRow {
        let event_id = uuid::Uuid::new_v4().to_string();
        let mut r = Map::new();
        r.insert("eventVersion".into(), EVENT_VERSION.into());
        r.insert("userIdentity".into(), identity);
        r.insert("eventTime".into(), iso(f.time).into());
        r.insert("eventSource".into(), event_source(f.service).into());
        r.insert("eventName".into(), f.event_name.into());
        r.insert("awsRegion".into(), aws_region(f.service, &f.region).into());
        r.insert("sourceIPAddress".into(), source_ip.clone().into());
        if let Some(ua) = &user_agent {
            r.insert("userAgent".into(), ua.clone().into());
        }
        if let Some((code, message)) = &f.error {
            r.insert("errorCode".into(), truncate(code, FIELD_LIMIT).into());
            r.insert(
                "errorMessage".into(),
                truncate(&scrub_values(message), FIELD_LIMIT).into(),
            );
        }
        r.insert("requestParameters".into(), request_parameters.clone());
        r.insert("responseElements".into(), response_elements.clone());
        if !f.additional_event_data.is_null() {
            r.insert(
                "additionalEventData".into(),
                f.additional_event_data.clone(),
            );
        }
        r.insert("requestID".into(), f.request_id.clone().into());
        r.insert("eventID".into(), event_id.clone().into());
        r.insert("readOnly".into(), read_only.into());
        if !resources.is_empty() {
            r.insert("resources".into(), Json::Array(resources.clone()));
        }
        r.insert("eventType".into(), "AwsApiCall".into());
        r.insert("managementEvent".into(), true.into());
        r.insert("recipientAccountId".into(), recipient.into());
        if let Some(s) = &shared {
            r.insert("sharedEventID".into(), s.clone().into());
        }
        r.insert("eventCategory".into(), "Management".into());
        AuditRow {
            seq: 0,
            account: recipient.to_owned(),
            event_time: f.time,
            event_id,
            event_name: f.event_name.to_owned(),
            event_source: event_source(f.service).to_owned(),
            read_only,
            username: username.clone(),
            access_key_id: f.caller.access_key_id.clone(),
            resource_types: f.resources.iter().map(|(t, _)| t.clone()).collect(),
            resource_names: f
                .resources
                .iter()
                .map(|(t, a)| lookup_name(t, a).to_owned())
                .collect(),
            record: Json::Object(r).to_string(),
        }
    };
    let mut rows = vec![one(caller_account, user_identity(&f.caller))];
    for other in others {
        rows.push(one(other, foreign_identity(&f.caller)));
    }
    rows
}

/// A Secrets Manager service event (`eventType: AwsServiceEvent`): what the service did on its
/// own, such as the steps of a rotation (`RotationStarted`, `RotationSucceeded`,
/// `RotationFailed`, `RotationAbandoned`, `TestRotation…`). The shape AWS documents
/// (aws-semantics-2.md §3.3, retrieve-ct-entries.md): `userIdentity {accountId, invokedBy}`,
/// `sourceIPAddress`/`userAgent` the service, `requestParameters` and `responseElements` null,
/// `additionalEventData {"SecretId": <ARN>}`, `requestID` `Rotation-<secret-arn>-<uuid>`, the
/// secret as the resource. Never a value: only the ARN and an error message.
pub fn secrets_service_event(
    account: &str,
    region: &str,
    secret_arn: &str,
    event_name: &str,
    error_message: Option<&str>,
    time: i64,
) -> AuditRow {
    let source = event_source(Service::SecretsManager);
    let event_id = uuid::Uuid::new_v4().to_string();
    let mut r = Map::new();
    r.insert("eventVersion".into(), EVENT_VERSION.into());
    r.insert(
        "userIdentity".into(),
        serde_json::json!({"accountId": account, "invokedBy": source}),
    );
    r.insert("eventTime".into(), iso(time).into());
    r.insert("eventSource".into(), source.into());
    r.insert("eventName".into(), event_name.into());
    r.insert("awsRegion".into(), region.into());
    r.insert("sourceIPAddress".into(), source.into());
    r.insert("userAgent".into(), source.into());
    if let Some(message) = error_message {
        r.insert("errorMessage".into(), truncate(message, FIELD_LIMIT).into());
    }
    r.insert("requestParameters".into(), Json::Null);
    r.insert("responseElements".into(), Json::Null);
    r.insert(
        "additionalEventData".into(),
        serde_json::json!({ "SecretId": secret_arn }),
    );
    r.insert(
        "requestID".into(),
        format!("Rotation-{secret_arn}-{}", uuid::Uuid::new_v4()).into(),
    );
    r.insert("eventID".into(), event_id.clone().into());
    r.insert("readOnly".into(), false.into());
    r.insert(
        "resources".into(),
        serde_json::json!([{
            "ARN": secret_arn,
            "accountId": account,
            "type": "AWS::SecretsManager::Secret",
        }]),
    );
    r.insert("eventType".into(), "AwsServiceEvent".into());
    r.insert("managementEvent".into(), true.into());
    r.insert("recipientAccountId".into(), account.into());
    r.insert("eventCategory".into(), "Management".into());
    AuditRow {
        seq: 0,
        account: account.to_owned(),
        event_time: time,
        event_id,
        event_name: event_name.to_owned(),
        event_source: source.to_owned(),
        read_only: false,
        username: String::new(),
        access_key_id: String::new(),
        resource_types: vec!["AWS::SecretsManager::Secret".to_owned()],
        resource_names: vec![secret_arn.to_owned()],
        record: Json::Object(r).to_string(),
    }
}

/// A validation message quotes the values it refused (`Value 'x' at 'password' failed to
/// satisfy constraint …`): the value of a sensitive member (a password, a secret, a token — the
/// redaction rules) is replaced by `HIDDEN_DUE_TO_SECURITY_REASONS` before the message is stored.
pub fn scrub_values(message: &str) -> std::borrow::Cow<'_, str> {
    const OPEN: &str = "Value '";
    const AT: &str = "' at '";
    if !message.contains(OPEN) {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(OPEN) {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        let after = after.get(OPEN.len()..).unwrap_or_default();
        // The member follows the last "' at '" before the end of this error (`;` or the end).
        let end = after.find("' failed to satisfy").unwrap_or(after.len());
        let segment = after.get(..end).unwrap_or_default();
        match segment.rfind(AT) {
            Some(j) => {
                let member = segment.get(j + AT.len()..).unwrap_or_default();
                let leaf = member.rsplit('.').next().unwrap_or(member);
                out.push_str(OPEN);
                if crate::redact::is_sensitive(leaf) {
                    out.push_str("HIDDEN_DUE_TO_SECURITY_REASONS");
                } else {
                    out.push_str(segment.get(..j).unwrap_or_default());
                }
                out.push_str(segment.get(j..).unwrap_or_default());
            }
            None => {
                out.push_str(OPEN);
                out.push_str(segment);
            }
        }
        rest = after.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}
