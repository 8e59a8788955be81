//! One AWS API request, start to finish. Fails closed: every early return is an AWS error in the
//! protocol of the service the request was for.
//!
//! Order, as AWS applies it (aws-semantics.md §5): signature syntax → clock skew and scope →
//! access key lookup → signature → request decoding → authorization → the operation.

use crate::{AppState, MAX_BODY_BYTES};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use iamd_api::{ApiError, Protocol, Service, Value};
use iamd_service::{Caller, Error as SvcError, SessionAuthError, to_api_error};
use iamd_sigv4::{AuthErrorKind, HttpRequest};
use std::sync::Arc;
use std::time::Instant;

/// Allowed clock skew: ±15 minutes for the query services, ±5 for JSON services (§5.2).
fn max_skew(service: Service) -> i64 {
    match service.protocol() {
        Protocol::Query => 900,
        Protocol::Json11 => 300,
    }
}

/// SigV4 query parameters that carry authentication, not operation input.
fn is_auth_param(name: &str) -> bool {
    matches!(
        name,
        "X-Amz-Algorithm"
            | "X-Amz-Credential"
            | "X-Amz-Date"
            | "X-Amz-SignedHeaders"
            | "X-Amz-Signature"
            | "X-Amz-Security-Token"
            | "X-Amz-Expires"
    )
}

const MSG_INVALID_TOKEN: &str = "The security token included in the request is invalid.";
/// AWS's text for requests signed with expired temporary credentials (aws-semantics.md §4.4).
const MSG_EXPIRED_TOKEN: &str = "The security token included in the request is expired";

/// Where the secret that signs a request comes from.
enum SigningSecret {
    LongTerm(Arc<iamd_service::Credential>),
    Session(Arc<iamd_service::sessions::SessionClaims>),
}

impl SigningSecret {
    fn bytes(&self) -> &[u8] {
        match self {
            SigningSecret::LongTerm(c) => c.secret(),
            SigningSecret::Session(s) => s.secret_access_key.expose().as_bytes(),
        }
    }
}

/// An authentication failure, before the code is chosen per protocol.
enum AuthFailure {
    Missing,
    InvalidToken,
    /// Temporary credentials past their expiration.
    Expired,
    Sig(iamd_sigv4::AuthError),
    ScopeService(String),
}

fn auth_error(service: Service, f: AuthFailure) -> ApiError {
    use iamd_metrics::AuthFailure as Why;
    iamd_metrics::GLOBAL.auth_failure(match &f {
        AuthFailure::Missing => Why::Missing,
        AuthFailure::InvalidToken => Why::InvalidToken,
        AuthFailure::Expired => Why::ExpiredToken,
        AuthFailure::ScopeService(_) => Why::WrongService,
        AuthFailure::Sig(e) => match e.kind {
            AuthErrorKind::IncompleteSignature => Why::IncompleteSignature,
            AuthErrorKind::SignatureExpired => Why::SignatureExpired,
            // `SignatureDoesNotMatch`, and any kind added later.
            _ => Why::SignatureMismatch,
        },
    });
    let query = service.protocol() == Protocol::Query;
    match f {
        AuthFailure::Missing => {
            if query {
                ApiError::new(
                    "MissingAuthenticationToken",
                    "Request is missing Authentication Token",
                    403,
                )
            } else {
                ApiError::new(
                    "MissingAuthenticationTokenException",
                    "Missing Authentication Token",
                    400,
                )
            }
        }
        AuthFailure::InvalidToken => {
            if query {
                ApiError::new("InvalidClientTokenId", MSG_INVALID_TOKEN, 403)
            } else {
                ApiError::new("UnrecognizedClientException", MSG_INVALID_TOKEN, 400)
            }
        }
        AuthFailure::Expired => {
            if query {
                ApiError::new("ExpiredToken", MSG_EXPIRED_TOKEN, 403)
            } else {
                ApiError::new("ExpiredTokenException", MSG_EXPIRED_TOKEN, 400)
            }
        }
        AuthFailure::ScopeService(msg) => {
            if query {
                ApiError::new("SignatureDoesNotMatch", msg, 403)
            } else {
                ApiError::new("InvalidSignatureException", msg, 400)
            }
        }
        AuthFailure::Sig(e) => match (e.kind, query) {
            (AuthErrorKind::IncompleteSignature, true) => {
                ApiError::new("IncompleteSignature", e.message, 400)
            }
            (AuthErrorKind::IncompleteSignature, false) => {
                ApiError::new("IncompleteSignatureException", e.message, 400)
            }
            (_, true) => ApiError::new("SignatureDoesNotMatch", e.message, 403),
            (_, false) => ApiError::new("InvalidSignatureException", e.message, 400),
        },
    }
}

