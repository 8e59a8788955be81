//! Webhook URLs: a deliberately strict parser, one normal form, and the allow list's match.
//!
//! The allow list is the only thing between a tag anyone with `secretsmanager:TagResource` can
//! set and the server's network, so the parser refuses whatever two parsers could read
//! differently rather than normalize it: userinfo (`user@host`), fragments, non-ASCII, spaces,
//! backslashes, dot segments (`/a/../b`, also `..;`) and percent-encoded dots, slashes and
//! backslashes. What it does normalize: the scheme and host to lower case, the scheme's default
//! port dropped (`:443` for https), an empty path to `/`.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Https,
    Http,
}

impl Scheme {
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }

    const fn default_port(self) -> u16 {
        match self {
            Scheme::Https => 443,
            Scheme::Http => 80,
        }
    }
}

/// An absolute `http(s)` URL in normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: Scheme,
    /// Lower case; an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
    /// Starts with `/`.
    pub path: String,
    /// After `?`, when not empty.
    pub query: Option<String>,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
        if text.is_empty() {
            return Err("the URL is empty".into());
        }
        if let Some(c) = text.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(if c.is_ascii() {
                "the URL holds a space or a control character".into()
            } else {
                "the URL holds a non-ASCII character (use the punycode host name)".into()
            });
        }
        if text.contains('#') {
            return Err("a fragment (`#`) is not allowed".into());
        }
        if text.contains('\\') {
            return Err("a backslash is not allowed".into());
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| "the URL must start with https://".to_owned())?;
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else {
            return Err(format!("the scheme `{scheme}` is not https"));
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(end);
        if authority.contains('@') {
            return Err("userinfo (`user@host`) is not allowed".into());
        }
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            None => scheme.default_port(),
            Some(p) => Some(p)
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|n| *n != 0)
                .ok_or_else(|| format!("the port `{p}` is not a number from 1 to 65535"))?,
        };
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let path = if path.is_empty() { "/" } else { path };
        check_path(path)?;
        if let Some(q) = query {
            check_chars(q, "the query", |c| is_pchar(c) || c == '/' || c == '?')?;
        }
        Ok(Url {
            scheme,
            host,
            port,
            path: path.to_owned(),
            query: query.filter(|q| !q.is_empty()).map(str::to_owned),
        })
    }

    /// `127.0.0.1`, `localhost` or `::1`: the hosts `--dev` lets a plain-HTTP webhook use.
    pub fn is_loopback(&self) -> bool {
        matches!(self.host.as_str(), "127.0.0.1" | "localhost" | "::1")
    }

    /// The `Host` header: the host, and the port unless it is the scheme's default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The request target: the path and the query.
    pub fn target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// Whether this URL is at or below `prefix`: the same scheme, host and port, and a path that
    /// is the prefix's path or continues it at a `/` (`/hooks` covers `/hooks` and `/hooks/a`,
    /// never `/hooksevil`). The query is not compared.
    pub fn is_under(&self, prefix: &Url) -> bool {
        if self.scheme != prefix.scheme || self.host != prefix.host || self.port != prefix.port {
            return false;
        }
        match self.path.strip_prefix(prefix.path.as_str()) {
            Some("") => true,
            Some(rest) => prefix.path.ends_with('/') || rest.starts_with('/'),
            None => false,
        }
    }
}

/// The URL without its query (which may hold a token): safe for messages and logs.
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.host_header(),
            self.path
        )
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<&str>), String> {
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    if let Some(rest) = authority.strip_prefix('[') {
        let (addr, after) = rest
            .split_once(']')
            .ok_or_else(|| "an IPv6 host must end with `]`".to_owned())?;
        let addr: Ipv6Addr = addr
            .parse()
            .map_err(|_| format!("`[{addr}]` is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| "only `:PORT` may follow an IPv6 host".to_owned())?,
            ),
        };
        return Ok((addr.to_string(), port));
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    if host.parse::<Ipv4Addr>().is_err() {
        let labels_ok = host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
        if !labels_ok || host.len() > 253 {
            return Err(format!("`{host}` is not a host name or an IP address"));
        }
        // `127.1`, `0x7f.1`, `127.0.0.01`: resolvers read these as IPv4 addresses, so they are
        // refused rather than matched as names (the last label of a name is never numeric).
        let last = host.rsplit('.').next().unwrap_or(host);
        if last.bytes().all(|b| b.is_ascii_digit())
            || (last.len() > 2 && last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x")))
        {
            return Err(format!(
                "`{host}` is neither a host name nor a dotted-quad IPv4 address"
            ));
        }
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// RFC 3986 `pchar` less `%` (escapes are checked apart).
fn is_pchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c)
}

fn check_chars(text: &str, what: &str, ok: impl Fn(char) -> bool) -> Result<(), String> {
    if let Some(c) = text.chars().find(|c| !ok(*c)) {
        return Err(format!("{what} holds `{c}`, which must be percent-encoded"));
    }
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('%') {
        let hex = bytes.get(i + 1..i + 3);
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            return Err(format!("{what} holds a `%` that is not a percent-escape"));
        }
    }
    Ok(())
}

fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("the path must start with `/`".into());
    }
    check_chars(path, "the path", |c| is_pchar(c) || c == '/')?;
    let lower = path.to_ascii_lowercase();
    if ["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e)) {
        return Err("the path holds a percent-encoded `.`, `/` or `\\`".into());
    }
    // `..;` too: some servers drop `;parameters` from a segment before resolving dot segments.
    if path
        .split('/')
        .any(|segment| matches!(segment.split(';').next(), Some("." | "..")))
    {
        return Err("the path holds a `.` or `..` segment".into());
    }
    Ok(())
}
