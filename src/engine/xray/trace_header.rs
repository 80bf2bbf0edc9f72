//! The `X-Amzn-Trace-Id` header (ops.md §7):
//! `Root=1-{8 hex epoch seconds}-{24 hex};Parent={16 hex};Sampled={0|1}`.
//!
//! An incoming header is continued: its `Root` is kept, its `Parent` becomes the parent of the
//! request's segment, and a `Sampled=0|1` decision is honoured (`Sampled=?` or none leaves the
//! decision to the gateway's sampling rule).

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

/// The length of the header the gateway passes on:
/// `Root=` + 35 + `;Parent=` + 16 + `;Sampled=` + 1.
pub const HEADER_LEN: usize = 5 + ROOT_LEN + 8 + 16 + 9 + 1;
/// `1-{8 hex}-{24 hex}`.
pub const ROOT_LEN: usize = 35;

/// The header value the gateway passes on, `Root=…;Parent={segment};Sampled=0|1`, written
/// into a fixed buffer (no formatting machinery, no allocation): `root` continues a client's
/// (validated) root; `None` starts a new one, `1-{8 hex epoch_seconds}-{24 random hex}`.
pub fn header(
    root: Option<&str>,
    epoch_seconds: u64,
    segment_id: u64,
    sampled: bool,
) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..5].copy_from_slice(b"Root=");
    let r = &mut out[5..5 + ROOT_LEN];
    match root {
        Some(root) if root.len() == ROOT_LEN => r.copy_from_slice(root.as_bytes()),
        _ => {
            r[..2].copy_from_slice(b"1-");
            hex_into(&mut r[2..10], &(epoch_seconds as u32).to_be_bytes());
            r[10] = b'-';
            let random: [u8; 12] = rand::random();
            hex_into(&mut r[11..], &random);
        }
    }
    let rest = &mut out[5 + ROOT_LEN..];
    rest[..8].copy_from_slice(b";Parent=");
    hex_into(&mut rest[8..24], &segment_id.to_be_bytes());
    rest[24..33].copy_from_slice(b";Sampled=");
    rest[33] = if sampled { b'1' } else { b'0' };
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

/// A 16-hex-digit span id (`Parent=` of an incoming header), validated by [`parse`].
pub fn parse_span_id(hex16: &str) -> Option<u64> {
    u64::from_str_radix(hex16, 16).ok()
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

/// Lower-case hex of `bytes` into `out` (twice as long).
fn hex_into(out: &mut [u8], bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(h: &[u8; HEADER_LEN]) -> &str {
        std::str::from_utf8(h).expect("ascii")
    }

    #[test]
    fn new_headers_have_aws_format() {
        let h = header(None, 0x5759_e988, 0x53995c3f42cd8ad8, true);
        let h = text(&h);
        let root = &h[5..5 + ROOT_LEN];
        assert!(root.starts_with("1-5759e988-"), "{h}");
        assert!(is_root(root), "{h}");
        assert_eq!(h, format!("Root={root};Parent=53995c3f42cd8ad8;Sampled=1"));
        let a = header(None, 1, 1, false);
        let b = header(None, 1, 1, false);
        assert!(
            text(&a).ends_with(";Parent=0000000000000001;Sampled=0"),
            "{}",
            text(&a)
        );
        assert_ne!(a, b, "the root's 96 bits are random");
        let continued = header(
            Some("1-5759e988-bd862e3fe1be46a994272793"),
            7,
            u64::MAX,
            true,
        );
        assert_eq!(
            text(&continued),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=ffffffffffffffff;Sampled=1"
        );
        assert_eq!(parse_span_id("53995c3f42cd8ad8"), Some(0x53995c3f42cd8ad8));
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
