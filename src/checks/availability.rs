//! The availability family: a service stays up through node failures, node
//! drains, load peaks and its own rollouts only if it runs several replicas,
//! spread over nodes or zones, protected by one PodDisruptionBudget that still
//! lets drains proceed, scaled by a HorizontalPodAutoscaler where the profile
//! asks for one, and updated without stopping a pod before its replacement is
//! ready.
//!
//! Replicas are resolved as Kubernetes does: `spec.replicas` defaults to 1;
//! a workload targeted by an HPA runs between its `minReplicas` (default 1)
//! and `maxReplicas`; a bare long-running Pod is one replica nothing
//! recreates. DaemonSets (one pod per node), Jobs and CronJobs (run to
//! completion) have no replica count and are exempt, as are objects another
//! controller manages (a Deployment's ReplicaSets, a ReplicaSet's Pods).

use std::fmt;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscalerSpec, MetricSpec,
};
use k8s_openapi::api::core::v1::PodAffinityTerm;
use k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Check, CheckMeta, Difference, INVENTORY, Rule, Scope, Severity, Violation};
use crate::config::HpaRequirement;
use crate::model::selector::Selector;
use crate::model::{Inventory, Object, Resource, WORKLOAD_KINDS, Workload};

/// The availability family, in catalogue order.
pub static CHECKS: &[&Check] = &[
    &REPLICAS,
    &PDB,
    &PDB_DRAIN,
    &HPA_REQUIRED,
    &HPA_TARGET,
    &HPA_RANGE,
    &HPA_METRICS,
    &HPA_UTILIZATION,
    &HPA_SCALE_DOWN,
    &HPA_OWNED_REPLICAS,
    &SPREAD,
    &ROLLING_UPDATE,
];

const SPREAD_EXPECTED: &str =
    "a topologySpreadConstraint or podAntiAffinity term over nodes or zones selecting its own pods";

/// Topology keys that put replicas on different nodes or zones.
const SPREAD_TOPOLOGY_KEYS: &[&str] = &[
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
];

pub static REPLICAS: Check = Check {
    meta: CheckMeta {
        id: "availability.replicas",
        title: "Every workload runs the profile's minimum number of replicas",
        judges: "long-running workload with a replica count",
        severity: Severity::High,
        checklist: &["GL-HA-01"],
        needs: INVENTORY,
        rationale: "A single replica is a single point of failure: a node failure, an eviction, an OOM kill or a \
                    rollout takes the service down until a new pod is scheduled and ready.",
        remediation: "Set spec.replicas to at least the profile's min_replicas (golive.yaml), or let a \
                      HorizontalPodAutoscaler (autoscaling/v2) own the replica count.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let minimum = i32::try_from(scope.profile.min_replicas).unwrap_or(i32::MAX);
        for replicated in replicated_in_scope(scope) {
            if matches!(replicated.replicas, Replicas::Autoscaled { .. }) {
                continue; // availability.hpa-range judges the autoscaler
            }
            evaluation.evaluated();
            if replicated.replicas.fewest() < minimum {
                let field = match replicated.replicas {
                    Replicas::BarePod => "spec",
                    _ => "spec.replicas",
                };
                evaluation.report(Violation {
                    object: replicated.workload.object,
                    container: None,
                    field: field.into(),
                    expected: format!(
                        "at least {minimum} replicas (profile {})",
                        scope.profile.name
                    ),
                    found: replicated.replicas.to_string(),
                });
            }
        }
    }),
};

pub static PDB: Check = Check {
    meta: CheckMeta {
        id: "availability.pdb",
        title: "Every replicated workload is protected by exactly one PodDisruptionBudget",
        judges: "replicated workload",
        severity: Severity::High,
        checklist: &["GL-HA-01"],
        needs: INVENTORY,
        rationale: "Without a PodDisruptionBudget a node drain or cluster upgrade may evict every replica at \
                    once; with several, the eviction API refuses to evict the pods at all and drains hang.",
        remediation: "Add one policy/v1 PodDisruptionBudget in the workload's namespace whose selector matches \
                      its pod template labels (e.g. maxUnavailable: 1), and remove any other budget selecting \
                      the same pods.",
        differences: &[
            Difference {
                peer: "polaris",
                because: "it asks for a PodDisruptionBudget only for replicated workloads (2 replicas or more, \
                          fixed or as an HPA's minimum): a budget on a single replica either blocks every node \
                          drain or protects nothing. Polaris's failing fixture is a Deployment that leaves \
                          replicas at its default of 1.",
            },
            Difference {
                peer: "kube-score",
                because: "it asks for a PodDisruptionBudget only for replicated workloads (2 replicas or more, \
                          fixed or as an HPA's minimum): a budget on a single replica either blocks every node \
                          drain or protects nothing. kube-score's failing fixtures are Deployments that leave \
                          replicas at its default of 1.",
            },
        ],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let inventory = scope.inventory;
        for replicated in replicated_in_scope(scope) {
            if replicated.replicas.fewest() < 2 {
                continue;
            }
            evaluation.evaluated();
            let workload = replicated.workload;
            let budgets: Vec<&Object> = inventory
                .of_kind_in("PodDisruptionBudget", workload.object.namespace())
                .filter(|pdb| budget_selects(pdb, &workload))
                .collect();
            let found = match budgets.as_slice() {
                [_] => continue,
                [] => no_budget_found(inventory, &workload),
                several => format!(
                    "{} PodDisruptionBudgets select its pods ({}): the eviction API refuses to evict them",
                    several.len(),
                    references(several)
                ),
            };
            evaluation.report(Violation {
                object: workload.object,
                container: None,
                field: workload.pod_metadata_field("labels"),
                expected: "exactly one PodDisruptionBudget of its namespace selecting its pods"
                    .into(),
                found,
            });
        }
    }),
};

pub static PDB_DRAIN: Check = Check {
    meta: CheckMeta {
        id: "availability.pdb-drain",
        title: "No PodDisruptionBudget blocks node drains",
        judges: "PodDisruptionBudget",
        severity: Severity::High,
        checklist: &["GL-HA-01"],
        needs: INVENTORY,
        rationale: "A budget that allows no eviction (minAvailable equal to the replicas, maxUnavailable 0) \
                    makes every node drain hang: cluster upgrades and node replacements stall until someone \
                    deletes the budget by hand, usually during an incident. maxUnavailable 0 (or 0%) and \
                    minAvailable 100% block whatever they select: they are judged even when their workloads are \
                    deployed elsewhere.",
        remediation: "Let at least one pod go at a time: maxUnavailable: 1, or minAvailable below the fewest \
                      replicas the workload runs (with an HPA, below its minReplicas).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let inventory = scope.inventory;
        for object in scope.objects("PodDisruptionBudget") {
            let Some(budget) = pdb_spec(object).and_then(Budget::of) else {
                continue;
            };
            let workloads: Vec<Workload> = inventory
                .workloads_in(object.namespace())
                .filter(|w| budget_selects(object, w))
                .collect();
            // The disruption controller counts every pod the budget selects;
            // when one of them has no replica count (DaemonSet, Job) the
            // total cannot be known from manifests, and only a budget that
            // blocks whatever it selects can be judged.
            let selected: Option<Vec<Replicated>> = workloads
                .iter()
                .map(|w| replicated(inventory, *w))
                .collect();
            let blocker = selected
                .as_deref()
                .and_then(|selected| drain_blocker(&budget, selected))
                .or_else(|| {
                    budget.blocks_every_eviction().then(|| {
                        format!("{budget} allows no eviction, whatever the pods it selects")
                    })
                });
            if selected.is_none() && blocker.is_none() {
                continue;
            }
            let admitted: Vec<&Workload> = workloads
                .iter()
                .filter(|w| scope.filter.admits(w))
                .collect();
            let judged_alone = admitted.is_empty() && !scope.is_narrowed();
            if let Some(why) = blocker
                .as_ref()
                .filter(|_| judged_alone && budget.blocks_every_eviction())
            {
                // A budget whose workloads are not in the target (deployed
                // by another pipeline) still blocks every drain.
                evaluation.evaluated();
                evaluation.report(drain_violation(
                    object,
                    &budget,
                    format!("{why}; no workload of the target has the pods it selects"),
                ));
            }
            for workload in admitted {
                evaluation.evaluated();
                if let Some(why) = &blocker {
                    let what = match replicated(inventory, *workload) {
                        Some(r) => format!("{} ({})", workload.object.reference(), r.replicas),
                        None => workload.object.reference().to_string(),
                    };
                    evaluation.report(drain_violation(
                        object,
                        &budget,
                        format!("{what} can never lose a pod: {why}"),
                    ));
                }
            }
        }
    }),
};

