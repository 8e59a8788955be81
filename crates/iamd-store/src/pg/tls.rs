//! TLS to PostgreSQL, as libpq's `sslmode` and `sslrootcert` URL parameters say
//! (<https://www.postgresql.org/docs/current/libpq-ssl.html>, table "SSL Mode Descriptions"):
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (the default) | when the server offers it | not checked |
//! | `require` | always | not checked — unless `sslrootcert` is given: then as `verify-ca` (as libpq) |
//! | `verify-ca` | always | signed by a CA in `sslrootcert` |
//! | `verify-full` | always | signed by a CA in `sslrootcert` and valid for the host name |
//!
//! `sslrootcert` names a PEM file of CA certificates; `verify-ca` and `verify-full` need it
//! (libpq's fallback `~/.postgresql/root.crt` and `sslrootcert=system` are not supported: name
//! the file). Two differences from libpq: `allow` tries TLS first as `prefer` does, and `prefer`
//! does not retry without TLS after a failed handshake. Client certificates (`sslcert`,
//! `sslkey`) are not supported and are refused by the URL parser.
//!
//! rustls with the ring provider, TLS 1.2 and 1.3, as the HTTP side.

use crate::StoreError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(value: &str) -> Result<Self, StoreError> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(StoreError::Unavailable(format!(
                    "invalid PostgreSQL URL: sslmode=`{other}` (disable, allow, prefer, require, verify-ca or verify-full)"
                )));
            }
        })
    }

    /// What the client library is told: whether TLS is attempted and whether it is required.
    pub(crate) fn client_mode(self) -> postgres::config::SslMode {
        match self {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        }
    }
}

/// The mode in force and the connector it needs (`None` for `disable`). Public for the
/// PostgreSQL rotators (`iamd-rotators`), which connect to operators' databases with the same
/// TLS stack and `sslmode` meanings.
pub fn connector(
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<(SslMode, Option<tokio_postgres_rustls::MakeRustlsConnect>), StoreError> {
    let bad = |m: String| StoreError::Unavailable(format!("invalid PostgreSQL URL: {m}"));
    if root_cert.is_some_and(|p| p.as_os_str() == "system") {
        return Err(bad(
            "sslrootcert=system is not supported: name a PEM file of the CA certificates to trust"
                .into(),
        ));
    }
    // libpq: "require" with a root certificate verifies the chain, as verify-ca.
    let mode = match (mode, root_cert) {
        (SslMode::Require, Some(_)) => SslMode::VerifyCa,
        (m, _) => m,
    };
    if mode == SslMode::Disable {
        return Ok((mode, None));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| StoreError::Unavailable(format!("PostgreSQL TLS: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, root_cert) {
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
            return Err(bad(format!(
                "sslmode={} needs sslrootcert=FILE (a PEM file of the CA certificates to trust)",
                if mode == SslMode::VerifyCa {
                    "verify-ca"
                } else {
                    "verify-full"
                }
            )));
        }
        (SslMode::VerifyCa | SslMode::VerifyFull, Some(path)) => {
            let roots = load_roots(path)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| {
                    StoreError::Unavailable(format!("sslrootcert {}: {e}", path.display()))
                })?;
            if mode == SslMode::VerifyFull {
                webpki
            } else {
                Arc::new(ChainOnly(webpki))
            }
        }
        _ => Arc::new(Unverified(provider)),
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok((
        mode,
        Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)),
    ))
}

