//! The `X-Amzn-Trace-Id` header (ops.md §7):
//! `Root=1-{8 hex epoch seconds}-{24 hex};Parent={16 hex};Sampled={0|1}`.
//!
//! An incoming header is continued: its `Root` is kept, its `Parent` becomes the parent of the
//! request's segment, and a `Sampled=0|1` decision is honoured (`Sampled=?` or none leaves the
//! decision to the gateway's sampling rule).

use std::fmt::Write as _;

/// The parts of a trace header the gateway reads from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingTrace<'a> {
    /// `1-{8 hex}-{24 hex}`, validated.
    pub root: &'a str,
    /// `{16 hex}`, validated.
    pub parent: Option<&'a str>,
    /// `Some` only for `Sampled=0` or `Sampled=1`.
    pub sampled: Option<bool>,
}

/// Reads a client's `X-Amzn-Trace-Id`. A header without a well-formed `Root` is ignored (the
/// request starts a new trace), as is a malformed `Parent`.
pub fn parse(value: &str) -> Option<IncomingTrace<'_>> {
    let mut root = None;
    let mut parent = None;
    let mut sampled = None;
    for part in value.split(';') {
        let Some((key, val)) = part.trim().split_once('=') else {
            continue;
        };
        match key.trim() {
            "Root" if is_root(val.trim()) => root = Some(val.trim()),
            "Parent" if is_hex(val.trim(), 16) => parent = Some(val.trim()),
            "Sampled" => {
                sampled = match val.trim() {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    Some(IncomingTrace {
        root: root?,
        parent,
        sampled,
    })
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `1-{8 hex}-{24 hex}`.
pub fn is_root(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 35
        && b[0] == b'1'
        && b[1] == b'-'
        && b[10] == b'-'
        && is_hex(&s[2..10], 8)
        && is_hex(&s[11..], 24)
}

/// A new trace root for a request that arrived at `epoch_seconds`: `1-{8 hex}-{24 random hex}`.
pub fn new_root(epoch_seconds: u64) -> String {
    let random: [u8; 12] = rand::random();
    let mut out = String::with_capacity(35);
    let _ = write!(out, "1-{:08x}-", epoch_seconds as u32);
    push_hex(&mut out, &random);
    out
}

/// A new segment (span) id: 16 lower-case hex digits, never all zeros.
pub fn new_segment_id() -> u64 {
    loop {
        let id: u64 = rand::random();
        if id != 0 {
            return id;
        }
    }
}

/// The header value the gateway passes on: `Root=…;Parent={segment};Sampled=0|1`.
pub fn format(root: &str, segment_id: u64, sampled: bool) -> String {
    let mut out = String::with_capacity(76);
    let _ = write!(
        out,
        "Root={root};Parent={segment_id:016x};Sampled={}",
        u8::from(sampled)
    );
    out
}

/// The 16-byte W3C/OTLP trace id of an X-Ray root (`1-5759e988-bd862e3fe1be46a994272793` →
/// `5759e988bd862e3fe1be46a994272793`), the mapping AWS's own exporters use.
pub fn otlp_trace_id(root: &str) -> Option<[u8; 16]> {
    if !is_root(root) {
        return None;
    }
    let hex32: String = root[2..10].chars().chain(root[11..].chars()).collect();
    let mut out = [0u8; 16];
    hex::decode_to_slice(hex32, &mut out).ok()?;
    Some(out)
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_headers_have_aws_format() {
        let root = new_root(0x5759_e988);
        assert!(root.starts_with("1-5759e988-"), "{root}");
        assert!(is_root(&root), "{root}");
        let header = format(&root, 0x53995c3f42cd8ad8, true);
        assert_eq!(
            header,
            format!("Root={root};Parent=53995c3f42cd8ad8;Sampled=1")
        );
        let again = format(&root, 1, false);
        assert!(
            again.ends_with(";Parent=0000000000000001;Sampled=0"),
            "{again}"
        );
        assert_ne!(new_root(1), new_root(1));
    }

    #[test]
    fn incoming_headers_are_parsed_leniently_but_validated() {
        let t = parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
            .expect("valid");
        assert_eq!(t.root, "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(t.parent, Some("53995c3f42cd8ad8"));
        assert_eq!(t.sampled, Some(true));
        let t = parse("Root=1-5759e988-bd862e3fe1be46a994272793; Sampled=?").expect("valid");
        assert_eq!((t.parent, t.sampled), (None, None));
        let t = parse("Self=1-x;Root=1-5759e988-bd862e3fe1be46a994272793;Parent=zz;Sampled=0")
            .expect("valid");
        assert_eq!((t.parent, t.sampled), (None, Some(false)));
        assert_eq!(parse("Root=1-5759e988-short;Sampled=1"), None);
        assert_eq!(parse("Root=2-5759e988-bd862e3fe1be46a994272793"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse(";;=;"), None);
    }

    #[test]
    fn otlp_trace_ids_join_the_root_parts() {
        let id = otlp_trace_id("1-5759e988-bd862e3fe1be46a994272793").expect("valid");
        assert_eq!(hex::encode(id), "5759e988bd862e3fe1be46a994272793");
        assert_eq!(otlp_trace_id("1-5759e988-bd86"), None);
    }
}
