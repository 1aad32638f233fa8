//! What a campaign measured: every request's latency and outcome, filed by
//! request name, in high-dynamic-range histograms (microseconds, 3
//! significant digits: within 0.1 %), split into the steady phase (judged)
//! and the ramps (reported), plus a per-second timeline for the charts.
//! Latency percentiles are those of the successful requests (an answer with
//! the expected status and body), as k6's `expected_response:true` and
//! Gatling's OK figures: a fast refusal must not make a slow service look
//! fast. Failed requests are counted in the error rate, by status or by why
//! no answer came. Pure bookkeeping: the engine feeds it, the judge and the
//! reports read it. A percentile of no sample is `None`, never a number
//! that could pass.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

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
    /// The status, or why no answer came (connection refused, timeout,
    /// certificate not trusted...).
    pub status: Result<u16, String>,
    /// Whether the answer met the request's expectations.
    pub ok: bool,
    pub phase: Phase,
}

/// The status of a request a constant rate scheduled and no user sent.
pub const NOT_SENT: &str = "not sent: every user was busy (raise max_users)";

/// Distinct statuses kept per tally; further reasons for no answer are
/// counted together (error texts can vary without bound).
const MAX_STATUSES: usize = 32;

/// The latencies and outcomes of one request name (or of all of them).
#[derive(Debug, Clone)]
pub struct Tally {
    /// Latencies of the successful requests.
    latencies: Histogram<u64>,
    pub requests: u64,
    pub failures: u64,
    pub statuses: BTreeMap<String, u64>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            // Microseconds, 3 significant digits; the histogram grows to the
            // slowest latency recorded (a few KiB for millisecond latencies).
            latencies: Histogram::new(3).expect("valid histogram precision"),
            requests: 0,
            failures: 0,
            statuses: BTreeMap::new(),
        }
    }
}

impl Tally {
    fn add(&mut self, sample: &Sample<'_>) {
        self.requests += 1;
        if sample.ok {
            // 1 µs to 1 hour: `record` grows the histogram up to there.
            let micros = u64::try_from(sample.latency.as_micros())
                .unwrap_or(u64::MAX)
                .clamp(1, 3_600_000_000);
            if self.latencies.record(micros).is_err() {
                self.latencies.saturating_record(micros);
            }
        } else {
            self.failures += 1;
        }
        let mut status = match &sample.status {
            Ok(code) => code.to_string(),
            Err(reason) => format!("no answer: {reason}"),
        };
        if self.statuses.len() >= MAX_STATUSES && !self.statuses.contains_key(&status) {
            status = "no answer: other".to_string();
        }
        *self.statuses.entry(status).or_default() += 1;
    }

    /// Adds `other`'s requests to this tally (histograms added).
    fn merge(&mut self, other: &Tally) {
        self.requests += other.requests;
        self.failures += other.failures;
        // Both record 1 µs to 1 hour at the same precision.
        let _ = self.latencies.add(&other.latencies);
        for (status, n) in &other.statuses {
            *self.statuses.entry(status.clone()).or_default() += n;
        }
    }

    /// `count` requests that were never sent (failed, without a latency).
    fn add_unsent(&mut self, count: u64) {
        self.requests += count;
        self.failures += count;
        *self.statuses.entry(NOT_SENT.to_string()).or_default() += count;
    }

    /// The latency of the successful requests at `quantile` (0.95 for p95),
    /// in milliseconds; `None` without any.
    pub fn percentile_ms(&self, quantile: f64) -> Option<f64> {
        // The middle of the histogram bucket: within 0.05 % either way.
        (!self.latencies.is_empty()).then(|| {
            let bucket = self.latencies.value_at_quantile(quantile);
            self.latencies.median_equivalent(bucket) as f64 / 1000.0
        })
    }

    /// Failed requests in percent of all; `None` without any request.
    pub fn error_rate_percent(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.failures as f64 * 100.0 / self.requests as f64)
    }

    /// The slowest successful request, in milliseconds.
    pub fn max_ms(&self) -> Option<f64> {
        (!self.latencies.is_empty()).then(|| self.latencies.max() as f64 / 1000.0)
    }
}

/// One second of the campaign, for the charts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Second {
    pub requests: u64,
    pub failures: u64,
    /// p50, p95 and p99 of the requests due in this second, in ms.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// Seconds after which a second of the timeline is summed up and its
/// histogram dropped: memory stays flat over an hour-long soak. A request
/// due in a second already summed up (it took longer than this) still
/// counts in that second's requests and failures, and in every other
/// figure, but not in that second's percentiles.
const OPEN_SECONDS: usize = 30;

