//! One signed POST, on a blocking thread: HTTP/1.1 by hyper over tokio-rustls (ring), both
//! already in the server's dependency graph, driven by a current-thread runtime of its own on a
//! thread of its own, so the caller may be any thread, inside a runtime's blocking pool or not.
//!
//! No redirect is followed (hyper's connection API has none), no proxy is used, a connection
//! serves one request. Timeouts: `connect` for TCP and the TLS handshake, `total` for everything.
//! The response body is read up to a cap and no further.

use super::url::{Scheme, Url};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// The client's fixed settings.
pub struct Client {
    /// `None` when no allowed URL is https.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_response_bytes: usize,
}

/// What came back.
pub struct Response {
    pub status: u16,
    pub body: Zeroizing<Vec<u8>>,
}

/// Why no response came back. Messages hold no body, request or response.
#[derive(Debug)]
pub enum Failure {
    Connect(String),
    ConnectTimeout,
    Tls(String),
    Http(String),
    TotalTimeout,
    TooLarge,
    Internal(String),
}

impl Client {
    /// POSTs `body` (JSON) with the given extra headers; blocks until done or timed out.
    pub fn post(
        &self,
        url: &Url,
        headers: &[(&'static str, String)],
        body: Bytes,
    ) -> Result<Response, Failure> {
        std::thread::scope(|scope| {
            let worker = std::thread::Builder::new()
                .name("iamd-webhook".into())
                .spawn_scoped(scope, || self.post_on_own_runtime(url, headers, body))
                .map_err(|e| Failure::Internal(format!("cannot start a thread: {e}")))?;
            worker
                .join()
                .map_err(|_| Failure::Internal("the webhook client thread failed".into()))?
        })
    }

    fn post_on_own_runtime(
        &self,
        url: &Url,
        headers: &[(&'static str, String)],
        body: Bytes,
    ) -> Result<Response, Failure> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Failure::Internal(format!("cannot start a runtime: {e}")))?;
        let result = runtime.block_on(async {
            tokio::time::timeout(self.total_timeout, self.exchange(url, headers, body))
                .await
                .unwrap_or(Err(Failure::TotalTimeout))
        });
        // Not waiting for a name lookup that outlived the timeout: it ends on its own.
        runtime.shutdown_background();
        result
    }

    async fn exchange(
        &self,
        url: &Url,
        headers: &[(&'static str, String)],
        body: Bytes,
    ) -> Result<Response, Failure> {
        let connect = async {
            let tcp = tokio::net::TcpStream::connect((url.host.as_str(), url.port))
                .await
                .map_err(|e| Failure::Connect(e.to_string()))?;
            // Best effort: a small request goes out at once.
            let _ = tcp.set_nodelay(true);
            Ok::<_, Failure>(tcp)
        };
        match url.scheme {
            Scheme::Http => {
                let tcp = tokio::time::timeout(self.connect_timeout, connect)
                    .await
                    .map_err(|_| Failure::ConnectTimeout)??;
                self.send(TokioIo::new(tcp), url, headers, body).await
            }
            Scheme::Https => {
                let config = self
                    .tls
                    .clone()
                    .ok_or_else(|| Failure::Internal("no TLS configuration".into()))?;
                let name = ServerName::try_from(url.host.clone())
                    .map_err(|e| Failure::Tls(e.to_string()))?;
                let handshake = async {
                    let tcp = connect.await?;
                    tokio_rustls::TlsConnector::from(config)
                        .connect(name, tcp)
                        .await
                        .map_err(|e| Failure::Tls(e.to_string()))
                };
                let tls = tokio::time::timeout(self.connect_timeout, handshake)
                    .await
                    .map_err(|_| Failure::ConnectTimeout)??;
                self.send(TokioIo::new(tls), url, headers, body).await
            }
        }
    }

    async fn send<IO>(
        &self,
        io: IO,
        url: &Url,
        headers: &[(&'static str, String)],
        body: Bytes,
    ) -> Result<Response, Failure>
    where
        IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| Failure::Http(e.to_string()))?;
        // The connection runs beside the request; it ends with the runtime at the latest.
        tokio::spawn(connection);
        let mut request = hyper::Request::post(url.target())
            .header(HOST, url.host_header())
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_LENGTH, body.len())
            .header(USER_AGENT, concat!("iamd/", env!("CARGO_PKG_VERSION")));
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| Failure::Internal(format!("building the request: {e}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| Failure::Http(e.to_string()))?;
        let status = response.status().as_u16();
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_response_bytes as u64) {
            return Err(Failure::TooLarge);
        }
        let mut body = response.into_body();
        // Room for the whole cap at once: growing the vector would leave copies behind, uncleared.
        let mut out = Zeroizing::new(Vec::with_capacity(self.max_response_bytes));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Failure::Http(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                if out.len() + data.len() > self.max_response_bytes {
                    return Err(Failure::TooLarge);
                }
                out.extend_from_slice(&data);
            }
        }
        Ok(Response { status, body: out })
    }
}
