//! Release drill items: a rolling upgrade or rollback of a service runs to
//! its end, users see no failed request and no slow one meanwhile, and
//! every replica then serves the release expected. The rollout itself is
//! `stack::rollout`'s or `cluster::rollout`'s; the figures of what users
//! saw are the load campaign's window from the rollout's start to a few
//! seconds after its end — or, on a cluster, the recovery clock's probe
//! requests in that window.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;

/// What a drill needs: a stack golive started, or a cluster with
/// `--allow-disruption`.
const DRILL: &[Needs] = &[Needs::Stack, Needs::Cluster, Needs::Disruption];

/// How a rollout went.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    /// `upgrade of api from golive/testbed:latest to ... (APP_VERSION=2)`.
    pub label: String,
    pub replicas: usize,
    pub replaced: usize,
    pub took_s: f64,
    /// The time the step allows, if it states one.
    #[serde(default)]
    pub target_s: Option<f64>,
    #[serde(default)]
    pub steps: Vec<String>,
    /// Why it stopped before the end, and what was undone then.
    #[serde(default)]
    pub halted: Option<String>,
    #[serde(default)]
    pub undone: Vec<String>,
}

fn judge_complete(rollout: &Rollout) -> Judged {
    let mut facts = vec![format!(
        "{}: {} of {} replica(s) replaced in {:.1} s",
        rollout.label, rollout.replaced, rollout.replicas, rollout.took_s
    )];
    let mut passed = rollout.replicas > 0 && rollout.replaced == rollout.replicas;
    if let Some(halted) = &rollout.halted {
        passed = false;
        facts.push(format!("stopped: {halted}"));
        facts.extend(rollout.undone.iter().map(|u| format!("undone: {u}")));
    }
    if let Some(target) = rollout.target_s {
        if rollout.took_s > target {
            passed = false;
        }
        facts.push(format!("target: within {target} s"));
    }
    facts.extend(rollout.steps.iter().cloned());
    (passed, facts)
}

pub static COMPLETE: Live<Rollout> = live_check!(
    judge_complete,
    CheckMeta {
        id: "rollout.complete",
        title: "A rolling upgrade or rollback replaces every replica",
        judges: "rollout",
        severity: Severity::Critical,
        checklist: &["GL-HA-01", "GL-J1-03"],
        needs: DRILL,
        rationale: "A release is only deployable if its replicas become healthy one after another while the old \
                    ones keep serving (maxSurge 1, maxUnavailable 0), and a rollback only exists once it has \
                    been run: a new release that never becomes ready must stop the rollout with the old one \
                    still serving.",
        remediation: "Read the new replica's last log lines in the evidence: fix its configuration or its \
                      readiness check, or raise the progress deadline if it is merely slow to start.",
        differences: &[],
    }
);

/// What the load saw from a rollout's start to its own end.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadDuringRollout {
    /// `upgrade of api ...`.
    pub rollout: String,
    /// Seconds of the load at the rollout's start and end, and the end of
    /// the requests judged (a few seconds after the rollout's).
    pub from_s: f64,
    pub rollout_end_s: f64,
    pub until_s: f64,
    pub requests: u64,
    pub failed: u64,
    /// Why requests failed, by status, in the window.
    #[serde(default)]
    pub failed_statuses: BTreeMap<String, u64>,
    #[serde(default)]
    pub p95_ms: Option<f64>,
    /// The p95 the step allows (the p95 item only).
    #[serde(default)]
    pub p95_target_ms: Option<f64>,
    /// Who sent the requests when not the load (`the probe GET /health on
    /// the pods of production/factory-api`), and its first error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl LoadDuringRollout {
    fn window(&self) -> String {
        format!(
            "{} requests of {} due from {:.1} s (the {} started) to {:.1} s (it ended at {:.1} s)",
            self.requests,
            self.sent_by.as_deref().unwrap_or("the load"),
            self.from_s,
            self.rollout,
            self.until_s,
            self.rollout_end_s
        )
    }
}