/// The service a request is meant for when authentication cannot tell (it failed or is
/// missing): `X-Amz-Target` names a JSON service; otherwise the query `Version` picks IAM or STS.
fn guess_service(headers: &HeaderMap, query: &str, body: &[u8]) -> Service {
    if let Some(t) = headers.get("x-amz-target").and_then(|v| v.to_str().ok())
        && let Some(s) = Service::ALL.into_iter().find(|s| {
            s.json_target_prefix()
                .and_then(|p| t.strip_prefix(p))
                .is_some_and(|rest| rest.starts_with('.'))
        })
    {
        return s;
    }
    let iam_version = Service::Iam.api_version();
    let mentions_iam = |pairs: Vec<(String, String)>| {
        pairs
            .iter()
            .any(|(k, v)| k == "Version" && v == iam_version)
    };
    if mentions_iam(iamd_api::parse_form(query.as_bytes()))
        || mentions_iam(iamd_api::parse_form(body))
    {
        Service::Iam
    } else {
        Service::Sts
    }
}

fn render(service: Service, status: u16, body: Vec<u8>, request_id: &str) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(service.response_content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

fn render_error(service: Service, err: &ApiError, request_id: &str) -> Response {
    let body = match service.protocol() {
        Protocol::Query => iamd_api::encode_query_error(service, err, request_id),
        Protocol::Json11 => iamd_api::encode_json_error(err),
    };
    render(service, err.status, body, request_id)
}

/// Requests whose body is larger are authenticated, decoded and run from the blocking pool:
/// hashing, parsing and decoding a body costs CPU in proportion to its size (a few milliseconds
/// per MiB in a release build, hundreds in a debug one), and several large requests at once
/// must not keep `/_iamd/health` and small requests waiting for an async worker (issue #11,
/// finding 3). Ordinary requests are far smaller and stay on the worker.
const OFFLOAD_BODY_BYTES: usize = 64 * 1024;

/// The axum handler for every AWS API request.
pub async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let query = parts.uri.query().unwrap_or("");
    // Signed for (or targeting) a service iamd does not serve: say so in that service's protocol,
    // before anything is verified or kept (see `unserved`).
    if let Some(unserved) = crate::unserved::classify(&parts.headers, query) {
        // Take in a body already on its way, so the connection stays usable; a client waiting
        // for `100 Continue` is answered without it.
        let expects_continue = parts
            .headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if !expects_continue {
            let _ = axum::body::to_bytes(body, MAX_BODY_BYTES).await;
        }
        tracing::debug!(
            request_id = %request_id,
            service = %unserved.name,
            status = 400,
            "request for a service iamd does not serve"
        );
        // Counted without the service's name: the caller chose it.
        state.requests.unserved.inc();
        return crate::unserved::respond(&unserved, &parts.method, &request_id);
    }
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let service = guess_service(&parts.headers, query, &[]);
            let err = ApiError::new(
                "RequestEntityTooLarge",
                format!("Request body must be at most {MAX_BODY_BYTES} bytes."),
                413,
            );
            let resp = render_error(service, &err, &request_id);
            state.requests.record(service, "", 413, started.elapsed());
            return resp;
        }
    };
    let (service, op_name, result) = if body.len() > OFFLOAD_BODY_BYTES {
        // hashed, decoded and parsed on the blocking pool (see OFFLOAD_BODY_BYTES)
        let fallback = guess_service(&parts.headers, query, &[]);
        let (state, rid) = (state.clone(), request_id.clone());
        let rt = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            rt.block_on(async {
                let query = parts.uri.query().unwrap_or("");
                run(&state, &parts, query, &body, &rid).await
            })
        })
        .await
        .unwrap_or_else(|e| {
            let err = ApiError::new("InternalFailure", format!("worker failed: {e}"), 500);
            (fallback, "", Err(err))
        })
    } else {
        run(&state, &parts, query, &body, &request_id).await
    };
    let resp = match result {
        Ok(resp) => resp,
        Err(err) => render_error(service, &err, &request_id),
    };
    let elapsed = started.elapsed();
    let status = resp.status().as_u16();
    state.requests.record(service, op_name, status, elapsed);
    tracing::debug!(
        request_id = %request_id,
        service = service.signing_name(),
        operation = op_name,
        status,
        micros = elapsed.as_micros() as u64,
        "request"
    );
    resp
}

