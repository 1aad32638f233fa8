//! The evidence of one failover, as the reports show it: the disruption,
//! the clock's figures (steady state, first failure, RTO, failed attempts,
//! promotion, writes lost) and attempts per second around it, with the
//! errors the load saw in the same seconds when a load ran.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::clock::{Analysis, INTERVAL, STEADY_MIN_ATTEMPTS, STEADY_WINDOW, SUSTAIN, Sample};
use super::probe::ATTEMPT_TIMEOUT;

/// One scenario's failover, for summary.json, JUnit and report.html.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// What the clock did each attempt ("GET /api/v1/items on web").
    pub clock: String,
    /// What was broken ("api-2 killed (SIGKILL)").
    pub disruption: String,
    /// How the clock measured: how often, how long an attempt may take,
    /// how long successes must last to count as recovered.
    #[serde(default)]
    pub cadence: Cadence,
    /// What held meanwhile (network delays), if anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// What the disruption did step by step (a rollout's replicas
    /// started and stopped, with seconds since its start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// Seconds from the clock's start to the disruption.
    pub disrupted_at_s: f64,
    pub steady_before: bool,
    pub steady_attempts: usize,
    pub steady_failed: usize,
    /// The first error in the steady window, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failure_after_s: Option<f64>,
    /// The measured RTO; absent when the service did not recover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered_after_s: Option<f64>,
    /// From the disruption to the last attempt.
    pub watched_s: f64,
    /// The longest attempt from the disruption on.
    pub slowest_attempt_s: f64,
    /// Attempts from the disruption to the recovery, and the failed ones.
    pub attempts: usize,
    pub failed: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// The error of the last failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Another instance answering after the disruption (a promotion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoted: Option<Promotion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes: Option<Writes>,
    /// Attempts per second from the clock's start.
    #[serde(default)]
    pub seconds: Vec<Second>,
    /// Requests and failed requests of the load per second, aligned on
    /// the same seconds, when a load ran with the disruption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<Vec<LoadSecond>>,
}

/// The clock's settings a timeline was measured with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cadence {
    pub interval_ms: u64,
    pub attempt_timeout_ms: u64,
    pub sustain_ms: u64,
}