fn judge_no_error(load: &LoadDuringRollout) -> Judged {
    let mut facts = vec![
        format!("{} of {} requests failed", load.failed, load.requests),
        load.window(),
    ];
    facts.extend(
        load.failed_statuses
            .iter()
            .map(|(status, n)| format!("{n} × {status}")),
    );
    facts.extend(load.first_error.iter().map(|e| format!("first error: {e}")));
    (load.requests > 0 && load.failed == 0, facts)
}

pub static NO_ERROR: Live<LoadDuringRollout> = live_check!(
    judge_no_error,
    CheckMeta {
        id: "rollout.no-error",
        title: "No request fails while a release rolls out",
        judges: "load campaign",
        severity: Severity::Critical,
        checklist: &["GL-HA-01", "GL-J1-03"],
        needs: &[Needs::Stack, Needs::Cluster, Needs::Load, Needs::Disruption],
        rationale: "A zero-downtime deployment is one users cannot see: every request sent from the start of \
                    the rollout to a few seconds after its end must succeed, through the entry point they use \
                    (on a cluster: the recovery clock's requests to the Ready pods, as their Service routes).",
        remediation: "Let old replicas finish their requests on SIGTERM, take them out of the entry point \
                      before they stop, keep a readiness check that fails until the new release can serve, and \
                      retry idempotent requests at the proxy.",
        differences: &[],
    }
);

fn judge_p95(load: &LoadDuringRollout) -> Judged {
    let Some(target) = load.p95_target_ms else {
        return (false, vec!["no p95 target was stated".into()]);
    };
    let facts = |measured: String| vec![measured, load.window()];
    match load.p95_ms {
        Some(p95) => (
            p95 < target,
            facts(format!(
                "p95 {p95:.1} ms during the rollout (target below {target} ms)"
            )),
        ),
        None => (
            false,
            facts("no request succeeded during the rollout: no latency to judge".into()),
        ),
    }
}

pub static P95: Live<LoadDuringRollout> = live_check!(
    judge_p95,
    CheckMeta {
        id: "rollout.p95",
        title: "The p95 latency stays below the target while a release rolls out",
        judges: "load campaign",
        severity: Severity::High,
        checklist: &["GL-HA-01"],
        needs: &[Needs::Stack, Needs::Load, Needs::Disruption],
        rationale: "Requests that wait for a replica starting, or for a connection to one that stopped, are \
                    the downtime users feel as slowness: the p95 from the rollout's start to the load's end \
                    must meet the service's latency target.",
        remediation: "Warm the new replica before it is ready, close idle connections of the old one before it \
                      stops, and keep the proxy's connect timeout short so a gone replica is skipped at once.",
        differences: &[],
    }
);

/// The version each replica reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    pub expected: String,
    pub replicas: Vec<ReplicaVersion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaVersion {
    pub instance: String,
    /// The version it reported, or why it reported none.
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

fn judge_versions(versions: &Versions) -> Judged {
    let facts: Vec<String> = versions
        .replicas
        .iter()
        .map(|r| match (&r.version, &r.error) {
            (Some(v), _) => format!("{}: version {v:?}", r.instance),
            (None, Some(e)) => format!("{}: no version: {e}", r.instance),
            (None, None) => format!("{}: no version", r.instance),
        })
        .collect();
    let passed = !versions.replicas.is_empty()
        && versions
            .replicas
            .iter()
            .all(|r| r.version.as_deref() == Some(versions.expected.as_str()));
    let mut all = vec![format!(
        "expected version {:?} on {} replica(s)",
        versions.expected,
        versions.replicas.len()
    )];
    all.extend(facts);
    (passed, all)
}

pub static VERSION: Live<Versions> = live_check!(
    judge_versions,
    CheckMeta {
        id: "rollout.version",
        title: "Every replica serves the expected release",
        judges: "replica",
        severity: Severity::High,
        checklist: &["GL-HA-01", "GL-J1-03", "GL-OPS-01"],
        needs: DRILL,
        rationale: "A rollout that reports success while one replica still runs the old release (or a rollback \
                    that left a new one behind) serves two versions at random: each replica is asked which \
                    release it serves.",
        remediation: "Make the rollout replace every replica before it reports success, and have the service \
                      report the version it was built from.",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] =
    &[&COMPLETE.check, &NO_ERROR.check, &P95.check, &VERSION.check];