async fn run(
    state: &Arc<AppState>,
    parts: &axum::http::request::Parts,
    query: &str,
    body: &[u8],
    request_id: &str,
) -> (Service, &'static str, Result<Response, ApiError>) {
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let http = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query,
        headers: &headers,
        body,
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let fail = |f: AuthFailure| {
        let service = guess_service(&parts.headers, query, body);
        (service, "", Err(auth_error(service, f)))
    };

    // 1. Authentication.
    let auth = match iamd_sigv4::parse(&http) {
        Ok(Some(a)) => a,
        Ok(None) => return fail(AuthFailure::Missing),
        Err(e) => return fail(AuthFailure::Sig(e)),
    };
    let service = match Service::from_signing_name(auth.service()) {
        // A JSON target must be signed for its own service.
        Some(s) if target.is_none() || s.protocol() == Protocol::Json11 => s,
        _ => {
            let expected = guess_service(&parts.headers, query, body);
            return fail(AuthFailure::ScopeService(
                iamd_sigv4::error::msg_scope_service(expected.signing_name()),
            ));
        }
    };
    let now = state.core.now();
    // The scope's region must be one of the partition's: it becomes `aws:RequestedRegion` and part
    // of the ARNs a request creates.
    if let Err(e) = iamd_sigv4::prevalidate_scoped(
        &auth,
        now,
        max_skew(service),
        iamd_service::regions::is_served_region,
    ) {
        return (service, "", Err(auth_error(service, AuthFailure::Sig(e))));
    }
    // Temporary credentials carry their own claims and secret in the sealed session token;
    // long-term keys are looked up in memory.
    let (mut caller, secret, implicit_account): (Caller, SigningSecret, Option<String>) =
        if let Some(token) = auth.security_token() {
            // In memory when the session's principal is cached; a cold cache reads the store, and
            // the store is read only where blocking is allowed.
            let (authenticated, refused) = iamd_store::without_blocking(|| {
                state.core.authenticate_session(token, auth.access_key_id())
            });
            let authenticated = if refused {
                let (core, token, key_id) = (
                    state.core.clone(),
                    token.to_owned(),
                    auth.access_key_id().to_owned(),
                );
                tokio::task::spawn_blocking(move || core.authenticate_session(&token, &key_id))
                    .await
                    .unwrap_or(Err(SessionAuthError::Invalid))
            } else {
                authenticated
            };
            match authenticated {
                Ok(claims) => {
                    let caller = Caller::from_session(claims.clone());
                    (caller, SigningSecret::Session(claims), None)
                }
                Err(SessionAuthError::Invalid) => {
                    return (
                        service,
                        "",
                        Err(auth_error(service, AuthFailure::InvalidToken)),
                    );
                }
                Err(SessionAuthError::Expired) => {
                    return (service, "", Err(auth_error(service, AuthFailure::Expired)));
                }
            }
        } else {
            let cred = match state.core.accounts.lookup(auth.access_key_id()) {
                Some(c) if c.active => c,
                _ => {
                    return (
                        service,
                        "",
                        Err(auth_error(service, AuthFailure::InvalidToken)),
                    );
                }
            };
            let caller =
                Caller::long_term(&cred.account, cred.principal.clone(), &cred.access_key_id);
            let implicit = cred.implicit_dev_account.then(|| cred.account.clone());
            (caller, SigningSecret::LongTerm(cred), implicit)
        };
    // Every x-amz-* header sent must be signed, or an unsigned X-Amz-Target or session token could
    // be swapped in a captured request. Checked with the signature, after the credential (an
    // expired session is reported as such first).
    if let Err(e) = iamd_sigv4::check_signed_headers(&auth, &http) {
        return (service, "", Err(auth_error(service, AuthFailure::Sig(e))));
    }
    // The derived signing key is cached only once it has verified this request.
    let verified = state.keys.verify_with(
        &caller.access_key_id,
        secret.bytes(),
        auth.scope_date(),
        auth.region(),
        auth.service(),
        |key| iamd_sigv4::verify(&auth, &http, key, now, max_skew(service)),
    );
    drop(secret);
    if let Err(e) = verified {
        let err = auth_error(service, AuthFailure::Sig(e));
        // iamd's extension (issue #14): a bad signature with a known access key id is recorded,
        // so that key guessing is visible.
        if state.audit.is_some() {
            caller.origin = crate::origin::request_origin(
                parts.extensions.get(),
                &parts.headers,
                &state.trusted_proxies,
            );
            let region = auth.region().to_owned();
            audit_unrun(
                state, service, parts, query, body, &region, request_id, caller, &err, true,
            );
        }
        return (service, "", Err(err));
    }
    let region = auth.region().to_owned();
    // Last use (issue #14): every authenticated request counts, whatever the operation's outcome
    // (AWS counts attempts, denied ones included). In memory only; flushed in the background.
    state
        .core
        .iam
        .last_used
        .record_request(&caller, service.signing_name(), &region, now);
    caller.origin = crate::origin::request_origin(
        parts.extensions.get(),
        &parts.headers,
        &state.trusted_proxies,
    );

    // 2. Decoding.
    let decoded = match service.protocol() {
        Protocol::Query => {
            let mut params: Vec<(String, String)> = iamd_api::parse_form(query.as_bytes());
            if parts.method == axum::http::Method::POST {
                params.extend(iamd_api::parse_form(body));
            }
            params.retain(|(k, _)| !is_auth_param(k));
            iamd_api::decode_query(service, &params)
        }
        Protocol::Json11 => iamd_api::decode_json(service, target.unwrap_or(""), body),
    };
    let (op, input) = match decoded {
        Ok(d) => d,
        Err(e) => {
            audit_unrun(
                state, service, parts, query, body, &region, request_id, caller, &e, false,
            );
            return (service, "", Err(e));
        }
    };

    // The audit event's request-side facts, captured before the input moves on: parameters
    // redacted here, so no secret value outlives the request (iamd-audit).
    let audit = state.audit.as_ref().map(|a| {
        (
            a.clone(),
            caller.clone(),
            iamd_audit::Pending::new(
                service,
                op.name,
                &region,
                request_id,
                &caller.account,
                &input,
            ),
        )
    });

    // 3. Resolve, authorize and run the operation: on a blocking thread unless it is an
    //    in-memory hot path.
    let core = state.core.clone();
    let (result, writes): (Result<Value, SvcError>, bool) = async {
        let dispatch = match core.dispatch(op) {
            Ok(d) => d,
            Err(e) => return (Err(e), false),
        };
        let writes = dispatch.writes_ever();
        // Kept to run the request again on the blocking pool if its in-memory attempt needs the store.
        let retry_input = input.clone();
        let prepared = match core.prepare(dispatch, input) {
            Ok(p) => p,
            Err(e) => return (Err(e), writes),
        };
        let inline = !prepared.blocking() && implicit_account.is_none();
        let mut prepared = Some(prepared);
        let mut result: Option<Result<Value, SvcError>> = None;
        if inline && let Some(p) = prepared.take() {
            // An in-memory hot path: run it here unless it turns out to need the store (a cold
            // cache), which it cannot touch on an async worker; then it runs again below.
            let (out, refused) = iamd_store::without_blocking(|| core.run(p, &caller, &region));
            if !refused {
                result = Some(out);
            }
        }
        let result = match result {
            Some(r) => r,
            None => {
                let core2 = core.clone();
                let region = region.clone();
                tokio::task::spawn_blocking(move || {
                    if let Some(acct) = implicit_account {
                        core2.accounts.ensure_account(&acct, core2.now())?;
                    }
                    let prepared = match prepared {
                        Some(p) => p,
                        None => core2.prepare(dispatch, retry_input)?,
                    };
                    core2.run(prepared, &caller, &region)
                })
                .await
                .unwrap_or_else(|e| Err(SvcError::Internal(format!("worker failed: {e}"))))
            }
        };
        (result, writes)
    }
    .await;
    let result = result.map_err(|e| to_api_error(service, &e));
    if let Some((auditor, audit_caller, pending)) = audit {
        let outcome = match &result {
            Ok(v) => Ok(v),
            Err(e) => Err((e.code.as_ref(), e.message.as_str())),
        };
        let facts = pending.finish(audit_caller, core.now(), outcome);
        if writes && result.is_ok() {
            // A mutating request's event is committed before its response is sent (group
            // commit with the other requests waiting).
            if let Err(e) = auditor.submit_durable(facts).await {
                tracing::error!(request_id = %request_id, error = %e, "audit event of a mutating request not stored");
            }
        } else {
            auditor.submit(facts);
        }
    }
    match result {
        Ok(value) => {
            let body = match service.protocol() {
                Protocol::Query => iamd_api::encode_query_response(service, op, &value, request_id),
                Protocol::Json11 => iamd_api::encode_json_response(op, &value),
            };
            (service, op.name, Ok(render(service, 200, body, request_id)))
        }
        Err(e) => (service, op.name, Err(e)),
    }
}

