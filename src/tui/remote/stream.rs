//! The console's subscription to an attached server: `GET /gwtui/events` (Server-Sent
//! Events, see `server/events.rs`) read into [`DataUpdate`]s, reconnecting with back-off
//! when the stream goes down. While it is down the console is told so
//! ([`DataUpdate::Connection`]`(false)`: the header shows "disconnected, retrying"). When it
//! is back, the server replays the changes and log lines it missed (it resumes from the last
//! event id), or asks for a re-sync (`hello` with `resync`), which becomes a reload. Log
//! lines the server no longer kept (`missed`), or lost in a re-sync, leave a visible `WARN`
//! line "logs from … to … were missed" in the log view rather than a silent hole.

use std::time::Duration;

use http::Method;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::RemoteBackend;
use crate::tui::backend::EVENT_QUEUE;
use crate::tui::msg::{DataUpdate, LogLine};

/// The first wait before reconnecting, doubled after each failure up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_millis(250);
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// A stream silent this long is taken for dead (the server writes a comment every 10 s).
pub const STALL: Duration = Duration::from_secs(30);
/// The most a stream may send without ending an event.
const MAX_EVENT_BYTES: usize = 16 << 20;

/// One parsed event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub id: Option<String>,
    pub data: String,
}

/// An incremental `text/event-stream` parser.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
}

impl Parser {
    /// Feeds bytes; returns the events they complete. `Err` when an event grows past
    /// [`MAX_EVENT_BYTES`].
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Event>, String> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = find_blank_line(&self.buf) {
            let block: Vec<u8> = self.buf.drain(..end.1).collect();
            let text = String::from_utf8_lossy(&block[..end.0]);
            let mut event = Event::default();
            let mut any = false;
            for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
                let (field, value) = match line.split_once(':') {
                    Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                    None => (line, ""),
                };
                match field {
                    "" => {}
                    "event" => {
                        event.name = value.to_string();
                        any = true;
                    }
                    "id" => event.id = Some(value.to_string()),
                    "data" => {
                        if !event.data.is_empty() {
                            event.data.push('\n');
                        }
                        event.data.push_str(value);
                        any = true;
                    }
                    _ => {}
                }
            }
            if any {
                if event.name.is_empty() {
                    event.name = "message".into();
                }
                out.push(event);
            }
        }
        if self.buf.len() > MAX_EVENT_BYTES {
            return Err("an event of the stream is too large".into());
        }
        Ok(out)
    }
}

