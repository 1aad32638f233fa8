//! The Secrets and ConfigMaps a pod spec names: env `valueFrom`, `envFrom`,
//! volumes (direct and projected) and image pull Secrets, each with the
//! keys it reads, whether it is optional and the field that names it, so
//! that checks can tell whether the pod will start.

use k8s_openapi::api::core::v1::KeyToPath;

use super::{ContainerRef, Workload};

/// The kind of object a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Secret,
    ConfigMap,
}

impl Source {
    pub fn kind(self) -> &'static str {
        match self {
            Source::Secret => "Secret",
            Source::ConfigMap => "ConfigMap",
        }
    }
}

/// One place a pod spec names a Secret or a ConfigMap.
#[derive(Debug)]
pub struct Reference<'a> {
    pub source: Source,
    pub name: &'a str,
    /// The keys read, each with its field path.
    pub keys: Vec<(&'a str, String)>,
    pub optional: bool,
    /// The container holding the reference (none for volumes and image
    /// pull Secrets).
    pub container: Option<&'a str>,
    /// Field path of the object's name.
    pub field: String,
}

/// Every reference of `source` objects in a workload's pod spec, containers
/// first (init, sidecar, regular, ephemeral), then volumes and image pull
/// Secrets.
pub fn references<'a>(workload: &Workload<'a>, source: Source) -> Vec<Reference<'a>> {
    let mut found: Vec<Reference<'a>> = workload
        .containers()
        .flat_map(|c| container_references(&c, source))
        .collect();
    let spec = workload.pod_spec;
    let base = workload.pod_spec_path;
    let reference = |name, keys, optional: Option<bool>, field| Reference {
        source,
        name,
        keys,
        optional: optional == Some(true),
        container: None,
        field,
    };
    for (i, volume) in spec.volumes.iter().flatten().enumerate() {
        let path = format!("{base}.volumes[{i}]");
        match source {
            Source::Secret => {
                if let Some(secret) = &volume.secret
                    && let Some(name) = secret.secret_name.as_deref()
                {
                    found.push(reference(
                        name,
                        item_keys(&secret.items, &format!("{path}.secret")),
                        secret.optional,
                        format!("{path}.secret.secretName"),
                    ));
                }
            }
            Source::ConfigMap => {
                if let Some(config_map) = &volume.config_map {
                    found.push(reference(
                        &config_map.name,
                        item_keys(&config_map.items, &format!("{path}.configMap")),
                        config_map.optional,
                        format!("{path}.configMap.name"),
                    ));
                }
            }
        }
        let sources = volume
            .projected
            .iter()
            .flat_map(|p| p.sources.iter().flatten());
        for (j, projection) in sources.enumerate() {
            let path = format!("{path}.projected.sources[{j}]");
            let named = match source {
                Source::Secret => projection
                    .secret
                    .as_ref()
                    .map(|s| (&s.name, &s.items, s.optional, "secret")),
                Source::ConfigMap => projection
                    .config_map
                    .as_ref()
                    .map(|c| (&c.name, &c.items, c.optional, "configMap")),
            };
            if let Some((name, items, optional, key)) = named {
                let path = format!("{path}.{key}");
                found.push(reference(
                    name,
                    item_keys(items, &path),
                    optional,
                    format!("{path}.name"),
                ));
            }
        }
    }
    if source == Source::Secret {
        for (i, pull) in spec.image_pull_secrets.iter().flatten().enumerate() {
            found.push(reference(
                &pull.name,
                Vec::new(),
                None,
                format!("{base}.imagePullSecrets[{i}].name"),
            ));
        }
    }
    found
}

/// The references of one container: env `secretKeyRef`/`configMapKeyRef`
/// and `envFrom` `secretRef`/`configMapRef`.
fn container_references<'a>(container: &ContainerRef<'a>, source: Source) -> Vec<Reference<'a>> {
    let c = container.container;
    let name = Some(c.name.as_str());
    let env = c.env.iter().flatten().enumerate().filter_map(|(i, var)| {
        let from = var.value_from.as_ref()?;
        let (selector_name, key, optional, field) = match source {
            Source::Secret => from
                .secret_key_ref
                .as_ref()
                .map(|s| (&s.name, &s.key, s.optional, "secretKeyRef"))?,
            Source::ConfigMap => from
                .config_map_key_ref
                .as_ref()
                .map(|s| (&s.name, &s.key, s.optional, "configMapKeyRef"))?,
        };
        let path = format!("{}.env[{i}].valueFrom.{field}", container.path);
        Some(Reference {
            source,
            name: selector_name,
            keys: vec![(key.as_str(), format!("{path}.key"))],
            optional: optional == Some(true),
            container: name,
            field: format!("{path}.name"),
        })
    });
    let env_from = c
        .env_from
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, from)| {
            let (selector_name, optional, field) = match source {
                Source::Secret => from
                    .secret_ref
                    .as_ref()
                    .map(|s| (&s.name, s.optional, "secretRef"))?,
                Source::ConfigMap => from
                    .config_map_ref
                    .as_ref()
                    .map(|s| (&s.name, s.optional, "configMapRef"))?,
            };
            Some(Reference {
                source,
                name: selector_name,
                keys: Vec::new(),
                optional: optional == Some(true),
                container: name,
                field: format!("{}.envFrom[{i}].{field}.name", container.path),
            })
        });
    env.chain(env_from).collect()
}

/// The keys a volume's `items` select, with their field paths.
fn item_keys<'a>(items: &'a Option<Vec<KeyToPath>>, path: &str) -> Vec<(&'a str, String)> {
    items
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, item)| (item.key.as_str(), format!("{path}.items[{i}].key")))
        .collect()
}
