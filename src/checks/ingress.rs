//! The ingress family: what users reach from outside the cluster must be
//! served over HTTPS with a real certificate, redirect plain HTTP, be
//! protected by rate limiting, and route to Services that exist.
//!
//! TLS and backends are read from the Ingress itself. Redirects and rate
//! limits are controller features set by annotations: golive reads those of
//! ingress-nginx, Traefik, HAProxy (haproxytech and haproxy-ingress) and the
//! AWS Load Balancer Controller. The controller is found from the Ingress
//! class (`spec.ingressClassName`, else the `kubernetes.io/ingress.class`
//! annotation, else the default IngressClass): the IngressClass object's
//! `spec.controller` when the manifests hold it, else the class name, else
//! the annotations the Ingress carries. An Ingress of another controller
//! fails those two checks with a finding that names its class: golive cannot
//! verify it, and a reviewer should (waive it with a reason once done).
//! Controller-wide settings (the controller's ConfigMap, Traefik entrypoint
//! redirects) are not in application manifests and are not seen. The AWS
//! ALB takes its certificates from ACM: a spec.tls host without secretName
//! (certificate discovery) or a certificate-arn annotation covers a host,
//! and ingress.certificate does not judge ALB Ingresses. Snippet
//! annotations (raw NGINX configuration) are judged whatever the class.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::{
    IngressBackend, IngressServiceBackend, IngressSpec, IngressTLS,
};
use serde_json::Value;

use super::secrets::produced_secrets;
use super::service::external_type;
use super::{Check, CheckMeta, INVENTORY, Rule, Scope, Severity, Violation};
use crate::model::{Inventory, Object, Resource};

/// The ingress family, in catalogue order.
pub static CHECKS: &[&Check] = &[
    &TLS,
    &HTTPS_REDIRECT,
    &RATE_LIMIT,
    &CERTIFICATE,
    &BACKEND,
    &SNIPPETS,
];

pub static TLS: Check = Check {
    meta: CheckMeta {
        id: "ingress.tls",
        title: "Every host an Ingress serves is covered by TLS",
        judges: "Ingress host or Service exposed outside the cluster",
        severity: Severity::Critical,
        checklist: &["GL-SEC-05"],
        needs: INVENTORY,
        rationale: "A host without a TLS entry is served in clear text: credentials, session cookies and personal \
                    data cross the internet readable and modifiable by anyone on the path. A TLS entry without a \
                    secretName serves the controller's default certificate, which browsers reject.",
        remediation: "List every rule's host under spec.tls[].hosts with a secretName (a `*.example.com` entry \
                      covers exactly one label, e.g. api.example.com but not a.b.example.com). Where the profile \
                      sets exposed_services_need_ingress (production), serve users through an Ingress with TLS \
                      and a ClusterIP Service rather than a LoadBalancer or NodePort Service, or have the load \
                      balancer terminate TLS (its certificate annotation).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        if scope.profile.exposed_services_need_ingress {
            for (service, found) in exposed_without_tls(scope) {
                evaluation.evaluated();
                evaluation.report(Violation {
                    object: service,
                    container: None,
                    field: "spec.type".into(),
                    expected: "users reach the workload through an Ingress with TLS (a ClusterIP \
                               Service behind it), or a load balancer that terminates TLS"
                        .into(),
                    found,
                });
            }
        }
        for subject in subjects(scope) {
            let blanket = subject.blanket_certificate().is_some();
            let needs_secret = subject.controller != Controller::Known(Known::AwsAlb);
            for (field, host) in subject.hosts() {
                evaluation.evaluated();
                if blanket {
                    continue;
                }
                if let Err(found) = tls_coverage(subject.tls(), host, needs_secret) {
                    let expected = match host {
                        Some(host) => format!("a spec.tls entry with a secretName listing {host}"),
                        None => "a spec.tls entry with a secretName and no hosts".to_string(),
                    };
                    evaluation.report(subject.violation(field, expected, found));
                }
            }
        }
    }),
};

pub static HTTPS_REDIRECT: Check = Check {
    meta: CheckMeta {
        id: "ingress.https-redirect",
        title: "Plain HTTP is redirected to HTTPS",
        judges: "Ingress",
        severity: Severity::High,
        checklist: &["GL-SEC-05"],
        needs: INVENTORY,
        rationale: "Users and links still arrive over http://. Without a redirect they are served in clear text \
                    (and a first request in clear text is enough to steal a session cookie or inject content).",
        remediation: "ingress-nginx redirects by default when the Ingress has TLS: remove ssl-redirect: \"false\" \
                      (or set force-ssl-redirect: \"true\"). Traefik: route only the websecure entrypoint \
                      (traefik.ingress.kubernetes.io/router.entrypoints: websecure) or attach a Middleware with \
                      redirectScheme https through router.middlewares. HAProxy: haproxy.org/ssl-redirect: \"true\". \
                      AWS ALB: alb.ingress.kubernetes.io/ssl-redirect: \"443\".",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for subject in subjects(scope) {
            if !subject.serves_https() {
                // Nothing to redirect to: ingress.tls reports it.
                continue;
            }
            evaluation.evaluated();
            if let Err(found) = https_redirect(&subject, scope.inventory) {
                evaluation.report(subject.violation(
                    ANNOTATIONS.into(),
                    "plain HTTP requests redirected to HTTPS".into(),
                    found,
                ));
            }
        }
    }),
};

