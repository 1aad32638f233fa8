//! The Kubernetes API server double (tests/kube_double/) driven by the real
//! kube-rs client, the way golive's `cluster` target drives it: these tests
//! show it answers what a 1.33 API server answers — list envelopes and
//! pagination, selectors, 404/401/403/410 `Status` objects with the real
//! messages, watches from a resourceVersion, graceful deletion, metadata-
//! only lists, discovery, the version — and that the cluster behind it looks
//! like one the controllers built, with the runtime defects tests need.

mod common;
mod kube_double;

use std::time::Duration;

use futures::TryStreamExt;
use http_body_util::BodyExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, Node, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::core::response::Status;
use kube::discovery::{Discovery, Scope};
use serde_json::{Value, json};

use kube_double::{
    Cluster, ClusterOptions, DEFAULT_USER, KubeDouble, NodeSpec, Permissions, Rollout, Rule,
    Termination,
};

const NS: &str = "production";

fn example_with(options: ClusterOptions) -> Cluster {
    Cluster::from_manifest_dir_with(common::root().join("fixtures/example"), options)
}

fn example() -> Cluster {
    example_with(ClusterOptions::default())
}

/// The example with quick terminations and short watches.
fn quick_example() -> Cluster {
    example_with(
        ClusterOptions::default()
            .termination_delay(Duration::from_millis(300))
            .max_watch(Duration::from_secs(3)),
    )
}

/// The `Status` of a failed call.
fn status_of<T: std::fmt::Debug>(result: kube::Result<T>) -> Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A request sent as is; the answer's code and JSON body.
async fn raw(client: &kube::Client, method: &str, uri: &str, accept: Option<&str>) -> (u16, Value) {
    let mut request = hyper::Request::builder().method(method).uri(uri);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = client
        .send(request.body(kube::client::Body::from(Vec::new())).unwrap())
        .await
        .unwrap();
    let code = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (code, body)
}

fn names<K: kube::Resource>(items: &[K]) -> Vec<String> {
    items
        .iter()
        .map(|i| i.meta().name.clone().unwrap())
        .collect()
}

fn condition<'a>(conditions: &'a Option<Vec<Value>>, type_: &str) -> &'a Value {
    conditions
        .as_ref()
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_))
        .unwrap_or_else(|| panic!("no {type_} condition in {conditions:?}"))
}

fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

/// Collects the events of a watch until the server closes it.
async fn collect<K>(api: &Api<K>, params: &WatchParams, version: &str) -> Vec<WatchEvent<K>>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug + 'static,
{
    api.watch(params, version)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

fn event_summary(event: &WatchEvent<Pod>) -> (String, String) {
    match event {
        WatchEvent::Added(p) => ("ADDED".into(), p.metadata.name.clone().unwrap()),
        WatchEvent::Modified(p) => ("MODIFIED".into(), p.metadata.name.clone().unwrap()),
        WatchEvent::Deleted(p) => ("DELETED".into(), p.metadata.name.clone().unwrap()),
        WatchEvent::Bookmark(b) => ("BOOKMARK".into(), b.metadata.resource_version.clone()),
        WatchEvent::Error(e) => ("ERROR".into(), e.message.clone()),
    }
}

#[tokio::test]
async fn answers_the_version_of_a_1_33_server() {
    let double = KubeDouble::start(example());
    let version = double.client().await.apiserver_version().await.unwrap();
    assert_eq!(version.major, "1");
    assert_eq!(version.minor, "33");
    assert_eq!(version.git_version, "v1.33.0");
    assert_eq!(version.platform, "linux/amd64");
}

#[tokio::test]
async fn discovery_lists_built_in_and_custom_kinds() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    for (label, discovery) in [
        (
            "legacy",
            Discovery::new(client.clone()).run().await.unwrap(),
        ),
        (
            "aggregated",
            Discovery::new(client.clone())
                .run_aggregated()
                .await
                .unwrap(),
        ),
    ] {
        let resolve = |group: &str, kind: &str| {
            discovery
                .get(group)
                .and_then(|g| g.recommended_kind(kind))
                .unwrap_or_else(|| panic!("{label}: no {kind} in group {group:?}"))
        };
        let (deployments, caps) = resolve("apps", "Deployment");
        assert_eq!(deployments.plural, "deployments", "{label}");
        assert_eq!(deployments.api_version, "apps/v1", "{label}");
        assert_eq!(caps.scope, Scope::Namespaced, "{label}");
        assert!(caps.supports_operation("watch"), "{label}");
        let (_, caps) = resolve("", "Node");
        assert_eq!(caps.scope, Scope::Cluster, "{label}");
        let (_, caps) = resolve("", "Pod");
        let subresources: Vec<String> = caps
            .subresources
            .iter()
            .map(|(r, _)| r.plural.clone())
            .collect();
        for sub in ["log", "exec", "portforward", "status", "eviction"] {
            assert!(
                subresources.contains(&sub.to_string()),
                "{label}: pods/{sub} in {subresources:?}"
            );
        }
        let (monitors, caps) = resolve("monitoring.coreos.com", "ServiceMonitor");
        assert_eq!(monitors.plural, "servicemonitors", "{label}");
        assert_eq!(caps.scope, Scope::Namespaced, "{label}");
        let (rules, _) = resolve("monitoring.coreos.com", "PrometheusRule");
        assert_eq!(rules.plural, "prometheusrules", "{label}");
        let (hpa, _) = resolve("autoscaling", "HorizontalPodAutoscaler");
        assert_eq!(hpa.version, "v2", "{label}");
        for group in [
            "batch",
            "networking.k8s.io",
            "policy",
            "apiextensions.k8s.io",
        ] {
            assert!(discovery.has_group(group), "{label}: group {group}");
        }
    }
    // The CRD that serves ServiceMonitors is there too.
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(client.clone());
    let crd = crds
        .get("servicemonitors.monitoring.coreos.com")
        .await
        .unwrap();
    assert_eq!(crd.spec.names.kind, "ServiceMonitor");
    // An unknown group version is no route: plain text, as the real server.
    let (code, body) = raw(&client, "GET", "/apis/example.com/v1", None).await;
    assert_eq!((code, body), (404, json!("404 page not found\n")));
    let error = status_of(client.list_api_group_resources("example.com/v1").await);
    assert_eq!(error.code, 404);
    let (code, body) = raw(&client, "GET", "/api", None).await;
    assert_eq!(code, 200);
    assert_eq!(body["versions"], json!(["v1"]));
}

