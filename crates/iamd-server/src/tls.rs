//! TLS for `iamd serve --tls-cert FILE --tls-key FILE`: rustls (ring), TLS 1.2 and 1.3 only,
//! HTTP/1.1 over ALPN.
//!
//! The certificate and key are read from PEM files and replaced, without dropping the listener
//! or any connection, on SIGHUP and whenever either file changes (its modification time, size or
//! inode, polled every [`POLL_PERIOD`]). A replacement that does not load — a half-written file,
//! a key that does not match the certificate — is logged and the current certificate stays;
//! the next change is tried again. Handshakes already under way keep the certificate they began
//! with; new ones get the new certificate.

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

/// How often the certificate and key files are checked for changes.
pub const POLL_PERIOD: Duration = Duration::from_secs(2);

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        modified: m.modified().ok(),
        len: m.len(),
        inode,
    })
}

/// The server's certificate, replaceable while serving.
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' stamps at the last load attempt.
    seen: Mutex<(Option<Stamp>, Option<Stamp>)>,
}

impl std::fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("cert", &self.cert_path)
            .field("key", &self.key_path)
            .finish_non_exhaustive()
    }
}

/// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or SEC1)
/// and checks that they belong together.
fn load(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("reading the TLS certificate {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("reading the TLS certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "the TLS certificate file {} holds no PEM certificate",
            cert.display()
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("reading the TLS key {}: {e}", key.display()))?;
    let signing = provider
        .key_provider
        .load_private_key(private)
        .map_err(|e| format!("the TLS key {}: {e}", key.display()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| {
        format!(
            "the TLS key {} does not belong to the certificate {}: {e}",
            key.display(),
            cert.display()
        )
    })?;
    Ok(certified)
}

impl ReloadingCert {
    /// Loads the certificate and key; an error names the file and what is wrong with it.
    pub fn open(cert_path: &Path, key_path: &Path) -> Result<Arc<Self>, String> {
        let provider = provider();
        let seen = (stamp(cert_path), stamp(key_path));
        let certified = load(cert_path, key_path, &provider)?;
        Ok(Arc::new(Self {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            provider,
            current: RwLock::new(Arc::new(certified)),
            seen: Mutex::new(seen),
        }))
    }

    /// Reads the files again and, if they load, serves them from the next handshake on.
    pub fn reload(&self) -> Result<(), String> {
        let seen = (stamp(&self.cert_path), stamp(&self.key_path));
        if let Ok(mut s) = self.seen.lock() {
            *s = seen;
        }
        let certified = load(&self.cert_path, &self.key_path, &self.provider)?;
        match self.current.write() {
            Ok(mut c) => *c = Arc::new(certified),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(certified),
        }
        Ok(())
    }

    /// Whether either file changed since the last load attempt.
    fn changed(&self) -> bool {
        let now = (stamp(&self.cert_path), stamp(&self.key_path));
        self.seen.lock().map(|s| *s != now).unwrap_or(true)
    }

    /// The rustls configuration of the listener: TLS 1.3 and 1.2, HTTP/1.1, this certificate.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<rustls::ServerConfig>, String> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| format!("TLS configuration: {e}"))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    fn reload_logged(&self, why: &str) {
        match self.reload() {
            Ok(()) => tracing::info!(
                cert = %self.cert_path.display(),
                key = %self.key_path.display(),
                "TLS certificate reloaded ({why})"
            ),
            Err(e) => tracing::error!(
                "TLS certificate not reloaded ({why}); still serving the previous one: {e}"
            ),
        }
    }

    /// Reloads on SIGHUP and when the files change, for as long as the runtime runs.
    pub fn spawn_watcher(self: &Arc<Self>) {
        let this = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut tick = tokio::time::interval(POLL_PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                #[cfg(unix)]
                let sighup = async {
                    match hup.as_mut() {
                        Some(s) => {
                            s.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let sighup = std::future::pending::<()>();
                tokio::select! {
                    () = sighup => this.reload_logged("SIGHUP"),
                    _ = tick.tick() => {
                        if this.changed() {
                            this.reload_logged("the files changed");
                        }
                    }
                }
            }
        });
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match self.current.read() {
            Ok(c) => Some(c.clone()),
            Err(poisoned) => Some(poisoned.into_inner().clone()),
        }
    }
}
