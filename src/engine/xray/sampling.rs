//! X-Ray's default sampling rule (ops.md §7): the first `reservoir_size` requests of each second
//! are sampled, then `fixed_rate` of the rest (defaults 1 and 5 %). One atomic word holds the
//! current second and how much of its reservoir is used, so deciding takes no lock.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct Sampler {
    reservoir_size: u32,
    fixed_rate: f64,
    /// `second << 32 | used`.
    window: AtomicU64,
}

impl Sampler {
    pub fn new(reservoir_size: u32, fixed_rate: f64) -> Sampler {
        Sampler {
            reservoir_size,
            fixed_rate: fixed_rate.clamp(0.0, 1.0),
            window: AtomicU64::new(0),
        }
    }

    /// Whether a request that arrived at `epoch_seconds` is sampled.
    pub fn sample(&self, epoch_seconds: u64) -> bool {
        self.sample_with(epoch_seconds, rand::random::<f64>)
    }

    fn sample_with(&self, epoch_seconds: u64, draw: impl FnOnce() -> f64) -> bool {
        let second = epoch_seconds & 0xffff_ffff;
        let mut current = self.window.load(Ordering::Relaxed);
        if self.reservoir_size > 0 {
            loop {
                let (at, used) = (current >> 32, current & 0xffff_ffff);
                let next = if second > at {
                    (second << 32) | 1
                } else if second == at && used < u64::from(self.reservoir_size) {
                    current + 1
                } else {
                    break;
                };
                match self.window.compare_exchange_weak(
                    current,
                    next,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return true,
                    Err(seen) => current = seen,
                }
            }
        }
        self.fixed_rate > 0.0 && draw() < self.fixed_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservoir_takes_the_first_requests_of_each_second() {
        let s = Sampler::new(2, 0.0);
        assert!(s.sample_with(100, || 0.0));
        assert!(s.sample_with(100, || 0.0));
        assert!(!s.sample_with(100, || 0.0));
        assert!(s.sample_with(101, || 0.9));
        let none = Sampler::new(0, 0.0);
        assert!(!none.sample_with(100, || 0.0));
    }

    #[test]
    fn past_the_reservoir_the_fixed_rate_decides() {
        let s = Sampler::new(1, 0.05);
        assert!(s.sample_with(7, || 0.99));
        assert!(s.sample_with(7, || 0.01));
        assert!(!s.sample_with(7, || 0.05));
        let all = Sampler::new(0, 1.0);
        assert!(all.sample_with(7, || 0.999));
        assert!(!Sampler::new(0, -1.0).sample(7));
    }

    #[test]
    fn default_rule_over_many_requests_stays_near_five_percent() {
        let s = Sampler::new(1, 0.05);
        let sampled = (0..100_000).filter(|i| s.sample(1000 + i / 50_000)).count();
        // 2 from the reservoir + 5 % of the rest: 5,000 expected, σ ≈ 69.
        assert!((4_600..=5_400).contains(&sampled), "{sampled}");
    }
}
