//! The network family: a pod no NetworkPolicy restricts can be reached by,
//! and can reach, anything in the cluster and beyond, so one compromised pod
//! opens every other. These checks evaluate NetworkPolicies
//! (networking.k8s.io/v1) the way the API server and network plugins do:
//!
//! - a policy applies to the pods of its own namespace that its podSelector
//!   selects (an empty or absent podSelector selects every pod); policies of
//!   other namespaces never apply;
//! - `policyTypes`, when empty or absent, is Ingress, plus Egress when the
//!   policy has an `egress` list (even an empty one);
//! - a pod is isolated for a direction as soon as one policy selecting it has
//!   that type, and may then use only the union of the rules of every policy
//!   selecting it for that direction;
//! - a rule without peers (`from`/`to` absent or empty) admits every peer, a
//!   rule without ports every port; a port without protocol is TCP.
//!
//! Pods on the host network are not evaluated: NetworkPolicies do not govern
//! them. Which namespaces a namespaceSelector matches is not resolved (the
//! labels of namespaces outside the manifests are unknown); no check needs it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::LazyLock;

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    Check, CheckMeta, Difference, INVENTORY, Rule as CheckRule, Scope, Severity, Violation,
};
use crate::model::selector::Selector;
use crate::model::{Inventory, Object, Resource, Workload};

/// The network family, in catalogue order.
pub static CHECKS: &[&Check] = &[
    &POLICY,
    &DEFAULT_DENY,
    &DNS_EGRESS,
    &INGRESS_OPEN,
    &NO_INTERNET_EGRESS,
];

pub static POLICY: Check = Check {
    meta: CheckMeta {
        id: "network.policy",
        title: "Every workload's pods are isolated by NetworkPolicies for incoming and outgoing traffic",
        judges: "workload",
        severity: Severity::High,
        checklist: &["GL-SEC-01"],
        needs: INVENTORY,
        rationale: "A pod that no NetworkPolicy selects accepts connections from every pod of the cluster and \
                    can open connections anywhere: one compromised or misbehaving pod reaches it, and it reaches \
                    every database and the internet.",
        remediation: "Select the pods (through their labels, in the workload's own namespace) with NetworkPolicies \
                      that list Ingress and Egress in policyTypes, e.g. a default deny with podSelector: {} plus \
                      one policy per workload allowing exactly the flows it needs.",
        differences: &[
            Difference {
                peer: "kube-linter",
                because: "it requires isolation in both directions: kube-linter's non-isolated-pod is satisfied \
                      by any NetworkPolicy selecting the pods, and one without policyTypes or egress rules \
                      isolates them for Ingress only (Kubernetes defaults policyTypes to Ingress), so they \
                      can still connect anywhere.",
            },
            Difference {
                peer: "polaris",
                because: "it asks for isolation in both directions, not for rules: a policy that lists a direction \
                      in policyTypes and no rule for it denies all traffic that way (Kubernetes NetworkPolicy \
                      semantics), the strictest isolation there is. Polaris's missing-rules failures are pods \
                      isolated both ways.",
            },
        ],
    },
    rule: CheckRule::Inventory(|scope, evaluation| {
        for workload in policed_workloads(scope) {
            evaluation.evaluated();
            let policies = PodPolicies::of(scope.inventory, &workload);
            let open: Vec<&str> = Direction::BOTH
                .into_iter()
                .filter(|direction| !policies.isolated(*direction))
                .map(Direction::name)
                .collect();
            if open.is_empty() {
                continue;
            }
            let mut found = format!(
                "no NetworkPolicy of {} selects these pods for {}",
                namespace_phrase(workload.object.namespace()),
                open.join(" or ")
            );
            if let Some(elsewhere) = policy_elsewhere(scope.inventory, &workload) {
                found.push_str(&format!(
                    " ({} selects the same labels, but a NetworkPolicy applies only to the pods of its own \
                     namespace)",
                    elsewhere.reference()
                ));
            }
            evaluation.report(workload_violation(
                &workload,
                "NetworkPolicies selecting these pods for Ingress and for Egress",
                found,
            ));
        }
    }),
};