#[tokio::test]
async fn lists_all_namespaces_and_one_with_the_real_envelope() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let all: Api<Deployment> = Api::all(client.clone());
    let everywhere = all.list(&ListParams::default()).await.unwrap();
    assert_eq!(
        names(&everywhere.items),
        ["admin-web", "factory-api", "redis", "worker"]
    );
    let here: Api<Deployment> = Api::namespaced(client.clone(), NS);
    assert_eq!(
        names(&here.list(&ListParams::default()).await.unwrap().items),
        names(&everywhere.items)
    );
    let default: Api<Deployment> = Api::namespaced(client.clone(), "default");
    assert!(
        default
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let (code, body) = raw(
        &client,
        "GET",
        "/apis/apps/v1/namespaces/production/deployments",
        None,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(body["kind"], "DeploymentList");
    assert_eq!(body["apiVersion"], "apps/v1");
    let list_version: u64 = body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        body["metadata"].get("continue").is_none(),
        "{}",
        body["metadata"]
    );
    for item in body["items"].as_array().unwrap() {
        // Built-in list items carry no apiVersion/kind (kubernetes#3030).
        assert!(item.get("kind").is_none() && item.get("apiVersion").is_none());
        let version: u64 = item["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(version <= list_version);
        assert!(item["metadata"]["uid"].as_str().unwrap().len() == 36);
        assert!(
            item["metadata"]["creationTimestamp"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
        assert_eq!(item["metadata"]["generation"], 1);
    }
    // Custom resources' items do carry them.
    let (_, monitors) = raw(
        &client,
        "GET",
        "/apis/monitoring.coreos.com/v1/servicemonitors",
        None,
    )
    .await;
    assert_eq!(monitors["kind"], "ServiceMonitorList");
    assert_eq!(monitors["items"][0]["kind"], "ServiceMonitor");
    assert_eq!(monitors["items"].as_array().unwrap().len(), 2);
    // Cluster-scoped kinds have no namespaced path: no route in a built-in
    // group version is a Status, in any other a plain-text 404.
    let (code, body) = raw(&client, "GET", "/api/v1/namespaces/production/nodes", None).await;
    assert_eq!(code, 404);
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "the server could not find the requested resource", "reason": "NotFound",
               "details": {"causes": [{"reason": "UnexpectedServerResponse", "message": "404: Page Not Found"}]},
               "code": 404})
    );
    let (code, body) = raw(
        &client,
        "GET",
        "/apis/monitoring.coreos.com/v1/alertmanagers",
        None,
    )
    .await;
    assert_eq!((code, body), (404, json!("404 page not found\n")));
    let nodes: Api<Node> = Api::all(client.clone());
    assert_eq!(
        names(&nodes.list(&ListParams::default()).await.unwrap().items),
        ["node-a", "node-b", "node-c"]
    );
}

#[tokio::test]
async fn paginates_with_limit_and_continue_on_a_consistent_snapshot() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let whole = names(&pods.list(&ListParams::default()).await.unwrap().items);
    assert_eq!(whole.len(), 13, "{whole:?}");

    let first = pods.list(&ListParams::default().limit(4)).await.unwrap();
    assert_eq!(first.items.len(), 4);
    assert_eq!(first.metadata.remaining_item_count, Some(9));
    let snapshot = first.metadata.resource_version.clone().unwrap();
    let mut seen = names(&first.items);
    let mut token = first.metadata.continue_.clone().expect("a continue token");
    // A pod created meanwhile does not show up in the pages of the snapshot.
    double.with_cluster(|c| {
        c.create(
            serde_json::from_value::<Pod>(json!({
                "metadata": {"name": "aaa-late", "namespace": NS},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}
            }))
            .unwrap(),
        )
        .unwrap()
    });
    loop {
        let page = pods
            .list(&ListParams::default().limit(4).continue_token(&token))
            .await
            .unwrap();
        assert_eq!(
            page.metadata.resource_version.as_deref(),
            Some(snapshot.as_str())
        );
        seen.extend(names(&page.items));
        match page.metadata.continue_ {
            Some(next) if !next.is_empty() => token = next,
            _ => break,
        }
    }
    assert_eq!(seen, whole);
    // resourceVersion=0 is served from the watch cache, whole (kube
    // leaves it out when there is a limit: a raw request shows it).
    let (_, cached) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/production/pods?limit=4&resourceVersion=0",
        None,
    )
    .await;
    assert_eq!(cached["items"].as_array().unwrap().len(), 14);
    assert!(cached["metadata"].get("continue").is_none());
    // A token from before a compaction is too old.
    double.with_cluster(|c| c.compact());
    let error = status_of(
        pods.list(&ListParams::default().limit(4).continue_token(&token))
            .await,
    );
    assert_eq!((error.code, error.reason.as_str()), (410, "Expired"));
}

#[tokio::test]
async fn selects_by_labels_and_fields() {
    let double = KubeDouble::start(example());
    let pods: Api<Pod> = Api::namespaced(double.client().await, NS);
    let select = |labels: &str, fields: &str| {
        let mut params = ListParams::default();
        if !labels.is_empty() {
            params = params.labels(labels);
        }
        if !fields.is_empty() {
            params = params.fields(fields);
        }
        let pods = pods.clone();
        async move { names(&pods.list(&params).await.unwrap().items) }
    };
    assert_eq!(select("app=factory-api", "").await.len(), 3);
    assert_eq!(select("app==factory-api", "").await.len(), 3);
    assert_eq!(select("app in (redis,worker)", "").await.len(), 4);
    assert_eq!(
        select("app notin (redis,worker),app!=postgres", "")
            .await
            .len(),
        6
    );
    assert_eq!(select("app", "").await.len(), 13);
    assert_eq!(select("!app", "").await.len(), 0);
    assert_eq!(
        select("statefulset.kubernetes.io/pod-name", "").await,
        ["postgres-0", "postgres-1", "postgres-2"]
    );
    assert_eq!(select("", "metadata.name=postgres-1").await, ["postgres-1"]);
    assert_eq!(select("", "metadata.namespace=production").await.len(), 13);
    assert_eq!(select("", "status.phase=Running").await.len(), 13);
    assert_eq!(select("", "status.phase!=Running").await.len(), 0);
    let on_b = select("app=postgres", "spec.nodeName=node-b").await;
    assert_eq!(on_b, ["postgres-1"]);
    let error = status_of(
        pods.list(&ListParams::default().fields("spec.image=x"))
            .await,
    );
    assert_eq!(error.code, 400);
    assert_eq!(error.reason, "BadRequest");
    assert_eq!(error.message, "field label not supported: spec.image");
}

