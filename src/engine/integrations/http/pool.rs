//! HTTP/1.1 to `http://` upstreams, driven on the request's own task.
//!
//! The pooled `reqwest` client hands every request to a connection task over channels and gets
//! the response back the same way: three or four wake-ups, often on the other worker thread,
//! per proxied request (docs/PERFORMANCE.md, "Data plane under wrk"). Here the request task
//! owns the upstream connection for the length of the exchange and polls hyper's
//! `client::conn::http1` connection itself, alongside the response and its body. Idle
//! connections wait in a pool sharded by worker thread (a thread takes its own shard's lock,
//! uncontended but for a moment when its shard is empty and it looks in the others).
//!
//! Wake-ups the connection raises for its own task while this task is polling it (the request
//! pushed into its queue, the response handed over a oneshot) are absorbed by [`SelfWake`]
//! and answered by polling again at once, instead of rescheduling the task.
//!
//! What goes on the wire is what the `reqwest` client sent: the URL is parsed by the same
//! parser, the request line is origin-form, `Host` is added unless the request sets one (the
//! port only when it is not 80), `Accept: */*` unless the request sets one, the body is sent
//! with its exact length. A pooled connection that turns out closed before the request was
//! written is replaced by a fresh one once, as hyper-util's pool does.
//!
//! The exchange's deadline is a timer the connection keeps for its whole life: each request
//! moves it later (tokio then only updates the registered entry's expiry, an atomic; a new
//! timer per request takes the timer wheel's lock and, when its deadline is earlier than the
//! one the runtime parked for, wakes the I/O driver through its eventfd: one extra `write`
//! syscall and event-loop turn per proxied request, docs/PERFORMANCE.md "Data plane, round 5").

use std::collections::HashMap;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::task::AtomicWaker;
use http::{HeaderMap, HeaderValue, Method, Request, Uri, header};
use http_body_util::Full;
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::{Instant as Deadline, Sleep};

use crate::engine::context::MAX_BODY_BYTES;

/// An idle connection older than this is closed instead of reused (the `reqwest` client's
/// `pool_idle_timeout`).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Idle connections kept per upstream per shard (the `reqwest` client's
/// `pool_max_idle_per_host`).
const MAX_IDLE_PER_HOST: usize = 64;
/// How often a shard is swept for expired connections, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// Polls in a row a self-woken exchange may take before it yields to the scheduler.
const MAX_REPOLLS: usize = 16;

/// Where an `http://` integration URL goes: parsed once per request.
#[derive(Debug)]
pub(super) struct Target {
    /// `host` or `host:port` (port only when not 80): the `Host` header and the pool key.
    host_header: HeaderValue,
    /// The host to dial, without IPv6 brackets.
    host: String,
    port: u16,
    /// The origin-form request target: path and query.
    origin: Uri,
}

impl Target {
    /// `None` unless `url` is a valid `http://` URL without credentials (everything else takes
    /// the `reqwest` path, which also reports an invalid URL exactly as before).
    pub(super) fn parse(url: &str) -> Option<Target> {
        let parsed = reqwest::Url::parse(url).ok()?;
        // Credentials in the URL become a Basic `Authorization` on the reqwest path.
        if parsed.scheme() != "http" || !parsed.username().is_empty() || parsed.password().is_some()
        {
            return None;
        }
        let host = parsed.host_str()?;
        let port = parsed.port_or_known_default()?;
        // `Url` drops an explicit default port, so `port()` is `Some` only when it is not 80.
        let host_header = match parsed.port() {
            Some(p) => HeaderValue::from_maybe_shared(Bytes::from(format!("{host}:{p}"))),
            None => HeaderValue::from_str(host),
        }
        .ok()?;
        let origin = match parsed.query() {
            Some(q) => Uri::try_from(format!("{}?{q}", parsed.path())),
            None => Uri::try_from(parsed.path()),
        }
        .ok()?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_string();
        Some(Target {
            host_header,
            host,
            port,
            origin,
        })
    }
}

/// Parsed targets kept per thread, by URL (a bounded cache: cleared when full). An
/// integration's URL is usually the same string request after request; parsing it is a `Url`
/// parse and four allocations.
const TARGETS_PER_THREAD: usize = 64;

/// This thread's parsed targets, and the one found last: an integration is usually called
/// with the same URL request after request, and a request looks its URL up twice
/// (`is_endpoint`, then `send`), so a string comparison answers before the map hashes it.
#[derive(Default)]
struct Targets {
    by_url: HashMap<Rc<str>, Option<Arc<Target>>>,
    last: Option<(Rc<str>, Option<Arc<Target>>)>,
}

