//! `iamd audit dump`: every stored audit event, oldest first, one CloudTrail record (JSON) a
//! line, read straight from the store (the server may be running: SQLite readers do not block
//! it, and PostgreSQL is shared).

use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Print every stored event as a JSON line (`{"Records"}` members), oldest first.
    Dump(DumpArgs),
}

#[derive(Args, Debug)]
pub struct DumpArgs {
    /// The data directory of `iamd serve` (its `iamd.db`).
    #[arg(long, env = "IAMD_DATA_DIR", default_value = "./iamd-data")]
    data_dir: PathBuf,
    /// Store URL, as `iamd serve --store` (default: `sqlite:<data-dir>/iamd.db`).
    #[arg(long, env = "IAMD_STORE")]
    store: Option<String>,
    /// Only this account's events (`recipientAccountId`).
    #[arg(long)]
    account: Option<String>,
}

pub fn run(cmd: AuditCommand) -> ExitCode {
    match cmd {
        AuditCommand::Dump(args) => match dump(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("iamd audit dump: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn dump(args: &DumpArgs) -> Result<(), String> {
    let url = args
        .store
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", args.data_dir.join("iamd.db").display()));
    if url.starts_with("sqlite:") && !args.data_dir.join("iamd.db").exists() && args.store.is_none()
    {
        return Err(format!("no database in {}", args.data_dir.display()));
    }
    let store = iamd_store::open_url(&url)
        .map_err(|e| format!("opening store {}: {e}", iamd_store::redacted_url(&url)))?;
    let mut out = std::io::stdout().lock();
    let mut after = 0;
    loop {
        let rows = store
            .audit_scan(after, 1000)
            .map_err(|e| format!("reading events: {e}"))?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in &rows {
            if args.account.as_ref().is_some_and(|a| *a != r.account) {
                continue;
            }
            writeln!(out, "{}", r.record).map_err(|e| e.to_string())?;
        }
    }
    out.flush().map_err(|e| e.to_string())
}
