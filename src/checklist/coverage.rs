//! Which items of a run prove each checklist line, and how the line came
//! out: a pure function over the [`RunRecord`]. An item serves a line when
//! its scenario or its feature carries the line's tag; a scenario the run
//! left out serves it too, as "not run" with the run's reason, so the
//! dossier never implies more than was checked.
//!
//! When several items serve one line the worst wins: failed > could not
//! evaluate > not evaluated > passed > not run > not applicable. A line is
//! proven only when at least one item passed and none is worse; items the
//! run left out (another target's, `--tags`) do not unprove it but are
//! listed with it. A line no item of the features serves is "no item
//! proves this line yet".

use super::{LINES, Line};
use crate::load::outcome::Campaign;
use crate::record::{RunRecord, ScenarioRecord, SkippedScenario, Status};

/// The line a load campaign serves (`golive load`, or the campaigns of a
/// combined dossier): load testing done, its targets met.
pub const LOAD_TESTING: &str = "GL-APP-06";

/// How a line of the checklist came out in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LineStatus {
    /// Every item that serves it ran; none had anything to judge.
    NotApplicable,
    /// Its items were all left out of this run.
    NotRun,
    Proven,
    NotEvaluated,
    CouldNotEvaluate,
    Failed,
    /// No item of the features serves it.
    NoItem,
}

impl LineStatus {
    /// The status as an HTML attribute value and CSS class.
    pub fn slug(self) -> &'static str {
        match self {
            LineStatus::NotApplicable => "not-applicable",
            LineStatus::NotRun => "not-run",
            LineStatus::Proven => "passed",
            LineStatus::NotEvaluated => "not-evaluated",
            LineStatus::CouldNotEvaluate => "could-not-evaluate",
            LineStatus::Failed => "failed",
            LineStatus::NoItem => "no-item",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LineStatus::NotApplicable => "not applicable",
            LineStatus::NotRun => "not run in this run",
            LineStatus::Proven => "proven",
            LineStatus::NotEvaluated => "not evaluated",
            LineStatus::CouldNotEvaluate => "could not evaluate",
            LineStatus::Failed => "failed",
            LineStatus::NoItem => "no item proves this line yet",
        }
    }

    /// The status one item gives its line.
    fn of(status: Status) -> LineStatus {
        match status {
            Status::Passed => LineStatus::Proven,
            Status::Failed => LineStatus::Failed,
            Status::CouldNotEvaluate => LineStatus::CouldNotEvaluate,
            Status::NotEvaluated => LineStatus::NotEvaluated,
            Status::NotApplicable => LineStatus::NotApplicable,
        }
    }
}

/// What became of one item that serves a line.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Ran(&'a ScenarioRecord),
    NotRun {
        reason: &'a str,
    },
    /// A load campaign of the run ([`LOAD_TESTING`]).
    Campaign(&'a Campaign),
}

/// One item (a scenario) serving a line.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub feature: &'a str,
    pub file: &'a str,
    pub scenario: &'a str,
    pub line: usize,
    pub outcome: Outcome<'a>,
}

impl Item<'_> {
    fn status(&self) -> LineStatus {
        match self.outcome {
            Outcome::Ran(scenario) => LineStatus::of(scenario.status),
            Outcome::NotRun { .. } => LineStatus::NotRun,
            Outcome::Campaign(campaign) => LineStatus::of(campaign.status()),
        }
    }

    /// The checks and runtime items the scenario ran, each once.
    pub fn checks(&self) -> Vec<&'static str> {
        let Outcome::Ran(scenario) = self.outcome else {
            return Vec::new();
        };
        let mut checks: Vec<&'static str> = scenario
            .checks
            .iter()
            .map(|c| c.check)
            .chain(scenario.observations.iter().map(|o| o.item))
            .collect();
        checks.sort_unstable();
        checks.dedup();
        checks
    }
}

/// One line of the checklist in a run.
#[derive(Debug, Clone)]
pub struct LineCoverage<'a> {
    pub line: &'static Line,
    pub items: Vec<Item<'a>>,
    pub status: LineStatus,
}

fn tagged(tags: &[String], id: &str) -> bool {
    tags.iter()
        .any(|tag| tag.strip_prefix('@').unwrap_or(tag) == id)
}

