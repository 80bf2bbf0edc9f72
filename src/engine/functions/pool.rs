//! A local function's warm workers: processes speaking the Lambda Runtime API, each served on a
//! loopback port of its own (so the engine knows which worker asks for the next event without
//! relying on anything but `AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT`).
//!
//! Invocations wait in one queue per function; a worker takes the next one when it calls
//! `/invocation/next`. Workers start on demand up to the configured concurrency (the first
//! invocation a worker serves is its cold start), a worker that crashes is reaped and replaced
//! when work is waiting, and a worker that overruns the function timeout is killed and its
//! request answered with Lambda's timeout error. Every worker process is killed and reaped when
//! the pool is dropped or shut down.
//!
//! Bounds: at most `concurrency + queue` invocations are outstanding (running or queued); past
//! that an invocation is throttled at once (Lambda's `TooManyRequestsException`). A worker that
//! exits before it serves anything, or does not call `/invocation/next` within the function
//! timeout, fails the oldest queued invocation (`Runtime.ExitError`, the runtime's own
//! `init/error`, or `Sandbox.Timedout`), so a broken function answers within its timeout
//! instead of being restarted in a loop.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::process::{Child, Command};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::{Invocation, InvokeError};
use crate::engine::GatewayEvent;

/// How to start one worker.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    /// Set before `env` when a worker starts (read then, so a later change reaches new
    /// workers): the workers' AWS credential and `GWTUI_ENDPOINT`.
    pub defaults: SharedEnv,
    /// The runtime a worker's process, Runtime API listener and tasks belong to: the one the
    /// gateway was opened on, not whichever serving thread's runtime the first invocation
    /// ran on (those stop before the functions are shut down). `None`: the current one.
    pub runtime: Option<tokio::runtime::Handle>,
}

/// Environment variables shared by every function's workers.
pub type SharedEnv = std::sync::Arc<std::sync::RwLock<Vec<(String, String)>>>;

/// One queued invocation.
pub(crate) struct Job {
    pub request_id: String,
    pub payload: Bytes,
    /// The caller's `X-Amzn-Trace-Id` (active tracing), else one made up for the invocation.
    pub trace_id: Option<Box<str>>,
    pub reply: oneshot::Sender<Invocation>,
}

/// The invocation a worker is running.
pub(crate) struct InFlight {
    pub request_id: String,
    pub reply: oneshot::Sender<Invocation>,
    pub cold: bool,
    pub started: Instant,
    /// Dropped when the invocation ends, which stops its timeout timer.
    pub _done: oneshot::Sender<()>,
}

pub(crate) struct Worker {
    pub id: u64,
    pub pid: Option<u32>,
    pub inflight: Mutex<Option<InFlight>>,
    /// Invocations handed to this worker (0 → the next one is a cold start).
    pub served: AtomicU64,
    /// Running an invocation (not counted as available).
    pub busy: AtomicBool,
    /// `true` tells the worker's tasks to stop and the monitor to kill the process.
    pub kill: watch::Sender<bool>,
    pub init_error: Mutex<Option<Bytes>>,
    pub spawned: Instant,
    /// The worker has called `/invocation/next` (its runtime initialised).
    pub polled: AtomicBool,
    /// Killed for not calling `/invocation/next` within the function timeout.
    init_timed_out: AtomicBool,
    /// An `/invocation/next` poll is under way.
    polling: AtomicBool,
}

/// Held while a worker's `/invocation/next` poll is under way.
pub(crate) struct PollGuard<'a>(&'a Worker);

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.0.polling.store(false, Ordering::Release);
    }
}

impl Worker {
    /// Takes the in-flight invocation if it is `request_id`.
    pub fn take_inflight(&self, request_id: &str) -> Option<InFlight> {
        let mut slot = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|f| f.request_id == request_id) {
            slot.take()
        } else {
            None
        }
    }

    fn take_any_inflight(&self) -> Option<InFlight> {
        self.inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    pub fn is_dead(&self) -> bool {
        *self.kill.borrow()
    }

    /// Starts an `/invocation/next` poll, unless one is under way or an invocation runs.
    pub fn begin_poll(&self) -> Option<PollGuard<'_>> {
        if self
            .inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            return None;
        }
        if self.polling.swap(true, Ordering::AcqRel) {
            return None;
        }
        Some(PollGuard(self))
    }
}

/// Resolves when the worker is told to die (or its sender is gone).
pub(crate) async fn dead(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|d| *d).await;
}

