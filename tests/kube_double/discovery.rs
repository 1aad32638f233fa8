//! The documents of `/version` and of discovery, from the catalogue:
//! `/api` (APIVersions), `/api/v1` and `/apis/{group}/{version}`
//! (APIResourceList), `/apis` (APIGroupList), `/apis/{group}` (APIGroup),
//! and the aggregated form (`apidiscovery.k8s.io/v2`
//! APIGroupDiscoveryList) that `Discovery::run_aggregated` asks for.

use serde_json::{Value, json};

use super::names::fnv64a;
use super::resources::{Catalog, ResourceType};

/// `GET /version` of a 1.33.0 API server.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "emulationMajor": "1",
        "emulationMinor": "33",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "32",
        "gitVersion": "v1.33.0",
        "gitCommit": "60a317eadfcb839692a68eab88b2096f4d708f4f",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T13:07:55Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `GET /api`.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group_version(group: &str, version: &str) -> Value {
    json!({"groupVersion": format!("{group}/{version}"), "version": version})
}

fn api_group(group: &str, versions: &[String]) -> Value {
    json!({
        "name": group,
        "versions": versions.iter().map(|v| group_version(group, v)).collect::<Vec<_>>(),
        "preferredVersion": group_version(group, &versions[0]),
    })
}

/// `GET /apis`.
pub fn group_list(catalog: &Catalog) -> Value {
    let groups: Vec<Value> = catalog
        .groups()
        .iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, versions)| api_group(g, versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`, if the group is served.
pub fn group(catalog: &Catalog, name: &str) -> Option<Value> {
    let groups = catalog.groups();
    let versions = groups.get(name).filter(|_| !name.is_empty())?;
    let mut document = api_group(name, versions);
    document["kind"] = json!("APIGroup");
    document["apiVersion"] = json!("v1");
    Some(document)
}

/// A stable 8-byte hash, base64, like `storageVersionHash`.
fn storage_version_hash(t: &ResourceType) -> String {
    use base64::Engine as _;
    let hash = fnv64a(format!("{}/{}/{}", t.group, t.version, t.kind).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(hash.to_be_bytes())
}

fn resource_rows(t: &ResourceType) -> Vec<Value> {
    let mut row = json!({
        "name": t.plural,
        "singularName": t.singular,
        "namespaced": t.namespaced,
        "kind": t.kind,
        "verbs": t.verbs,
        "storageVersionHash": storage_version_hash(t),
    });
    if !t.short_names.is_empty() {
        row["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        row["categories"] = json!(t.categories);
    }
    let mut rows = vec![row];
    for s in &t.subresources {
        let mut sub = json!({
            "name": format!("{}/{}", t.plural, s.name),
            "singularName": "",
            "namespaced": t.namespaced,
            "kind": s.kind,
            "verbs": s.verbs,
        });
        if s.group != t.group || s.version != t.version {
            sub["group"] = json!(s.group);
            sub["version"] = json!(s.version);
        }
        rows.push(sub);
    }
    rows
}

/// `GET /api/v1` or `/apis/{group}/{version}`, if served.
pub fn resource_list(catalog: &Catalog, group: &str, version: &str) -> Option<Value> {
    let types = catalog.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut sorted = types;
    sorted.sort_by(|a, b| a.plural.cmp(&b.plural));
    let resources: Vec<Value> = sorted.into_iter().flat_map(resource_rows).collect();
    Some(if group.is_empty() {
        // The core list has no apiVersion, as on the real server.
        json!({"kind": "APIResourceList", "groupVersion": version, "resources": resources})
    } else {
        json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": format!("{group}/{version}"),
            "resources": resources,
        })
    })
}

fn aggregated_resource(t: &ResourceType) -> Value {
    let mut row = json!({
        "resource": t.plural,
        "responseKind": {"group": t.group, "version": t.version, "kind": t.kind},
        "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": t.singular,
        "verbs": t.verbs,
    });
    if !t.short_names.is_empty() {
        row["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        row["categories"] = json!(t.categories);
    }
    if !t.subresources.is_empty() {
        row["subresources"] = json!(
            t.subresources
                .iter()
                .map(|s| json!({
                    "subresource": s.name,
                    "responseKind": {"group": s.group, "version": s.version, "kind": s.kind},
                    "verbs": s.verbs,
                }))
                .collect::<Vec<_>>()
        );
    }
    row
}

/// Aggregated discovery of `/api` (`core` true) or `/apis`.
pub fn aggregated(catalog: &Catalog, core: bool) -> Value {
    let items: Vec<Value> = catalog
        .groups()
        .iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let mut types = catalog.in_group_version(g, v);
                    types.sort_by(|a, b| a.plural.cmp(&b.plural));
                    json!({
                        "version": v,
                        "resources": types.into_iter().map(aggregated_resource).collect::<Vec<_>>(),
                        "freshness": "Current",
                    })
                })
                .collect();
            let mut metadata = json!({"creationTimestamp": null});
            if !g.is_empty() {
                metadata["name"] = json!(g);
            }
            json!({"metadata": metadata, "versions": versions})
        })
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

/// The Content-Type of an aggregated discovery answer.
pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