#[tokio::test]
async fn gets_an_object_and_answers_404_with_the_real_status() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let deployment = deployments.get("factory-api").await.unwrap();
    assert_eq!(deployment.metadata.namespace.as_deref(), Some(NS));
    let error = status_of(deployments.get("missing").await);
    assert_eq!(error.code, 404);
    assert_eq!(error.reason, "NotFound");
    let (code, body) = raw(
        &client,
        "GET",
        "/apis/apps/v1/namespaces/production/deployments/missing",
        None,
    )
    .await;
    assert_eq!(code, 404);
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "deployments.apps \"missing\" not found", "reason": "NotFound",
               "details": {"name": "missing", "group": "apps", "kind": "deployments"}, "code": 404})
    );
    let (_, body) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/production/pods/missing",
        None,
    )
    .await;
    assert_eq!(body["message"], "pods \"missing\" not found");
    assert_eq!(body["details"], json!({"name": "missing", "kind": "pods"}));
    // A missing namespace is a 404 of its own.
    let (_, body) = raw(&client, "GET", "/api/v1/namespaces/staging", None).await;
    assert_eq!(body["message"], "namespaces \"staging\" not found");
}

#[tokio::test]
async fn refuses_a_bad_or_expired_token_with_401() {
    let double = KubeDouble::start(example());
    double.add_expired_context("expired");
    let client = double.client_for("expired").await;
    let pods: Api<Pod> = Api::all(client.clone());
    let error = status_of(pods.list(&ListParams::default()).await);
    assert_eq!(
        (error.code, error.reason.as_str(), error.message.as_str()),
        (401, "Unauthorized", "Unauthorized")
    );
    let (code, body) = raw(&client, "GET", "/version", None).await;
    assert_eq!(code, 401);
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
    );
    let logged = double.requests();
    assert_eq!(logged.len(), 2);
    assert!(logged.iter().all(|r| r.user.is_none() && r.status == 401));
    // A token revoked while golive runs fails the same way.
    double.with_access(|a| a.revoke_token(kube_double::DEFAULT_TOKEN));
    let pods: Api<Pod> = Api::all(double.client().await);
    assert_eq!(status_of(pods.list(&ListParams::default()).await).code, 401);
}

#[tokio::test]
async fn forbids_with_the_real_message() {
    let double = KubeDouble::start(example());
    double.deny(Rule::verbs(&["list"]).on(&["networkpolicies"]));
    double.deny(Rule::resources(&["nodes"]));
    double.deny(Rule::verbs(&["get"]).on(&["pods"]).in_namespaces(&[NS]));
    let client = double.client().await;
    let user = DEFAULT_USER;

    let everywhere: Api<NetworkPolicy> = Api::all(client.clone());
    let error = status_of(everywhere.list(&ListParams::default()).await);
    assert_eq!((error.code, error.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        error.message,
        format!(
            "networkpolicies.networking.k8s.io is forbidden: User \"{user}\" cannot list resource \"networkpolicies\" in API group \"networking.k8s.io\" at the cluster scope"
        )
    );
    let here: Api<NetworkPolicy> = Api::namespaced(client.clone(), NS);
    let error = status_of(here.list(&ListParams::default()).await);
    assert_eq!(
        error.message,
        format!(
            "networkpolicies.networking.k8s.io is forbidden: User \"{user}\" cannot list resource \"networkpolicies\" in API group \"networking.k8s.io\" in the namespace \"production\""
        )
    );
    // Getting one is still allowed.
    here.get("default-deny-all").await.unwrap();

    let (code, body) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/production/pods/postgres-0",
        None,
    )
    .await;
    assert_eq!(code, 403);
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": format!("pods \"postgres-0\" is forbidden: User \"{user}\" cannot get resource \"pods\" in API group \"\" in the namespace \"production\""),
               "reason": "Forbidden", "details": {"name": "postgres-0", "kind": "pods"}, "code": 403})
    );
    let nodes: Api<Node> = Api::all(client.clone());
    let error = status_of(nodes.get("node-a").await);
    assert_eq!(
        error.message,
        format!(
            "nodes \"node-a\" is forbidden: User \"{user}\" cannot get resource \"nodes\" in API group \"\" at the cluster scope"
        )
    );

    // A read-only user cannot delete.
    double.add_user_context(
        "reader",
        "system:serviceaccount:golive:reader",
        Permissions::read_only(),
    );
    let pods: Api<Pod> = Api::namespaced(double.client_for("reader").await, NS);
    pods.list(&ListParams::default()).await.unwrap();
    let error = status_of(pods.delete("postgres-0", &DeleteParams::default()).await);
    assert_eq!(
        error.message,
        "pods \"postgres-0\" is forbidden: User \"system:serviceaccount:golive:reader\" cannot delete resource \"pods\" in API group \"\" in the namespace \"production\""
    );
    assert!(
        double
            .with_cluster(|c| c.get::<Pod>(NS, "postgres-0"))
            .is_some()
    );
}

