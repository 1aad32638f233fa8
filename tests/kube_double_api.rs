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

use futures::{StreamExt, TryStreamExt};
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

/// The example application as a cluster holds it: with the Secret its
/// ExternalSecret makes the External Secrets controller write.
fn example_with(options: ClusterOptions) -> Cluster {
    let mut cluster =
        Cluster::from_manifest_dir_with(common::root().join("fixtures/example"), options);
    cluster.load(vec![common::example::produced_secret()]);
    cluster
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

/// The `Status` of a refused call whose success has no `Debug`.
fn refusal_of<T>(result: kube::Result<T>) -> Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        Err(other) => panic!("expected an API error, got {other:?}"),
        Ok(_) => panic!("expected an API error, got a success"),
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
    // Marked, not ready any more (the kubelet), terminal, gone (the
    // replacement is in `a_deleted_pod_of_a_replica_set_is_replaced`).
    let modified = ("MODIFIED".to_string(), victim.clone());
    assert_eq!(
        events,
        vec![
            modified.clone(),
            modified.clone(),
            modified,
            ("DELETED".to_string(), victim.clone())
        ]
    );
    assert_eq!(status_of(pods.get(&victim).await).code, 404);

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

    // A template change rolls out over time, within maxSurge and
    // maxUnavailable (25 % of 5: 2 and 1): a second ReplicaSet, revision 2,
    // Progressing with ReplicaSetUpdated until it is done.
    let restarted = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}}}}});
    deployments
        .patch(
            "worker",
            &PatchParams::default(),
            &Patch::Strategic(restarted),
        )
        .await
        .unwrap();
    let rolling = deployments.get("worker").await.unwrap().status.unwrap();
    let progressing = rolling
        .conditions
        .clone()
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Progressing")
        .unwrap();
    assert_eq!(progressing.reason.as_deref(), Some("ReplicaSetUpdated"));
    assert!(
        rolling.replicas.unwrap() <= 7 && rolling.available_replicas.unwrap() >= 4,
        "{rolling:?}"
    );
    let mut seen = Vec::new();
    let done = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let status = deployments.get("worker").await.unwrap().status.unwrap();
            seen.push((
                status.replicas,
                status.updated_replicas,
                status.available_replicas,
            ));
            if status.updated_replicas == Some(5)
                && status.replicas == Some(5)
                && status.available_replicas == Some(5)
            {
                break;
            }
            // Never above 5 + 2 pods, never below 5 - 1 available.
            assert!(
                status.replicas.unwrap_or(0) <= 7 && status.available_replicas.unwrap_or(0) >= 4,
                "{seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(done.is_ok(), "the rollout did not complete: {seen:?}");
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

// ---- phase 2: the kubelet, the controllers over time, streams, probes ----

/// Quick delays whose steps never coincide (every gap is at least 0.1 s),
/// and watches long enough to see a replacement through.
fn timed_options() -> ClusterOptions {
    ClusterOptions::default()
        .termination_delay(Duration::from_millis(900))
        .replacement_delay(Duration::from_millis(200))
        .scheduling_delay(Duration::from_millis(100))
        .start_delay(Duration::from_millis(300))
        .readiness_delay(Duration::from_secs(1))
        .max_watch(Duration::from_secs(10))
}

/// A pod in one line: phase, node, Ready, whether it is terminating, and
/// each container's state (`(n)` restarts, `+ready`).
fn pod_state(pod: &Pod) -> String {
    let status = pod.status.clone().unwrap_or_default();
    let node = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_else(|| "-".into());
    let ready = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.clone())
        .unwrap_or_else(|| "-".into());
    let containers: Vec<String> = status
        .container_statuses
        .iter()
        .flatten()
        .map(|c| {
            let state = c.state.clone().unwrap_or_default();
            let mut text = if let Some(w) = state.waiting {
                format!("waiting:{}", w.reason.unwrap_or_default())
            } else if state.running.is_some() {
                "running".into()
            } else if let Some(t) = state.terminated {
                format!(
                    "terminated:{}:{}",
                    t.reason.unwrap_or_default(),
                    t.exit_code
                )
            } else {
                "-".into()
            };
            if c.restart_count > 0 {
                text.push_str(&format!("({})", c.restart_count));
            }
            if c.ready {
                text.push_str("+ready");
            }
            format!("{}={text}", c.name)
        })
        .collect();
    let deleting = if pod.metadata.deletion_timestamp.is_some() {
        " deleting"
    } else {
        ""
    };
    format!(
        "{} {node} Ready={ready}{deleting} [{}]",
        status.phase.unwrap_or_else(|| "-".into()),
        containers.join(" ")
    )
}

fn pod_event(event: &WatchEvent<Pod>) -> (String, String, String) {
    let (kind, pod) = match event {
        WatchEvent::Added(p) => ("ADDED", p),
        WatchEvent::Modified(p) => ("MODIFIED", p),
        WatchEvent::Deleted(p) => ("DELETED", p),
        other => panic!("unexpected {other:?}"),
    };
    (
        kind.to_string(),
        pod.metadata.name.clone().unwrap(),
        pod_state(pod),
    )
}

fn object_of<K>(event: &WatchEvent<K>) -> Option<&K> {
    match event {
        WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => Some(o),
        _ => None,
    }
}

/// Reads a watch until `done` holds on the events so far (bookmarks left
/// out) or the server ends it.
fn watch_until<K>(
    api: &Api<K>,
    params: WatchParams,
    version: &str,
    done: impl Fn(&[WatchEvent<K>]) -> bool + Send + 'static,
) -> tokio::task::JoinHandle<Vec<WatchEvent<K>>>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let (api, version) = (api.clone(), version.to_string());
    tokio::spawn(async move {
        let mut stream = api.watch(&params, &version).await.unwrap().boxed();
        let mut events = Vec::new();
        while let Some(event) = stream.try_next().await.unwrap() {
            if matches!(event, WatchEvent::Bookmark(_)) {
                continue;
            }
            events.push(event);
            if done(&events) {
                break;
            }
        }
        events
    })
}

/// The events of one pod, in order.
fn events_of(events: &[(String, String, String)], name: &str) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|(_, n, _)| n == name)
        .map(|(t, _, s)| (t.clone(), s.clone()))
        .collect()
}

fn step(kind: &str, state: &str) -> (String, String) {
    (kind.to_string(), state.to_string())
}

async fn resource_version<K>(api: &Api<K>) -> String
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap()
}

fn node_of(double: &KubeDouble, pod: &str) -> String {
    double.with_cluster(|c| {
        c.get::<Pod>(NS, pod)
            .unwrap()
            .spec
            .unwrap()
            .node_name
            .unwrap()
    })
}