#[derive(Default)]
struct PoolState {
    workers: Vec<Arc<Worker>>,
    /// Workers (starting, waiting in `next`, or between two invocations) not running one.
    available: usize,
    /// Queued jobs not yet taken by a worker.
    pending: usize,
    /// Workers reserved by `ensure_workers` whose process is not yet spawned.
    spawning: usize,
    /// Shut down: no new invocation, no new worker.
    closed: bool,
}

impl PoolState {
    /// Workers running an invocation.
    fn busy(&self) -> usize {
        (self.workers.len() + self.spawning).saturating_sub(self.available)
    }
}

/// Counters for the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub workers: usize,
    pub idle: usize,
    pub pending: usize,
    pub invocations: u64,
    pub cold_starts: u64,
    pub timeouts: u64,
    pub crashes: u64,
    /// Invocations refused because `concurrency + queue` were outstanding.
    pub throttles: u64,
    /// Workers that exited, or never called the Runtime API, before serving an invocation.
    pub init_failures: u64,
    /// The queue bound (`queue`, default 4 × `concurrency`).
    pub queue_limit: usize,
    /// Process ids of the live workers.
    pub pids: Vec<u32>,
}

pub(crate) struct Pool {
    pub name: String,
    pub spec: LaunchSpec,
    pub timeout: Duration,
    pub concurrency: usize,
    /// Invocations that may wait for a worker beyond the running ones.
    pub queue: usize,
    pub function_arn: String,
    tx: mpsc::UnboundedSender<Job>,
    pub(crate) rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Job>>,
    state: Mutex<PoolState>,
    events: broadcast::Sender<GatewayEvent>,
    next_worker: AtomicU64,
    invocations: AtomicU64,
    cold_starts: AtomicU64,
    timeouts: AtomicU64,
    crashes: AtomicU64,
    throttles: AtomicU64,
    init_failures: AtomicU64,
}

/// How many invocations a pool runs and queues.
#[derive(Debug, Clone, Copy)]
pub struct PoolLimits {
    pub timeout: Duration,
    pub concurrency: usize,
    pub queue: usize,
}

