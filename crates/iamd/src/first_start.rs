//! What `iamd serve` checks and does on the store before it serves: the store's mode must be
//! this start's (a `--dev` store is never served as production, nor the reverse), and the
//! bootstrap step runs or says in the log why it did not.

use iamd_service::Iamd;
use iamd_service::store_mode::{self, Claimed, Mismatch, StoreMode};
use iamd_store::Store;
use std::path::Path;

/// `2026-12-03T14:25:56Z`, or `an unknown time`.
fn date(secs: Option<i64>) -> String {
    secs.and_then(|s| {
        iamd_service::timestamps::at(s)
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_else(|| "an unknown time".to_owned())
}

/// How messages name the store: the data directory for the default SQLite store, the (redacted)
/// URL otherwise.
pub fn place(data_dir: &Path, store_url: Option<&str>) -> String {
    match store_url {
        Some(url) => format!("the store {}", iamd_store::redacted_url(url)),
        None => data_dir.display().to_string(),
    }
}

/// The text `iamd serve` refuses to start with when the store was created in the other mode.
pub fn refusal(place: &str, m: &Mismatch) -> String {
    let inferred = m.inferred.map_or(String::new(), |why| {
        format!(" (it predates the mode mark; its mode was inferred from its contents: {why})")
    });
    match m.store {
        StoreMode::Dev => format!(
            "iamd: {place} holds a --dev store (created {}){inferred}; served without --dev it \
             would refuse `test`/`test` and bootstrap no management account, locking you out. \
             Serve it with --dev, or start production on another --data-dir / store URL.",
            date(m.since)
        ),
        StoreMode::Production => format!(
            "iamd: {place} holds a production store (created {}{}){inferred}; with --dev, \
             `test`/`test` would be the root of any account in it. Serve it without --dev, or \
             start --dev on another --data-dir / store URL.",
            date(m.since),
            m.management_account
                .as_deref()
                .map_or(String::new(), |a| format!(", management account {a}"))
        ),
    }
}

/// Compares the store's mode with this start's, recording it on a new store; `Err` with the
/// refusal when they differ.
pub fn check_mode(store: &dyn Store, dev: bool, now: i64, place: &str) -> Result<(), String> {
    let claimed = store_mode::claim(store, dev, now)
        .map_err(|e| format!("reading the store's mode: {e}"))?
        .map_err(|m| refusal(place, &m))?;
    let mode = if dev { "--dev" } else { "production" };
    match claimed {
        Claimed::New => tracing::info!("store: new; marked as a {mode} store"),
        Claimed::Marked { since } => {
            tracing::info!("store: a {mode} store, created {}", date(Some(since)))
        }
        Claimed::Inferred { why } => tracing::info!(
            "store: from before the mode mark; marked as a {mode} store, since {why}"
        ),
    }
    Ok(())
}

/// The bootstrap step. Without `--dev`, on a store without a management account: creates it and
/// its root key and writes them once to `<data-dir>/bootstrap-credentials.json`. Every other
/// start logs that it skipped the step, and why.
pub fn bootstrap(
    core: &Iamd,
    store: &dyn Store,
    data_dir: &Path,
    account_id: Option<&str>,
    dev: bool,
) -> Result<(), String> {
    if dev {
        tracing::info!(
            "bootstrap: skipped — --dev: `test`/`test` is the root of account 000000000000 (and any 12-digit key id with secret `test` the root of that account), so no management account is created and no credentials file is written; `iamd bootstrap env --dev` prints them as environment variables"
        );
        if let Some(id) = account_id {
            tracing::warn!(
                "--account-id {id} is ignored with --dev: dev accounts are created on first use"
            );
        }
        return Ok(());
    }
    let now = core.now();
    if let Some(creds) = core
        .accounts
        .bootstrap(account_id, now)
        .map_err(|e| format!("bootstrap: {e}"))?
    {
        let path = crate::serve::write_bootstrap(data_dir, &creds)?;
        let shown = std::fs::canonicalize(&path).unwrap_or(path);
        if let Err(e) = store_mode::record_bootstrap_file(store, &shown.display().to_string()) {
            tracing::warn!(error = %e, "bootstrap: cannot record where the credentials were written");
        }
        tracing::info!(
            account = %creds.account_id,
            access_key_id = %creds.access_key_id,
            path = %shown.display(),
            "bootstrap: created the management account and its root access key; the credentials are in this file (mode 0600); `iamd bootstrap env` prints them as environment variables"
        );
        return Ok(());
    }
    let management = store_mode::management_account(store)
        .map_err(|e| format!("bootstrap: reading the management account: {e}"))?;
    let recorded = store_mode::bootstrap_file(store).ok().flatten();
    let here = data_dir.join("bootstrap-credentials.json");
    let file = match recorded {
        Some(p) if Path::new(&p).exists() => format!(
            "its credentials were written once to {p} (still there; `iamd bootstrap env` prints them as environment variables)"
        ),
        Some(p) => format!(
            "its credentials were written once to {p}, which is not on this machine any more (another node's data directory, or moved)"
        ),
        None if here.exists() => format!(
            "its credentials were written once to {} (still there)",
            here.display()
        ),
        None => "its credentials were written once to the bootstrap-credentials.json of the data directory that first served it".to_owned(),
    };
    match management {
        Some((account, created)) => {
            if let Some(id) = account_id
                && id != account
            {
                tracing::warn!(
                    "--account-id {id} is ignored: the store's management account is {account}"
                );
            }
            tracing::info!(
                account = %account,
                "bootstrap: skipped — the store already has its management account {account} (created {}); {file}",
                date(created)
            );
        }
        None => tracing::info!("bootstrap: skipped — the store already holds accounts; {file}"),
    }
    Ok(())
}