pub static RATE_LIMIT: Check = Check {
    meta: CheckMeta {
        id: "ingress.rate-limit",
        title: "Rate limiting is configured on every Ingress",
        judges: "Ingress",
        severity: Severity::High,
        checklist: &["GL-SEC-05", "GL-SEC-06"],
        needs: INVENTORY,
        rationale: "Without a rate limit one client (a scraper, a retry storm, a credential-stuffing bot) can use \
                    all the capacity of the service and take it down for everyone.",
        remediation: "ingress-nginx: nginx.ingress.kubernetes.io/limit-rps (or limit-rpm, limit-connections) with a \
                      positive integer. Traefik: a Middleware with spec.rateLimit named in \
                      traefik.ingress.kubernetes.io/router.middlewares. HAProxy: haproxy.org/rate-limit-requests. \
                      AWS ALB: a WAF web ACL with a rate-based rule (alb.ingress.kubernetes.io/wafv2-acl-arn).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for subject in subjects(scope) {
            evaluation.evaluated();
            if let Err(found) = rate_limit(&subject, scope.inventory) {
                evaluation.report(subject.violation(
                    ANNOTATIONS.into(),
                    "a request rate or connection limit".into(),
                    found,
                ));
            }
        }
    }),
};

pub static CERTIFICATE: Check = Check {
    meta: CheckMeta {
        id: "ingress.certificate",
        title: "Every TLS certificate an Ingress uses is provided and renewed",
        judges: "Ingress TLS certificate",
        severity: Severity::High,
        checklist: &["GL-SEC-05"],
        needs: INVENTORY,
        rationale: "A TLS entry naming a Secret nobody provides makes the controller serve its default, untrusted \
                    certificate; a certificate copied by hand expires silently. cert-manager issues and renews \
                    certificates before they expire.",
        remediation: "Annotate the Ingress with cert-manager.io/cluster-issuer (or cert-manager.io/issuer), or add a \
                      cert-manager Certificate whose spec.secretName is the TLS secretName; a TLS Secret delivered \
                      by the release (ExternalSecret, SealedSecret) is accepted too.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for subject in subjects(scope) {
            if subject.controller == Controller::Known(Known::AwsAlb) {
                // The ALB takes its certificates from ACM, not from Secrets.
                continue;
            }
            let issuer = CERT_MANAGER_ISSUERS.iter().any(|key| {
                subject
                    .object
                    .annotation(key)
                    .is_some_and(|v| !v.is_empty())
            });
            for (i, tls) in subject.tls().iter().enumerate() {
                let Some(secret) = tls.secret_name.as_deref().filter(|s| !s.is_empty()) else {
                    continue;
                };
                evaluation.evaluated();
                if issuer {
                    continue;
                }
                let namespace = subject.object.namespace();
                if let Err(found) = certificate_source(scope.inventory, namespace, secret) {
                    evaluation.report(subject.violation(
                        format!("spec.tls[{i}].secretName"),
                        format!("a certificate issued into Secret {secret:?}"),
                        found,
                    ));
                }
            }
        }
    }),
};

pub static BACKEND: Check = Check {
    meta: CheckMeta {
        id: "ingress.backend",
        title: "Every Ingress backend is an existing Service port",
        judges: "Ingress backend",
        severity: Severity::Critical,
        checklist: &["GL-NET-01", "GL-SEC-05"],
        needs: INVENTORY,
        rationale: "A backend naming a Service or port that does not exist answers 503 to every request on that \
                    path: the release is unreachable although every pod is healthy. A backend with neither a \
                    service nor a resource (a template that rendered nothing, or the serviceName/servicePort of \
                    extensions/v1beta1 under networking.k8s.io/v1) is rejected by the API: the release fails.",
        remediation: "Point every backend at a Service of the Ingress's namespace and at one of its ports, by name \
                      (port.name) or number (port.number, the Service port, not the targetPort).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for subject in subjects(scope) {
            let namespace = subject.object.namespace();
            // Without Services in the namespace they are deployed elsewhere:
            // only the shape of each backend is judged.
            let services_here = scope
                .inventory
                .of_kind_in("Service", namespace)
                .next()
                .is_some();
            for (field, backend) in subject.backends() {
                let problem = match (&backend.service, &backend.resource) {
                    (None, None) => Some((
                        field,
                        "a service (name and port) or a resource".to_string(),
                        "neither service nor resource: the API rejects the Ingress".to_string(),
                    )),
                    (Some(service), _) if services_here => {
                        backend_target(scope.inventory, namespace, service)
                            .err()
                            .map(|(part, found)| {
                                (
                                    format!("{field}.service.{part}"),
                                    "an existing Service of the namespace and one of its ports"
                                        .to_string(),
                                    found,
                                )
                            })
                    }
                    // A resource backend, or Services deployed elsewhere.
                    _ => None,
                };
                evaluation.evaluated();
                if let Some((field, expected, found)) = problem {
                    evaluation.report(subject.violation(field, expected, found));
                }
            }
        }
    }),
};