pub static DEFAULT_DENY: Check = Check {
    meta: CheckMeta {
        id: "network.default-deny",
        title: "Every namespace denies all traffic by default",
        judges: "namespace",
        severity: Severity::Medium,
        checklist: &["GL-SEC-01"],
        needs: INVENTORY,
        rationale: "Without a default deny, every pod added to the namespace later (a new service, a debug pod, a \
                    chart dependency) is open in both directions until someone remembers to write its policy.",
        remediation: "Add to every namespace a NetworkPolicy with podSelector: {}, policyTypes: [Ingress, Egress] \
                      and no ingress or egress rules (or two such policies, one per direction), then allow each \
                      needed flow in its own policy. The finding is on the Namespace object when the manifests \
                      hold it, otherwise on the first workload of the namespace.",
        differences: &[],
    },
    rule: CheckRule::Inventory(|scope, evaluation| {
        let mut namespaces: BTreeMap<Option<&str>, Workload> = BTreeMap::new();
        for workload in scope.workloads() {
            namespaces
                .entry(workload.object.namespace())
                .or_insert(workload);
        }
        for (namespace, first) in namespaces {
            evaluation.evaluated();
            let missing: Vec<&str> = Direction::BOTH
                .into_iter()
                .filter(|direction| {
                    !Policy::in_namespace(scope.inventory, namespace)
                        .any(|policy| policy.denies_everything(*direction))
                })
                .map(Direction::name)
                .collect();
            if missing.is_empty() {
                continue;
            }
            let namespace_object =
                namespace.and_then(|name| scope.inventory.get("Namespace", None, name));
            let (object, field) = match namespace_object {
                Some(object) => (object, "metadata.name"),
                None => (first.object, "metadata.namespace"),
            };
            evaluation.report(Violation {
                object,
                container: None,
                field: field.to_string(),
                expected:
                    "a NetworkPolicy with podSelector: {} and no rules for Ingress and for Egress"
                        .to_string(),
                found: format!(
                    "{} has no default-deny NetworkPolicy for {}",
                    namespace_phrase(namespace),
                    missing.join(" or ")
                ),
            });
        }
    }),
};

pub static DNS_EGRESS: Check = Check {
    meta: CheckMeta {
        id: "network.dns-egress",
        title: "Pods restricted in egress can still resolve DNS names",
        judges: "workload with restricted egress",
        severity: Severity::High,
        checklist: &["GL-SEC-01"],
        needs: INVENTORY,
        rationale: "Once a pod is isolated for Egress, DNS lookups are dropped unless a rule allows them: every \
                    connection by name (Services, databases, external APIs) fails and the application cannot \
                    start. DNS uses UDP port 53, and a NetworkPolicy port without protocol means TCP only.",
        remediation: "Allow egress to the cluster DNS on UDP port 53 (and TCP 53 for large answers), e.g. \
                      to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, \
                      podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{protocol: UDP, port: 53}, \
                      {protocol: TCP, port: 53}], in a policy selecting these pods.",
        differences: &[],
    },
    rule: CheckRule::Inventory(|scope, evaluation| {
        for workload in policed_workloads(scope) {
            evaluation.evaluated();
            let policies = PodPolicies::of(scope.inventory, &workload);
            if !policies.isolated(Direction::Egress) {
                continue;
            }
            let rules = policies.rules(Direction::Egress);
            if rules.iter().any(|rule| rule.admits("UDP", 53, "dns")) {
                continue;
            }
            let found = match rules.iter().find(|rule| rule.admits("TCP", 53, "dns-tcp")) {
                Some(tcp) => format!(
                    "only TCP port 53 is allowed ({}; a port without protocol is TCP), and DNS lookups use UDP",
                    tcp.describe()
                ),
                None => format!(
                    "no egress rule of {} allows UDP port 53",
                    policies.names(Direction::Egress)
                ),
            };
            evaluation.report(workload_violation(
                &workload,
                "an egress rule allowing UDP port 53 (DNS)",
                found,
            ));
        }
    }),
};

pub static INGRESS_OPEN: Check = Check {
    meta: CheckMeta {
        id: "network.ingress-open",
        title: "No NetworkPolicy admits traffic from everywhere",
        judges: "NetworkPolicy ingress rule",
        severity: Severity::High,
        checklist: &["GL-SEC-01"],
        needs: INVENTORY,
        rationale: "An ingress rule without `from`, from ipBlock 0.0.0.0/0 or ::/0, or from namespaceSelector: {} \
                    without a pod restriction lets every pod of the cluster (and, for the first two, every \
                    address outside it) connect: the policy isolates nothing and silently cancels the default \
                    deny for the pods it selects.",
        remediation: "List the actual sources in `from`: the ingress controller's namespace (namespaceSelector with \
                      kubernetes.io/metadata.name), the client pods (podSelector), or the precise address ranges \
                      (ipBlock). A deliberately public endpoint can be waived with golive.dev/skip and \
                      golive.dev/skip-reason on the NetworkPolicy.",
        differences: &[],
    },
    rule: CheckRule::Inventory(|scope, evaluation| {
        let admitted: Vec<Workload> = if scope.is_narrowed() {
            scope.workloads().collect()
        } else {
            Vec::new()
        };
        for object in scope.objects("NetworkPolicy") {
            let Some(policy) = Policy::of(object) else {
                continue;
            };
            if scope.is_narrowed() && !admitted.iter().any(|w| policy.applies_to(w)) {
                continue;
            }
            evaluation.evaluated();
            for rule in policy.rules(Direction::Ingress) {
                if let Some((field, found)) = open_ingress(&rule) {
                    evaluation.report(Violation {
                        object,
                        container: None,
                        field,
                        expected: "sources limited to named namespaces, pods or address ranges"
                            .to_string(),
                        found,
                    });
                }
            }
        }
    }),
};

