//! How to reach the database: the store URL (libpq's parameters plus iamd's `schema=`), the
//! `sslmode` it asks for (see [`tls`]), and the pool and retry knobs.

use super::tls::{self, SslMode};
use super::with_causes;
use crate::StoreError;
use std::fmt;
use std::time::Duration;

/// How to reach the database and how hard to try.
#[derive(Clone)]
pub struct PostgresSettings {
    pub(super) config: postgres::Config,
    pub(super) schema: Option<String>,
    /// `sslmode` (with `sslrootcert` folded in) and the TLS connector it needs.
    pub(super) ssl_mode: SslMode,
    pub(super) tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// Most connections this store opens for transactions (the `subscribe` connections are extra).
    pub pool_size: usize,
    /// How long a transaction waits for a free pooled connection before `Unavailable`.
    pub acquire_timeout: Duration,
    /// How many times a write closure runs at most when PostgreSQL asks for a retry.
    pub max_attempts: u32,
    /// How long a write waits for the writer lock (or any row lock) before `Unavailable`.
    pub lock_timeout: Duration,
    /// After this long idle inside a transaction the server ends the session (and so releases
    /// the writer lock of a node that vanished mid-transaction).
    pub idle_in_transaction_timeout: Duration,
    pub(super) connect_timeout: Duration,
}

impl fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-written so that the password can never be printed, whatever the client's own
        // `Debug` does.
        f.debug_struct("PostgresSettings")
            .field("user", &self.config.get_user())
            .field(
                "password",
                &self.config.get_password().map(|_| "<redacted>"),
            )
            .field("hosts", &self.config.get_hosts())
            .field("ports", &self.config.get_ports())
            .field("dbname", &self.config.get_dbname())
            .field("schema", &self.schema)
            .field("ssl_mode", &self.ssl_mode)
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl PostgresSettings {
    /// Parses a `postgres://user[:password]@host[:port]/db[?param=value…]` URL: libpq's URL
    /// parameters (e.g. `connect_timeout=10`, `application_name=…`, `sslmode=verify-full`,
    /// `sslrootcert=/path/ca.pem`: see `tls.rs`) plus iamd's own `schema=NAME`
    /// (see [`with_schema`](Self::with_schema); without it the tables go to the connection's
    /// current schema, normally `public`).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let (url, params) = take_params(url, &["schema", "sslmode", "sslrootcert"]);
        let [schema, sslmode, sslrootcert] = params;
        let sslmode = SslMode::parse(sslmode.as_deref().unwrap_or("prefer"))?;
        let sslrootcert = sslrootcert.map(|p| std::path::PathBuf::from(percent_decode(&p)));
        let (ssl_mode, tls) = tls::connector(sslmode, sslrootcert.as_deref())?;
        let mut config: postgres::Config = url.parse().map_err(|e| {
            StoreError::Unavailable(format!("invalid PostgreSQL URL: {}", with_causes(&e)))
        })?;
        config.ssl_mode(ssl_mode.client_mode());
        let connect_timeout = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(5));
        config.connect_timeout(connect_timeout);
        if config.get_application_name().is_none() {
            config.application_name("iamd");
        }
        // Notice a dead peer within about a minute instead of the kernel's default two hours.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.tcp_user_timeout(Duration::from_secs(30));
        let settings = Self {
            config,
            schema: None,
            ssl_mode,
            tls,
            pool_size: 10,
            acquire_timeout: Duration::from_secs(30),
            max_attempts: 10,
            lock_timeout: Duration::from_secs(30),
            idle_in_transaction_timeout: Duration::from_secs(60),
            connect_timeout,
        };
        match schema {
            Some(schema) => settings.with_schema(&schema),
            None => Ok(settings),
        }
    }

    /// Keeps every table in `schema` (created at start if missing): several deployments, or test
    /// runs, can share one database. Only `[a-z_][a-z0-9_]*`, at most 63 bytes.
    pub fn with_schema(mut self, schema: &str) -> Result<Self, StoreError> {
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !schema.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if !valid {
            return Err(StoreError::Unavailable(format!(
                "invalid PostgreSQL schema name `{schema}`"
            )));
        }
        self.schema = Some(schema.to_owned());
        Ok(self)
    }

    /// Bounds the TCP connect and the whole connection handshake.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout(timeout);
        self.connect_timeout = timeout;
        self
    }

    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The TLS mode in force (`require` with `sslrootcert` is `verify-ca`).
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }
}

