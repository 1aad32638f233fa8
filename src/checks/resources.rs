//! The resources family: every container (regular, init and native
//! sidecar, in every kind of workload) tells the scheduler what it needs
//! (requests) and the kubelet what it may use at most (limits), for CPU,
//! memory and ephemeral storage (the node's disk: logs, emptyDir, the
//! writable layer), so pods land on nodes that can hold them and one
//! runaway process cannot starve its neighbours.
//!
//! Kubernetes semantics are applied, not the text of the manifest: a request
//! left out while the limit is set defaults to the limit; pod-level
//! `spec.resources` (PodLevelResources) covers the containers that set
//! nothing themselves. Quantities are compared exactly (`0.5` equals `500m`,
//! `1G` is less than `1Gi`); a quantity the API server would reject is a
//! finding of the check that owns the field.
//!
//! This module also holds the iteration over every container of the
//! workloads in scope, shared with the security and image families.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{
    Check, CheckMeta, Difference, Evaluation, INVENTORY, Rule, Scope, Severity, Violation,
};
use crate::model::{ContainerKind, ContainerRef, Workload};

/// The resources family, in catalogue order.
pub static CHECKS: &[&Check] = &[
    &CPU_REQUESTS,
    &MEMORY_REQUESTS,
    &CPU_LIMITS,
    &MEMORY_LIMITS,
    &EPHEMERAL_STORAGE_LIMITS,
    &LIMITS_COVER_REQUESTS,
];

pub static CPU_REQUESTS: Check = Check {
    meta: CheckMeta {
        id: "resources.cpu-requests",
        title: "Every container requests CPU",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-APP-03"],
        needs: INVENTORY,
        rationale: "The scheduler places pods by their requests: a container that requests no CPU is packed onto \
                    nodes that are already busy and gets almost no CPU time under contention, so latency climbs \
                    exactly when traffic peaks.",
        remediation: "Set resources.requests.cpu on every container (including init and sidecar containers) to its \
                      usual consumption under load, e.g. `cpu: 250m`.",
        differences: &[Difference {
            peer: "kube-score",
            because: "it judges the pod the API server stores: a container that sets a CPU limit and no \
                      request gets a request equal to the limit (Kubernetes defaulting), so kube-score's \
                      limits-only fixtures request CPU for golive.",
        }],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        require(scope, evaluation, Compute::Cpu, List::Requests)
    }),
};

pub static MEMORY_REQUESTS: Check = Check {
    meta: CheckMeta {
        id: "resources.memory-requests",
        title: "Every container requests memory",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-APP-03"],
        needs: INVENTORY,
        rationale: "A container that requests no memory is scheduled onto nodes without room for it; when the node \
                    runs short, the kubelet evicts such pods first and the service loses replicas at random.",
        remediation: "Set resources.requests.memory on every container (including init and sidecar containers) to \
                      its working set under load, e.g. `memory: 256Mi`.",
        differences: &[Difference {
            peer: "kube-score",
            because: "it judges the pod the API server stores: a container that sets a memory limit and no \
                      request gets a request equal to the limit (Kubernetes defaulting), so kube-score's \
                      limits-only fixtures request memory for golive.",
        }],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        require(scope, evaluation, Compute::Memory, List::Requests)
    }),
};

pub static CPU_LIMITS: Check = Check {
    meta: CheckMeta {
        id: "resources.cpu-limits",
        title: "Every container limits its CPU",
        judges: "container",
        severity: Severity::Medium,
        checklist: &["GL-APP-03"],
        needs: INVENTORY,
        rationale: "A container without a CPU limit can use every idle core of its node and slows down its \
                    neighbours; the pod cannot be in the Guaranteed QoS class. Limits too low throttle the \
                    container (CFS quota) and raise latency: size them from measurements.",
        remediation: "Set resources.limits.cpu on every container, at or above its request (equal to it for the \
                      Guaranteed QoS class), e.g. `cpu: 500m`.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        require(scope, evaluation, Compute::Cpu, List::Limits)
    }),
};

pub static MEMORY_LIMITS: Check = Check {
    meta: CheckMeta {
        id: "resources.memory-limits",
        title: "Every container limits its memory",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-APP-03"],
        needs: INVENTORY,
        rationale: "A container without a memory limit can grow until the node runs out of memory: the kernel then \
                    kills processes of other pods, and a single leak takes down unrelated services.",
        remediation: "Set resources.limits.memory on every container, at or above its request (equal to it for the \
                      Guaranteed QoS class), e.g. `memory: 512Mi`.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        require(scope, evaluation, Compute::Memory, List::Limits)
    }),
};

