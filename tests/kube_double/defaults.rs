//! What the API server fills in on create (the `SetDefaults_*` functions and
//! the admission plugins every cluster runs), so that objects read back
//! look like `kubectl get -o yaml` shows them. Documents are parsed into
//! their k8s-openapi type first, which prunes unknown fields as the real
//! server does.
//!
//! Defaulted here, when absent:
//! - pod templates and pods: `restartPolicy: Always`,
//!   `terminationGracePeriodSeconds: 30`, `dnsPolicy: ClusterFirst`,
//!   `schedulerName: default-scheduler`, `securityContext: {}`;
//!   volumes' `defaultMode: 420` (configMap, secret, downwardAPI, projected);
//! - containers (and init containers): `terminationMessagePath:
//!   /dev/termination-log`, `terminationMessagePolicy: File`,
//!   `imagePullPolicy` (`Always` for `:latest` or no tag, else
//!   `IfNotPresent`), `resources: {}`, ports' `protocol: TCP`, probes'
//!   `timeoutSeconds: 1`, `periodSeconds: 10`, `successThreshold: 1`,
//!   `failureThreshold: 3`, `httpGet.scheme: HTTP`;
//! - pods only (admission): `enableServiceLinks: true`,
//!   `serviceAccountName`/`serviceAccount: default`, `priority: 0`,
//!   `preemptionPolicy: PreemptLowerPriority`, the two NoExecute
//!   tolerations of 300 s, requests copied from limits, and the
//!   `kube-api-access-xxxxx` token volume and mounts unless automounting is
//!   off on the pod or its ServiceAccount (see [`pod_admission`]);
//! - Deployment: `replicas: 1`, `strategy: RollingUpdate` 25%/25%,
//!   `revisionHistoryLimit: 10`, `progressDeadlineSeconds: 600`;
//! - StatefulSet: `replicas: 1`, `podManagementPolicy: OrderedReady`,
//!   `updateStrategy: RollingUpdate` with `partition: 0`,
//!   `revisionHistoryLimit: 10`, `persistentVolumeClaimRetentionPolicy`
//!   Retain/Retain, claim templates' `volumeMode: Filesystem`;
//! - DaemonSet: `updateStrategy: RollingUpdate` maxUnavailable 1 maxSurge 0,
//!   `revisionHistoryLimit: 10`; ReplicaSet: `replicas: 1`;
//! - Job: `parallelism: 1`, `completions: 1`, `backoffLimit: 6`,
//!   `completionMode: NonIndexed`, `suspend: false`,
//!   `podReplacementPolicy: TerminatingOrFailed` (its selector and labels
//!   need the UID: `admission::prepare_for_create`);
//! - CronJob: `concurrencyPolicy: Allow`, `suspend: false`,
//!   `successfulJobsHistoryLimit: 3`, `failedJobsHistoryLimit: 1`;
//! - Service: `type: ClusterIP`, `sessionAffinity: None`,
//!   `internalTrafficPolicy: Cluster`, ports' `protocol: TCP` and
//!   `targetPort` = `port` (the cluster IP is allocated in
//!   `admission::prepare_for_create`);
//! - Namespace: `spec.finalizers: [kubernetes]`, the
//!   `kubernetes.io/metadata.name` label; Secret: `type: Opaque`,
//!   `stringData` moved into `data`; PersistentVolumeClaim:
//!   `volumeMode: Filesystem`; NetworkPolicy: `policyTypes` from the rules,
//!   ports' `protocol: TCP`; HorizontalPodAutoscaler (v2): `minReplicas: 1`,
//!   a CPU 80% metric when none, and the scale-up/scale-down rules'
//!   missing fields when `behavior` is given.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetUpdateStrategy, Deployment, DeploymentStrategy, ReplicaSet,
    RollingUpdateDaemonSet, RollingUpdateDeployment, RollingUpdateStatefulSetStrategy, StatefulSet,
    StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::autoscaling::v2::{
    HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    Container, Namespace, NamespaceSpec, PersistentVolumeClaim, Pod, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, Secret, Service, Toleration,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::resources::ResourceType;

/// Parses `object` as `K` (pruning unknown fields), applies `f`, and
/// serializes it back.
pub fn typed<K: Serialize + DeserializeOwned>(
    object: Value,
    f: impl FnOnce(&mut K),
) -> Result<Value, String> {
    let mut typed: K = serde_json::from_value(object).map_err(|e| e.to_string())?;
    f(&mut typed);
    Ok(serde_json::to_value(&typed).expect("a k8s-openapi object serializes"))
}

/// Applies the defaults of `resource` to a new object. Custom resources
/// are kept as they are.
pub fn apply(resource: &ResourceType, object: Value) -> Result<Value, String> {
    if resource.custom {
        return Ok(object);
    }
    match resource.kind.as_str() {
        "Deployment" => typed(object, deployment),
        "StatefulSet" => typed(object, stateful_set),
        "DaemonSet" => typed(object, daemon_set),
        "ReplicaSet" => typed(object, |rs: &mut ReplicaSet| {
            if let Some(spec) = rs.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                if let Some(template) = spec.template.as_mut() {
                    pod_template(template);
                }
            }
        }),
        "Job" => typed(object, job),
        "CronJob" => typed(object, cron_job),
        "Pod" => typed(object, |pod: &mut Pod| {
            if let Some(spec) = pod.spec.as_mut() {
                pod_spec(spec);
            }
        }),
        "Service" => typed(object, service),
        "Namespace" => typed(object, namespace),
        "Secret" => typed(object, secret),
        "PersistentVolumeClaim" => typed(object, |pvc: &mut PersistentVolumeClaim| {
            if let Some(spec) = pvc.spec.as_mut() {
                spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
            }
        }),
        "NetworkPolicy" => typed(object, network_policy),
        "HorizontalPodAutoscaler" => typed(object, horizontal_pod_autoscaler),
        "ConfigMap" => typed::<k8s_openapi::api::core::v1::ConfigMap>(object, |_| {}),
        "ServiceAccount" => typed::<k8s_openapi::api::core::v1::ServiceAccount>(object, |_| {}),
        "Ingress" => typed::<k8s_openapi::api::networking::v1::Ingress>(object, |_| {}),
        "PodDisruptionBudget" => {
            typed::<k8s_openapi::api::policy::v1::PodDisruptionBudget>(object, |_| {})
        }
        "Node" => typed::<k8s_openapi::api::core::v1::Node>(object, |_| {}),
        "Event" => typed::<k8s_openapi::api::core::v1::Event>(object, |_| {}),
        "CustomResourceDefinition" => typed::<
            k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        >(object, |_| {}),
        _ => Ok(object),
    }
}