#[tokio::test]
async fn watches_changes_after_a_resource_version() {
    let double = KubeDouble::start(quick_example());
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let list = pods.list(&ListParams::default()).await.unwrap();
    let from = list.metadata.resource_version.clone().unwrap();
    let crashing = double.with_cluster(|c| c.pod_names_of(NS, "factory-api")[0].clone());

    let watcher = {
        let pods = pods.clone();
        let from = from.clone();
        tokio::spawn(async move { collect(&pods, &WatchParams::default().timeout(2), &from).await })
    };
    let selective = {
        let pods = pods.clone();
        let from = from.clone();
        tokio::spawn(async move {
            collect(
                &pods,
                &WatchParams::default().timeout(2).labels("app=factory-api"),
                &from,
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    double.with_cluster(|c| c.crash_loop(NS, &crashing, "api"));
    let created = pods
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "metadata": {"name": "debug", "labels": {"app": "debug"}},
                "spec": {"containers": [{"name": "shell", "image": "busybox:1.36"}]}
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(created.metadata.name.as_deref(), Some("debug"));
    pods.delete("debug", &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
    // A pod that stops matching the selector is DELETED for that watch.
    double.with_cluster(|c| {
        c.pod_mut(NS, &crashing, |p| {
            p.metadata
                .labels
                .as_mut()
                .unwrap()
                .insert("app".into(), "quarantine".into());
        })
    });

    let events: Vec<(String, String)> = watcher.await.unwrap().iter().map(event_summary).collect();
    let expected: Vec<(String, String)> = vec![
        ("MODIFIED".into(), crashing.clone()),
        ("ADDED".into(), "debug".into()),
        ("DELETED".into(), "debug".into()),
        ("MODIFIED".into(), crashing.clone()),
    ];
    let changes: Vec<(String, String)> = events
        .iter()
        .filter(|(t, _)| t != "BOOKMARK")
        .cloned()
        .collect();
    assert_eq!(changes, expected);
    // Bookmarks were allowed (kube's default): the last event is one.
    assert_eq!(events.last().unwrap().0, "BOOKMARK");
    let selected: Vec<(String, String)> = selective
        .await
        .unwrap()
        .iter()
        .map(event_summary)
        .filter(|(t, _)| t != "BOOKMARK")
        .collect();
    assert_eq!(
        selected,
        vec![
            ("MODIFIED".to_string(), crashing.clone()),
            ("DELETED".to_string(), crashing.clone())
        ]
    );
}

#[tokio::test]
async fn watch_from_zero_starts_with_the_current_objects() {
    let double = KubeDouble::start(quick_example());
    let pods: Api<Pod> = Api::namespaced(double.client().await, NS);
    let events = collect(
        &pods,
        &WatchParams::default().timeout(1).labels("app=postgres"),
        "0",
    )
    .await;
    let added: Vec<(String, String)> = events
        .iter()
        .map(event_summary)
        .filter(|(t, _)| t != "BOOKMARK")
        .collect();
    assert_eq!(
        added,
        ["postgres-0", "postgres-1", "postgres-2"].map(|n| ("ADDED".to_string(), n.to_string()))
    );
}

#[tokio::test]
async fn an_expired_resource_version_gets_410_in_the_stream() {
    let double = KubeDouble::start(quick_example());
    let pods: Api<Pod> = Api::namespaced(double.client().await, NS);
    let old = pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let now = double.with_cluster(|c| {
        let pod = c.pod_names_of(NS, "worker")[0].clone();
        c.restart_container(NS, &pod, "worker", 1, Termination::Error);
        c.compact();
        c.resource_version()
    });
    let events = collect(&pods, &WatchParams::default().timeout(1), &old).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let WatchEvent::Error(status) = &events[0] else {
        panic!("expected an ERROR event, got {:?}", events[0])
    };
    assert_eq!(status.code, 410);
    assert_eq!(status.reason, "Expired");
    assert_eq!(
        status.message,
        format!("too old resource version: {old} ({now})")
    );
    // From the compaction on, watching works again.
    let events = collect(&pods, &WatchParams::default().timeout(1), &now.to_string()).await;
    assert!(
        events.iter().all(|e| matches!(e, WatchEvent::Bookmark(_))),
        "{events:?}"
    );
}

#[tokio::test]
async fn deletes_a_pod_gracefully_then_for_good() {
    let double = KubeDouble::start(quick_example());
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let from = pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let victim = double.with_cluster(|c| c.pod_names_of(NS, "factory-api")[1].clone());
    let watcher = {
        let pods = pods.clone();
        let params = WatchParams::default()
            .timeout(2)
            .fields(&format!("metadata.name={victim}"));
        tokio::spawn(async move { collect(&pods, &params, &from).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = pods
        .delete(&victim, &DeleteParams::default())
        .await
        .unwrap();
    let terminating = answer
        .left()
        .expect("a pod being deleted answers with the pod");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    assert_eq!(terminating.metadata.deletion_grace_period_seconds, Some(30));
    let events: Vec<(String, String)> = watcher
        .await
        .unwrap()
        .iter()
        .map(event_summary)
        .filter(|(t, _)| t != "BOOKMARK")
        .collect();
    assert_eq!(
        events,
        vec![
            ("MODIFIED".to_string(), victim.clone()),
            ("DELETED".to_string(), victim.clone())
        ]
    );
    assert_eq!(status_of(pods.get(&victim).await).code, 404);
    // No replacement in this phase: the Deployment reports one replica less.
    let deployment = Api::<Deployment>::namespaced(client.clone(), NS)
        .get("factory-api")
        .await
        .unwrap();
    let status = deployment.status.unwrap();
    assert_eq!((status.replicas, status.ready_replicas), (Some(2), Some(2)));

    // Other kinds go at once and answer a Status; their dependents follow.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let uid = deployments
        .get("worker")
        .await
        .unwrap()
        .metadata
        .uid
        .unwrap();
    let answer = deployments
        .delete("worker", &DeleteParams::default())
        .await
        .unwrap();
    let status = answer
        .right()
        .expect("a Deployment deletion answers a Status");
    assert_eq!(
        json_of(&status),
        json!({"status": "Success", "metadata": {}, "details": {"name": "worker", "group": "apps", "kind": "deployments", "uid": uid}})
    );
    let sets: Api<ReplicaSet> = Api::namespaced(client.clone(), NS);
    assert!(
        names(
            &sets
                .list(&ListParams::default().labels("app=worker"))
                .await
                .unwrap()
                .items
        )
        .is_empty()
    );
    let worker_pods = pods
        .list(&ListParams::default().labels("app=worker"))
        .await
        .unwrap()
        .items;
    assert!(
        worker_pods
            .iter()
            .all(|p| p.metadata.deletion_timestamp.is_some()),
        "{worker_pods:?}"
    );
    assert!(double.wait_until(Duration::from_secs(3), |c| {
        c.list::<Pod>(NS)
            .iter()
            .all(|p| p.metadata.labels.as_ref().unwrap()["app"] != "worker")
    }));
    // Grace period 0: gone at once, the pod in the answer.
    let redis = double.with_cluster(|c| c.pod_names_of(NS, "redis")[0].clone());
    let gone = pods
        .delete(&redis, &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
    assert_eq!(
        gone.left().unwrap().metadata.name.as_deref(),
        Some(redis.as_str())
    );
    assert_eq!(status_of(pods.get(&redis).await).code, 404);
}

#[tokio::test]
async fn lists_secrets_as_metadata_only() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NS);
    let listed = secrets.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(names(&listed.items), ["factory-secrets"]);
    let (code, body) = raw(
        &client,
        "GET",
        "/api/v1/namespaces/production/secrets",
        Some("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(body["kind"], "PartialObjectMetadataList");
    assert_eq!(body["apiVersion"], "meta.k8s.io/v1");
    let item = &body["items"][0];
    assert_eq!(item["kind"], "PartialObjectMetadata");
    assert_eq!(item["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(item["metadata"]["name"], "factory-secrets");
    let text = body.to_string();
    for secret in [
        "\"data\"",
        "\"type\"",
        "Q0hBTkdFLU1F",
        "CHANGE-ME",
        "cG9zdGdyZXM6",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The full object is there for whoever asks for it (not golive).
    let full = secrets.get("factory-secrets").await.unwrap();
    assert_eq!(full.data.unwrap()["postgres-password"].0, b"CHANGE-ME");
    let logged: Vec<(String, String, String)> = double
        .requests()
        .iter()
        .map(|r| {
            (
                r.info.verb.clone(),
                r.info.resource.clone(),
                r.info.namespace.clone(),
            )
        })
        .collect();
    assert_eq!(
        logged[0],
        ("list".to_string(), "secrets".to_string(), NS.to_string())
    );
}

#[tokio::test]
async fn records_requests_as_the_authorizer_sees_them() {
    let double = KubeDouble::start(quick_example());
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    Api::<Deployment>::all(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap();
    pods.get("postgres-0").await.unwrap();
    collect(&pods, &WatchParams::default().timeout(1), "0").await;
    pods.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "probe"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}})).unwrap(),
    )
    .await
    .unwrap();
    pods.delete("probe", &DeleteParams::default())
        .await
        .unwrap();
    Api::<Node>::all(client.clone())
        .get("node-a")
        .await
        .unwrap();
    let mut exec = hyper::Request::get(
        "/api/v1/namespaces/production/pods/postgres-0/exec?command=id&stdout=true",
    )
    .header("Connection", "Upgrade")
    .header("Upgrade", "websocket")
    .header("Sec-WebSocket-Version", "13")
    .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
    .body(kube::client::Body::from(Vec::new()))
    .unwrap();
    exec.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "v5.channel.k8s.io".parse().unwrap(),
    );
    let _ = client.send(exec).await;

    let logged: Vec<(String, String, String, String, String, String)> = double
        .requests()
        .into_iter()
        .map(|r| {
            assert_eq!(r.user.as_deref(), Some(DEFAULT_USER));
            let i = r.info;
            (
                i.verb,
                i.group,
                i.resource,
                i.subresource,
                i.namespace,
                i.name,
            )
        })
        .collect();
    let row = |v: &str, g: &str, r: &str, s: &str, ns: &str, n: &str| {
        (
            v.to_string(),
            g.to_string(),
            r.to_string(),
            s.to_string(),
            ns.to_string(),
            n.to_string(),
        )
    };
    assert_eq!(
        logged,
        vec![
            row("list", "apps", "deployments", "", "", ""),
            row("get", "", "pods", "", NS, "postgres-0"),
            row("watch", "", "pods", "", NS, ""),
            row("create", "", "pods", "", NS, ""),
            row("delete", "", "pods", "", NS, "probe"),
            row("get", "", "nodes", "", "", "node-a"),
            row("create", "", "pods", "exec", NS, "postgres-0"),
        ]
    );
    assert_eq!(
        double.verbs().into_iter().collect::<Vec<_>>(),
        ["create", "delete", "get", "list", "watch"]
    );
    assert_eq!(double.writes().len(), 3);
}

#[tokio::test]
async fn creates_pods_as_the_api_server_does() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"generateName": "probe-"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}
    }))
    .unwrap();
    let created = pods.create(&PostParams::default(), &pod).await.unwrap();
    let name = created.metadata.name.clone().unwrap();
    assert!(name.starts_with("probe-") && name.len() == 11, "{name}");
    assert!(
        name[6..]
            .chars()
            .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
        "{name}"
    );
    assert_eq!(created.metadata.generation, Some(1));
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    let version: u64 = created
        .metadata
        .resource_version
        .clone()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(version, double.with_cluster(|c| c.resource_version()));
    let status = created.status.clone().unwrap();
    assert_eq!(
        (status.phase.as_deref(), status.qos_class.as_deref()),
        (Some("Pending"), Some("BestEffort"))
    );
    let spec = created.spec.clone().unwrap();
    assert_eq!(spec.service_account_name.as_deref(), Some("default"));
    assert_eq!(
        spec.containers[0].image_pull_policy.as_deref(),
        Some("Always")
    );
    assert!(
        spec.volumes.unwrap()[0]
            .name
            .starts_with("kube-api-access-")
    );

    let mut again = pod.clone();
    again.metadata.generate_name = None;
    again.metadata.name = Some(name.clone());
    let error = status_of(pods.create(&PostParams::default(), &again).await);
    assert_eq!((error.code, error.reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(error.message, format!("pods \"{name}\" already exists"));

    let (code, body) = {
        let request = hyper::Request::post("/api/v1/namespaces/production/pods")
            .header("Content-Type", "application/json")
            .body(kube::client::Body::from(
                serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}})).unwrap(),
            ))
            .unwrap();
        let response = client.send(request).await.unwrap();
        let code = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (code, serde_json::from_slice::<Value>(&bytes).unwrap())
    };
    assert_eq!(code, 422);
    assert_eq!(
        body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "Pod \"\" is invalid: metadata.name: Required value: name or generateName is required",
               "reason": "Invalid",
               "details": {"kind": "Pod", "causes": [{"reason": "FieldValueRequired", "message": "Required value: name or generateName is required", "field": "metadata.name"}]},
               "code": 422})
    );
    // A ServiceAccount that does not exist is refused by admission.
    let orphan: Pod = serde_json::from_value(json!({
        "metadata": {"name": "orphan"},
        "spec": {"serviceAccountName": "ghost", "containers": [{"name": "c", "image": "busybox"}]}
    }))
    .unwrap();
    let error = status_of(pods.create(&PostParams::default(), &orphan).await);
    assert_eq!(error.code, 403);
    assert_eq!(
        error.message,
        "pods \"orphan\" is forbidden: error looking up service account production/ghost: serviceaccount \"ghost\" not found"
    );
}

