//! `iamd serve`'s flags for the `webhook` rotator (issue #18; the contract is
//! docs/rotation-webhook.md). Without `--rotation-webhook-allow` the rotator is not offered; with
//! it, every flag is checked at startup and a bad one stops the server with a clear message.

use clap::Args;
use iamd_rotators::webhook::{Webhook, WebhookConfig};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(Args, Debug, Default)]
pub struct WebhookArgs {
    /// Offer the `webhook` rotator (RotationLambdaARN `…:function:iamd-rotator-webhook`), POSTing
    /// to endpoints at or below this URL prefix (`https://host[:port]/path`; repeatable, or
    /// comma-separated in the environment). A secret's endpoint is its
    /// `iamd:rotator:webhook-url` tag or `--rotation-webhook-url`. Only https://, except
    /// `http://127.0.0.1`/`localhost` in --dev.
    #[arg(
        long = "rotation-webhook-allow",
        env = "IAMD_ROTATION_WEBHOOK_ALLOW",
        value_delimiter = ',',
        value_name = "URL_PREFIX"
    )]
    allow: Vec<String>,
    /// The endpoint of secrets without an `iamd:rotator:webhook-url` tag; it must be on the
    /// allow list too.
    #[arg(
        long = "rotation-webhook-url",
        env = "IAMD_ROTATION_WEBHOOK_URL",
        value_name = "URL"
    )]
    url: Option<String>,
    /// File holding the key that signs every webhook request (HMAC-SHA256, at least 32 bytes;
    /// trailing newlines ignored; e.g. `openssl rand -hex 32`). Required with
    /// --rotation-webhook-allow.
    #[arg(
        long = "rotation-webhook-secret-file",
        env = "IAMD_ROTATION_WEBHOOK_SECRET_FILE",
        value_name = "PATH"
    )]
    secret_file: Option<PathBuf>,
    /// PEM file of CA certificates trusted for webhook endpoints besides the system's.
    #[arg(
        long = "rotation-webhook-ca-file",
        env = "IAMD_ROTATION_WEBHOOK_CA_FILE",
        value_name = "PATH"
    )]
    ca_file: Option<PathBuf>,
}

/// The webhook rotator these flags configure, `None` when they configure none; a message for
/// the operator when they are wrong.
pub fn rotator(args: &WebhookArgs, dev: bool) -> Result<Option<Webhook>, String> {
    if args.allow.is_empty() {
        let stray = [
            ("--rotation-webhook-url", args.url.is_some()),
            ("--rotation-webhook-secret-file", args.secret_file.is_some()),
            ("--rotation-webhook-ca-file", args.ca_file.is_some()),
        ];
        return match stray.iter().find(|(_, given)| *given) {
            Some((flag, _)) => Err(format!(
                "{flag} needs --rotation-webhook-allow (the URL prefixes webhook endpoints must be under)"
            )),
            None => Ok(None),
        };
    }
    let Some(path) = &args.secret_file else {
        return Err(
            "--rotation-webhook-allow needs --rotation-webhook-secret-file: webhook requests are always signed"
                .into(),
        );
    };
    let key = read_key(path)?;
    let mut config = WebhookConfig::new(args.allow.clone(), key);
    config.default_url = args.url.clone();
    config.ca_file = args.ca_file.clone();
    config.dev = dev;
    let webhook = Webhook::new(config).map_err(|e| e.to_string())?;
    tracing::info!(
        allow = ?args.allow,
        default_url = args.url.as_deref().unwrap_or("none"),
        "the webhook rotator is offered"
    );
    Ok(Some(webhook))
}

/// The signing key: the file's bytes less trailing CR/LF (so `openssl rand -hex 32 > FILE`
/// works), never logged.
fn read_key(path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut key = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| format!("--rotation-webhook-secret-file {}: {e}", path.display()))?,
    );
    while key.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        key.pop();
    }
    warn_if_readable_by_others(path);
    Ok(key)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the webhook signing key file can be read by other users: chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(allow: &[&str], secret_file: Option<PathBuf>) -> WebhookArgs {
        WebhookArgs {
            allow: allow.iter().map(|s| (*s).to_owned()).collect(),
            secret_file,
            ..WebhookArgs::default()
        }
    }

    #[test]
    fn no_flags_no_rotator() {
        assert!(rotator(&WebhookArgs::default(), false).unwrap().is_none());
    }

    #[test]
    fn flags_without_an_allow_list_are_refused() {
        let a = WebhookArgs {
            url: Some("https://hooks.example.com/".into()),
            ..WebhookArgs::default()
        };
        assert_eq!(
            rotator(&a, false).unwrap_err(),
            "--rotation-webhook-url needs --rotation-webhook-allow (the URL prefixes webhook endpoints must be under)"
        );
    }

    #[test]
    fn the_key_file_is_required_and_read_without_trailing_newlines() {
        assert!(
            rotator(&args(&["https://hooks.example.com/"], None), false)
                .unwrap_err()
                .contains("needs --rotation-webhook-secret-file")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, format!("{}\r\n", "ab".repeat(16))).unwrap();
        assert_eq!(read_key(&path).unwrap().len(), 32);
        std::fs::write(&path, format!("{}\n", "ab".repeat(15))).unwrap();
        assert_eq!(
            rotator(&args(&["http://127.0.0.1:9/"], Some(path.clone())), true).unwrap_err(),
            "the webhook signing key must be at least 32 bytes (e.g. `openssl rand -hex 32`)"
        );
        std::fs::write(&path, "ab".repeat(32)).unwrap();
        assert!(
            rotator(&args(&["http://127.0.0.1:9/"], Some(path.clone())), true)
                .unwrap()
                .is_some()
        );
        assert!(
            rotator(&args(&["http://127.0.0.1:9/"], Some(path)), false)
                .unwrap_err()
                .contains("http:// is allowed only in --dev mode")
        );
        assert!(
            rotator(
                &args(
                    &["https://hooks.example.com/"],
                    Some(dir.path().join("none"))
                ),
                false
            )
            .unwrap_err()
            .starts_with("--rotation-webhook-secret-file ")
        );
    }
}
