//! A recovery clock: a task that runs a [`Probe`] every [`INTERVAL`] and
//! keeps every attempt with its time, and the analysis of those samples
//! around a disruption: was the steady state there before, when did the
//! first failure come, when did the service recover for good (RTO), how
//! many attempts failed meanwhile.
//!
//! Attempts run one after the other: when one takes longer than the
//! interval (a timeout), the next starts when it ends.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::probe::{Attempt, Probe};

/// Time between the starts of two attempts.
pub const INTERVAL: Duration = Duration::from_millis(100);
/// The window before a disruption in which every attempt must succeed.
pub const STEADY_WINDOW: Duration = Duration::from_secs(3);
/// At least this many attempts in the steady window.
pub const STEADY_MIN_ATTEMPTS: usize = 5;
/// A recovery counts once the attempts succeed for this long.
pub const SUSTAIN: Duration = Duration::from_secs(5);

/// One attempt and when it started (from the clock's start).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: Duration,
    pub took: Duration,
    pub attempt: Attempt,
}

/// A running clock.
pub struct Clock {
    pub describe: String,
    started: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Probe>,
}

impl Clock {
    /// Starts probing now.
    pub fn start(mut probe: Probe) -> Clock {
        let describe = probe.describe();
        let started = Instant::now();
        let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
        let (stop, mut stopped) = watch::channel(false);
        let recorded = samples.clone();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = ticks.tick() => {
                        let at = started.elapsed();
                        let attempt = probe.attempt().await;
                        let took = started.elapsed().saturating_sub(at);
                        recorded
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(Sample { at, took, attempt });
                    }
                }
            }
            probe
        });
        Clock {
            describe,
            started,
            samples,
            stop,
            task,
        }
    }

    /// Time since the clock started.
    pub fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// `instant` on the clock's time axis (zero before it started).
    pub fn at(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.started)
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until the attempts after `disruption` show a sustained
    /// recovery and at least `min_watch` has passed, or until `limit`
    /// after the disruption (plus [`SUSTAIN`] to confirm a late recovery).
    pub async fn wait_for_recovery(
        &self,
        disruption: Duration,
        min_watch: Duration,
        limit: Duration,
    ) {
        loop {
            let watched = self.now().saturating_sub(disruption);
            if watched >= limit + SUSTAIN {
                return;
            }
            if watched >= min_watch
                && analyse(&self.samples(), disruption)
                    .recovered_after
                    .is_some()
            {
                return;
            }
            tokio::time::sleep(INTERVAL).await;
        }
    }

    /// Stops probing; the probe (to read writes back) and every sample.
    pub async fn stop(self) -> (Option<Probe>, Vec<Sample>) {
        let _ = self.stop.send(true);
        let probe = self.task.await.ok();
        let samples = std::mem::take(&mut *self.samples.lock().unwrap_or_else(|e| e.into_inner()));
        (probe, samples)
    }
}

/// What the samples say about one disruption.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Attempts in the [`STEADY_WINDOW`] before the disruption, and how
    /// many of them failed.
    pub steady_attempts: usize,
    pub steady_failed: usize,
    pub steady_error: Option<String>,
    /// From the disruption to the first failed attempt.
    pub first_failure_after: Option<Duration>,
    /// From the disruption to the first attempt of the success run that
    /// lasted [`SUSTAIN`] after the last failure (zero when nothing
    /// failed); `None`: not recovered while watched.
    pub recovered_after: Option<Duration>,
    /// Attempts from the disruption to the recovery (or the end), and how
    /// many failed.
    pub attempts: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    /// The error of the last failed attempt: why a service that did not
    /// recover still fails.
    pub last_error: Option<String>,
    /// The first instance to answer after the disruption that had not
    /// answered in the steady window (a promotion), with when.
    pub new_server: Option<(Duration, String)>,
    /// From the disruption to the last attempt.
    pub watched: Duration,
    /// The longest attempt from the disruption on: what users waited,
    /// even when nothing failed.
    pub slowest_after: Duration,
}