/// A finding of `availability.pdb-drain` on the budget's field.
fn drain_violation<'a>(object: &'a Object, budget: &Budget<'_>, found: String) -> Violation<'a> {
    Violation {
        object,
        container: None,
        field: budget.field().into(),
        expected: "a budget that lets at least one pod be evicted".into(),
        found,
    }
}

pub static HPA_REQUIRED: Check = Check {
    meta: CheckMeta {
        id: "availability.hpa-required",
        title: "Workloads that serve users are scaled by a HorizontalPodAutoscaler",
        judges: "workload the profile requires an autoscaler for",
        severity: Severity::Medium,
        checklist: &["GL-APP-04", "GL-HA-01"],
        needs: INVENTORY,
        rationale: "A fixed replica count sized for a normal day saturates on a traffic peak: latency climbs, \
                    probes time out and pods are restarted just when they are most needed.",
        remediation: "Add an autoscaling/v2 HorizontalPodAutoscaler whose scaleTargetRef names the workload \
                      (apiVersion apps/v1, its kind and name), with minReplicas, maxReplicas and a CPU or memory \
                      utilization target.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for replicated in replicated_in_scope(scope) {
            let workload = replicated.workload;
            if !matches!(workload.object.kind.as_str(), "Deployment" | "StatefulSet") {
                continue;
            }
            let why = match scope.profile.hpa_required_for {
                HpaRequirement::None => return,
                HpaRequirement::All => format!(
                    "profile {} requires one for every Deployment and StatefulSet",
                    scope.profile.name
                ),
                HpaRequirement::Ingress => {
                    match scope.inventory.ingresses_routing_to(&workload).next() {
                        Some(ingress) => {
                            format!("{} routes user traffic to it", ingress.reference())
                        }
                        None => continue,
                    }
                }
            };
            evaluation.evaluated();
            if !matches!(replicated.replicas, Replicas::Autoscaled { .. }) {
                evaluation.report(Violation {
                    object: workload.object,
                    container: None,
                    field: "spec.replicas".into(),
                    expected: "a HorizontalPodAutoscaler targeting it".into(),
                    found: format!("none, and {why}"),
                });
            }
        }
    }),
};

pub static HPA_TARGET: Check = Check {
    meta: CheckMeta {
        id: "availability.hpa-target",
        title: "Every HorizontalPodAutoscaler targets a workload that exists",
        judges: "HorizontalPodAutoscaler",
        severity: Severity::High,
        checklist: &["GL-APP-04", "GL-HA-01"],
        needs: INVENTORY,
        rationale: "An autoscaler whose scaleTargetRef names a workload that does not exist (a typo, a renamed \
                    Deployment, a wrong apiVersion) scales nothing: the team believes the service absorbs peaks \
                    while it runs a fixed replica count.",
        remediation: "Make scaleTargetRef name the workload exactly: apiVersion apps/v1, its kind and its name, \
                      in the autoscaler's namespace.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        if scope.is_narrowed() {
            return; // an autoscaler of an admitted workload targets it by construction
        }
        let inventory = scope.inventory;
        for (object, spec) in autoscalers(scope) {
            let namespace = object.namespace();
            // Workloads written without a pod template still show that the
            // namespace's workloads are rendered here.
            let renders_workloads = WORKLOAD_KINDS
                .iter()
                .any(|kind| inventory.of_kind_in(kind, namespace).next().is_some());
            if !renders_workloads && inventory.workloads_in(namespace).next().is_none() {
                continue; // the target may be rendered elsewhere
            }
            evaluation.evaluated();
            let target = &spec.scale_target_ref;
            if inventory.objects().any(|o| is_target(target, o)) {
                continue;
            }
            let (field, found) = missing_target(inventory, object, target);
            evaluation.report(Violation {
                object,
                container: None,
                field: format!("spec.scaleTargetRef.{field}"),
                expected: "the apiVersion, kind and name of a workload of its namespace".into(),
                found,
            });
        }
    }),
};

pub static HPA_RANGE: Check = Check {
    meta: CheckMeta {
        id: "availability.hpa-range",
        title: "Every HorizontalPodAutoscaler keeps the profile's minimum of replicas and has room to scale",
        judges: "HorizontalPodAutoscaler",
        severity: Severity::High,
        checklist: &["GL-APP-04", "GL-HA-01"],
        needs: INVENTORY,
        rationale: "An autoscaler allowed below the profile's min_replicas (one replica, at worst) recreates \
                    the single point of failure at night, when traffic is low; one whose maxReplicas does not \
                    exceed minReplicas can never add a pod.",
        remediation: "Set minReplicas to at least the profile's min_replicas (golive.yaml; it defaults to 1) and \
                      maxReplicas above minReplicas, sized for the expected peak.",
        differences: &[
            Difference {
                peer: "polaris",
                because: "its floor is the profile's min_replicas (3 in production, from the seed documents), the \
                          floor it asks of every workload, not a fixed 2: Polaris's passing fixture keeps 2.",
            },
            Difference {
                peer: "kube-score",
                because: "its floor is the profile's min_replicas (3 in production), the floor it asks of every \
                          workload, not kube-score's default of 2: kube-score's passing fixture keeps 2.",
            },
        ],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let floor = i32::try_from(scope.profile.min_replicas).unwrap_or(i32::MAX);
        for (object, spec) in autoscalers(scope) {
            evaluation.evaluated();
            let min = spec.min_replicas.unwrap_or(1);
            let mut report = |field: &str, expected: String, found: String| {
                evaluation.report(Violation {
                    object,
                    container: None,
                    field: format!("spec.{field}"),
                    expected,
                    found,
                });
            };
            if min < floor {
                let found = match spec.min_replicas {
                    Some(min) => format!("minReplicas {min}"),
                    None => "minReplicas 1 (the default: minReplicas is not set)".into(),
                };
                report(
                    "minReplicas",
                    format!(
                        "minReplicas of at least {floor} (the profile's min_replicas, {})",
                        scope.profile.name
                    ),
                    found,
                );
            }
            if spec.max_replicas <= min {
                report(
                    "maxReplicas",
                    format!("maxReplicas above minReplicas ({min})"),
                    format!(
                        "maxReplicas {}: the autoscaler can never add a pod",
                        spec.max_replicas
                    ),
                );
            }
        }
    }),
};

