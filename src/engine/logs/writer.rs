//! The `gwtui-logs` thread: drains the queue of finished requests, formats access lines and
//! appends them to their files (rotated by size, [`super::rotation`]), keeps the execution-log
//! rings, flushes every [`TICK`] and publishes batches to consoles. Nothing here runs on a
//! request task.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use crate::engine::types::Variant;

use super::access_format::StageLog;
use super::lanes::{Drained, Handled, Lanes};
use super::rotation::{AccessFile, Rotation, access_log_path};
use super::{
    DRAIN, EXECUTION_LOG_CAPACITY, LogKind, LogLine, MAX_EVENT_BYTES, Message, RequestLog, Rings,
    TICK, lock, log_stage, truncate_event,
};

pub(super) struct Writer {
    pub(super) dir: PathBuf,
    /// Open access-log files (a handful: idle ones are closed), found by API, stage and
    /// variant without building their path.
    pub(super) files: Vec<AccessFile>,
    pub(super) rotation: Rotation,
    pub(super) rings: Arc<Rings>,
    pub(super) batch: Vec<LogLine>,
    /// Lines are only batched for consoles while someone listens.
    pub(super) subscribed: Arc<AtomicBool>,
    /// The access line being rendered (reused).
    pub(super) line: String,
    /// When the current drain started (files' `last_used`).
    pub(super) now: Instant,
    /// The request threads' lanes (records in, handled records back).
    pub(super) lanes: Arc<Lanes>,
    /// The records of the current drain (its buffer reused).
    pub(super) drained: Vec<Drained>,
    /// Handled records, by lane, going back with the next drain.
    pub(super) handled: Handled,
    /// The file the last access line went to: its stage's log target (the same `Arc` for
    /// every request of a route map) and variant, and its index in `files`.
    pub(super) last_file: Option<(Arc<StageLog>, Variant, usize)>,
}

impl Writer {
    /// Drains the lanes every [`DRAIN`] instead of being woken per request (a blocked
    /// receiver would make every request's hand-off wake this thread: a futex call on the
    /// request task).
    pub(super) fn run<F: Fn(Arc<[LogLine]>)>(mut self, rx: Receiver<Message>, publish: F) {
        let mut next_tick = Instant::now() + TICK;
        loop {
            std::thread::sleep(DRAIN);
            self.now = Instant::now();
            self.drain(&publish);
            loop {
                match rx.try_recv() {
                    Ok(Message::Flush(done)) => {
                        // Everything the flushing task queued before asking is in the lanes.
                        self.drain(&publish);
                        self.tick(&publish);
                        let _ = done.send(());
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.drain(&publish);
                        self.tick(&publish);
                        return;
                    }
                }
            }
            if Instant::now() >= next_tick {
                self.tick(&publish);
                next_tick = Instant::now() + TICK;
            }
        }
    }

    /// Handles every record queued in the lanes, oldest first.
    fn drain<F: Fn(Arc<[LogLine]>)>(&mut self, publish: &F) {
        let mut drained = std::mem::take(&mut self.drained);
        self.lanes.drain(&mut drained, &mut self.handled);
        for (_, lane, mut r) in drained.drain(..) {
            self.handle(&mut r);
            self.handled[lane].push(r);
            if self.batch.len() >= 4096 {
                self.publish(publish);
            }
        }
        self.drained = drained;
    }

    fn tick<F: Fn(Arc<[LogLine]>)>(&mut self, publish: &F) {
        for f in &mut self.files {
            f.flush();
        }
        // Close files idle for a minute (stages come and go).
        let before = self.files.len();
        self.files
            .retain(|f| f.last_used.elapsed() < Duration::from_secs(60));
        if self.files.len() != before {
            self.last_file = None;
        }
        self.publish(publish);
    }

    fn publish<F: Fn(Arc<[LogLine]>)>(&mut self, publish: &F) {
        if !self.batch.is_empty() {
            publish(Arc::from(std::mem::take(&mut self.batch)));
        }
    }

    fn handle(&mut self, r: &mut RequestLog) {
        let subscribed = self.subscribed.load(Ordering::Relaxed);
        let api_id = &r.target.api_id;
        let stage = || log_stage(&r.target.stage, r.variant);
        if let Some(summary) = &r.summary {
            self.batch.push(LogLine {
                epoch_millis: r.epoch_millis,
                kind: LogKind::Request,
                rest_api_id: api_id.clone(),
                stage: stage(),
                request_id: r.request_id.clone(),
                message: summary.line(r.variant),
            });
        }
        if r.access.is_some() {
            let mut line = std::mem::take(&mut self.line);
            line.clear();
            r.render_access(&mut line);
            let rendered = line.len();
            // The file's newline written with the line (one write).
            line.push('\n');
            self.write_access(r, &line);
            if subscribed {
                self.batch.push(LogLine {
                    epoch_millis: r.epoch_millis,
                    kind: LogKind::Access,
                    rest_api_id: api_id.clone(),
                    stage: stage(),
                    request_id: r.request_id.clone(),
                    message: line[..rendered].to_string(),
                });
            }
            self.line = line;
        }
        if r.execution.is_empty() {
            return;
        }
        let stage = stage();
        // `({requestId}) ` counts toward the 1024-byte event.
        let limit = MAX_EVENT_BYTES.saturating_sub(r.request_id.len() + 3);
        let lines: Vec<LogLine> = std::mem::take(&mut r.execution)
            .into_iter()
            .map(|p| LogLine {
                epoch_millis: p.epoch_millis,
                kind: LogKind::Execution(p.level),
                rest_api_id: api_id.clone(),
                stage: stage.clone(),
                request_id: r.request_id.clone(),
                message: truncate_event(p.message, limit),
            })
            .collect();
        {
            let mut rings = lock(&self.rings);
            let ring = rings
                .entry((api_id.clone(), r.target.stage.clone()))
                .or_default();
            for line in &lines {
                if ring.len() == EXECUTION_LOG_CAPACITY {
                    ring.pop_front();
                }
                ring.push_back(line.clone());
            }
        }
        if subscribed {
            self.batch.extend(lines);
        }
    }

    fn write_access(&mut self, r: &RequestLog, line: &str) {
        let (api_id, stage) = (&r.target.api_id, &r.target.stage);
        let last = match &self.last_file {
            Some((target, variant, i))
                if Arc::ptr_eq(target, &r.target) && *variant == r.variant =>
            {
                Some(*i)
            }
            _ => None,
        };
        let found = last.or_else(|| {
            self.files
                .iter()
                .position(|f| f.variant == r.variant && f.api_id == *api_id && f.stage == *stage)
        });
        let index = match found {
            Some(i) => i,
            None => {
                let path = access_log_path(&self.dir, api_id, stage, r.variant);
                // Another API/stage whose names map to the same file: hand the file over.
                if let Some(i) = self.files.iter().position(|f| f.path == path) {
                    let mut old = self.files.swap_remove(i);
                    old.flush();
                    // Indices moved.
                    self.last_file = None;
                }
                match AccessFile::open(&self.dir, api_id, stage, r.variant, self.now) {
                    Ok(file) => {
                        self.files.push(file);
                        self.files.len() - 1
                    }
                    // The line still reaches consoles; the file is retried with the next line.
                    Err(_) => return,
                }
            }
        };
        if last.is_none() {
            self.last_file = Some((r.target.clone(), r.variant, index));
        }
        let Some(f) = self.files.get_mut(index) else {
            return;
        };
        f.last_used = self.now;
        f.write_line(line, self.rotation);
    }
}