impl Analysis {
    /// The steady state held before the disruption.
    pub fn steady(&self) -> bool {
        self.steady_attempts >= STEADY_MIN_ATTEMPTS && self.steady_failed == 0
    }
}

/// Analyses `samples` (in time order) around a disruption at `disruption`.
pub fn analyse(samples: &[Sample], disruption: Duration) -> Analysis {
    let window_start = disruption.saturating_sub(STEADY_WINDOW);
    // An attempt still running when the disruption came may fail because
    // of it: it counts after, not in the steady state.
    let ended_before = |s: &&Sample| s.at + s.took <= disruption;
    let before: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at >= window_start && ended_before(s))
        .collect();
    let after: Vec<&Sample> = samples.iter().filter(|s| !ended_before(s)).collect();
    // Every instance that answered in the steady window: an HTTP clock
    // takes the instances in turn, a data store's answers its primary.
    let served_before: Vec<&String> = before
        .iter()
        .filter(|s| s.attempt.ok)
        .filter_map(|s| s.attempt.served_by.as_ref())
        .collect();
    let last_failure = after.iter().rposition(|s| !s.attempt.ok);
    let watched = after
        .last()
        .map_or(Duration::ZERO, |s| s.at.saturating_sub(disruption));
    let recovered_after = match last_failure {
        None => (watched >= SUSTAIN).then_some(Duration::ZERO),
        Some(index) => after.get(index + 1).and_then(|first_ok| {
            let last = after.last()?;
            (last.at.saturating_sub(first_ok.at) >= SUSTAIN)
                .then(|| first_ok.at.saturating_sub(disruption))
        }),
    };
    let in_window =
        |s: &&&Sample| recovered_after.is_none_or(|r| s.at.saturating_sub(disruption) <= r);
    let window: Vec<&&Sample> = after.iter().filter(in_window).collect();
    let new_server = after.iter().find_map(|s| {
        let by = s.attempt.served_by.as_ref()?;
        (s.attempt.ok && !served_before.contains(&by))
            .then(|| (s.at.saturating_sub(disruption), by.clone()))
    });
    Analysis {
        steady_attempts: before.len(),
        steady_failed: before.iter().filter(|s| !s.attempt.ok).count(),
        steady_error: before.iter().find_map(|s| s.attempt.error.clone()),
        first_failure_after: after
            .iter()
            .find(|s| !s.attempt.ok)
            .map(|s| s.at.saturating_sub(disruption)),
        recovered_after,
        attempts: window.len(),
        failed: window.iter().filter(|s| !s.attempt.ok).count(),
        first_error: after.iter().find_map(|s| s.attempt.error.clone()),
        last_error: after.iter().rev().find_map(|s| s.attempt.error.clone()),
        new_server,
        watched,
        slowest_after: after.iter().map(|s| s.took).max().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples every 100 ms from 0 to `end_ms`, failing inside `down`
    /// (ms ranges), served by `a` before `switch_ms` and `b` after.
    fn samples(end_ms: u64, down: &[(u64, u64)], switch_ms: u64) -> Vec<Sample> {
        (0..=end_ms / 100)
            .map(|i| {
                let at = i * 100;
                let ok = !down.iter().any(|(from, to)| at >= *from && at < *to);
                Sample {
                    at: Duration::from_millis(at),
                    took: Duration::from_millis(1),
                    attempt: Attempt {
                        ok,
                        served_by: Some(if at < switch_ms { "a" } else { "b" }.into()),
                        error: (!ok).then(|| format!("down at {at}")),
                        acknowledged: ok.then_some(i),
                    },
                }
            })
            .collect()
    }

    const DISRUPTION: Duration = Duration::from_secs(10);

    #[test]
    fn an_outage_gives_first_failure_recovery_and_failed_attempts() {
        let found = analyse(&samples(30_000, &[(10_300, 12_300)], 12_300), DISRUPTION);
        assert!(found.steady());
        assert_eq!(found.steady_attempts, 30);
        assert_eq!(found.first_failure_after, Some(Duration::from_millis(300)));
        assert_eq!(found.recovered_after, Some(Duration::from_millis(2300)));
        assert_eq!(found.failed, 20);
        assert_eq!(found.attempts, 24);
        assert_eq!(found.first_error.as_deref(), Some("down at 10300"));
        assert_eq!(found.last_error.as_deref(), Some("down at 12200"));
        assert_eq!(
            found.new_server,
            Some((Duration::from_millis(2300), "b".into()))
        );
    }

    #[test]
    fn recovery_is_after_the_last_failure_of_a_flapping_service() {
        let found = analyse(
            &samples(30_000, &[(10_500, 11_000), (14_000, 14_500)], 99_999),
            DISRUPTION,
        );
        assert_eq!(found.first_failure_after, Some(Duration::from_millis(500)));
        assert_eq!(found.recovered_after, Some(Duration::from_millis(4500)));
        assert_eq!(found.failed, 10);
        assert_eq!(found.new_server, None);
    }

    #[test]
    fn a_recovery_shorter_than_the_sustain_window_is_not_one() {
        let found = analyse(&samples(16_000, &[(10_000, 12_000)], 99_999), DISRUPTION);
        assert_eq!(found.recovered_after, None);
        assert_eq!(found.failed, 20);
        let never = analyse(&samples(30_000, &[(10_000, 40_000)], 99_999), DISRUPTION);
        assert_eq!(never.recovered_after, None);
        assert_eq!((never.failed, never.attempts), (201, 201));
    }

    #[test]
    fn nothing_failing_recovers_at_zero_once_watched_long_enough() {
        let short = analyse(&samples(12_000, &[], 99_999), DISRUPTION);
        assert_eq!(short.recovered_after, None);
        let long = analyse(&samples(20_000, &[], 99_999), DISRUPTION);
        assert_eq!(long.recovered_after, Some(Duration::ZERO));
        assert_eq!((long.first_failure_after, long.failed), (None, 0));
    }

    #[test]
    fn an_attempt_the_disruption_interrupts_counts_after_it() {
        let mut all = samples(30_000, &[(9_900, 10_000)], 99_999);
        // The attempt of 9.9 s was still waiting when the disruption came.
        all[99].took = Duration::from_millis(150);
        let found = analyse(&all, DISRUPTION);
        assert!(found.steady(), "{found:?}");
        assert_eq!(found.first_failure_after, Some(Duration::ZERO));
        assert_eq!(found.failed, 1);
        assert_eq!(found.steady_error, None);
        assert_eq!(found.slowest_after, Duration::from_millis(150));
    }

    #[test]
    fn instances_answering_in_turn_are_no_promotion_a_new_one_is() {
        let mut all = samples(30_000, &[], 99_999);
        for (i, sample) in all.iter_mut().enumerate() {
            let by = match i {
                i if i % 2 == 0 => "a",
                // From 15 s on, "c" takes the place of "b".
                i if i >= 150 => "c",
                _ => "b",
            };
            sample.attempt.served_by = Some(by.into());
        }
        let found = analyse(&all, DISRUPTION);
        assert_eq!(
            found.new_server,
            Some((Duration::from_millis(5100), "c".into()))
        );
        let before_c = analyse(&all[..150], DISRUPTION);
        assert_eq!(before_c.new_server, None);
    }

    #[test]
    fn a_failure_before_the_disruption_breaks_the_steady_state() {
        let found = analyse(&samples(30_000, &[(8_000, 8_100)], 99_999), DISRUPTION);
        assert!(!found.steady());
        assert_eq!(found.steady_failed, 1);
        assert_eq!(found.steady_error.as_deref(), Some("down at 8000"));
        let too_few = analyse(&samples(30_000, &[], 99_999)[95..], DISRUPTION);
        assert_eq!(too_few.steady_attempts, 5);
        assert!(too_few.steady());
        let none = analyse(&samples(30_000, &[], 99_999)[97..], DISRUPTION);
        assert!(!none.steady());
    }
}