pub static NO_INTERNET_EGRESS: Check = Check {
    meta: CheckMeta {
        id: "network.no-internet-egress",
        title: "Databases and caches cannot reach the internet",
        judges: "data store workload",
        severity: Severity::High,
        checklist: &["GL-SEC-01"],
        needs: INVENTORY,
        rationale: "A database or cache that can open connections to the internet is one command away from \
                    shipping its whole content out (and an attacker in it can fetch tools); it only ever needs \
                    its replicas, DNS and in-cluster peers.",
        remediation: "Isolate the data store for Egress and give every egress rule a `to` listing pods \
                      (podSelector / namespaceSelector) or private address ranges only (10.0.0.0/8, 172.16.0.0/12, \
                      192.168.0.0/16, 100.64.0.0/10, fc00::/7...). Data stores are recognised by the pod label \
                      app.kubernetes.io/component (database, db, cache) or the image of a container (postgres, \
                      mysql, redis, mongo...); batch workloads (backups) are not data stores.",
        differences: &[],
    },
    rule: CheckRule::Inventory(|scope, evaluation| {
        for workload in policed_workloads(scope).filter(Workload::is_long_running) {
            let Some(evidence) = data_store_evidence(&workload) else {
                continue;
            };
            evaluation.evaluated();
            let policies = PodPolicies::of(scope.inventory, &workload);
            let routes: Vec<String> = if policies.isolated(Direction::Egress) {
                policies
                    .rules(Direction::Egress)
                    .iter()
                    .filter_map(internet_route)
                    .collect()
            } else {
                vec![
                    "no NetworkPolicy selects these pods for Egress, so they can reach any address"
                        .to_string(),
                ]
            };
            if routes.is_empty() {
                continue;
            }
            evaluation.report(workload_violation(
                &workload,
                "egress only to pods and private address ranges",
                format!("a data store ({evidence}): {}", routes.join("; ")),
            ));
        }
    }),
};

/// A direction of traffic, as named in `policyTypes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    fn name(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The key of the rule list in the spec.
    fn rules_key(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The key of the peer list in a rule.
    fn peers_key(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

/// What an absent spec means: an empty one (every pod, Ingress denied).
static EMPTY_SPEC: LazyLock<NetworkPolicySpec> = LazyLock::new(NetworkPolicySpec::default);

/// A NetworkPolicy of the inventory.
struct Policy<'a> {
    object: &'a Object,
    spec: &'a NetworkPolicySpec,
    /// The pods it selects in its namespace; `None` when the podSelector is
    /// invalid (the API server rejects such a policy, so it applies to none).
    pods: Option<Selector>,
}

/// One ingress or egress rule of a NetworkPolicy.
struct Rule<'a> {
    policy: &'a Object,
    direction: Direction,
    index: usize,
    /// `from` / `to`: empty admits every peer.
    peers: &'a [NetworkPolicyPeer],
    /// Empty admits every port.
    ports: &'a [NetworkPolicyPort],
}

impl<'a> Policy<'a> {
    fn of(object: &'a Object) -> Option<Policy<'a>> {
        let Resource::NetworkPolicy(policy) = &object.resource else {
            return None;
        };
        let spec = policy.spec.as_ref().unwrap_or(&EMPTY_SPEC);
        let pods = match &spec.pod_selector {
            Some(selector) => Selector::from_label_selector(selector).ok(),
            None => Some(Selector::default()),
        };
        Some(Policy { object, spec, pods })
    }

    /// The policies of one namespace.
    fn in_namespace(
        inventory: &'a Inventory,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = Policy<'a>> + 'a {
        inventory
            .of_kind_in("NetworkPolicy", namespace)
            .filter_map(Policy::of)
    }

    fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
        self.pods.as_ref().is_some_and(|pods| pods.matches(labels))
    }

    fn selects_every_pod(&self) -> bool {
        self.pods
            .as_ref()
            .is_some_and(|pods| pods.requirements.is_empty())
    }

    /// Whether the policy applies to the pods of `workload`.
    fn applies_to(&self, workload: &Workload) -> bool {
        self.object.namespace() == workload.object.namespace()
            && self.selects(workload.pod_labels())
    }

    /// Whether the policy has this type, explicitly or by default.
    fn has_type(&self, direction: Direction) -> bool {
        match self.spec.policy_types.as_deref() {
            Some(types) if !types.is_empty() => types.iter().any(|t| t == direction.name()),
            _ => direction == Direction::Ingress || self.spec.egress.is_some(),
        }
    }

    /// Whether the policy isolates every pod of its namespace for
    /// `direction` and allows nothing for it: a default deny.
    fn denies_everything(&self, direction: Direction) -> bool {
        self.selects_every_pod() && self.has_type(direction) && self.rules(direction).is_empty()
    }