#[tokio::test]
async fn the_cluster_looks_built_by_the_controllers() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let deployment = Api::<Deployment>::namespaced(client.clone(), NS)
        .get("factory-api")
        .await
        .unwrap();
    let spec = deployment.spec.clone().unwrap();
    assert_eq!(spec.progress_deadline_seconds, Some(600));
    assert_eq!(spec.revision_history_limit, Some(5));
    let template = spec.template.spec.unwrap();
    assert_eq!(template.dns_policy.as_deref(), Some("ClusterFirst"));
    assert_eq!(
        template.scheduler_name.as_deref(),
        Some("default-scheduler")
    );
    assert_eq!(
        template.containers[0].termination_message_path.as_deref(),
        Some("/dev/termination-log")
    );
    assert_eq!(
        template.containers[0].ports.as_ref().unwrap()[0]
            .protocol
            .as_deref(),
        Some("TCP")
    );
    let status = json_of(&deployment.status.clone().unwrap());
    assert_eq!(status["observedGeneration"], 1);
    assert_eq!(
        (
            status["replicas"].clone(),
            status["updatedReplicas"].clone()
        ),
        (json!(3), json!(3))
    );
    assert_eq!(
        (
            status["readyReplicas"].clone(),
            status["availableReplicas"].clone()
        ),
        (json!(3), json!(3))
    );
    let conditions = status["conditions"].as_array().cloned();
    assert_eq!(condition(&conditions, "Available")["status"], "True");
    assert_eq!(
        condition(&conditions, "Progressing")["reason"],
        "NewReplicaSetAvailable"
    );

    let sets = Api::<ReplicaSet>::namespaced(client.clone(), NS)
        .list(&ListParams::default().labels("app=factory-api"))
        .await
        .unwrap()
        .items;
    assert_eq!(sets.len(), 1);
    let set = &sets[0];
    let set_name = set.metadata.name.clone().unwrap();
    let hash = set.metadata.labels.as_ref().unwrap()["pod-template-hash"].clone();
    assert_eq!(set_name, format!("factory-api-{hash}"));
    let owner = &set.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str()),
        ("Deployment", deployment.metadata.uid.as_deref().unwrap())
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );

    let pods = Api::<Pod>::namespaced(client.clone(), NS)
        .list(&ListParams::default().labels("app=factory-api"))
        .await
        .unwrap()
        .items;
    let mut nodes: Vec<String> = pods
        .iter()
        .map(|p| p.spec.clone().unwrap().node_name.unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["node-a", "node-b", "node-c"]);
    for pod in &pods {
        let name = pod.metadata.name.clone().unwrap();
        assert!(
            name.starts_with(&format!("{set_name}-")) && name.len() == set_name.len() + 6,
            "{name}"
        );
        assert_eq!(
            pod.metadata.owner_references.as_ref().unwrap()[0].uid,
            set.metadata.uid.clone().unwrap()
        );
        let status = pod.status.clone().unwrap();
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert!(status.pod_ip.unwrap().starts_with("10.244."));
        let container = &status.container_statuses.unwrap()[0];
        assert!(container.ready && container.started == Some(true));
        assert_eq!(container.restart_count, 0);
        assert!(
            container
                .container_id
                .as_ref()
                .unwrap()
                .starts_with("containerd://")
        );
        let user = container.user.clone().unwrap().linux.unwrap();
        assert_eq!((user.uid, user.gid), (10001, 10001));
        let ready = json_of(&status.conditions.unwrap());
        assert!(
            ready
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["status"] == "True"),
            "{ready}"
        );
    }
    let zones: Vec<String> = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|n| n.metadata.labels.as_ref().unwrap()["topology.kubernetes.io/zone"].clone())
        .collect();
    assert_eq!(zones, ["zone-a", "zone-b", "zone-c"]);

    let postgres = Api::<StatefulSet>::namespaced(client.clone(), NS)
        .get("postgres")
        .await
        .unwrap();
    let status = postgres.status.unwrap();
    assert_eq!(
        (
            status.replicas,
            status.ready_replicas,
            status.current_replicas
        ),
        (3, Some(3), Some(3))
    );
    assert_eq!(status.current_revision, status.update_revision);
    let claims = Api::<PersistentVolumeClaim>::namespaced(client.clone(), NS)
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(
        names(&claims.items),
        [
            "data-postgres-0",
            "data-postgres-1",
            "data-postgres-2",
            "postgres-backups"
        ]
    );
    assert!(
        claims
            .items
            .iter()
            .all(|c| c.status.as_ref().unwrap().phase.as_deref() == Some("Bound"))
    );

    let services = Api::<Service>::namespaced(client.clone(), NS)
        .list(&ListParams::default())
        .await
        .unwrap();
    for service in &services.items {
        let spec = service.spec.clone().unwrap();
        let ip = spec.cluster_ip.unwrap();
        assert!(
            ip == "None"
                || ip.starts_with("10.9")
                || ip.starts_with("10.10")
                || ip.starts_with("10.11"),
            "{ip}"
        );
        assert_eq!(spec.session_affinity.as_deref(), Some("None"));
    }
    let kubernetes = Api::<Service>::namespaced(client.clone(), "default")
        .get("kubernetes")
        .await
        .unwrap();
    assert_eq!(
        kubernetes.spec.unwrap().cluster_ip.as_deref(),
        Some("10.96.0.1")
    );
    let namespace = Api::<Namespace>::all(client.clone()).get(NS).await.unwrap();
    assert_eq!(namespace.status.unwrap().phase.as_deref(), Some("Active"));
    Api::<ServiceAccount>::namespaced(client.clone(), NS)
        .get("default")
        .await
        .unwrap();
    let root_ca = Api::<ConfigMap>::namespaced(client.clone(), NS)
        .get("kube-root-ca.crt")
        .await
        .unwrap();
    assert!(root_ca.data.unwrap()["ca.crt"].starts_with("-----BEGIN CERTIFICATE-----"));
    let ingress = Api::<Ingress>::namespaced(client.clone(), NS)
        .get("factory-ingress")
        .await
        .unwrap();
    assert_eq!(
        json_of(&ingress.status.unwrap()),
        json!({"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}})
    );
    let hpa = Api::<HorizontalPodAutoscaler>::namespaced(client.clone(), NS)
        .get("factory-api")
        .await
        .unwrap();
    let status = hpa.status.unwrap();
    assert_eq!(
        (status.current_replicas, status.desired_replicas),
        (Some(3), 3)
    );
}

#[tokio::test]
async fn an_image_runs_as_its_own_user_unless_the_pod_says_otherwise() {
    let documents = vec![
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"},
                                                             {"name": "tool", "image": "busybox"}]}}}}),
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "kube-system"},
               "spec": {"selector": {"matchLabels": {"app": "agent"}},
                        "template": {"metadata": {"labels": {"app": "agent"}},
                                     "spec": {"containers": [{"name": "agent", "image": "agent:2"}]}}}}),
    ];
    let options = ClusterOptions::default()
        .image_user("docker.io/library/nginx", 101, 101)
        .nodes(vec![NodeSpec::new("n1", "z1"), NodeSpec::new("n2", "z1")]);
    let cluster = Cluster::from_documents_with(documents, options);
    let pods = cluster.pods_of("default", "web");
    assert_eq!(pods.len(), 2);
    let statuses = pods[0].status.clone().unwrap().container_statuses.unwrap();
    assert_eq!(statuses[0].image, "docker.io/library/nginx:1.27");
    assert_eq!(statuses[0].user.clone().unwrap().linux.unwrap().uid, 101);
    assert_eq!(statuses[1].image, "docker.io/library/busybox:latest");
    assert_eq!(statuses[1].user.clone().unwrap().linux.unwrap().uid, 0);
    let spec = pods[0].spec.clone().unwrap();
    assert_eq!(
        spec.containers[0].image_pull_policy.as_deref(),
        Some("IfNotPresent")
    );
    assert_eq!(
        spec.containers[1].image_pull_policy.as_deref(),
        Some("Always")
    );
    let agents: Vec<String> = cluster
        .pods_of("kube-system", "agent")
        .iter()
        .map(|p| p.spec.clone().unwrap().node_name.unwrap())
        .collect();
    assert_eq!(agents, ["n1", "n2"]);
    let ds = cluster
        .get::<k8s_openapi::api::apps::v1::DaemonSet>("kube-system", "agent")
        .unwrap();
    let status = ds.status.unwrap();
    assert_eq!(
        (status.desired_number_scheduled, status.number_ready),
        (2, 2)
    );
}

