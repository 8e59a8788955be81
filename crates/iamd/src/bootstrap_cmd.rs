//! `iamd bootstrap env`: the bootstrap root's credentials in the forms people use them — `export`
//! lines for a shell, or a profile of the aws CLI and the SDKs.

use crate::serve::write_private;
use clap::{Args, Subcommand};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

#[derive(Subcommand, Debug)]
pub enum BootstrapCommand {
    /// Print the management account root's credentials as `export AWS_…` lines
    /// (`eval "$(iamd bootstrap env)"`), or with `--profile` write them as an aws CLI profile.
    Env(EnvArgs),
}

#[derive(Args, Debug)]
pub struct EnvArgs {
    /// The data directory `iamd serve` wrote `bootstrap-credentials.json` to.
    #[arg(long, env = "IAMD_DATA_DIR", default_value = "./iamd-data")]
    data_dir: PathBuf,
    /// The dev credentials instead (`test`/`test`, root of account 000000000000): what a
    /// `--dev` server accepts. No file is read.
    #[arg(long, env = "IAMD_DEV", default_value_t = false)]
    dev: bool,
    /// The address `iamd serve` listens on (as its `--listen`): the endpoint is
    /// `http://<address>`, with 127.0.0.1 for 0.0.0.0 (and ::1 for ::).
    #[arg(long, env = "IAMD_LISTEN", default_value = "127.0.0.1:4566")]
    listen: SocketAddr,
    /// The endpoint URL clients should use, when it is not the listen address (TLS, a load
    /// balancer, another host).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The region clients sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Write the credentials to this profile of the aws CLI's credentials file, and the region
    /// and endpoint to its config file (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE; by default
    /// ~/.aws/credentials and ~/.aws/config), replacing a profile of that name; then print
    /// `export AWS_PROFILE=NAME`.
    #[arg(long)]
    profile: Option<String>,
}

/// A credential pair and its account.
struct Creds {
    account: String,
    access_key_id: String,
    secret: Zeroizing<String>,
}

pub fn run(cmd: BootstrapCommand) -> ExitCode {
    match cmd {
        BootstrapCommand::Env(args) => match env(&args) {
            Ok(text) => {
                let mut out = std::io::stdout().lock();
                if out.write_all(text.as_bytes()).is_err() || out.flush().is_err() {
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("iamd: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn env(args: &EnvArgs) -> Result<Zeroizing<String>, String> {
    check_plain("--region", &args.region)?;
    let endpoint = match &args.endpoint_url {
        Some(url) => {
            check_plain("--endpoint-url", url)?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "--endpoint-url must start with http:// or https://, got `{url}`"
                ));
            }
            url.trim_end_matches('/').to_owned()
        }
        None => endpoint_of(args.listen),
    };
    let creds = if args.dev {
        Creds {
            account: "000000000000".into(),
            access_key_id: "test".into(),
            secret: Zeroizing::new("test".into()),
        }
    } else {
        read_bootstrap(&args.data_dir)?
    };
    match &args.profile {
        None => Ok(exports(&creds, &args.region, &endpoint)),
        Some(name) => {
            check_profile_name(name)?;
            let (credentials, config) = aws_files()?;
            write_profile(&credentials, &config, name, &creds, &args.region, &endpoint)?;
            Ok(Zeroizing::new(format!(
                "# iamd: wrote profile `{name}` (root of account {}): credentials to {}, region and endpoint_url to {}\n\
                 unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL\n\
                 export AWS_PROFILE={}\n",
                creds.account,
                credentials.display(),
                config.display(),
                shell_quote(name)
            )))
        }
    }
}

/// `http://127.0.0.1:4566` for `127.0.0.1:4566` or `0.0.0.0:4566`.
fn endpoint_of(listen: SocketAddr) -> String {
    let ip = listen.ip();
    let host = match ip {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_owned(),
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    format!("http://{host}:{}", listen.port())
}

fn read_bootstrap(data_dir: &Path) -> Result<Creds, String> {
    let path = data_dir.join("bootstrap-credentials.json");
    let bytes = match std::fs::read(&path) {
        Ok(b) => Zeroizing::new(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hint = if data_dir.join("iamd.db").exists() {
                "this data directory has a store but no bootstrap file: a --dev store has none \
                 (use `iamd bootstrap env --dev`), and a production store writes it only on its \
                 first start (on a shared PostgreSQL store, in the data directory of the node \
                 that started first)"
            } else {
                "start `iamd serve` (without --dev) on this data directory first, or name the \
                 right one with --data-dir; for a --dev server use `iamd bootstrap env --dev`"
            };
            return Err(format!("{} does not exist: {hint}", path.display()));
        }
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not the JSON iamd wrote: {e}", path.display()))?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("{} has no string field `{name}`", path.display()))
    };
    let creds = Creds {
        account: field("AccountId")?,
        access_key_id: field("AccessKeyId")?,
        secret: Zeroizing::new(field("SecretAccessKey")?),
    };
    check_plain("AccessKeyId", &creds.access_key_id)?;
    check_plain("SecretAccessKey", &creds.secret)?;
    Ok(creds)
}

/// A value that goes on one line of a shell command or an INI file.
fn check_plain(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "{what} must be non-empty, without spaces or control characters"
        ));
    }
    Ok(())
}