/// The audit event of an authenticated caller's request that never ran: its input failed to
/// decode (a validation error), or — `signature_failed`, iamd's extension — its signature did not
/// verify. Recorded when the action names an operation of the service's model; no parameter is
/// recorded (the input was not decoded, so nothing could be redacted).
#[allow(
    clippy::too_many_arguments,
    reason = "the request's parts, as `run` holds them"
)]
fn audit_unrun(
    state: &Arc<AppState>,
    service: Service,
    parts: &axum::http::request::Parts,
    query: &str,
    body: &[u8],
    region: &str,
    request_id: &str,
    caller: Caller,
    err: &ApiError,
    signature_failed: bool,
) {
    let Some(auditor) = &state.audit else { return };
    let action: Option<String> = match service.protocol() {
        Protocol::Query => {
            let mut params = iamd_api::parse_form(query.as_bytes());
            if parts.method == axum::http::Method::POST {
                params.extend(iamd_api::parse_form(body));
            }
            params
                .into_iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v)
        }
        Protocol::Json11 => parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.rsplit('.').next())
            .map(str::to_owned),
    };
    let Some(op) = action.as_deref().and_then(|a| service.operation(a)) else {
        return;
    };
    let account = caller.account.clone();
    let mut facts = iamd_audit::Pending::new(
        service,
        op.name,
        region,
        request_id,
        &account,
        &Value::empty(),
    )
    .finish(
        caller,
        state.core.now(),
        Err((err.code.as_ref(), err.message.as_str())),
    );
    if signature_failed {
        facts.additional_event_data = serde_json::json!({ "iamdSignatureVerified": false });
    }
    auditor.submit(facts);
}
