//! The built-in rotators `iamd serve` offers (issue #18): `password` always, the PostgreSQL
//! rotators always (they connect only to the databases `--rotation-postgres-allow` lists, and to
//! loopback in --dev), the `webhook` rotator when its flags configure it
//! (`crate::rotation_webhook`).

use crate::rotation_webhook::WebhookArgs;
use clap::Args;
use iamd_rotators::{
    PasswordRotator, PostgresAlternatingUsers, PostgresOptions, PostgresSingleUser, Rotator,
    Rotators,
};
use std::path::PathBuf;

#[derive(Args, Debug, Default)]
pub struct PostgresArgs {
    /// A database the PostgreSQL rotators may connect to: `host` (any port) or `host:port`
    /// (`[v6]:port`); repeatable, or comma-separated in the environment. The host a rotation
    /// connects to comes from the secret, which whoever may call RotateSecret chooses: only
    /// listed databases are reached (loopback too in --dev). See docs/rotation-postgresql.md.
    #[arg(
        long = "rotation-postgres-allow",
        env = "IAMD_ROTATION_POSTGRES_ALLOW",
        value_delimiter = ',',
        value_name = "HOST[:PORT]"
    )]
    postgres_allow: Vec<String>,
    /// PEM file of the CA certificates database servers' certificates must chain to when a
    /// secret asks for TLS (default: the system's CA bundle).
    #[arg(
        long = "rotation-postgres-ca-file",
        env = "IAMD_ROTATION_POSTGRES_CA_FILE",
        value_name = "PATH"
    )]
    postgres_ca_file: Option<PathBuf>,
}

/// The rotators these flags configure, or a message for the operator when a flag is wrong.
pub fn rotators(
    webhook: &WebhookArgs,
    postgres: &PostgresArgs,
    dev: bool,
) -> Result<Rotators, String> {
    for rule in &postgres.postgres_allow {
        let bad = rule.is_empty()
            || rule.contains("://")
            || rule.contains(char::is_whitespace)
            || rule.contains(['/', '@', '?', '#'])
            || rule.rsplit_once(':').is_some_and(|(h, p)| {
                (!h.contains(':') || h.starts_with('[')) && p.parse::<u16>().is_err()
            });
        if bad {
            return Err(format!(
                "--rotation-postgres-allow `{rule}`: expected a host name or address, optionally with :port (e.g. db.internal or db.internal:5432)"
            ));
        }
    }
    if let Some(ca) = &postgres.postgres_ca_file
        && !ca.is_file()
    {
        return Err(format!(
            "--rotation-postgres-ca-file {}: no such file",
            ca.display()
        ));
    }
    let options = PostgresOptions {
        root_cert: postgres.postgres_ca_file.clone(),
        allowed_hosts: postgres.postgres_allow.clone(),
        allow_loopback: dev,
    };
    let mut list: Vec<Box<dyn Rotator>> = vec![
        Box::new(PasswordRotator),
        Box::new(PostgresSingleUser::new(options.clone())),
        Box::new(PostgresAlternatingUsers::new(options)),
    ];
    if let Some(w) = crate::rotation_webhook::rotator(webhook, dev)? {
        list.push(Box::new(w));
    }
    Ok(Rotators::new(list))
}