#[tokio::test]
async fn a_deleted_pod_of_a_replica_set_is_replaced() {
    let double = KubeDouble::start(example_with(timed_options()));
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let from = resource_version(&pods).await;
    let before = double.with_cluster(|c| c.pod_names_of(NS, "factory-api"));
    let victim = before[1].clone();
    let node = node_of(&double, &victim);
    let pod_watch = {
        let params = WatchParams::default().labels("app=factory-api").timeout(8);
        let before = before.clone();
        watch_until(&pods, params, &from, move |events| {
            events.iter().any(|e| {
                matches!(e, WatchEvent::Modified(p)
                        if !before.contains(p.metadata.name.as_ref().unwrap())
                            && pod_state(p).contains("+ready"))
            })
        })
    };
    let deployment_watch = {
        let params = WatchParams::default()
            .fields("metadata.name=factory-api")
            .timeout(8);
        watch_until(&deployments, params, &from, move |events| {
            events.len() > 1
                && events
                    .last()
                    .and_then(object_of)
                    .is_some_and(|d| d.status.as_ref().unwrap().ready_replicas == Some(3))
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    pods.delete(&victim, &DeleteParams::default())
        .await
        .unwrap();

    let events: Vec<(String, String, String)> =
        pod_watch.await.unwrap().iter().map(pod_event).collect();
    let replacement = events
        .iter()
        .find(|(t, n, _)| t == "ADDED" && !before.contains(n))
        .map(|(_, n, _)| n.clone())
        .expect("a replacement");
    let (rs, suffix) = replacement.rsplit_once('-').unwrap();
    assert_eq!(rs, victim.rsplit_once('-').unwrap().0);
    assert_eq!(suffix.len(), 5);
    assert_ne!(replacement, victim);
    assert_eq!(
        events_of(&events, &victim),
        vec![
            step(
                "MODIFIED",
                &format!("Running {node} Ready=True deleting [api=running+ready]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=False deleting [api=running]")
            ),
            step(
                "MODIFIED",
                &format!("Succeeded {node} Ready=False deleting [api=terminated:Completed:0]")
            ),
            step(
                "DELETED",
                &format!("Succeeded {node} Ready=False deleting [api=terminated:Completed:0]")
            ),
        ]
    );
    // The scheduler puts it where its sibling was (the node with the
    // fewest pods of the ReplicaSet).
    assert_eq!(
        events_of(&events, &replacement),
        vec![
            step("ADDED", "Pending - Ready=- []"),
            step("MODIFIED", &format!("Pending {node} Ready=- []")),
            step(
                "MODIFIED",
                &format!("Pending {node} Ready=False [api=waiting:ContainerCreating]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=False [api=running]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=True [api=running+ready]")
            ),
        ]
    );
    // The other pods were left alone.
    assert_eq!(
        events
            .iter()
            .filter(|(_, n, _)| *n != victim && *n != replacement)
            .count(),
        0
    );

    // The Deployment controller recomputed its status at each step: one
    // replica less while the victim terminates (a terminating pod is not
    // counted), three with one not ready once the replacement exists,
    // three ready again.
    let statuses: Vec<String> = deployment_watch
        .await
        .unwrap()
        .iter()
        .filter_map(object_of)
        .map(|d| {
            let s = d.status.clone().unwrap();
            let available = s
                .conditions
                .unwrap()
                .into_iter()
                .find(|c| c.type_ == "Available")
                .unwrap();
            format!(
                "replicas={:?} updated={:?} ready={:?} available={:?} unavailable={:?} Available={}/{}",
                s.replicas,
                s.updated_replicas,
                s.ready_replicas,
                s.available_replicas,
                s.unavailable_replicas,
                available.status,
                available.reason.unwrap()
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "replicas=Some(2) updated=Some(2) ready=Some(2) available=Some(2) unavailable=Some(1) Available=False/MinimumReplicasUnavailable",
            "replicas=Some(3) updated=Some(3) ready=Some(2) available=Some(2) unavailable=Some(1) Available=False/MinimumReplicasUnavailable",
            "replicas=Some(3) updated=Some(3) ready=Some(3) available=Some(3) unavailable=None Available=True/MinimumReplicasAvailable",
        ]
    );
    let after = double.with_cluster(|c| c.pod_names_of(NS, "factory-api"));
    let mut expected: Vec<String> = before.iter().filter(|n| **n != victim).cloned().collect();
    expected.push(replacement.clone());
    expected.sort();
    assert_eq!(after, expected);
    // The new pod has a new IP on that node's range, and its own UID.
    let new_pod = pods.get(&replacement).await.unwrap();
    let status = new_pod.status.unwrap();
    let index = ["node-a", "node-b", "node-c"]
        .iter()
        .position(|n| *n == node)
        .unwrap();
    assert!(
        status
            .pod_ip
            .as_deref()
            .unwrap()
            .starts_with(&format!("10.244.{index}.")),
        "{:?}",
        status.pod_ip
    );
    assert_eq!(
        status.host_ip.as_deref(),
        Some(format!("172.18.0.{}", index + 2).as_str())
    );
    let container = &status.container_statuses.unwrap()[0];
    assert_eq!(container.started, Some(true));
    assert_eq!(container.restart_count, 0);
    assert_eq!(
        container.user.as_ref().unwrap().linux.as_ref().unwrap().uid,
        10001
    );
}

#[tokio::test]
async fn a_deleted_stateful_set_pod_comes_back_under_its_name() {
    let double = KubeDouble::start(example_with(timed_options()));
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), NS);
    let from = resource_version(&pods).await;
    let old = pods.get("postgres-1").await.unwrap();
    let node = old.spec.clone().unwrap().node_name.unwrap();
    let pod_watch = {
        let params = WatchParams::default()
            .fields("metadata.name=postgres-1")
            .timeout(8);
        watch_until(&pods, params, &from, move |events| {
            events.iter().any(|e| {
                    matches!(e, WatchEvent::Modified(p) if p.metadata.deletion_timestamp.is_none() && pod_state(p).contains("+ready"))
                })
        })
    };
    let set_watch = {
        let params = WatchParams::default()
            .fields("metadata.name=postgres")
            .timeout(8);
        watch_until(&sets, params, &from, move |events| {
            events.len() > 1
                && events
                    .last()
                    .and_then(object_of)
                    .is_some_and(|s| s.status.as_ref().unwrap().ready_replicas == Some(3))
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    pods.delete("postgres-1", &DeleteParams::default())
        .await
        .unwrap();
    let events: Vec<(String, String, String)> =
        pod_watch.await.unwrap().iter().map(pod_event).collect();
    let terminated = format!(
        "Succeeded {node} Ready=False deleting [postgres=terminated:Completed:0 exporter=terminated:Completed:0]"
    );
    assert_eq!(
        events_of(&events, "postgres-1"),
        vec![
            step(
                "MODIFIED",
                &format!(
                    "Running {node} Ready=True deleting [postgres=running+ready exporter=running+ready]"
                )
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=False deleting [postgres=running exporter=running]")
            ),
            step("MODIFIED", &terminated),
            step("DELETED", &terminated),
            // Only once the old one is gone, under the same name.
            step("ADDED", "Pending - Ready=- []"),
            step("MODIFIED", &format!("Pending {node} Ready=- []")),
            step(
                "MODIFIED",
                &format!(
                    "Pending {node} Ready=False [postgres=waiting:ContainerCreating exporter=waiting:ContainerCreating]"
                )
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=False [postgres=running exporter=running]")
            ),
            step(
                "MODIFIED",
                &format!(
                    "Running {node} Ready=True [postgres=running+ready exporter=running+ready]"
                )
            ),
        ]
    );
    let new = pods.get("postgres-1").await.unwrap();
    assert_ne!(new.metadata.uid, old.metadata.uid);
    let spec = new.spec.unwrap();
    assert_eq!(spec.hostname.as_deref(), Some("postgres-1"));
    assert_eq!(
        spec.volumes.unwrap()[0]
            .persistent_volume_claim
            .as_ref()
            .unwrap()
            .claim_name,
        "data-postgres-1"
    );
    assert_eq!(
        new.metadata.labels.unwrap()["statefulset.kubernetes.io/pod-name"],
        "postgres-1"
    );
    // The StatefulSet controller's counts: a terminating pod is still a
    // replica (and ready until its kubelet says otherwise) but neither
    // current nor updated; a Pending one is a replica.
    let counts: Vec<String> = set_watch
        .await
        .unwrap()
        .iter()
        .filter_map(object_of)
        .map(|s| {
            let s = s.status.clone().unwrap();
            format!(
                "replicas={} ready={:?} current={:?} updated={:?}",
                s.replicas, s.ready_replicas, s.current_replicas, s.updated_replicas
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            "replicas=3 ready=Some(3) current=Some(2) updated=Some(2)",
            "replicas=3 ready=Some(2) current=Some(2) updated=Some(2)",
            "replicas=2 ready=Some(2) current=Some(2) updated=Some(2)",
            "replicas=3 ready=Some(2) current=Some(3) updated=Some(3)",
            "replicas=3 ready=Some(3) current=Some(3) updated=Some(3)",
        ]
    );
}

#[tokio::test]
async fn a_deleted_daemon_set_pod_is_replaced_on_its_node_once_gone() {
    let double = KubeDouble::start(example_with(timed_options()));
    let client = double.client().await;
    let daemon_sets: Api<k8s_openapi::api::apps::v1::DaemonSet> =
        Api::namespaced(client.clone(), NS);
    let ds = serde_json::from_value(json!({
        "metadata": {"name": "node-agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "node-agent"}},
            "template": {
                "metadata": {"labels": {"app": "node-agent"}},
                "spec": {"containers": [{"name": "agent", "image": "busybox:1.36"}]}
            }
        }
    }))
    .unwrap();
    daemon_sets
        .create(&PostParams::default(), &ds)
        .await
        .unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let before = double.with_cluster(|c| c.pod_names_of(NS, "node-agent"));
    assert_eq!(before.len(), 3);
    let victim = before
        .iter()
        .find(|p| node_of(&double, p) == "node-c")
        .unwrap()
        .clone();
    let from = resource_version(&pods).await;
    let pod_watch = {
        let params = WatchParams::default().labels("app=node-agent").timeout(8);
        watch_until(&pods, params, &from, move |events| {
            events.iter().any(|e| {
                    matches!(e, WatchEvent::Modified(p) if p.metadata.deletion_timestamp.is_none() && pod_state(p).contains("+ready"))
                })
        })
    };
    let ds_watch = {
        let params = WatchParams::default()
            .fields("metadata.name=node-agent")
            .timeout(8);
        watch_until(&daemon_sets, params, &from, move |events| {
            events.len() > 1
                && events
                    .last()
                    .and_then(object_of)
                    .is_some_and(|d| d.status.as_ref().unwrap().number_ready == 3)
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    pods.delete(&victim, &DeleteParams::default())
        .await
        .unwrap();
    let events: Vec<(String, String, String)> =
        pod_watch.await.unwrap().iter().map(pod_event).collect();
    let replacement = events
        .iter()
        .find(|(t, _, _)| t == "ADDED")
        .map(|(_, n, _)| n.clone())
        .unwrap();
    let terminated = "Succeeded node-c Ready=False deleting [agent=terminated:Completed:0]";
    // The DaemonSet (no surge) waits until the node has no pod of the set
    // left; the replacement is pinned to the node by its affinity and
    // ready at once (no readiness probe).
    assert_eq!(
        events
            .iter()
            .map(|(t, n, s)| (t.clone(), n == &victim, s.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                "MODIFIED".to_string(),
                true,
                "Running node-c Ready=True deleting [agent=running+ready]".to_string()
            ),
            (
                "MODIFIED".to_string(),
                true,
                "Running node-c Ready=False deleting [agent=running]".to_string()
            ),
            ("MODIFIED".to_string(), true, terminated.to_string()),
            ("DELETED".to_string(), true, terminated.to_string()),
            (
                "ADDED".to_string(),
                false,
                "Pending - Ready=- []".to_string()
            ),
            (
                "MODIFIED".to_string(),
                false,
                "Pending node-c Ready=- []".to_string()
            ),
            (
                "MODIFIED".to_string(),
                false,
                "Pending node-c Ready=False [agent=waiting:ContainerCreating]".to_string()
            ),
            (
                "MODIFIED".to_string(),
                false,
                "Running node-c Ready=True [agent=running+ready]".to_string()
            ),
        ]
    );
    let new = pods.get(&replacement).await.unwrap();
    assert_eq!(
        json_of(&new.spec.unwrap().affinity.unwrap()),
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-c"]}]}
        ]}}})
    );
    let counts: Vec<String> = ds_watch
        .await
        .unwrap()
        .iter()
        .filter_map(object_of)
        .map(|d| {
            let s = d.status.clone().unwrap();
            format!(
                "desired={} current={} ready={} available={:?} unavailable={:?}",
                s.desired_number_scheduled,
                s.current_number_scheduled,
                s.number_ready,
                s.number_available,
                s.number_unavailable
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            "desired=3 current=3 ready=2 available=Some(2) unavailable=Some(1)",
            "desired=3 current=2 ready=2 available=Some(2) unavailable=Some(1)",
            "desired=3 current=3 ready=2 available=Some(2) unavailable=Some(1)",
            "desired=3 current=3 ready=3 available=Some(3) unavailable=None",
        ]
    );
}

#[tokio::test]
async fn replacements_of_a_broken_workload_crash_loop_and_never_become_ready() {
    let mut cluster = example_with(timed_options());
    cluster.crash_loop_new_pods(NS, "factory-api");
    let double = KubeDouble::start(cluster);
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let before = double.with_cluster(|c| c.pod_names_of(NS, "factory-api"));
    let from = resource_version(&pods).await;
    let watch = {
        let params = WatchParams::default().labels("app=factory-api").timeout(8);
        watch_until(&pods, params, &from, move |events| {
            events
                .iter()
                .any(|e| object_of(e).is_some_and(|p| pod_state(p).contains("CrashLoopBackOff")))
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    pods.delete(&before[0], &DeleteParams::default())
        .await
        .unwrap();
    let events: Vec<(String, String, String)> =
        watch.await.unwrap().iter().map(pod_event).collect();
    let replacement = events
        .iter()
        .find(|(t, _, _)| t == "ADDED")
        .map(|(_, n, _)| n.clone())
        .unwrap();
    let node = node_of(&double, &replacement);
    assert_eq!(
        events_of(&events, &replacement),
        vec![
            step("ADDED", "Pending - Ready=- []"),
            step("MODIFIED", &format!("Pending {node} Ready=- []")),
            step(
                "MODIFIED",
                &format!("Pending {node} Ready=False [api=waiting:ContainerCreating]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=False [api=running]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=False [api=terminated:Error:1]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=False [api=waiting:CrashLoopBackOff(1)]")
            ),
        ]
    );
    let pod = pods.get(&replacement).await.unwrap();
    let uid = pod.metadata.uid.clone().unwrap();
    let status = pod.status.unwrap();
    let container = &status.container_statuses.as_ref().unwrap()[0];
    let waiting = container.state.as_ref().unwrap().waiting.as_ref().unwrap();
    assert_eq!(
        waiting.message.as_deref(),
        Some(
            format!("back-off 10s restarting failed container=api pod={replacement}_{NS}({uid})")
                .as_str()
        )
    );
    let last = container
        .last_state
        .as_ref()
        .unwrap()
        .terminated
        .as_ref()
        .unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (1, Some("Error")));
    assert_eq!(container.started, Some(false));
    let ready = status
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .unwrap();
    assert_eq!(
        (
            ready.status.as_str(),
            ready.reason.as_deref(),
            ready.message.as_deref()
        ),
        (
            "False",
            Some("ContainersNotReady"),
            Some("containers with unready status: [api]")
        )
    );
    let deployment = Api::<Deployment>::namespaced(client.clone(), NS)
        .get("factory-api")
        .await
        .unwrap()
        .status
        .unwrap();
    assert_eq!(
        (
            deployment.replicas,
            deployment.ready_replicas,
            deployment.available_replicas,
            deployment.unavailable_replicas
        ),
        (Some(3), Some(2), Some(2), Some(1))
    );
}

#[tokio::test]
async fn pods_created_through_the_api_are_scheduled_run_and_deleted_for_good() {
    let double = KubeDouble::start(example_with(timed_options()));
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let from = resource_version(&pods).await;
    // The scheduler picks the node with the fewest pods.
    let node = double.with_cluster(|c| {
        let pods = c.list::<Pod>("");
        ["node-a", "node-b", "node-c"]
            .into_iter()
            .min_by_key(|n| {
                pods.iter()
                    .filter(|p| p.spec.as_ref().unwrap().node_name.as_deref() == Some(*n))
                    .count()
            })
            .unwrap()
            .to_string()
    });
    let watch = {
        let params = WatchParams::default()
            .fields("metadata.name=debug")
            .timeout(8);
        watch_until(&pods, params, &from, move |events| {
            matches!(events.last(), Some(WatchEvent::Deleted(_)))
        })
    };
    let debug: Pod = serde_json::from_value(json!({
        "metadata": {"name": "debug", "labels": {"purpose": "debug"}},
        "spec": {"containers": [{"name": "shell", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &debug).await.unwrap();
    assert!(double.wait_until(Duration::from_secs(3), |c| {
        c.get::<Pod>(NS, "debug")
            .is_some_and(|p| pod_state(&p).contains("+ready"))
    }));
    pods.delete("debug", &DeleteParams::default())
        .await
        .unwrap();
    let events: Vec<(String, String)> = watch
        .await
        .unwrap()
        .iter()
        .map(pod_event)
        .map(|(t, _, s)| (t, s))
        .collect();
    let terminated =
        format!("Succeeded {node} Ready=False deleting [shell=terminated:Completed:0]");
    assert_eq!(
        events,
        vec![
            step("ADDED", "Pending - Ready=- []"),
            step("MODIFIED", &format!("Pending {node} Ready=- []")),
            step(
                "MODIFIED",
                &format!("Pending {node} Ready=False [shell=waiting:ContainerCreating]")
            ),
            // No readiness probe: ready as soon as it runs.
            step(
                "MODIFIED",
                &format!("Running {node} Ready=True [shell=running+ready]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=True deleting [shell=running+ready]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=False deleting [shell=running]")
            ),
            step("MODIFIED", &terminated),
            step("DELETED", &terminated),
        ]
    );
    // Nobody replaces a bare pod.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status_of(pods.get("debug").await).code, 404);
    assert!(
        pods.list(&ListParams::default().labels("purpose=debug"))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A readiness probe holds Ready back; a node selector nothing matches
    // leaves the pod unschedulable.
    let probed: Pod = serde_json::from_value(json!({
        "metadata": {"name": "probed"},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
            "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &probed).await.unwrap();
    assert!(double.wait_until(Duration::from_secs(2), |c| {
        c.get::<Pod>(NS, "probed")
            .is_some_and(|p| pod_state(&p).starts_with("Running"))
    }));
    let running = pods.get("probed").await.unwrap();
    assert!(
        pod_state(&running).ends_with("Ready=False [web=running]"),
        "{}",
        pod_state(&running)
    );
    assert!(double.wait_until(Duration::from_secs(3), |c| {
        c.get::<Pod>(NS, "probed")
            .is_some_and(|p| pod_state(&p).ends_with("Ready=True [web=running+ready]"))
    }));
    let stranded: Pod = serde_json::from_value(json!({
        "metadata": {"name": "stranded"},
        "spec": {"nodeSelector": {"kubernetes.io/hostname": "node-z"},
                 "containers": [{"name": "c", "image": "busybox:1.36"}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &stranded)
        .await
        .unwrap();
    assert!(double.wait_until(Duration::from_secs(2), |c| {
        c.get::<Pod>(NS, "stranded")
            .is_some_and(|p| p.status.unwrap().conditions.is_some())
    }));
    let status = pods.get("stranded").await.unwrap().status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Pending"));
    let scheduled = &status.conditions.unwrap()[0];
    assert_eq!(
        (
            scheduled.type_.as_str(),
            scheduled.status.as_str(),
            scheduled.reason.as_deref(),
            scheduled.message.as_deref()
        ),
        (
            "PodScheduled",
            "False",
            Some("Unschedulable"),
            Some(
                "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
            )
        )
    );
}

/// A network probe pod as golive makes it: the source pods' labels plus
/// the probe label, one container listing its targets.
fn probe_pod(labels: &Value, targets: &[String], node: Option<&str>) -> Pod {
    let mut labels = labels.clone();
    labels["golive.dev/probe"] = json!("network");
    let mut pod = json!({
        "metadata": {"generateName": "golive-probe-", "labels": labels},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "probe",
                "image": "busybox:1.36",
                "command": ["sh", "-c", "for t in $GOLIVE_TARGETS; do if nc -z -w 2 \"${t%:*}\" \"${t##*:}\"; then echo \"open $t\"; else echo \"closed $t\"; fi; done"],
                "env": [{"name": "GOLIVE_TARGETS", "value": targets.join(" ")}]
            }]
        }
    });
    if let Some(node) = node {
        pod["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": node});
    }
    serde_json::from_value(pod).unwrap()
}

/// `IP:PORT` of the first pod of a workload.
fn target(double: &KubeDouble, namespace: &str, workload: &str, port: u16) -> String {
    double.with_cluster(|c| {
        let pod = &c.pods_of(namespace, workload)[0];
        format!(
            "{}:{port}",
            pod.status.as_ref().unwrap().pod_ip.as_deref().unwrap()
        )
    })
}

fn labels_of_pods(double: &KubeDouble, namespace: &str, workload: &str) -> Value {
    double.with_cluster(|c| {
        let mut labels = json_of(&c.pods_of(namespace, workload)[0].metadata.labels);
        labels.as_object_mut().unwrap().remove("pod-template-hash");
        labels
    })
}

fn succeeded(double: &KubeDouble, namespace: &str, names: &[String]) -> bool {
    double.wait_until(Duration::from_secs(5), |c| {
        names.iter().all(|n| {
            c.get::<Pod>(namespace, n)
                .is_some_and(|p| pods_phase(&p) == "Succeeded")
        })
    })
}

fn pods_phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn network_probe_pods_report_what_the_policies_allow() {
    let options = timed_options()
        .scheduling_delay(Duration::from_millis(400))
        .start_delay(Duration::from_millis(400));
    let double = KubeDouble::start(example_with(options));
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let postgres = target(&double, NS, "postgres", 5432);
    let redis = target(&double, NS, "redis", 6379);
    let api = target(&double, NS, "factory-api", 3000);
    let admin = target(&double, NS, "admin-web", 8080);
    let postgres_redis_port = target(&double, NS, "postgres", 6379);
    let targets = vec![
        postgres.clone(),
        redis.clone(),
        api.clone(),
        admin.clone(),
        postgres_redis_port.clone(),
        "10.250.0.9:80".to_string(),
        "nonsense".to_string(),
    ];
    let from = resource_version(&pods).await;
    let watch = {
        let params = WatchParams::default()
            .labels("golive.dev/probe=network,app=worker")
            .timeout(8);
        watch_until(&pods, params, &from, move |events| {
            events
                .iter()
                .any(|e| object_of(e).is_some_and(|p| pods_phase(p) == "Succeeded"))
        })
    };
    let worker = pods
        .create(
            &PostParams::default(),
            &probe_pod(&labels_of_pods(&double, NS, "worker"), &targets, None),
        )
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    // Not bound to a node yet: no log, and no error.
    assert_eq!(pods.logs(&worker, &Default::default()).await.unwrap(), "");
    assert!(double.wait_until(Duration::from_secs(2), |c| {
        c.get::<Pod>(NS, &worker)
            .is_some_and(|p| p.spec.unwrap().node_name.is_some())
    }));
    let error = status_of(pods.logs(&worker, &Default::default()).await);
    assert_eq!(
        (error.code, error.reason.as_str(), error.message.as_str()),
        (
            400,
            "BadRequest",
            format!(
                "container \"probe\" in pod \"{worker}\" is waiting to start: ContainerCreating"
            )
            .as_str()
        )
    );
    let api_probe = pods
        .create(
            &PostParams::default(),
            &probe_pod(
                &labels_of_pods(&double, NS, "factory-api"),
                &[postgres.clone(), redis.clone(), admin.clone(), api.clone()],
                None,
            ),
        )
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    let events: Vec<(String, String)> = watch
        .await
        .unwrap()
        .iter()
        .map(pod_event)
        .map(|(t, _, s)| (t, s))
        .collect();
    let node = node_of(&double, &worker);
    assert_eq!(
        events,
        vec![
            step("ADDED", "Pending - Ready=- []"),
            step("MODIFIED", &format!("Pending {node} Ready=- []")),
            step(
                "MODIFIED",
                &format!("Pending {node} Ready=False [probe=waiting:ContainerCreating]")
            ),
            step(
                "MODIFIED",
                &format!("Running {node} Ready=True [probe=running+ready]")
            ),
            step(
                "MODIFIED",
                &format!("Succeeded {node} Ready=False [probe=terminated:Completed:0]")
            ),
        ]
    );
    // The worker talks to PostgreSQL and Redis only; nothing listens on
    // 6379 of a PostgreSQL pod, nor anywhere on 10.250.0.9.
    assert_eq!(
        pods.logs(&worker, &Default::default()).await.unwrap(),
        format!(
            "open {postgres}\nopen {redis}\nclosed {api}\nclosed {admin}\nclosed {postgres_redis_port}\nclosed 10.250.0.9:80\nclosed nonsense\n"
        )
    );
    assert!(succeeded(&double, NS, std::slice::from_ref(&api_probe)));
    let params = kube::api::LogParams {
        container: Some("probe".into()),
        ..Default::default()
    };
    // The API talks to PostgreSQL and Redis; the admin front end accepts
    // only the ingress controller, the API only it and Prometheus.
    assert_eq!(
        pods.logs(&api_probe, &params).await.unwrap(),
        format!("open {postgres}\nopen {redis}\nclosed {admin}\nclosed {api}\n")
    );
    let succeeded_pod = pods.get(&api_probe).await.unwrap();
    let conditions: Vec<(String, String, Option<String>)> = succeeded_pod
        .status
        .unwrap()
        .conditions
        .unwrap()
        .into_iter()
        .map(|c| (c.type_, c.status, c.reason))
        .collect();
    let row =
        |t: &str, s: &str, r: Option<&str>| (t.to_string(), s.to_string(), r.map(String::from));
    assert_eq!(
        conditions,
        vec![
            row("PodReadyToStartContainers", "False", None),
            row("Initialized", "True", Some("PodCompleted")),
            row("Ready", "False", Some("PodCompleted")),
            row("ContainersReady", "False", Some("PodCompleted")),
            row("PodScheduled", "True", None),
        ]
    );

    // Reading a log is `get` on `pods/log`.
    let logs: Vec<String> = double
        .requests()
        .iter()
        .filter(|r| r.info.subresource == "log")
        .map(|r| r.summary())
        .collect();
    assert_eq!(
        logs,
        [
            format!("get pods/log {NS}/{worker} -> 200"),
            format!("get pods/log {NS}/{worker} -> 400"),
            format!("get pods/log {NS}/{worker} -> 200"),
            format!("get pods/log {NS}/{api_probe} -> 200"),
        ]
    );
    // golive's clean-up: gone at once, answered with the pod.
    double.clear_requests();
    for name in [&worker, &api_probe] {
        let answer = pods
            .delete(name, &DeleteParams::background().grace_period(0))
            .await
            .unwrap();
        let pod = answer.left().expect("a deleted pod answers with the pod");
        assert_eq!(pod.metadata.name.as_deref(), Some(name.as_str()));
        assert_eq!(pod.metadata.deletion_timestamp, None);
        assert_eq!(status_of(pods.get(name).await).code, 404);
    }
    let logged: Vec<String> = double.requests().iter().map(|r| r.summary()).collect();
    assert_eq!(
        logged,
        vec![
            format!("delete pods {NS}/{worker} -> 200"),
            format!("get pods {NS}/{worker} -> 404"),
            format!("delete pods {NS}/{api_probe} -> 200"),
            format!("get pods {NS}/{api_probe} -> 404"),
        ]
    );
}

#[tokio::test]
async fn a_cni_without_network_policy_support_lets_everything_through() {
    let double = KubeDouble::start(example_with(
        timed_options().network_policies_enforced(false),
    ));
    let pods: Api<Pod> = Api::namespaced(double.client().await, NS);
    let api = target(&double, NS, "factory-api", 3000);
    let admin = target(&double, NS, "admin-web", 8080);
    let metrics = target(&double, NS, "admin-web", 9113);
    let postgres_redis_port = target(&double, NS, "postgres", 6379);
    let probe = pods
        .create(
            &PostParams::default(),
            &probe_pod(
                &labels_of_pods(&double, NS, "worker"),
                &[
                    api.clone(),
                    admin.clone(),
                    metrics.clone(),
                    postgres_redis_port.clone(),
                ],
                None,
            ),
        )
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    assert!(succeeded(&double, NS, std::slice::from_ref(&probe)));
    // Whatever listens answers; still nothing on 6379 of PostgreSQL.
    assert_eq!(
        pods.logs(&probe, &Default::default()).await.unwrap(),
        format!("open {api}\nopen {admin}\nopen {metrics}\nclosed {postgres_redis_port}\n")
    );
}

fn deployment_document(namespace: &str, name: &str, ports: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": "busybox:1.36", "ports": ports}]}
            }
        }
    })
}

fn policy_document(namespace: &str, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    })
}

#[tokio::test]
async fn the_data_plane_evaluates_network_policies_as_a_cni_does() {
    let documents = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "shop"}}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ops", "labels": {"team": "ops"}}}),
        deployment_document(
            "shop",
            "web",
            json!([{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}]),
        ),
        deployment_document("shop", "db", json!([{"containerPort": 5432}])),
        deployment_document(
            "shop",
            "cache",
            json!([{"containerPort": 6379}, {"containerPort": 6380}, {"containerPort": 6381}]),
        ),
        deployment_document("ops", "monitor", json!([])),
        // No policyTypes: Ingress only (the API server's default).
        policy_document(
            "shop",
            "db",
            json!({"podSelector": {"matchLabels": {"app": "db"}},
                   "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                "ports": [{"port": 5432}]}]}),
        ),
        // A namespace and a pod selector in one peer, a named port; an
        // ipBlock with an exception.
        policy_document(
            "shop",
            "web-ingress",
            json!({"podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}},
                           "podSelector": {"matchLabels": {"app": "monitor"}}}],
                 "ports": [{"port": "metrics"}]},
                {"from": [{"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.2.0/24"]}}],
                 "ports": [{"protocol": "TCP", "port": 8080}]}
            ]}),
        ),
        // Egress: a port range to the cache, every port of the database.
        policy_document(
            "shop",
            "web-egress",
            json!({"podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"podSelector": {"matchLabels": {"app": "cache"}}}],
                 "ports": [{"port": 6379, "endPort": 6380}]},
                {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}]}
            ]}),
        ),
        // Two policies selecting the cache: the union of their rules.
        policy_document(
            "shop",
            "cache-from-web",
            json!({"podSelector": {"matchLabels": {"app": "cache"}},
                   "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]}),
        ),
        policy_document(
            "shop",
            "cache-from-ops",
            json!({"podSelector": {"matchLabels": {"app": "cache"}},
                   "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ops"}}}],
                                "ports": [{"protocol": "UDP", "port": 6381}, {"port": 6381}]}]}),
        ),
    ];
    let double = KubeDouble::start(Cluster::from_documents_with(documents, timed_options()));
    let client = double.client().await;
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), "shop");
    assert_eq!(
        policies.get("db").await.unwrap().spec.unwrap().policy_types,
        Some(vec!["Ingress".to_string()])
    );
    let web = |port| target(&double, "shop", "web", port);
    let db = |port| target(&double, "shop", "db", port);
    let cache = |port| target(&double, "shop", "cache", port);
    let probes = [
        // (namespace, labels, node, targets, expected)
        (
            "shop",
            json!({"app": "web"}),
            None,
            vec![
                db(5432),
                cache(6379),
                cache(6380),
                cache(6381),
                db(5433),
                web(8080),
            ],
            "open open open closed closed closed",
        ),
        (
            "ops",
            json!({"app": "monitor"}),
            Some("node-a"),
            vec![web(9090), web(8080), db(5432), cache(6379), cache(6381)],
            "open open closed closed open",
        ),
        (
            "ops",
            json!({"app": "monitor"}),
            Some("node-c"),
            vec![web(9090), web(8080)],
            "open closed",
        ),
        (
            "shop",
            json!({"app": "monitor"}),
            Some("node-a"),
            vec![web(9090), web(8080), db(5432), cache(6379)],
            "closed open closed closed",
        ),
    ];
    let mut created = Vec::new();
    for (namespace, labels, node, targets, _) in &probes {
        let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let name = pods
            .create(&PostParams::default(), &probe_pod(labels, targets, *node))
            .await
            .unwrap()
            .metadata
            .name
            .unwrap();
        created.push((namespace.to_string(), name));
    }
    for ((namespace, name), (_, _, node, targets, expected)) in created.iter().zip(&probes) {
        assert!(succeeded(&double, namespace, std::slice::from_ref(name)));
        if let Some(node) = node {
            assert_eq!(node_of_in(&double, namespace, name), *node);
        }
        let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let log = pods.logs(name, &Default::default()).await.unwrap();
        let expected: String = expected
            .split(' ')
            .zip(targets)
            .map(|(verdict, target)| format!("{verdict} {target}\n"))
            .collect();
        assert_eq!(log, expected, "{namespace}/{name} ({node:?})");
    }
}