pub static EPHEMERAL_STORAGE_LIMITS: Check = Check {
    meta: CheckMeta {
        id: "resources.ephemeral-storage-limits",
        title: "Every container limits its ephemeral storage",
        judges: "container",
        severity: Severity::Medium,
        checklist: &["GL-APP-03"],
        needs: INVENTORY,
        rationale: "Logs, emptyDir volumes and the container's writable layer live on the node's disk: a \
                    container without an ephemeral-storage limit can fill it, and the kubelet then evicts \
                    pods of every team on that node (DiskPressure) instead of the one at fault. Without a \
                    request (it defaults to the limit) the scheduler does not count the disk at all.",
        remediation: "Set resources.limits.ephemeral-storage on every container (e.g. `ephemeral-storage: 1Gi`, \
                      above what its logs and emptyDirs hold between rotations), with a request when it needs \
                      less most of the time; give emptyDir volumes a sizeLimit.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        require(scope, evaluation, Compute::EphemeralStorage, List::Limits)
    }),
};

pub static LIMITS_COVER_REQUESTS: Check = Check {
    meta: CheckMeta {
        id: "resources.limits-cover-requests",
        title: "Every CPU, memory and ephemeral-storage limit is at least the matching request",
        judges: "container with requests and limits",
        severity: Severity::High,
        checklist: &["GL-APP-03"],
        needs: INVENTORY,
        rationale: "The API server rejects a pod whose limit is below its request: the Deployment (or Job, \
                    StatefulSet...) is accepted but creates no pod, and the rollout stalls on release day.",
        remediation: "Raise the limit to at least the request, or lower the request; mind the units (`1G` is \
                      1,000,000,000 bytes, `1Gi` is 1,073,741,824).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in resourced_containers(scope) {
            let resources = container.container.resources.as_ref();
            let pairs: Vec<(Compute, Amount, Amount)> = Compute::ALL
                .into_iter()
                .filter_map(|compute| {
                    let request = parsed(resources, List::Requests, compute)?;
                    Some((compute, request, parsed(resources, List::Limits, compute)?))
                })
                .collect();
            if pairs.is_empty() {
                continue;
            }
            evaluation.evaluated();
            for (compute, request, limit) in pairs {
                if limit < request {
                    evaluation.report(Violation::on_container(
                        &workload,
                        &container,
                        &List::Limits.field(compute),
                        &format!("{} limit at least the request", compute.with_article()),
                        format!(
                            "{} limit {:?} is less than the request {:?}",
                            compute.label(),
                            limit.text,
                            request.text
                        ),
                    ));
                }
            }
        }
    }),
};

/// The resources every container must size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compute {
    Cpu,
    Memory,
    EphemeralStorage,
}

impl Compute {
    const ALL: [Compute; 3] = [Compute::Cpu, Compute::Memory, Compute::EphemeralStorage];

    /// The resource name in `requests` and `limits`.
    fn key(self) -> &'static str {
        match self {
            Compute::Cpu => "cpu",
            Compute::Memory => "memory",
            Compute::EphemeralStorage => "ephemeral-storage",
        }
    }

    /// The name in findings.
    fn label(self) -> &'static str {
        match self {
            Compute::Cpu => "CPU",
            Compute::Memory => "memory",
            Compute::EphemeralStorage => "ephemeral-storage",
        }
    }

    /// The name with its indefinite article (`a CPU`, `an ephemeral-storage`).
    fn with_article(self) -> String {
        match self {
            Compute::EphemeralStorage => format!("an {}", self.label()),
            _ => format!("a {}", self.label()),
        }
    }

    /// Whether the pod-level `spec.resources` may set it (PodLevelResources
    /// takes CPU and memory only).
    fn pod_level(self) -> bool {
        self != Compute::EphemeralStorage
    }
}

/// Which list of a ResourceRequirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Requests,
    Limits,
}

impl List {
    /// The field of `compute` in this list, relative to a container.
    fn field(self, compute: Compute) -> String {
        let list = match self {
            List::Requests => "requests",
            List::Limits => "limits",
        };
        format!("resources.{list}.{}", compute.key())
    }

    fn noun(self) -> &'static str {
        match self {
            List::Requests => "request",
            List::Limits => "limit",
        }
    }
}

/// The quantity written for `compute` in one list of `resources`.
fn declared(
    resources: Option<&ResourceRequirements>,
    list: List,
    compute: Compute,
) -> Option<&Quantity> {
    let resources = resources?;
    let map: Option<&BTreeMap<String, Quantity>> = match list {
        List::Requests => resources.requests.as_ref(),
        List::Limits => resources.limits.as_ref(),
    };
    map?.get(compute.key())
}

/// The quantity written for `compute` in one list, when it parses.
fn parsed(
    resources: Option<&ResourceRequirements>,
    list: List,
    compute: Compute,
) -> Option<Amount<'_>> {
    declared(resources, list, compute).and_then(|q| Amount::parse(&q.0))
}