/// The per-second timeline: seconds summed up, then those still open.
#[derive(Debug, Clone, Default)]
struct Timeline {
    closed: Vec<Second>,
    /// Tallies of the seconds from `closed.len()` on.
    open: std::collections::VecDeque<Tally>,
}

impl Timeline {
    fn add(&mut self, second: usize, sample: &Sample<'_>) {
        let first_open = self.closed.len();
        if second < first_open {
            let late = &mut self.closed[second];
            late.requests += 1;
            late.failures += u64::from(!sample.ok);
            return;
        }
        let index = second - first_open;
        if self.open.len() <= index {
            self.open.resize_with(index + 1, Tally::default);
        }
        self.open[index].add(sample);
        while self.open.len() > OPEN_SECONDS {
            let tally = self.open.pop_front().expect("more than OPEN_SECONDS");
            self.closed.push(Second::of(&tally));
        }
    }

    fn add_unsent(&mut self, second: usize, count: u64) {
        match second.checked_sub(self.closed.len()) {
            None => {
                let late = &mut self.closed[second];
                late.requests += count;
                late.failures += count;
            }
            Some(index) => {
                if self.open.len() <= index {
                    self.open.resize_with(index + 1, Tally::default);
                }
                self.open[index].add_unsent(count);
            }
        }
    }

    fn requests_in(&self, second: usize) -> u64 {
        match second.checked_sub(self.closed.len()) {
            None => self.closed[second].requests,
            Some(index) => self.open.get(index).map_or(0, |t| t.requests),
        }
    }

    fn seconds(&self) -> Vec<Second> {
        let mut seconds = self.closed.clone();
        seconds.extend(self.open.iter().map(Second::of));
        seconds
    }
}

impl Second {
    fn of(tally: &Tally) -> Second {
        Second {
            requests: tally.requests,
            failures: tally.failures,
            p50_ms: tally.percentile_ms(0.50),
            p95_ms: tally.percentile_ms(0.95),
            p99_ms: tally.percentile_ms(0.99),
        }
    }
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
    timeline: Timeline,
    /// Length of the steady phase, for throughput.
    pub steady_time: Duration,
    /// Every request due from a moment on (a rollout's start), whatever
    /// its phase: what users saw while something changed under them.
    pub window: Option<Window>,
}

/// The requests due from `from` (since the campaign's start) on, second
/// by second, so that the figures of any stretch from there can be added
/// up exactly (histograms added, not percentiles averaged) once its end is
/// known: a rollout's, which ends while the campaign runs.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub from: Duration,
    /// One tally per second from `from`; the last also holds every
    /// request after [`WINDOW_SECONDS`].
    seconds: Vec<Tally>,
}

/// Seconds a window keeps apart (15 min): memory stays bounded on a soak.
const WINDOW_SECONDS: usize = 900;

impl Window {
    fn tally_for(&mut self, at: Duration) -> Option<&mut Tally> {
        let second = at.checked_sub(self.from)?.as_secs();
        let index = usize::try_from(second)
            .unwrap_or(usize::MAX)
            .min(WINDOW_SECONDS - 1);
        if self.seconds.len() <= index {
            self.seconds.resize_with(index + 1, Tally::default);
        }
        Some(&mut self.seconds[index])
    }

    /// Every request due from `from` to `until` (since the campaign's
    /// start), whole seconds.
    pub fn until(&self, until: Duration) -> Tally {
        let seconds = until.saturating_sub(self.from).as_secs_f64().ceil() as usize;
        let mut total = Tally::default();
        for tally in self.seconds.iter().take(seconds.max(1)) {
            total.merge(tally);
        }
        total
    }
}

impl Record {
    /// An empty record of a campaign whose steady phase lasts `steady_time`.
    pub fn new(steady_time: Duration) -> Record {
        Record {
            steady_time,
            ..Record::default()
        }
    }

    /// The same record, also tallying every request due from `from` on
    /// in [`Record::window`].
    pub fn with_window(mut self, from: Duration) -> Record {
        self.window = Some(Window {
            from,
            seconds: Vec::new(),
        });
        self
    }

