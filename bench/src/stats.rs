//! Latency records (every measured request's duration in microseconds,
//! sorted once at the end: exact percentiles, no histogram dependency) and
//! error tallies.

use std::collections::BTreeMap;

/// Distinct error descriptions kept per scenario; the rest are counted
/// under "other".
const MAX_ERROR_KINDS: usize = 12;

/// What one worker (or a whole scenario, once merged) observed.
#[derive(Debug, Default)]
pub struct Record {
    /// Durations of the successful requests, in microseconds.
    pub latencies_us: Vec<u32>,
    pub errors: u64,
    /// Error description (status and start of the body, or transport
    /// error) -> count.
    pub error_kinds: BTreeMap<String, u64>,
}

impl Record {
    pub fn ok(&mut self, micros: u128) {
        self.latencies_us.push(u32::try_from(micros).unwrap_or(u32::MAX));
    }

    pub fn error(&mut self, kind: String) {
        self.errors += 1;
        if self.error_kinds.len() < MAX_ERROR_KINDS || self.error_kinds.contains_key(&kind) {
            *self.error_kinds.entry(kind).or_default() += 1;
        } else {
            *self.error_kinds.entry("other".to_owned()).or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: Record) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        for (k, n) in other.error_kinds {
            if self.error_kinds.len() < MAX_ERROR_KINDS || self.error_kinds.contains_key(&k) {
                *self.error_kinds.entry(k).or_default() += n;
            } else {
                *self.error_kinds.entry("other".to_owned()).or_default() += n;
            }
        }
    }

    /// Summary over `seconds` of measurement.
    pub fn summary(mut self, seconds: f64) -> Summary {
        self.latencies_us.sort_unstable();
        let ops = self.latencies_us.len() as u64;
        let ms = |us: u32| f64::from(us) / 1000.0;
        let mean_ms = if ops == 0 {
            0.0
        } else {
            self.latencies_us.iter().map(|&u| f64::from(u)).sum::<f64>() / ops as f64 / 1000.0
        };
        Summary {
            ops,
            errors: self.errors,
            throughput: if seconds > 0.0 { ops as f64 / seconds } else { 0.0 },
            p50_ms: percentile(&self.latencies_us, 50.0).map(ms),
            p99_ms: percentile(&self.latencies_us, 99.0).map(ms),
            mean_ms,
            max_ms: self.latencies_us.last().copied().map(ms),
            error_kinds: self.error_kinds,
        }
    }
}

/// What a scenario reports.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    /// Successful requests in the measured window.
    pub ops: u64,
    pub errors: u64,
    /// Successful requests per second.
    pub throughput: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub mean_ms: f64,
    pub max_ms: Option<f64>,
    pub error_kinds: BTreeMap<String, u64>,
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_a_hundred_are_the_ranks() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn error_kinds_beyond_the_cap_are_counted_as_other() {
        let mut r = Record::default();
        for i in 0..20 {
            r.error(format!("kind {i}"));
        }
        assert_eq!(r.errors, 20);
        assert_eq!(r.error_kinds.len(), MAX_ERROR_KINDS + 1);
        assert_eq!(r.error_kinds["other"], 20 - MAX_ERROR_KINDS as u64);
    }
}
