//! List pagination tokens. AWS's `position` is an opaque string (clients, and test
//! transformers that normalise it, treat it as one); ours is the next page's offset, wrapped
//! so that it does not look like a number a client might compute with.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The token for the page starting at `offset`.
pub(super) fn encode(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("gwtui:{offset}"))
}

/// The offset a token stands for; `None` for anything [`encode`] did not make.
pub(super) fn decode(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("gwtui:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_not_numbers() {
        for n in [0, 1, 25, 499, 100_000] {
            let t = encode(n);
            assert!(t.parse::<u64>().is_err(), "{t}");
            assert_eq!(decode(&t), Some(n));
        }
        assert_eq!(decode("25"), None);
        assert_eq!(decode("!!"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("other:3")), None);
    }
}