#[tokio::test]
async fn runtime_defects_show_in_pods_and_workload_statuses() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let api_pods = double.with_cluster(|c| c.pod_names_of(NS, "factory-api"));

    // Crash loop.
    double.with_cluster(|c| c.crash_loop(NS, &api_pods[0], "api"));
    let pod = pods.get(&api_pods[0]).await.unwrap();
    let status = pod.status.unwrap();
    let container = &status.container_statuses.as_ref().unwrap()[0];
    assert_eq!(container.restart_count, 7);
    assert!(!container.ready);
    let state = json_of(&container.state);
    assert_eq!(state["waiting"]["reason"], "CrashLoopBackOff");
    let last = json_of(&container.last_state);
    assert_eq!(
        (
            last["terminated"]["exitCode"].clone(),
            last["terminated"]["reason"].clone()
        ),
        (json!(1), json!("Error"))
    );
    let conditions = Some(json_of(&status.conditions).as_array().unwrap().clone());
    assert_eq!(condition(&conditions, "Ready")["status"], "False");
    assert_eq!(
        condition(&conditions, "Ready")["reason"],
        "ContainersNotReady"
    );
    let deployment = json_of(&deployments.get("factory-api").await.unwrap().status);
    assert_eq!(
        (
            deployment["readyReplicas"].clone(),
            deployment["availableReplicas"].clone()
        ),
        (json!(2), json!(2))
    );
    assert_eq!(deployment["unavailableReplicas"], 1);
    let conditions = deployment["conditions"].as_array().cloned();
    // maxUnavailable 0: one replica down is below the minimum.
    assert_eq!(condition(&conditions, "Available")["status"], "False");
    assert_eq!(
        condition(&conditions, "Available")["reason"],
        "MinimumReplicasUnavailable"
    );

    // Restarts after an OOM kill.
    double
        .with_cluster(|c| c.restart_container(NS, &api_pods[1], "api", 3, Termination::OomKilled));
    let container = pods
        .get(&api_pods[1])
        .await
        .unwrap()
        .status
        .unwrap()
        .container_statuses
        .unwrap()[0]
        .clone();
    assert_eq!(container.restart_count, 3);
    assert!(container.ready);
    let last = json_of(&container.last_state);
    assert_eq!(
        (
            last["terminated"]["exitCode"].clone(),
            last["terminated"]["reason"].clone()
        ),
        (json!(137), json!("OOMKilled"))
    );

    // Root despite the manifest.
    double.with_cluster(|c| c.run_as_root(NS, &api_pods[2], "api"));
    let container = pods
        .get(&api_pods[2])
        .await
        .unwrap()
        .status
        .unwrap()
        .container_statuses
        .unwrap()[0]
        .clone();
    let user = container.user.unwrap().linux.unwrap();
    assert_eq!((user.uid, user.gid), (0, 0));

    // All replicas on one node.
    double.with_cluster(|c| c.place_on_node(NS, "admin-web", "node-b"));
    let placed: Vec<String> = pods
        .list(&ListParams::default().labels("app=admin-web"))
        .await
        .unwrap()
        .items
        .iter()
        .map(|p| p.spec.clone().unwrap().node_name.unwrap())
        .collect();
    assert_eq!(placed, ["node-b", "node-b", "node-b"]);

    // A rollout that does not finish (maxSurge 1, maxUnavailable 0).
    double.with_cluster(|c| c.stall_rollout(NS, "worker", Rollout::default()));
    let worker = deployments.get("worker").await.unwrap();
    assert_eq!(worker.metadata.generation, Some(2));
    let status = json_of(&worker.status);
    assert_eq!(status["observedGeneration"], 2);
    assert_eq!(
        (
            status["replicas"].clone(),
            status["updatedReplicas"].clone()
        ),
        (json!(4), json!(1))
    );
    assert_eq!(
        (
            status["readyReplicas"].clone(),
            status["availableReplicas"].clone()
        ),
        (json!(3), json!(3))
    );
    let conditions = status["conditions"].as_array().cloned();
    assert_eq!(
        condition(&conditions, "Progressing")["reason"],
        "ReplicaSetUpdated"
    );
    assert_eq!(condition(&conditions, "Available")["status"], "True");
    let sets = Api::<ReplicaSet>::namespaced(client.clone(), NS)
        .list(&ListParams::default().labels("app=worker"))
        .await
        .unwrap()
        .items;
    assert_eq!(sets.len(), 2);

    // Not observed yet.
    double.with_cluster(|c| c.rollout_not_observed(NS, "admin-web"));
    let admin = deployments.get("admin-web").await.unwrap();
    assert_eq!(admin.metadata.generation, Some(2));
    assert_eq!(admin.status.unwrap().observed_generation, Some(1));
}