    pub fn add(&mut self, sample: &Sample<'_>) {
        if let Some(tally) = self.window.as_mut().and_then(|w| w.tally_for(sample.at)) {
            tally.add(sample);
        }
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
            self.timeline.add(second, sample);
        }
    }

    /// `count` requests due `at` that were never sent.
    pub fn add_unsent(&mut self, at: Duration, count: u64, phase: Phase) {
        if let Some(tally) = self.window.as_mut().and_then(|w| w.tally_for(at)) {
            tally.add_unsent(count);
        }
        match phase {
            Phase::Steady => self.steady.add_unsent(count),
            Phase::Ramp => self.ramp.add_unsent(count),
        }
        let second = usize::try_from(at.as_secs()).unwrap_or(usize::MAX);
        if second < 86_400 {
            self.timeline.add_unsent(second, count);
        }
    }

    /// Steady-phase requests per second; `None` before any steady time.
    pub fn steady_rps(&self) -> Option<f64> {
        let seconds = self.steady_time.as_secs_f64();
        (seconds > 0.0).then(|| self.steady.requests as f64 / seconds)
    }

    /// The per-second timeline.
    pub fn timeline(&self) -> Vec<Second> {
        self.timeline.seconds()
    }

    /// Requests due in one second since the start (0 for seconds to come).
    pub fn requests_in_second(&self, second: usize) -> u64 {
        self.timeline.requests_in(second)
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
            status: Ok(if ok { 200 } else { 500 }),
            ok,
            phase,
        }
    }

    #[test]
    fn a_window_adds_up_exactly_the_seconds_asked_for() {
        let mut record = Record::default().with_window(Duration::from_secs(2));
        // Before the window: not counted.
        record.add(&sample(1_500, 900, true, Phase::Steady));
        // Seconds 2 and 3: fast; second 4: slow and failed.
        for at in [2_000, 2_500, 3_100, 3_900] {
            record.add(&sample(at, 10, true, Phase::Steady));
        }
        record.add(&sample(4_200, 500, true, Phase::Steady));
        record.add(&sample(4_300, 10, false, Phase::Steady));
        let window = record.window.as_ref().unwrap();
        let first_two = window.until(Duration::from_secs(4));
        assert_eq!((first_two.requests, first_two.failures), (4, 0));
        assert!(first_two.percentile_ms(0.95).unwrap() < 11.0);
        let all = window.until(Duration::from_secs(60));
        assert_eq!((all.requests, all.failures), (6, 1));
        assert!(all.percentile_ms(0.99).unwrap() > 499.0);
        assert_eq!(all.statuses["500"], 1);
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
    fn failed_requests_count_as_errors_not_as_latencies() {
        let mut record = Record::default();
        for i in 0..100 {
            // Half refused at once, half served in 200 ms.
            record.add(&sample(
                i,
                if i % 2 == 0 { 1 } else { 200 },
                i % 2 == 1,
                Phase::Steady,
            ));
        }
        let p50 = record.steady.percentile_ms(0.50).unwrap();
        assert!(
            (p50 - 200.0).abs() < 0.2,
            "fast failures do not pull p50 down: {p50}"
        );
        assert_eq!(record.steady.error_rate_percent(), Some(50.0));
        let mut refused = Record::default();
        refused.add(&Sample {
            status: Err("Connection refused (os error 111)".into()),
            ..sample(0, 1, false, Phase::Steady)
        });
        assert_eq!(
            refused.steady.percentile_ms(0.95),
            None,
            "no latency of nothing served"
        );
        assert_eq!(refused.steady.error_rate_percent(), Some(100.0));
        assert_eq!(
            refused.steady.statuses["no answer: Connection refused (os error 111)"],
            1
        );
    }

    #[test]
    fn reasons_for_no_answer_are_bounded() {
        let mut record = Record::default();
        for i in 0..100 {
            record.add(&Sample {
                status: Err(format!("reset on port {i}")),
                ..sample(i, 1, false, Phase::Steady)
            });
        }
        assert_eq!(record.steady.statuses.len(), MAX_STATUSES + 1);
        assert_eq!(
            record.steady.statuses["no answer: other"],
            100 - MAX_STATUSES as u64
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

    #[test]
    fn old_seconds_are_summed_up_and_late_requests_still_counted() {
        let mut record = Record::default();
        for second in 0..100u64 {
            for i in 0..10 {
                record.add(&sample(second * 1000 + i, 10 + second, true, Phase::Steady));
            }
        }
        assert_eq!(record.timeline.open.len(), OPEN_SECONDS);
        assert_eq!(record.timeline.closed.len(), 100 - OPEN_SECONDS);
        // A request due in second 3 that only finished now, and failed.
        record.add(&sample(3_500, 90_000, false, Phase::Steady));
        let timeline = record.timeline();
        assert_eq!(timeline.len(), 100);
        assert_eq!((timeline[3].requests, timeline[3].failures), (11, 1));
        assert_eq!(record.requests_in_second(3), 11);
        assert_eq!(record.requests_in_second(99), 10);
        assert_eq!(record.requests_in_second(100), 0);
        for (second, figures) in timeline.iter().enumerate() {
            let p50 = figures.p50_ms.unwrap();
            assert!(
                (p50 - (10.0 + second as f64)).abs() < 0.1,
                "{second}: {p50}"
            );
        }
        assert_eq!(record.steady.requests, 1001, "and in every other figure");
    }
}