fn node_of_in(double: &KubeDouble, namespace: &str, pod: &str) -> String {
    double.with_cluster(|c| {
        c.get::<Pod>(namespace, pod)
            .unwrap()
            .spec
            .unwrap()
            .node_name
            .unwrap()
    })
}

/// An HTTP server on 127.0.0.1 that answers every request with `body`
/// and closes the connection.
async fn http_server(body: &'static str) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    address
}

/// One HTTP request through a forwarded port; the whole answer.
async fn get_through(stream: &mut tokio::io::DuplexStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: pod\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the forwarded connection ends")
        .unwrap();
    String::from_utf8(answer).unwrap()
}

fn ok_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn port_forwards_reach_what_serves_the_pod() {
    let options = timed_options().start_delay(Duration::from_millis(600));
    let double = KubeDouble::start(example_with(options));
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let shared = http_server("every api pod").await;
    let own = http_server("the second api pod").await;
    let names = double.with_cluster(|c| c.pod_names_of(NS, "factory-api"));
    double.with_cluster(|c| {
        c.serve_port(NS, "factory-api", 3000, shared);
        c.serve_port(NS, &names[1], 3000, own);
    });

    let mut forwarder = pods.portforward(&names[0], &[3000]).await.unwrap();
    let mut stream = forwarder.take_stream(3000).unwrap();
    assert_eq!(get_through(&mut stream).await, ok_response("every api pod"));
    drop(stream);
    // No error: the port just closed (the kubelet closes the connection
    // once every port is done).
    assert_eq!(forwarder.take_error(3000).unwrap().await, None);

    // Two ports: one served, one not (containerd's refusal on its error
    // channel); a pod's own registration wins over its workload's.
    let mut forwarder = pods.portforward(&names[1], &[3000, 9999]).await.unwrap();
    let mut stream = forwarder.take_stream(3000).unwrap();
    let refused = forwarder.take_error(9999).unwrap().await.unwrap();
    let sandbox = double.with_cluster(|c| c.sandbox_id(NS, &names[1]).unwrap());
    assert_eq!(sandbox.len(), 64);
    let (head, tail) = refused.split_once("/var/run/netns/cni-").unwrap();
    assert_eq!(
        head,
        format!(
            "error forwarding port 9999 to pod {sandbox}, uid : failed to execute portforward in network namespace \""
        )
    );
    let (netns, tail) = tail.split_once('"').unwrap();
    assert_eq!(
        netns.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert_eq!(
        tail,
        format!(
            ": failed to connect to localhost:9999 inside namespace \"{sandbox}\", IPv4: dial tcp4 127.0.0.1:9999: connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found "
        )
    );
    assert_eq!(
        get_through(&mut stream).await,
        ok_response("the second api pod")
    );
    drop(stream);

    // A workload's registration covers the pods it gets later.
    let from = resource_version(&pods).await;
    pods.delete(&names[0], &DeleteParams::default())
        .await
        .unwrap();
    let known = names.clone();
    let events = watch_until(
        &pods,
        WatchParams::default().labels("app=factory-api").timeout(8),
        &from,
        move |events| {
            events.iter().any(|e| {
                matches!(e, WatchEvent::Modified(p)
                    if !known.contains(p.metadata.name.as_ref().unwrap()) && pods_phase(p) == "Running")
            })
        },
    )
    .await
    .unwrap();
    let replacement = events
        .iter()
        .filter_map(object_of)
        .map(|p| p.metadata.name.clone().unwrap())
        .find(|n| !names.contains(n))
        .unwrap();
    let mut forwarder = pods.portforward(&replacement, &[3000]).await.unwrap();
    let mut stream = forwarder.take_stream(3000).unwrap();
    assert_eq!(get_through(&mut stream).await, ok_response("every api pod"));

    // Before any upgrade: a pod that does not exist, one never scheduled,
    // one whose sandbox is gone (a completed probe).
    let error = refusal_of(pods.portforward("nope", &[80]).await);
    assert_eq!(
        (error.code, error.reason.as_str(), error.message.as_str()),
        (404, "NotFound", "pods \"nope\" not found")
    );
    let stranded: Pod = serde_json::from_value(json!({
        "metadata": {"name": "stranded"},
        "spec": {"nodeSelector": {"kubernetes.io/hostname": "node-z"},
                 "containers": [{"name": "c", "image": "busybox:1.36"}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &stranded)
        .await
        .unwrap();
    let error = refusal_of(pods.portforward("stranded", &[80]).await);
    assert_eq!(
        (error.code, error.reason.as_str(), error.message.as_str()),
        (
            400,
            "BadRequest",
            "pod stranded does not have a host assigned"
        )
    );
    let probe = pods
        .create(
            &PostParams::default(),
            &probe_pod(&json!({"app": "worker"}), &[], None),
        )
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    // Bound, its sandbox being made.
    assert!(double.wait_until(Duration::from_secs(2), |c| {
        c.get::<Pod>(NS, &probe)
            .is_some_and(|p| p.spec.unwrap().node_name.is_some())
    }));
    let error = refusal_of(pods.portforward(&probe, &[80]).await);
    assert_eq!(
        (error.code, error.message.as_str()),
        (
            500,
            format!(
                "failed to find sandboxID for pod {probe}_{NS}({})",
                double.with_cluster(|c| c.get::<Pod>(NS, &probe).unwrap().metadata.uid.unwrap())
            )
            .as_str()
        )
    );
    assert!(succeeded(&double, NS, std::slice::from_ref(&probe)));
    let error = refusal_of(pods.portforward(&probe, &[80]).await);
    assert_eq!(
        (error.code, error.message.as_str()),
        (
            500,
            "rpc error: code = Unknown desc = sandbox container is not running"
        )
    );
    let forwards: Vec<(String, String, u16)> = double
        .requests()
        .into_iter()
        .filter(|r| r.info.subresource == "portforward")
        .map(|r| (r.info.verb.clone(), r.info.name.clone(), r.status))
        .collect();
    let row = |name: &str, code: u16| ("create".to_string(), name.to_string(), code);
    assert_eq!(
        forwards,
        vec![
            row(&names[0], 101),
            row(&names[1], 101),
            row(&replacement, 101),
            row("nope", 404),
            row("stranded", 400),
            row(&probe, 500),
            row(&probe, 500),
        ]
    );
}

/// Runs a command through `pods/exec`; its stdout, stderr and final Status.
async fn exec(
    pods: &Api<Pod>,
    pod: &str,
    command: &[&str],
    params: &kube::api::AttachParams,
) -> (String, String, Value) {
    use tokio::io::AsyncReadExt;
    let mut attached = pods.exec(pod, command.to_vec(), params).await.unwrap();
    let mut stdout = attached.stdout().unwrap();
    let mut stderr = attached.stderr().unwrap();
    let status = attached.take_status().unwrap();
    let (mut out, mut err) = (String::new(), String::new());
    stdout.read_to_string(&mut out).await.unwrap();
    stderr.read_to_string(&mut err).await.unwrap();
    let status = status.await.expect("a final status");
    attached.join().await.unwrap();
    (out, err, json_of(&status))
}

fn success() -> Value {
    json!({"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Success"})
}

fn exit_code(code: i32) -> Value {
    json!({"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
           "message": format!("command terminated with non-zero exit code: command terminated with exit code {code}"),
           "reason": "NonZeroExitCode",
           "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}})
}

#[tokio::test]
async fn exec_runs_scripted_commands_in_running_containers() {
    let mut cluster =
        example_with(timed_options().image_user("docker.io/library/busybox", 65534, 65534));
    cluster.crash_loop_new_pods(NS, "worker");
    cluster.on_exec(|pod, container, argv| {
        (argv == ["cat", "/etc/os-release"]).then(|| {
            (
                format!(
                    "ID=debian\nPOD={}/{container}\n",
                    pod.metadata.name.as_deref().unwrap()
                ),
                "",
                0,
            )
                .into()
        })
    });
    cluster.on_exec(|_, _, argv| (argv == ["false"]).then(|| ("", "", 1).into()));
    let double = KubeDouble::start(cluster);
    let client = double.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let defaults = kube::api::AttachParams::default();
    let api = double.with_cluster(|c| c.pod_names_of(NS, "factory-api")[0].clone());
    for (command, stdout) in [
        (&["id", "-u"][..], "10001\n"),
        (&["id", "-g"][..], "10001\n"),
        (&["sh", "-c", "id -u"][..], "10001\n"),
        (&["id"][..], "uid=10001 gid=10001 groups=10001\n"),
    ] {
        assert_eq!(
            exec(&pods, &api, command, &defaults).await,
            (stdout.to_string(), String::new(), success()),
            "{command:?}"
        );
    }
    assert_eq!(
        exec(&pods, &api, &["whoami"], &defaults).await,
        (
            String::new(),
            "sh: whoami: not found\n".to_string(),
            exit_code(127)
        )
    );
    assert_eq!(
        exec(&pods, &api, &["cat", "/etc/os-release"], &defaults).await,
        (
            format!("ID=debian\nPOD={api}/api\n"),
            String::new(),
            success()
        )
    );
    assert_eq!(
        exec(&pods, &api, &["false"], &defaults).await,
        (String::new(), String::new(), exit_code(1))
    );
    // The user of the container asked for; the image's own user, or root.
    let admin = double.with_cluster(|c| c.pod_names_of(NS, "admin-web")[0].clone());
    assert_eq!(
        exec(
            &pods,
            &admin,
            &["id", "-u"],
            &kube::api::AttachParams::default().container("exporter")
        )
        .await
        .0,
        "101\n"
    );
    for (name, image) in [("nobody", "busybox:1.36"), ("root", "alpine:3.20")] {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": image}]}
        }))
        .unwrap();
        pods.create(&PostParams::default(), &pod).await.unwrap();
    }
    assert!(double.wait_until(Duration::from_secs(3), |c| {
        ["nobody", "root"].iter().all(|n| {
            c.get::<Pod>(NS, n)
                .is_some_and(|p| pods_phase(&p) == "Running")
        })
    }));
    assert_eq!(
        exec(&pods, "nobody", &["id", "-u"], &defaults).await.0,
        "65534\n"
    );
    assert_eq!(exec(&pods, "root", &["id", "-u"], &defaults).await.0, "0\n");

    // The API server's refusals, before any upgrade.
    let error = refusal_of(pods.exec(&admin, vec!["id"], &defaults).await);
    assert_eq!(
        (error.code, error.reason.as_str(), error.message),
        (
            400,
            "BadRequest",
            format!(
                "a container name must be specified for pod {admin}, choose one of: [nginx exporter]"
            )
        )
    );
    let error = refusal_of(
        pods.exec(
            &admin,
            vec!["id"],
            &kube::api::AttachParams::default().container("sidecar"),
        )
        .await,
    );
    assert_eq!(
        (error.code, error.message),
        (
            400,
            format!("container sidecar is not valid for pod {admin}")
        )
    );
    let error = refusal_of(pods.exec("nope", vec!["id"], &defaults).await);
    assert_eq!(
        (error.code, error.message.as_str()),
        (404, "pods \"nope\" not found")
    );

    // No running container: the kubelet's refusal, as the stream
    // translator reports it after the upgrade.
    let from = resource_version(&pods).await;
    let worker = double.with_cluster(|c| c.pod_names_of(NS, "worker")[0].clone());
    pods.delete(&worker, &DeleteParams::default())
        .await
        .unwrap();
    let events = watch_until(
        &pods,
        WatchParams::default().labels("app=worker").timeout(8),
        &from,
        move |events| {
            events
                .iter()
                .any(|e| object_of(e).is_some_and(|p| pod_state(p).contains("CrashLoopBackOff")))
        },
    )
    .await
    .unwrap();
    let crashing = events
        .iter()
        .filter_map(object_of)
        .find(|p| pod_state(p).contains("CrashLoopBackOff"))
        .unwrap()
        .metadata
        .name
        .clone()
        .unwrap();
    assert_eq!(
        exec(&pods, &crashing, &["id", "-u"], &defaults).await,
        (
            String::new(),
            String::new(),
            json!({"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
                   "message": "Internal error occurred: unable to upgrade connection: container not found (\"worker\")",
                   "reason": "InternalError",
                   "details": {"causes": [{"message": "unable to upgrade connection: container not found (\"worker\")"}]},
                   "code": 500})
        )
    );
    let execs: Vec<(String, u16)> = double
        .requests()
        .into_iter()
        .filter(|r| r.info.subresource == "exec")
        .map(|r| (r.info.verb.clone(), r.status))
        .collect();
    let mut expected = vec![("create".to_string(), 101); 10];
    expected.extend([
        ("create".to_string(), 400),
        ("create".to_string(), 400),
        ("create".to_string(), 404),
        ("create".to_string(), 101),
    ]);
    assert_eq!(execs, expected);
}

#[tokio::test]
async fn exec_frames_are_the_v5_channel_protocol() {
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let pod = double.with_cluster(|c| c.pod_names_of(NS, "redis")[0].clone());
    let frames = |uri: String| {
        let client = client.clone();
        async move {
            let request = hyper::Request::get(uri).body(Vec::new()).unwrap();
            let connection = client.connect(request).await.unwrap();
            assert!(connection.supports_stream_close(), "v5 chosen");
            let mut stream = connection.into_stream();
            let mut frames = Vec::new();
            while let Some(message) = stream.next().await {
                match message.unwrap() {
                    tokio_tungstenite::tungstenite::Message::Binary(bytes) => {
                        frames.push((bytes[0], String::from_utf8(bytes[1..].to_vec()).unwrap()))
                    }
                    tokio_tungstenite::tungstenite::Message::Close(_) => {
                        frames.push((255, "close".to_string()));
                        break;
                    }
                    _ => {}
                }
            }
            frames
        }
    };
    let frame = |channel: u8, text: &str| (channel, text.to_string());
    assert_eq!(
        frames(format!(
            "/api/v1/namespaces/{NS}/pods/{pod}/exec?command=id&command=-u&stdout=true&stderr=true"
        ))
        .await,
        vec![
            frame(1, ""),
            frame(1, "999\n"),
            frame(3, r#"{"metadata":{},"status":"Success"}"#),
            frame(255, "close")
        ]
    );
    assert_eq!(
        frames(format!(
            "/api/v1/namespaces/{NS}/pods/{pod}/exec?command=whoami&stderr=true"
        ))
        .await,
        vec![
            frame(2, ""),
            frame(2, "sh: whoami: not found\n"),
            frame(
                3,
                r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command terminated with exit code 127","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"127"}]}}"#
            ),
            frame(255, "close")
        ]
    );
}

/// A WebSocket upgrade sent by hand (offering `protocols`): the answer's
/// code, its subprotocol, and the frames received until the close, as
/// `(channel, text)` (a close is channel 255).
async fn raw_session(
    client: &kube::Client,
    uri: &str,
    protocols: &str,
    send: Vec<Vec<u8>>,
) -> (u16, String, Vec<(u8, String)>) {
    use tokio_tungstenite::tungstenite::Message;
    let request = hyper::Request::get(uri)
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("Sec-WebSocket-Protocol", protocols)
        .body(kube::client::Body::from(Vec::new()))
        .unwrap();
    let response = client.send(request).await.unwrap();
    let code = response.status().as_u16();
    let protocol = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    if code != 101 {
        let body = response.into_body().collect().await.unwrap().to_bytes();
        return (
            code,
            protocol,
            vec![(0, String::from_utf8_lossy(&body).into_owned())],
        );
    }
    assert_eq!(
        response.headers()["Sec-WebSocket-Accept"],
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    let upgraded = hyper::upgrade::on(response).await.unwrap();
    let mut socket = tokio_tungstenite::WebSocketStream::from_raw_socket(
        hyper_util::rt::TokioIo::new(upgraded),
        tokio_tungstenite::tungstenite::protocol::Role::Client,
        None,
    )
    .await;
    for frame in send {
        futures::SinkExt::send(&mut socket, Message::binary(frame))
            .await
            .unwrap();
    }
    let mut frames = Vec::new();
    while let Some(message) = socket.next().await {
        match message.unwrap() {
            Message::Binary(bytes) => {
                frames.push((bytes[0], String::from_utf8_lossy(&bytes[1..]).into_owned()))
            }
            Message::Close(_) => {
                frames.push((255, "close".to_string()));
                break;
            }
            _ => {}
        }
    }
    (code, protocol, frames)
}

#[tokio::test]
async fn streams_speak_the_kubelet_protocols_to_a_v4_client() {
    let mut cluster = example_with(timed_options());
    cluster.crash_loop_new_pods(NS, "redis");
    let double = KubeDouble::start(cluster);
    let client = double.client().await;
    let redis = double.with_cluster(|c| c.pod_names_of(NS, "redis")[0].clone());
    let exec = |pod: &str, command: &str| {
        format!("/api/v1/namespaces/{NS}/pods/{pod}/exec?command={command}&stdout=true&stderr=true")
    };
    // Without v5, the kubelet answers: containerd's exit error.
    assert_eq!(
        raw_session(&client, &exec(&redis, "whoami"), "v4.channel.k8s.io", vec![]).await,
        (
            101,
            "v4.channel.k8s.io".to_string(),
            vec![
                (1, String::new()),
                (2, "sh: whoami: not found\n".to_string()),
                (3, r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [whoami], exit code 127","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"127"}]}}"#.to_string()),
                (255, "close".to_string()),
            ]
        )
    );
    // Port forwarding: v4 (v5 is not the kubelet's), the port on the
    // first frame of both channels, the refusal on the error channel.
    let pf = format!("/api/v1/namespaces/{NS}/pods/{redis}/portforward?ports=6379");
    let (code, protocol, frames) =
        raw_session(&client, &pf, "v5.channel.k8s.io, v4.channel.k8s.io", vec![]).await;
    assert_eq!((code, protocol.as_str()), (101, "v4.channel.k8s.io"));
    let port = String::from_utf8_lossy(&6379u16.to_le_bytes()).into_owned();
    assert_eq!(frames[0], (0, port.clone()));
    assert_eq!(frames[1], (1, port));
    assert_eq!(frames[2].0, 1);
    assert!(
        frames[2]
            .1
            .starts_with("error forwarding port 6379 to pod "),
        "{frames:?}"
    );
    assert_eq!(frames[3], (255, "close".to_string()));
    assert_eq!(frames.len(), 4);
    // Data both ways on channel 0.
    let echo = http_server("pong").await;
    double.with_cluster(|c| c.serve_port(NS, "redis", 6379, echo));
    let request = b"\0GET / HTTP/1.1\r\nHost: redis\r\n\r\n".to_vec();
    let (_, _, frames) = raw_session(&client, &pf, "v4.channel.k8s.io", vec![request]).await;
    assert_eq!(
        frames[2..],
        [(0, ok_response("pong")), (255, "close".to_string())]
    );

    // A container that is not running: the kubelet's plain-text 500,
    // proxied as is.
    let from = resource_version(&Api::<Pod>::namespaced(client.clone(), NS)).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    pods.delete(&redis, &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
    let events = watch_until(
        &pods,
        WatchParams::default().labels("app=redis").timeout(8),
        &from,
        move |events| {
            events
                .iter()
                .any(|e| object_of(e).is_some_and(|p| pod_state(p).contains("CrashLoopBackOff")))
        },
    )
    .await
    .unwrap();
    let crashing = events
        .iter()
        .filter_map(object_of)
        .map(|p| p.metadata.name.clone().unwrap())
        .find(|n| *n != redis)
        .unwrap();
    assert_eq!(
        raw_session(&client, &exec(&crashing, "id"), "v4.channel.k8s.io", vec![]).await,
        (
            500,
            String::new(),
            vec![(0, "container not found (\"redis\")".to_string())]
        )
    );
}