const ANNOTATIONS: &str = "metadata.annotations";
pub(super) const CERT_MANAGER_ISSUERS: [&str; 2] =
    ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"];

/// The Ingress controllers whose annotations golive reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    IngressNginx,
    Traefik,
    Haproxy,
    AwsAlb,
}

const KNOWN: [Known; 4] = [
    Known::IngressNginx,
    Known::Traefik,
    Known::Haproxy,
    Known::AwsAlb,
];

impl Known {
    /// Whether an IngressClass `spec.controller` is this controller.
    fn is_controller(self, controller: &str) -> bool {
        match self {
            Known::IngressNginx => controller == "k8s.io/ingress-nginx",
            Known::Traefik => controller.starts_with("traefik.io/"),
            Known::Haproxy => controller.contains("haproxy"),
            Known::AwsAlb => controller == "ingress.k8s.aws/alb",
        }
    }

    /// The word a class name of this controller usually holds (`nginx`,
    /// `nginx-internal`, `alb`).
    fn class_word(self) -> &'static str {
        match self {
            Known::IngressNginx => "nginx",
            Known::Traefik => "traefik",
            Known::Haproxy => "haproxy",
            Known::AwsAlb => "alb",
        }
    }

    /// The prefixes of this controller's annotations.
    fn prefixes(self) -> &'static [&'static str] {
        match self {
            Known::IngressNginx => &["nginx.ingress.kubernetes.io/"],
            Known::Traefik => &["traefik.ingress.kubernetes.io/"],
            Known::Haproxy => &["haproxy.org/", "haproxy.com/", "haproxy-ingress.github.io/"],
            Known::AwsAlb => &["alb.ingress.kubernetes.io/"],
        }
    }
}

/// The controller serving an Ingress.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Controller {
    Known(Known),
    /// Any other, by class name.
    Other(String),
}

impl Controller {
    /// The controller of the Ingress's class: the IngressClass object's
    /// `spec.controller` when the manifests hold it, else the class name,
    /// else the annotations the Ingress carries.
    fn of(inventory: &Inventory, object: &Object, spec: &IngressSpec) -> Controller {
        let class = spec
            .ingress_class_name
            .as_deref()
            .or_else(|| object.annotation("kubernetes.io/ingress.class"));
        let known = match ingress_class_controller(inventory, class) {
            Some(controller) => KNOWN.into_iter().find(|k| k.is_controller(&controller)),
            None => class
                .and_then(Known::from_class_name)
                .or_else(|| Known::from_annotations(object)),
        };
        known.map_or_else(
            || Controller::Other(class.unwrap_or("(none)").to_string()),
            Controller::Known,
        )
    }
}

impl Known {
    /// The controller a class name says (`nginx`, `nginx-internal`).
    fn from_class_name(class: &str) -> Option<Known> {
        let words: Vec<&str> = class.split(['-', '_', '.']).collect();
        KNOWN.into_iter().find(|k| words.contains(&k.class_word()))
    }

    /// The controller whose annotations the object carries.
    fn from_annotations(object: &Object) -> Option<Known> {
        let keys: Vec<&String> = object
            .metadata
            .annotations
            .iter()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        KNOWN.into_iter().find(|known| {
            keys.iter()
                .any(|key| known.prefixes().iter().any(|p| key.starts_with(p)))
        })
    }
}

/// The `spec.controller` of the IngressClass named `class` (or of the
/// default IngressClass), when the inventory holds it.
fn ingress_class_controller(inventory: &Inventory, class: Option<&str>) -> Option<String> {
    let ingress_class = match class {
        Some(name) => inventory.get("IngressClass", None, name),
        None => inventory
            .of_kind("IngressClass")
            .find(|c| c.annotation("ingressclass.kubernetes.io/is-default-class") == Some("true")),
    }?;
    let json = ingress_class.json();
    json.pointer("/spec/controller")?
        .as_str()
        .map(str::to_string)
}

/// An Ingress in scope, with the controller that serves it.
pub(super) struct Subject<'a> {
    pub(super) object: &'a Object,
    spec: &'a IngressSpec,
    controller: Controller,
}

/// The Ingresses in scope: all of them, or, when the scenario picks
/// workloads, those that route to the admitted workloads.
/// Annotations that make a cloud load balancer terminate TLS with a
/// certificate of the provider (AWS, DigitalOcean, Oracle, IBM, Alibaba).
const LOAD_BALANCER_TLS_ANNOTATIONS: &[&str] = &[
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    "service.beta.kubernetes.io/do-loadbalancer-certificate-id",
    "service.beta.kubernetes.io/oci-load-balancer-ssl-ports",
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-enable-features",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id",
];