#[tokio::test]
async fn a_stuck_rollout_with_max_unavailable_one() {
    let mut documents = common_example_documents();
    for document in &mut documents {
        if document["kind"] == "Deployment" && document["metadata"]["name"] == "factory-api" {
            document["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = json!(1);
        }
    }
    let mut cluster = Cluster::from_documents(documents);
    cluster.stall_rollout(
        NS,
        "factory-api",
        Rollout {
            deadline_exceeded: true,
            ..Rollout::default()
        },
    );
    let deployment = cluster.get::<Deployment>(NS, "factory-api").unwrap();
    let status = json_of(&deployment.status);
    assert_eq!(
        (
            status["replicas"].clone(),
            status["updatedReplicas"].clone()
        ),
        (json!(3), json!(1))
    );
    assert_eq!(
        (
            status["readyReplicas"].clone(),
            status["availableReplicas"].clone()
        ),
        (json!(2), json!(2))
    );
    let conditions = status["conditions"].as_array().cloned();
    let progressing = condition(&conditions, "Progressing");
    assert_eq!(
        (progressing["status"].clone(), progressing["reason"].clone()),
        (json!("False"), json!("ProgressDeadlineExceeded"))
    );
    assert_eq!(condition(&conditions, "Available")["status"], "True");
}

fn common_example_documents() -> Vec<Value> {
    kube_double::read_manifest_dir(&common::root().join("fixtures/example"))
}

#[tokio::test]
async fn kubeconfig_contexts_for_the_cases_golive_tells_apart() {
    let double = KubeDouble::start(example());
    double.add_unreachable_context("unreachable");
    double.add_namespace_context("prod", NS);
    let text = std::fs::read_to_string(double.kubeconfig_path()).unwrap();
    assert!(text.contains("certificate-authority-data"), "{text}");
    assert!(text.contains(&double.url()), "{text}");
    assert!(text.contains("current-context: double"), "{text}");

    let unreachable = double.client_for("unreachable").await;
    match unreachable.apiserver_version().await {
        Err(kube::Error::Api(status)) => panic!("an unreachable server answered {status:?}"),
        Err(_) => {}
        Ok(version) => panic!("an unreachable server answered {version:?}"),
    }
    let prod = double.client_for("prod").await;
    assert_eq!(prod.default_namespace(), NS);
    let pods: Api<Pod> = Api::default_namespaced(prod);
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        13
    );
}