fn percent(p: &str) -> IntOrString {
    IntOrString::String(p.into())
}

fn deployment(d: &mut Deployment) {
    let Some(spec) = d.spec.as_mut() else { return };
    spec.replicas.get_or_insert(1);
    spec.revision_history_limit.get_or_insert(10);
    spec.progress_deadline_seconds.get_or_insert(600);
    let strategy = spec
        .strategy
        .get_or_insert_with(DeploymentStrategy::default);
    let kind = strategy.type_.get_or_insert_with(|| "RollingUpdate".into());
    if kind == "RollingUpdate" {
        let rolling = strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateDeployment::default);
        rolling.max_surge.get_or_insert_with(|| percent("25%"));
        rolling
            .max_unavailable
            .get_or_insert_with(|| percent("25%"));
    }
    pod_template(&mut spec.template);
}

fn stateful_set(s: &mut StatefulSet) {
    let Some(spec) = s.spec.as_mut() else { return };
    spec.replicas.get_or_insert(1);
    spec.revision_history_limit.get_or_insert(10);
    spec.pod_management_policy
        .get_or_insert_with(|| "OrderedReady".into());
    let strategy = spec
        .update_strategy
        .get_or_insert_with(StatefulSetUpdateStrategy::default);
    let kind = strategy.type_.get_or_insert_with(|| "RollingUpdate".into());
    if kind == "RollingUpdate" {
        strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateStatefulSetStrategy::default)
            .partition
            .get_or_insert(0);
    }
    let retention = spec
        .persistent_volume_claim_retention_policy
        .get_or_insert_with(StatefulSetPersistentVolumeClaimRetentionPolicy::default);
    retention
        .when_deleted
        .get_or_insert_with(|| "Retain".into());
    retention.when_scaled.get_or_insert_with(|| "Retain".into());
    for claim in spec.volume_claim_templates.iter_mut().flatten() {
        if let Some(claim_spec) = claim.spec.as_mut() {
            claim_spec
                .volume_mode
                .get_or_insert_with(|| "Filesystem".into());
        }
        claim
            .status
            .get_or_insert_with(Default::default)
            .phase
            .get_or_insert_with(|| "Pending".into());
    }
    pod_template(&mut spec.template);
}