/// Image names of Ingress controllers and gateways, whose own LoadBalancer
/// Service is the entry point that Ingresses configure.
const INGRESS_CONTROLLER_IMAGES: &[&str] = &[
    "ingress-nginx/controller",
    "nginx-ingress",
    "traefik",
    "haproxy-ingress",
    "haproxytech/kubernetes-ingress",
    "kong",
    "contour",
    "envoyproxy/envoy",
    "istio/proxyv2",
];

/// The Services in scope that users outside the cluster reach directly
/// (type LoadBalancer or NodePort) without TLS: not an Ingress controller's
/// own entry point, no certificate annotation of the load balancer, and a
/// port other than 443 or one named `https`. With what was found.
fn exposed_without_tls<'a>(scope: &Scope<'a>) -> Vec<(&'a Object, String)> {
    scope
        .objects("Service")
        .filter_map(|object| {
            let Resource::Service(service) = &object.resource else {
                return None;
            };
            let spec = service.spec.as_ref()?;
            let kind = external_type(service)?;
            if LOAD_BALANCER_TLS_ANNOTATIONS
                .iter()
                .any(|key| object.annotation(key).is_some())
                || fronts_ingress_controller(scope.inventory, object)
            {
                return None;
            }
            let plain: Vec<String> = spec
                .ports
                .iter()
                .flatten()
                .filter(|p| p.port != 443 && p.name.as_deref() != Some("https"))
                .map(|p| p.port.to_string())
                .collect();
            (!plain.is_empty()).then(|| {
                (
                    object,
                    format!(
                        "type {kind}: port(s) {} reachable from outside the cluster with no Ingress \
                         and no TLS at the load balancer",
                        plain.join(", ")
                    ),
                )
            })
        })
        .collect()
}

/// Whether a Service selects the pods of an Ingress controller or gateway.
fn fronts_ingress_controller(inventory: &Inventory, service: &Object) -> bool {
    inventory
        .workloads_in(service.namespace())
        .filter(|w| {
            inventory
                .services_selecting(w)
                .any(|s| std::ptr::eq(s, service))
        })
        .flat_map(|w| w.containers())
        .filter_map(|c| c.container.image.as_deref())
        .any(|image| {
            INGRESS_CONTROLLER_IMAGES
                .iter()
                .any(|known| image.contains(known))
        })
}

pub(super) fn subjects<'a>(scope: &Scope<'a>) -> Vec<Subject<'a>> {
    let routed: Option<Vec<&Object>> = scope.is_narrowed().then(|| {
        scope
            .workloads()
            .flat_map(|w| scope.inventory.ingresses_routing_to(&w).collect::<Vec<_>>())
            .collect()
    });
    scope
        .objects("Ingress")
        .filter(|object| {
            routed
                .as_ref()
                .is_none_or(|routed| routed.iter().any(|r| std::ptr::eq(*r, *object)))
        })
        .filter_map(|object| {
            let Resource::Ingress(ingress) = &object.resource else {
                return None;
            };
            let spec = ingress.spec.as_ref()?;
            Some(Subject {
                object,
                spec,
                controller: Controller::of(scope.inventory, object, spec),
            })
        })
        .collect()
}

