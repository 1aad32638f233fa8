//! The cert-manager family: every issuer a certificate request names
//! exists. A Certificate's `spec.issuerRef` and an Ingress's
//! `cert-manager.io/cluster-issuer` or `cert-manager.io/issuer` annotation
//! (with `cert-manager.io/issuer-kind` and `issuer-group` for external
//! issuers) must name an Issuer of the same namespace or a ClusterIssuer of
//! the target, or a ClusterIssuer the profile lists in `platform_issuers`.
//! An issuer of another API group (an external issuer such as
//! `awspca.cert-manager.io`) must be in the target as an object of that
//! kind and group, in the namespace or cluster-scoped.

use super::ingress::{CERT_MANAGER_ISSUERS, Subject, subjects};
use super::{Check, CheckMeta, INVENTORY, Rule, Scope, Severity, Violation};
use crate::model::Object;

/// The cert-manager family, in catalogue order.
pub static CHECKS: &[&Check] = &[&ISSUER];

const CERT_MANAGER: &str = "cert-manager.io";

pub static ISSUER: Check = Check {
    meta: CheckMeta {
        id: "cert-manager.issuer",
        title: "Every cert-manager issuer a certificate names exists",
        judges: "cert-manager issuer reference",
        severity: Severity::High,
        checklist: &["GL-SEC-05"],
        needs: INVENTORY,
        rationale: "cert-manager issues nothing for a Certificate (or an annotated Ingress) whose issuer does \
                    not exist: the Certificate stays not ready with \"issuer not found\", the TLS Secret is \
                    never created and the Ingress serves the controller's default, untrusted certificate. A \
                    misspelt issuer or an Issuer where a ClusterIssuer was meant passes every other check.",
        remediation: "Name an Issuer of the same namespace (kind Issuer, annotation cert-manager.io/issuer) or a \
                      ClusterIssuer (kind ClusterIssuer, annotation cert-manager.io/cluster-issuer) that the \
                      release ships; a ClusterIssuer the platform provides goes in the profile's \
                      platform_issuers.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for certificate in certificates(scope) {
            let reference = IssuerRef::of_certificate(certificate);
            evaluation.evaluated();
            if let Err(found) = reference.resolve(scope, certificate.namespace()) {
                evaluation.report(Violation {
                    object: certificate,
                    container: None,
                    field: "spec.issuerRef.name".into(),
                    expected: reference.expected(),
                    found,
                });
            }
        }
        for subject in subjects(scope) {
            for reference in IssuerRef::of_ingress(&subject) {
                evaluation.evaluated();
                if let Err(found) = reference.resolve(scope, subject.object.namespace()) {
                    evaluation.report(subject.violation(
                        "metadata.annotations".into(),
                        reference.expected(),
                        found,
                    ));
                }
            }
        }
    }),
};

/// The cert-manager Certificates in scope.
fn certificates<'a>(scope: &'a Scope<'a>) -> impl Iterator<Item = &'a Object> + 'a {
    scope
        .objects("Certificate")
        .filter(|object| object.api_group() == CERT_MANAGER)
}

/// The issuer a certificate request names.
#[derive(Debug, PartialEq, Eq)]
struct IssuerRef {
    name: String,
    kind: String,
    group: String,
}

impl IssuerRef {
    /// A Certificate's `spec.issuerRef` (kind Issuer and group
    /// cert-manager.io when left out, as cert-manager reads it).
    fn of_certificate(certificate: &Object) -> IssuerRef {
        let json = certificate.json();
        let issuer = &json["spec"]["issuerRef"];
        let text = |key: &str, default: &str| {
            issuer[key]
                .as_str()
                .filter(|v| !v.is_empty())
                .unwrap_or(default)
                .to_string()
        };
        IssuerRef {
            name: text("name", ""),
            kind: text("kind", "Issuer"),
            group: text("group", CERT_MANAGER),
        }
    }

    /// The issuers an Ingress's cert-manager annotations name.
    fn of_ingress(subject: &Subject<'_>) -> Vec<IssuerRef> {
        let object = subject.object;
        let annotation = |key: &str| object.annotation(key).filter(|v| !v.is_empty());
        CERT_MANAGER_ISSUERS
            .iter()
            .filter_map(|key| {
                let name = annotation(key)?.to_string();
                Some(if *key == "cert-manager.io/cluster-issuer" {
                    IssuerRef {
                        name,
                        kind: "ClusterIssuer".into(),
                        group: CERT_MANAGER.into(),
                    }
                } else {
                    IssuerRef {
                        name,
                        kind: annotation("cert-manager.io/issuer-kind")
                            .unwrap_or("Issuer")
                            .into(),
                        group: annotation("cert-manager.io/issuer-group")
                            .unwrap_or(CERT_MANAGER)
                            .into(),
                    }
                })
            })
            .collect()
    }

    fn expected(&self) -> String {
        match (self.group.as_str(), self.kind.as_str()) {
            (CERT_MANAGER, "ClusterIssuer") => format!(
                "ClusterIssuer {:?} in the target or in the profile's platform_issuers",
                self.name
            ),
            (CERT_MANAGER, _) => format!("Issuer {:?} in the same namespace", self.name),
            (group, kind) => format!("{kind} {:?} ({group}) in the target", self.name),
        }
    }

    /// Whether the issuer exists for a request in `namespace`, or why not.
    fn resolve(&self, scope: &Scope<'_>, namespace: Option<&str>) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("no issuer name".into());
        }
        let inventory = scope.inventory;
        let of_group = |object: &&Object| object.api_group() == self.group;
        let here = |kind: &str| inventory.get(kind, namespace, &self.name).filter(of_group);
        let cluster = |kind: &str| inventory.get(kind, None, &self.name).filter(of_group);
        let found = match (self.group.as_str(), self.kind.as_str()) {
            (CERT_MANAGER, "ClusterIssuer") => {
                cluster("ClusterIssuer").is_some()
                    || scope.profile.platform_issuers.contains(&self.name)
            }
            (CERT_MANAGER, "Issuer") => here("Issuer").is_some(),
            (CERT_MANAGER, kind) => {
                return Err(format!(
                    "kind {kind:?}: cert-manager.io issuers are Issuer or ClusterIssuer"
                ));
            }
            (_, kind) => here(kind).or_else(|| cluster(kind)).is_some(),
        };
        if found {
            return Ok(());
        }
        let hint = match self.kind.as_str() {
            "Issuer" if cluster("ClusterIssuer").is_some() => {
                format!(
                    " (a ClusterIssuer {:?} exists: name kind ClusterIssuer)",
                    self.name
                )
            }
            "Issuer" => {
                let elsewhere = inventory
                    .of_kind("Issuer")
                    .filter(|o| o.metadata.name.as_deref() == Some(self.name.as_str()))
                    .find_map(Object::namespace);
                elsewhere.map_or_else(String::new, |ns| {
                    format!(" (an Issuer of that name is in namespace {ns}: an Issuer serves its own namespace only)")
                })
            }
            _ => String::new(),
        };
        let kind = match self.group.as_str() {
            CERT_MANAGER => self.kind.clone(),
            group => format!("{} ({group})", self.kind),
        };
        let platform = self.group == CERT_MANAGER && self.kind == "ClusterIssuer";
        Err(match (platform, namespace) {
            (true, _) => format!(
                "no ClusterIssuer {:?} in the target, and the profile's platform_issuers does not list it{hint}",
                self.name
            ),
            (false, Some(namespace)) => {
                format!("no {kind} {:?} in namespace {namespace}{hint}", self.name)
            }
            (false, None) => format!("no {kind} {:?} in the target{hint}", self.name),
        })
    }
}
