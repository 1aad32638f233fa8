//! The image family: every container (init, native sidecar and regular, in
//! every kind of workload) runs a known version of its image, and every
//! node pulls that same version. Image references are split as container
//! runtimes split them (`registry:5000/team/app` has no tag: that colon
//! belongs to the registry host) and pull policies are defaulted as the API
//! server defaults them. Containers without an image (a workload template
//! whose image a deployment tool fills in) are not evaluated.

use super::{Check, CheckMeta, Difference, INVENTORY, Rule, Severity, Violation};

/// The image family, in catalogue order.
pub static CHECKS: &[&Check] = &[&TAG, &PULL_POLICY];

pub static TAG: Check = Check {
    meta: CheckMeta {
        id: "image.tag",
        title: "Every container image is pinned to a version",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-SEC-07"],
        needs: INVENTORY,
        rationale: "An image without a tag, or tagged latest, changes whenever someone pushes: a pod rescheduled \
                    tomorrow runs code nobody reviewed or tested, replicas run different versions, and rolling \
                    back to \"the previous version\" is impossible.",
        remediation: "Reference every image by a version tag (registry.company.com/api:1.4.2) or, better, by \
                      digest (registry.company.com/api:1.4.2@sha256:...).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in scope.containers() {
            let Some(image) = image_of(container.container.image.as_deref()) else {
                continue;
            };
            evaluation.evaluated();
            if let Some(found) = image.mutability() {
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    "image",
                    "a version tag other than latest, or a digest",
                    found.to_string(),
                ));
            }
        }
    }),
};

pub static PULL_POLICY: Check = Check {
    meta: CheckMeta {
        id: "image.pull-policy",
        title: "Every image pull policy fits its tag",
        judges: "container",
        severity: Severity::Medium,
        checklist: &["GL-SEC-07"],
        needs: INVENTORY,
        rationale: "With imagePullPolicy Never, a node that does not already hold the image cannot start the pod; \
                    with IfNotPresent on a latest or missing tag, each node runs whichever version it pulled last, \
                    so replicas silently differ.",
        remediation: "Leave imagePullPolicy unset (Kubernetes picks Always for latest and IfNotPresent for a \
                      version tag), or set IfNotPresent with a pinned tag or digest; never Never.",
        differences: &[
            Difference {
                peer: "kube-score",
                because: "it accepts the API server's default for a pinned tag (IfNotPresent, imagePullPolicy left \
                          unset): a pinned version does not change on the registry, and pulling it at every start \
                          only adds a registry dependency. kube-score asks for Always on every image.",
            },
            Difference {
                peer: "polaris",
                because: "it judges the pod the API server stores: an image without a tag (or tagged latest) \
                          whose imagePullPolicy is left unset gets Always (Kubernetes defaulting), so Polaris's \
                          pullPolicyNotAlways failures, untagged images without a policy, pull at every start \
                          for golive.",
            },
            Difference {
                peer: "checkov",
                because: "it accepts IfNotPresent, set or defaulted by the API server, for an image pinned to a \
                          version tag: the version does not change on the registry. Checkov's CKV_K8S_15 asks \
                          for Always unless the image is pinned by digest.",
            },
        ],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in scope.containers() {
            let Some(image) = image_of(container.container.image.as_deref()) else {
                continue;
            };
            evaluation.evaluated();
            let explicit = container.container.image_pull_policy.as_deref();
            let policy = explicit.unwrap_or_else(|| image.default_pull_policy());
            let found = match (policy, image.mutability()) {
                ("Never", _) => {
                    "imagePullPolicy Never: nodes without the image cannot start the pod"
                        .to_string()
                }
                ("IfNotPresent", Some(mutable)) => format!(
                    "imagePullPolicy IfNotPresent with {mutable}: each node runs the version it cached"
                ),
                _ => continue,
            };
            evaluation.report(Violation::on_container(
                &workload,
                &container,
                "imagePullPolicy",
                "Always, or IfNotPresent with a pinned tag or digest",
                found,
            ));
        }
    }),
};

