//! The worker guard: the `postgres` client must not run on an async worker thread (it starts a
//! runtime of its own there, which tokio refuses), so every entry point of the store passes
//! through here and steps off a worker with `block_in_place`, logging that it did (see the `pg`
//! module notes, "Calling from async code").

/// Runs blocking client work where the `postgres` client may start its own runtime: directly on
/// plain threads and `spawn_blocking` threads, through `block_in_place` on a multi-threaded tokio
/// runtime. On a current-thread runtime tokio offers neither a way out nor a way to tell a
/// `spawn_blocking` thread from the runtime's own thread: callers there must use
/// `spawn_blocking` (the client panics otherwise). `op` names the call in the debug event logged
/// when the guard steps in on a worker.
pub(super) fn off_runtime<R>(op: &'static str, f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            log_worker_call(op);
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Drops clients (which stops their private runtimes) where that is allowed.
pub(super) fn drop_off_runtime<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            log_worker_call("close");
            tokio::task::block_in_place(|| drop(value))
        }
        Ok(_) => {
            // A current-thread runtime may be driving this very thread: close elsewhere. If no
            // thread can be started the clients are dropped with the closure, on this thread.
            let _ = std::thread::Builder::new()
                .name("iamd-pg-close".into())
                .spawn(move || drop(value));
        }
        Err(_) => drop(value),
    }
}

/// The debug event of the worker guard: a store call that should have been on a blocking thread.
/// `spawn_blocking` threads of a multi-threaded runtime take the same `block_in_place` path (where
/// it does nothing), so they are told apart first and not logged.
fn log_worker_call(op: &'static str) {
    if tracing::enabled!(tracing::Level::DEBUG) && on_async_worker() {
        tracing::debug!(
            op,
            "store call on an async worker thread: stepping off it with block_in_place"
        );
    }
}

thread_local! {
    /// The task this thread last found itself polling as a worker.
    static WORKER_TASK: std::cell::Cell<Option<tokio::task::Id>> =
        const { std::cell::Cell::new(None) };
}

/// Whether this thread is polling an async task as a runtime worker (rather than running a
/// `spawn_blocking` closure, or being a plain thread). tokio has no public call for it; two
/// signs together give it:
/// - `yield_now`, polled by a worker that holds its scheduler core, hands the waker to the
///   scheduler (to be woken after the current task); polled anywhere else it wakes it at once;
/// - after a first `block_in_place`, the worker has usually handed its core to another thread and
///   goes on polling the same task without one: that task is remembered (per thread) at the
///   first sign, and recognised by its id.
///
/// Used only to decide whether to log: the guard itself does not depend on it. The tests
/// `the_worker_guard_*` pin this behaviour of tokio.
fn on_async_worker() -> bool {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    struct Woken(AtomicBool);
    impl Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    let Some(task) = tokio::task::try_id() else {
        return false;
    };
    let woken = Arc::new(Woken(AtomicBool::new(false)));
    let waker = Waker::from(woken.clone());
    let mut probe = std::pin::pin!(tokio::task::yield_now());
    let deferred = match probe.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Pending => !woken.0.load(Ordering::Relaxed),
        Poll::Ready(()) => false,
    };
    if deferred {
        WORKER_TASK.set(Some(task));
        true
    } else {
        WORKER_TASK.get() == Some(task)
    }
}

#[cfg(test)]
mod tests {
    use crate::pg::PostgresStore;
    use crate::pg::testing::{TestSchema, pg_url};
    use crate::{Expect, Store, StoreError, StoreExt};
    use std::time::Duration;

    /// A `tracing` subscriber that keeps the `op` field of every debug event of this crate: the
    /// calls the worker guard stepped in for. Install it with `tracing::subscriber::with_default`
    /// around the calls (it follows the thread, as `block_in_place` runs on the calling thread).
    #[derive(Clone, Default)]
    struct GuardLog(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl GuardLog {
        fn ops(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    impl tracing::Subscriber for GuardLog {
        fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
            metadata.target().starts_with("iamd_store")
        }

        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }

        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

        fn event(&self, event: &tracing::Event<'_>) {
            struct Op(Option<String>);
            impl tracing::field::Visit for Op {
                fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                    if field.name() == "op" {
                        self.0 = Some(value.to_owned());
                    }
                }
                fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
            }
            if *event.metadata().level() == tracing::Level::DEBUG {
                let mut op = Op(None);
                event.record(&mut op);
                self.0
                    .lock()
                    .unwrap()
                    .push(op.0.unwrap_or_else(|| "<no op>".into()));
            }
        }

        fn enter(&self, _: &tracing::span::Id) {}

        fn exit(&self, _: &tracing::span::Id) {}
    }

    /// Runs `f` with a fresh [`GuardLog`] on this thread and returns what it logged.
    fn guard_log(f: impl FnOnce()) -> Vec<String> {
        let log = GuardLog::default();
        tracing::subscriber::with_default(log.clone(), f);
        log.ops()
    }

    #[test]
    fn the_worker_guard_logs_only_on_workers() {
        // Nothing listens on port 1: `connect` fails at once, after the guard.
        let dead = || {
            let r = PostgresStore::open_url("postgres://postgres@127.0.0.1:1/test");
            assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        // On a worker the guard steps in, and says so.
        let on_worker =
            rt.block_on(async move { tokio::spawn(async move { guard_log(dead) }).await.unwrap() });
        assert_eq!(on_worker, ["connect"]);
        // On the blocking pool of the same runtime (block_in_place runs too, doing nothing)
        // and on a plain thread: silence.
        let on_blocking = rt.block_on(async move {
            tokio::task::spawn_blocking(move || guard_log(dead))
                .await
                .unwrap()
        });
        assert_eq!(on_blocking, Vec::<String>::new());
        assert_eq!(guard_log(dead), Vec::<String>::new());
        // Inside block_in_place the worker has already stepped off: silence too.
        let inside = rt.block_on(async move {
            tokio::spawn(async move { tokio::task::block_in_place(|| guard_log(dead)) })
                .await
                .unwrap()
        });
        assert_eq!(inside, Vec::<String>::new());
    }

    #[test]
    fn the_worker_guard_names_each_call_it_steps_in_for() {
        let Some(url) = pg_url("the_worker_guard_names_each_call_it_steps_in_for") else {
            return;
        };
        let schema = TestSchema::new(&url);
        let settings = schema.settings();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let ops = rt.block_on(async move {
            tokio::spawn(async move {
                guard_log(|| {
                    let store = PostgresStore::connect(settings).unwrap();
                    store
                        .write(|tx| tx.put("k", "1", "a", b"x", Expect::Absent))
                        .unwrap();
                    assert!(store.read(|tx| tx.get("k", "1", "a")).unwrap().is_some());
                    assert_eq!(store.revision(), Ok(1));
                    let mut sub = store.subscribe().unwrap();
                    let _ = sub.recv_timeout(Duration::from_millis(1)).unwrap();
                    drop(sub);
                    drop(store);
                })
            })
            .await
            .unwrap()
        });
        assert_eq!(
            ops,
            [
                "connect",
                "write",
                "read",
                "revision",
                "subscribe",
                "notifications",
                "close",
                "close"
            ]
        );
    }
}
