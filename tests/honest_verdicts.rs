//! Nothing passes unseen: objects at removed API versions, autoscaling/v1
//! autoscalers, custom workloads (Argo Rollout), ephemeral containers and
//! targets without workloads are judged, with findings naming file:line;
//! items with nothing to judge are `not_applicable`, never passed; and each
//! manifest key of a golive.yaml profile changes a verdict when it changes.

mod common;

use common::{active_findings, location_of, path_str, run, scenarios, temp_tree};
use serde_json::Value;

const UNSEEN: &str = "manifests:fixtures/unseen";

/// The active findings of one check as `object container location`.
fn findings_of(summary: &Value, check: &str) -> Vec<String> {
    active_findings(summary)
        .into_iter()
        .filter(|f| f["check"] == check)
        .map(|f| {
            format!(
                "{}/{}/{} {} {}",
                f["object"]["kind"].as_str().unwrap_or_default(),
                f["object"]["namespace"].as_str().unwrap_or_default(),
                f["object"]["name"].as_str().unwrap_or_default(),
                f["container"].as_str().unwrap_or("-"),
                location_of(f)
            )
        })
        .collect()
}

/// A finding of `check` at `wanted` (`object container file:line`, any
/// column).
fn assert_finding(summary: &Value, check: &str, wanted: &str) {
    let found = findings_of(summary, check);
    assert!(
        found.iter().any(|f| f.starts_with(&format!("{wanted}:"))),
        "no {check} finding {wanted:?}; found {found:#?}"
    );
}

#[test]
fn objects_at_removed_versions_and_custom_workloads_are_judged_where_they_are_written() {
    let run = run(&["--target", UNSEEN]);
    run.assert_exit(1);
    let summary = run.summary();
    // The extensions/v1beta1 Deployment: refused by the API server, and its
    // privileged container is judged all the same.
    assert_finding(
        &summary,
        "api.removed-version",
        "Deployment/shop/legacy-worker - fixtures/unseen/workloads.yaml:23",
    );
    assert_finding(
        &summary,
        "security.privileged",
        "Deployment/shop/legacy-worker worker fixtures/unseen/workloads.yaml:39",
    );
    // The autoscaling/v1 autoscaler is read: its floor is judged...
    assert_finding(
        &summary,
        "availability.hpa-range",
        "HorizontalPodAutoscaler/shop/orders-api - fixtures/unseen/autoscaler.yaml:13",
    );
    // ... and it owns orders-api's replicas (1 declared, not reported as such).
    assert!(
        !findings_of(&summary, "availability.replicas")
            .iter()
            .any(|f| f.starts_with("Deployment/shop/orders-api")),
        "{:#?}",
        findings_of(&summary, "availability.replicas")
    );
    // The ephemeral container of the debug pod.
    assert_finding(
        &summary,
        "security.privileged",
        "Pod/shop/orders-api-debug debugger fixtures/unseen/debug-pod.yaml:17",
    );
    // The Argo Rollout's pod template and replica count.
    assert_finding(
        &summary,
        "security.privileged",
        "Rollout/shop/payments payments fixtures/unseen/rollout.yaml:26",
    );
    assert_finding(
        &summary,
        "availability.replicas",
        "Rollout/shop/payments - fixtures/unseen/rollout.yaml:9",
    );
    // The OpenShift DeploymentConfig likewise.
    assert_finding(
        &summary,
        "availability.replicas",
        "DeploymentConfig/shop/invoices - fixtures/unseen/rollout.yaml:36",
    );
    assert_finding(
        &summary,
        "security.host-namespaces",
        "DeploymentConfig/shop/invoices - fixtures/unseen/rollout.yaml:44",
    );
}

#[test]
fn a_custom_workload_whose_pod_template_cannot_be_read_is_an_input_error() {
    let target = temp_tree(&[(
        "rollout.yaml",
        concat!(
            "apiVersion: argoproj.io/v1alpha1\n",
            "kind: Rollout\n",
            "metadata: {name: r, namespace: shop}\n",
            "spec:\n",
            "  template:\n",
            "    spec:\n",
            "      containers:\n",
            "        - name: c\n",
            "          ports: many\n",
        )
        .as_bytes(),
    )]);
    let path = format!("manifests:{}", path_str(target.path()));
    let run = run(&["--target", &path]);
    run.assert_exit(2);
    let errors = common::input_errors(&run.summary());
    assert!(
        errors
            .iter()
            .any(|(place, message)| place.ends_with("rollout.yaml:9:18")
                && message.contains("spec.template.spec.containers[0].ports")),
        "{errors:?}"
    );
}

