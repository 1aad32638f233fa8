//! A run: load the configuration and the target, run the Gherkin features
//! with cucumber over the inventory, and fill a [`RunRecord`]. Reporting and
//! the exit code are the caller's (see `report/` and `verdict`).
//!
//! Scenarios are chosen by `--tags`, by what the target can evaluate (a
//! scenario tagged `@stack` or `@cluster` does not run on manifests) and by
//! `--checks`; the others are listed as skipped, with the reason.

pub mod collector;
pub mod load;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cucumber::tag::Ext as _;
use cucumber::{Cucumber, cli};
use gherkin::tagexpr::TagOperation;

use crate::checks;
use crate::cluster::{self, ClusterTarget, LiveCluster};
use crate::config::Config;
use crate::context::{RunContext, ScenarioEvidence};
use crate::error::InputError;
use crate::failover;
use crate::model::Inventory;
use crate::record::{RunRecord, SkippedScenario};
use crate::source::Target;
use crate::source::manifests::Loaded;
use crate::stack::StackSession;
use crate::steps::{self, GoliveWorld, world::RUN_CONTEXT};
use collector::{Collector, feature_file};

/// After a disrupted container is healthy again, how long its data store
/// may take to have a single primary again (Sentinel demoting a master
/// that came back).
const HEAL_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Tags that say what kind of target a scenario needs.
pub const TARGET_TAGS: &[&str] = &["manifests", "cluster", "stack", "load"];

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub features: PathBuf,
    pub target: Target,
    pub tags: Option<String>,
    /// `--allow-disruption`: @disruptive scenarios may break the target.
    pub allow_disruption: bool,
    /// Check IDs or families given to `--checks`.
    pub checks: Vec<String>,
    pub profile: Option<String>,
    pub config: Option<PathBuf>,
    /// The stack of a `stack:` target; the caller removes it at the end.
    pub stack: Option<Arc<StackSession>>,
}

/// Everything needed to start cucumber, or the input errors that prevent it.
struct Prepared {
    context: RunContext,
    tags: Option<TagOperation>,
}

async fn prepare(plan: &RunPlan, record: &Mutex<RunRecord>) -> Option<Prepared> {
    let mut errors = Vec::new();
    let config = Config::load(plan.config.as_deref())
        .map_err(|e| errors.push(e))
        .ok();
    let profile = config
        .as_ref()
        .and_then(|c| {
            c.profile(plan.profile.as_deref())
                .map_err(|e| errors.push(e))
                .ok()
        })
        .cloned();
    let tags = plan.tags.as_deref().and_then(|expression| {
        expression
            .parse::<TagOperation>()
            .map_err(|e| {
                errors.push(InputError::new(
                    "--tags",
                    format!("cannot read the tag expression {expression:?}: {e}"),
                ))
            })
            .ok()
    });
    let selected_checks = (!plan.checks.is_empty()).then(|| {
        let mut ids = HashSet::new();
        for name in &plan.checks {
            let resolved = checks::resolve(name);
            if resolved.is_empty() {
                errors.push(InputError::new(
                    "--checks",
                    format!("unknown check {name:?} (see `golive checks`)"),
                ));
            }
            ids.extend(resolved.iter().map(|c| c.meta.id));
        }
        ids
    });
    if !plan.features.exists() {
        errors.push(InputError::new(
            plan.features.display().to_string(),
            "no such features directory or file",
        ));
    }
    // Problems with the run's own inputs stop it: running with a filter or
    // profile the user did not mean would evaluate the wrong checklist.
    // Problems with the target do not: what could be read is evaluated.
    let run_inputs_ok = errors.is_empty();
    let (loaded, cluster) = match &plan.target {
        Target::Cluster(target) => read_cluster(target).await,
        _ => (load_files(&plan.target).await, None),
    };
    if let Some(LiveCluster { connection, .. }) = &cluster {
        // The server and its version are part of the evidence.
        record.lock().unwrap_or_else(|e| e.into_inner()).target = format!(
            "{} ({}, Kubernetes {})",
            plan.target, connection.server, connection.version
        );
    }
    let is_stack = plan.stack.is_some();
    let target_readable = is_stack || !loaded.objects.is_empty();
    if !target_readable && loaded.errors.is_empty() {
        errors.push(InputError::new(
            plan.target.to_string(),
            "the target contains no Kubernetes object",
        ));
    }
    errors.extend(loaded.errors);
    let mut inventory = Inventory::new(loaded.objects);
    inventory.set_read_at(loaded.read_at);
    if let Some(profile) = &profile {
        errors.extend(checks::backup::schedule_errors(&inventory, profile));
    }
    if let (Some(live), Target::Cluster(target)) = (&cluster, &plan.target)
        && target.allow_exec
    {
        inventory.set_observed_uids(cluster::users::observe(&live.connection, &inventory).await);
    }
    {
        let mut shared = record.lock().unwrap_or_else(|e| e.into_inner());
        shared.inventory = inventory.counts();
        shared.profile = profile.clone();
        shared.input_errors.extend(errors);
    }
    let (true, true, Some(config), Some(profile)) =
        (run_inputs_ok, target_readable, config, profile)
    else {
        return None;
    };
    // A stack starts only once the run's own inputs are known to be good.
    let stack = match &plan.stack {
        Some(session) => match session.start().await {
            Ok(running) => Some(running),
            Err(error) => {
                record
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .input_errors
                    .push(error);
                return None;
            }
        },
        None => None,
    };
    Some(Prepared {
        context: RunContext {
            target: plan.target.to_string(),
            cluster,
            allow_disruption: plan.allow_disruption,
            inventory,
            config,
            profile,
            selected_checks,
            stack,
            outcomes: Mutex::default(),
            between_scenarios: Mutex::default(),
        },
        tags,
    })
}

