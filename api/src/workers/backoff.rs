//! Exponential backoff with jitter.

use std::time::Duration;

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … capped at `max`,
/// times a jitter factor in [0.5, 1.5) so that retries of many changes do
/// not arrive together.
pub fn delay(attempts: i32, max: Duration, jitter: f64) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 30)).unwrap_or(30);
    let base = Duration::from_secs(1u64 << exp.min(20)).min(max);
    base.mul_f64(jitter.clamp(0.5, 1.5)).min(max.mul_f64(1.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps() {
        let max = Duration::from_secs(60);
        assert_eq!(delay(0, max, 1.0), Duration::from_secs(1));
        assert_eq!(delay(3, max, 1.0), Duration::from_secs(8));
        assert_eq!(delay(10, max, 1.0), Duration::from_secs(60));
        assert_eq!(delay(1000, max, 1.0), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_within_half_and_one_and_a_half() {
        let max = Duration::from_secs(60);
        assert_eq!(delay(2, max, 0.0), Duration::from_secs(2));
        assert_eq!(delay(2, max, 9.0), Duration::from_secs(6));
    }
}