pub static HPA_METRICS: Check = Check {
    meta: CheckMeta {
        id: "availability.hpa-metrics",
        title: "Every HorizontalPodAutoscaler scales on CPU or memory",
        judges: "HorizontalPodAutoscaler",
        severity: Severity::Medium,
        checklist: &["GL-APP-04", "GL-HA-01"],
        needs: INVENTORY,
        rationale: "An autoscaler driven only by custom, object or external metrics stops scaling when the \
                    metrics adapter or the exporter behind it fails, and pods saturate their CPU or memory \
                    without the autoscaler reacting.",
        remediation: "Add a Resource metric (name: cpu or memory, target type Utilization) next to the custom \
                      metrics. An autoscaler without spec.metrics scales on 80 % CPU, which \
                      availability.hpa-utilization judges against the profile's band.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (object, spec) in autoscalers(scope) {
            evaluation.evaluated();
            let metrics = spec.metrics.as_deref().unwrap_or_default();
            // autoscaling/v2 defaults an empty metrics list to 80 % CPU.
            if metrics.is_empty() || metrics.iter().any(is_cpu_or_memory) {
                continue;
            }
            let described: Vec<String> = metrics.iter().map(describe_metric).collect();
            evaluation.report(Violation {
                object,
                container: None,
                field: "spec.metrics".into(),
                expected: "a Resource or ContainerResource metric on cpu or memory".into(),
                found: format!("only {}", described.join(", ")),
            });
        }
    }),
};

/// The CPU target an autoscaler without metrics scales on (autoscaling/v2
/// and autoscaling/v1 alike).
const DEFAULT_CPU_UTILIZATION: i32 = 80;

/// The scale-down stabilization window Kubernetes applies when
/// `behavior.scaleDown.stabilizationWindowSeconds` is not set.
const DEFAULT_SCALE_DOWN_STABILIZATION: i32 = 300;

pub static HPA_UTILIZATION: Check = Check {
    meta: CheckMeta {
        id: "availability.hpa-utilization",
        title: "Every HorizontalPodAutoscaler targets a CPU and memory utilization within the profile's band",
        judges: "HorizontalPodAutoscaler",
        severity: Severity::Medium,
        checklist: &["GL-APP-04", "GL-HA-01"],
        needs: INVENTORY,
        rationale: "A utilization target is what the autoscaler keeps the pods at. Too high (90 % CPU) leaves \
                    no headroom for the load that arrives while new pods are scheduled, pulled and become \
                    ready, so latency climbs during every peak; too low (20 %) pays for idle pods and hardly \
                    ever scales down. The band is the profile's (hpa_cpu_utilization, hpa_memory_utilization; \
                    the seed targets, 70 % CPU and 80 % memory, are the top of the built-in bands). Only \
                    Utilization targets of Resource and ContainerResource metrics on cpu and memory are judged \
                    (an AverageValue is a quantity, not a share of the requests); an autoscaler without metrics \
                    scales on 80 % CPU, and an autoscaling/v1 targetCPUUtilizationPercentage is judged as the \
                    CPU target it stands for.",
        remediation: "Set target.averageUtilization of the cpu and memory metrics within the profile's band \
                      (golive.yaml: hpa_cpu_utilization, hpa_memory_utilization), e.g. 70 for cpu and 80 for \
                      memory.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (object, spec) in autoscalers(scope) {
            evaluation.evaluated();
            for target in utilization_targets(object, spec) {
                let band = match target.resource {
                    "cpu" => &scope.profile.hpa_cpu_utilization,
                    _ => &scope.profile.hpa_memory_utilization,
                };
                if band.contains(target.percent) {
                    continue;
                }
                let why = if i64::from(target.percent) > i64::from(band.highest) {
                    "too little headroom for the load that arrives while new pods start"
                } else {
                    "idle capacity, and the autoscaler hardly ever scales down"
                };
                evaluation.report(Violation {
                    object,
                    container: None,
                    field: target.field,
                    expected: format!(
                        "a {} utilization target of {band} (profile {})",
                        target.resource, scope.profile.name
                    ),
                    found: format!("{}: {why}", target.described),
                });
            }
        }
    }),
};

pub static HPA_SCALE_DOWN: Check = Check {
    meta: CheckMeta {
        id: "availability.hpa-scale-down",
        title: "Every HorizontalPodAutoscaler waits before scaling down",
        judges: "HorizontalPodAutoscaler",
        severity: Severity::Medium,
        checklist: &["GL-APP-04", "GL-HA-01"],
        needs: INVENTORY,
        rationale: "The scale-down stabilization window makes the autoscaler act on the highest recommendation \
                    of the last N seconds: with a short window (0 s) it removes pods on every dip of a bursty \
                    load and adds them again a minute later, and the next burst meets pods that are still \
                    starting. What is judged is the window in effect: behavior.scaleDown.stabilizationWindowSeconds \
                    when set, else the 300 s Kubernetes applies (an explicit value is not required, a short one \
                    is a finding). The minimum is the profile's hpa_scale_down_stabilization_seconds (300 in \
                    production; 0, the staging value, judges nothing).",
        remediation: "Leave spec.behavior.scaleDown.stabilizationWindowSeconds out (300 s) or set it to at \
                      least the profile's hpa_scale_down_stabilization_seconds; tune how fast pods go with \
                      scaleDown.policies instead.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let minimum = scope.profile.hpa_scale_down_stabilization_seconds;
        if minimum == 0 {
            return;
        }
        for (object, spec) in autoscalers(scope) {
            evaluation.evaluated();
            let window = spec
                .behavior
                .as_ref()
                .and_then(|b| b.scale_down.as_ref())
                .and_then(|rules| rules.stabilization_window_seconds);
            let seconds = window.unwrap_or(DEFAULT_SCALE_DOWN_STABILIZATION);
            if i64::from(seconds) >= i64::from(minimum) {
                continue;
            }
            evaluation.report(Violation {
                object,
                container: None,
                field: "spec.behavior.scaleDown.stabilizationWindowSeconds".into(),
                expected: format!(
                    "a scale-down stabilization window of at least {minimum} s (the profile's \
                     hpa_scale_down_stabilization_seconds, {})",
                    scope.profile.name
                ),
                found: format!(
                    "stabilizationWindowSeconds {seconds}: pods are removed on every dip of the load"
                ),
            });
        }
    }),
};