/// A CronJob is built as a fresh one (no status, no Job); the history a
/// test gives it shows as the controllers leave it: Jobs named
/// `<cronjob>-<minutes since the epoch>` owned by the CronJob, finished
/// (`Complete`, or `Failed` with `BackoffLimitExceeded` after
/// backoffLimit + 1 pods), and the CronJob's `lastScheduleTime` and
/// `lastSuccessfulTime`, read back with the typed client.
#[tokio::test]
async fn a_cron_job_history_shows_as_its_controllers_leave_it() {
    use k8s_openapi::api::batch::v1::{CronJob, Job};
    use kube_double::CronRun;
    let double = KubeDouble::start(example());
    let client = double.client().await;
    let cron_jobs: Api<CronJob> = Api::namespaced(client.clone(), NS);
    let jobs: Api<Job> = Api::namespaced(client, NS);
    let fresh = cron_jobs.get("postgres-backup").await.unwrap();
    assert!(fresh.status.is_none_or(|s| s.last_schedule_time.is_none()));
    assert!(
        jobs.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let hour = Duration::from_secs(3600);
    let made = double.with_cluster(|c| {
        c.cron_job_ran(
            NS,
            "postgres-backup",
            &[CronRun::succeeded(26 * hour), CronRun::failed(2 * hour)],
        )
    });
    let cron_job = cron_jobs.get("postgres-backup").await.unwrap();
    let status = cron_job.status.expect("a status");
    let (scheduled, succeeded) = (
        status.last_schedule_time.expect("lastScheduleTime").0,
        status.last_successful_time.expect("lastSuccessfulTime").0,
    );
    let now = k8s_openapi::jiff::Timestamp::now();
    let hours_ago = |at: k8s_openapi::jiff::Timestamp| now.duration_since(at).as_secs() / 3600;
    assert_eq!((hours_ago(scheduled), hours_ago(succeeded)), (2, 25));
    assert_eq!(scheduled.as_second() % 60, 0, "scheduled on a whole minute");
    let listed = jobs.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(names(&listed), made);
    for job in &listed {
        let name = job.metadata.name.as_deref().unwrap();
        let minutes: i64 = name.rsplit('-').next().unwrap().parse().unwrap();
        let owner = &job.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.controller),
            ("CronJob", "postgres-backup", Some(true))
        );
        assert_eq!(Some(&owner.uid), cron_job.metadata.uid.as_ref());
        let annotations = job.metadata.annotations.as_ref().unwrap();
        let stamp = &annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"];
        let stamp: k8s_openapi::jiff::Timestamp = stamp.parse().unwrap();
        assert_eq!(stamp.as_second() / 60, minutes);
        let status = job.status.as_ref().unwrap();
        let types: Vec<&str> = status
            .conditions
            .iter()
            .flatten()
            .map(|c| c.type_.as_str())
            .collect();
        if status.succeeded == Some(1) {
            assert_eq!(types, ["SuccessCriteriaMet", "Complete"]);
            assert!(status.completion_time.is_some());
        } else {
            assert_eq!(types, ["FailureTarget", "Failed"]);
            // backoffLimit 2 in the example: three pods failed.
            assert_eq!(status.failed, Some(3));
            assert!(status.completion_time.is_none());
        }
    }
    // Their status stays as the Job controller left it when the
    // controllers run again (any change in the namespace runs them).
    double.with_cluster(|c| {
        c.modify_json("", "configmaps", NS, "factory-config", |_| {});
    });
    let again = jobs.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(
        again.iter().map(|j| j.status.clone()).collect::<Vec<_>>(),
        listed.iter().map(|j| j.status.clone()).collect::<Vec<_>>()
    );
}