fn load_roots(path: &Path) -> Result<rustls::RootCertStore, StoreError> {
    let err = |e: String| StoreError::Unavailable(format!("sslrootcert {}: {e}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))? {
        roots
            .add(cert.map_err(|e| err(e.to_string()))?)
            .map_err(|e| err(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(err("holds no PEM certificate".into()));
    }
    Ok(roots)
}

/// `verify-ca`: the chain must lead to a trusted CA; the host name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        // The WebPKI verifier checks the chain first, then the name: a name error means the
        // chain was good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` / `require` without a root certificate: encryption against passive eavesdropping
/// only, as libpq. The handshake's signatures are still checked against the certificate shown.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use crate::StoreError;
    use crate::pg::PostgresSettings;
    use crate::pg::testing::{pg_url, tls_file};
    use postgres::NoTls;
    use std::sync::Arc;
    use std::time::Duration;

    /// A fake PostgreSQL server on 127.0.0.1 for one connection: it answers the client's
    /// SSLRequest with `S` (then a TLS handshake with the test certificate) or `N` (`tls` false),
    /// reads the startup message and refuses it with an error naming how it arrived, so the
    /// client's error says whether TLS was used and accepted.
    fn fake_server(tls: bool) -> (u16, std::thread::JoinHandle<String>) {
        use rustls::pki_types::pem::PemObject;
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            fn error_response(message: &str) -> Vec<u8> {
                let mut fields = Vec::new();
                for (k, v) in [
                    (b'S', "FATAL"),
                    (b'V', "FATAL"),
                    (b'C', "28000"),
                    (b'M', message),
                ] {
                    fields.push(k);
                    fields.extend_from_slice(v.as_bytes());
                    fields.push(0);
                }
                fields.push(0);
                let mut out = vec![b'E'];
                out.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
                out.extend_from_slice(&fields);
                out
            }
            fn read_message(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
                let mut len = [0u8; 4];
                r.read_exact(&mut len)?;
                let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
                r.read_exact(&mut body)?;
                Ok(body)
            }
            let first = read_message(&mut tcp).unwrap();
            if first != 80877103u32.to_be_bytes() {
                // No SSLRequest: a plaintext startup message.
                tcp.write_all(&error_response("fake server: plaintext"))
                    .unwrap();
                return "plaintext".to_owned();
            }
            if !tls {
                tcp.write_all(b"N").unwrap();
                if read_message(&mut tcp).is_ok() {
                    tcp.write_all(&error_response("fake server: plaintext"))
                        .unwrap();
                    return "plaintext after N".to_owned();
                }
                return "client left after N".to_owned();
            }
            tcp.write_all(b"S").unwrap();
            let certs = rustls::pki_types::CertificateDer::pem_file_iter(tls_file("server.pem"))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key =
                rustls::pki_types::PrivateKeyDer::from_pem_file(tls_file("server.key")).unwrap();
            let config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut stream = rustls::StreamOwned::new(conn, tcp);
            match read_message(&mut stream) {
                Ok(_) => {
                    stream
                        .write_all(&error_response("fake server: TLS accepted"))
                        .unwrap();
                    let _ = stream.flush();
                    "TLS accepted".to_owned()
                }
                Err(e) => format!("TLS failed: {e}"),
            }
        });
        (port, handle)
    }

    /// Connects to a fake server with `query` and returns (client error, what the server saw).
    fn via_fake(tls: bool, query: &str) -> (String, String) {
        let (port, server) = fake_server(tls);
        let url = format!("postgres://iamd@127.0.0.1:{port}/db?connect_timeout=5&{query}");
        let err = match PostgresSettings::from_url(&url).unwrap().connect() {
            Err(StoreError::Unavailable(m)) => m,
            Ok(_) => panic!("the fake server accepted nothing"),
            Err(e) => panic!("{e:?}"),
        };
        (err, server.join().unwrap())
    }

    #[test]
    fn sslmode_decides_whether_and_how_the_server_is_trusted() {
        let ca = tls_file("ca.pem");
        let other = tls_file("other-ca.pem");
        // The server's certificate is signed by `ca` for `localhost`; we connect to 127.0.0.1.
        for (query, accepted) in [
            ("sslmode=require".to_owned(), true),
            ("sslmode=prefer".to_owned(), true),
            (String::new(), true),
            (format!("sslmode=verify-ca&sslrootcert={ca}"), true),
            (format!("sslmode=require&sslrootcert={ca}"), true),
            // Right CA, wrong name.
            (format!("sslmode=verify-full&sslrootcert={ca}"), false),
            // Wrong CA.
            (format!("sslmode=verify-ca&sslrootcert={other}"), false),
            (format!("sslmode=require&sslrootcert={other}"), false),
            (format!("sslmode=verify-full&sslrootcert={other}"), false),
        ] {
            let (err, seen) = via_fake(true, &query);
            if accepted {
                assert!(err.contains("fake server: TLS accepted"), "{query}: {err}");
                assert_eq!(seen, "TLS accepted", "{query}");
            } else {
                assert!(err.contains("certificate"), "{query}: {err}");
                assert!(seen.starts_with("TLS failed"), "{query}: {seen}");
            }
        }
        // verify-full against the name the certificate holds.
        let (port, server) = fake_server(true);
        let url = format!(
            "postgres://iamd@localhost:{port}/db?connect_timeout=5&sslmode=verify-full&sslrootcert={ca}"
        );
        match PostgresSettings::from_url(&url).unwrap().connect() {
            Err(StoreError::Unavailable(m)) => {
                assert!(m.contains("fake server: TLS accepted"), "{m}")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert_eq!(server.join().unwrap(), "TLS accepted");
        // disable never asks for TLS.
        let (err, seen) = via_fake(true, "sslmode=disable");
        assert!(err.contains("fake server: plaintext"), "{err}");
        assert_eq!(seen, "plaintext");
        // A server without TLS: prefer goes on in plaintext, require and verify-* refuse.
        let (err, seen) = via_fake(false, "sslmode=prefer");
        assert!(err.contains("fake server: plaintext"), "{err}");
        assert_eq!(seen, "plaintext after N");
        for query in [
            "sslmode=require".to_owned(),
            format!("sslmode=verify-full&sslrootcert={ca}"),
        ] {
            let (err, seen) = via_fake(false, &query);
            assert!(!err.contains("fake server"), "{query}: {err}");
            assert_eq!(seen, "client left after N", "{query}");
        }
    }

    #[test]
    fn sslmode_against_the_test_server() {
        let Some(url) = pg_url("sslmode_against_the_test_server") else {
            return;
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        let ssl_on = postgres::Client::connect(&url, NoTls)
            .unwrap()
            .query_one("SHOW ssl", &[])
            .unwrap()
            .get::<_, String>(0)
            == "on";
        let uses_tls = |mode: &str| {
            PostgresSettings::from_url(&format!("{url}{sep}sslmode={mode}"))
                .unwrap()
                .connect()
                .map(|mut c| {
                    c.query_one(
                        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                        &[],
                    )
                    .unwrap()
                    .get::<_, bool>(0)
                })
        };
        assert!(!uses_tls("disable").unwrap());
        if ssl_on {
            assert!(uses_tls("require").unwrap());
            assert!(uses_tls("prefer").unwrap());
        } else {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "NOTE: the test server has ssl=off: checking that sslmode=require is refused"
            );
            assert!(uses_tls("require").is_err());
            assert!(!uses_tls("prefer").unwrap());
        }
        // A CA that did not sign the server's certificate is refused, whatever the server has.
        let other = tls_file("other-ca.pem");
        assert!(uses_tls(&format!("verify-ca&sslrootcert={other}")).is_err());
    }
}