pub static HPA_OWNED_REPLICAS: Check = Check {
    meta: CheckMeta {
        id: "availability.hpa-owned-replicas",
        title: "No workload scaled by a HorizontalPodAutoscaler sets spec.replicas",
        judges: "workload scaled by a HorizontalPodAutoscaler",
        severity: Severity::High,
        checklist: &["GL-APP-04"],
        needs: INVENTORY,
        rationale: "The autoscaler owns the replica count of its target. A manifest that also sets \
                    spec.replicas resets it on every kubectl apply or helm upgrade: a deployment during a \
                    peak drops a workload scaled to 10 pods back to the written 3 until the autoscaler scales \
                    it up again, minutes later. Judged on manifests: a live object always carries spec.replicas \
                    (defaulted, then written by the autoscaler), so the bundled scenario runs on manifest \
                    targets only.",
        remediation: "Remove spec.replicas from the Deployment or StatefulSet (and from the chart's values): \
                      the autoscaler's minReplicas is the floor, and a new workload starts at one replica \
                      until the autoscaler scales it.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for replicated in replicated_in_scope(scope) {
            let Replicas::Autoscaled { hpa, .. } = replicated.replicas else {
                continue;
            };
            let object = replicated.workload.object;
            evaluation.evaluated();
            if let Some(Some(replicas)) = declared_replicas(object) {
                evaluation.report(Violation {
                    object,
                    container: None,
                    field: "spec.replicas".into(),
                    expected: format!("no spec.replicas: {} owns the replica count", hpa.reference()),
                    found: format!(
                        "replicas {replicas}: every apply resets the autoscaler's count to {replicas}"
                    ),
                });
            }
        }
    }),
};

pub static SPREAD: Check = Check {
    meta: CheckMeta {
        id: "availability.spread",
        title: "The replicas of every workload are spread across nodes or zones",
        judges: "workload with more than one replica",
        severity: Severity::Medium,
        checklist: &["GL-HA-01"],
        needs: INVENTORY,
        rationale: "The scheduler may place every replica on the same node or in the same zone: one node \
                    failure or zone outage then takes all of them down at once, and the replica count protects \
                    nothing.",
        remediation: "Add a topologySpreadConstraint (or a podAntiAffinity term) with topologyKey \
                      kubernetes.io/hostname or topology.kubernetes.io/zone whose labelSelector matches the \
                      workload's own pod labels.",
        differences: &[Difference {
            peer: "polaris",
            because: "it asks for spreading only for workloads with more than one replica: Polaris's \
                      topologySpreadConstraint failures are Deployments that leave spec.replicas unset, one \
                      pod (Kubernetes defaulting) that no constraint can spread.",
        }],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for replicated in replicated_in_scope(scope) {
            // Spreading matters as soon as the workload may run two pods.
            if replicated.replicas.most() < 2 {
                continue;
            }
            evaluation.evaluated();
            let workload = replicated.workload;
            if let Err((field, found)) = spread(scope.inventory, &workload) {
                evaluation.report(Violation {
                    object: workload.object,
                    container: None,
                    field: format!("{}{field}", workload.pod_spec_path),
                    expected: SPREAD_EXPECTED.into(),
                    found,
                });
            }
        }
    }),
};

pub static ROLLING_UPDATE: Check = Check {
    meta: CheckMeta {
        id: "availability.rolling-update",
        title: "Rollouts never stop a pod before its replacement is ready",
        judges: "Deployment, StatefulSet or DaemonSet",
        severity: Severity::High,
        checklist: &["GL-HA-01"],
        needs: INVENTORY,
        rationale: "Recreate stops every pod before starting the new version, and a rolling update with \
                    maxUnavailable above 0 (25 % by default) removes serving capacity before the new pods are \
                    ready: every deployment becomes a partial or total outage.",
        remediation: "Deployments: strategy type RollingUpdate with rollingUpdate.maxUnavailable: 0 and \
                      maxSurge: 1 (or more). StatefulSets: updateStrategy type RollingUpdate, not OnDelete.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        if !scope.profile.zero_downtime_rollouts {
            return;
        }
        for replicated in replicated_in_scope(scope) {
            let object = replicated.workload.object;
            let problem = match &object.resource {
                Resource::Deployment(deployment) => {
                    deployment_rollout(deployment, replicated.replicas.most())
                }
                Resource::StatefulSet(stateful_set) => stateful_set_rollout(stateful_set),
                _ => continue,
            };
            evaluation.evaluated();
            if let Err((field, expected, found)) = problem {
                evaluation.report(Violation {
                    object,
                    container: None,
                    field: field.into(),
                    expected: expected.into(),
                    found,
                });
            }
        }
    }),
};

/// How many pods a workload runs.
#[derive(Debug, Clone, Copy)]
enum Replicas<'a> {
    /// `spec.replicas`; `None` when unset (the API defaults it to 1).
    Declared(Option<i32>),
    /// A Pod created directly: one pod that nothing recreates.
    BarePod,
    /// Scaled by a HorizontalPodAutoscaler between `min` and `max`.
    Autoscaled { hpa: &'a Object, min: i32, max: i32 },
}

impl Replicas<'_> {
    /// The fewest pods the workload may run.
    fn fewest(&self) -> i32 {
        match self {
            Replicas::Declared(replicas) => replicas.unwrap_or(1),
            Replicas::BarePod => 1,
            Replicas::Autoscaled { min, .. } => *min,
        }
    }

    /// The most pods the workload may run.
    fn most(&self) -> i32 {
        match self {
            Replicas::Autoscaled { max, .. } => *max,
            other => other.fewest(),
        }
    }
}

impl fmt::Display for Replicas<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replicas::Declared(Some(replicas)) => write!(f, "replicas {replicas}"),
            Replicas::Declared(None) => {
                f.write_str("replicas 1 (the default: spec.replicas is not set)")
            }
            Replicas::BarePod => f.write_str("a bare Pod: 1 replica that nothing recreates"),
            Replicas::Autoscaled { hpa, min, max } => {
                write!(f, "{min} to {max} replicas, scaled by {}", hpa.reference())
            }
        }
    }
}

/// A workload with a replica count.
#[derive(Debug, Clone, Copy)]
struct Replicated<'a> {
    workload: Workload<'a>,
    replicas: Replicas<'a>,
}

/// The replica count of a workload, or `None` for kinds that have none
/// (DaemonSet, Job, CronJob, batch Pod); workloads are never controlled
/// by another object (see `Inventory::workloads`).
fn replicated<'a>(inventory: &'a Inventory, workload: Workload<'a>) -> Option<Replicated<'a>> {
    let object = workload.object;
    if matches!(object.resource, Resource::Pod(_)) && workload.is_long_running() {
        return Some(Replicated {
            workload,
            replicas: Replicas::BarePod,
        });
    }
    let declared = declared_replicas(object)?;
    let replicas = match autoscaler_of(inventory, object) {
        Some((hpa, spec)) => Replicas::Autoscaled {
            hpa,
            min: spec.min_replicas.unwrap_or(1),
            max: spec.max_replicas,
        },
        None => Replicas::Declared(declared),
    };
    Some(Replicated { workload, replicas })
}

/// The `spec.replicas` a workload's manifest writes (`Some(None)` when it
/// leaves it out), or `None` for kinds without one.
fn declared_replicas(object: &Object) -> Option<Option<i32>> {
    match &object.resource {
        Resource::Deployment(d) => Some(d.spec.as_ref()?.replicas),
        Resource::StatefulSet(s) => Some(s.spec.as_ref()?.replicas),
        Resource::ReplicaSet(r) => Some(r.spec.as_ref()?.replicas),
        Resource::Templated(t) => Some(Some(t.replicas?)),
        _ => None,
    }
}

/// The workloads in scope that have a replica count.
fn replicated_in_scope<'a>(scope: &'a Scope<'a>) -> impl Iterator<Item = Replicated<'a>> + 'a {
    scope
        .workloads()
        .filter_map(|workload| replicated(scope.inventory, workload))
}

