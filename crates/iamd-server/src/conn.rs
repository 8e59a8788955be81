//! The connection layer: accepting TCP (and TLS) connections, and bounding what each may hold.
//!
//! Every connection is in one phase at a time, and every phase but one has a deadline:
//!
//! | phase | from | until | deadline |
//! |---|---|---|---|
//! | head | accept (TLS handshake included), or the first byte of the next request | the request head is complete | `header_timeout` |
//! | body | the request head | the body is read to its end | `body_timeout` |
//! | busy | the body's end | the response is handed to the connection | none: iamd's own work |
//! | idle | the response | the first byte of the next request | `idle_timeout` |
//!
//! A connection past its deadline is closed without an answer (a slow or stalled client is not
//! waiting for one). The response itself is written in the idle phase, so a client that does
//! not read it is dropped after `idle_timeout` too.
//!
//! At most `max_connections` connections are open. A new connection beyond the limit takes the
//! place of the connection that has gone longest in the head, body or idle phase — one that
//! owes iamd a request, or that nobody is using — which is closed. Only when every open
//! connection is busy (iamd is working on a request for each) is the new connection refused: a
//! plain-HTTP one gets `503 Service Unavailable` with `Retry-After: 1` and `Connection: close`
//! (SDKs retry a 503), a TLS one is closed. So idle or stalled connections, however many, never
//! lock out a client that sends its request promptly, nothing waits in a queue, and the number of
//! open sockets stays bounded.

use crate::origin::ConnInfo;
use axum::Router;
use axum::http::Request;
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};

/// The connection limits (`iamd serve --max-connections --header-timeout --body-timeout
/// --idle-timeout`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

const HEAD: u64 = 0;
const BODY: u64 = 1;
const BUSY: u64 = 2;
const IDLE: u64 = 3;
const EVICTED: u64 = 4;

/// One open connection: its phase and when the phase began (milliseconds since the registry's
/// epoch), packed in one word so that both change together.
struct Slot {
    state: AtomicU64,
    epoch: Instant,
    /// Wakes the connection's watchdog (eviction, shutdown).
    wake: Notify,
    /// Set by the watchdog when the connection task must look at its state (a deadline passed,
    /// eviction, shutdown); the task's waker to wake it with.
    attention: AtomicBool,
    conn_waker: atomic_waker::AtomicWaker,
}

fn pack(phase: u64, since_ms: u64) -> u64 {
    (since_ms << 3) | phase
}

fn unpack(state: u64) -> (u64, u64) {
    (state & 7, state >> 3)
}

impl Slot {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn load(&self) -> (u64, u64) {
        unpack(self.state.load(Ordering::Acquire))
    }

    /// Moves to `to` if the connection is in one of `from` (never out of `EVICTED`).
    fn enter(&self, from: &[u64], to: u64) -> bool {
        let next = pack(to, self.now_ms());
        self.state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                from.contains(&unpack(s).0).then_some(next)
            })
            .is_ok()
    }

    /// Bytes arrived: an idle connection starts a request head.
    fn on_read(&self) {
        if unpack(self.state.load(Ordering::Relaxed)).0 == IDLE {
            self.enter(&[IDLE], HEAD);
        }
    }

    /// Why the connection must close now, if it must.
    fn expired(&self, limits: &Limits, now: Instant) -> Option<&'static str> {
        let (phase, since) = self.load();
        if phase == EVICTED {
            return Some(
                "connection limit reached and this connection owed a request or was idle longest",
            );
        }
        match self.deadline(limits, phase, since) {
            Some(d) if d <= now => Some(match phase {
                HEAD => "no complete request head within the header timeout",
                BODY => "no complete request body within the body timeout",
                _ => "idle for the idle timeout",
            }),
            _ => None,
        }
    }

    fn deadline(&self, limits: &Limits, phase: u64, since_ms: u64) -> Option<Instant> {
        let timeout = match phase {
            HEAD => limits.header_timeout,
            BODY => limits.body_timeout,
            IDLE => limits.idle_timeout,
            _ => return None,
        };
        Some(self.epoch + Duration::from_millis(since_ms) + timeout)
    }
}