    /// The rules that count for `direction` (none when the policy does not
    /// have that type: its rules for it are then ignored).
    fn rules(&self, direction: Direction) -> Vec<Rule<'a>> {
        if !self.has_type(direction) {
            return Vec::new();
        }
        let object = self.object;
        let rule = |index,
                    peers: Option<&'a Vec<NetworkPolicyPeer>>,
                    ports: Option<&'a Vec<NetworkPolicyPort>>| Rule {
            policy: object,
            direction,
            index,
            peers: peers.map_or(&[], Vec::as_slice),
            ports: ports.map_or(&[], Vec::as_slice),
        };
        let spec = self.spec;
        match direction {
            Direction::Ingress => spec
                .ingress
                .iter()
                .flatten()
                .enumerate()
                .map(|(index, r)| rule(index, r.from.as_ref(), r.ports.as_ref()))
                .collect(),
            Direction::Egress => spec
                .egress
                .iter()
                .flatten()
                .enumerate()
                .map(|(index, r)| rule(index, r.to.as_ref(), r.ports.as_ref()))
                .collect(),
        }
    }
}

impl Rule<'_> {
    /// The rule's field path, e.g. `spec.egress[1]`.
    fn field(&self) -> String {
        format!("spec.{}[{}]", self.direction.rules_key(), self.index)
    }

    /// The field path of the rule's peer list, or of one of its peers.
    fn peers_field(&self, peer: Option<usize>) -> String {
        let list = format!("{}.{}", self.field(), self.direction.peers_key());
        match peer {
            Some(index) => format!("{list}[{index}]"),
            None => list,
        }
    }

    fn describe(&self) -> String {
        format!(
            "NetworkPolicy {} {}",
            self.policy.metadata.name.as_deref().unwrap_or_default(),
            self.field()
        )
    }

    /// Whether the rule admits traffic on `protocol` to port `number` of a
    /// peer that names that port `port_name`.
    fn admits(&self, protocol: &str, number: i32, port_name: &str) -> bool {
        self.ports.is_empty()
            || self
                .ports
                .iter()
                .any(|port| port_admits(port, protocol, number, port_name))
    }
}

/// Whether one port entry of a rule admits `protocol`/`number` (or the port
/// named `port_name`): no protocol is TCP, no port is every port, `endPort`
/// makes a range.
fn port_admits(port: &NetworkPolicyPort, protocol: &str, number: i32, port_name: &str) -> bool {
    if port.protocol.as_deref().unwrap_or("TCP") != protocol {
        return false;
    }
    match &port.port {
        None => true,
        Some(IntOrString::Int(first)) => {
            (*first..=port.end_port.unwrap_or(*first)).contains(&number)
        }
        Some(IntOrString::String(name)) => name == port_name,
    }
}

/// The NetworkPolicies that apply to a workload's pods.
struct PodPolicies<'a> {
    selecting: Vec<Policy<'a>>,
}

impl<'a> PodPolicies<'a> {
    fn of(inventory: &'a Inventory, workload: &Workload<'a>) -> PodPolicies<'a> {
        let labels = workload.pod_labels();
        PodPolicies {
            selecting: Policy::in_namespace(inventory, workload.object.namespace())
                .filter(|policy| policy.selects(labels))
                .collect(),
        }
    }

    /// Whether the pods are isolated for `direction`: only the union of
    /// [`PodPolicies::rules`] is then allowed.
    fn isolated(&self, direction: Direction) -> bool {
        self.selecting
            .iter()
            .any(|policy| policy.has_type(direction))
    }

    fn rules(&self, direction: Direction) -> Vec<Rule<'a>> {
        self.selecting
            .iter()
            .flat_map(|policy| policy.rules(direction))
            .collect()
    }

    /// `NetworkPolicy a, b`: the policies isolating the pods for `direction`.
    fn names(&self, direction: Direction) -> String {
        let names: Vec<&str> = self
            .selecting
            .iter()
            .filter(|policy| policy.has_type(direction))
            .map(|policy| policy.object.metadata.name.as_deref().unwrap_or_default())
            .collect();
        let noun = if names.len() == 1 {
            "NetworkPolicy"
        } else {
            "NetworkPolicies"
        };
        format!("{noun} {}", names.join(", "))
    }
}

/// A NetworkPolicy of another namespace whose (non-empty) podSelector
/// matches the workload's pod labels: a common mistake worth naming.
fn policy_elsewhere<'a>(inventory: &'a Inventory, workload: &Workload<'a>) -> Option<&'a Object> {
    let namespace = workload.object.namespace();
    inventory
        .of_kind("NetworkPolicy")
        .filter(|object| object.namespace() != namespace)
        .filter_map(Policy::of)
        .find(|policy| !policy.selects_every_pod() && policy.selects(workload.pod_labels()))
        .map(|policy| policy.object)
}

/// Workloads in scope whose pods NetworkPolicies govern (not on the host
/// network).
fn policed_workloads<'a>(scope: &'a Scope<'a>) -> impl Iterator<Item = Workload<'a>> + 'a {
    scope
        .workloads()
        .filter(|workload| workload.pod_spec.host_network != Some(true))
}

fn namespace_phrase(namespace: Option<&str>) -> String {
    match namespace {
        Some(name) => format!("namespace {name}"),
        None => "the namespace the manifests are applied to".to_string(),
    }
}

