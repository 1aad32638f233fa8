//! Failover items: how fast a disrupted service recovers (RTO), the
//! acknowledged writes it loses (RPO), the promotion of a new primary, the
//! error rate of a load meanwhile, the runbook that restores it, and a
//! deleted pod's replacement in a cluster. The comparisons of RTO and RPO
//! are `failover::judge`'s; the timelines come from `failover::clock`.

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;
use crate::failover::judge;
use crate::failover::timeline::Timeline;

/// What a failover item of a stack needs.
const STACK_FAILOVER: &[Needs] = &[Needs::Stack, Needs::Disruption];

/// A settled timeline of one endpoint and the target it is judged
/// against, in seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    pub timeline: Timeline,
    pub target_s: f64,
}

fn judge_rto(recovery: &Recovery) -> Judged {
    let (passed, mut facts) = judge::recovery(&recovery.timeline, recovery.target_s);
    facts.push(recovery.timeline.summary());
    (passed, facts)
}

fn judge_rpo(recovery: &Recovery) -> Judged {
    let (passed, mut facts) = match &recovery.timeline.writes {
        Some(writes) if writes.unverified.is_none() => {
            judge::writes_lost(writes, recovery.target_s)
        }
        Some(writes) => (false, vec![writes.describe()]),
        None => (false, vec!["no write was acknowledged".to_string()]),
    };
    facts.push(recovery.timeline.summary());
    (passed, facts)
}

fn judge_promotion(recovery: &Recovery) -> Judged {
    let target = recovery.target_s;
    let timeline = &recovery.timeline;
    let (passed, fact) = match &timeline.promoted {
        Some(p) => (
            p.after_s <= target,
            format!(
                "{} answered as primary after {:.2} s (target {target} s)",
                p.instance, p.after_s
            ),
        ),
        None => (
            false,
            format!(
                "no other instance answered as primary in the {:.1} s watched (target {target} s)",
                timeline.watched_s
            ),
        ),
    };
    (passed, vec![fact, timeline.summary()])
}

pub static RTO: Live<Recovery> = live_check!(
    judge_rto,
    CheckMeta {
        id: "failover.rto",
        title: "The service recovers from a disruption within the RTO",
        judges: "watched endpoint",
        severity: Severity::Critical,
        checklist: &["GL-HA-02", "GL-APP-07"],
        needs: &[Needs::Stack, Needs::Cluster, Needs::Disruption],
        rationale: "The recovery time objective is what the business signed: from the moment an instance is \
                    killed (or a pod deleted) until a probe watching the service answers steadily again. The \
                    steady state must hold before the disruption, or nothing is proven.",
        remediation: "Shorten what the recovery waits on: readiness and health-check intervals, the load \
                      balancer's failure detection, the replicas available to take over; then run the failover \
                      again.",
        differences: &[],
    }
);

pub static RPO: Live<Recovery> = live_check!(
    judge_rpo,
    CheckMeta {
        id: "failover.rpo",
        title: "No acknowledged write is lost beyond the RPO",
        judges: "watched endpoint",
        severity: Severity::Critical,
        checklist: &["GL-APP-07"],
        needs: STACK_FAILOVER,
        rationale: "A write the service acknowledged is a promise: after the failover every acknowledged write \
                    is read back, and the oldest lost one must be younger than the recovery point objective. A \
                    write acknowledged after the disruption and then lost fails whatever the RPO.",
        remediation: "Make acknowledgements wait for the replicas the failover promotes (synchronous \
                      replication, WAIT, min.insync.replicas), or agree on a larger RPO.",
        differences: &[],
    }
);

pub static PROMOTION: Live<Recovery> = live_check!(
    judge_promotion,
    CheckMeta {
        id: "failover.promotion",
        title: "A new primary answers within the stated time",
        judges: "watched endpoint",
        severity: Severity::High,
        checklist: &["GL-HA-02", "GL-APP-07"],
        needs: STACK_FAILOVER,
        rationale: "With a primary killed, a replica must be promoted and answer as the primary: until then \
                    writes fail, whatever the readiness of the others.",
        remediation: "Check the failover manager (Sentinel, Patroni, the operator) sees the primary down and \
                      has a quorum to promote; shorten its down-after and failover timeouts.",
        differences: &[],
    }
);

/// The requests of a load due from the disruption to the end of the
/// campaign, and the target error rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadDuringFailover {
    /// The second of the load the disruption came at.
    pub from_s: usize,
    /// Seconds of load from then to its end.
    pub seconds: usize,
    pub requests: u64,
    pub failed: u64,
    pub target_percent: f64,
    /// What the clocks saw meanwhile (their timelines' summaries).
    #[serde(default)]
    pub clocks: Vec<String>,
}

fn judge_error_rate(load: &LoadDuringFailover) -> Judged {
    let rate = if load.requests == 0 {
        100.0
    } else {
        100.0 * load.failed as f64 / load.requests as f64
    };
    let target = load.target_percent;
    let mut facts = vec![
        format!("{rate:.2} % of requests failed from the disruption on (target below {target} %)"),
        format!(
            "{} of {} requests in the {} s from second {} of the load to its end",
            load.failed, load.requests, load.seconds, load.from_s
        ),
    ];
    facts.extend(load.clocks.iter().cloned());
    (load.requests > 0 && rate < target, facts)
}