/// The open connections.
struct Registry {
    limits: Limits,
    epoch: Instant,
    slots: Mutex<HashMap<u64, Arc<Slot>>>,
    next_id: AtomicU64,
    emptied: Notify,
    /// Signalled whenever a connection leaves.
    removed: Notify,
    /// Set at shutdown (each connection is woken to see it).
    stopping: AtomicBool,
}

/// The outcome of asking for a place.
enum Admission {
    Admitted(SlotGuard, Arc<Slot>),
    /// Every open connection is busy.
    Full,
    /// Connections evicted for newcomers are still closing: wait for them.
    Closing,
}

/// Removes its connection from the registry when the connection's task ends.
struct SlotGuard {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.registry.slots.lock() {
            slots.remove(&self.id);
            self.registry.removed.notify_one();
            if slots.is_empty() {
                self.registry.emptied.notify_one();
            }
        }
    }
}

impl Registry {
    /// Closes the connection that has gone longest owing a request or unused; false if every
    /// connection is busy.
    fn evict_one(slots: &HashMap<u64, Arc<Slot>>) -> bool {
        let victim = slots
            .values()
            .filter_map(|s| {
                let (phase, since) = s.load();
                matches!(phase, HEAD | BODY | IDLE).then_some((since, s))
            })
            .min_by_key(|(since, _)| *since);
        match victim {
            Some((_, slot)) => {
                if slot.enter(&[HEAD, BODY, IDLE], EVICTED) {
                    slot.wake.notify_one();
                }
                true
            }
            None => false,
        }
    }

    /// A place for a new connection, evicting another if the limit is reached.
    fn admit(self: &Arc<Self>) -> Admission {
        let Ok(mut slots) = self.slots.lock() else {
            return Admission::Full;
        };
        let max = self.limits.max_connections.max(1);
        if slots.len() >= max {
            // Evicted connections leave the map once their task has closed them (at once): they
            // do not count against the limit, but a margin bounds the sockets of a burst of
            // evictions still being carried out.
            let closing = slots.values().filter(|s| s.load().0 == EVICTED).count();
            if slots.len() >= max + max / 8 + 8 {
                return Admission::Closing;
            }
            if slots.len() - closing >= max && !Self::evict_one(&slots) {
                return Admission::Full;
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            state: AtomicU64::new(pack(HEAD, self.epoch.elapsed().as_millis() as u64)),
            epoch: self.epoch,
            wake: Notify::new(),
            attention: AtomicBool::new(false),
            conn_waker: atomic_waker::AtomicWaker::new(),
        });
        slots.insert(id, slot.clone());
        Admission::Admitted(
            SlotGuard {
                registry: self.clone(),
                id,
            },
            slot,
        )
    }

    /// [`admit`](Self::admit), waiting a little for evicted connections to close when a burst
    /// of newcomers outpaces them.
    async fn admit_waiting(self: &Arc<Self>) -> Option<(SlotGuard, Arc<Slot>)> {
        for _ in 0..20 {
            match self.admit() {
                Admission::Admitted(guard, slot) => return Some((guard, slot)),
                Admission::Full => return None,
                Admission::Closing => {
                    let _ =
                        tokio::time::timeout(Duration::from_millis(10), self.removed.notified())
                            .await;
                }
            }
        }
        None
    }

    fn evict_oldest(&self) -> bool {
        self.slots
            .lock()
            .map(|slots| Self::evict_one(&slots))
            .unwrap_or(false)
    }

    /// Tells every connection to finish its request in progress and close.
    fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        if let Ok(slots) = self.slots.lock() {
            for slot in slots.values() {
                slot.wake.notify_one();
            }
        }
    }

    async fn wait_empty(&self) {
        loop {
            let empty = self.slots.lock().map(|s| s.is_empty()).unwrap_or(true);
            if empty {
                return;
            }
            self.emptied.notified().await;
        }
    }
}