/// Whether a `scaleTargetRef` names `object` (kind, name and API group; the
/// namespace is the autoscaler's).
fn is_target(target: &CrossVersionObjectReference, object: &Object) -> bool {
    target.kind == object.kind
        && object.metadata.name.as_deref() == Some(target.name.as_str())
        && crate::model::api_group(target.api_version.as_deref().unwrap_or_default())
            == object.api_group()
}

/// The HorizontalPodAutoscaler of the object's namespace that targets it.
fn autoscaler_of<'a>(
    inventory: &'a Inventory,
    object: &'a Object,
) -> Option<(&'a Object, &'a HorizontalPodAutoscalerSpec)> {
    inventory
        .of_kind_in("HorizontalPodAutoscaler", object.namespace())
        .filter_map(|hpa| hpa_spec(hpa).map(|spec| (hpa, spec)))
        .find(|(_, spec)| is_target(&spec.scale_target_ref, object))
}

fn hpa_spec(object: &Object) -> Option<&HorizontalPodAutoscalerSpec> {
    match &object.resource {
        Resource::HorizontalPodAutoscaler(hpa) => hpa.spec.as_ref(),
        _ => None,
    }
}

/// The autoscalers in scope; when the scenario picks workloads, only those
/// targeting one of them.
fn autoscalers<'a>(
    scope: &'a Scope<'a>,
) -> impl Iterator<Item = (&'a Object, &'a HorizontalPodAutoscalerSpec)> + 'a {
    scope
        .objects("HorizontalPodAutoscaler")
        .filter_map(|hpa| hpa_spec(hpa).map(|spec| (hpa, spec)))
        .filter(|(hpa, spec)| {
            !scope.is_narrowed()
                || scope
                    .workloads_in(hpa.namespace())
                    .any(|w| is_target(&spec.scale_target_ref, w.object))
        })
}

/// The field of a `scaleTargetRef` naming no object, and what it names.
fn missing_target(
    inventory: &Inventory,
    hpa: &Object,
    target: &CrossVersionObjectReference,
) -> (&'static str, String) {
    let namespace = hpa.namespace();
    let api_version = target.api_version.as_deref().unwrap_or_default();
    match inventory.get(&target.kind, namespace, &target.name) {
        Some(object) => (
            "apiVersion",
            format!(
                "apiVersion {api_version:?}, but {} is in API group {:?}",
                object.reference(),
                object.api_group()
            ),
        ),
        None => (
            "name",
            format!(
                "{} {}, which is not in namespace {}",
                target.kind,
                target.name,
                namespace.unwrap_or("(none)")
            ),
        ),
    }
}

/// A CPU or memory utilization target of an autoscaler.
struct UtilizationTarget {
    resource: &'static str,
    percent: i32,
    field: String,
    described: String,
}

/// The CPU and memory utilization targets an autoscaler scales on: those of
/// its Resource and ContainerResource metrics, or the default CPU target
/// when it has no metrics (pointing at the field its manifest would set).
fn utilization_targets(
    object: &Object,
    spec: &HorizontalPodAutoscalerSpec,
) -> Vec<UtilizationTarget> {
    let metrics = spec.metrics.as_deref().unwrap_or_default();
    let written_as_v1 = object.api_version == "autoscaling/v1";
    if metrics.is_empty() {
        let field = if written_as_v1 {
            "spec.targetCPUUtilizationPercentage"
        } else {
            "spec.metrics"
        };
        return vec![UtilizationTarget {
            resource: "cpu",
            percent: DEFAULT_CPU_UTILIZATION,
            field: field.into(),
            described: format!("{DEFAULT_CPU_UTILIZATION} % cpu (the default: no target is set)"),
        }];
    }
    metrics
        .iter()
        .enumerate()
        .filter_map(|(i, metric)| {
            let (kind, name, target, container) = match metric.type_.as_str() {
                "Resource" => {
                    let r = metric.resource.as_ref()?;
                    ("resource", r.name.as_str(), &r.target, None)
                }
                "ContainerResource" => {
                    let r = metric.container_resource.as_ref()?;
                    let container = Some(r.container.as_str());
                    ("containerResource", r.name.as_str(), &r.target, container)
                }
                _ => return None,
            };
            let resource = match name {
                "cpu" => "cpu",
                "memory" => "memory",
                _ => return None,
            };
            let percent = target
                .average_utilization
                .filter(|_| target.type_ == "Utilization")?;
            let field = if written_as_v1 {
                "spec.targetCPUUtilizationPercentage".to_string()
            } else {
                format!("spec.metrics[{i}].{kind}.target.averageUtilization")
            };
            let of = container
                .map(|c| format!(" of container {c}"))
                .unwrap_or_default();
            Some(UtilizationTarget {
                resource,
                percent,
                field,
                described: format!("{percent} % {resource}{of}"),
            })
        })
        .collect()
}

fn is_cpu_or_memory(metric: &MetricSpec) -> bool {
    let name = match metric.type_.as_str() {
        "Resource" => metric.resource.as_ref().map(|r| r.name.as_str()),
        "ContainerResource" => metric.container_resource.as_ref().map(|r| r.name.as_str()),
        _ => None,
    };
    matches!(name, Some("cpu" | "memory"))
}

/// `Pods metric http_requests`, `Resource metric ephemeral-storage`...
fn describe_metric(metric: &MetricSpec) -> String {
    let name = match metric.type_.as_str() {
        "Resource" => metric.resource.as_ref().map(|r| &r.name),
        "ContainerResource" => metric.container_resource.as_ref().map(|r| &r.name),
        "Pods" => metric.pods.as_ref().map(|p| &p.metric.name),
        "Object" => metric.object.as_ref().map(|o| &o.metric.name),
        "External" => metric.external.as_ref().map(|e| &e.metric.name),
        _ => None,
    };
    match name {
        Some(name) => format!("{} metric {name}", metric.type_),
        None => format!("{} metric", metric.type_),
    }
}

fn pdb_spec(object: &Object) -> Option<&PodDisruptionBudgetSpec> {
    match &object.resource {
        Resource::PodDisruptionBudget(pdb) => pdb.spec.as_ref(),
        _ => None,
    }
}

/// Whether a PodDisruptionBudget selects the pods of `workload`: same
/// namespace, and a selector matching its pod labels.
fn budget_selects(pdb: &Object, workload: &Workload<'_>) -> bool {
    pdb.namespace() == workload.object.namespace() && budget_matches(pdb, workload)
}

/// Whether a PodDisruptionBudget's selector matches the pod labels of
/// `workload`, whatever their namespaces (an empty selector matches every
/// pod, a missing or invalid one none).
fn budget_matches(pdb: &Object, workload: &Workload<'_>) -> bool {
    pdb_spec(pdb)
        .and_then(|spec| spec.selector.as_ref())
        .and_then(|selector| Selector::from_label_selector(selector).ok())
        .is_some_and(|selector| selector.matches(workload.pod_labels()))
}

/// Why no budget protects `workload`, naming budgets of other namespaces
/// whose selector would match (a budget only covers its own namespace).
fn no_budget_found(inventory: &Inventory, workload: &Workload<'_>) -> String {
    let labels = Selector::from_map(workload.pod_labels());
    let elsewhere: Vec<&Object> = inventory
        .of_kind("PodDisruptionBudget")
        .filter(|pdb| {
            pdb.namespace() != workload.object.namespace() && budget_matches(pdb, workload)
        })
        .collect();
    let namespace = workload.object.namespace().unwrap_or("(none)");
    if elsewhere.is_empty() {
        format!("no PodDisruptionBudget of namespace {namespace} selects its pods ({labels})")
    } else {
        format!(
            "none in namespace {namespace}; {} match its labels ({labels}) but protect only their own namespace",
            references(&elsewhere)
        )
    }
}

