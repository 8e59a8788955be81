//! `webhook`: each rotation step POSTed, signed, to an HTTPS endpoint the operator allowed, for
//! systems iamd has no rotator of its own for. The contract receivers implement is
//! docs/rotation-webhook.md; in short:
//!
//! - the endpoint is the secret's [`URL_TAG`] tag, or the server's default URL, and must be at
//!   or below a URL prefix of the operator's allow list (checked before any connection);
//! - the body is AWS's Lambda rotation event, `{"Step", "SecretId", "ClientRequestToken"}`, plus
//!   `PendingSecretString` at setSecret and testSecret;
//! - createSecret's answer may carry `{"SecretString": ...}`, the new value; otherwise iamd makes
//!   one as the `password` rotator does;
//! - a step succeeds on a 2xx answer and fails on anything else, redirects included;
//! - every request carries `X-Iamd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//!   `<t>.<body>` with the shared key (see [`sign`]).
//!
//! finishSecret is iamd's own (the engine moves the labels), so it is not sent.

// Cedar's lints, as iamd-store and the server binary have them (issue #12).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

mod http;
pub mod sign;
pub mod url;

use crate::{PasswordRotator, RotationError, RotationHost, Rotator, Step, Values};
use bytes::Bytes;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use url::{Scheme, Url};
use zeroize::Zeroizing;

/// The secret's tag that names its endpoint.
pub const URL_TAG: &str = "iamd:rotator:webhook-url";
/// The shortest signing key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;
/// AWS's limit on a `SecretString`, in bytes.
const MAX_SECRET_STRING_BYTES: usize = 65_536;

/// The server's configuration of the webhook rotator.
pub struct WebhookConfig {
    /// URL prefixes (`https://host[:port][/path]`) that endpoints must be at or below.
    pub allow: Vec<String>,
    /// The endpoint of secrets without the [`URL_TAG`] tag; it must be on the allow list too.
    pub default_url: Option<String>,
    /// The HMAC-SHA256 key shared with the receivers, at least [`MIN_KEY_BYTES`] bytes.
    pub signing_key: Zeroizing<Vec<u8>>,
    /// A PEM file of CA certificates trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// `--dev`: plain `http://` to 127.0.0.1, localhost or ::1 is allowed too.
    pub dev: bool,
    /// TCP connect and TLS handshake.
    pub connect_timeout: Duration,
    /// A whole request, from connecting to the last byte of the answer.
    pub total_timeout: Duration,
    /// The largest answer body read.
    pub max_response_bytes: usize,
}