impl Target {
    /// [`Target::parse`], from this thread's cache when `url` was parsed before.
    pub(super) fn cached(url: &str) -> Option<Arc<Target>> {
        thread_local! {
            static TARGETS: std::cell::RefCell<Targets> = std::cell::RefCell::new(Targets::default());
        }
        TARGETS.with_borrow_mut(|targets| {
            if let Some((last_url, found)) = &targets.last
                && **last_url == *url
            {
                return found.clone();
            }
            let (key, found) = match targets.by_url.get_key_value(url) {
                Some((key, found)) => (key.clone(), found.clone()),
                None => {
                    let parsed = Target::parse(url).map(Arc::new);
                    if targets.by_url.len() >= TARGETS_PER_THREAD {
                        targets.by_url.clear();
                    }
                    let key: Rc<str> = url.into();
                    targets.by_url.insert(key.clone(), parsed.clone());
                    (key, parsed)
                }
            };
            targets.last = Some((key, found.clone()));
            found
        })
    }
}

/// Why an exchange failed (a timeout is the caller's bound, not reported here).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// Connection refused or reset, malformed response: INTEGRATION_FAILURE.
    Network,
    /// The response body passed `MAX_BODY_BYTES`.
    TooLarge,
    /// The deadline passed: INTEGRATION_TIMEOUT.
    Timeout,
}

/// Sends one request to `target` and reads the whole response, all of it (connecting
/// included) before `deadline`.
pub(super) fn send(
    target: &Target,
    method: Method,
    mut headers: HeaderMap,
    body: Bytes,
    deadline: Deadline,
) -> impl Future<Output = Result<(u16, HeaderMap, Bytes), Failure>> + Send {
    // Built before the future: it holds the request once, not its parts too.
    headers
        .entry(header::ACCEPT)
        .or_insert_with(|| HeaderValue::from_static("*/*"));
    headers
        .entry(header::HOST)
        .or_insert_with(|| target.host_header.clone());
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = target.origin.clone();
    *request.headers_mut() = headers;
    async move {
        // A new connection's future (its dial under a timer) is boxed: connecting is rare,
        // and inline its states would make every request's future larger.
        let (mut conn, response) = match checkout(target, deadline).await {
            Some(mut conn) => match conn.request(request).await? {
                Ok(response) => (conn, response),
                // Closed while idle, before the request was written: once more on a new one.
                Err(Some(unsent)) => {
                    let mut fresh = Box::pin(connect(target, deadline)).await?;
                    let response = fresh.request(unsent).await?.map_err(|_| Failure::Network)?;
                    (fresh, response)
                }
                Err(None) => return Err(Failure::Network),
            },
            None => {
                let mut fresh = Box::pin(connect(target, deadline)).await?;
                let response = fresh
                    .request(request)
                    .await?
                    .map_err(|_| Failure::Network)?;
                (fresh, response)
            }
        };
        let (parts, body) = response.into_parts();
        let body = conn.read_body(body).await?;
        if conn.settle() {
            checkin(target, conn);
        }
        Ok((parts.status.as_u16(), parts.headers, body))
    }
}

/// One upstream connection: the handle requests are sent on, the connection state machine
/// this task polls, and the waker it polls with. Always boxed: hyper's connection state is
/// about a kilobyte, and a `Conn` held by value would make every request's future that much
/// larger (hyper moves each request's future whole, docs/PERFORMANCE.md "Data plane, round
/// 5") and be copied in and out of the pool on every checkout and checkin.
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    driver: Connection<TokioIo<TcpStream>, Full<Bytes>>,
    /// False once the driver finished (the connection closed or failed).
    alive: bool,
    wake: Arc<SelfWake>,
    waker: Waker,
    /// The current exchange's deadline, one timer for the connection's life (module docs).
    timer: Pin<Box<Sleep>>,
}

/// A new connection to `target`, made before `deadline`.
async fn connect(target: &Target, deadline: Deadline) -> Result<Box<Conn>, Failure> {
    let dial = async {
        let stream = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|_| Failure::Network)?;
        stream.set_nodelay(true).map_err(|_| Failure::Network)?;
        http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|_| Failure::Network)
    };
    let (sender, driver) = tokio::time::timeout_at(deadline, dial)
        .await
        .map_err(|_| Failure::Timeout)??;
    let wake = Arc::new(SelfWake::default());
    let waker = Waker::from(wake.clone());
    Ok(Box::new(Conn {
        sender,
        driver,
        alive: true,
        wake,
        waker,
        timer: Box::pin(tokio::time::sleep_until(deadline)),
    }))
}