/// A finding on a workload, located on the labels NetworkPolicies select.
fn workload_violation<'a>(workload: &Workload<'a>, expected: &str, found: String) -> Violation<'a> {
    Violation {
        object: workload.object,
        container: None,
        field: workload.pod_metadata_field("labels"),
        expected: expected.to_string(),
        found,
    }
}

/// Whether a label selector is empty (selects everything).
fn selects_everything(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(|e| e.is_empty())
}

/// Why an ingress rule admits traffic from everywhere, if it does: the field
/// to point at and what it admits.
fn open_ingress(rule: &Rule) -> Option<(String, String)> {
    if rule.peers.is_empty() {
        return Some((
            rule.peers_field(None),
            "a rule without `from`: every pod of the cluster and every address outside it"
                .to_string(),
        ));
    }
    rule.peers.iter().enumerate().find_map(|(index, peer)| {
        let field = rule.peers_field(Some(index));
        if let Some(block) = &peer.ip_block {
            let everything = Cidr::parse(&block.cidr).is_some_and(|cidr| cidr.prefix == 0);
            return everything.then(|| {
                (
                    format!("{field}.ipBlock.cidr"),
                    format!("ipBlock {}: every address, the internet included", block.cidr),
                )
            });
        }
        let every_namespace = peer
            .namespace_selector
            .as_ref()
            .is_some_and(selects_everything);
        let every_pod = peer.pod_selector.as_ref().is_none_or(selects_everything);
        (every_namespace && every_pod).then(|| {
            (
                format!("{field}.namespaceSelector"),
                "namespaceSelector: {} without a pod restriction: every pod of every namespace of the cluster"
                    .to_string(),
            )
        })
    })
}

/// Why an egress rule lets pods reach addresses outside the private ranges,
/// if it does.
fn internet_route(rule: &Rule) -> Option<String> {
    if rule.peers.is_empty() {
        return Some(format!(
            "{} allows every destination (no `to`)",
            rule.describe()
        ));
    }
    let public: Vec<&str> = rule
        .peers
        .iter()
        .filter_map(|peer| peer.ip_block.as_ref())
        .map(|block| block.cidr.as_str())
        .filter(|cidr| !is_private(cidr))
        .collect();
    (!public.is_empty()).then(|| {
        format!(
            "{} allows ipBlock {}, outside the private address ranges",
            rule.describe(),
            public.join(", ")
        )
    })
}

/// Address ranges that are not routed on the internet: RFC 1918, carrier-grade
/// NAT, loopback, link-local, IPv6 unique local and link-local.
const PRIVATE_RANGES: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

/// Whether a CIDR lies entirely inside the private ranges (an invalid one
/// does not).
fn is_private(cidr: &str) -> bool {
    Cidr::parse(cidr).is_some_and(|cidr| {
        PRIVATE_RANGES
            .iter()
            .filter_map(|range| Cidr::parse(range))
            .any(|range| cidr.is_inside(&range))
    })
}

/// An address range: `10.0.0.0/8`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    address: IpAddr,
    prefix: u32,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = text.trim().split_once('/')?;
        let address: IpAddr = address.parse().ok()?;
        let prefix: u32 = prefix.parse().ok()?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then_some(Cidr { address, prefix })
    }

    /// Whether every address of `self` belongs to `range`.
    fn is_inside(&self, range: &Cidr) -> bool {
        if self.prefix < range.prefix {
            return false;
        }
        let mask = |bits: u32| u128::MAX.checked_shl(bits - range.prefix).unwrap_or(0);
        match (self.address, range.address) {
            (IpAddr::V4(a), IpAddr::V4(r)) => {
                let mask = mask(32);
                u128::from(u32::from(a)) & mask == u128::from(u32::from(r)) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(r)) => {
                let mask = mask(128);
                u128::from(a) & mask == u128::from(r) & mask
            }
            _ => false,
        }
    }
}

/// Values of the pod label `app.kubernetes.io/component` that mark a data store.
const DATA_STORE_COMPONENTS: &[&str] = &["database", "db", "cache"];

/// Image repository names (last path segment, without tag) of data stores.
const DATA_STORE_IMAGES: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "valkey",
    "memcached",
    "cassandra",
    "elasticsearch",
    "opensearch",
    "etcd",
    "rabbitmq",
    "kafka",
    "zookeeper",
];

/// Why a workload is a database or cache, if it is: its component label, or
/// the image of one of its long-running containers (init containers only
/// prepare the pod, e.g. wait for a database with its client image).
fn data_store_evidence(workload: &Workload) -> Option<String> {
    let component_key = "app.kubernetes.io/component";
    if let Some(component) = workload.pod_labels().get(component_key)
        && DATA_STORE_COMPONENTS.contains(&component.as_str())
    {
        return Some(format!("label {component_key}={component}"));
    }
    workload
        .containers()
        .filter(|c| c.kind.serves())
        .filter_map(|c| c.container.image.as_deref())
        .find(|image| is_data_store_image(image))
        .map(|image| format!("image {image}"))
}