impl WebhookConfig {
    /// The defaults: no default URL, no extra CA, not dev, 5 s to connect, 30 s in all, 64 KiB
    /// answers.
    pub fn new(allow: Vec<String>, signing_key: Zeroizing<Vec<u8>>) -> Self {
        Self {
            allow,
            default_url: None,
            signing_key,
            ca_file: None,
            dev: false,
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_response_bytes: 64 * 1024,
        }
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("allow", &self.allow)
            .field("default_url", &self.default_url)
            .field("signing_key", &"<redacted>")
            .field("ca_file", &self.ca_file)
            .field("dev", &self.dev)
            .field("connect_timeout", &self.connect_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// A configuration iamd cannot start with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WebhookConfigError(pub String);

/// The `webhook` rotator.
pub struct Webhook {
    allow: Vec<Url>,
    default_url: Option<Url>,
    key: Zeroizing<Vec<u8>>,
    dev: bool,
    client: http::Client,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("allow", &self.allow)
            .field("default_url", &self.default_url)
            .field("dev", &self.dev)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// Checks the configuration (every URL, the key, the CA file) and loads the trusted CAs.
    pub fn new(config: WebhookConfig) -> Result<Webhook, WebhookConfigError> {
        let bad = |m: String| Err(WebhookConfigError(m));
        if config.allow.is_empty() {
            return bad("the webhook rotator needs at least one allowed URL prefix (--rotation-webhook-allow)".into());
        }
        let mut allow = Vec::with_capacity(config.allow.len());
        for entry in &config.allow {
            let url = Url::parse(entry).map_err(|e| {
                WebhookConfigError(format!("--rotation-webhook-allow `{entry}`: {e}"))
            })?;
            if let Some(reason) = scheme_refusal(&url, config.dev) {
                return bad(format!("--rotation-webhook-allow `{entry}`: {reason}"));
            }
            if url.query.is_some() || entry.contains('?') {
                return bad(format!(
                    "--rotation-webhook-allow `{entry}`: an allowed prefix is an origin and a path, without a query"
                ));
            }
            allow.push(url);
        }
        let default_url = match &config.default_url {
            None => None,
            Some(text) => {
                let url = Url::parse(text)
                    .map_err(|e| WebhookConfigError(format!("--rotation-webhook-url: {e}")))?;
                if let Some(reason) = scheme_refusal(&url, config.dev) {
                    return bad(format!("--rotation-webhook-url: {reason}"));
                }
                if !allow.iter().any(|a| url.is_under(a)) {
                    return bad(format!(
                        "--rotation-webhook-url {url} is not at or below any --rotation-webhook-allow prefix"
                    ));
                }
                Some(url)
            }
        };
        if config.signing_key.len() < MIN_KEY_BYTES {
            return bad(format!(
                "the webhook signing key must be at least {MIN_KEY_BYTES} bytes (e.g. `openssl rand -hex 32`)"
            ));
        }
        if config.connect_timeout.is_zero()
            || config.total_timeout.is_zero()
            || config.max_response_bytes == 0
        {
            return bad("the webhook timeouts and response limit must be more than 0".into());
        }
        let tls = if allow.iter().any(|u| u.scheme == Scheme::Https) {
            Some(tls_config(config.ca_file.as_deref())?)
        } else {
            None
        };
        Ok(Webhook {
            allow,
            default_url,
            key: config.signing_key,
            dev: config.dev,
            client: http::Client {
                tls,
                connect_timeout: config.connect_timeout,
                total_timeout: config.total_timeout,
                max_response_bytes: config.max_response_bytes,
            },
        })
    }

    /// The secret's endpoint, refused unless allowed: nothing is sent before this passes.
    fn endpoint(&self, host: &dyn RotationHost) -> Result<Url, RotationError> {
        let tagged = host
            .tags()
            .iter()
            .find(|(k, _)| k == URL_TAG)
            .map(|(_, v)| v.as_str());
        let url = match (tagged, &self.default_url) {
            (Some(text), _) => Url::parse(text).map_err(|e| {
                RotationError::new(format!("the tag {URL_TAG} is not a usable URL: {e}"))
            })?,
            (None, Some(url)) => url.clone(),
            (None, None) => {
                return Err(RotationError::new(format!(
                    "the secret has no webhook endpoint: tag it with {URL_TAG}, or start iamd with --rotation-webhook-url"
                )));
            }
        };
        if let Some(reason) = scheme_refusal(&url, self.dev) {
            return Err(RotationError::new(format!("webhook {url}: {reason}")));
        }
        if !self.allow.iter().any(|a| url.is_under(a)) {
            return Err(RotationError::new(format!(
                "webhook {url} is not on the server's allow list (--rotation-webhook-allow)"
            )));
        }
        Ok(url)
    }

    /// Sends one step; `Ok` with the answer's body on a 2xx answer.
    fn call(
        &self,
        host: &dyn RotationHost,
        step: Step,
        pending: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>, RotationError> {
        let url = self.endpoint(host)?;
        let fail = |what: String| {
            RotationError::new(format!("webhook {} to {url}: {what}", step.as_str()))
        };
        let event = Event {
            step: step.as_str(),
            secret_id: host.secret_arn(),
            client_request_token: host.token(),
            pending_secret_string: pending,
        };
        // Sized for the worst case (every character of the value escaped as `\uXXXX`), so the
        // buffer never grows and leaves an uncleared copy behind.
        let room = 128
            + 6 * (event.secret_id.len()
                + event.client_request_token.len()
                + pending.map_or(0, str::len));
        let mut body = Zeroizing::new(Vec::with_capacity(room));
        serde_json::to_writer(&mut *body, &event)
            .map_err(|e| fail(format!("encoding the event: {e}")))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let signature = sign::header_value(&self.key, now, &body);
        // The body's last copy is cleared when the transport drops it.
        let response = self
            .client
            .post(&url, &[(sign::HEADER, signature)], Bytes::from_owner(body))
            .map_err(|f| {
                fail(match f {
                    http::Failure::Connect(e) => format!("cannot connect: {e}"),
                    http::Failure::ConnectTimeout => format!(
                        "no connection within {}",
                        seconds(self.client.connect_timeout)
                    ),
                    http::Failure::Tls(e) => format!("TLS: {e}"),
                    http::Failure::Http(e) => format!("HTTP: {e}"),
                    http::Failure::TotalTimeout => {
                        format!("no answer within {}", seconds(self.client.total_timeout))
                    }
                    http::Failure::TooLarge => format!(
                        "the answer is larger than {} bytes",
                        self.client.max_response_bytes
                    ),
                    http::Failure::Internal(e) => e,
                })
            })?;
        let status = response.status;
        if !(200..300).contains(&status) {
            let reason = hyper::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let redirect = if (300..400).contains(&status) {
                ": redirects are not followed"
            } else {
                ""
            };
            return Err(fail(format!("answered HTTP {status}{reason}{redirect}")));
        }
        Ok(response.body)
    }
}

/// Why a URL's scheme is refused, if it is: plain HTTP only in `--dev`, only to loopback.
fn scheme_refusal(url: &Url, dev: bool) -> Option<&'static str> {
    match url.scheme {
        Scheme::Https => None,
        Scheme::Http if dev && url.is_loopback() => None,
        Scheme::Http if dev => Some(
            "http:// is allowed only to 127.0.0.1, localhost or [::1] (and only in --dev); use https://",
        ),
        Scheme::Http => Some("http:// is allowed only in --dev mode; use https://"),
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// The request body: AWS's rotation event, and the pending value where the step needs it.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Event<'a> {
    step: &'a str,
    secret_id: &'a str,
    client_request_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_secret_string: Option<&'a str>,
}

/// The system's CA certificates and the operator's CA file, for rustls with ring, TLS 1.2/1.3.
fn tls_config(
    ca_file: Option<&std::path::Path>,
) -> Result<Arc<rustls::ClientConfig>, WebhookConfigError> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable or unparsable system certificates are skipped, as OpenSSL skips them.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let err = |e: String| {
            WebhookConfigError(format!(
                "--rotation-webhook-ca-file {}: {e}",
                path.display()
            ))
        };
        let mut added = 0usize;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))? {
            roots
                .add(cert.map_err(|e| err(e.to_string()))?)
                .map_err(|e| err(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(err("holds no PEM certificate".into()));
        }
    }
    if roots.is_empty() {
        return Err(WebhookConfigError(
            "no CA certificate to trust for https:// webhooks: the system has none (install ca-certificates) and --rotation-webhook-ca-file is not given".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| WebhookConfigError(format!("webhook TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl Rotator for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    /// The receiver's `SecretString` if it answers with one, else a value made as the
    /// `password` rotator makes it.
    fn create_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<Zeroizing<String>, RotationError> {
        let body = self.call(host, Step::CreateSecret, None)?;
        match supplied_value(&body)? {
            Some(value) => Ok(value),
            None => PasswordRotator.create_secret(host, values),
        }
    }

    fn set_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<(), RotationError> {
        self.call(host, Step::SetSecret, Some(pending(values)?))
            .map(drop)
    }

    fn test_secret(
        &self,
        host: &dyn RotationHost,
        values: &Values<'_>,
    ) -> Result<(), RotationError> {
        self.call(host, Step::TestSecret, Some(pending(values)?))
            .map(drop)
    }
}

fn pending<'a>(values: &Values<'a>) -> Result<&'a str, RotationError> {
    values
        .pending
        .filter(|p| !p.is_empty())
        .ok_or_else(|| RotationError::new("the pending version has no value"))
}

/// createSecret's answer: a JSON object's `SecretString`, if it has one. A body that is empty or
/// not a JSON object supplies nothing; a `SecretString` that is not a usable value is an error.
fn supplied_value(body: &[u8]) -> Result<Option<Zeroizing<String>>, RotationError> {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(body) else {
        return Ok(None);
    };
    let refuse = |why: &str| {
        Err(RotationError::new(format!(
            "webhook createSecret: the answer's SecretString {why}"
        )))
    };
    match object.remove("SecretString") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => {
            let s = Zeroizing::new(s);
            if s.is_empty() {
                refuse("is empty")
            } else if s.len() > MAX_SECRET_STRING_BYTES {
                refuse("is longer than 65536 bytes")
            } else {
                Ok(Some(s))
            }
        }
        Some(_) => refuse("is not a string"),
    }
}

#[cfg(test)]
mod tests;
