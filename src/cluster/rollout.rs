//! A Deployment of a live cluster rolled to another pod template, as
//! `kubectl set image` and `kubectl rollout undo` do, and watched as
//! `kubectl rollout status` does until the Deployment controller reports
//! it complete: every replica updated and available, no old one left. The
//! template is the Deployment's with one container's image changed
//! (`--image`), or that of the ReplicaSet of the previous revision. A
//! rollout that reports `ProgressDeadlineExceeded` (or outlasts its
//! deadline) is undone: the template it started from is put back and
//! watched in turn. The template is written with an update (PUT) of the
//! Deployment carrying its resourceVersion, so a concurrent change is never
//! overwritten; only with `--allow-disruption` (the caller checks).

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use kube::api::{Api, ListParams, PostParams};

use super::connect::Connection;
use super::failure::Request;
use crate::stack::rollout::{Direction, Rollout};

/// How often the Deployment's status is read.
const POLL: Duration = Duration::from_millis(250);
/// The Deployment controller's default `progressDeadlineSeconds`.
const DEFAULT_PROGRESS_DEADLINE: u64 = 600;
/// How long after the progress deadline golive waits for the controller
/// to report it, and the longest rollout it watches.
const DEADLINE_GRACE: Duration = Duration::from_secs(30);
const LONGEST_WATCH: Duration = Duration::from_secs(15 * 60);
/// Writes retried on a conflict (the controller updated the object).
const CONFLICT_RETRIES: usize = 5;
/// The label the Deployment controller adds to its ReplicaSets' templates.
const TEMPLATE_HASH: &str = "pod-template-hash";
const REVISION: &str = "deployment.kubernetes.io/revision";

/// `--image DEPLOYMENT[:CONTAINER]=IMAGE`: the release an upgrade rolls a
/// Deployment to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChange {
    /// `NAME` or `NAMESPACE/NAME`.
    pub deployment: String,
    /// `None`: the Deployment's only container.
    pub container: Option<String>,
    pub image: String,
}

impl std::str::FromStr for ImageChange {
    type Err = String;

    fn from_str(text: &str) -> Result<ImageChange, String> {
        let wrong = || {
            format!(
                "--image {text:?}: expected DEPLOYMENT=IMAGE or DEPLOYMENT:CONTAINER=IMAGE (DEPLOYMENT may be NAMESPACE/NAME), e.g. factory-api=registry.company.com/factory-api:1.5"
            )
        };
        let (left, image) = text.split_once('=').ok_or_else(wrong)?;
        let (deployment, container) = match left.split_once(':') {
            Some((deployment, container)) => (deployment, Some(container.to_string())),
            None => (left, None),
        };
        if deployment.is_empty()
            || image.is_empty()
            || image.chars().any(char::is_whitespace)
            || container.as_deref().is_some_and(str::is_empty)
        {
            return Err(wrong());
        }
        Ok(ImageChange {
            deployment: deployment.to_string(),
            container,
            image: image.to_string(),
        })
    }
}

/// One Deployment of the cluster, to roll.
#[derive(Clone)]
pub struct DeploymentRollouts {
    connection: Connection,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Debug for DeploymentRollouts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "deployment {}/{}", self.namespace, self.name)
    }
}

