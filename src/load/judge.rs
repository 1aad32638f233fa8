//! Judging a campaign: each SLO target of the profile (overall and per
//! request) against what the steady phase measured. A target whose
//! measurement has no sample is "not measured" — never met.
//!
//! One precedence rule, for `golive load` and the load steps of `golive
//! run` alike: built-in default < golive.yaml profile < load profile < the
//! figure written in a feature step. [`overall_targets`] applies the first
//! three; [`stated_or_overall`] adds the step's figure. Latencies and the
//! error rate must be strictly *below* their target (the seeds write
//! "p95 < 200 ms", "error rate < 0.1 %"), throughput *at least* its own.

use serde::{Deserialize, Serialize};

use super::profile::{LoadProfile, RequestTargets};
use super::record::{Record, Tally};
use crate::config::Profile;

/// The outcome of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    Missed,
    /// Nothing was measured for it (no request in the steady phase).
    NotMeasured,
}

/// One target and how the campaign did against it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetResult {
    /// `overall` or a request name.
    pub scope: String,
    /// `p50_ms`, `p95_ms`, `p99_ms`, `error_rate_percent` or `min_rps`.
    #[serde(deserialize_with = "crate::interned::string")]
    pub metric: crate::interned::Text,
    pub target: f64,
    pub measured: Option<f64>,
    pub verdict: Verdict,
    /// How far from the target, when missed ("by 35.2 ms (17.6 %)").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_by: Option<String>,
}

impl TargetResult {
    /// `p95 latency of list items < 200 ms`.
    pub fn title(&self) -> String {
        let (name, unit, comparison) = label(self.metric);
        let scope = if self.scope == "overall" {
            String::new()
        } else {
            format!(" of {}", self.scope)
        };
        format!("{name}{scope} {comparison} {}{unit}", self.target)
    }

    /// `p95 latency of list items < 200 ms: 235.20 ms, missed by 35.20 ms (17.6 %)`.
    pub fn describe(&self) -> String {
        let (_, unit, _) = label(self.metric);
        let nothing = if unit == " ms" {
            "no successful request"
        } else {
            "no request"
        };
        let measured = self.measured.map_or_else(
            || format!("not measured ({nothing})"),
            |m| format!("{m:.2}{unit}"),
        );
        let outcome = match (&self.verdict, &self.missed_by) {
            (Verdict::Met, _) => "met".to_string(),
            (Verdict::Missed, Some(by)) => format!("missed by {by}"),
            (Verdict::Missed, None) => "missed".to_string(),
            (Verdict::NotMeasured, _) => "could not be judged".to_string(),
        };
        format!("{}: {measured}, {outcome}", self.title())
    }
}

/// (name, unit, comparison) of a metric: the comparison printed is the
/// one [`meets`] computes.
fn label(metric: &str) -> (&'static str, &'static str, &'static str) {
    match metric {
        "p50_ms" => ("p50 latency", " ms", "<"),
        "p95_ms" => ("p95 latency", " ms", "<"),
        "p99_ms" => ("p99 latency", " ms", "<"),
        "error_rate_percent" => ("error rate", " %", "<"),
        _ => ("throughput", " requests/s", "≥"),
    }
}

/// Whether `measured` meets `target` for `metric`: strictly below for
/// latencies and the error rate, at least for throughput.
fn meets(metric: &str, measured: f64, target: f64) -> bool {
    match label(metric).2 {
        "≥" => measured >= target,
        _ => measured < target,
    }
}

/// The overall targets of a campaign: the load profile's own, else the
/// run profile's (golive.yaml's, itself the built-in defaults where the
/// file says nothing) for the p95 latency and the error rate.
pub fn overall_targets(profile: &LoadProfile, run_profile: &Profile) -> RequestTargets {
    let defaults = RequestTargets {
        p95_ms: Some(run_profile.latency_p95_ms),
        error_rate_percent: Some(run_profile.error_rate_percent),
        ..RequestTargets::default()
    };
    merge(&profile.targets.overall, &defaults)
}

/// The overall target of `metric` a feature step judges against: the
/// figure it states (`below 200 ms`), else [`overall_targets`]; with the
/// level it comes from, for the evidence. `None` when no level sets one.
pub fn stated_or_overall(
    stated: Option<f64>,
    metric: &str,
    profile: &LoadProfile,
    run_profile: &Profile,
) -> Option<(f64, String)> {
    if let Some(figure) = stated {
        return Some((figure, "the step".into()));
    }
    let target = overall_targets(profile, run_profile).get(metric)?;
    let level = if profile.targets.overall.get(metric).is_some() {
        format!("load profile {}", profile.name)
    } else {
        format!("profile {}", run_profile.name)
    };
    Some((target, level))
}