fn references(objects: &[&Object]) -> String {
    let names: Vec<String> = objects.iter().map(|o| o.reference().to_string()).collect();
    names.join(", ")
}

/// The budget of a PodDisruptionBudget: maxUnavailable when set (the
/// disruption controller reads it first), else minAvailable.
#[derive(Debug)]
enum Budget<'a> {
    MaxUnavailable(&'a IntOrString),
    MinAvailable(&'a IntOrString),
}

impl<'a> Budget<'a> {
    /// `None` when the budget sets neither (it then allows every eviction).
    fn of(spec: &'a PodDisruptionBudgetSpec) -> Option<Budget<'a>> {
        match (&spec.max_unavailable, &spec.min_available) {
            (Some(max), _) => Some(Budget::MaxUnavailable(max)),
            (None, Some(min)) => Some(Budget::MinAvailable(min)),
            (None, None) => None,
        }
    }

    fn field(&self) -> &'static str {
        match self {
            Budget::MaxUnavailable(_) => "spec.maxUnavailable",
            Budget::MinAvailable(_) => "spec.minAvailable",
        }
    }

    /// How many of `expected` pods must stay healthy, as the disruption
    /// controller computes it (percentages rounded up); `None` for a value
    /// the API rejects.
    fn desired_healthy(&self, expected: i32) -> Option<i32> {
        match self {
            Budget::MaxUnavailable(max) => Some((expected - scaled(max, expected, true)?).max(0)),
            Budget::MinAvailable(min) => scaled(min, expected, true),
        }
    }

    /// Whether the budget allows no eviction whatever pods it selects and
    /// however many: maxUnavailable 0 (or 0%), minAvailable 100%.
    fn blocks_every_eviction(&self) -> bool {
        match self {
            Budget::MaxUnavailable(IntOrString::Int(max)) => *max == 0,
            Budget::MaxUnavailable(IntOrString::String(max)) => percentage(max) == Some(0),
            Budget::MinAvailable(IntOrString::String(min)) => {
                percentage(min).is_some_and(|p| p >= 100)
            }
            Budget::MinAvailable(IntOrString::Int(_)) => false,
        }
    }

    /// Whether the controller needs the scale of the pods' controllers,
    /// which pods without a controller do not have.
    fn needs_scale(&self) -> bool {
        match self {
            Budget::MaxUnavailable(_) => true,
            Budget::MinAvailable(min) => matches!(min, IntOrString::String(_)),
        }
    }
}

impl fmt::Display for Budget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, value) = match self {
            Budget::MaxUnavailable(value) => ("maxUnavailable", value),
            Budget::MinAvailable(value) => ("minAvailable", value),
        };
        write!(f, "{name} {}", int_or_string(value))
    }
}

/// Why `budget` allows no eviction of the `selected` workloads' pods at
/// their fewest replicas (the worst case under an autoscaler), if it does.
fn drain_blocker(budget: &Budget<'_>, selected: &[Replicated<'_>]) -> Option<String> {
    if budget.needs_scale()
        && selected
            .iter()
            .any(|r| matches!(r.replicas, Replicas::BarePod))
    {
        return Some(format!(
            "{budget} covers a bare Pod, for which the disruption controller cannot compute it and allows no eviction"
        ));
    }
    let expected: i32 = selected.iter().map(|r| r.replicas.fewest()).sum();
    let healthy = budget.desired_healthy(expected)?;
    let autoscaled = selected
        .iter()
        .any(|r| matches!(r.replicas, Replicas::Autoscaled { .. }));
    let when = if autoscaled { " at their fewest" } else { "" };
    (expected > 0 && healthy >= expected).then(|| {
        format!("{budget} requires {healthy} of the {expected} pods it covers{when} to stay up")
    })
}

/// A value that is an integer or a percentage, scaled against `total` as
/// Kubernetes does (`intstr.GetScaledValueFromIntOrPercent`); `None` for a
/// string that is not a percentage (rejected by the API).
fn scaled(value: &IntOrString, total: i32, round_up: bool) -> Option<i32> {
    match value {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(text) => {
            let percent = percentage(text)?;
            let product = percent * i64::from(total);
            let value = if round_up {
                (product + 99).div_euclid(100)
            } else {
                product.div_euclid(100)
            };
            i32::try_from(value).ok()
        }
    }
}

/// The number of a percentage (`25%`), `None` for other text.
fn percentage(text: &str) -> Option<i64> {
    text.strip_suffix('%')?.parse().ok()
}

fn int_or_string(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// A term that may spread the pods: a topology spread constraint or a pod
/// anti-affinity term, with its path inside the pod spec.
struct SpreadTerm<'a> {
    path: String,
    topology_key: &'a str,
    selector: Option<&'a LabelSelector>,
    /// Keys whose values a pod anti-affinity term requires to differ from
    /// the pod's own (they exclude the pod's own replicas).
    mismatch_label_keys: &'a [String],
    /// The field that makes the term count pods of other namespaces only,
    /// if any.
    foreign_namespaces: Option<&'static str>,
}

/// Whether the workload's pod spec spreads its replicas over nodes or zones;
/// otherwise the field to point at (relative to the pod spec) and why.
fn spread(inventory: &Inventory, workload: &Workload<'_>) -> Result<(), (String, String)> {
    let mut first_problem = None;
    for term in spread_terms(inventory, workload) {
        match term_problem(&term, workload) {
            None => return Ok(()),
            Some(problem) => {
                first_problem.get_or_insert(problem);
            }
        }
    }
    Err(first_problem.unwrap_or_else(|| {
        (
            String::new(),
            "no topologySpreadConstraints and no podAntiAffinity: all replicas may land on one node"
                .into(),
        )
    }))
}

/// The topology keys (nodes, zones) over which the workload's pod spec
/// asks to spread its own replicas.
pub(super) fn spread_topology_keys<'a>(
    inventory: &Inventory,
    workload: &Workload<'a>,
) -> std::collections::BTreeSet<&'a str> {
    spread_terms(inventory, workload)
        .into_iter()
        .filter(|term| term_problem(term, workload).is_none())
        .map(|term| term.topology_key)
        .collect()
}

/// The topology spread constraints and pod anti-affinity terms of a pod spec.
fn spread_terms<'a>(inventory: &Inventory, workload: &Workload<'a>) -> Vec<SpreadTerm<'a>> {
    let spec = workload.pod_spec;
    let constraints = spec
        .topology_spread_constraints
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| SpreadTerm {
            path: format!(".topologySpreadConstraints[{i}]"),
            topology_key: &c.topology_key,
            selector: c.label_selector.as_ref(),
            mismatch_label_keys: &[],
            foreign_namespaces: None,
        });
    let anti = spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref());
    let required = anti
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, term)| {
            let path = format!(
                ".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[{i}]"
            );
            (path, term)
        });
    let preferred = anti
        .and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, weighted)| {
            let path = format!(
                ".affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}].podAffinityTerm"
            );
            (path, &weighted.pod_affinity_term)
        });
    let affinity_terms = required.chain(preferred).map(|(path, term)| SpreadTerm {
        path,
        topology_key: &term.topology_key,
        selector: term.label_selector.as_ref(),
        mismatch_label_keys: term.mismatch_label_keys.as_deref().unwrap_or_default(),
        foreign_namespaces: foreign_namespaces(inventory, term, workload.object.namespace()),
    });
    constraints.chain(affinity_terms).collect()
}