fn daemon_set(d: &mut DaemonSet) {
    let Some(spec) = d.spec.as_mut() else { return };
    spec.revision_history_limit.get_or_insert(10);
    let strategy = spec
        .update_strategy
        .get_or_insert_with(DaemonSetUpdateStrategy::default);
    let kind = strategy.type_.get_or_insert_with(|| "RollingUpdate".into());
    if kind == "RollingUpdate" {
        let rolling = strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateDaemonSet::default);
        rolling.max_unavailable.get_or_insert(IntOrString::Int(1));
        rolling.max_surge.get_or_insert(IntOrString::Int(0));
    }
    pod_template(&mut spec.template);
}

fn job(j: &mut Job) {
    let Some(spec) = j.spec.as_mut() else { return };
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
    }
    spec.parallelism.get_or_insert(1);
    spec.backoff_limit.get_or_insert(6);
    spec.completion_mode
        .get_or_insert_with(|| "NonIndexed".into());
    spec.suspend.get_or_insert(false);
    spec.pod_replacement_policy
        .get_or_insert_with(|| "TerminatingOrFailed".into());
    pod_template(&mut spec.template);
}

fn cron_job(c: &mut CronJob) {
    let Some(spec) = c.spec.as_mut() else { return };
    spec.concurrency_policy
        .get_or_insert_with(|| "Allow".into());
    spec.suspend.get_or_insert(false);
    spec.successful_jobs_history_limit.get_or_insert(3);
    spec.failed_jobs_history_limit.get_or_insert(1);
    if let Some(job_spec) = spec.job_template.spec.as_mut() {
        pod_template(&mut job_spec.template);
    }
}