impl<'a> Subject<'a> {
    fn tls(&self) -> &'a [IngressTLS] {
        self.spec.tls.as_deref().unwrap_or_default()
    }

    /// A setting of the known controller: its annotation under any of its
    /// prefixes.
    fn setting(&self, name: &str) -> Option<&'a str> {
        let Controller::Known(known) = self.controller else {
            return None;
        };
        known
            .prefixes()
            .iter()
            .find_map(|prefix| self.object.annotation(&format!("{prefix}{name}")))
    }

    /// The annotation giving every host a certificate without spec.tls: an
    /// ACM certificate on an ALB, a Traefik ACME certificate resolver.
    fn blanket_certificate(&self) -> Option<&'a str> {
        match self.controller {
            Controller::Known(Known::AwsAlb) => self.setting("certificate-arn"),
            Controller::Known(Known::Traefik) => self.setting("router.tls.certresolver"),
            _ => None,
        }
        .filter(|value| !value.is_empty())
    }

    /// Whether the Ingress serves HTTPS at all.
    fn serves_https(&self) -> bool {
        let traefik_tls = self.controller == Controller::Known(Known::Traefik)
            && self.setting("router.tls").and_then(parse_bool) == Some(true);
        !self.tls().is_empty() || self.blanket_certificate().is_some() || traefik_tls
    }

    /// The hosts the Ingress serves, with the field of each (`None`: any
    /// host, for a rule without host or a lone default backend).
    fn hosts(&self) -> Vec<(String, Option<&'a str>)> {
        let rules = self.spec.rules.as_deref().unwrap_or_default();
        let mut hosts: Vec<(String, Option<&str>)> = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| match rule.host.as_deref() {
                Some(host) => (format!("spec.rules[{i}].host"), Some(host)),
                None => (format!("spec.rules[{i}]"), None),
            })
            .collect();
        if rules.is_empty() && self.spec.default_backend.is_some() {
            hosts.push(("spec.defaultBackend".into(), None));
        }
        hosts
    }

    /// The backends of the default backend and of every rule path, with
    /// their field paths.
    fn backends(&self) -> Vec<(String, &'a IngressBackend)> {
        let default = self
            .spec
            .default_backend
            .as_ref()
            .map(|b| ("spec.defaultBackend".to_string(), b));
        let rules = self.spec.rules.iter().flatten().enumerate();
        let paths = rules.flat_map(|(i, rule)| {
            let paths = rule.http.iter().flat_map(|http| http.paths.iter());
            paths.enumerate().map(move |(j, path)| {
                (
                    format!("spec.rules[{i}].http.paths[{j}].backend"),
                    &path.backend,
                )
            })
        });
        default.into_iter().chain(paths).collect()
    }

    /// The Traefik Middlewares named in router.middlewares
    /// (`<namespace>-<name>@kubernetescrd`), as JSON.
    fn traefik_middlewares(&self, inventory: &Inventory) -> Vec<Value> {
        let Some(list) = self.setting("router.middlewares") else {
            return Vec::new();
        };
        let names: Vec<&str> = list
            .split(',')
            .filter_map(|r| r.trim().strip_suffix("@kubernetescrd"))
            .collect();
        inventory
            .of_kind("Middleware")
            .filter(|m| matches!(m.api_group(), "traefik.io" | "traefik.containo.us"))
            .filter(|m| {
                let namespace = m
                    .namespace()
                    .or(self.object.namespace())
                    .unwrap_or("default");
                let name = m.metadata.name.as_deref().unwrap_or_default();
                names.contains(&format!("{namespace}-{name}").as_str())
            })
            .map(Object::json)
            .collect()
    }

    pub(super) fn violation(
        &self,
        field: String,
        expected: String,
        found: String,
    ) -> Violation<'a> {
        Violation {
            object: self.object,
            container: None,
            field,
            expected,
            found,
        }
    }
}

/// Whether a TLS entry covers `host` (`None`: a rule without host, which
/// only an entry without hosts covers), or why not. The entry needs a
/// secretName unless the controller finds certificates by host name (the
/// ALB looks them up in ACM).
fn tls_coverage(tls: &[IngressTLS], host: Option<&str>, needs_secret: bool) -> Result<(), String> {
    let listing: Vec<&IngressTLS> = tls
        .iter()
        .filter(|entry| match host {
            Some(host) => entry
                .hosts
                .iter()
                .flatten()
                .any(|pattern| host_matches(pattern, host)),
            None => entry.hosts.as_ref().is_none_or(Vec::is_empty),
        })
        .collect();
    let has_secret =
        |entry: &&IngressTLS| entry.secret_name.as_deref().is_some_and(|s| !s.is_empty());
    if listing
        .iter()
        .any(|entry| !needs_secret || has_secret(entry))
    {
        return Ok(());
    }
    Err(match (host, listing.is_empty()) {
        (_, false) => "a spec.tls entry without secretName: the controller's default (untrusted) \
                       certificate is served"
            .to_string(),
        (Some(host), true) => {
            format!("no spec.tls entry lists {host}: it is served over plain HTTP")
        }
        (None, true) => {
            "a rule without host and no spec.tls entry without hosts: served over plain HTTP"
                .to_string()
        }
    })
}

/// Whether a TLS host (`api.example.com` or `*.example.com`) covers `host`:
/// a wildcard stands for exactly one label.
fn host_matches(pattern: &str, host: &str) -> bool {
    if pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    match (pattern.strip_prefix("*."), host.split_once('.')) {
        (Some(domain), Some((label, rest))) => {
            !label.is_empty() && label != "*" && rest.eq_ignore_ascii_case(domain)
        }
        _ => false,
    }
}

/// Whether plain HTTP is redirected to HTTPS, or what the annotations say.
fn https_redirect(subject: &Subject<'_>, inventory: &Inventory) -> Result<(), String> {
    let known = match &subject.controller {
        Controller::Known(known) => *known,
        Controller::Other(class) => {
            return Err(format!(
                "ingress class {class}: no HTTPS redirect golive can verify"
            ));
        }
    };
    let ssl_redirect = subject.setting("ssl-redirect");
    match known {
        Known::IngressNginx => {
            let forced = subject.setting("force-ssl-redirect").and_then(parse_bool) == Some(true);
            match ssl_redirect.and_then(parse_bool) {
                Some(false) if !forced => Err(
                    "nginx.ingress.kubernetes.io/ssl-redirect: \"false\" turns off the redirect ingress-nginx \
                     makes by default for an Ingress with TLS"
                        .into(),
                ),
                _ => Ok(()),
            }
        }
        Known::Traefik => traefik_redirect(subject, inventory),
        Known::Haproxy => {
            let has_secret = subject.tls().iter().any(|t| t.secret_name.is_some());
            match ssl_redirect.and_then(parse_bool) {
                Some(true) => Ok(()),
                None if has_secret => Ok(()),
                Some(false) => Err("ssl-redirect: \"false\" turns off HAProxy's redirect".into()),
                None => Err(
                    "no ssl-redirect annotation, and no spec.tls secretName that turns it on by default".into(),
                ),
            }
        }
        Known::AwsAlb => {
            let http_listener = subject
                .setting("listen-ports")
                .is_some_and(|ports| ports.contains("\"HTTP\""));
            if ssl_redirect.is_some_and(|v| !v.is_empty()) || !http_listener {
                Ok(())
            } else {
                Err(
                    "alb.ingress.kubernetes.io/listen-ports opens an HTTP listener and \
                     alb.ingress.kubernetes.io/ssl-redirect is not set"
                        .into(),
                )
            }
        }
    }
}

