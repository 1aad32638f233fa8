//! A cucumber writer that turns the event stream into the [`RunRecord`]
//! (shared, so an interrupted run keeps what finished). Events of concurrent
//! scenarios interleave; each is filed by feature file and scenario line.
//! Step failures carry golive's typed panic payload ([`StepFailure`]), which
//! tells "not ready" from "could not evaluate"; any other panic is an
//! internal error and counts as "could not evaluate".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cucumber::event::{self, Cucumber, RetryableScenario, StepError};
use cucumber::{Event, Writer, cli, parser};

use crate::context::RunContext;
use crate::error::InputError;
use crate::record::{FeatureRecord, RunRecord, ScenarioRecord, Status, StepRecord};
use crate::steps::{GoliveWorld, StepFailure};

/// Collects events into a shared record.
pub struct Collector {
    record: Arc<Mutex<RunRecord>>,
    context: Arc<RunContext>,
    started: HashMap<(String, usize), Instant>,
}

impl Collector {
    pub fn new(record: Arc<Mutex<RunRecord>>, context: Arc<RunContext>) -> Collector {
        Collector {
            record,
            context,
            started: HashMap::new(),
        }
    }
}

/// The path golive shows for a feature.
/// The path golive shows for a feature: relative to the working directory
/// when it is below it (cucumber hands over absolute paths).
pub fn feature_file(feature: &gherkin::Feature) -> String {
    let Some(path) = &feature.path else {
        return feature.name.clone();
    };
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()));
    relative.as_deref().unwrap_or(path).display().to_string()
}

fn feature_entry<'r>(
    record: &'r mut RunRecord,
    feature: &gherkin::Feature,
) -> &'r mut FeatureRecord {
    let file = feature_file(feature);
    let index = match record.features.iter().position(|f| f.file == file) {
        Some(index) => index,
        None => {
            record.features.push(FeatureRecord {
                name: feature.name.clone(),
                file,
                tags: feature.tags.clone(),
                scenarios: Vec::new(),
            });
            record.features.len() - 1
        }
    };
    &mut record.features[index]
}

/// The message and status of a failed step.
fn failure_of(error: &StepError) -> (Status, String) {
    match error {
        StepError::NotFound => (
            Status::CouldNotEvaluate,
            "undefined step: golive has no step with this text (see `golive steps`)".into(),
        ),
        StepError::AmbiguousMatch(e) => (Status::CouldNotEvaluate, format!("ambiguous step: {e}")),
        StepError::Panic(info) => {
            if let Some(failure) = info.downcast_ref::<StepFailure>() {
                match failure {
                    StepFailure::NotReady(m) => (Status::Failed, m.clone()),
                    StepFailure::CouldNotEvaluate(m) => (Status::CouldNotEvaluate, m.clone()),
                }
            } else {
                let text = info
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                (
                    Status::CouldNotEvaluate,
                    format!("internal error in golive: {text}"),
                )
            }
        }
    }
}