/// Reads a manifests target (blocking file IO: off the async thread, so
/// Ctrl-C is seen while a large target loads).
async fn load_files(target: &Target) -> Loaded {
    let owned = target.clone();
    tokio::task::spawn_blocking(move || owned.load())
        .await
        .unwrap_or_else(|e| {
            let mut loaded = Loaded::default();
            loaded.errors.push(InputError::new(
                target.to_string(),
                format!("loading failed: {e}"),
            ));
            loaded
        })
}

/// Connects to a cluster and reads its objects in scope.
async fn read_cluster(target: &ClusterTarget) -> (Loaded, Option<LiveCluster>) {
    match LiveCluster::open(target).await {
        Ok(live) => {
            let loaded = cluster::read::read(&live.connection, target).await;
            (loaded, Some(live))
        }
        Err(error) => {
            let mut loaded = Loaded::default();
            loaded.errors.push(error);
            (loaded, None)
        }
    }
}

/// Why a scenario is left out of this run, or `None` if it runs.
fn exclusion(
    tags: &[String],
    steps: &[&gherkin::Step],
    filter: Option<&TagOperation>,
    target_tag: &str,
    selected: Option<&HashSet<&'static str>>,
    allow_disruption: bool,
) -> Option<String> {
    if let Some(filter) = filter
        && !filter.eval(tags.iter())
    {
        return Some("excluded by --tags".into());
    }
    let needs: Vec<&String> = tags
        .iter()
        .filter(|t| TARGET_TAGS.contains(&t.as_str()))
        .collect();
    if !needs.is_empty() && !needs.iter().any(|t| *t == target_tag) {
        let needs: Vec<String> = needs.iter().map(|t| format!("@{t}")).collect();
        return Some(format!(
            "needs a {} target; this run's target is @{target_tag}",
            needs.join(" or ")
        ));
    }
    // A permission, asked for only where the target could run it.
    if !allow_disruption && tags.iter().any(|t| t == "disruptive") {
        return Some(
            "@disruptive: breaks parts of the target on purpose; run with --allow-disruption"
                .into(),
        );
    }
    if let Some(selected) = selected {
        let named = steps.iter().filter_map(|step| {
            let (def, arguments) = steps::definition_for(step.ty.into(), &step.value).ok()??;
            Some(def.checks_named?(&arguments))
        });
        let runs_a_selected_check = named.flatten().any(|name| {
            checks::resolve(&name)
                .iter()
                .any(|c| selected.contains(c.meta.id))
        });
        if !runs_a_selected_check {
            return Some("runs none of the checks given to --checks".into());
        }
    }
    None
}