/// The end of the first event block: (where its text ends, where the next block starts).
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, i + 2));
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[derive(Default)]
struct WireLog {
    epoch_millis: i64,
    level: String,
    rest_api_id: String,
    stage: String,
    request_id: String,
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct MissedLogs {
    to_epoch_millis: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Missed {
    logs: Option<MissedLogs>,
}

/// `HH:MM:SS` UTC of epoch milliseconds (the log view's clock).
fn clock(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .map(|t| format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()))
        .unwrap_or_else(|_| "-".into())
}

fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The log view's marker for lines that will never arrive.
pub fn missed_line(from: i64, to: i64, why: &str) -> LogLine {
    LogLine {
        epoch_millis: to,
        level: "WARN".into(),
        message: format!(
            "logs from {} to {} were missed ({why})",
            clock(from),
            clock(to)
        ),
        ..LogLine::default()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Hello {
    boot: String,
    resync: bool,
}

/// What one event means to the console.
enum Outcome {
    Update(DataUpdate),
    /// Several updates, in order, none of which may be dropped.
    Updates(Vec<DataUpdate>),
    /// Log lines: dropped when the console is behind.
    Logs(Vec<LogLine>),
    Nothing,
}

/// What the stream remembers across events and reconnects.
#[derive(Default)]
struct State {
    boot: Option<String>,
    /// When the stream went down (epoch ms), until the first event after the reconnect.
    down_since: Option<i64>,
}

fn interpret(event: &Event, st: &mut State) -> Outcome {
    match event.name.as_str() {
        "hello" => {
            let hello: Hello = serde_json::from_str(&event.data).unwrap_or_default();
            let restarted = st.boot.as_ref().is_some_and(|b| *b != hello.boot);
            st.boot = Some(hello.boot);
            let down_since = if hello.resync || restarted {
                st.down_since.take()
            } else {
                None
            };
            if !(hello.resync || restarted) {
                return Outcome::Nothing;
            }
            // Nothing is replayed across a re-sync: the lines of the outage are lost.
            match down_since {
                Some(from) => Outcome::Updates(vec![
                    DataUpdate::Logs(vec![missed_line(
                        from,
                        now_millis(),
                        if restarted {
                            "the server restarted"
                        } else {
                            "re-synced"
                        },
                    )]),
                    DataUpdate::Resync,
                ]),
                None => Outcome::Update(DataUpdate::Resync),
            }
        }
        "missed" => {
            let missed: Missed = serde_json::from_str(&event.data).unwrap_or_default();
            match (missed.logs, st.down_since.take()) {
                (Some(logs), from) => {
                    let from = from
                        .unwrap_or(logs.to_epoch_millis)
                        .min(logs.to_epoch_millis);
                    Outcome::Updates(vec![DataUpdate::Logs(vec![missed_line(
                        from,
                        logs.to_epoch_millis,
                        "no longer kept by the server",
                    )])])
                }
                (None, _) => Outcome::Nothing,
            }
        }
        "changed" => Outcome::Update(DataUpdate::Changed),
        // The server could not queue everything for this console.
        "dropped" => Outcome::Update(DataUpdate::Resync),
        "logs" => {
            let lines: Vec<WireLog> = serde_json::from_str(&event.data).unwrap_or_default();
            Outcome::Logs(
                lines
                    .into_iter()
                    .map(|l| LogLine {
                        epoch_millis: l.epoch_millis,
                        level: l.level,
                        rest_api_id: l.rest_api_id,
                        stage: l.stage,
                        request_id: l.request_id,
                        message: l.message,
                    })
                    .collect(),
            )
        }
        // Metric ticks: the console reads metrics on its own 1 s tick, as in process.
        _ => Outcome::Nothing,
    }
}

/// Starts the subscription task; it ends when the console drops the receiver.
pub fn subscribe(backend: RemoteBackend) -> mpsc::Receiver<DataUpdate> {
    let (tx, rx) = mpsc::channel(EVENT_QUEUE);
    tokio::spawn(run(backend, tx));
    rx
}

async fn connect(b: &RemoteBackend, last_id: Option<&str>) -> Result<reqwest::Response, String> {
    let path = "/gwtui/events";
    let mut headers = b.headers("GET", path, "", b"")?;
    headers.insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("text/event-stream"),
    );
    if let Some(id) = last_id.and_then(|id| http::HeaderValue::from_str(id).ok()) {
        headers.insert("last-event-id", id);
    }
    let response = b
        .inner
        .http
        .request(Method::GET, format!("{}{path}", b.inner.base))
        .headers(headers)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        return Err(format!("{status}: {}", super::error_message(&body)));
    }
    Ok(response)
}

async fn run(b: RemoteBackend, tx: mpsc::Sender<DataUpdate>) {
    let mut st = State::default();
    // The id of the last event that had one: where a reconnect resumes.
    let mut last_id: Option<String> = None;
    let mut backoff = MIN_BACKOFF;
    let mut down = false;
    // Log lines the console had no room for, not yet reported.
    let mut dropped: u64 = 0;
    loop {
        if let Ok(mut response) = connect(&b, last_id.as_deref()).await {
            backoff = MIN_BACKOFF;
            if down {
                down = false;
                if tx.send(DataUpdate::Connection(true)).await.is_err() {
                    return;
                }
            }
            let mut parser = Parser::default();
            loop {
                let chunk = tokio::select! {
                    _ = tx.closed() => return,
                    chunk = tokio::time::timeout(STALL, response.chunk()) => chunk,
                };
                let Ok(Ok(Some(bytes))) = chunk else { break };
                let Ok(events) = parser.push(&bytes) else {
                    break;
                };
                for event in events {
                    if let Some(id) = &event.id {
                        last_id = Some(id.clone());
                    }
                    let outcome = interpret(&event, &mut st);
                    if event.name != "hello" {
                        // Past the hello: whatever was missed has been replayed or marked.
                        st.down_since = None;
                    }
                    let sent = match outcome {
                        Outcome::Update(u) => tx.send(u).await.map_err(|_| ()),
                        Outcome::Updates(us) => {
                            let mut sent = Ok(());
                            for u in us {
                                if tx.send(u).await.is_err() {
                                    sent = Err(());
                                    break;
                                }
                            }
                            sent
                        }
                        // A console that falls behind loses log lines, never the server's time;
                        // it is told how many (as in process) once it has room again.
                        Outcome::Logs(lines) => {
                            if dropped > 0 && tx.try_send(DataUpdate::LogsDropped(dropped)).is_ok()
                            {
                                dropped = 0;
                            }
                            let n = lines.len() as u64;
                            match tx.try_send(DataUpdate::Logs(lines)) {
                                Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
                                Err(mpsc::error::TrySendError::Full(_)) => {
                                    dropped = dropped.saturating_add(n);
                                    Ok(())
                                }
                                Ok(()) => Ok(()),
                            }
                        }
                        Outcome::Nothing => Ok(()),
                    };
                    if sent.is_err() {
                        return;
                    }
                }
            }
        }
        if !down {
            down = true;
            st.down_since.get_or_insert_with(now_millis);
            if tx.send(DataUpdate::Connection(false)).await.is_err() {
                return;
            }
        }
        tokio::select! {
            _ = tx.closed() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_parsed_across_chunk_boundaries() {
        let mut p = Parser::default();
        let mut events = p
            .push(b"retry: 1000\n\nevent: hello\nid: b1\ndata: {\"boot\":\"b1\"")
            .expect("parse");
        assert!(events.is_empty());
        events.extend(
            p.push(b",\"resync\":true}\n\n: keepalive\n\nevent: changed\r\ndata: {}\r\n\r\n")
                .expect("parse"),
        );
        assert_eq!(
            events,
            vec![
                Event {
                    name: "hello".into(),
                    id: Some("b1".into()),
                    data: "{\"boot\":\"b1\",\"resync\":true}".into()
                },
                Event {
                    name: "changed".into(),
                    id: None,
                    data: "{}".into()
                },
            ]
        );
        let mut boot = State::default();
        assert!(matches!(
            interpret(&events[0], &mut boot),
            Outcome::Update(DataUpdate::Resync)
        ));
        assert!(matches!(
            interpret(&events[1], &mut boot),
            Outcome::Update(DataUpdate::Changed)
        ));
        assert_eq!(boot.boot.as_deref(), Some("b1"));
        // A new boot id (the server restarted) is a reload even without `resync`.
        let restarted = Event {
            name: "hello".into(),
            id: None,
            data: "{\"boot\":\"b2\",\"resync\":false}".into(),
        };
        assert!(matches!(
            interpret(&restarted, &mut boot),
            Outcome::Update(DataUpdate::Resync)
        ));
    }

    #[test]
    fn an_endless_event_is_refused() {
        let mut p = Parser::default();
        let chunk = vec![b'x'; 1 << 20];
        let mut failed = false;
        for _ in 0..17 {
            if p.push(&chunk).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }
}