/// Whether an image reference is a data store's: its repository name is a
/// known one or contains postgres or redis (`factory-postgres`), except
/// metrics exporters (`redis_exporter`).
fn is_data_store_image(image: &str) -> bool {
    let name = repository_name(image).to_ascii_lowercase();
    DATA_STORE_IMAGES.contains(&name.as_str())
        || ((name.contains("postgres") || name.contains("redis")) && !name.contains("exporter"))
}

/// The last path segment of an image reference, without tag or digest:
/// `registry:5000/team/redis:7@sha256:...` is `redis`.
fn repository_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// A pod at one end of a path: its namespace, labels and, when known, its
/// IP (for `ipBlock` peers).
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub namespace: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub ip: Option<IpAddr>,
}

/// A TCP or UDP port of the destination pod, with the name its container
/// gives it (for rules that name ports).
#[derive(Debug, Clone, Copy)]
pub struct PathPort<'a> {
    pub protocol: &'a str,
    pub number: i32,
    pub name: &'a str,
}

/// Whether the NetworkPolicies of the inventory allow `from` to open a
/// connection to `port` of `to`, as a conforming network plugin decides: the
/// egress of the source (when policies isolate it for Egress) and the
/// ingress of the destination (when isolated for Ingress) must each be
/// allowed by one rule of the union of the policies selecting the pod.
/// An `ipBlock` peer matches a pod whose IP is known and inside it (and
/// in none of its `except` ranges), as the common plugins apply them to
/// pod IPs. `Err` names the side that denies it.
pub fn path_allowed(
    inventory: &Inventory,
    from: Endpoint<'_>,
    to: Endpoint<'_>,
    port: PathPort<'_>,
) -> Result<(), String> {
    let side = |at: Endpoint<'_>, direction: Direction, peer: Endpoint<'_>| {
        let selecting: Vec<Policy> = Policy::in_namespace(inventory, Some(at.namespace))
            .filter(|policy| policy.selects(at.labels))
            .collect();
        let isolating: Vec<&Policy> = selecting
            .iter()
            .filter(|policy| policy.has_type(direction))
            .collect();
        if isolating.is_empty() {
            return Ok(());
        }
        let admitted = isolating
            .iter()
            .flat_map(|p| p.rules(direction))
            .any(|rule| {
                rule.admits(port.protocol, port.number, port.name)
                    && (rule.peers.is_empty()
                        || rule
                            .peers
                            .iter()
                            .any(|p| peer_matches(inventory, p, at.namespace, peer)))
            });
        if admitted {
            Ok(())
        } else {
            let names: Vec<&str> = isolating
                .iter()
                .map(|p| p.object.metadata.name.as_deref().unwrap_or_default())
                .collect();
            Err(format!(
                "{} of {} denied by NetworkPolicy {}",
                direction.name(),
                at.namespace,
                names.join(", ")
            ))
        }
    };
    side(from, Direction::Egress, to)?;
    side(to, Direction::Ingress, from)
}

