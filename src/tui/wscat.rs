//! `:wscat`: an interactive WebSocket client inside the console. A [`WscatSession`] is a
//! client connection to a WebSocket API stage run by its own task: lines the console sends go
//! in through a bounded queue, frames received (and what happened to the socket) come out
//! through another. The in-process and attached backends connect over the real listener
//! ([`connect`]), so `$connect`, routing and `$disconnect` run as for any client; the fake
//! backend answers in memory.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Mutex, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Lines queued for sending at most (the console waits for none: a full queue is an error).
pub const SEND_QUEUE: usize = 64;
/// Frames queued for the console at most; the client stops reading the socket meanwhile.
pub const RECEIVE_QUEUE: usize = 256;
/// Frames the console keeps on screen.
pub const FRAMES_KEPT: usize = 1000;

/// What the console sees of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WscatFrame {
    /// A line this console sent.
    Sent(String),
    /// A text frame received.
    Received(String),
    /// A binary frame received (its size).
    Binary(usize),
    /// What happened to the socket: connected, closed (code, reason), an error.
    Info(String),
}

/// What the console asks of a session.
#[derive(Debug)]
pub enum WscatCommand {
    Send(String),
    Close,
}

/// One client connection; cheap to clone (the effects carry it).
#[derive(Clone)]
pub struct WscatSession {
    pub id: u64,
    /// `ws://…` the session connected to.
    pub url: String,
    commands: mpsc::Sender<WscatCommand>,
    frames: Arc<Mutex<mpsc::Receiver<WscatFrame>>>,
}

impl std::fmt::Debug for WscatSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WscatSession")
            .field("id", &self.id)
            .field("url", &self.url)
            .finish()
    }
}

impl PartialEq for WscatSession {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl WscatSession {
    /// A session and the two ends its task serves: commands in, frames out.
    pub fn channel(
        url: String,
    ) -> (
        WscatSession,
        mpsc::Receiver<WscatCommand>,
        mpsc::Sender<WscatFrame>,
    ) {
        let (commands, command_rx) = mpsc::channel(SEND_QUEUE);
        let (frame_tx, frames) = mpsc::channel(RECEIVE_QUEUE);
        (
            WscatSession {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                url,
                commands,
                frames: Arc::new(Mutex::new(frames)),
            },
            command_rx,
            frame_tx,
        )
    }

    /// Queues a line for sending.
    pub fn send(&self, text: String) -> Result<(), String> {
        self.commands
            .try_send(WscatCommand::Send(text))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => "the send queue is full".to_string(),
                mpsc::error::TrySendError::Closed(_) => "the connection is closed".to_string(),
            })
    }

    /// Asks the session to close its socket (a closed one ignores it).
    pub fn close(&self) {
        let _ = self.commands.try_send(WscatCommand::Close);
    }

    /// Waits for the next frames: everything pending once one arrives; `closed` once the
    /// session's task has ended and every frame was read.
    pub async fn next_frames(&self) -> (Vec<WscatFrame>, bool) {
        let mut rx = self.frames.lock().await;
        let Some(first) = rx.recv().await else {
            return (Vec::new(), true);
        };
        let mut out = vec![first];
        while out.len() < RECEIVE_QUEUE {
            match rx.try_recv() {
                Ok(f) => out.push(f),
                Err(mpsc::error::TryRecvError::Empty) => return (out, false),
                Err(mpsc::error::TryRecvError::Disconnected) => return (out, true),
            }
        }
        (out, false)
    }
}

/// The path-style URL of a stage on a listener (any `Host` reaches it).
pub fn stage_url(addr: SocketAddr, api_id: &str, stage: &str) -> String {
    format!(
        "ws://{addr}/restapis/{}/{}/_user_request_",
        crate::tui::remote::encode(api_id),
        crate::tui::remote::encode(stage)
    )
}

/// Connects to `url` on `addr` (the WebSocket handshake runs `$connect`) and starts the
/// session's task. A refused handshake is the error, with its status.
pub async fn connect(addr: SocketAddr, url: String) -> Result<WscatSession, String> {
    let request = url
        .as_str()
        .into_client_request()
        .map_err(|e| format!("bad URL {url}: {e}"))?;
    let tcp = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .map_err(|_| format!("{addr} did not answer"))?
    .map_err(|e| format!("cannot reach {addr}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let (socket, _) = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tokio_tungstenite::client_async(request, tcp),
    )
    .await
    .map_err(|_| "the handshake ($connect) did not finish in 30 s".to_string())?
    .map_err(|e| match e {
        tokio_tungstenite::tungstenite::Error::Http(r) => {
            format!("$connect refused the connection: {}", r.status())
        }
        other => format!("the handshake failed: {other}"),
    })?;
    let (session, mut commands, frames) = WscatSession::channel(url.clone());
    tokio::spawn(async move {
        let (mut sink, mut stream) = socket.split();
        let _ = frames
            .send(WscatFrame::Info(format!("connected to {url}")))
            .await;
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(WscatCommand::Send(text)) => {
                        if let Err(e) = sink.send(Message::text(text.clone())).await {
                            let _ = frames.send(WscatFrame::Info(format!("send failed: {e}"))).await;
                            break;
                        }
                        let _ = frames.send(WscatFrame::Sent(text)).await;
                    }
                    Some(WscatCommand::Close) | None => {
                        let _ = sink.close().await;
                        let _ = frames.send(WscatFrame::Info("closed by the console".into())).await;
                        break;
                    }
                },
                next = stream.next() => match next {
                    Some(Ok(Message::Text(t))) => {
                        if frames.send(WscatFrame::Received(t.to_string())).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Binary(b))) => {
                        let _ = frames.send(WscatFrame::Binary(b.len())).await;
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let text = match frame {
                            Some(f) => format!("closed by the server: {} {}", u16::from(f.code), f.reason),
                            None => "closed by the server".to_string(),
                        };
                        let _ = frames.send(WscatFrame::Info(text.trim_end().to_string())).await;
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        let _ = frames.send(WscatFrame::Info(format!("connection lost: {e}"))).await;
                        break;
                    }
                    None => {
                        let _ = frames.send(WscatFrame::Info("connection lost".into())).await;
                        break;
                    }
                },
            }
        }
    });
    Ok(session)
}