/// Judges one target against what was measured (`None`: nothing was).
pub fn against(
    scope: &str,
    metric: &'static str,
    target: f64,
    measured: Option<f64>,
) -> TargetResult {
    let (_, unit, _) = label(metric);
    let (verdict, missed_by) = match measured {
        None => (Verdict::NotMeasured, None),
        Some(m) if meets(metric, m, target) => (Verdict::Met, None),
        Some(m) => {
            let gap = (m - target).abs();
            // A relative gap says something for latencies and throughput,
            // not for a percentage already.
            let relative = if target > 0.0 && metric != "error_rate_percent" {
                format!(" ({:.1} %)", gap * 100.0 / target)
            } else {
                String::new()
            };
            (Verdict::Missed, Some(format!("{gap:.2}{unit}{relative}")))
        }
    };
    TargetResult {
        scope: scope.to_string(),
        metric,
        target,
        measured,
        verdict,
        missed_by,
    }
}

/// Judges every target of `profile` on `record`, the overall ones by the
/// precedence of [`overall_targets`].
pub fn judge(profile: &LoadProfile, run_profile: &Profile, record: &Record) -> Vec<TargetResult> {
    let overall = overall_targets(profile, run_profile);
    let mut results = judge_tally("overall", &overall, &record.steady, record.steady_rps());
    for (name, targets) in &profile.targets.requests {
        let empty = Tally::default();
        let tally = record.steady_by_request.get(name).unwrap_or(&empty);
        let seconds = record.steady_time.as_secs_f64();
        let rps = (seconds > 0.0).then(|| tally.requests as f64 / seconds);
        results.extend(judge_tally(name, targets, tally, rps));
    }
    results
}

fn merge(given: &RequestTargets, defaults: &RequestTargets) -> RequestTargets {
    RequestTargets {
        p50_ms: given.p50_ms.or(defaults.p50_ms),
        p95_ms: given.p95_ms.or(defaults.p95_ms),
        p99_ms: given.p99_ms.or(defaults.p99_ms),
        error_rate_percent: given.error_rate_percent.or(defaults.error_rate_percent),
        min_rps: given.min_rps.or(defaults.min_rps),
    }
}