/// The connection's byte stream, noticing the first byte of each request.
struct Tracked<T> {
    inner: T,
    slot: Arc<Slot>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.slot.on_read();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that ends the body phase when it has been read to its end.
struct TrackedBody {
    inner: Incoming,
    slot: Arc<Slot>,
}

impl hyper::body::Body for TrackedBody {
    type Data = hyper::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.slot.enter(&[BODY], BUSY);
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What every connection task shares.
struct Shared {
    app: Router,
    registry: Arc<Registry>,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets in-flight
/// requests finish (idle connections close at once) and returns when every connection is
/// closed. With `tls`, every connection is TLS.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) {
    let registry = Arc::new(Registry {
        limits,
        epoch: Instant::now(),
        slots: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
        emptied: Notify::new(),
        removed: Notify::new(),
        stopping: AtomicBool::new(false),
    });
    let shared = Arc::new(Shared {
        app,
        registry: registry.clone(),
        tls: tls.map(tokio_rustls::TlsAcceptor::from),
    });
    // Refusals are answered by short tasks; past this many at once, refused sockets are closed.
    let refusals = Arc::new(Semaphore::new(64));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_error(&registry, e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        match registry.admit_waiting().await {
            Some((guard, slot)) => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    connection(&shared, slot, tcp, peer).await;
                    drop(guard);
                });
            }
            None => {
                tracing::debug!(%peer, "connection refused: every connection is busy");
                if shared.tls.is_none()
                    && let Ok(permit) = refusals.clone().try_acquire_owned()
                {
                    tokio::spawn(async move {
                        refuse(tcp).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    drop(listener);
    registry.stop();
    registry.wait_empty().await;
}

async fn accept_error(registry: &Registry, e: std::io::Error) {
    if matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    // Most likely out of file descriptors (the limit is above the process's RLIMIT_NOFILE):
    // free one the way a new connection would, then try again shortly.
    tracing::error!("accept error: {e}");
    registry.evict_oldest();
    tokio::time::sleep(Duration::from_millis(50)).await;
}

const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 55\r\n\
\r\n\
iamd is at its connection limit; retry in a moment.\r\n\r\n";

/// Answers 503 and closes, reading what the client sends meanwhile so that the answer is not
/// lost to a reset; a second at most.
async fn refuse(mut tcp: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        if tcp.write_all(REFUSAL).await.is_ok() && tcp.shutdown().await.is_ok() {
            let mut sink = [0u8; 4096];
            let mut total = 0usize;
            while total < 64 * 1024 {
                match tokio::io::AsyncReadExt::read(&mut tcp, &mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
        }
    })
    .await;
}

/// Waits until the slot is evicted or the server stops.
async fn evicted_or_stopping(registry: &Registry, slot: &Slot) {
    loop {
        if slot.load().0 == EVICTED || registry.stopping.load(Ordering::Acquire) {
            return;
        }
        slot.wake.notified().await;
    }
}

async fn connection(shared: &Arc<Shared>, slot: Arc<Slot>, tcp: TcpStream, peer: SocketAddr) {
    let Some(acceptor) = &shared.tls else {
        return http(shared, slot, tcp, ConnInfo { peer, tls: false }).await;
    };
    let limits = shared.registry.limits;
    let handshake = tokio::time::timeout(limits.header_timeout, acceptor.accept(tcp));
    let stream = tokio::select! {
        r = handshake => match r {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::debug!(%peer, "TLS handshake failed: {e}");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "closed: no TLS handshake within the header timeout");
                return;
            }
        },
        () = evicted_or_stopping(&shared.registry, &slot) => return,
    };
    http(shared, slot, stream, ConnInfo { peer, tls: true }).await
}

/// Serves HTTP/1.1 on one connection, enforcing its phase deadlines.
async fn http<T>(shared: &Arc<Shared>, slot: Arc<Slot>, io: T, info: ConnInfo)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = shared.registry.limits;
    let app = shared.app.clone();
    let svc_slot = slot.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let slot = svc_slot.clone();
        let mut app = app.clone();
        async move {
            let end = req.body().is_end_stream();
            slot.enter(&[HEAD, IDLE], if end { BUSY } else { BODY });
            let (mut parts, body) = req.into_parts();
            parts.extensions.insert(info);
            let body = axum::body::Body::new(TrackedBody {
                inner: body,
                slot: slot.clone(),
            });
            let resp =
                tower_service::Service::call(&mut app, Request::from_parts(parts, body)).await;
            slot.enter(&[BODY, BUSY], IDLE);
            resp
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The deadlines are this module's (hyper's own header timeout also runs while idle).
    builder.header_read_timeout(None);
    let conn = builder.serve_connection(
        TokioIo::new(Tracked {
            inner: io,
            slot: slot.clone(),
        }),
        service,
    );
    let mut conn = std::pin::pin!(conn);
    // The deadlines are watched by a task of their own, so that the connection's task, woken a
    // few times per request, polls nothing but hyper's connection and one flag.
    let watchdog = tokio::spawn(watchdog(shared.registry.clone(), slot.clone()));
    let registry = &shared.registry;
    let mut shutting_down = false;
    let closed = std::future::poll_fn(|cx| {
        slot.conn_waker.register(cx.waker());
        if slot.attention.swap(false, Ordering::AcqRel) {
            if !shutting_down && registry.stopping.load(Ordering::Acquire) {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
            if let Some(why) = slot.expired(&limits, Instant::now()) {
                return Poll::Ready(Err(why));
            }
        }
        conn.as_mut().poll(cx).map(Ok)
    })
    .await;
    watchdog.abort();
    match closed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(peer = %info.peer, "connection ended: {e}"),
        Err(why) => tracing::debug!(peer = %info.peer, "closed: {why}"),
    }
}

/// Watches one connection's deadlines, eviction and shutdown, and wakes its task when one needs
/// it. The timer is never armed further than `step` (the shortest timeout) ahead, so a phase
/// change — which sets a deadline at least `step` after it — needs no wake-up of its own.
async fn watchdog(registry: Arc<Registry>, slot: Arc<Slot>) {
    let limits = registry.limits;
    let step = limits
        .header_timeout
        .min(limits.body_timeout)
        .min(limits.idle_timeout);
    let sleep = tokio::time::sleep(step);
    let mut sleep = std::pin::pin!(sleep);
    loop {
        let now = Instant::now();
        if registry.stopping.load(Ordering::Acquire) || slot.expired(&limits, now).is_some() {
            slot.attention.store(true, Ordering::Release);
            slot.conn_waker.wake();
        }
        let (phase, since) = slot.load();
        let wake_at = match slot.deadline(&limits, phase, since) {
            Some(d) if d > now => d.min(now + step),
            _ => now + step,
        };
        sleep.as_mut().reset(wake_at.into());
        tokio::select! {
            () = &mut sleep => {}
            () = slot.wake.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(max: usize) -> Arc<Registry> {
        Arc::new(Registry {
            limits: Limits {
                max_connections: max,
                ..Limits::default()
            },
            epoch: Instant::now(),
            slots: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            emptied: Notify::new(),
            removed: Notify::new(),
            stopping: AtomicBool::new(false),
        })
    }

    fn admit(r: &Arc<Registry>) -> Option<(SlotGuard, Arc<Slot>)> {
        match r.admit() {
            Admission::Admitted(g, s) => Some((g, s)),
            _ => None,
        }
    }

    #[test]
    fn a_new_connection_evicts_the_longest_waiting_one() {
        let r = registry(2);
        let (_g1, s1) = admit(&r).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let (_g2, s2) = admit(&r).unwrap();
        // At the limit: the oldest connection owing a request goes.
        let (_g3, s3) = admit(&r).unwrap();
        assert_eq!(s1.load().0, EVICTED);
        assert_eq!(s2.load().0, HEAD);
        assert_eq!(s3.load().0, HEAD);
        drop(_g1);
        // Busy connections are never evicted; with all busy, refusal.
        assert!(s2.enter(&[HEAD], BUSY));
        assert!(s3.enter(&[HEAD], BUSY));
        assert!(matches!(r.admit(), Admission::Full));
        // An idle one is evicted again.
        assert!(s3.enter(&[BUSY], IDLE));
        let (_g4, _s4) = admit(&r).unwrap();
        assert_eq!(s3.load().0, EVICTED);
        assert_eq!(s2.load().0, BUSY);
    }

    #[test]
    fn evicted_is_final_and_reads_restart_the_head() {
        let r = registry(4);
        let (_g, s) = admit(&r).unwrap();
        assert!(s.enter(&[HEAD], BUSY));
        s.on_read();
        assert_eq!(
            s.load().0,
            BUSY,
            "bytes during a request are not a new head"
        );
        assert!(s.enter(&[BUSY], IDLE));
        s.on_read();
        assert_eq!(s.load().0, HEAD);
        assert!(s.enter(&[HEAD], EVICTED));
        assert!(!s.enter(&[HEAD, BODY, BUSY, IDLE], IDLE));
        assert_eq!(s.load().0, EVICTED);
    }
}