#[test]
fn an_ingress_on_its_own_is_judged_and_the_rest_is_not_applicable() {
    let run = run(&["--target", "manifests:fixtures/ingress-only-no-tls"]);
    run.assert_exit(1);
    let summary = run.summary();
    assert_finding(
        &summary,
        "ingress.tls",
        "Ingress/shop/storefront - fixtures/ingress-only-no-tls/ingress.yaml:13",
    );
    let mut not_applicable = 0;
    for (_, scenario) in scenarios(&summary) {
        let evaluated: u64 = scenario["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["evaluated"].as_u64().unwrap_or(0))
            .sum();
        match scenario["status"].as_str() {
            Some("passed") => assert!(evaluated > 0, "passed with nothing evaluated: {scenario}"),
            Some("not_applicable") => {
                not_applicable += 1;
                assert_eq!(evaluated, 0, "{scenario}");
                let reason = scenario["reason"].as_str().unwrap_or_default();
                assert!(reason.contains("in scope"), "{scenario}");
            }
            Some("failed") => {}
            other => panic!("unexpected status {other:?}: {scenario}"),
        }
    }
    assert!(not_applicable > 10, "{not_applicable} not applicable");
    // JUnit shows them as skipped, with the reason.
    let junit = run.junit();
    assert!(
        junit.contains("not applicable") && junit.contains("<skipped"),
        "{junit}"
    );
}

#[test]
fn a_target_where_nothing_applies_could_not_be_evaluated() {
    let target = temp_tree(&[(
        "config.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {a: b}\n",
    )]);
    let path = format!("manifests:{}", path_str(target.path()));
    let run = run(&["--target", &path, "--checks", "ingress,availability"]);
    run.assert_exit(2);
    let summary = run.summary();
    assert!(
        scenarios(&summary)
            .iter()
            .all(|(_, s)| s["status"] == "not_applicable"),
        "{summary}"
    );
}

/// One workload, its Namespace (without Pod Security labels unless asked)
/// and its Service, written to a temporary tree with a golive.yaml.
struct Target {
    dir: tempfile::TempDir,
}

impl Target {
    fn new(manifests: &str, profile: &str) -> Target {
        let config = format!("default_profile: team\nprofiles:\n  team:\n{profile}");
        Target {
            dir: temp_tree(&[
                ("manifests/app.yaml", manifests.as_bytes()),
                ("golive.yaml", config.as_bytes()),
            ]),
        }
    }

    /// The exit code and the failing check IDs of `--checks checks`.
    fn verdict(&self, checks: &str) -> (i32, Vec<String>) {
        let target = format!("manifests:{}/manifests", path_str(self.dir.path()));
        let config = format!("{}/golive.yaml", path_str(self.dir.path()));
        let run = run(&["--target", &target, "--config", &config, "--checks", checks]);
        let summary = run.summary();
        let mut failing: Vec<String> = active_findings(&summary)
            .iter()
            .map(|f| f["check"].as_str().unwrap_or_default().to_string())
            .collect();
        failing.dedup();
        (run.code, failing)
    }
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 1}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline}
";