impl DeploymentRollouts {
    pub fn new(connection: &Connection, namespace: &str, name: &str) -> DeploymentRollouts {
        DeploymentRollouts {
            connection: connection.clone(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    fn api(&self) -> Api<Deployment> {
        Api::namespaced(self.connection.client.clone(), &self.namespace)
    }

    /// The Deployment now.
    pub async fn get(&self) -> Result<Deployment, String> {
        let request = Request::new("get", "apps", "deployments", Some(&self.namespace));
        self.connection
            .call(&request, self.api().get(&self.name))
            .await
    }

    /// Its pod template now (what to put back after a scenario).
    pub async fn template(&self) -> Result<PodTemplateSpec, String> {
        Ok(template_of(&self.get().await?))
    }

    /// Writes `template` into the Deployment (an update carrying the
    /// resourceVersion read, read again on a conflict).
    async fn write(&self, template: &PodTemplateSpec) -> Result<(), String> {
        let request = Request::new("update", "apps", "deployments", Some(&self.namespace));
        for _ in 0..CONFLICT_RETRIES {
            let mut deployment = self.get().await?;
            if let Some(spec) = deployment.spec.as_mut() {
                spec.template = template.clone();
            }
            deployment.status = None;
            let (api, params) = (self.api(), PostParams::default());
            let put = api.replace(&self.name, &params, &deployment);
            match tokio::time::timeout(super::connect::REQUEST_TIMEOUT, put).await {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(kube::Error::Api(status))) if status.code == 409 => continue,
                Ok(Err(e)) => {
                    return Err(super::failure::describe(&e, &request, &self.connection));
                }
                Err(_) => return Err(format!("{request}: no answer")),
            }
        }
        Err(format!(
            "{request}: the Deployment kept changing under golive ({CONFLICT_RETRIES} conflicts)"
        ))
    }

    /// The template of the ReplicaSet of the revision before the
    /// Deployment's, as `kubectl rollout undo` takes it.
    async fn previous_template(&self, deployment: &Deployment) -> Result<PodTemplateSpec, String> {
        let current = revision(&deployment.metadata.annotations);
        let api: Api<ReplicaSet> = Api::namespaced(self.connection.client.clone(), &self.namespace);
        let request = Request::new("list", "apps", "replicasets", Some(&self.namespace));
        let uid = deployment.metadata.uid.clone().unwrap_or_default();
        let previous = self
            .connection
            .call(&request, api.list(&ListParams::default()))
            .await?
            .items
            .into_iter()
            .filter(|rs| {
                rs.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.uid == uid && o.controller == Some(true))
            })
            .filter(|rs| revision(&rs.metadata.annotations) < current)
            .max_by_key(|rs| revision(&rs.metadata.annotations))
            .ok_or_else(|| {
                format!(
                    "deployment {}/{} has no revision before {current} to roll back to",
                    self.namespace, self.name
                )
            })?;
        let mut template = previous.spec.and_then(|s| s.template).unwrap_or_default();
        if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove(TEMPLATE_HASH);
        }
        Ok(template)
    }

    /// Rolls the Deployment: to `change` (upgrade), or to its previous
    /// revision (rollback); undone when it does not complete.
    pub async fn roll(
        &self,
        direction: Direction,
        change: Option<&ImageChange>,
    ) -> Result<Rollout, String> {
        let deployment = self.get().await?;
        let before = template_of(&deployment);
        let after = match direction {
            Direction::Upgrade => {
                let change = change.ok_or_else(|| {
                    format!(
                        "say which release to upgrade deployment {}/{} to: --image {}=IMAGE",
                        self.namespace, self.name, self.name
                    )
                })?;
                with_image(&before, change)?
            }
            Direction::Rollback => self.previous_template(&deployment).await?,
        };
        if after == before {
            return Err(format!(
                "deployment {}/{} already runs {}",
                self.namespace,
                self.name,
                images(&after)
            ));
        }
        let replicas = deployment
            .spec
            .as_ref()
            .and_then(|s| s.replicas)
            .unwrap_or(1);
        let deadline = progress_deadline(&deployment);
        let started = Instant::now();
        let mut steps = vec![format!(
            "0.0 s: template of {}/{} set to {} (it was revision {})",
            self.namespace,
            self.name,
            images(&after),
            revision(&deployment.metadata.annotations)
        )];
        self.write(&after).await?;
        let watched = self.watch(started, deadline, &mut steps).await;
        let mut rollout = Rollout {
            service: format!("{}/{}", self.namespace, self.name),
            direction,
            from: images(&before),
            to: images(&after),
            replicas: usize::try_from(replicas).unwrap_or(0),
            replaced: 0,
            started,
            took: started.elapsed(),
            steps,
            halted: None,
            undone: Vec::new(),
        };
        match watched {
            Ok(replaced) => rollout.replaced = replaced,
            Err((replaced, why)) => {
                rollout.replaced = replaced;
                rollout.halted = Some(why);
                rollout.undone = vec![self.put_back(&before).await.unwrap_or_else(|e| e)];
            }
        }
        Ok(rollout)
    }