/// Splits the parameters iamd handles itself (`schema=`, and the TLS ones the client library
/// does not know) off a URL; the last occurrence of each wins.
fn take_params<const N: usize>(url: &str, names: &[&str; N]) -> (String, [Option<String>; N]) {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), found);
    };
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match names.iter().zip(found.iter_mut()).find(|(n, _)| **n == k) {
                Some((_, slot)) => {
                    *slot = Some(v.to_owned());
                    false
                }
                None => true,
            }
        })
        .collect();
    if rest.is_empty() {
        (base.to_owned(), found)
    } else {
        (format!("{base}?{}", rest.join("&")), found)
    }
}

/// `%XX` escapes of a URL parameter value (a path may hold any byte).
fn percent_decode(v: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(v.len());
    let mut rest = v.as_bytes();
    while let Some((&c, tail)) = rest.split_first() {
        if let (b'%', [h, l, after @ ..]) = (c, tail)
            && let (Some(h), Some(l)) = (hex(*h), hex(*l))
        {
            out.push((h * 16 + l) as u8);
            rest = after;
        } else {
            out.push(c);
            rest = tail;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::PostgresStore;
    use crate::pg::testing::tls_file;

    #[test]
    fn settings_debug_hides_the_password() {
        let s = PostgresSettings::from_url("postgres://iamd:hunter2-secret@db.example:6543/prod")
            .unwrap()
            .with_schema("iamd")
            .unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(
            dbg.contains("<redacted>") && dbg.contains("6543") && dbg.contains("iamd"),
            "{dbg}"
        );
        let e = PostgresStore::connect(s.clone().with_connect_timeout(Duration::from_millis(1)));
        if let Err(e) = e {
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
        assert!(
            PostgresSettings::from_url("postgres://x@h/db")
                .unwrap()
                .with_schema("Bad;drop")
                .is_err()
        );
        assert!(
            PostgresSettings::from_url("postgres://x@h/db")
                .unwrap()
                .with_schema("1abc")
                .is_err()
        );
        assert!(PostgresSettings::from_url("not a url ://").is_err());
        let s = PostgresSettings::from_url("postgres://x@h/db?connect_timeout=2&schema=iamd_a")
            .unwrap();
        assert_eq!(s.schema(), Some("iamd_a"));
        assert_eq!(s.connect_timeout, Duration::from_secs(2));
        assert_eq!(
            PostgresSettings::from_url("postgres://x@h/db?schema=iamd_b")
                .unwrap()
                .schema(),
            Some("iamd_b")
        );
        assert!(PostgresSettings::from_url("postgres://x@h/db?schema=Bad-Name").is_err());
        assert_eq!(
            PostgresSettings::from_url("postgres://x@h/db")
                .unwrap()
                .schema(),
            None
        );
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        let with = |name: &str| {
            PostgresSettings::from_url("postgres://x@h/db")
                .unwrap()
                .with_schema(name)
        };
        for ok in ["a", "_", "iamd_2", &"s".repeat(63)] {
            assert_eq!(with(ok).unwrap().schema(), Some(ok));
        }
        for bad in ["", "9a", "A", "a-b", "a b", "\u{e9}", &"s".repeat(64)] {
            match with(bad) {
                Err(StoreError::Unavailable(m)) => assert!(m.contains("schema name"), "{m}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn percent_decode_takes_only_complete_escapes() {
        for (input, decoded) in [
            ("", ""),
            ("plain/path.pem", "plain/path.pem"),
            ("a%2Fb%2fc", "a/b/c"),
            ("%41%42", "AB"),
            ("%e2%82%ac", "\u{20ac}"),
            // Incomplete or invalid escapes stay as they are, at the end of the value too.
            ("%", "%"),
            ("100%", "100%"),
            ("%4", "%4"),
            ("%zz", "%zz"),
            ("%4g", "%4g"),
            ("%%41", "%A"),
            // Bytes that are not UTF-8 become U+FFFD.
            ("%ff", "\u{fffd}"),
        ] {
            assert_eq!(percent_decode(input), decoded, "{input}");
        }
    }

    #[test]
    fn take_params_keeps_the_last_occurrence_and_the_other_parameters() {
        let (url, [schema, mode]) = take_params(
            "postgres://h/db?schema=a&application_name=x&sslmode=require&schema=b&flag",
            &["schema", "sslmode"],
        );
        assert_eq!(url, "postgres://h/db?application_name=x&flag");
        assert_eq!(schema.as_deref(), Some("b"));
        assert_eq!(mode.as_deref(), Some("require"));
        let (url, [schema]) = take_params("postgres://h/db?schema=", &["schema"]);
        assert_eq!(
            (url.as_str(), schema.as_deref()),
            ("postgres://h/db", Some(""))
        );
        let (url, [schema]) = take_params("postgres://h/db", &["schema"]);
        assert_eq!((url.as_str(), schema), ("postgres://h/db", None));
    }

    #[test]
    fn sslmode_and_sslrootcert_parsing() {
        use crate::SslMode;
        let mode = |q: &str| PostgresSettings::from_url(&format!("postgres://x@h/db{q}"));
        // libpq's default is prefer; allow behaves as prefer.
        assert_eq!(mode("").unwrap().ssl_mode(), SslMode::Prefer);
        assert_eq!(mode("?sslmode=allow").unwrap().ssl_mode(), SslMode::Prefer);
        assert_eq!(
            mode("?sslmode=disable").unwrap().ssl_mode(),
            SslMode::Disable
        );
        assert_eq!(
            mode("?sslmode=require").unwrap().ssl_mode(),
            SslMode::Require
        );
        let ca = tls_file("ca.pem");
        // require + a root certificate verifies the chain, as libpq does.
        assert_eq!(
            mode(&format!("?sslmode=require&sslrootcert={ca}"))
                .unwrap()
                .ssl_mode(),
            SslMode::VerifyCa
        );
        assert_eq!(
            mode(&format!("?sslmode=verify-ca&sslrootcert={ca}"))
                .unwrap()
                .ssl_mode(),
            SslMode::VerifyCa
        );
        let s = mode(&format!(
            "?connect_timeout=3&sslrootcert={}&schema=iamd_t&sslmode=verify-full",
            ca.replace('/', "%2F")
        ))
        .unwrap();
        assert_eq!(s.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(s.schema(), Some("iamd_t"));
        assert_eq!(s.connect_timeout, Duration::from_secs(3));
        // Bad input is refused at start with what is wrong.
        let err = |q: &str| match mode(q) {
            Err(StoreError::Unavailable(m)) => m,
            other => panic!("{q}: {other:?}"),
        };
        assert!(err("?sslmode=verify-full").contains("needs sslrootcert"));
        assert!(err("?sslmode=verify-ca").contains("needs sslrootcert"));
        assert!(err("?sslmode=sometimes").contains("sslmode=`sometimes`"));
        assert!(
            err("?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
                .contains("/nonexistent/ca.pem")
        );
        assert!(
            err(&format!(
                "?sslmode=verify-full&sslrootcert={}",
                tls_file("README.md")
            ))
            .contains("no PEM certificate")
        );
        assert!(err("?sslmode=verify-full&sslrootcert=system").contains("not supported"));
        assert!(err("?sslcert=/c.pem").contains("sslcert"));
    }
}
