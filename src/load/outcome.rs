//! What a load campaign leaves in the run record: its targets judged, its
//! figures (steady phase, ramp, per request) and its timeline, with the
//! baseline comparison when one was given. `golive load` is a run whose
//! record holds one [`Campaign`]; the run's reporters render it. Values
//! taken from the environment are redacted before it is recorded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::baseline::Comparison;
use super::judge::{TargetResult, Verdict};
use super::profile::redact;
use super::record::{Record, Second, Tally};
use crate::verdict::Status;

/// Figures of one tally, as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figures {
    pub requests: u64,
    pub failures: u64,
    pub error_rate_percent: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub statuses: BTreeMap<String, u64>,
}

impl Figures {
    pub fn of(tally: &Tally) -> Figures {
        Figures {
            requests: tally.requests,
            failures: tally.failures,
            error_rate_percent: tally.error_rate_percent(),
            p50_ms: tally.percentile_ms(0.50),
            p95_ms: tally.percentile_ms(0.95),
            p99_ms: tally.percentile_ms(0.99),
            max_ms: tally.max_ms(),
            statuses: tally.statuses.clone(),
        }
    }
}

/// A campaign that ran (to its end, or until interrupted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Campaign {
    pub profile: String,
    pub description: String,
    pub destination: String,
    /// What is timed: to response headers, or to the end of the body.
    pub measured: String,
    pub targets: Vec<TargetResult>,
    pub steady_seconds: f64,
    pub steady_rps: Option<f64>,
    pub steady: Figures,
    pub ramp: Figures,
    pub requests: BTreeMap<String, Figures>,
    pub timeline: Vec<Second>,
    /// With `--baseline`: the comparison with an earlier campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

/// One judged part of a campaign, as the verdict and the reports count
/// it: a target, the baseline comparison, or a campaign that had no
/// target to judge.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignItem {
    /// `p95 latency < 200 ms`, `no regression against load.json`.
    pub title: String,
    pub status: Status,
    /// The figures behind the status, as one line.
    pub detail: String,
}

impl Campaign {
    /// The campaign as judged.
    pub fn new(
        profile: &str,
        description: &str,
        destination: &str,
        record: &Record,
        targets: Vec<TargetResult>,
    ) -> Campaign {
        Campaign {
            profile: profile.to_string(),
            description: description.to_string(),
            destination: destination.to_string(),
            measured: "latency of the successful requests, from when each was due to its response headers, or to the end of its body when the profile checks the body; failed requests count in the error rate".into(),
            targets,
            steady_seconds: record.steady_time.as_secs_f64(),
            steady_rps: record.steady_rps(),
            steady: Figures::of(&record.steady),
            ramp: Figures::of(&record.ramp),
            requests: record
                .steady_by_request
                .iter()
                .map(|(name, tally)| (name.clone(), Figures::of(tally)))
                .collect(),
            timeline: record.timeline(),
            comparison: None,
        }
    }

    /// What the verdict judges: each target (met passes, missed fails,
    /// not measured could not be evaluated), a regression against the
    /// baseline (fails), and a campaign with no target at all (could not
    /// be evaluated: nothing was judged).
    pub fn items(&self) -> Vec<CampaignItem> {
        let mut items: Vec<CampaignItem> = self
            .targets
            .iter()
            .map(|target| CampaignItem {
                title: target.title(),
                status: match target.verdict {
                    Verdict::Met => Status::Passed,
                    Verdict::Missed => Status::Failed,
                    Verdict::NotMeasured => Status::CouldNotEvaluate,
                },
                detail: target.describe(),
            })
            .collect();
        if items.is_empty() {
            items.push(CampaignItem {
                title: "SLO targets".into(),
                status: Status::CouldNotEvaluate,
                detail: "the campaign had no target to judge".into(),
            });
        }
        if let Some(comparison) = &self.comparison {
            let regressions: Vec<String> = comparison
                .rows
                .iter()
                .filter(|row| row.regression)
                .map(|row| format!("{} {} {}", row.scope, row.metric, row.change_text()))
                .collect();
            items.push(CampaignItem {
                title: format!("no regression against {}", comparison.baseline_file),
                status: if regressions.is_empty() {
                    Status::Passed
                } else {
                    Status::Failed
                },
                detail: if regressions.is_empty() {
                    format!("within {} % of the baseline", comparison.tolerance_percent)
                } else {
                    format!(
                        "worse than the baseline by more than {} %: {}",
                        comparison.tolerance_percent,
                        regressions.join(", ")
                    )
                },
            });
        }
        items
    }

    /// The campaign with every secret value replaced in every text it holds
    /// (request names, descriptions, errors, statuses...), before any
    /// report escapes them for its format.
    pub fn redacted(mut self, secrets: &[String]) -> Campaign {
        if secrets.is_empty() {
            return self;
        }
        let hide = |text: &mut String| *text = redact(text, secrets);
        let hide_keys = |map: &mut BTreeMap<String, Figures>| {
            *map = std::mem::take(map)
                .into_iter()
                .map(|(name, figures)| (redact(&name, secrets), figures))
                .collect();
        };
        let hide_statuses = |figures: &mut Figures| {
            figures.statuses = std::mem::take(&mut figures.statuses)
                .into_iter()
                .map(|(status, count)| (redact(&status, secrets), count))
                .collect();
        };
        hide(&mut self.description);
        hide(&mut self.destination);
        for target in &mut self.targets {
            hide(&mut target.scope);
        }
        hide_keys(&mut self.requests);
        hide_statuses(&mut self.steady);
        hide_statuses(&mut self.ramp);
        self.requests.values_mut().for_each(hide_statuses);
        if let Some(comparison) = &mut self.comparison {
            for row in &mut comparison.rows {
                hide(&mut row.scope);
            }
        }
        self
    }

    /// How the campaign came out as one item of the checklist: failed if
    /// any of its items failed, else could not evaluate if any could not
    /// be, else passed.
    pub fn status(&self) -> Status {
        let items = self.items();
        [Status::Failed, Status::CouldNotEvaluate]
            .into_iter()
            .find(|worst| items.iter().any(|item| item.status == *worst))
            .unwrap_or(Status::Passed)
    }

    /// Adds the comparison with a baseline (a regression is a failed
    /// item, see [`Campaign::items`]).
    pub fn with_comparison(mut self, comparison: Comparison) -> Campaign {
        self.comparison = Some(comparison);
        self
    }
}