fn check_profile_name(name: &str) -> Result<(), String> {
    check_plain("--profile", name)?;
    if name.contains(['[', ']', '#', ';', '=']) {
        return Err(format!(
            "--profile `{name}`: a profile name cannot contain [ ] # ; ="
        ));
    }
    Ok(())
}

/// `'value'`, with any `'` written as `'\''`.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn exports(c: &Creds, region: &str, endpoint: &str) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "# iamd: root of account {account}\n\
         export AWS_ACCESS_KEY_ID={key}\n\
         export AWS_SECRET_ACCESS_KEY={secret}\n\
         export AWS_DEFAULT_REGION={region} AWS_REGION={region}\n\
         export AWS_ENDPOINT_URL={endpoint}\n\
         unset AWS_SESSION_TOKEN AWS_PROFILE\n",
        account = c.account,
        key = shell_quote(&c.access_key_id),
        secret = shell_quote(&c.secret),
        region = shell_quote(region),
        endpoint = shell_quote(endpoint),
    ))
}

/// The aws CLI's credentials and config files, as the CLI and the SDKs find them.
fn aws_files() -> Result<(PathBuf, PathBuf), String> {
    let home = || {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".aws"))
            .ok_or_else(|| {
                "HOME is not set: name the files with AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE"
                    .to_owned()
            })
    };
    let credentials =
        match std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").filter(|v| !v.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => home()?.join("credentials"),
        };
    let config = match std::env::var_os("AWS_CONFIG_FILE").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => home()?.join("config"),
    };
    Ok((credentials, config))
}

fn write_profile(
    credentials: &Path,
    config: &Path,
    name: &str,
    c: &Creds,
    region: &str,
    endpoint: &str,
) -> Result<(), String> {
    let cred_section = Zeroizing::new(format!(
        "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        c.access_key_id, *c.secret
    ));
    let config_header = if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {name}")
    };
    let config_section =
        format!("[{config_header}]\nregion = {region}\nendpoint_url = {endpoint}\n");
    update_ini(credentials, name, &cred_section)?;
    update_ini(config, &config_header, &config_section)
}

/// Replaces the section `[header]` of an INI file (or appends it), keeping every other line;
/// the file is replaced whole (written beside it, then renamed), mode 0600.
fn update_ini(path: &Path, header: &str, section: &str) -> Result<(), String> {
    let old = match std::fs::read(path) {
        Ok(b) => Zeroizing::new(String::from_utf8_lossy(&b).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Zeroizing::new(String::new()),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    let new = Zeroizing::new(replace_section(&old, header, section));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        create_private_dir(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.iamd-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let written = write_private(&tmp, new.as_bytes()).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("writing {}: {e}", path.display()));
    }
    Ok(())
}

/// `old` without its section `[header]` (compared with runs of blanks as one space), with
/// `section` appended.
fn replace_section(old: &str, header: &str, section: &str) -> String {
    let norm = |h: &str| h.split_whitespace().collect::<Vec<_>>().join(" ");
    let wanted = norm(header);
    let mut out = String::with_capacity(old.len() + section.len());
    let mut skipping = false;
    for line in old.lines() {
        let t = line.trim();
        if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            skipping = norm(inner) == wanted;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(section);
    out
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_from_listen_addresses() {
        let e = |s: &str| endpoint_of(s.parse().unwrap());
        assert_eq!(e("127.0.0.1:4566"), "http://127.0.0.1:4566");
        assert_eq!(e("0.0.0.0:80"), "http://127.0.0.1:80");
        assert_eq!(e("[::]:4566"), "http://[::1]:4566");
        assert_eq!(e("10.0.0.5:4566"), "http://10.0.0.5:4566");
    }

    #[test]
    fn a_profile_section_is_replaced_and_the_rest_kept() {
        let old = "[default]\nregion = eu-west-1\n\n[profile iamd]\nregion = x\nendpoint_url = old\n\n[profile other]\nregion = y\n";
        let new = replace_section(old, "profile  iamd", "[profile iamd]\nregion = us-east-1\n");
        assert_eq!(
            new,
            "[default]\nregion = eu-west-1\n\n[profile other]\nregion = y\n\n[profile iamd]\nregion = us-east-1\n"
        );
        assert_eq!(replace_section("", "a", "[a]\nk = v\n"), "[a]\nk = v\n");
    }

    #[test]
    fn quoting_and_names() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert!(check_profile_name("iamd-prod").is_ok());
        for bad in ["", "a b", "a]b", "x\n[default]"] {
            assert!(check_profile_name(bad).is_err(), "{bad:?}");
        }
    }
}