/// The value Kubernetes uses for `compute` in `list`, and the list it was
/// written in: a request left out defaults to the limit.
fn effective(
    resources: Option<&ResourceRequirements>,
    list: List,
    compute: Compute,
) -> Option<(List, &Quantity)> {
    let own = declared(resources, list, compute).map(|q| (list, q));
    match list {
        List::Requests => {
            own.or_else(|| declared(resources, List::Limits, compute).map(|q| (List::Limits, q)))
        }
        List::Limits => own,
    }
}

/// The rule of the "every container sets X" checks: the container's
/// effective value (or the pod-level one) must exist and, when it is
/// written in this check's own field, parse.
fn require(scope: &Scope<'_>, evaluation: &mut Evaluation<'_>, compute: Compute, list: List) {
    let expected = format!(
        "{} {} ({})",
        compute.with_article(),
        list.noun(),
        list.field(compute)
    );
    for (workload, container) in resourced_containers(scope) {
        evaluation.evaluated();
        let found = match effective(container.container.resources.as_ref(), list, compute) {
            // A defaulted request shares the limit's field: the limit check reports it.
            Some((source, quantity)) if source == list && Amount::parse(&quantity.0).is_none() => {
                format!("unparsable quantity {:?}", quantity.0)
            }
            Some(_) => continue,
            None if compute.pod_level()
                && effective(workload.pod_spec.resources.as_ref(), list, compute).is_some() =>
            {
                continue;
            }
            None => missing(compute, list),
        };
        evaluation.report(Violation::on_container(
            &workload,
            &container,
            &list.field(compute),
            &expected,
            found,
        ));
    }
}

/// What a container without the value has, for a finding.
fn missing(compute: Compute, list: List) -> String {
    match list {
        List::Requests => format!(
            "no {0} request, and no {0} limit it would default to",
            compute.label()
        ),
        List::Limits => format!("no {} limit", compute.label()),
    }
}

/// A resource quantity, exactly: `mantissa × 10^exponent` with the sign
/// apart, normalised (no trailing zero in the mantissa, zero is `0 × 10^0`)
/// so that equal values have equal numeric fields.
#[derive(Debug, Clone)]
struct Amount<'a> {
    /// The quantity as written, for findings.
    text: &'a str,
    negative: bool,
    mantissa: u128,
    exponent: i64,
}

impl<'a> Amount<'a> {
    /// Parses the Kubernetes quantity syntax: a signed decimal number
    /// (`1`, `1.5`, `.5`, `5.`) followed by nothing, a binary suffix (`Ki` to
    /// `Ei`), a decimal suffix (`m`, `k`, `M`, `G`, `T`, `P`, `E`) or a
    /// decimal exponent (`e3`, `E-2`). `None` when the API would reject it.
    fn parse(text: &'a str) -> Option<Amount<'a>> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let number_end = unsigned
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(unsigned.len());
        let (number, suffix) = unsigned.split_at(number_end);
        let (integer, fraction) = number.split_once('.').unwrap_or((number, ""));
        if integer.is_empty() && fraction.is_empty() || fraction.contains('.') {
            return None;
        }
        let digits = format!("{integer}{fraction}");
        let significant = digits.trim_end_matches('0');
        let mut mantissa: u128 = 0;
        for digit in significant.bytes() {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(u128::from(digit - b'0'))?;
        }
        let (factor, suffix_exponent) = suffix_scale(suffix)?;
        let trailing_zeros = i64::try_from(digits.len() - significant.len()).ok()?;
        let fraction_digits = i64::try_from(fraction.len()).ok()?;
        Some(
            Amount {
                text,
                negative,
                mantissa: mantissa.checked_mul(factor)?,
                exponent: trailing_zeros - fraction_digits + suffix_exponent,
            }
            .normalised(),
        )
    }

    fn normalised(mut self) -> Amount<'a> {
        if self.mantissa == 0 {
            self.negative = false;
            self.exponent = 0;
        }
        while self.mantissa != 0 && self.mantissa.is_multiple_of(10) {
            self.mantissa /= 10;
            self.exponent += 1;
        }
        self
    }

    /// Compares absolute values.
    fn cmp_magnitude(&self, other: &Amount<'_>) -> Ordering {
        if self.mantissa == 0 || other.mantissa == 0 {
            return self.mantissa.cmp(&other.mantissa);
        }
        // Position of the leading digit first, then the digits themselves
        // once aligned (same leading position: the shift is below 39 digits).
        let leading = |a: &Amount<'_>| i64::from(a.mantissa.ilog10()) + a.exponent;
        leading(self).cmp(&leading(other)).then_with(|| {
            let shift = |a: &Amount<'_>, by: i64| {
                10u128
                    .checked_pow(u32::try_from(by).unwrap_or(u32::MAX))
                    .and_then(|f| a.mantissa.checked_mul(f))
            };
            match self.exponent.cmp(&other.exponent) {
                Ordering::Greater => shift(self, self.exponent - other.exponent)
                    .map_or(Ordering::Greater, |s| s.cmp(&other.mantissa)),
                Ordering::Less => shift(other, other.exponent - self.exponent)
                    .map_or(Ordering::Less, |s| self.mantissa.cmp(&s)),
                Ordering::Equal => self.mantissa.cmp(&other.mantissa),
            }
        })
    }
}