/// Runs the plan, filling `record` as scenarios finish.
pub async fn run(plan: &RunPlan, record: Arc<Mutex<RunRecord>>) {
    {
        let mut shared = record.lock().unwrap_or_else(|e| e.into_inner());
        shared.golive_version = env!("CARGO_PKG_VERSION");
        shared.target = plan.target.to_string();
    }
    let Some(Prepared { context, tags }) = prepare(plan, &record).await else {
        return;
    };
    let context = Arc::new(context);
    let skipped: Arc<Mutex<Vec<SkippedScenario>>> = Arc::default();
    let filter = {
        let (skipped, context) = (skipped.clone(), context.clone());
        let target_tag = plan.target.tag();
        move |feature: &gherkin::Feature,
              rule: Option<&gherkin::Rule>,
              scenario: &gherkin::Scenario| {
            let mut all_tags = feature.tags.clone();
            all_tags.extend(rule.iter().flat_map(|r| r.tags.iter().cloned()));
            all_tags.extend(scenario.tags.iter().cloned());
            all_tags.extend(
                scenario
                    .examples
                    .iter()
                    .flat_map(|e| e.tags.iter().cloned()),
            );
            let background = feature
                .background
                .iter()
                .chain(rule.and_then(|r| r.background.as_ref()));
            let steps: Vec<&gherkin::Step> = background
                .flat_map(|b| b.steps.iter())
                .chain(scenario.steps.iter())
                .collect();
            let reason = exclusion(
                &all_tags,
                &steps,
                tags.as_ref(),
                target_tag,
                context.selected_checks.as_ref(),
                context.allow_disruption,
            );
            if let Some(reason) = &reason {
                skipped
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(SkippedScenario {
                        feature: feature.name.clone(),
                        file: feature_file(feature),
                        name: scenario.name.clone(),
                        line: scenario.position.line,
                        reason: reason.clone(),
                        tags: all_tags.clone(),
                    });
            }
            reason.is_none()
        }
    };
    let after_context = context.clone();
    let cucumber = Cucumber::<GoliveWorld, _, PathBuf, _, _, _>::new()
        .steps(steps::collection())
        .with_writer(Collector::new(record.clone(), context.clone()))
        .with_cli(cli::Opts::<_, _, _, cli::Empty>::default())
        .after(move |feature, _rule, scenario, _finished, world| {
            let context = after_context.clone();
            let key = (feature_file(feature), scenario.position.line);
            Box::pin(async move {
                let mut evidence = ScenarioEvidence::default();
                let mut to_heal = Vec::new();
                let mut to_restore = Vec::new();
                let mut to_recreate = Vec::new();
                let mut deployments_to_restore = Vec::new();
                if let Some(world) = world {
                    // Clocks stop (and timelines are kept) even when a step
                    // failed before any Then step settled the failover.
                    steps::settle_failover(world).await;
                    evidence = ScenarioEvidence {
                        checks: std::mem::take(&mut world.outcomes),
                        observations: std::mem::take(&mut world.observations),
                        failover: std::mem::take(&mut world.failover.timelines)
                            .into_iter()
                            .map(|(_, timeline)| timeline)
                            .collect(),
                    };
                    to_heal = std::mem::take(&mut world.to_heal);
                    to_restore = std::mem::take(&mut world.to_restore);
                    to_recreate = std::mem::take(&mut world.to_recreate);
                    deployments_to_restore = std::mem::take(&mut world.deployments_to_restore);
                }
                // A Deployment a drill rolled runs the template it ran
                // before the scenario again.
                for (deployment, template) in deployments_to_restore {
                    if let Err(e) = deployment.restore(&template).await {
                        context
                            .between_scenarios
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(InputError::new(
                                format!("{deployment:?}"),
                                format!("a scenario rolled it to another template and it could not be put back, so later scenarios ran on that template: {e}"),
                            ));
                    }
                }
                // The next scenario starts from a whole stack, even when
                // this one failed between breaking a container and
                // bringing it back.
                if let Some(stack) = &context.stack {
                    let mut problems = Vec::new();
                    let mut healed: Vec<String> = Vec::new();
                    for (instance, disruption) in to_heal.into_iter().rev() {
                        match stack.heal(&instance, disruption).await {
                            Ok(()) if !healed.contains(&instance) => healed.push(instance),
                            Ok(()) => {}
                            Err(e) => problems.push((instance, format!("did not come back after a scenario disrupted it ({disruption}), so later scenarios ran without it: {e}"))),
                        }
                    }
                    // A data store whose data was lost and not restored
                    // runs again, empty.
                    for endpoint in to_recreate {
                        stack.reopen(&endpoint);
                        if let Err(e) = stack.recreate(&endpoint).await {
                            problems.push((endpoint, format!("a scenario lost its data and it could not be started again, so later scenarios ran without it: {e}")));
                        }
                    }
                    // A service a drill rolled runs its first release again.
                    for service in to_restore {
                        if let Err(e) = stack.restore(&service).await {
                            problems.push((service, format!("a scenario rolled it to another release and it could not be put back, so later scenarios ran on that release: {e}")));
                        }
                    }
                    // Once every part is back: its data store has a single
                    // primary again (Sentinel demotes a master that came back).
                    for instance in healed {
                        if let Err(e) =
                            failover::probe::await_one_primary(stack, &instance, HEAL_LIMIT).await
                        {
                            problems.push((instance, format!("came back, but later scenarios ran before its data store settled: {e}")));
                        }
                    }
                    let mut between = context
                        .between_scenarios
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    for (instance, problem) in problems {
                        between.push(InputError::new(format!("container {instance}"), problem));
                    }
                }
                context
                    .outcomes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, evidence);
            })
        });
    RUN_CONTEXT
        .scope(
            context.clone(),
            cucumber.filter_run(plan.features.clone(), filter),
        )
        .await;
    let mut shared = record.lock().unwrap_or_else(|e| e.into_inner());
    shared.skipped = std::mem::take(&mut *skipped.lock().unwrap_or_else(|e| e.into_inner()));
    shared.input_errors.extend(std::mem::take(
        &mut *context
            .between_scenarios
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    ));
}