impl Pool {
    pub fn new(
        name: String,
        spec: LaunchSpec,
        limits: PoolLimits,
        events: broadcast::Sender<GatewayEvent>,
    ) -> Arc<Pool> {
        let (tx, rx) = mpsc::unbounded_channel();
        let function_arn = format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            crate::engine::REGION,
            crate::engine::ACCOUNT_ID
        );
        Arc::new(Pool {
            name,
            spec,
            timeout: limits.timeout,
            concurrency: limits.concurrency.max(1),
            queue: limits.queue,
            function_arn,
            tx,
            rx: tokio::sync::Mutex::new(rx),
            state: Mutex::new(PoolState::default()),
            events,
            next_worker: AtomicU64::new(1),
            invocations: AtomicU64::new(0),
            cold_starts: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            crashes: AtomicU64::new(0),
            throttles: AtomicU64::new(0),
            init_failures: AtomicU64::new(0),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stats(&self) -> PoolStats {
        let st = self.state();
        PoolStats {
            workers: st.workers.len(),
            idle: st.available,
            pending: st.pending,
            invocations: self.invocations.load(Ordering::Relaxed),
            cold_starts: self.cold_starts.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            crashes: self.crashes.load(Ordering::Relaxed),
            throttles: self.throttles.load(Ordering::Relaxed),
            init_failures: self.init_failures.load(Ordering::Relaxed),
            queue_limit: self.queue,
            pids: st.workers.iter().filter_map(|w| w.pid).collect(),
        }
    }

    pub fn log(&self, line: String) {
        let _ = self.events.send(GatewayEvent::FunctionLog {
            function: self.name.clone(),
            line,
        });
    }

    /// Queues one invocation and waits for its result. Past `concurrency + queue` outstanding
    /// invocations it is throttled at once.
    pub async fn invoke(
        self: &Arc<Self>,
        payload: Bytes,
        trace_id: Option<Box<str>>,
    ) -> Result<Invocation, InvokeError> {
        {
            let mut st = self.state();
            if st.closed {
                return Err(InvokeError::Failed(format!(
                    "function {} is shutting down",
                    self.name
                )));
            }
            if st.pending + st.busy() >= self.concurrency.saturating_add(self.queue) {
                drop(st);
                self.throttles.fetch_add(1, Ordering::Relaxed);
                return Err(InvokeError::Throttled);
            }
            st.pending += 1;
        }
        let request_id = uuid::Uuid::new_v4().to_string();
        let (reply, rx) = oneshot::channel();
        if self
            .tx
            .send(Job {
                request_id,
                payload,
                trace_id,
                reply,
            })
            .is_err()
        {
            self.state().pending -= 1;
            return Err(InvokeError::Failed(format!(
                "function {} is shutting down",
                self.name
            )));
        }
        self.ensure_workers();
        rx.await.map_err(|_| {
            InvokeError::Failed(format!(
                "function {} stopped before answering the invocation",
                self.name
            ))
        })
    }

    /// Starts workers while queued work exceeds idle and starting workers, within the
    /// concurrency limit.
    pub fn ensure_workers(self: &Arc<Self>) {
        let to_start = {
            let mut st = self.state();
            if st.closed {
                return;
            }
            let mut n = 0;
            // Workers reserved here are counted (and available) before they exist.
            while st.available < st.pending && st.workers.len() + st.spawning < self.concurrency {
                st.available += 1;
                st.spawning += 1;
                n += 1;
            }
            n
        };
        for _ in 0..to_start {
            if let Err(e) = self.spawn_worker() {
                {
                    let mut st = self.state();
                    st.available -= 1;
                    st.spawning -= 1;
                }
                self.log(format!("cannot start a worker: {e}"));
                let message = format!("cannot start the runtime: {e}");
                self.fail_one_queued(|_| error_payload("Runtime.InvalidEntrypoint", &message));
            }
        }
    }

    /// Answers the oldest queued job (whose caller still waits) with an error payload built
    /// from its request id: a worker could not serve it. Jobs whose caller left are dropped on
    /// the way. Returns whether a job was answered.
    fn fail_one_queued(&self, payload: impl FnOnce(&str) -> Bytes) -> bool {
        let Ok(mut rx) = self.rx.try_lock() else {
            return false;
        };
        while let Ok(job) = rx.try_recv() {
            self.dequeued();
            if job.reply.is_closed() {
                continue;
            }
            let payload = payload(&job.request_id);
            let _ = job.reply.send(Invocation {
                request_id: job.request_id,
                payload,
                function_error: Some("Unhandled".into()),
                cold_start: true,
            });
            return true;
        }
        false
    }

    /// Drops every queued job (their callers get an error): the pool is shutting down. When a
    /// worker's `next` still holds the queue, a task drains it once that poll has ended.
    fn drain_queue(self: &Arc<Self>) {
        let drain = |rx: &mut mpsc::UnboundedReceiver<Job>, pool: &Pool| {
            while let Ok(job) = rx.try_recv() {
                pool.dequeued();
                drop(job);
            }
        };
        match self.rx.try_lock() {
            Ok(mut rx) => drain(&mut rx, self),
            Err(_) => {
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    let pool = self.clone();
                    handle.spawn(async move {
                        let mut rx = pool.rx.lock().await;
                        drain(&mut rx, &pool);
                    });
                }
            }
        }
    }

    /// Whether the pool was shut down.
    pub fn is_closed(&self) -> bool {
        self.state().closed
    }

    fn spawn_worker(self: &Arc<Self>) -> std::io::Result<()> {
        let _entered = self.spec.runtime.as_ref().map(|h| h.enter());
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(std_listener)?;
        let id = self.next_worker.fetch_add(1, Ordering::Relaxed);

        let mut cmd = Command::new(&self.spec.program);
        cmd.args(&self.spec.args)
            .current_dir(&self.spec.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in self
            .spec
            .defaults
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            cmd.env(k, v);
        }
        for (k, v) in &self.spec.env {
            cmd.env(k, v);
        }
        cmd.env("AWS_LAMBDA_RUNTIME_API", addr.to_string());
        cmd.env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!("gwtui/[$LATEST]worker-{id}"),
        );
        let mut child = cmd.spawn()?;
        let (kill, kill_rx) = watch::channel(false);
        let worker = Arc::new(Worker {
            id,
            pid: child.id(),
            inflight: Mutex::new(None),
            served: AtomicU64::new(0),
            busy: AtomicBool::new(false),
            kill,
            init_error: Mutex::new(None),
            spawned: Instant::now(),
            polled: AtomicBool::new(false),
            init_timed_out: AtomicBool::new(false),
            polling: AtomicBool::new(false),
        });
        {
            let mut st = self.state();
            st.workers.push(worker.clone());
            st.spawning -= 1;
        }
        self.log(format!(
            "worker {id} started (pid {}, runtime API {addr})",
            worker
                .pid
                .map(|p| p.to_string())
                .unwrap_or_else(|| "?".into())
        ));
        if let Some(out) = child.stdout.take() {
            tokio::spawn(super::output::forward_lines(
                out,
                self.events.clone(),
                self.name.clone(),
            ));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(super::output::forward_lines(
                err,
                self.events.clone(),
                self.name.clone(),
            ));
        }
        // Init deadline: a runtime that has not asked for an invocation within the function
        // timeout is killed; its exit fails the invocation it was started for.
        {
            let pool = Arc::downgrade(self);
            let worker = worker.clone();
            let kill_rx = kill_rx.clone();
            let timeout = self.timeout;
            tokio::spawn(async move {
                tokio::select! {
                    _ = tokio::time::sleep(timeout) => {}
                    _ = dead(kill_rx) => return,
                }
                if !worker.polled.load(Ordering::Acquire) {
                    worker.init_timed_out.store(true, Ordering::Release);
                    if let Some(pool) = pool.upgrade() {
                        pool.log(format!(
                            "worker {} did not call the Runtime API within {:.2} seconds: killed",
                            worker.id,
                            timeout.as_secs_f64()
                        ));
                    }
                    let _ = worker.kill.send(true);
                }
            });
        }
        tokio::spawn(super::runtime_api::serve(
            listener,
            Arc::downgrade(self),
            worker.clone(),
            kill_rx.clone(),
        ));
        tokio::spawn(monitor(child, Arc::downgrade(self), worker, kill_rx));
        Ok(())
    }

