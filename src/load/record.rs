//! What a campaign measured: every request's latency and outcome, filed by
//! request name, in high-dynamic-range histograms (microseconds, 3
//! significant digits: within 0.1 %), split into the steady phase (judged)
//! and the ramps (reported), plus a per-second timeline for the charts.
//! Pure bookkeeping: the engine feeds it, the judge and the reports read it.
//! A percentile of no sample is `None`, never a number that could pass.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Which part of the campaign a request was sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Ramp,
    Steady,
}

/// One finished request.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    pub request: &'a str,
    /// Seconds from the start of the campaign to when the request was due
    /// (for a constant rate, its scheduled time: the latency then includes
    /// any wait for a free user, so coordinated omission is not hidden).
    pub at: Duration,
    pub latency: Duration,
    /// The status, or `None` when no answer came (connection error, timeout).
    pub status: Option<u16>,
    /// Whether the answer met the request's expectations.
    pub ok: bool,
    pub phase: Phase,
}

/// The latencies and outcomes of one request name (or of all of them).
#[derive(Debug, Clone)]
pub struct Tally {
    latencies: Histogram<u64>,
    pub requests: u64,
    pub failures: u64,
    pub statuses: BTreeMap<String, u64>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            // 1 µs to 1 hour, 3 significant digits.
            latencies: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("valid histogram bounds"),
            requests: 0,
            failures: 0,
            statuses: BTreeMap::new(),
        }
    }
}

impl Tally {
    fn add(&mut self, sample: &Sample<'_>) {
        let micros = u64::try_from(sample.latency.as_micros()).unwrap_or(u64::MAX);
        self.latencies.saturating_record(micros.max(1));
        self.requests += 1;
        if !sample.ok {
            self.failures += 1;
        }
        let status = sample
            .status
            .map_or_else(|| "no answer".to_string(), |s| s.to_string());
        *self.statuses.entry(status).or_default() += 1;
    }

    /// The latency at `quantile` (0.95 for p95), in milliseconds; `None`
    /// without any sample.
    pub fn percentile_ms(&self, quantile: f64) -> Option<f64> {
        // The middle of the histogram bucket: within 0.05 % either way.
        (self.requests > 0).then(|| {
            let bucket = self.latencies.value_at_quantile(quantile);
            self.latencies.median_equivalent(bucket) as f64 / 1000.0
        })
    }

    /// Failed requests in percent of all; `None` without any request.
    pub fn error_rate_percent(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.failures as f64 * 100.0 / self.requests as f64)
    }

    pub fn max_ms(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.latencies.max() as f64 / 1000.0)
    }
}

/// One second of the campaign, for the charts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Second {
    pub requests: u64,
    pub failures: u64,
    /// p50, p95 and p99 of the requests due in this second, in ms.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// Everything measured during a campaign.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Steady phase, all requests together.
    pub steady: Tally,
    /// Steady phase, per request name.
    pub steady_by_request: BTreeMap<String, Tally>,
    /// Ramp-up and ramp-down, all requests together.
    pub ramp: Tally,
    /// Per second since the start, every phase.
    timeline: Vec<Tally>,
    /// Length of the steady phase, for throughput.
    pub steady_time: Duration,
}

impl Record {
    /// An empty record of a campaign whose steady phase lasts `steady_time`.
    pub fn new(steady_time: Duration) -> Record {
        Record {
            steady_time,
            ..Record::default()
        }
    }

    pub fn add(&mut self, sample: &Sample<'_>) {
        match sample.phase {
            Phase::Steady => {
                self.steady.add(sample);
                self.steady_by_request
                    .entry(sample.request.to_string())
                    .or_default()
                    .add(sample);
            }
            Phase::Ramp => self.ramp.add(sample),
        }
        let second = usize::try_from(sample.at.as_secs()).unwrap_or(usize::MAX);
        if second < 86_400 {
            if self.timeline.len() <= second {
                self.timeline.resize_with(second + 1, Tally::default);
            }
            self.timeline[second].add(sample);
        }
    }

    /// Steady-phase requests per second; `None` before any steady time.
    pub fn steady_rps(&self) -> Option<f64> {
        let seconds = self.steady_time.as_secs_f64();
        (seconds > 0.0).then(|| self.steady.requests as f64 / seconds)
    }

    /// The per-second timeline.
    pub fn timeline(&self) -> Vec<Second> {
        self.timeline
            .iter()
            .map(|tally| Second {
                requests: tally.requests,
                failures: tally.failures,
                p50_ms: tally.percentile_ms(0.50),
                p95_ms: tally.percentile_ms(0.95),
                p99_ms: tally.percentile_ms(0.99),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: u64, latency_ms: u64, ok: bool, phase: Phase) -> Sample<'static> {
        Sample {
            request: "list",
            at: Duration::from_millis(at_ms),
            latency: Duration::from_millis(latency_ms),
            status: Some(if ok { 200 } else { 500 }),
            ok,
            phase,
        }
    }

    #[test]
    fn percentiles_of_a_known_distribution_are_within_a_tenth_of_a_percent() {
        let mut record = Record::default();
        // 90 % at 2 ms, 10 % at 300 ms: p50 = 2 ms, p95 = p99 = 300 ms.
        for i in 0..10_000 {
            let latency = if i % 10 == 9 { 300 } else { 2 };
            record.add(&sample(i, latency, true, Phase::Steady));
        }
        let p = |q| record.steady.percentile_ms(q).unwrap();
        assert!((p(0.50) - 2.0).abs() <= 0.002, "{}", p(0.50));
        assert!((p(0.95) - 300.0).abs() <= 0.3, "{}", p(0.95));
        assert!((p(0.99) - 300.0).abs() <= 0.3, "{}", p(0.99));
        assert!((p(0.899) - 2.0).abs() <= 0.002, "{}", p(0.899));
    }

    #[test]
    fn error_rate_is_exact_and_ramps_are_kept_apart() {
        let mut record = Record::default();
        for i in 0..1000 {
            record.add(&sample(i, 5, i % 100 != 0, Phase::Steady));
        }
        for i in 0..50 {
            record.add(&sample(i, 900, false, Phase::Ramp));
        }
        assert_eq!(record.steady.error_rate_percent(), Some(1.0));
        assert_eq!(record.steady.requests, 1000);
        assert_eq!(record.ramp.requests, 50);
        assert_eq!(record.steady.statuses["500"], 10);
        assert!(
            record.steady.percentile_ms(0.99).unwrap() < 6.0,
            "ramps are not judged"
        );
    }

    #[test]
    fn nothing_measured_gives_no_number() {
        let record = Record::default();
        assert_eq!(record.steady.percentile_ms(0.95), None);
        assert_eq!(record.steady.error_rate_percent(), None);
        assert_eq!(record.steady_rps(), None);
    }

    #[test]
    fn the_timeline_has_one_entry_per_second() {
        let mut record = Record::default();
        record.add(&sample(100, 10, true, Phase::Ramp));
        record.add(&sample(2_500, 20, false, Phase::Steady));
        let timeline = record.timeline();
        assert_eq!(timeline.len(), 3);
        assert_eq!(timeline[0].requests, 1);
        assert_eq!(timeline[1].requests, 0);
        assert_eq!(timeline[1].p95_ms, None);
        assert_eq!((timeline[2].requests, timeline[2].failures), (1, 1));
    }
}