fn service(s: &mut Service) {
    let Some(spec) = s.spec.as_mut() else { return };
    let kind = spec.type_.get_or_insert_with(|| "ClusterIP".into()).clone();
    spec.session_affinity.get_or_insert_with(|| "None".into());
    if kind != "ExternalName" {
        spec.internal_traffic_policy
            .get_or_insert_with(|| "Cluster".into());
    }
    if kind == "NodePort" || kind == "LoadBalancer" {
        spec.external_traffic_policy
            .get_or_insert_with(|| "Cluster".into());
    }
    if kind == "LoadBalancer" {
        spec.allocate_load_balancer_node_ports.get_or_insert(true);
    }
    for port in spec.ports.iter_mut().flatten() {
        port.protocol.get_or_insert_with(|| "TCP".into());
        if port.target_port.is_none() {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
    s.status
        .get_or_insert_with(|| k8s_openapi::api::core::v1::ServiceStatus {
            load_balancer: Some(Default::default()),
            ..Default::default()
        });
}

fn namespace(n: &mut Namespace) {
    let name = n.metadata.name.clone().unwrap_or_default();
    n.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert("kubernetes.io/metadata.name".into(), name);
    n.spec
        .get_or_insert_with(NamespaceSpec::default)
        .finalizers
        .get_or_insert_with(|| vec!["kubernetes".into()]);
    n.status
        .get_or_insert_with(Default::default)
        .phase
        .get_or_insert_with(|| "Active".into());
}

fn secret(s: &mut Secret) {
    s.type_.get_or_insert_with(|| "Opaque".into());
    if let Some(string_data) = s.string_data.take() {
        let data = s.data.get_or_insert_with(BTreeMap::new);
        for (key, value) in string_data {
            data.insert(key, ByteString(value.into_bytes()));
        }
    }
}

fn network_policy(n: &mut NetworkPolicy) {
    let Some(spec) = n.spec.as_mut() else { return };
    for rule in spec.ingress.iter_mut().flatten() {
        for port in rule.ports.iter_mut().flatten() {
            port.protocol.get_or_insert_with(|| "TCP".into());
        }
    }
    for rule in spec.egress.iter_mut().flatten() {
        for port in rule.ports.iter_mut().flatten() {
            port.protocol.get_or_insert_with(|| "TCP".into());
        }
    }
    if spec.policy_types.as_ref().is_none_or(|t| t.is_empty()) {
        // `SetDefaults_NetworkPolicy`: Egress only for a non-empty section.
        let mut types = vec!["Ingress".to_string()];
        if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
            types.push("Egress".into());
        }
        spec.policy_types = Some(types);
    }
}

fn scaling_rules(rules: &mut HPAScalingRules, up: bool) {
    rules.select_policy.get_or_insert_with(|| "Max".into());
    rules
        .stabilization_window_seconds
        .get_or_insert(if up { 0 } else { 300 });
    if rules.policies.is_none() {
        let policy = |type_: &str, value: i32| HPAScalingPolicy {
            type_: type_.into(),
            value,
            period_seconds: 15,
        };
        rules.policies = Some(if up {
            vec![policy("Pods", 4), policy("Percent", 100)]
        } else {
            vec![policy("Percent", 100)]
        });
    }
}

fn horizontal_pod_autoscaler(h: &mut HorizontalPodAutoscaler) {
    let Some(spec) = h.spec.as_mut() else { return };
    spec.min_replicas.get_or_insert(1);
    if spec.metrics.as_ref().is_none_or(|m| m.is_empty()) {
        spec.metrics = Some(vec![MetricSpec {
            type_: "Resource".into(),
            resource: Some(ResourceMetricSource {
                name: "cpu".into(),
                target: MetricTarget {
                    type_: "Utilization".into(),
                    average_utilization: Some(80),
                    ..Default::default()
                },
            }),
            ..Default::default()
        }]);
    }
    if let Some(behavior) = spec.behavior.as_mut() {
        scaling_rules(behavior.scale_up.get_or_insert_with(Default::default), true);
        scaling_rules(
            behavior.scale_down.get_or_insert_with(Default::default),
            false,
        );
    }
}

pub fn pod_template(template: &mut PodTemplateSpec) {
    if let Some(spec) = template.spec.as_mut() {
        pod_spec(spec);
    }
}

/// `SetDefaults_PodSpec` and the container defaults.
pub fn pod_spec(spec: &mut PodSpec) {
    spec.restart_policy.get_or_insert_with(|| "Always".into());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.dns_policy.get_or_insert_with(|| "ClusterFirst".into());
    spec.scheduler_name
        .get_or_insert_with(|| "default-scheduler".into());
    spec.security_context
        .get_or_insert_with(PodSecurityContext::default);
    for container in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        self::container(container);
    }
    for volume in spec.volumes.iter_mut().flatten() {
        if let Some(source) = volume.config_map.as_mut() {
            source.default_mode.get_or_insert(420);
        }
        if let Some(source) = volume.secret.as_mut() {
            source.default_mode.get_or_insert(420);
        }
        if let Some(source) = volume.downward_api.as_mut() {
            source.default_mode.get_or_insert(420);
        }
        if let Some(source) = volume.projected.as_mut() {
            source.default_mode.get_or_insert(420);
        }
    }
}