#[test]
fn the_server_stops_when_dropped() {
    let double = KubeDouble::start(Cluster::default());
    let port = double.port();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(double);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[tokio::test]
async fn a_namespace_deletion_terminates_then_removes_everything_in_it() {
    let double = KubeDouble::start(quick_example());
    let client = double.client().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let answer = namespaces
        .delete(NS, &DeleteParams::default())
        .await
        .unwrap();
    let terminating = answer.left().expect("a namespace answers with itself");
    assert_eq!(
        terminating.status.unwrap().phase.as_deref(),
        Some("Terminating")
    );
    let error = status_of(
        Api::<ConfigMap>::namespaced(client.clone(), NS)
            .create(
                &PostParams::default(),
                &serde_json::from_value(json!({"metadata": {"name": "late"}})).unwrap(),
            )
            .await,
    );
    assert_eq!(error.code, 403);
    assert!(double.wait_until(Duration::from_secs(3), |c| {
        c.get::<Namespace>("", NS).is_none()
    }));
    assert!(double.with_cluster(|c| c.list::<Pod>(NS).is_empty()));
    let (code, _) = raw(&client, "GET", "/api/v1/namespaces/production/pods", None).await;
    assert_eq!(code, 200);
}

#[tokio::test]
async fn patches_and_updates_with_generations_and_preconditions() {
    let double = KubeDouble::start(quick_example());
    let client = double.client().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let patched = deployments
        .patch(
            "worker",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.metadata.generation, Some(2));
    let status = deployments.get("worker").await.unwrap().status.unwrap();
    assert_eq!(
        (
            status.observed_generation,
            status.replicas,
            status.ready_replicas
        ),
        (Some(2), Some(5), Some(5))
    );

    // A template change rolls out at once: a second ReplicaSet, revision 2.
    let restarted = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}}}}});
    deployments
        .patch(
            "worker",
            &PatchParams::default(),
            &Patch::Strategic(restarted),
        )
        .await
        .unwrap();
    let worker = deployments.get("worker").await.unwrap();
    assert_eq!(worker.metadata.generation, Some(3));
    assert_eq!(
        worker.metadata.annotations.unwrap()["deployment.kubernetes.io/revision"],
        "2"
    );
    let status = worker.status.unwrap();
    assert_eq!(
        (status.updated_replicas, status.available_replicas),
        (Some(5), Some(5))
    );
    let sets = Api::<ReplicaSet>::namespaced(client.clone(), NS)
        .list(&ListParams::default().labels("app=worker"))
        .await
        .unwrap()
        .items;
    let replicas: Vec<i32> = sets
        .iter()
        .map(|s| s.spec.clone().unwrap().replicas.unwrap())
        .collect();
    assert_eq!(replicas.iter().sum::<i32>(), 5);
    assert_eq!(replicas.len(), 2);

    // A JSON patch (kube's Patch::Json needs a feature golive does not
    // enable: sent as is).
    let request = hyper::Request::patch("/api/v1/namespaces/production/configmaps/factory-config")
        .header("Content-Type", "application/json-patch+json")
        .body(kube::client::Body::from(
            serde_json::to_vec(&json!([
                {"op": "add", "path": "/metadata/labels/tier", "value": "config"},
                {"op": "replace", "path": "/data/LOG_LEVEL", "value": "debug"}
            ]))
            .unwrap(),
        ))
        .unwrap();
    assert_eq!(client.send(request).await.unwrap().status().as_u16(), 200);
    let patched = Api::<ConfigMap>::namespaced(client.clone(), NS)
        .get("factory-config")
        .await
        .unwrap();
    assert_eq!(patched.metadata.labels.unwrap()["tier"], "config");
    assert_eq!(patched.data.unwrap()["LOG_LEVEL"], "debug");

    // A replace against a stale resourceVersion is a conflict.
    let mut stale = deployments.get("redis").await.unwrap();
    deployments
        .patch(
            "redis",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"touched": "yes"}}})),
        )
        .await
        .unwrap();
    stale.spec.as_mut().unwrap().replicas = Some(2);
    let error = status_of(
        deployments
            .replace("redis", &PostParams::default(), &stale)
            .await,
    );
    assert_eq!((error.code, error.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        error.message,
        "Operation cannot be fulfilled on deployments.apps \"redis\": the object has been modified; please apply your changes to the latest version and try again"
    );
    assert_eq!(
        deployments.get("redis").await.unwrap().metadata.generation,
        Some(1)
    );

    // deletecollection answers the list of what it deleted.
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let deleted = pods
        .delete_collection(
            &DeleteParams::default().grace_period(0),
            &ListParams::default().labels("app=postgres"),
        )
        .await
        .unwrap()
        .left()
        .expect("a list");
    assert_eq!(
        names(&deleted.items),
        ["postgres-0", "postgres-1", "postgres-2"]
    );
    assert!(
        pods.list(&ListParams::default().labels("app=postgres"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn watches_metadata_only_and_streams_initial_events() {
    let double = KubeDouble::start(quick_example());
    let client = double.client().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NS);
    let events: Vec<_> = secrets
        .watch_metadata(&WatchParams::default().timeout(1), "0")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let WatchEvent::Added(secret) = &events[0] else {
        panic!("expected ADDED, got {:?}", events[0])
    };
    assert_eq!(secret.metadata.name.as_deref(), Some("factory-secrets"));
    assert_eq!(secret.types.as_ref().unwrap().kind, "PartialObjectMetadata");

    // Streaming lists: the current objects, then the end-of-initial-events bookmark.
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let events = collect(
        &pods,
        &WatchParams::streaming_lists()
            .timeout(1)
            .labels("app=redis"),
        "",
    )
    .await;
    assert!(
        matches!(&events[0], WatchEvent::Added(p) if p.metadata.labels.as_ref().unwrap()["app"] == "redis")
    );
    let WatchEvent::Bookmark(bookmark) = &events[1] else {
        panic!("expected a BOOKMARK, got {:?}", events[1])
    };
    assert_eq!(
        bookmark.metadata.annotations["k8s.io/initial-events-end"],
        "true"
    );
}

#[tokio::test]
async fn serves_container_logs() {
    let double = KubeDouble::start(example());
    let pod = double.with_cluster(|c| {
        let pod = c.pod_names_of(NS, "admin-web")[0].clone();
        c.set_pod_log(
            NS,
            &pod,
            "exporter",
            "level=info msg=\"listening on :9113\"\n",
        );
        pod
    });
    let pods: Api<Pod> = Api::namespaced(double.client().await, NS);
    let params = kube::api::LogParams {
        container: Some("exporter".into()),
        ..Default::default()
    };
    assert_eq!(
        pods.logs(&pod, &params).await.unwrap(),
        "level=info msg=\"listening on :9113\"\n"
    );
    let error = status_of(pods.logs(&pod, &Default::default()).await);
    assert_eq!(error.code, 400);
    assert_eq!(
        error.message,
        format!(
            "a container name must be specified for pod {pod}, choose one of: [nginx exporter]"
        )
    );
}