/// The parts of an image reference that say which version runs.
#[derive(Debug, PartialEq, Eq)]
struct ImageRef<'a> {
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

/// The reference of a container's image, unless it has none.
fn image_of(image: Option<&str>) -> Option<ImageRef<'_>> {
    image
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(ImageRef::parse)
}

impl<'a> ImageRef<'a> {
    /// Splits `[host[:port]/]path[:tag][@digest]`: the tag is after the
    /// last colon of the last path component, so a registry port is never
    /// taken for a tag.
    fn parse(image: &'a str) -> ImageRef<'a> {
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (image, None),
        };
        let last_component = name.rsplit('/').next().unwrap_or(name);
        let tag = last_component.split_once(':').map(|(_, tag)| tag);
        ImageRef { tag, digest }
    }

    /// Why the reference can point at different images over time, or
    /// `None` when it is pinned (a version tag, or a digest).
    fn mutability(&self) -> Option<&'static str> {
        match (self.digest, self.tag) {
            (Some(_), _) => None,
            (None, None) => Some("no tag (pulls :latest)"),
            (None, Some("latest")) => Some("tag latest"),
            (None, Some(_)) => None,
        }
    }

    /// The API server's default: Always when the tag is latest, or when
    /// there is neither tag nor digest (the runtime then pulls latest);
    /// IfNotPresent otherwise.
    fn default_pull_policy(&self) -> &'static str {
        match (self.tag, self.digest) {
            (Some("latest"), _) | (None, None) => "Always",
            _ => "IfNotPresent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(image: &str) -> (Option<&str>, Option<&str>) {
        let image = ImageRef::parse(image);
        (image.tag, image.digest)
    }

    #[test]
    fn a_registry_port_is_not_a_tag() {
        assert_eq!(parse("registry:5000/team/app"), (None, None));
        assert_eq!(parse("registry:5000/team/app:1.2"), (Some("1.2"), None));
        assert_eq!(parse("app"), (None, None));
        assert_eq!(parse("app:latest"), (Some("latest"), None));
        assert_eq!(
            parse("docker.io/library/redis:7.4.1-bookworm"),
            (Some("7.4.1-bookworm"), None)
        );
        assert_eq!(parse("app@sha256:abc"), (None, Some("sha256:abc")));
        assert_eq!(
            parse("registry:5000/app:1.0@sha256:abc"),
            (Some("1.0"), Some("sha256:abc"))
        );
    }

    #[test]
    fn only_latest_or_no_tag_without_digest_is_mutable() {
        let mutable = |image| ImageRef::parse(image).mutability();
        assert_eq!(mutable("app"), Some("no tag (pulls :latest)"));
        assert_eq!(mutable("registry:5000/app"), Some("no tag (pulls :latest)"));
        assert_eq!(mutable("app:latest"), Some("tag latest"));
        assert_eq!(mutable("app:1.4.2"), None);
        assert_eq!(mutable("app@sha256:abc"), None);
        assert_eq!(mutable("app:latest@sha256:abc"), None);
    }

    #[test]
    fn pull_policy_defaults_like_the_api_server() {
        let policy = |image| ImageRef::parse(image).default_pull_policy();
        assert_eq!(policy("app"), "Always");
        assert_eq!(policy("app:latest"), "Always");
        assert_eq!(policy("app:latest@sha256:abc"), "Always");
        assert_eq!(policy("app:1.0"), "IfNotPresent");
        assert_eq!(policy("app@sha256:abc"), "IfNotPresent");
        assert_eq!(policy("registry:5000/app"), "Always");
    }

    #[test]
    fn a_container_without_image_is_not_evaluated() {
        assert_eq!(image_of(None), None);
        assert_eq!(image_of(Some("  ")), None);
        assert!(image_of(Some("app")).is_some());
    }
}