/// Each manifest key, changed, flips a verdict (the load, TLS, failover
/// and cluster keys are tested where those items are judged).
#[test]
fn every_manifest_key_of_a_profile_changes_a_verdict() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (check, manifests, key: value that passes, key: value that fails)
        (
            "availability.replicas",
            DEPLOYMENT,
            "min_replicas: 2",
            "min_replicas: 3",
        ),
        (
            "namespace.pod-security",
            DEPLOYMENT,
            "pod_security_level: baseline",
            "pod_security_level: restricted",
        ),
        (
            "availability.rolling-update",
            DEPLOYMENT,
            "zero_downtime_rollouts: false",
            "zero_downtime_rollouts: true",
        ),
        (
            "availability.hpa-required",
            DEPLOYMENT,
            "hpa_required_for: none",
            "hpa_required_for: all",
        ),
        (
            "api.removed-version",
            "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: backup, namespace: shop}\n\
             spec:\n  schedule: '0 2 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n\
             \x20         restartPolicy: OnFailure\n          containers: [{name: b, image: b:1.0}]\n",
            "kubernetes_version: \"1.24\"",
            "kubernetes_version: \"1.25\"",
        ),
        (
            "namespace.pod-security",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: elsewhere}\n\
             spec: {containers: [{name: c, image: c:1.0}]}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n\
             \x20 labels: {pod-security.kubernetes.io/enforce: restricted}\n",
            "require_namespace_objects: false",
            "require_namespace_objects: true",
        ),
        (
            "ingress.tls",
            "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n\
             spec: {type: LoadBalancer, selector: {app: api}, ports: [{port: 80}]}\n",
            "exposed_services_need_ingress: false",
            "exposed_services_need_ingress: true",
        ),
        (
            "secrets.managed",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\n\
             stringData: {password: not-a-real-one}\n",
            "secrets_from: manifests",
            "secrets_from: external",
        ),
        (
            "cert-manager.issuer",
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: shop, namespace: shop}\n\
             spec:\n  secretName: shop-tls\n  dnsNames: [shop.company.com]\n\
             \x20 issuerRef: {name: letsencrypt-prod, kind: ClusterIssuer}\n",
            "platform_issuers: [letsencrypt-prod]",
            "platform_issuers: [letsencrypt-staging]",
        ),
        (
            "observability.alerts",
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\n\
             spec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n\
             \x20   metadata: {labels: {app: db}}\n    spec: {containers: [{name: db, image: postgres:16.6}]}\n\
             \x20 volumeClaimTemplates: [{metadata: {name: data}}]\n---\n\
             apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: db, namespace: shop}\n\
             spec:\n  groups:\n    - name: db\n      rules:\n        - alert: DBCrashLooping\n\
             \x20         expr: increase(kube_pod_container_status_restarts_total{namespace=\"shop\"}[15m]) > 3\n\
             \x20         for: 5m\n          labels: {severity: critical}\n\
             \x20         annotations: {description: restarts}\n",
            "required_alerts: [crash_looping]",
            "required_alerts: [crash_looping, disk]",
        ),
        (
            "availability.hpa-utilization",
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: shop}\n\
             spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  maxReplicas: 10\n\
             \x20 metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 75}}}]\n",
            "hpa_cpu_utilization: [50, 80]",
            "hpa_cpu_utilization: [50, 70]",
        ),
        (
            "availability.hpa-utilization",
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: shop}\n\
             spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  maxReplicas: 10\n\
             \x20 metrics: [{type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 50}}}]\n",
            "hpa_memory_utilization: [40, 80]",
            "hpa_memory_utilization: [60, 80]",
        ),
        (
            "availability.hpa-scale-down",
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api, namespace: shop}\n\
             spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  maxReplicas: 10\n\
             \x20 behavior: {scaleDown: {stabilizationWindowSeconds: 120}}\n",
            "hpa_scale_down_stabilization_seconds: 120",
            "hpa_scale_down_stabilization_seconds: 300",
        ),
        (
            "service.exposure",
            "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n\
             spec: {type: LoadBalancer, selector: {app: api}, ports: [{port: 443}]}\n",
            "public_services: [shop/api]",
            "public_services: [staging/api]",
        ),
    ];
    for (check, manifests, passing, failing) in cases {
        let (code, found) = Target::new(manifests, &format!("    {passing}\n")).verdict(check);
        assert!(
            !found.iter().any(|c| c == check) && code != 1,
            "{check} with {passing}: exit {code}, findings of {found:?}"
        );
        let (code, found) = Target::new(manifests, &format!("    {failing}\n")).verdict(check);
        assert!(
            code == 1 && found.iter().any(|c| c == check),
            "{check} with {failing}: exit {code}, findings of {found:?}"
        );
    }
}