    /// Puts `template` back and watches that rollout: what was done, or
    /// why it did not complete.
    async fn put_back(&self, template: &PodTemplateSpec) -> Result<String, String> {
        let started = Instant::now();
        self.write(template)
            .await
            .map_err(|e| format!("template not put back to {}: {e}", images(template)))?;
        let deadline = self
            .get()
            .await
            .map_or(Duration::from_secs(DEFAULT_PROGRESS_DEADLINE), |d| {
                progress_deadline(&d)
            });
        match self.watch(started, deadline, &mut Vec::new()).await {
            Ok(_) => Ok(format!(
                "template put back to {}: rollout complete after {:.1} s",
                images(template),
                started.elapsed().as_secs_f64()
            )),
            Err((_, why)) => Err(format!(
                "template put back to {}, but {why}",
                images(template)
            )),
        }
    }

    /// Puts the Deployment back on `template` when it runs another, and
    /// waits until that rollout completes (after a scenario).
    pub async fn restore(&self, template: &PodTemplateSpec) -> Result<(), String> {
        if self.template().await? == *template {
            return Ok(());
        }
        self.put_back(template).await.map(|_| ())
    }

    /// Reads the Deployment every [`POLL`] until its rollout is complete
    /// (answers the old replicas replaced) or has failed (answers them and
    /// why),
    /// noting each change of its status in `steps`.
    async fn watch(
        &self,
        started: Instant,
        deadline: Duration,
        steps: &mut Vec<String>,
    ) -> Result<usize, (usize, String)> {
        let limit = (deadline + DEADLINE_GRACE).min(LONGEST_WATCH);
        let mut last = String::new();
        let mut replaced = 0;
        loop {
            let deployment = match self.get().await {
                Ok(d) => d,
                Err(e) => return Err((replaced, e)),
            };
            let progress = Progress::of(&deployment);
            replaced = progress.replaced;
            if progress.text != last {
                steps.push(format!(
                    "{:.1} s: {}",
                    started.elapsed().as_secs_f64(),
                    progress.text
                ));
                last.clone_from(&progress.text);
            }
            match progress.state {
                State::Complete => return Ok(replaced),
                State::Failed(why) => return Err((replaced, why)),
                State::Waiting if started.elapsed() >= limit => {
                    return Err((
                        replaced,
                        format!(
                            "the rollout did not complete within {} s ({})",
                            limit.as_secs(),
                            progress.text
                        ),
                    ));
                }
                State::Waiting => tokio::time::sleep(POLL).await,
            }
        }
    }
}

/// Where a rollout stands, as `kubectl rollout status` words it.
struct Progress {
    state: State,
    text: String,
    /// Replicas of the old templates gone (of the desired count).
    replaced: usize,
}

enum State {
    Waiting,
    Complete,
    Failed(String),
}

impl Progress {
    fn of(deployment: &Deployment) -> Progress {
        let desired = deployment
            .spec
            .as_ref()
            .and_then(|s| s.replicas)
            .unwrap_or(1);
        let status = deployment.status.clone().unwrap_or_default();
        let updated = status.updated_replicas.unwrap_or(0);
        let total = status.replicas.unwrap_or(0);
        let available = status.available_replicas.unwrap_or(0);
        // Old replicas gone, as many as the desired count at most.
        let replaced = (desired - (total - updated).max(0)).clamp(0, desired);
        let progress = |state, text: String| Progress {
            state,
            text,
            replaced: usize::try_from(replaced).unwrap_or(0),
        };
        if status.observed_generation < deployment.metadata.generation {
            return progress(
                State::Waiting,
                "waiting for the Deployment's spec to be observed".into(),
            );
        }
        if let Some(stuck) = status.conditions.iter().flatten().find(|c| {
            c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        }) {
            return progress(
                State::Failed(format!(
                    "the rollout exceeded its progress deadline ({}): {updated} of {desired} new replicas updated, {available} available",
                    stuck
                        .message
                        .as_deref()
                        .unwrap_or("ProgressDeadlineExceeded")
                )),
                format!("progress deadline exceeded, {updated} of {desired} new replicas updated"),
            );
        }
        let text = if updated < desired {
            format!("{updated} of {desired} new replicas updated")
        } else if total > updated {
            format!("{} old replicas pending termination", total - updated)
        } else if available < updated {
            format!("{available} of {updated} updated replicas available")
        } else {
            return progress(
                State::Complete,
                format!("complete: {updated} of {desired} replicas updated and available"),
            );
        };
        progress(State::Waiting, text)
    }
}