/// Traefik redirects when the router listens only on HTTPS entrypoints or
/// goes through a redirectScheme https Middleware.
fn traefik_redirect(subject: &Subject<'_>, inventory: &Inventory) -> Result<(), String> {
    let entrypoints: Vec<&str> = subject
        .setting("router.entrypoints")
        .into_iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let https_only = !entrypoints.is_empty()
        && entrypoints
            .iter()
            .all(|e| matches!(*e, "websecure" | "https"));
    let redirects = subject.traefik_middlewares(inventory).iter().any(|m| {
        m.pointer("/spec/redirectScheme/scheme")
            .and_then(Value::as_str)
            == Some("https")
    });
    if https_only || redirects {
        return Ok(());
    }
    Err(if entrypoints.is_empty() {
        "no router.entrypoints limited to websecure and no router.middlewares Middleware with redirectScheme \
         https (a redirect configured on Traefik's own entrypoint is not visible in manifests)"
            .to_string()
    } else {
        format!(
            "router.entrypoints {} include a plain-HTTP entrypoint and no router.middlewares Middleware has \
             redirectScheme https",
            entrypoints.join(",")
        )
    })
}

/// The rate-limit annotations of ingress-nginx.
const NGINX_LIMITS: [&str; 3] = ["limit-rps", "limit-rpm", "limit-connections"];

/// Whether requests are rate-limited, or what the annotations say.
fn rate_limit(subject: &Subject<'_>, inventory: &Inventory) -> Result<(), String> {
    let known = match &subject.controller {
        Controller::Known(known) => *known,
        Controller::Other(class) => {
            return Err(format!(
                "ingress class {class}: no rate limiting golive can verify"
            ));
        }
    };
    let any_positive = |names: &[&str]| {
        names
            .iter()
            .any(|n| subject.setting(n).is_some_and(positive_integer))
    };
    match known {
        Known::IngressNginx => {
            if any_positive(&NGINX_LIMITS) {
                return Ok(());
            }
            let set = NGINX_LIMITS
                .iter()
                .find_map(|n| subject.setting(n).map(|v| (n, v)));
            Err(match set {
                Some((name, value)) => format!(
                    "nginx.ingress.kubernetes.io/{name}: {value:?}, which limits nothing (a positive integer \
                     is needed)"
                ),
                None if subject.setting("rate-limit").is_some() => {
                    "nginx.ingress.kubernetes.io/rate-limit, which is not an ingress-nginx annotation and is \
                     ignored: ingress-nginx reads limit-rps, limit-rpm and limit-connections"
                        .to_string()
                }
                None => "no nginx.ingress.kubernetes.io/limit-rps, limit-rpm or limit-connections annotation"
                    .to_string(),
            })
        }
        Known::Traefik => {
            let limits = subject.traefik_middlewares(inventory).iter().any(|m| {
                ["/spec/rateLimit/average", "/spec/inFlightReq/amount"]
                    .iter()
                    .any(|p| m.pointer(p).is_some_and(positive_json))
            });
            if limits {
                Ok(())
            } else {
                Err(
                    "no router.middlewares Middleware with a rateLimit (or inFlightReq) limit"
                        .into(),
                )
            }
        }
        Known::Haproxy => {
            if any_positive(&["rate-limit-requests", "limit-rps", "limit-connections"]) {
                Ok(())
            } else {
                Err("no haproxy.org/rate-limit-requests annotation".into())
            }
        }
        Known::AwsAlb => {
            let waf = ["wafv2-acl-arn", "waf-acl-id"]
                .iter()
                .any(|n| subject.setting(n).is_some_and(|v| !v.is_empty()));
            if waf {
                Ok(())
            } else {
                Err("an ALB does not rate-limit by itself and no WAF web ACL \
                     (alb.ingress.kubernetes.io/wafv2-acl-arn) is attached"
                    .into())
            }
        }
    }
}

