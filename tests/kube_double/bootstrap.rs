//! What a cluster has before anything is applied — the system namespaces,
//! the nodes (Ready, labelled with hostname, zone and OS), the `kubernetes`
//! Service — and what the controllers put in every namespace: the
//! `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap. Also the
//! CustomResourceDefinition that serves a custom kind.

use serde_json::{Value, json};

use super::cluster::Cluster;
use super::controllers::resource;
use super::names::format_time;

/// What a new cluster has before anything is applied.
pub fn bootstrap(cluster: &mut Cluster) {
    let namespaces = resource(cluster, "", "namespaces");
    for name in ["default", "kube-node-lease", "kube-public", "kube-system"] {
        cluster
            .create_json(
                &namespaces,
                "",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
                false,
            )
            .expect("a system namespace");
    }
    let nodes = resource(cluster, "", "nodes");
    for (i, node) in cluster.options.nodes.clone().iter().enumerate() {
        let document = node_document(cluster, i, &node.name, &node.zone);
        cluster
            .create_json(&nodes, "", document, false)
            .expect("a node");
    }
    let services = resource(cluster, "", "services");
    cluster
        .create_json(
            &services,
            "default",
            json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}
            }),
            false,
        )
        .expect("the kubernetes Service");
}

pub(super) fn node_ip(index: usize) -> String {
    format!("172.18.0.{}", index + 2)
}

fn node_document(cluster: &Cluster, index: usize, name: &str, zone: &str) -> Value {
    let at = format_time(cluster.born);
    let condition = |type_: &str, status: &str, reason: &str, message: &str| {
        json!({"type": type_, "status": status, "reason": reason, "message": message,
               "lastHeartbeatTime": at, "lastTransitionTime": at})
    };
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "topology.kubernetes.io/region": "region-1",
                "topology.kubernetes.io/zone": zone,
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {
            "podCIDR": format!("10.244.{index}.0/24"),
            "podCIDRs": [format!("10.244.{index}.0/24")],
            "providerID": format!("double://{name}"),
        },
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": node_ip(index)},
                {"type": "Hostname", "address": name},
            ],
            "allocatable": {"cpu": "4", "ephemeral-storage": "100Gi", "memory": "16Gi", "pods": "110"},
            "capacity": {"cpu": "4", "ephemeral-storage": "100Gi", "memory": "16Gi", "pods": "110"},
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": format!("{:08x}-0000-4000-8000-{:012x}", index + 1, index + 1),
                "containerRuntimeVersion": "containerd://2.0.5",
                "kernelVersion": "6.1.0-31-amd64",
                "kubeProxyVersion": "",
                "kubeletVersion": "v1.33.0",
                "machineID": format!("{:032x}", index + 1),
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": format!("00000000-0000-0000-0000-{:012x}", index + 1),
            },
        },
    })
}

/// The CustomResourceDefinition that serves a custom kind.
pub fn crd_document(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
) -> Value {
    let singular = kind.to_lowercase();
    let names = json!({"kind": kind, "listKind": format!("{kind}List"), "plural": plural, "singular": singular});
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "names": names,
            "scope": if namespaced { "Namespaced" } else { "Cluster" },
            "versions": [{
                "name": version, "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
            }],
        },
        "status": {
            "acceptedNames": names,
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found"},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
            ],
            "storedVersions": [version],
        },
    })
}

pub(super) fn populate_namespace(cluster: &mut Cluster, namespace: &str) {
    let accounts = resource(cluster, "", "serviceaccounts");
    let _ = cluster.create_json(
        &accounts,
        namespace,
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}),
        false,
    );
    let config_maps = resource(cluster, "", "configmaps");
    let ca = cluster.pki.ca_pem.clone();
    let _ = cluster.create_json(
        &config_maps,
        namespace,
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {
                "name": "kube-root-ca.crt",
                "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}
            },
            "data": {"ca.crt": ca}
        }),
        false,
    );
}