fn template_of(deployment: &Deployment) -> PodTemplateSpec {
    deployment
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default()
}

fn revision(annotations: &Option<std::collections::BTreeMap<String, String>>) -> i64 {
    annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn progress_deadline(deployment: &Deployment) -> Duration {
    let seconds = deployment
        .spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(DEFAULT_PROGRESS_DEADLINE);
    Duration::from_secs(seconds)
}

/// The template with the container's image changed.
fn with_image(template: &PodTemplateSpec, change: &ImageChange) -> Result<PodTemplateSpec, String> {
    let mut template = template.clone();
    let containers = template
        .spec
        .as_mut()
        .map(|s| &mut s.containers)
        .ok_or_else(|| format!("deployment {} has no pod spec", change.deployment))?;
    let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    let container = match &change.container {
        Some(name) => containers.iter_mut().find(|c| &c.name == name),
        None if containers.len() == 1 => containers.first_mut(),
        None => {
            return Err(format!(
                "deployment {} has several containers ({}): write --image {}:CONTAINER={}",
                change.deployment,
                names.join(", "),
                change.deployment,
                change.image
            ));
        }
    }
    .ok_or_else(|| {
        format!(
            "deployment {} has no container {:?} (it has {})",
            change.deployment,
            change.container.as_deref().unwrap_or_default(),
            names.join(", ")
        )
    })?;
    container.image = Some(change.image.clone());
    Ok(template)
}

/// `api=registry/x:1.5`, the images of a template's containers.
fn images(template: &PodTemplateSpec) -> String {
    template.spec.as_ref().map(images_of).unwrap_or_default()
}

/// `api=registry/x:1.5`, the images of a pod's containers, as a
/// rollout's releases are described.
pub fn images_of(spec: &PodSpec) -> String {
    spec.containers
        .iter()
        .map(|c| format!("{}={}", c.name, c.image.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_change_names_a_deployment_maybe_a_container_and_an_image() {
        let change: ImageChange = "production/factory-api:api=registry/x:1.5".parse().unwrap();
        assert_eq!(
            change,
            ImageChange {
                deployment: "production/factory-api".into(),
                container: Some("api".into()),
                image: "registry/x:1.5".into(),
            }
        );
        let change: ImageChange = "factory-api=registry/x:1.5".parse().unwrap();
        assert_eq!(change.container, None);
        for wrong in ["factory-api", "=x:1", "api=", "api:=x:1", "api=x 1"] {
            let error = wrong.parse::<ImageChange>().unwrap_err();
            assert!(error.contains("DEPLOYMENT=IMAGE"), "{wrong}: {error}");
        }
    }

    #[test]
    fn progress_reads_as_kubectl_rollout_status() {
        let deployment = |status: serde_json::Value| -> Deployment {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "api", "generation": 2},
                "spec": {"replicas": 3, "selector": {}, "template": {}},
                "status": status,
            }))
            .unwrap()
        };
        let cases = [
            (serde_json::json!({"observedGeneration": 1}), "observed"),
            (
                serde_json::json!({"observedGeneration": 2, "replicas": 4, "updatedReplicas": 1, "availableReplicas": 3}),
                "1 of 3 new replicas updated",
            ),
            (
                serde_json::json!({"observedGeneration": 2, "replicas": 4, "updatedReplicas": 3, "availableReplicas": 3}),
                "1 old replicas pending termination",
            ),
            (
                serde_json::json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 2}),
                "2 of 3 updated replicas available",
            ),
            (
                serde_json::json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}),
                "complete",
            ),
        ];
        for (status, text) in cases {
            let progress = Progress::of(&deployment(status));
            assert!(progress.text.contains(text), "{}", progress.text);
            assert_eq!(
                matches!(progress.state, State::Complete),
                text == "complete"
            );
        }
        let stuck = Progress::of(&deployment(serde_json::json!({
            "observedGeneration": 2, "replicas": 4, "updatedReplicas": 1, "availableReplicas": 3,
            "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                            "message": "ReplicaSet \"api-2\" has timed out progressing."}]
        })));
        assert!(
            matches!(&stuck.state, State::Failed(why) if why.contains("timed out progressing"))
        );
    }
}
