//! WebSocket limits (http-websocket.md §2.5): 32 KB frames (larger → close 1009), 128 KB
//! messages, 10 minutes idle, 2 hours per connection. The timeouts, the per-connection send
//! queue and the connection cap are settable (tests shorten the timeouts).

use std::time::Duration;

pub const MAX_FRAME_BYTES: usize = 32 * 1024;
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebSocketLimits {
    /// No message either way for this long closes the connection (AWS: 10 minutes).
    pub idle_timeout: Duration,
    /// A connection lasts at most this long (AWS: 2 hours).
    pub max_duration: Duration,
    /// Messages waiting to be written to one client; a client that lets the queue fill is
    /// disconnected (close 1008) rather than buffered for.
    pub send_queue: usize,
    /// Open connections across every API; past it, upgrades are refused with 429.
    pub max_connections: usize,
}

impl Default for WebSocketLimits {
    fn default() -> Self {
        WebSocketLimits {
            idle_timeout: Duration::from_secs(600),
            max_duration: Duration::from_secs(7200),
            send_queue: 1024,
            max_connections: 100_000,
        }
    }
}

/// The tungstenite configuration with API Gateway's frame and message limits.
pub fn socket_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_frame_size(Some(MAX_FRAME_BYTES))
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        // Small buffers: 10,000 idle connections must stay cheap. tungstenite zero-fills its
        // read buffer up to this size before its first read, so each byte is resident for
        // every idle connection; once a frame's header is read the whole frame is reserved at
        // once, and a frame larger than this is read in reads of this size (16 for 32 KB).
        .read_buffer_size(2 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_MESSAGE_BYTES * 2)
}