impl Conn {
    /// Polls `f` together with the connection, on this task, until `f` is ready or the
    /// exchange's deadline passes.
    async fn drive<T>(&mut self, f: impl FnMut(&mut Context<'_>) -> Poll<T>) -> Result<T, Failure> {
        self.drive_after(false, f).await
    }

    /// [`Conn::drive`] for what may already be ready: `f` is polled first, and the
    /// connection only when `f` has to wait.
    async fn drive_waiting_on<T>(
        &mut self,
        f: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Result<T, Failure> {
        self.drive_after(true, f).await
    }

    async fn drive_after<T>(
        &mut self,
        f_first: bool,
        mut f: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Result<T, Failure> {
        if f_first {
            // With the connection's own waker: a wake `f` registers is one for the
            // connection's poll loop below.
            let mut inner = Context::from_waker(&self.waker);
            if let Poll::Ready(value) = f(&mut inner) {
                return Ok(value);
            }
        }
        std::future::poll_fn(|cx| {
            let Conn {
                driver,
                alive,
                wake,
                waker,
                timer,
                ..
            } = self;
            let polled = wake.poll_with(cx, waker, |cx| {
                if *alive && Pin::new(&mut *driver).poll(cx).is_ready() {
                    *alive = false;
                }
                f(cx)
            });
            match polled {
                Poll::Ready(value) => Poll::Ready(Ok(value)),
                // Polled only while waiting: an exchange that completes at once never
                // touches it.
                Poll::Pending if timer.as_mut().poll(cx).is_ready() => {
                    Poll::Ready(Err(Failure::Timeout))
                }
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Sends `request`; on failure, hands the request back if it was never written.
    /// (Hands the request to hyper before returning the future, which holds only the wait for
    /// the response.)
    #[allow(clippy::type_complexity)]
    fn request(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> impl Future<
        Output = Result<Result<hyper::Response<Incoming>, Option<Request<Full<Bytes>>>>, Failure>,
    > + Send {
        // Queueing the request wakes the connection's task, which is this one: absorbed here
        // (the first `drive` below polls the connection anyway) instead of scheduling this
        // task for one more, empty, poll of the whole request.
        let pending = self.wake.absorb(|| self.sender.try_send_request(request));
        async move {
            let mut pending = std::pin::pin!(pending);
            Ok(self
                .drive(|cx| pending.as_mut().poll(cx))
                .await?
                .map_err(|mut e| e.take_message()))
        }
    }

    /// Reads the whole body, keeping a single-chunk body as it came (no copy).
    ///
    /// A body with a length ends with its last byte (`is_end_stream`): no poll waits for the
    /// end of the stream hyper already knows of. A chunk the connection already handed over
    /// (a small response arrives with its head) is taken without polling the connection.
    async fn read_body(&mut self, mut body: Incoming) -> Result<Bytes, Failure> {
        let mut first: Option<Bytes> = None;
        let mut more: Option<BytesMut> = None;
        let mut held = 0;
        while !body.is_end_stream() {
            let frame = self
                .drive_waiting_on(|cx| Pin::new(&mut body).poll_frame(cx))
                .await?
                .transpose()
                .map_err(|_| Failure::Network)?;
            let Some(frame) = frame else { break };
            let Ok(chunk) = frame.into_data() else {
                continue; // trailers: not part of the body
            };
            held += chunk.len();
            if held > MAX_BODY_BYTES {
                return Err(Failure::TooLarge);
            }
            if let Some(buf) = more.as_mut() {
                buf.extend_from_slice(&chunk);
            } else if let Some(head) = first.take() {
                let mut buf = BytesMut::with_capacity(held);
                buf.extend_from_slice(&head);
                buf.extend_from_slice(&chunk);
                more = Some(buf);
            } else {
                first = Some(chunk);
            }
        }
        Ok(match more {
            Some(buf) => buf.freeze(),
            None => first.unwrap_or_default(),
        })
    }

    /// Polls the connection once after the exchange (a keep-alive connection goes back to
    /// idle; one the upstream closes finishes) and says whether it can be reused.
    fn settle(&mut self) -> bool {
        let noop = Waker::noop();
        let mut cx = Context::from_waker(noop);
        let Conn {
            driver,
            alive,
            wake,
            waker,
            ..
        } = self;
        let _ = wake.poll_with(&mut cx, waker, |cx| {
            if *alive && Pin::new(&mut *driver).poll(cx).is_ready() {
                *alive = false;
            }
            Poll::<()>::Pending
        });
        // Nobody waits on an idle connection: forget the task that just used it (the timer
        // stays registered, so the next exchange only moves its expiry, but wakes nobody
        // should it expire while the connection is idle).
        drop(self.wake.task.take());
        let _ = self.timer.as_mut().poll(&mut cx);
        self.alive && !self.sender.is_closed()
    }

    /// A pooled connection is usable when polling it leaves it open and ready for a request.
    /// It is polled only when something woke it since it went idle ([`Conn::settle`] left it
    /// waiting, so a poll without a wake-up, its upstream closing included, finds nothing new).
    fn usable(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.wake.woken.load(Ordering::SeqCst) {
            return self.alive && self.sender.is_ready();
        }
        let Conn {
            driver,
            alive,
            wake,
            waker,
            ..
        } = self;
        let _ = wake.poll_with(cx, waker, |cx| {
            if *alive && Pin::new(&mut *driver).poll(cx).is_ready() {
                *alive = false;
            }
            Poll::<()>::Pending
        });
        self.alive && self.sender.is_ready()
    }
}

/// Absorbs wake-ups raised while this task is polling the exchange (they mean "poll again",
/// which `poll_with` does at once) and forwards the others to the task.
#[derive(Default)]
struct SelfWake {
    task: AtomicWaker,
    polling: AtomicBool,
    woken: AtomicBool,
}

impl Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if !self.polling.load(Ordering::SeqCst) {
            self.task.wake();
        }
    }
}

impl SelfWake {
    /// Polls `f` with `waker` (built from this `SelfWake`), again while it woke itself.
    fn poll_with<T>(
        &self,
        cx: &mut Context<'_>,
        waker: &Waker,
        mut f: impl FnMut(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.task.register(cx.waker());
        let mut inner = Context::from_waker(waker);
        for _ in 0..MAX_REPOLLS {
            self.woken.store(false, Ordering::SeqCst);
            self.polling.store(true, Ordering::SeqCst);
            let result = f(&mut inner);
            self.polling.store(false, Ordering::SeqCst);
            if result.is_ready() {
                return result;
            }
            // A wake that raced the end of the poll is seen here, never lost.
            if !self.woken.swap(false, Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
        // Still waking itself: let the scheduler run others first (and an idle connection
        // stays marked as woken, so that its next checkout polls it).
        self.woken.store(true, Ordering::SeqCst);
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Runs `f` (which may wake the connection, e.g. by queueing a request on it) as if
    /// during a poll: the wake is recorded, not forwarded to the task. Only for a caller
    /// that polls the connection next.
    fn absorb<T>(&self, f: impl FnOnce() -> T) -> T {
        self.polling.store(true, Ordering::SeqCst);
        let result = f();
        self.polling.store(false, Ordering::SeqCst);
        result
    }
}

/// Idle connections, per runtime and upstream, in one shard per worker thread (threads are
/// given shards in turn). A thread checks its own shard first, then the others, so an idle
/// connection is found wherever the task that used it last ran: the upstream sees about as
/// many connections as there are requests in flight, not one per worker per request.
/// foldhash (randomly seeded): every proxied request looks its upstream up here twice
/// (checkout, checkin), and SipHash made each lookup about 400 instructions.
#[derive(Default)]
struct Shard {
    hosts: HashMap<(tokio::runtime::Id, HeaderValue), Vec<Idle>, foldhash::fast::RandomState>,
    swept: Option<Instant>,
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

fn shards() -> &'static [Mutex<Shard>] {
    static SHARDS: OnceLock<Box<[Mutex<Shard>]>> = OnceLock::new();
    SHARDS.get_or_init(|| {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 64));
        (0..n).map(|_| Mutex::new(Shard::default())).collect()
    })
}

/// This thread's shard.
fn home() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static HOME: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    HOME.with(|h| *h) % shards().len()
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave a half-updated list behind.
    shard.lock().unwrap_or_else(|p| p.into_inner())
}

/// Pops the most recently used idle connection to `key` from `shard`, dropping expired ones.
fn pop(shard: &Mutex<Shard>, key: &(tokio::runtime::Id, HeaderValue)) -> Option<Box<Conn>> {
    let mut shard = lock(shard);
    let idle = shard.hosts.get_mut(key)?;
    let newest = idle.pop()?;
    if newest.since.elapsed() > IDLE_TIMEOUT {
        idle.clear(); // the others are older still
        return None;
    }
    Some(newest.conn)
}

/// The most recently used idle connection to `target` that is still open, its timer set to
/// `deadline`.
async fn checkout(target: &Target, deadline: Deadline) -> Option<Box<Conn>> {
    let runtime = tokio::runtime::Handle::try_current().ok()?.id();
    let key = (runtime, target.host_header.clone());
    let shards = shards();
    let home = home();
    for i in 0..shards.len() {
        let shard = &shards[(home + i) % shards.len()];
        while let Some(mut conn) = pop(shard, &key) {
            let usable = std::future::poll_fn(|cx| Poll::Ready(conn.usable(cx))).await;
            if usable {
                conn.timer.as_mut().reset(deadline);
                return Some(conn);
            }
        }
    }
    None
}

fn checkin(target: &Target, conn: Box<Conn>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current().map(|h| h.id()) else {
        return;
    };
    let now = Instant::now();
    let mut shard = lock(&shards()[home()]);
    if shard
        .swept
        .is_none_or(|t| now.duration_since(t) > SWEEP_EVERY)
    {
        shard.swept = Some(now);
        shard.hosts.retain(|_, idle| {
            idle.retain(|i| now.duration_since(i.since) <= IDLE_TIMEOUT);
            !idle.is_empty()
        });
    }
    let idle = shard
        .hosts
        .entry((runtime, target.host_header.clone()))
        .or_default();
    if idle.len() < MAX_IDLE_PER_HOST {
        idle.push(Idle { conn, since: now });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_keeps_what_the_reqwest_client_sent() {
        let t = Target::parse("http://127.0.0.1:8080/a/b%20c?x=1&y=2#frag").unwrap();
        assert_eq!(t.host_header, "127.0.0.1:8080");
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 8080));
        assert_eq!(t.origin, "/a/b%20c?x=1&y=2");

        // The default port is not in Host; an empty path is `/`; dot segments are resolved
        // and a space is escaped, as `Url` (reqwest's parser) does.
        let t = Target::parse("HTTP://Example.COM:80/x/../y z").unwrap();
        assert_eq!(t.host_header, "example.com");
        assert_eq!(t.port, 80);
        assert_eq!(t.origin, "/y%20z");
        assert_eq!(Target::parse("http://example.com").unwrap().origin, "/");

        let t = Target::parse("http://[::1]:9000/").unwrap();
        assert_eq!(t.host_header, "[::1]:9000");
        assert_eq!(t.host, "::1");

        // Everything else stays on the reqwest client.
        assert!(Target::parse("https://example.com/").is_none());
        assert!(Target::parse("not a url").is_none());
        assert!(Target::parse("http://user:pw@example.com/").is_none());
    }

    #[test]
    fn cached_targets_are_the_parsed_ones_and_the_cache_is_bounded() {
        let a = Target::cached("http://127.0.0.1:8080/a?x=1").unwrap();
        assert_eq!(a.origin, "/a?x=1");
        let again = Target::cached("http://127.0.0.1:8080/a?x=1").unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        assert!(Target::cached("https://example.com/").is_none());
        assert!(Target::cached("https://example.com/").is_none());
        for i in 0..3 * TARGETS_PER_THREAD {
            let t = Target::cached(&format!("http://127.0.0.1:{}/", 1000 + i)).unwrap();
            assert_eq!(t.port, 1000 + i as u16);
        }
        let b = Target::cached("http://127.0.0.1:8080/a?x=1").unwrap();
        assert_eq!(b.origin, "/a?x=1");
    }

    #[test]
    fn a_self_wake_during_the_poll_polls_again_instead_of_waking_the_task() {
        let wake = Arc::new(SelfWake::default());
        let waker = Waker::from(wake.clone());
        let counter = Arc::new(Counter::default());
        let task = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&task);
        let mut polls = 0;
        let result = wake.poll_with(&mut cx, &waker, |cx| {
            polls += 1;
            if polls < 3 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(polls)
            }
        });
        assert_eq!(result, Poll::Ready(3));
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);

        // A wake after the poll reaches the task.
        let result = wake.poll_with(&mut cx, &waker, |_| Poll::<()>::Pending);
        assert!(result.is_pending());
        waker.wake_by_ref();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);

        // A future that always wakes itself is polled a bounded number of times, then yields.
        let mut polls = 0;
        let result = wake.poll_with(&mut cx, &waker, |cx| {
            polls += 1;
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        });
        assert!(result.is_pending());
        assert_eq!(polls, MAX_REPOLLS);
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
    }

    #[derive(Default)]
    struct Counter(std::sync::atomic::AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}