/// The field (`namespaces` or `namespaceSelector`) that keeps a pod
/// affinity term from counting pods of `namespace`, if one does. The term
/// counts the union of both, and the pod's own namespace when both are
/// absent. What cannot be known from manifests (no namespace on the object,
/// no Namespace object to read labels from) counts as the own namespace.
fn foreign_namespaces(
    inventory: &Inventory,
    term: &PodAffinityTerm,
    namespace: Option<&str>,
) -> Option<&'static str> {
    let namespace = namespace?;
    let listed = term.namespaces.as_deref().unwrap_or_default();
    if listed.iter().any(|n| n == namespace) {
        return None;
    }
    let Some(selector) = &term.namespace_selector else {
        return (!listed.is_empty()).then_some("namespaces");
    };
    let object = inventory.get("Namespace", None, namespace);
    let mut labels = object.map(|o| o.labels().clone()).unwrap_or_default();
    labels.insert("kubernetes.io/metadata.name".into(), namespace.into());
    let selected = Selector::from_label_selector(selector)
        .is_ok_and(|s| s.matches(&labels) || object.is_none());
    (!selected).then_some("namespaceSelector")
}

/// Why a term does not spread the workload's own pods (field relative to
/// the pod spec, reason), or `None` when it does.
fn term_problem(term: &SpreadTerm<'_>, workload: &Workload<'_>) -> Option<(String, String)> {
    let path = &term.path;
    let name = path.trim_start_matches('.');
    let labels = workload.pod_labels();
    if !SPREAD_TOPOLOGY_KEYS.contains(&term.topology_key) {
        return Some((
            format!("{path}.topologyKey"),
            format!(
                "{name} uses topologyKey {}, which is neither nodes nor zones",
                term.topology_key
            ),
        ));
    }
    let Some(selector) = term.selector else {
        return Some((
            path.clone(),
            format!("{name} has no labelSelector, so it counts no pod"),
        ));
    };
    let found = match Selector::from_label_selector(selector) {
        Ok(selector) if selector.matches(labels) => None,
        Ok(selector) => Some(format!(
            "{name} selects {selector}, not this workload's pods ({})",
            Selector::from_map(labels)
        )),
        Err(error) => Some(format!("{name} has an invalid labelSelector ({error})")),
    };
    if let Some(found) = found {
        return Some((format!("{path}.labelSelector"), found));
    }
    if let Some(field) = term.foreign_namespaces {
        return Some((
            format!("{path}.{field}"),
            format!("{name} counts only pods of other namespaces"),
        ));
    }
    term.mismatch_label_keys
        .iter()
        .find(|key| labels.contains_key(*key))
        .map(|key| {
            (
                format!("{path}.mismatchLabelKeys"),
                format!("{name} excludes the workload's own pods (mismatchLabelKeys {key})"),
            )
        })
}

/// A Deployment's update strategy, judged for zero downtime with `replicas`
/// pods (the most it may run: percentages are resolved against it). The
/// error is (field, expected, found).
fn deployment_rollout(
    deployment: &Deployment,
    replicas: i32,
) -> Result<(), (&'static str, &'static str, String)> {
    let strategy = deployment.spec.as_ref().and_then(|s| s.strategy.as_ref());
    let kind = strategy
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate");
    if kind != "RollingUpdate" {
        return Err((
            "spec.strategy.type",
            "RollingUpdate",
            format!("{kind}: every pod is stopped before the new version starts"),
        ));
    }
    if replicas == 0 {
        return Ok(()); // scaled to zero: a rollout stops nothing
    }
    let rolling = strategy.and_then(|s| s.rolling_update.as_ref());
    let default = IntOrString::String("25%".into());
    let describe = |value: Option<&IntOrString>| match value {
        Some(value) => int_or_string(value),
        None => "25% (the default)".into(),
    };
    let max_unavailable = rolling.and_then(|r| r.max_unavailable.as_ref());
    let max_surge = rolling.and_then(|r| r.max_surge.as_ref());
    // The controller rounds maxUnavailable down and maxSurge up.
    let (Some(unavailable), Some(surge)) = (
        scaled(max_unavailable.unwrap_or(&default), replicas, false),
        scaled(max_surge.unwrap_or(&default), replicas, true),
    ) else {
        return Ok(()); // not a number or a percentage: the API rejects it
    };
    if unavailable > 0 {
        return Err((
            "spec.strategy.rollingUpdate.maxUnavailable",
            "maxUnavailable 0",
            format!(
                "maxUnavailable {}: {unavailable} of {replicas} pods may stop before their replacements are ready",
                describe(max_unavailable)
            ),
        ));
    }
    if surge == 0 {
        return Err((
            "spec.strategy.rollingUpdate.maxSurge",
            "maxSurge of at least 1 with maxUnavailable 0",
            format!(
                "maxSurge {} with maxUnavailable {}: the API rejects both at 0, and when they round to 0 \
                 the controller stops a pod before starting its replacement",
                describe(max_surge),
                describe(max_unavailable)
            ),
        ));
    }
    Ok(())
}