pub static ERROR_RATE: Live<LoadDuringFailover> = live_check!(
    judge_error_rate,
    CheckMeta {
        id: "failover.error-rate",
        title: "The error rate of a load during the failover is below the target",
        judges: "load campaign",
        severity: Severity::High,
        checklist: &["GL-HA-02", "GL-APP-07"],
        needs: &[Needs::Stack, Needs::Load, Needs::Disruption],
        rationale: "Users keep sending requests while an instance dies: the share of them that fail from the \
                    disruption to the end of the load is what they feel of the failover.",
        remediation: "Retry idempotent requests at the client or the proxy, drain connections from the dying \
                      instance faster (health-check intervals, keep-alive), keep enough replicas for the load.",
        differences: &[],
    }
);

/// A runbook's command run in an instance, and how it ended (secrets
/// already redacted).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    pub instance: String,
    pub command: Vec<String>,
    pub timeout_s: u64,
    /// `None` when it did not finish within the timeout.
    #[serde(default)]
    pub exit_code: Option<i64>,
    pub took_s: f64,
    /// The last lines it printed.
    #[serde(default)]
    pub output_tail: Vec<String>,
}

fn judge_runbook(runbook: &Runbook) -> Judged {
    let mut facts = vec![format!(
        "in {}: {}",
        runbook.instance,
        runbook.command.join(" ")
    )];
    let passed = match runbook.exit_code {
        None => {
            facts.push(format!("did not finish within {} s", runbook.timeout_s));
            false
        }
        Some(code) => {
            facts.push(format!("exit code {code} after {:.2} s", runbook.took_s));
            facts.extend(runbook.output_tail.iter().map(|l| format!("| {l}")));
            code == 0
        }
    };
    (passed, facts)
}

pub static RUNBOOK: Live<Runbook> = live_check!(
    judge_runbook,
    CheckMeta {
        id: "failover.runbook",
        title: "The runbook runs to success within its timeout",
        judges: "runbook",
        severity: Severity::High,
        checklist: &["GL-APP-07"],
        needs: STACK_FAILOVER,
        rationale: "A disaster recovery plan that was never run is a hope: its commands must run, in the \
                    instance they are written for, to a zero exit code within the time the plan allows.",
        remediation: "Run the runbook by hand in the same instance, fix the command or its prerequisites, and \
                      keep it in the stack file next to the service it restores.",
        differences: &[],
    }
);

/// A pod deleted in a cluster, and its workload's way back to all its
/// pods Ready.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    pub deleted: String,
    /// The replacement pod, when one was created, and after how long.
    #[serde(default)]
    pub replacement: Option<String>,
    #[serde(default)]
    pub created_after_s: Option<f64>,
    /// When the workload had all its pods Ready again, a new one among them.
    #[serde(default)]
    pub ready_after_s: Option<f64>,
    /// Ready pods at the end of the wait, of the desired count.
    pub ready: usize,
    pub desired: usize,
    pub target_s: f64,
    /// The last read of the pods that failed, if one did.
    #[serde(default)]
    pub last_error: Option<String>,
}

fn judge_replacement(replacement: &Replacement) -> Judged {
    let target = replacement.target_s;
    let restored = replacement.ready_after_s.filter(|after| *after <= target);
    let mut facts = vec![format!("deleted {} at 0.00 s", replacement.deleted)];
    facts.push(
        match (&replacement.replacement, replacement.created_after_s) {
            (Some(name), Some(at)) => format!("replacement {name} created after {at:.2} s"),
            _ => "no replacement pod was created".into(),
        },
    );
    let desired = replacement.desired;
    facts.push(match restored {
        Some(after) => {
            format!(
                "{desired} of {desired} pods Ready again after {after:.2} s (target {target} s)"
            )
        }
        None => format!(
            "{} of {desired} pods Ready after {target} s (target {target} s){}",
            replacement.ready,
            replacement
                .last_error
                .as_ref()
                .map(|e| format!("; the last read failed: {e}"))
                .unwrap_or_default()
        ),
    });
    (restored.is_some(), facts)
}

pub static REPLACEMENT: Live<Replacement> = live_check!(
    judge_replacement,
    CheckMeta {
        id: "failover.replacement",
        title: "A deleted pod's replacement is Ready within the RTO",
        judges: "deleted pod",
        severity: Severity::High,
        checklist: &["GL-HA-02"],
        needs: &[Needs::Cluster, Needs::Disruption],
        rationale: "Nodes drain and pods die: the workload's controller must create a replacement and have it \
                    Ready, with the workload back to the pods it asks for, within the profile's RTO.",
        remediation: "Look at what delays the new pod (image pulls, scheduling, slow startup and readiness \
                      probes, init containers) in its events; pre-pull images and shorten the startup.",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[
    &RTO.check,
    &RPO.check,
    &PROMOTION.check,
    &ERROR_RATE.check,
    &RUNBOOK.check,
    &REPLACEMENT.check,
];