    /// A job left the queue (taken by a worker, or discarded because its caller went away).
    pub fn dequeued(&self) {
        let mut st = self.state();
        st.pending = st.pending.saturating_sub(1);
    }

    /// Records a job a worker took and starts its timeout timer.
    pub fn start_invocation(self: &Arc<Self>, worker: &Arc<Worker>, job: Job) -> u128 {
        worker.busy.store(true, Ordering::Relaxed);
        {
            let mut st = self.state();
            st.available = st.available.saturating_sub(1);
        }
        let cold = worker.served.fetch_add(1, Ordering::Relaxed) == 0;
        self.invocations.fetch_add(1, Ordering::Relaxed);
        if cold {
            self.cold_starts.fetch_add(1, Ordering::Relaxed);
        }
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let request_id = job.request_id.clone();
        *worker.inflight.lock().unwrap_or_else(|p| p.into_inner()) = Some(InFlight {
            request_id: job.request_id,
            reply: job.reply,
            cold,
            started: Instant::now(),
            _done: done_tx,
        });
        self.log(format!("START RequestId: {request_id} Version: $LATEST"));
        let timeout = self.timeout;
        let pool = Arc::downgrade(self);
        let worker = worker.clone();
        let id = request_id.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(timeout) => {}
                _ = done_rx => return,
            }
            if let Some(inflight) = worker.take_inflight(&id) {
                let secs = timeout.as_secs_f64();
                if let Some(pool) = pool.upgrade() {
                    pool.invocation_ended(&worker);
                    pool.timeouts.fetch_add(1, Ordering::Relaxed);
                    pool.log(format!("{id} Task timed out after {secs:.2} seconds"));
                }
                let payload = error_payload(
                    "Sandbox.Timedout",
                    &format!("RequestId: {id} Error: Task timed out after {secs:.2} seconds"),
                );
                let _ = inflight.reply.send(Invocation {
                    request_id: id,
                    payload,
                    function_error: Some("Unhandled".into()),
                    cold_start: inflight.cold,
                });
                let _ = worker.kill.send(true);
            }
        });
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(self.timeout)
            .as_millis()
    }

    /// The worker is no longer running an invocation: available again.
    fn invocation_ended(&self, worker: &Worker) {
        if worker.busy.swap(false, Ordering::Relaxed) {
            self.state().available += 1;
        }
    }

    /// A worker answered an invocation (`/response` or `/error`).
    pub fn finish_invocation(
        &self,
        worker: &Worker,
        request_id: &str,
        payload: Bytes,
        function_error: Option<String>,
    ) -> bool {
        let Some(inflight) = worker.take_inflight(request_id) else {
            return false;
        };
        self.invocation_ended(worker);
        let elapsed = inflight.started.elapsed();
        let init = if inflight.cold {
            format!(
                " Init Duration: {:.2} ms",
                worker
                    .spawned
                    .elapsed()
                    .saturating_sub(elapsed)
                    .as_secs_f64()
                    * 1000.0
            )
        } else {
            String::new()
        };
        self.log(format!("END RequestId: {request_id}"));
        self.log(format!(
            "REPORT RequestId: {request_id} Duration: {:.2} ms Billed Duration: {} ms Memory Size: {} MB{init}",
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_millis().max(1),
            self.memory_mb(),
        ));
        let _ = inflight.reply.send(Invocation {
            request_id: request_id.to_string(),
            payload,
            function_error,
            cold_start: inflight.cold,
        });
        true
    }

    fn memory_mb(&self) -> String {
        self.spec
            .env
            .iter()
            .find(|(k, _)| k == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "128".into())
    }

    /// A worker process ended: reap its bookkeeping, answer its in-flight request, and start a
    /// replacement if work is waiting.
    fn on_exit(self: &Arc<Self>, worker: &Arc<Worker>, status: Option<ExitStatus>) {
        {
            let mut st = self.state();
            st.workers.retain(|w| w.id != worker.id);
            // A busy worker was already not counted as available.
            if !worker.busy.swap(false, Ordering::Relaxed) {
                st.available = st.available.saturating_sub(1);
            }
        }
        let how = match status {
            Some(s) => match (s.code(), exit_signal(&s)) {
                (Some(code), _) => format!("exit status {code}"),
                (None, Some(sig)) => format!("signal: {sig}"),
                _ => s.to_string(),
            },
            None => "unknown".into(),
        };
        self.log(format!("worker {} exited ({how})", worker.id));
        let init_error = worker
            .init_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if self.state().closed {
            self.drain_queue();
            return;
        }
        if let Some(inflight) = worker.take_any_inflight() {
            self.crashes.fetch_add(1, Ordering::Relaxed);
            let payload = error_payload(
                "Runtime.ExitError",
                &format!(
                    "RequestId: {} Error: Runtime exited with error: {how}",
                    inflight.request_id
                ),
            );
            let _ = inflight.reply.send(Invocation {
                request_id: inflight.request_id,
                payload,
                function_error: Some("Unhandled".into()),
                cold_start: inflight.cold,
            });
        } else if worker.served.load(Ordering::Relaxed) == 0 {
            // The runtime never served an invocation: an init failure. It fails the oldest
            // waiting invocation (the one it was started for) instead of being restarted for
            // it again and again.
            let timeout = self.timeout.as_secs_f64();
            let timed_out = worker.init_timed_out.load(Ordering::Acquire);
            let failed = self.fail_one_queued(|id| match init_error {
                Some(init) => init,
                None if timed_out => error_payload(
                    "Sandbox.Timedout",
                    &format!("RequestId: {id} Error: Task timed out after {timeout:.2} seconds"),
                ),
                None => error_payload(
                    "Runtime.ExitError",
                    &format!("RequestId: {id} Error: Runtime exited with error: {how}"),
                ),
            });
            if failed {
                self.init_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.ensure_workers();
    }

    /// Stops the pool: no new invocation or worker, queued invocations are answered with an
    /// error, and every worker is killed (their monitors reap the processes).
    pub fn shutdown(self: &Arc<Self>) {
        let workers = {
            let mut st = self.state();
            st.closed = true;
            st.workers.clone()
        };
        for w in &workers {
            let _ = w.kill.send(true);
        }
        self.drain_queue();
    }

    pub fn workers(&self) -> Vec<Arc<Worker>> {
        self.state().workers.clone()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for w in self.state().workers.iter() {
            let _ = w.kill.send(true);
        }
    }
}

#[cfg(unix)]
fn exit_signal(s: &ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    s.signal()
}

#[cfg(not(unix))]
fn exit_signal(_: &ExitStatus) -> Option<i32> {
    None
}

/// Lambda's error payload shape.
pub fn error_payload(error_type: &str, message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string())
}

/// Waits for the process to exit, or kills it when told to; always reaps it.
async fn monitor(
    mut child: Child,
    pool: Weak<Pool>,
    worker: Arc<Worker>,
    kill_rx: watch::Receiver<bool>,
) {
    let status = tokio::select! {
        s = child.wait() => s.ok(),
        _ = dead(kill_rx) => {
            let _ = child.start_kill();
            child.wait().await.ok()
        }
    };
    let _ = worker.kill.send(true);
    match pool.upgrade() {
        Some(pool) => pool.on_exit(&worker, status),
        None => {
            // The pool is gone: answer the in-flight request so its caller does not hang.
            if let Some(inflight) = worker.take_any_inflight() {
                let _ = inflight.reply.send(Invocation {
                    request_id: inflight.request_id,
                    payload: error_payload(
                        "Runtime.ExitError",
                        "Runtime exited: the function was removed",
                    ),
                    function_error: Some("Unhandled".into()),
                    cold_start: inflight.cold,
                });
            }
        }
    }
}