fn judge_tally(
    scope: &str,
    targets: &RequestTargets,
    tally: &Tally,
    rps: Option<f64>,
) -> Vec<TargetResult> {
    let below = [
        ("p50_ms", targets.p50_ms, tally.percentile_ms(0.50)),
        ("p95_ms", targets.p95_ms, tally.percentile_ms(0.95)),
        ("p99_ms", targets.p99_ms, tally.percentile_ms(0.99)),
        (
            "error_rate_percent",
            targets.error_rate_percent,
            tally.error_rate_percent(),
        ),
    ];
    let mut results: Vec<TargetResult> = below
        .into_iter()
        .filter_map(|(metric, target, measured)| Some(against(scope, metric, target?, measured)))
        .collect();
    if let Some(target) = targets.min_rps {
        // Throughput with no request at all is not a measurement.
        let measured = rps.filter(|_| tally.requests > 0);
        results.push(against(scope, "min_rps", target, measured));
    }
    results
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::load::profile::{Host, Shape, Stage, Targets, ThinkTime, TlsTrust};
    use crate::load::record::{Phase, Sample};

    fn profile(targets: Targets) -> LoadProfile {
        LoadProfile {
            path: "p.yaml".into(),
            name: "p".into(),
            description: String::new(),
            host: Host::Url("http://127.0.0.1:1".into()),
            tls: TlsTrust::default(),
            shape: Shape::Stages(vec![Stage {
                users: 1,
                ramp: Duration::ZERO,
                hold: Duration::from_secs(10),
            }]),
            think_time: ThinkTime::default(),
            include_ramp: false,
            scenarios: Vec::new(),
            targets,
            secrets: Vec::new(),
        }
    }

    fn record(latencies_ms: &[u64], failures: usize) -> Record {
        let mut record = Record::new(Duration::from_secs(10));
        for (i, latency) in latencies_ms.iter().enumerate() {
            record.add(&Sample {
                request: "list items",
                at: Duration::from_millis(i as u64),
                latency: Duration::from_millis(*latency),
                status: Ok(200),
                ok: i >= failures,
                phase: Phase::Steady,
            });
        }
        record
    }

    #[test]
    fn the_run_profile_supplies_missing_targets_and_misses_say_by_how_much() {
        let results = judge(
            &profile(Targets::default()),
            &Profile::production(),
            &record(&[250; 1000], 2),
        );
        let metrics: Vec<&str> = results.iter().map(|r| r.metric).collect();
        assert_eq!(metrics, ["p95_ms", "error_rate_percent"]);
        assert_eq!(results[0].verdict, Verdict::Missed);
        let by = results[0].missed_by.as_deref().unwrap_or_default();
        assert!(
            by.starts_with("50.0") && by.ends_with("ms (25.0 %)"),
            "{by}"
        );
        assert_eq!(results[1].verdict, Verdict::Missed, "0.2 % > 0.1 %");
        let described = results[0].describe();
        assert!(
            described.starts_with("p95 latency < 200 ms: 250.0") && described.contains("missed by"),
            "{described}"
        );
    }

    #[test]
    fn per_request_targets_and_throughput() {
        let targets = Targets {
            overall: RequestTargets {
                p95_ms: Some(300.0),
                min_rps: Some(50.0),
                ..RequestTargets::default()
            },
            requests: BTreeMap::from([
                (
                    "list items".to_string(),
                    RequestTargets {
                        p99_ms: Some(260.0),
                        ..RequestTargets::default()
                    },
                ),
                (
                    "never sent".to_string(),
                    RequestTargets {
                        p95_ms: Some(100.0),
                        ..RequestTargets::default()
                    },
                ),
            ]),
        };
        let results = judge(
            &profile(targets),
            &Profile::production(),
            &record(&[250; 1000], 0),
        );
        let verdict = |scope: &str, metric: &str| {
            results
                .iter()
                .find(|r| r.scope == scope && r.metric == metric)
                .map(|r| r.verdict)
        };
        assert_eq!(verdict("overall", "p95_ms"), Some(Verdict::Met));
        assert_eq!(
            verdict("overall", "min_rps"),
            Some(Verdict::Met),
            "100 requests/s"
        );
        assert_eq!(verdict("overall", "error_rate_percent"), Some(Verdict::Met));
        assert_eq!(verdict("list items", "p99_ms"), Some(Verdict::Met));
        assert_eq!(verdict("never sent", "p95_ms"), Some(Verdict::NotMeasured));
    }

    #[test]
    fn below_is_strict_and_at_least_is_not() {
        let verdict = |metric, measured| against("overall", metric, 200.0, Some(measured)).verdict;
        assert_eq!(
            verdict("p95_ms", 200.0),
            Verdict::Missed,
            "200 ms is not below 200 ms"
        );
        assert_eq!(verdict("p95_ms", 199.9), Verdict::Met);
        assert_eq!(verdict("error_rate_percent", 200.0), Verdict::Missed);
        assert_eq!(
            verdict("min_rps", 200.0),
            Verdict::Met,
            "200/s is at least 200/s"
        );
        assert_eq!(verdict("min_rps", 199.9), Verdict::Missed);
        let at_the_target = judge(
            &profile(Targets::default()),
            &Profile::production(),
            &record(&[200; 100], 0),
        );
        assert_eq!(
            at_the_target[0].verdict,
            Verdict::Missed,
            "{at_the_target:?}"
        );
        assert!(at_the_target[0].title().starts_with("p95 latency < 200 ms"));
    }

    #[test]
    fn golive_yaml_sets_what_the_load_profile_leaves_out_and_a_stated_figure_wins() {
        let record = record(&[150; 1000], 0);
        let silent = profile(Targets::default());
        let strict = Profile {
            latency_p95_ms: 100.0,
            ..Profile::production()
        };
        let p95 = |load: &LoadProfile, run: &Profile| judge(load, run, &record)[0].verdict;
        assert_eq!(
            p95(&silent, &Profile::production()),
            Verdict::Met,
            "150 < 200"
        );
        assert_eq!(
            p95(&silent, &strict),
            Verdict::Missed,
            "150 ≥ golive.yaml's 100"
        );
        let own = profile(Targets {
            overall: RequestTargets {
                p95_ms: Some(180.0),
                ..RequestTargets::default()
            },
            ..Targets::default()
        });
        assert_eq!(
            p95(&own, &strict),
            Verdict::Met,
            "the load profile's 180 wins"
        );
        assert_eq!(
            stated_or_overall(None, "p95_ms", &own, &strict),
            Some((180.0, "load profile p".into()))
        );
        assert_eq!(
            stated_or_overall(None, "p95_ms", &silent, &strict),
            Some((100.0, "profile production".into()))
        );
        assert_eq!(
            stated_or_overall(Some(120.0), "p95_ms", &own, &strict).map(|(t, _)| t),
            Some(120.0),
            "the step's figure wins over every level"
        );
        assert_eq!(stated_or_overall(None, "min_rps", &silent, &strict), None);
        let error_rate =
            |run: &Profile| judge(&silent, run, &self::record(&[10; 1000], 2))[1].verdict;
        let lenient = Profile {
            error_rate_percent: 0.5,
            ..Profile::production()
        };
        assert_eq!(
            error_rate(&Profile::production()),
            Verdict::Missed,
            "0.2 % ≥ 0.1 %"
        );
        assert_eq!(
            error_rate(&lenient),
            Verdict::Met,
            "0.2 % < golive.yaml's 0.5 %"
        );
    }

    #[test]
    fn nothing_measured_is_never_met() {
        let results = judge(
            &profile(Targets::default()),
            &Profile::production(),
            &record(&[], 0),
        );
        assert!(
            results.iter().all(|r| r.verdict == Verdict::NotMeasured),
            "{results:?}"
        );
    }
}