/// Whether the manifests provide the certificate of TLS Secret `name`: a
/// controller producing it (cert-manager Certificate, ExternalSecret,
/// SealedSecret...) or a TLS Secret.
fn certificate_source(
    inventory: &Inventory,
    namespace: Option<&str>,
    name: &str,
) -> Result<(), String> {
    if produced_secrets(inventory, namespace)
        .iter()
        .any(|p| p.name == name)
    {
        return Ok(());
    }
    match inventory
        .get("Secret", namespace, name)
        .map(|o| &o.resource)
    {
        Some(Resource::Secret(secret)) if is_tls_secret(secret) => Ok(()),
        Some(Resource::Secret(secret)) => Err(format!(
            "Secret {name:?} exists but holds no certificate (type {}, no tls.crt and tls.key)",
            secret.type_.as_deref().unwrap_or("Opaque")
        )),
        _ => Err(format!(
            "no cert-manager issuer annotation, and no Secret, Certificate or ExternalSecret provides {name:?}"
        )),
    }
}

fn is_tls_secret(secret: &Secret) -> bool {
    let has = |key: &str| {
        secret.data.as_ref().is_some_and(|d| d.contains_key(key))
            || secret
                .string_data
                .as_ref()
                .is_some_and(|d| d.contains_key(key))
    };
    secret.type_.as_deref() == Some("kubernetes.io/tls") || (has("tls.crt") && has("tls.key"))
}

/// Whether a backend's Service exists and exposes its port, or the part of
/// the backend to blame (`name` or `port`) and why.
fn backend_target(
    inventory: &Inventory,
    namespace: Option<&str>,
    backend: &IngressServiceBackend,
) -> Result<(), (&'static str, String)> {
    let service = match inventory
        .get("Service", namespace, &backend.name)
        .map(|o| &o.resource)
    {
        Some(Resource::Service(service)) => service,
        _ => {
            return Err((
                "name",
                format!(
                    "no Service {:?} in namespace {}",
                    backend.name,
                    namespace.unwrap_or("(none)")
                ),
            ));
        }
    };
    let spec = service.spec.as_ref();
    let ports = spec.and_then(|s| s.ports.as_deref()).unwrap_or_default();
    let external_name = spec.and_then(|s| s.type_.as_deref()) == Some("ExternalName");
    let Some(port) = &backend.port else {
        return Ok(());
    };
    let exposed = ports.iter().any(|p| match (&port.name, port.number) {
        (Some(name), _) => p.name.as_deref() == Some(name.as_str()),
        (None, Some(number)) => p.port == number,
        (None, None) => true,
    });
    if exposed || (external_name && ports.is_empty()) {
        return Ok(());
    }
    let wanted = port
        .name
        .clone()
        .or(port.number.map(|n| n.to_string()))
        .unwrap_or_default();
    let offered: Vec<String> = ports
        .iter()
        .map(|p| match &p.name {
            Some(name) => format!("{name} ({})", p.port),
            None => p.port.to_string(),
        })
        .collect();
    Err((
        "port",
        format!(
            "port {wanted}, which Service {:?} does not expose (its ports: {})",
            backend.name,
            if offered.is_empty() {
                "none".to_string()
            } else {
                offered.join(", ")
            }
        ),
    ))
}

/// A boolean annotation as the controllers read it (Go's ParseBool).
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn positive_integer(value: &str) -> bool {
    value.trim().parse::<u64>().is_ok_and(|n| n > 0)
}

fn positive_json(value: &Value) -> bool {
    value.as_u64().is_some_and(|n| n > 0) || value.as_str().is_some_and(positive_integer)
}

/// Annotations whose value the NGINX controllers paste into their
/// configuration as it is (ingress-nginx, then NGINX Inc's controller).
const SNIPPET_ANNOTATIONS: &[&str] = &[
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
    "nginx.ingress.kubernetes.io/stream-snippet",
    "nginx.ingress.kubernetes.io/modsecurity-snippet",
    "nginx.org/server-snippets",
    "nginx.org/location-snippets",
];