/// `Always` for `:latest` or an untagged image, else `IfNotPresent`
/// (a digest counts as a tag).
pub fn image_pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

fn container(c: &mut Container) {
    c.termination_message_path
        .get_or_insert_with(|| "/dev/termination-log".into());
    c.termination_message_policy
        .get_or_insert_with(|| "File".into());
    if c.image_pull_policy.is_none() {
        let policy = image_pull_policy(c.image.as_deref().unwrap_or_default());
        c.image_pull_policy = Some(policy.into());
    }
    c.resources
        .get_or_insert_with(ResourceRequirements::default);
    for port in c.ports.iter_mut().flatten() {
        port.protocol.get_or_insert_with(|| "TCP".into());
    }
    for probe in [
        c.liveness_probe.as_mut(),
        c.readiness_probe.as_mut(),
        c.startup_probe.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        self::probe(probe);
    }
    if let Some(lifecycle) = c.lifecycle.as_mut() {
        for handler in [lifecycle.post_start.as_mut(), lifecycle.pre_stop.as_mut()]
            .into_iter()
            .flatten()
        {
            if let Some(http) = handler.http_get.as_mut() {
                http.scheme.get_or_insert_with(|| "HTTP".into());
            }
        }
    }
}

fn probe(p: &mut Probe) {
    p.timeout_seconds.get_or_insert(1);
    p.period_seconds.get_or_insert(10);
    p.success_threshold.get_or_insert(1);
    p.failure_threshold.get_or_insert(3);
    if let Some(http) = p.http_get.as_mut() {
        http.scheme.get_or_insert_with(|| "HTTP".into());
    }
}

/// What admission adds to a *pod* (not to templates): the ServiceAccount
/// plugin's `serviceAccountName` and token volume, `DefaultTolerationSeconds`,
/// `Priority`, and `SetDefaults_Pod` (`enableServiceLinks`, requests from
/// limits). `automount` is whether the token is mounted (pod field first,
/// then the ServiceAccount's); `suffix` names the token volume.
pub fn pod_admission(pod: &mut Pod, service_account_automount: Option<bool>, suffix: &str) {
    let Some(spec) = pod.spec.as_mut() else {
        return;
    };
    pod_spec(spec);
    spec.enable_service_links.get_or_insert(true);
    let account = spec
        .service_account_name
        .get_or_insert_with(|| "default".into())
        .clone();
    spec.service_account = Some(account);
    spec.priority.get_or_insert(0);
    spec.preemption_policy
        .get_or_insert_with(|| "PreemptLowerPriority".into());
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        if !tolerations.iter().any(|t| t.key.as_deref() == Some(key)) {
            tolerations.push(Toleration {
                key: Some(key.into()),
                operator: Some("Exists".into()),
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(300),
                ..Default::default()
            });
        }
    }
    for container in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        if let Some(resources) = container.resources.as_mut()
            && let Some(limits) = resources.limits.clone()
        {
            let requests = resources.requests.get_or_insert_with(BTreeMap::new);
            for (name, quantity) in limits {
                requests.entry(name).or_insert(quantity);
            }
        }
    }
    let automount = spec
        .automount_service_account_token
        .or(service_account_automount)
        .unwrap_or(true);
    if automount {
        add_token_volume(spec, suffix);
    }
}

/// The projected `kube-api-access-xxxxx` volume and its mounts.
fn add_token_volume(spec: &mut PodSpec, suffix: &str) {
    let name = format!("kube-api-access-{suffix}");
    let volume: k8s_openapi::api::core::v1::Volume = serde_json::from_value(serde_json::json!({
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
            ]
        }
    }))
    .expect("a valid volume");
    spec.volumes.get_or_insert_with(Vec::new).push(volume);
    for container in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        container.volume_mounts.get_or_insert_with(Vec::new).push(
            k8s_openapi::api::core::v1::VolumeMount {
                name: name.clone(),
                mount_path: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
                read_only: Some(true),
                ..Default::default()
            },
        );
    }
}
