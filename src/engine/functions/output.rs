//! A worker's stdout and stderr, forwarded line by line to the gateway's event stream
//! (`GatewayEvent::FunctionLog`) with bounded memory: a line is cut at [`MAX_LINE_BYTES`] and the
//! rest of it, up to the next newline, is discarded (the kept part ends with
//! [`TRUNCATED_MARKER`]), so a worker printing without newlines cannot grow the reader. The
//! event stream is a bounded broadcast channel: a console that lags loses the oldest events.

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::broadcast;

use crate::engine::GatewayEvent;

/// The longest line kept (CloudWatch Logs' event size limit, 256 KiB).
pub const MAX_LINE_BYTES: usize = 256 * 1024;
/// Appended to a line that was cut.
pub const TRUNCATED_MARKER: &str = " [TRUNCATED]";
const READ_CHUNK: usize = 16 * 1024;

/// Splits a byte stream into lines of at most [`MAX_LINE_BYTES`] (before the marker).
#[derive(Default)]
pub(crate) struct LineSplitter {
    line: Vec<u8>,
    /// The current line was cut: discard bytes until the next newline.
    discarding: bool,
}

impl LineSplitter {
    /// Feeds a chunk; `emit` receives every completed (or cut) line, without its newline.
    pub fn push(&mut self, mut chunk: &[u8], mut emit: impl FnMut(String)) {
        while !chunk.is_empty() {
            let newline = chunk.iter().position(|&b| b == b'\n');
            let (part, rest, ends_line) = match newline {
                Some(i) => (&chunk[..i], &chunk[i + 1..], true),
                None => (chunk, &[][..], false),
            };
            chunk = rest;
            if !self.discarding {
                let room = MAX_LINE_BYTES - self.line.len();
                if part.len() > room {
                    self.line.extend_from_slice(&part[..room]);
                    emit(self.take(true));
                    self.discarding = true;
                } else {
                    self.line.extend_from_slice(part);
                }
            }
            if ends_line {
                if self.discarding {
                    self.discarding = false;
                } else {
                    emit(self.take(false));
                }
            }
        }
    }

    /// The last line of a stream that did not end with a newline.
    pub fn finish(&mut self) -> Option<String> {
        if self.line.is_empty() || self.discarding {
            return None;
        }
        Some(self.take(false))
    }

    fn take(&mut self, truncated: bool) -> String {
        let mut bytes = std::mem::take(&mut self.line);
        if bytes.last() == Some(&b'\r') && !truncated {
            bytes.pop();
        }
        let mut line = String::from_utf8_lossy(&bytes).into_owned();
        if truncated {
            line.push_str(TRUNCATED_MARKER);
        }
        line
    }
}

/// Forwards a worker's output to the gateway's event stream until the stream ends.
pub(crate) async fn forward_lines(
    mut stream: impl AsyncRead + Unpin,
    events: broadcast::Sender<GatewayEvent>,
    function: String,
) {
    let mut splitter = LineSplitter::default();
    let mut buf = vec![0u8; READ_CHUNK];
    let send = |line: String| {
        let _ = events.send(GatewayEvent::FunctionLog {
            function: function.clone(),
            line,
        });
    };
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => splitter.push(&buf[..n], send),
        }
    }
    if let Some(line) = splitter.finish() {
        send(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, |l| out.push(l));
        }
        out.extend(s.finish());
        out
    }

    #[test]
    fn lines_are_split_across_chunks() {
        assert_eq!(split(&[b"a\nb", b"c\r\n", b"d"]), ["a", "bc", "d"]);
        assert_eq!(split(&[b"\n\n"]), ["", ""]);
        assert!(split(&[b""]).is_empty());
    }

    #[test]
    fn long_lines_are_cut_with_a_marker_and_the_rest_discarded() {
        let big = vec![b'x'; MAX_LINE_BYTES * 3 + 5];
        let out = split(&[&big[..100], &big[100..], b"tail\nnext\n"]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), MAX_LINE_BYTES + TRUNCATED_MARKER.len());
        assert!(out[0].ends_with(TRUNCATED_MARKER));
        assert_eq!(out[1], "next");
        // Exactly at the limit: kept whole.
        let exact = [vec![b'y'; MAX_LINE_BYTES], b"\n".to_vec()].concat();
        assert_eq!(
            split(&[&exact]),
            [String::from_utf8(exact[..MAX_LINE_BYTES].to_vec()).unwrap_or_default()]
        );
        // A cut line without a newline at the end of the stream: only the cut part.
        let out = split(&[&big]);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn the_reader_never_holds_more_than_one_line() {
        let mut s = LineSplitter::default();
        let chunk = vec![b'z'; 1 << 20];
        let mut lines = 0;
        for _ in 0..20 {
            s.push(&chunk, |_| lines += 1);
            assert!(s.line.capacity() <= 2 * MAX_LINE_BYTES);
        }
        assert_eq!(lines, 1);
    }
}
