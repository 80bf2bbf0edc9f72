//! Access logs (ops.md §6) and execution logs (ops.md §5).
//!
//! The request task never formats a line or touches a file: the record phase pushes one small
//! [`RequestLog`] (the access-log variable values the stage's format needs, and the execution
//! lines the phases appended through `RequestContext::log`) into its thread's bounded lane
//! ([`lanes`]), and drops it — counting the drop — when the lane is full. A background thread formats access lines,
//! writes them through a `BufWriter` per file (`{data dir}/logs/access-{apiId}-{stage}.log`;
//! canary requests to `access-{apiId}-{stage}.Canary.log`; rotated by size, see [`rotation`]),
//! appends execution lines to a bounded ring per stage, flushes every tick, and publishes the
//! lines it handled to consoles as one `GatewayEvent::Logs` batch per tick.

mod access_format;
mod execution;
mod lanes;
mod line;
mod record;
pub mod rotation;
mod writer;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lanes::Lanes;

use crate::engine::types::Variant;
pub(crate) use access_format::AccessValues;
pub use access_format::{
    ACCESS_LOG_CLF, ACCESS_LOG_CSV, ACCESS_LOG_JSON, ACCESS_LOG_PRESETS, ACCESS_LOG_XML,
    AccessFormat, StageLog,
};
pub(crate) use execution::PendingLine;
pub use execution::{
    ExecutionLog, Level, LogSettings, MAX_EVENT_BYTES, headers_for_log, java_map,
    method_response_headers_for_log, truncate_event,
};
use line::log_stage;
pub use line::{LogKind, LogLine};
pub(crate) use record::{RequestLog, Summary};
use rotation::{Rotation, access_log_path};
use writer::Writer;

/// Execution-log lines kept per stage (base and canary together).
pub const EXECUTION_LOG_CAPACITY: usize = 10_000;
/// Requests waiting for the log thread (over all lanes; each lane holds its share); beyond
/// this they are dropped and counted.
pub const LOG_QUEUE_CAPACITY: usize = 16_384;
/// How often the log thread flushes files and publishes to consoles.
pub const TICK: Duration = Duration::from_millis(250);
/// How often the log thread drains the queue.
pub const DRAIN: Duration = Duration::from_millis(10);

/// What the log thread is told besides the records in the lanes (dropping the sender tells
/// it to drain the lanes one last time and stop).
enum Message {
    Flush(tokio::sync::oneshot::Sender<()>),
}

type Rings = Mutex<HashMap<(String, String), VecDeque<LogLine>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The logging side of one gateway.
pub(crate) struct Logs {
    queue: SyncSender<Message>,
    /// The finished requests, one lane per submitting thread. The log thread hands handled
    /// records back to their lane: a request refills one instead of allocating. (Freeing
    /// every record on the log thread made the allocator hand the request threads cache-cold
    /// memory: +1.3 µs of wall time per request in process, with no more instructions.)
    lanes: Arc<Lanes>,
    dropped: Arc<AtomicU64>,
    /// Whether anyone listens to the gateway's events (refreshed each second by the roller;
    /// the broadcast's own receiver count takes a lock, so requests read this instead).
    subscribed: Arc<AtomicBool>,
    rings: Arc<Rings>,
    dir: PathBuf,
    rotation: Rotation,
}

impl Logs {
    /// Starts the log thread writing under `{data_dir}/logs`; `publish` receives each batch.
    pub(crate) fn start<F>(data_dir: &Path, rotation: Rotation, publish: F) -> std::io::Result<Logs>
    where
        F: Fn(Arc<[LogLine]>) + Send + 'static,
    {
        let (queue, rx) = std::sync::mpsc::sync_channel(64);
        let lanes = Arc::new(Lanes::new());
        let rings: Arc<Rings> = Arc::default();
        let dir = data_dir.join("logs");
        let subscribed = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            lanes: lanes.clone(),
            drained: Vec::new(),
            handled: Default::default(),
            last_file: None,
            dir: dir.clone(),
            files: Vec::new(),
            rotation,
            rings: rings.clone(),
            batch: Vec::new(),
            subscribed: subscribed.clone(),
            line: String::new(),
            now: Instant::now(),
        };
        std::thread::Builder::new()
            .name("gwtui-logs".into())
            .spawn(move || writer.run(rx, publish))?;
        Ok(Logs {
            lanes,
            queue,
            dropped: Arc::default(),
            subscribed,
            rings,
            dir,
            rotation,
        })
    }

    /// Where access logs are written and when they rotate.
    pub(crate) fn access_log_settings(&self) -> (PathBuf, Rotation) {
        (self.dir.clone(), self.rotation)
    }

    pub(crate) fn set_subscribed(&self, on: bool) {
        self.subscribed.store(on, Ordering::Relaxed);
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Whether a console listens (request summaries are then queued for every request;
    /// refreshed each second, so this is one relaxed load).
    pub(crate) fn subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    /// Queues one finished request (built by a pipeline's record phase). Never blocks: a full
    /// lane drops the record and counts it.
    pub(crate) fn submit(&self, record: RequestLog) {
        let queued = self.lanes.push(Instant::now(), |spare| {
            Some(match spare {
                Some(mut spare) => {
                    // The old contents are dropped here, on a request thread.
                    *spare = record;
                    spare
                }
                None => Box::new(record),
            })
        });
        if !queued {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Queues one finished request (ended at `ended`): `make` writes it into the record it is
    /// given — one the log thread handed back, whose strings and vectors are refilled in
    /// place (no allocation once warm) — or into a new one when the lane has none. `make` must
    /// set every field (`None`: nothing to queue). Never blocks: a full lane drops the record
    /// (`make` is not called) and counts it.
    pub(crate) fn submit_with(
        &self,
        ended: Instant,
        make: impl FnOnce(Option<Box<RequestLog>>) -> Option<Box<RequestLog>>,
    ) {
        if !self.lanes.push(ended, make) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until everything queued so far is written, flushed and published.
    pub(crate) async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut message = Message::Flush(tx);
        loop {
            match self.queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) => {
                    message = m;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
        let _ = rx.await;
    }

    /// The newest `limit` execution-log lines of a stage, oldest first. `stage` may be
    /// `{stage}/Canary` for the canary's lines only.
    pub(crate) fn execution_log(&self, api_id: &str, stage: &str, limit: usize) -> Vec<LogLine> {
        let (base, canary_only) = match stage.strip_suffix("/Canary") {
            Some(b) => (b, true),
            None => (stage, false),
        };
        let rings = lock(&self.rings);
        let Some(ring) = rings.get(&(api_id.to_string(), base.to_string())) else {
            return Vec::new();
        };
        let mut out: Vec<LogLine> = ring
            .iter()
            .rev()
            .filter(|l| !canary_only || l.stage == stage)
            .take(limit)
            .cloned()
            .collect();
        out.reverse();
        out
    }

    /// Where a stage's access log (or its canary's) is written.
    pub(crate) fn access_log_path(&self, api_id: &str, stage: &str, variant: Variant) -> PathBuf {
        access_log_path(&self.dir, api_id, stage, variant)
    }
}