pub static SNIPPETS: Check = Check {
    meta: CheckMeta {
        id: "ingress.snippets",
        title: "No Ingress injects raw NGINX configuration",
        judges: "Ingress",
        severity: Severity::High,
        checklist: &["GL-SEC-05"],
        needs: INVENTORY,
        rationale: "A snippet annotation is pasted into the controller's nginx.conf: whoever can write an \
                    Ingress in any namespace can then read the controller's files, its ServiceAccount token \
                    and every Secret it can see (CVE-2021-25742), or break routing for every host with one \
                    typo. ingress-nginx refuses snippets by default since v1.9 (allow-snippet-annotations: \
                    false), so an Ingress that relies on one silently loses the setting on an up-to-date \
                    controller.",
        remediation: "Use the dedicated annotation for the setting (e.g. nginx.ingress.kubernetes.io/\
                      configuration-snippet adding headers → a custom-headers ConfigMap, auth → auth-url), or a \
                      controller-wide setting in the controller's ConfigMap owned by the platform team.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for subject in subjects(scope) {
            evaluation.evaluated();
            for annotation in SNIPPET_ANNOTATIONS {
                if subject.object.annotation(annotation).is_some() {
                    evaluation.report(subject.violation(
                        ANNOTATIONS.into(),
                        "no snippet annotation".into(),
                        format!("{annotation}: raw NGINX configuration"),
                    ));
                }
            }
        }
    }),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_covers_exactly_one_label() {
        assert!(host_matches("api.example.com", "API.example.com"));
        assert!(host_matches("*.example.com", "api.example.com"));
        assert!(!host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "api.example.org"));
        assert!(host_matches("*.example.com", "*.example.com"));
        assert!(!host_matches("api.example.com", "www.example.com"));
    }

    fn tls(hosts: &[&str], secret: Option<&str>) -> IngressTLS {
        IngressTLS {
            hosts: (!hosts.is_empty()).then(|| hosts.iter().map(|h| h.to_string()).collect()),
            secret_name: secret.map(str::to_string),
        }
    }

    #[test]
    fn tls_coverage_needs_a_secret_and_the_host() {
        let entries = [
            tls(&["api.example.com"], Some("api-tls")),
            tls(&["admin.example.com"], None),
        ];
        assert!(tls_coverage(&entries, Some("api.example.com"), true).is_ok());
        let no_secret = tls_coverage(&entries, Some("admin.example.com"), true).unwrap_err();
        assert!(no_secret.contains("without secretName"), "{no_secret}");
        let absent = tls_coverage(&entries, Some("www.example.com"), true).unwrap_err();
        assert!(absent.contains("www.example.com"), "{absent}");
        assert!(tls_coverage(&entries, None, true).is_err());
        assert!(tls_coverage(&[tls(&[], Some("default-tls"))], None, true).is_ok());
        // The ALB finds the certificate of a listed host in ACM.
        assert!(tls_coverage(&entries, Some("admin.example.com"), false).is_ok());
        assert!(tls_coverage(&entries, Some("www.example.com"), false).is_err());
    }

    /// The controller of the only Ingress of a YAML stream.
    fn controller_of(yaml: &str) -> Controller {
        let mut loaded = crate::source::manifests::Loaded::default();
        crate::source::manifests::load_bytes("test.yaml", yaml.as_bytes(), &mut loaded);
        let inventory = Inventory::new(loaded.objects);
        let object = inventory.of_kind("Ingress").next().expect("an Ingress");
        let Resource::Ingress(ingress) = &object.resource else {
            panic!("not a typed Ingress");
        };
        Controller::of(&inventory, object, ingress.spec.as_ref().expect("a spec"))
    }

    const INGRESS_CLASS: &str = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\n";

    #[test]
    fn the_ingress_class_object_decides_over_names_and_annotations() {
        let class = format!(
            "{INGRESS_CLASS}metadata: {{name: nginx}}\nspec: {{controller: nginx.org/ingress-controller}}\n---\n"
        );
        let ingress = "kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {name: a}\nspec: {ingressClassName: nginx}\n";
        assert_eq!(
            controller_of(&format!("{class}{ingress}")),
            Controller::Other("nginx".into())
        );
        assert_eq!(
            controller_of(ingress),
            Controller::Known(Known::IngressNginx)
        );
        let default_class = format!(
            "{INGRESS_CLASS}metadata:\n  name: public\n  annotations: {{ingressclass.kubernetes.io/is-default-class: \"true\"}}\nspec: {{controller: traefik.io/ingress-controller}}\n---\n"
        );
        let unnamed =
            "kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {name: a}\nspec: {}\n";
        assert_eq!(
            controller_of(&format!("{default_class}{unnamed}")),
            Controller::Known(Known::Traefik)
        );
    }

    #[test]
    fn class_names_and_annotations_name_the_controller() {
        let with = |spec: &str, annotations: &str| {
            controller_of(&format!(
                "kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {{name: a, annotations: {{{annotations}}}}}\nspec: {{{spec}}}\n"
            ))
        };
        assert_eq!(
            with("ingressClassName: nginx-internal", ""),
            Controller::Known(Known::IngressNginx)
        );
        assert_eq!(
            with("", "kubernetes.io/ingress.class: haproxy"),
            Controller::Known(Known::Haproxy)
        );
        assert_eq!(
            with(
                "ingressClassName: public",
                "alb.ingress.kubernetes.io/scheme: internal"
            ),
            Controller::Known(Known::AwsAlb)
        );
        assert_eq!(
            with("ingressClassName: contour", ""),
            Controller::Other("contour".into())
        );
        assert_eq!(with("", ""), Controller::Other("(none)".into()));
    }

    #[test]
    fn booleans_and_limits_parse_like_the_controllers() {
        assert_eq!(parse_bool(" True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert!(positive_integer("100"));
        assert!(!positive_integer("0"));
        assert!(!positive_integer("10r/s"));
        assert!(positive_json(&serde_json::json!(50)));
        assert!(positive_json(&serde_json::json!("50")));
        assert!(!positive_json(&serde_json::json!(0)));
    }
}