impl Default for Cadence {
    /// The settings of this version of golive's clock.
    fn default() -> Cadence {
        Cadence {
            interval_ms: INTERVAL.as_millis() as u64,
            attempt_timeout_ms: ATTEMPT_TIMEOUT.as_millis() as u64,
            sustain_ms: SUSTAIN.as_millis() as u64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    pub instance: String,
    pub after_s: f64,
}

/// Acknowledged writes and those not found after the failover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Writes {
    pub acknowledged: usize,
    pub lost: usize,
    /// Lost writes acknowledged at or after the disruption (no RPO allows
    /// them; they do not count in `rpo_s`).
    pub lost_after_disruption: usize,
    /// Up to 20 lost write numbers.
    pub lost_examples: Vec<u64>,
    /// From the oldest lost write's acknowledgement to the disruption
    /// (the data-loss window); zero when nothing was lost.
    pub rpo_s: f64,
    /// Why the writes could not be read back, when they could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
    /// When a backup was taken meanwhile: the writes it must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackedUp>,
}

/// The writes acknowledged before a backup started, which a restore from
/// it must bring back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackedUp {
    /// Seconds from the clock's start to the backup's start.
    pub at_s: f64,
    pub acknowledged_before: usize,
    pub lost: usize,
    /// Up to 20 of them.
    pub lost_examples: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Second {
    pub ok: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadSecond {
    pub requests: u64,
    pub failed: u64,
}

/// `1.40 s`, or `absent`.
pub fn optional_seconds(value: Option<f64>, absent: &str) -> String {
    value.map_or_else(|| absent.to_string(), |s| format!("{s:.2} s"))
}

impl Promotion {
    /// `redis-replica-2 after 1.40 s`.
    pub fn describe(&self) -> String {
        format!("{} after {:.2} s", self.instance, self.after_s)
    }
}

impl Writes {
    /// `0 of 112 (RPO 0.00 s)`, or why they could not be verified.
    pub fn describe(&self) -> String {
        match &self.unverified {
            Some(why) => format!("{} acknowledged, not verified: {why}", self.acknowledged),
            None => format!(
                "{} of {} (RPO {:.2} s)",
                self.lost, self.acknowledged, self.rpo_s
            ),
        }
    }
}

/// Seconds, rounded to the millisecond.
pub fn seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}

impl Timeline {
    pub fn new(
        clock: String,
        disruption: String,
        disrupted_at: Duration,
        analysis: &Analysis,
        samples: &[Sample],
    ) -> Timeline {
        let length = samples.last().map_or(0, |s| s.at.as_secs() as usize + 1);
        let mut per_second = vec![Second { ok: 0, failed: 0 }; length];
        for sample in samples {
            let second = &mut per_second[sample.at.as_secs() as usize];
            if sample.attempt.ok {
                second.ok += 1;
            } else {
                second.failed += 1;
            }
        }
        Timeline {
            clock,
            disruption,
            cadence: Cadence::default(),
            conditions: Vec::new(),
            steps: Vec::new(),
            disrupted_at_s: seconds(disrupted_at),
            steady_before: analysis.steady(),
            steady_attempts: analysis.steady_attempts,
            steady_failed: analysis.steady_failed,
            steady_error: analysis.steady_error.clone(),
            first_failure_after_s: analysis.first_failure_after.map(seconds),
            recovered_after_s: analysis.recovered_after.map(seconds),
            watched_s: seconds(analysis.watched),
            slowest_attempt_s: seconds(analysis.slowest_after),
            attempts: analysis.attempts,
            failed: analysis.failed,
            first_error: analysis.first_error.clone(),
            last_error: analysis.last_error.clone(),
            promoted: analysis
                .new_server
                .as_ref()
                .map(|(after, instance)| Promotion {
                    instance: instance.clone(),
                    after_s: seconds(*after),
                }),
            writes: None,
            seconds: per_second,
            load: None,
        }
    }

    /// Why the steady state did not hold before the disruption.
    pub fn unsteady(&self) -> String {
        let window = STEADY_WINDOW.as_secs();
        if self.steady_failed > 0 {
            format!(
                "{} of {} attempts failed in the {window} s before it ({})",
                self.steady_failed,
                self.steady_attempts,
                self.steady_error.as_deref().unwrap_or("")
            )
        } else {
            format!(
                "only {} attempts in the {window} s before it (at least {STEADY_MIN_ATTEMPTS} needed)",
                self.steady_attempts
            )
        }
    }

    /// The figures in one line (JUnit, Markdown, the terminal).
    pub fn summary(&self) -> String {
        let mut parts = vec![format!(
            "{} at {:.1} s",
            self.disruption, self.disrupted_at_s
        )];
        if !self.conditions.is_empty() {
            parts.push(format!("while {}", self.conditions.join(", ")));
        }
        if !self.steps.is_empty() {
            parts.push(format!("steps: {}", self.steps.join("; ")));
        }
        if !self.steady_before {
            parts.push(format!("steady state not held: {}", self.unsteady()));
        }
        parts.push(format!(
            "first failure after {}",
            optional_seconds(self.first_failure_after_s, "none")
        ));
        parts.push(match self.recovered_after_s {
            Some(s) => format!("recovered after {s:.2} s"),
            None => format!("not recovered after {:.1} s", self.watched_s),
        });
        parts.push(format!(
            "{} of {} attempts failed, the slowest took {:.2} s",
            self.failed, self.attempts, self.slowest_attempt_s
        ));
        if let Some(promoted) = &self.promoted {
            parts.push(format!("promoted: {}", promoted.describe()));
        }
        if let Some(writes) = &self.writes {
            parts.push(format!("acknowledged writes lost: {}", writes.describe()));
        }
        format!("{} — {}", self.clock, parts.join(", "))
    }
}