impl PartialEq for Amount<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Amount<'_> {}

impl PartialOrd for Amount<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Amount<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

/// The multiplier and power of ten a quantity suffix stands for.
fn suffix_scale(suffix: &str) -> Option<(u128, i64)> {
    let binary = |power: u32| Some((1u128 << power, 0));
    let decimal = |exponent: i64| Some((1, exponent));
    match suffix {
        "" => decimal(0),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let exponent: i32 = suffix.strip_prefix(['e', 'E'])?.parse().ok()?;
            decimal(i64::from(exponent))
        }
    }
}

/// The containers that take resources: every one but the ephemeral
/// containers, which the API forbids to set any.
fn resourced_containers<'a>(
    scope: &'a Scope<'a>,
) -> impl Iterator<Item = (Workload<'a>, ContainerRef<'a>)> + 'a {
    scope
        .containers()
        .filter(|(_, container)| container.kind != ContainerKind::Ephemeral)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount<'_> {
        Amount::parse(text).unwrap_or_else(|| panic!("{text:?} does not parse"))
    }

    fn same(a: &str, b: &str) -> bool {
        amount(a).cmp(&amount(b)) == Ordering::Equal
    }

    #[test]
    fn parses_every_form_of_the_grammar() {
        for (a, b) in [
            ("0.5", "500m"),
            (".5", "500m"),
            ("5.", "5"),
            ("+1", "1"),
            ("1e3", "1k"),
            ("1E3", "1000"),
            ("1e-3", "1m"),
            ("1e+3", "1k"),
            ("1.5Gi", "1536Mi"),
            ("1Ki", "1024"),
            ("1Ei", "1152921504606846976"),
            ("1E", "1000000000000000000"),
            ("2M", "2000k"),
            ("1T", "1000G"),
            ("1P", "1000T"),
            ("0", "0m"),
            ("-0", "0"),
            ("00100", "100"),
            ("1000000000000000000000000000000000000000000000000", "1e48"),
        ] {
            assert!(same(a, b), "{a} != {b}");
        }
    }

    #[test]
    fn rejects_what_the_api_rejects() {
        for text in [
            "", ".", "-", "1.2.3", "1 Gi", "1gi", "1K", "1KiB", "Gi", "1e", "1e+", "1e1.5",
            "1e--1", "0x10", "1,5", "abc",
        ] {
            assert!(Amount::parse(text).is_none(), "{text:?} parses");
        }
    }

    #[test]
    fn compares_exactly_across_units() {
        assert!(amount("1G") < amount("1Gi"));
        assert!(amount("1Gi") > amount("1000Mi"));
        assert!(amount("1024Mi") == amount("1Gi"));
        assert!(amount("999m") < amount("1"));
        assert!(amount("1001m") > amount("1"));
        assert!(amount("0.1") > amount("99m"));
        assert!(amount("-1") < amount("0"));
        assert!(amount("-2") < amount("-1"));
        assert!(amount("0") < amount("1m"));
        assert!(amount("1e-40") < amount("1e40"));
        assert!(amount("340282366920938463463374607431768211455") > amount("4e37"));
        assert!(amount("4e38") > amount("340282366920938463463374607431768211455"));
    }

    #[test]
    fn keeps_the_text_as_written() {
        assert_eq!(amount("1.5Gi").text, "1.5Gi");
    }

    #[test]
    fn a_request_defaults_to_the_limit() {
        let resources = ResourceRequirements {
            limits: Some(BTreeMap::from([(
                "memory".to_string(),
                Quantity("1Gi".into()),
            )])),
            ..Default::default()
        };
        let request = effective(Some(&resources), List::Requests, Compute::Memory);
        assert_eq!(
            request.map(|(list, q)| (list, q.0.as_str())),
            Some((List::Limits, "1Gi"))
        );
        assert!(effective(Some(&resources), List::Requests, Compute::Cpu).is_none());
        assert!(effective(Some(&resources), List::Limits, Compute::Cpu).is_none());
    }
}
