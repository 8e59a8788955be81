//! `iamd`: the server binary.

// Issue #12: cedar's lints (as in iamd-store).
#![deny(
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::allow_attributes_without_reason
)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audit_cmd;
mod audit_query;
mod bootstrap_cmd;
mod datadir;
mod first_start;
mod policy_cmd;
mod rotation_webhook;
mod rotators;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "iamd",
    version,
    about = "Self-hostable, AWS-compatible IAM, STS and Secrets Manager server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the AWS APIs (IAM, STS, Secrets Manager) over HTTP.
    Serve(Box<serve::ServeArgs>),
    /// Validate and simulate IAM policies offline, with the same engine the server uses.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// The management account root's credentials, for people: `export` lines or an aws CLI
    /// profile.
    #[command(subcommand)]
    Bootstrap(bootstrap_cmd::BootstrapCommand),
    /// The audit log: `iamd audit dump` prints the stored events.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(*args),
        Command::Policy(cmd) => policy_cmd::run(cmd),
        Command::Bootstrap(cmd) => bootstrap_cmd::run(cmd),
        Command::Audit(cmd) => audit_cmd::run(cmd),
    }
}

#[cfg(test)]
mod tests {
    /// clap checks its definitions only when a command line is parsed, by panicking: two flags
    /// with one id (merged from two modules) broke every `iamd` command once, caught only by the
    /// e2e suite. This checks them in the unit tests.
    #[test]
    fn the_command_line_definition_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