/// A StatefulSet's update strategy: RollingUpdate (the default), not
/// OnDelete. The error is (field, expected, found).
fn stateful_set_rollout(
    stateful_set: &StatefulSet,
) -> Result<(), (&'static str, &'static str, String)> {
    let kind = stateful_set
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("RollingUpdate");
    if kind == "RollingUpdate" {
        return Ok(());
    }
    Err((
        "spec.updateStrategy.type",
        "RollingUpdate",
        format!("{kind}: pods keep the old version until someone deletes them by hand"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::WorkloadFilter;
    use crate::config::Config;
    use crate::evidence::Finding;
    use crate::source::manifests::{Loaded, load_bytes};

    /// The findings of `check` on a YAML stream, under a built-in profile.
    fn findings(check: &Check, yaml: &str, profile: &str) -> Vec<Finding> {
        let mut loaded = Loaded::default();
        load_bytes("t.yaml", yaml.as_bytes(), &mut loaded);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let inventory = Inventory::new(loaded.objects);
        let config = Config::default();
        let profile = config.profile(Some(profile)).expect("a built-in profile");
        let filter = WorkloadFilter::default();
        check
            .run(&Scope::new(&inventory, profile, &filter))
            .expect("a rule over the inventory")
            .findings
    }

    fn deployment(replicas: u32, pod_spec_extra: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: production\n\
             spec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: api\n  template:\n    \
             metadata:\n      labels:\n        app: api\n    spec:\n{pod_spec_extra}      containers:\n        \
             - name: api\n          image: api:1\n"
        )
    }

    #[test]
    fn the_replica_threshold_is_the_profiles() {
        let two = deployment(2, "");
        assert_eq!(findings(&REPLICAS, &two, "production").len(), 1);
        assert!(findings(&REPLICAS, &two, "staging").is_empty());
        let one = deployment(1, "");
        assert_eq!(findings(&REPLICAS, &one, "staging").len(), 1);
    }

    #[test]
    fn rollouts_are_judged_only_when_the_profile_asks() {
        let recreate = deployment(3, "").replace(
            "  selector:",
            "  strategy:\n    type: Recreate\n  selector:",
        );
        assert_eq!(findings(&ROLLING_UPDATE, &recreate, "production").len(), 1);
        assert!(findings(&ROLLING_UPDATE, &recreate, "staging").is_empty());
    }

    #[test]
    fn percentages_scale_as_kubernetes_rounds_them() {
        let percent = |s: &str| IntOrString::String(s.into());
        assert_eq!(scaled(&percent("25%"), 3, false), Some(0));
        assert_eq!(scaled(&percent("25%"), 3, true), Some(1));
        assert_eq!(scaled(&percent("25%"), 4, false), Some(1));
        assert_eq!(scaled(&percent("10%"), 3, true), Some(1));
        assert_eq!(scaled(&percent("0%"), 10, true), Some(0));
        assert_eq!(scaled(&percent("100%"), 7, false), Some(7));
        assert_eq!(scaled(&IntOrString::Int(2), 10, false), Some(2));
        assert_eq!(scaled(&percent("25"), 4, true), None);
        assert_eq!(scaled(&percent("a%"), 4, true), None);
    }

    #[test]
    fn budgets_keep_pods_as_the_disruption_controller_counts_them() {
        let (zero, ten_percent) = (IntOrString::Int(0), IntOrString::String("10%".into()));
        let (three, ninety) = (IntOrString::Int(3), IntOrString::String("90%".into()));
        assert_eq!(Budget::MaxUnavailable(&zero).desired_healthy(3), Some(3));
        assert_eq!(
            Budget::MaxUnavailable(&ten_percent).desired_healthy(3),
            Some(2)
        );
        assert_eq!(Budget::MinAvailable(&three).desired_healthy(5), Some(3));
        assert_eq!(Budget::MinAvailable(&ninety).desired_healthy(3), Some(3));
        assert_eq!(Budget::MinAvailable(&ninety).desired_healthy(20), Some(18));
        assert!(Budget::MaxUnavailable(&three).needs_scale());
        assert!(Budget::MinAvailable(&ninety).needs_scale());
        assert!(!Budget::MinAvailable(&three).needs_scale());
    }

    #[test]
    fn some_budgets_block_every_eviction_whatever_they_select() {
        let (int, text) = (IntOrString::Int, |s: &str| IntOrString::String(s.into()));
        let blocks = |budget: Budget<'_>| budget.blocks_every_eviction();
        assert!(blocks(Budget::MaxUnavailable(&int(0))));
        assert!(blocks(Budget::MaxUnavailable(&text("0%"))));
        assert!(blocks(Budget::MinAvailable(&text("100%"))));
        assert!(!blocks(Budget::MaxUnavailable(&int(1))));
        assert!(!blocks(Budget::MaxUnavailable(&text("1%"))));
        assert!(!blocks(Budget::MinAvailable(&text("99%"))));
        assert!(
            !blocks(Budget::MinAvailable(&int(100))),
            "depends on the replicas"
        );
        assert!(!blocks(Budget::MaxUnavailable(&text("zero"))));
    }

    #[test]
    fn a_budget_alone_is_judged_only_when_it_blocks_whatever_it_selects() {
        let pdb = |budget: &str| {
            format!(
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: api\n  \
                 namespace: production\nspec:\n  {budget}\n  selector:\n    matchLabels:\n      app: api\n"
            )
        };
        for blocking in [
            "maxUnavailable: 0",
            "maxUnavailable: \"0%\"",
            "minAvailable: 100%",
        ] {
            let found = findings(&PDB_DRAIN, &pdb(blocking), "production");
            assert_eq!(found.len(), 1, "{blocking}");
            assert!(
                found[0].found.contains("whatever the pods it selects"),
                "{}",
                found[0].found
            );
        }
        for depends in ["maxUnavailable: 1", "minAvailable: 2", "minAvailable: 50%"] {
            assert!(
                findings(&PDB_DRAIN, &pdb(depends), "production").is_empty(),
                "{depends}"
            );
        }
    }

    fn anti_affinity(term_extra: &str) -> String {
        format!(
            "      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            \
             - topologyKey: kubernetes.io/hostname\n              labelSelector:\n                matchLabels:\n                  \
             app: api\n{term_extra}"
        )
    }

    #[test]
    fn anti_affinity_counts_the_namespaces_it_names_or_selects() {
        let spread = |term_extra: &str, namespace_object: &str| {
            let yaml = format!(
                "{}{namespace_object}",
                deployment(3, &anti_affinity(term_extra))
            );
            findings(&SPREAD, &yaml, "production").len()
        };
        let namespace = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: production\n  labels:\n    team: shop\n";
        assert_eq!(spread("", ""), 0, "no namespaces: the pod's own");
        assert_eq!(spread("              namespaces: [production]\n", ""), 0);
        assert_eq!(spread("              namespaces: [monitoring]\n", ""), 1);
        let by_name = "              namespaceSelector:\n                matchLabels:\n                  \
                       kubernetes.io/metadata.name: production\n";
        assert_eq!(spread(by_name, ""), 0, "the automatic name label");
        let by_team = |team: &str| {
            format!(
                "              namespaces: [monitoring]\n              namespaceSelector:\n                \
                 matchLabels:\n                  team: {team}\n"
            )
        };
        assert_eq!(
            spread(&by_team("shop"), namespace),
            0,
            "namespaces ∪ selector"
        );
        assert_eq!(spread(&by_team("data"), namespace), 1);
        assert_eq!(
            spread(&by_team("data"), ""),
            0,
            "unknown namespace labels: not a finding"
        );
        assert_eq!(spread("              namespaceSelector: {}\n", ""), 0);
    }

    #[test]
    fn mismatch_label_keys_exclude_the_workloads_own_pods() {
        let term = "              mismatchLabelKeys: [app]\n";
        let yaml = deployment(3, &anti_affinity(term));
        let found = findings(&SPREAD, &yaml, "production");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].field.ends_with(".mismatchLabelKeys"),
            "{}",
            found[0].field
        );
    }

    fn autoscaler(spec_extra: &str) -> String {
        format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: api\n  \
             namespace: production\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    \
             name: api\n  minReplicas: 3\n  maxReplicas: 10\n{spec_extra}"
        )
    }

    #[test]
    fn an_autoscaler_without_metrics_scales_on_80_percent_cpu() {
        let bare = autoscaler("");
        assert!(findings(&HPA_METRICS, &bare, "production").is_empty());
        let found = findings(&HPA_UTILIZATION, &bare, "production");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].found.starts_with("80 % cpu (the default"),
            "{}",
            found[0].found
        );
        assert_eq!(found[0].field, "spec.metrics");
    }

    #[test]
    fn the_scale_down_window_in_effect_is_judged_only_where_the_profile_asks() {
        let short =
            autoscaler("  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 30\n");
        assert_eq!(findings(&HPA_SCALE_DOWN, &short, "production").len(), 1);
        assert!(findings(&HPA_SCALE_DOWN, &short, "staging").is_empty());
        let defaulted =
            autoscaler("  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: 0\n");
        assert!(findings(&HPA_SCALE_DOWN, &defaulted, "production").is_empty());
    }

    #[test]
    fn a_single_replica_needs_no_spread_nor_budget() {
        let one = deployment(1, "");
        assert!(findings(&SPREAD, &one, "production").is_empty());
        assert!(findings(&PDB, &one, "production").is_empty());
    }
}