/// Whether a rule's peer (of a policy in `namespace`) is the pod `pod`.
fn peer_matches(
    inventory: &Inventory,
    peer: &NetworkPolicyPeer,
    namespace: &str,
    pod: Endpoint<'_>,
) -> bool {
    if let Some(block) = &peer.ip_block {
        let Some(ip) = pod.ip else {
            return false;
        };
        let address = Cidr {
            address: ip,
            prefix: if ip.is_ipv4() { 32 } else { 128 },
        };
        let inside = |cidr: &str| Cidr::parse(cidr).is_some_and(|range| address.is_inside(&range));
        return inside(&block.cidr) && !block.except.iter().flatten().any(|e| inside(e));
    }
    let namespace_ok = match &peer.namespace_selector {
        None => pod.namespace == namespace,
        Some(selector) => {
            let object = inventory.get("Namespace", None, pod.namespace);
            let mut labels = object.map(|o| o.labels().clone()).unwrap_or_default();
            labels.insert("kubernetes.io/metadata.name".into(), pod.namespace.into());
            Selector::from_label_selector(selector).is_ok_and(|s| s.matches(&labels))
        }
    };
    let pod_ok = match &peer.pod_selector {
        None => true,
        Some(selector) => {
            Selector::from_label_selector(selector).is_ok_and(|s| s.matches(pod.labels))
        }
    };
    namespace_ok && pod_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::WorkloadFilter;
    use crate::config::Config;
    use crate::source::manifests::{Loaded, load_bytes};

    fn inventory(yaml: &str) -> Inventory {
        let mut loaded = Loaded::default();
        load_bytes("t.yaml", yaml.as_bytes(), &mut loaded);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        Inventory::new(loaded.objects)
    }

    fn workload<'a>(inventory: &'a Inventory, name: &str) -> Workload<'a> {
        inventory
            .workloads()
            .find(|w| w.object.metadata.name.as_deref() == Some(name))
            .expect("the workload")
    }

    /// The findings of `check` on `yaml`, as (object name, found).
    fn findings(check: &Check, yaml: &str) -> Vec<(String, String)> {
        let inventory = inventory(yaml);
        let config = Config::default();
        let filter = WorkloadFilter::default();
        let scope = Scope::new(&inventory, &config.profiles["production"], &filter);
        check
            .run(&scope)
            .expect("a rule over the inventory")
            .findings
            .into_iter()
            .map(|f| (f.object.name, f.found))
            .collect()
    }

    const REDIS: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: redis, namespace: prod}\n\
        spec:\n  selector: {matchLabels: {app: redis}}\n  template:\n    metadata:\n      labels: {app: redis, tier: data}\n\
        \x20   spec:\n      containers:\n        - {name: redis, image: redis:7}\n";

    fn with_policies(policies: &str) -> String {
        format!("{REDIS}---\n{policies}")
    }

    const DENY_ALL: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: prod}\n\
        spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n";

    #[test]
    fn policy_types_default_to_ingress_plus_egress_when_egress_is_present() {
        let inventory = inventory(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  podSelector: {}\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b}\nspec:\n  podSelector: {}\n  egress: []\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: c}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]\n",
        );
        let policies: Vec<Policy> = Policy::in_namespace(&inventory, None).collect();
        let types = |p: &Policy| {
            (
                p.has_type(Direction::Ingress),
                p.has_type(Direction::Egress),
            )
        };
        assert_eq!(types(&policies[0]), (true, false));
        assert_eq!(types(&policies[1]), (true, true));
        assert_eq!(types(&policies[2]), (false, true));
        assert!(
            policies[2].rules(Direction::Ingress).is_empty(),
            "ignored without the type"
        );
        assert!(policies[1].denies_everything(Direction::Egress));
    }

    #[test]
    fn policies_add_up_and_apply_only_in_their_namespace() {
        let inventory = inventory(&with_policies(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: in, namespace: prod}\n\
             spec:\n  podSelector:\n    matchExpressions: [{key: tier, operator: In, values: [data]}]\n  policyTypes: [Ingress]\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: out, namespace: prod}\n\
             spec:\n  podSelector: {matchLabels: {app: redis}}\n  policyTypes: [Egress]\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: other, namespace: dev}\n\
             spec:\n  podSelector: {matchLabels: {app: redis}}\n  policyTypes: [Ingress, Egress]\n",
        ));
        let redis = workload(&inventory, "redis");
        let policies = PodPolicies::of(&inventory, &redis);
        assert_eq!(policies.selecting.len(), 2);
        assert!(policies.isolated(Direction::Ingress) && policies.isolated(Direction::Egress));
        assert_eq!(policies.names(Direction::Egress), "NetworkPolicy out");
        assert_eq!(
            policy_elsewhere(&inventory, &redis).and_then(|o| o.metadata.name.as_deref()),
            Some("other")
        );
    }

    #[test]
    fn ports_default_to_tcp_and_cover_ranges_and_names() {
        let port = |protocol: Option<&str>, port: Option<IntOrString>, end: Option<i32>| {
            NetworkPolicyPort {
                protocol: protocol.map(str::to_string),
                port,
                end_port: end,
            }
        };
        assert!(!port_admits(
            &port(None, Some(IntOrString::Int(53)), None),
            "UDP",
            53,
            "dns"
        ));
        assert!(port_admits(
            &port(None, Some(IntOrString::Int(53)), None),
            "TCP",
            53,
            "dns"
        ));
        assert!(port_admits(
            &port(Some("UDP"), None, None),
            "UDP",
            53,
            "dns"
        ));
        assert!(port_admits(
            &port(Some("UDP"), Some(IntOrString::Int(50)), Some(60)),
            "UDP",
            53,
            "dns"
        ));
        assert!(!port_admits(
            &port(Some("UDP"), Some(IntOrString::Int(54)), Some(60)),
            "UDP",
            53,
            "dns"
        ));
        assert!(port_admits(
            &port(Some("UDP"), Some(IntOrString::String("dns".into())), None),
            "UDP",
            53,
            "dns"
        ));
        assert!(!port_admits(
            &port(Some("UDP"), Some(IntOrString::String("http".into())), None),
            "UDP",
            53,
            "dns"
        ));
    }

    #[test]
    fn cidrs_inside_private_ranges() {
        assert!(is_private("10.1.2.0/24"));
        assert!(is_private("172.20.0.0/16"));
        assert!(!is_private("172.0.0.0/8"), "wider than 172.16.0.0/12");
        assert!(!is_private("0.0.0.0/0"));
        assert!(!is_private("203.0.113.7/32"));
        assert!(is_private("fd12:3456::/48"));
        assert!(!is_private("2001:db8::/32"));
        assert!(!is_private("10.0.0.0/33"), "invalid");
        assert!(!is_private("not-a-cidr"));
        assert_eq!(Cidr::parse("::/0").map(|c| c.prefix), Some(0));
    }

    #[test]
    fn image_repository_names() {
        assert_eq!(
            repository_name("registry:5000/team/redis:7@sha256:abc"),
            "redis"
        );
        assert_eq!(repository_name("postgres"), "postgres");
        assert!(is_data_store_image(
            "registry.company.com/factory-postgres:16.6-1"
        ));
        assert!(is_data_store_image("docker.io/bitnami/MongoDB:7"));
        assert!(!is_data_store_image("oliver006/redis_exporter:v1.62.0"));
        assert!(!is_data_store_image(
            "registry.company.com/factory-api:1.4.2"
        ));
        assert!(!is_data_store_image("etcd-backup-operator:1"));
    }

    #[test]
    fn dns_over_tcp_only_is_reported_as_such() {
        let found = findings(
            &DNS_EGRESS,
            &with_policies(&format!(
                "{DENY_ALL}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: dns, namespace: prod}}\n\
                 spec:\n  podSelector: {{}}\n  egress:\n    - ports: [{{port: 53}}]\n"
            )),
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].1.contains("only TCP port 53"), "{found:?}");
        assert!(
            findings(&DNS_EGRESS, REDIS).is_empty(),
            "not isolated: DNS is reachable"
        );
    }

    #[test]
    fn data_stores_without_egress_isolation_are_reported() {
        let found = findings(&NO_INTERNET_EGRESS, REDIS);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .1
                .contains("no NetworkPolicy selects these pods for Egress"),
            "{found:?}"
        );
        assert!(findings(&NO_INTERNET_EGRESS, &with_policies(DENY_ALL)).is_empty());
    }

    #[test]
    fn default_deny_falls_back_to_the_first_workload() {
        let found = findings(&DEFAULT_DENY, REDIS);
        assert_eq!(
            found,
            vec![(
                "redis".to_string(),
                "namespace prod has no default-deny NetworkPolicy for Ingress or Egress"
                    .to_string()
            )]
        );
        assert!(findings(&DEFAULT_DENY, &with_policies(DENY_ALL)).is_empty());
    }

    #[test]
    fn open_ingress_peers() {
        let found = findings(
            &INGRESS_OPEN,
            &with_policies(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: open, namespace: prod}\n\
                 spec:\n  podSelector: {}\n  ingress:\n    - {}\n    - from: [{ipBlock: {cidr: '::/0'}}]\n\
                 \x20   - from: [{namespaceSelector: {}}]\n    - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: prometheus}}}]\n\
                 \x20   - from: [{ipBlock: {cidr: 203.0.113.0/24}}]\n",
            ),
        );
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn paths_are_allowed_by_the_union_of_both_ends_policies() {
        let inventory = inventory(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\n\
             spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-in, namespace: shop}\n\
             spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 5432}]}]}\n---\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api-out, namespace: shop}\n\
             spec: {podSelector: {matchLabels: {app: api}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]}\n",
        );
        let label = |app: &str| BTreeMap::from([("app".to_string(), app.to_string())]);
        let (api, db, worker) = (label("api"), label("db"), label("worker"));
        let at = |labels| Endpoint {
            namespace: "shop",
            labels,
            ip: None,
        };
        let postgres = PathPort {
            protocol: "TCP",
            number: 5432,
            name: "postgres",
        };
        assert_eq!(
            path_allowed(&inventory, at(&api), at(&db), postgres),
            Ok(())
        );
        let other_port = PathPort {
            number: 8080,
            ..postgres
        };
        assert!(
            path_allowed(&inventory, at(&api), at(&db), other_port)
                .is_err_and(|e| e.contains("db-in"))
        );
        assert!(
            path_allowed(&inventory, at(&worker), at(&db), postgres)
                .is_err_and(|e| e.starts_with("Egress"))
        );
        let elsewhere = Endpoint {
            namespace: "other",
            labels: &api,
            ip: None,
        };
        assert!(
            path_allowed(&inventory, elsewhere, at(&db), postgres)
                .is_err_and(|e| e.starts_with("Ingress"))
        );
    }

    #[test]
    fn ip_blocks_match_the_pods_whose_ip_is_known_and_inside() {
        let inventory = inventory(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-in, namespace: shop}\n\
             spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.9.0/24]}}]}]}\n",
        );
        let labels = BTreeMap::new();
        let from = |ip: Option<&str>| Endpoint {
            namespace: "shop",
            labels: &labels,
            ip: ip.map(|ip| ip.parse().unwrap()),
        };
        let port = PathPort {
            protocol: "TCP",
            number: 5432,
            name: "",
        };
        let to = from(Some("10.244.3.3"));
        assert_eq!(
            path_allowed(&inventory, from(Some("10.244.1.5")), to, port),
            Ok(())
        );
        assert!(path_allowed(&inventory, from(Some("10.244.9.3")), to, port).is_err());
        assert!(path_allowed(&inventory, from(Some("10.245.0.1")), to, port).is_err());
        assert!(path_allowed(&inventory, from(None), to, port).is_err());
    }
}