/// Every line of the checklist, in the registry's order, with its items.
pub fn coverage(record: &RunRecord) -> Vec<LineCoverage<'_>> {
    LINES
        .iter()
        .map(|line| {
            let ran = record
                .scenarios()
                .filter(|(f, s)| tagged(&f.tags, line.id) || tagged(&s.tags, line.id))
                .map(|(f, s)| Item {
                    feature: &f.name,
                    file: &f.file,
                    scenario: &s.name,
                    line: s.line,
                    outcome: Outcome::Ran(s),
                });
            let left_out = record
                .skipped
                .iter()
                .filter(|s: &&SkippedScenario| tagged(&s.tags, line.id))
                .map(|s| Item {
                    feature: &s.feature,
                    file: &s.file,
                    scenario: &s.name,
                    line: s.line,
                    outcome: Outcome::NotRun { reason: &s.reason },
                });
            let campaigns = record
                .campaigns
                .iter()
                .filter(|_| line.id == LOAD_TESTING)
                .map(|campaign| Item {
                    feature: "golive load",
                    file: "",
                    scenario: &campaign.profile,
                    line: 0,
                    outcome: Outcome::Campaign(campaign),
                });
            let items: Vec<Item> = ran.chain(campaigns).chain(left_out).collect();
            let status = items
                .iter()
                .map(Item::status)
                .max()
                .unwrap_or(LineStatus::NoItem);
            LineCoverage {
                line,
                items,
                status,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FeatureRecord;

    fn scenario(name: &str, status: Status, tags: &[&str]) -> ScenarioRecord {
        ScenarioRecord {
            status,
            ..ScenarioRecord::new(name.into(), 3, tags.iter().map(|t| t.to_string()).collect())
        }
    }

    fn record(feature_tags: &[&str], scenarios: Vec<ScenarioRecord>) -> RunRecord {
        RunRecord {
            features: vec![FeatureRecord {
                name: "f".into(),
                file: "features/f.feature".into(),
                tags: feature_tags.iter().map(|t| t.to_string()).collect(),
                scenarios,
            }],
            ..RunRecord::default()
        }
    }

    fn status_of(record: &RunRecord, id: &str) -> LineStatus {
        coverage(record)
            .into_iter()
            .find(|c| c.line.id == id)
            .map(|c| c.status)
            .unwrap()
    }

    #[test]
    fn one_item_gives_its_line_its_status() {
        for (status, expected) in [
            (Status::Passed, LineStatus::Proven),
            (Status::Failed, LineStatus::Failed),
            (Status::CouldNotEvaluate, LineStatus::CouldNotEvaluate),
            (Status::NotEvaluated, LineStatus::NotEvaluated),
            (Status::NotApplicable, LineStatus::NotApplicable),
        ] {
            let record = record(&[], vec![scenario("s", status, &["@GL-SEC-05"])]);
            assert_eq!(status_of(&record, "GL-SEC-05"), expected, "{status:?}");
        }
    }

    #[test]
    fn the_worst_item_wins_and_proven_needs_a_pass() {
        use Status::*;
        let line = |statuses: &[Status]| {
            let scenarios = statuses
                .iter()
                .map(|s| scenario("s", *s, &["@GL-APP-02"]))
                .collect();
            status_of(&record(&[], scenarios), "GL-APP-02")
        };
        assert_eq!(
            line(&[Passed, Failed, CouldNotEvaluate]),
            LineStatus::Failed
        );
        assert_eq!(
            line(&[NotEvaluated, CouldNotEvaluate]),
            LineStatus::CouldNotEvaluate
        );
        assert_eq!(line(&[Passed, NotEvaluated]), LineStatus::NotEvaluated);
        assert_eq!(line(&[NotApplicable, Passed]), LineStatus::Proven);
        assert_eq!(
            line(&[NotApplicable, NotApplicable]),
            LineStatus::NotApplicable
        );
    }

    #[test]
    fn feature_tags_count_for_every_scenario_of_the_feature() {
        let record = record(
            &["@GL-SEC-02"],
            vec![
                scenario("a", Status::Passed, &[]),
                scenario("b", Status::Passed, &["@GL-HA-01"]),
            ],
        );
        let lines = coverage(&record);
        let sec = lines.iter().find(|c| c.line.id == "GL-SEC-02").unwrap();
        assert_eq!(sec.items.len(), 2);
        assert_eq!(sec.status, LineStatus::Proven);
        let ha = lines.iter().find(|c| c.line.id == "GL-HA-01").unwrap();
        assert_eq!(ha.items.len(), 1);
    }

    #[test]
    fn left_out_items_say_why_and_a_line_nothing_serves_says_so() {
        let mut record = record(&[], vec![scenario("ran", Status::Passed, &["@GL-SEC-06"])]);
        for (name, tags) in [("live", "@GL-SEC-06"), ("load", "@GL-APP-06")] {
            record.skipped.push(SkippedScenario {
                feature: "g".into(),
                file: "features/g.feature".into(),
                name: name.into(),
                line: 7,
                reason: "needs a @stack target".into(),
                tags: vec!["@stack".into(), tags.into()],
            });
        }
        let lines = coverage(&record);
        let find = |id: &str| lines.iter().find(|c| c.line.id == id).unwrap();
        assert_eq!(find("GL-SEC-06").status, LineStatus::Proven);
        assert_eq!(find("GL-SEC-06").items.len(), 2);
        let load = find("GL-APP-06");
        assert_eq!(load.status, LineStatus::NotRun);
        assert!(matches!(
            load.items[0].outcome,
            Outcome::NotRun {
                reason: "needs a @stack target"
            }
        ));
        assert_eq!(find("GL-INF-04").status, LineStatus::NoItem);
        assert!(find("GL-INF-04").items.is_empty());
        assert_eq!(lines.len(), LINES.len());
    }

    #[test]
    fn a_load_campaign_proves_load_testing_only_when_its_targets_are_met() {
        use crate::load::judge::{TargetResult, Verdict};
        use crate::load::record::Record;
        let target = |verdict| TargetResult {
            scope: "overall".into(),
            metric: "p95_ms",
            target: 200.0,
            measured: Some(120.0),
            verdict,
            missed_by: None,
        };
        let campaign = |verdict| {
            Campaign::new(
                "smoke",
                "",
                "http://127.0.0.1:1",
                &Record::default(),
                vec![target(verdict)],
            )
        };
        let mut load = RunRecord {
            campaigns: vec![campaign(Verdict::Met)],
            ..RunRecord::default()
        };
        assert_eq!(status_of(&load, LOAD_TESTING), LineStatus::Proven);
        load.campaigns.push(campaign(Verdict::Missed));
        assert_eq!(status_of(&load, LOAD_TESTING), LineStatus::Failed);
        load.campaigns = vec![campaign(Verdict::NotMeasured)];
        assert_eq!(status_of(&load, LOAD_TESTING), LineStatus::CouldNotEvaluate);
        assert_eq!(
            status_of(&RunRecord::default(), LOAD_TESTING),
            LineStatus::NoItem,
            "no campaign, no feature: nothing proves it"
        );
    }
}