impl Collector {
    fn on_scenario(
        &mut self,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        event: event::Scenario<GoliveWorld>,
    ) {
        let key = (feature_file(feature), scenario.position.line);
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        let entry = feature_entry(&mut record, feature);
        let position = entry
            .scenarios
            .iter()
            .position(|s| s.line == scenario.position.line);
        let scenario_record = match position {
            Some(index) => &mut entry.scenarios[index],
            None => {
                let mut tags = feature.tags.clone();
                tags.extend(scenario.tags.iter().cloned());
                entry.scenarios.push(ScenarioRecord::new(
                    scenario.name.clone(),
                    scenario.position.line,
                    tags,
                ));
                entry.scenarios.last_mut().unwrap_or_else(|| unreachable!())
            }
        };
        match event {
            event::Scenario::Started => {
                self.started.insert(key, Instant::now());
            }
            event::Scenario::Step(step, step_event)
            | event::Scenario::Background(step, step_event) => {
                let (status, message) = match step_event {
                    event::Step::Started => return,
                    event::Step::Passed(..) => (Status::Passed, None),
                    event::Step::Skipped => (Status::CouldNotEvaluate, Some("undefined step: golive has no step with this text (see `golive steps`)".into())),
                    event::Step::Failed(_, _, _, error) => {
                        let (status, message) = failure_of(&error);
                        (status, Some(message))
                    }
                };
                scenario_record.steps.push(StepRecord {
                    keyword: step.keyword.trim().to_string(),
                    text: step.value.clone(),
                    line: step.position.line,
                    status,
                    message,
                });
            }
            event::Scenario::Hook(_, event::Hook::Failed(_, info)) => {
                let (_, message) = failure_of(&StepError::Panic(info));
                scenario_record.steps.push(StepRecord {
                    keyword: "Hook".into(),
                    text: "scenario set-up".into(),
                    line: scenario.position.line,
                    status: Status::CouldNotEvaluate,
                    message: Some(message),
                });
            }
            event::Scenario::Finished => {
                let started = self.started.remove(&key);
                let evidence = self.context.take_outcomes(&key);
                scenario_record.checks = evidence.checks;
                scenario_record.observations = evidence.observations;
                scenario_record.failover = evidence.failover;
                scenario_record.duration_ms =
                    started.map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
                let statuses = scenario_record.steps.iter().map(|s| s.status);
                scenario_record.status = if statuses.clone().any(|s| s == Status::CouldNotEvaluate)
                {
                    Status::CouldNotEvaluate
                } else if statuses.clone().any(|s| s == Status::Failed) {
                    Status::Failed
                } else if scenario_record.steps.is_empty() {
                    Status::CouldNotEvaluate
                } else {
                    Status::Passed
                };
                if scenario_record.status == Status::Passed {
                    scenario_record.reason = nothing_to_judge(scenario_record);
                    if scenario_record.reason.is_some() {
                        scenario_record.status = Status::NotApplicable;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Why a scenario that passed had nothing to judge: it ran checks, every
/// one of them evaluated nothing, and it observed nothing on a live system.
/// `None` when something was judged.
fn nothing_to_judge(scenario: &ScenarioRecord) -> Option<String> {
    let judged_nothing = !scenario.checks.is_empty()
        && scenario.evaluated() == 0
        && scenario.checks.iter().all(|c| c.findings.is_empty());
    judged_nothing.then(|| {
        let reasons: Vec<String> = scenario
            .checks
            .iter()
            .map(|c| format!("{}: {}", c.check, c.nothing_to_judge()))
            .collect();
        reasons.join("; ")
    })
}

/// Events are filed by feature file and scenario line, so the collector
/// reads interleaved events of concurrent scenarios correctly.
impl cucumber::writer::Normalized for Collector {}

impl Writer<GoliveWorld> for Collector {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<Cucumber<GoliveWorld>>>,
        _: &Self::Cli,
    ) {
        let event = match event {
            Ok(event) => event.value,
            Err(error) => {
                let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
                record.input_errors.push(parse_error(&error));
                return;
            }
        };
        if let Cucumber::Feature(
            feature,
            event::Feature::Scenario(scenario, RetryableScenario { event, .. }),
        ) = &event
        {
            self.on_scenario(feature, scenario, event.clone());
        }
        if let Cucumber::Feature(
            feature,
            event::Feature::Rule(
                _,
                event::Rule::Scenario(scenario, RetryableScenario { event, .. }),
            ),
        ) = &event
        {
            self.on_scenario(feature, scenario, event.clone());
        }
    }
}

/// A feature file that did not parse, as an input error naming file:line.
fn parse_error(error: &parser::Error) -> InputError {
    match error {
        parser::Error::Parsing(error) => feature_parse_error(error),
        parser::Error::ExampleExpansion(error) => InputError::new(
            error.path.as_ref().map_or_else(
                || "features".to_string(),
                |p| format!("{}:{}", p.display(), error.pos.line),
            ),
            format!("cannot expand the Examples: {error}"),
        ),
    }
}

/// A feature file that could not be read or parsed, naming file:line:column.
pub fn feature_parse_error(error: &gherkin::ParseFileError) -> InputError {
    match error {
        gherkin::ParseFileError::Reading { path, source } => InputError::new(
            path.display().to_string(),
            format!("cannot read the feature: {source}"),
        ),
        gherkin::ParseFileError::Parsing {
            path,
            error,
            source,
        } => {
            // gherkin keeps the position private; its message reads
            // "Error at LINE:COLUMN: {expected tokens}".
            let text = source.to_string();
            let (position, expected) = text
                .strip_prefix("Error at ")
                .and_then(|rest| rest.split_once(": "))
                .unwrap_or(("", text.as_str()));
            let place = if position.is_empty() {
                path.display().to_string()
            } else {
                format!("{}:{position}", path.display())
            };
            let detail = error.as_ref().map_or_else(
                || format!("expected one of {expected}"),
                ToString::to_string,
            );
            InputError::new(place, format!("not valid Gherkin: {detail}"))
        }
    }
}
