//! The probe family: Kubernetes can only restart a hung container and keep
//! traffic away from one that is not ready if it is told how to tell. These
//! checks look at the regular containers of long-running workloads (Jobs,
//! CronJobs and batch Pods run to completion and are exempt; init containers
//! finish before the pod serves).

use k8s_openapi::api::core::v1::{Container, ContainerPort, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Check, CheckMeta, Difference, INVENTORY, Rule, Scope, Severity, Violation};
use crate::model::{ContainerKind, ContainerRef, Workload};

mod exec;
mod timings;

use timings::Timings;

/// The probe family, in catalogue order.
pub static CHECKS: &[&Check] = &[
    &LIVENESS,
    &READINESS,
    &DISTINCT,
    &PORT,
    &STARTUP_BUDGET,
    &LIVENESS_WINDOW,
    &TIMEOUT,
    &REMOTE_HOST,
];

pub static LIVENESS: Check = Check {
    meta: CheckMeta {
        id: "probe.liveness",
        title: "Every container has a liveness probe",
        judges: "long-running container",
        severity: Severity::High,
        checklist: &["GL-APP-02"],
        needs: INVENTORY,
        rationale: "Without a liveness probe a deadlocked or hung process keeps its pod Running forever: \
                    Kubernetes never restarts it and users get timeouts until someone notices.",
        remediation: "Add a livenessProbe (httpGet on a cheap health endpoint such as /health, or tcpSocket) \
                      that checks only the process itself, not its dependencies.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in probed_containers(scope) {
            evaluation.evaluated();
            if container.container.liveness_probe.is_none() {
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    "livenessProbe",
                    "a livenessProbe",
                    "none".into(),
                ));
            }
        }
    }),
};

pub static READINESS: Check = Check {
    meta: CheckMeta {
        id: "probe.readiness",
        title: "Every container that receives traffic has a readiness probe",
        judges: "long-running container",
        severity: Severity::High,
        checklist: &["GL-APP-02"],
        needs: INVENTORY,
        rationale: "A Service sends requests to a pod as soon as its containers start unless a readiness probe \
                    says otherwise: during rollouts, restarts and dependency outages users hit pods that cannot answer.",
        remediation: "Add a readinessProbe (httpGet on a /ready endpoint that checks what the container needs to \
                      serve, e.g. its database) to every container that serves traffic.",
        differences: &[
            Difference {
                peer: "polaris",
                because: "it asks for a readiness probe only where traffic arrives: a container a Service \
                          selects, or one that declares ports when the manifests hold no Service. Polaris's \
                          failing fixture is a pod with one container, no port and no Service: nothing routes \
                          requests to it, so golive finds the item not applicable.",
            },
            Difference {
                peer: "kube-linter",
                because: "it asks for a readiness probe only where traffic arrives (a container a Service \
                          selects, or one that declares ports when the manifests hold no Service); \
                          kube-linter's firing Deployment has one container without ports and no Service, so \
                          golive finds the item not applicable.",
            },
            Difference {
                peer: "checkov",
                because: "it asks for a readiness probe only where traffic arrives (a container a Service \
                          selects, or one that declares ports when the manifests hold no Service); Checkov's \
                          failing pod has a second container without ports and no Service: nothing routes \
                          requests to it.",
            },
        ],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let inventory_has_services = scope.inventory.of_kind("Service").next().is_some();
        for (workload, container) in probed_containers(scope) {
            let declares_ports = container
                .container
                .ports
                .as_ref()
                .is_some_and(|p| !p.is_empty());
            let service = scope.inventory.services_selecting(&workload).next();
            let why = match service {
                Some(service) if declares_ports || workload.pod_spec.containers.len() == 1 => {
                    format!(
                        "none, and {} routes traffic to this pod",
                        service.reference()
                    )
                }
                None if !inventory_has_services && declares_ports => {
                    "none, and the container declares ports to serve".to_string()
                }
                _ => continue,
            };
            evaluation.evaluated();
            if container.container.readiness_probe.is_none() {
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    "readinessProbe",
                    "a readinessProbe",
                    why,
                ));
            }
        }
    }),
};

pub static DISTINCT: Check = Check {
    meta: CheckMeta {
        id: "probe.distinct",
        title: "Liveness and readiness probes are not the same check",
        judges: "container with both probes",
        severity: Severity::Medium,
        checklist: &["GL-APP-02"],
        needs: INVENTORY,
        rationale: "When liveness repeats readiness, a dependency outage (database down) fails liveness too and \
                    Kubernetes restarts every replica at once, turning a degraded service into a full outage.",
        remediation: "Point liveness at an endpoint that only checks the process (/health) and readiness at one \
                      that checks its dependencies (/ready).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container, liveness, readiness) in containers_with_both_probes(scope) {
            let c = container.container;
            evaluation.evaluated();
            let (live, ready) = (Handler::of(liveness, c), Handler::of(readiness, c));
            if live.is_some() && live == ready {
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    "readinessProbe",
                    "a readiness check different from the liveness check",
                    format!("both probes run {}", describe(readiness)),
                ));
            }
        }
    }),
};

pub static PORT: Check = Check {
    meta: CheckMeta {
        id: "probe.port",
        title: "Every probe targets a TCP port the container can serve",
        judges: "probe on a port",
        severity: Severity::Critical,
        checklist: &["GL-APP-02"],
        needs: INVENTORY,
        rationale: "A probe on a port name the container does not define never succeeds (the pod is never ready, or \
                    is restarted in a loop); so does an httpGet, tcpSocket or grpc probe on a port the container \
                    declares with protocol UDP or SCTP, since the kubelet connects over TCP, and a number that is not \
                    among the ports the container declares (a container that declares none is taken at its word).",
        remediation: "Use the name of one of the container's TCP ports (e.g. port: http) or its containerPort \
                      number; probe a UDP service with an exec probe.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in probed_containers(scope) {
            let c = container.container;
            for (field, probe) in probes_of(c) {
                let Some((port_field, port)) = probe_port(probe) else {
                    continue;
                };
                evaluation.evaluated();
                if let Err(found) = resolve_port(c, &port) {
                    evaluation.report(Violation::on_container(
                        &workload,
                        &container,
                        &format!("{field}.{port_field}"),
                        &declared_ports(c),
                        found,
                    ));
                }
            }
        }
    }),
};

pub static STARTUP_BUDGET: Check = Check {
    meta: CheckMeta {
        id: "probe.startup-budget",
        title: "Liveness never kills a container before it could have become ready",
        judges: "container with liveness and readiness probes",
        severity: Severity::High,
        checklist: &["GL-APP-02"],
        needs: INVENTORY,
        rationale: "The kubelet restarts a container once its liveness probe has failed failureThreshold times, \
                    counting from initialDelaySeconds: roughly initialDelaySeconds + failureThreshold x \
                    periodSeconds after it starts (0 + 3 x 10 = 30 s with the defaults). The readiness probe \
                    says how long the container may take to become ready: it is first asked after its own \
                    initialDelaySeconds and allowed failureThreshold x periodSeconds of failures. A liveness \
                    grace shorter than that readiness budget kills a slow start (a cold cache, a migration, a \
                    JVM warming up) before it could have become ready, and the pod restarts in a loop. With a \
                    startupProbe, liveness waits for it: the startup probe's own grace must cover the readiness \
                    budget. A container without a readiness probe states no start time and is not judged here \
                    (probe.readiness asks for one where traffic arrives).",
        remediation: "Add a startupProbe on the liveness endpoint whose failureThreshold x periodSeconds covers \
                      the slowest start (e.g. periodSeconds: 5, failureThreshold: 24 for two minutes), or raise \
                      the liveness probe's initialDelaySeconds or failureThreshold.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container, liveness, readiness) in containers_with_both_probes(scope) {
            let c = container.container;
            evaluation.evaluated();
            let readiness = Timings::of(readiness);
            let (field, guard) = match &c.startup_probe {
                Some(startup) => ("startupProbe", Timings::of(startup)),
                None => ("livenessProbe", Timings::of(liveness)),
            };
            if guard.grace() >= readiness.grace() {
                continue;
            }
            evaluation.report(Violation::on_container(
                &workload,
                &container,
                field,
                &format!(
                    "a {field} that waits at least {} s, the readiness budget ({})",
                    readiness.grace(),
                    readiness.describe_grace()
                ),
                format!(
                    "the {field} kills the container after {} s ({})",
                    guard.grace(),
                    guard.describe_grace()
                ),
            ));
        }
    }),
};

pub static LIVENESS_WINDOW: Check = Check {
    meta: CheckMeta {
        id: "probe.liveness-window",
        title: "Liveness gives up later than readiness",
        judges: "container with liveness and readiness probes",
        severity: Severity::Medium,
        checklist: &["GL-APP-02"],
        needs: INVENTORY,
        rationale: "Under load both probes slow down and time out, whatever endpoints they call: the same \
                    overloaded process answers them. Readiness should then take the pod out of rotation so \
                    that it can catch up; a liveness probe that gives up as soon as readiness does (its \
                    failureThreshold x periodSeconds not longer than readiness's) restarts the pod instead, \
                    the remaining pods get its share of the load and fail in turn, and the peak becomes a \
                    restart cascade. What the probes run is probe.distinct's judgement; this check judges only \
                    when they give up, so a container with both faults gets two findings with two fixes.",
        remediation: "Give liveness a longer failure window than readiness, e.g. readiness periodSeconds: 5, \
                      failureThreshold: 2 (10 s) and liveness periodSeconds: 10, failureThreshold: 3 (30 s).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container, liveness, readiness) in containers_with_both_probes(scope) {
            evaluation.evaluated();
            let (liveness, readiness) = (Timings::of(liveness), Timings::of(readiness));
            if liveness.failure_window() > readiness.failure_window() {
                continue;
            }
            evaluation.report(Violation::on_container(
                &workload,
                &container,
                "livenessProbe",
                &format!(
                    "a liveness failure window longer than the readiness one ({})",
                    readiness.describe_window()
                ),
                format!(
                    "liveness gives up after {}: the pod is restarted as soon as it is taken out of rotation",
                    liveness.describe_window()
                ),
            ));
        }
    }),
};

pub static TIMEOUT: Check = Check {
    meta: CheckMeta {
        id: "probe.timeout",
        title: "No probe waits longer for an answer than the time between two probes",
        judges: "probe",
        severity: Severity::Low,
        checklist: &["GL-APP-02"],
        needs: INVENTORY,
        rationale: "The kubelet runs a container's probe attempts one after the other: with timeoutSeconds \
                    above periodSeconds, a slow answer delays the next attempt, the probe runs every \
                    timeoutSeconds instead of every periodSeconds, and the failure window is longer than the \
                    manifest says (failureThreshold x timeoutSeconds). A timeout that long also usually means \
                    the probe checks more than the process itself.",
        remediation: "Keep timeoutSeconds at most periodSeconds (e.g. periodSeconds: 10, timeoutSeconds: 2), and \
                      make the endpoint answer quickly.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in probed_containers(scope) {
            for (field, probe) in probes_of(container.container) {
                evaluation.evaluated();
                let timings = Timings::of(probe);
                if timings.timeout <= timings.period {
                    continue;
                }
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    &format!("{field}.timeoutSeconds"),
                    &format!("timeoutSeconds of at most periodSeconds ({})", timings.period),
                    format!(
                        "timeoutSeconds {} with periodSeconds {}: attempts run every {} s, not every {} s",
                        timings.timeout, timings.period, timings.timeout, timings.period
                    ),
                ));
            }
        }
    }),
};

pub static REMOTE_HOST: Check = Check {
    meta: CheckMeta {
        id: "probe.remote-host",
        title: "No liveness or startup probe calls another host",
        judges: "liveness or startup probe",
        severity: Severity::High,
        checklist: &["GL-APP-02"],
        needs: INVENTORY,
        rationale: "A liveness or startup probe that reaches another host fails when that dependency is down or \
                    slow: the kubelet then restarts every replica at once, and a database blip becomes a full \
                    outage that restarts cannot fix. Exec commands are read for curl, wget, nc or \
                    grpc_health_probe against another host, psql, pg_isready, mysql or redis-cli with a remote \
                    -h, and connection URLs (commands run through sh -c too); httpGet and tcpSocket probes for \
                    their host field. localhost, 127.0.0.0/8, ::1, 0.0.0.0 and Unix sockets are the pod itself; \
                    a host written as a shell variable cannot be read from the manifest and is not judged. \
                    Readiness probes may check dependencies (that is what takes a pod out of rotation), so they \
                    are not judged here.",
        remediation: "Make liveness and startup check only the process (its own /health on localhost, or a \
                      tcpSocket on its port, without host) and move dependency checks to the readiness probe.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in probed_containers(scope) {
            let probes =
                probes_of(container.container).filter(|(field, _)| *field != "readinessProbe");
            for (field, probe) in probes {
                evaluation.evaluated();
                if let Some((handler_field, call)) = remote_call(probe) {
                    evaluation.report(Violation::on_container(
                        &workload,
                        &container,
                        &format!("{field}.{handler_field}"),
                        "a probe that checks only the container itself (localhost)",
                        format!(
                            "{call}: when it is unreachable, the kubelet restarts every replica"
                        ),
                    ));
                }
            }
        }
    }),
};

/// The field of a probe that reaches another host than the pod, and how.
fn remote_call(probe: &Probe) -> Option<(&'static str, String)> {
    if let Some(command) = probe.exec.as_ref().and_then(|e| e.command.as_deref()) {
        return exec::remote_call(command).map(|call| ("exec.command", call));
    }
    let (field, host) = match (&probe.http_get, &probe.tcp_socket) {
        (Some(http), _) => ("httpGet.host", http.host.as_deref()),
        (None, Some(tcp)) => ("tcpSocket.host", tcp.host.as_deref()),
        (None, None) => return None,
    };
    let host = host.filter(|h| exec::is_remote(h))?;
    Some((
        field,
        format!("the kubelet connects to host {host}, not to the pod"),
    ))
}

/// The probes a container defines, with their field names.
fn probes_of(container: &Container) -> impl Iterator<Item = (&'static str, &Probe)> {
    [
        ("livenessProbe", &container.liveness_probe),
        ("readinessProbe", &container.readiness_probe),
        ("startupProbe", &container.startup_probe),
    ]
    .into_iter()
    .filter_map(|(field, probe)| probe.as_ref().map(|p| (field, p)))
}

/// Regular containers of long-running workloads in scope.
/// The probed containers that have a liveness and a readiness probe, with
/// both (the checks that compare them).
fn containers_with_both_probes<'a>(
    scope: &'a Scope<'a>,
) -> impl Iterator<Item = (Workload<'a>, ContainerRef<'a>, &'a Probe, &'a Probe)> + 'a {
    probed_containers(scope).filter_map(|(workload, container)| {
        let c = container.container;
        let (liveness, readiness) = (c.liveness_probe.as_ref()?, c.readiness_probe.as_ref()?);
        Some((workload, container, liveness, readiness))
    })
}

fn probed_containers<'a>(
    scope: &'a Scope<'a>,
) -> impl Iterator<Item = (Workload<'a>, ContainerRef<'a>)> + 'a {
    scope
        .workloads()
        .filter(Workload::is_long_running)
        .flat_map(|w| {
            w.containers()
                .filter(|c| c.kind == ContainerKind::Regular)
                .map(move |c| (w, c))
        })
}

/// What a probe does, with named ports resolved, ignoring timings.
#[derive(Debug, PartialEq)]
enum Handler<'a> {
    Http {
        path: Option<&'a str>,
        port: Result<i32, String>,
        host: Option<&'a str>,
        scheme: Option<&'a str>,
    },
    Tcp {
        port: Result<i32, String>,
        host: Option<&'a str>,
    },
    Exec(Option<&'a Vec<String>>),
    Grpc {
        port: i32,
        service: Option<&'a str>,
    },
}

impl<'a> Handler<'a> {
    fn of(probe: &'a Probe, container: &Container) -> Option<Handler<'a>> {
        if let Some(http) = &probe.http_get {
            return Some(Handler::Http {
                path: http.path.as_deref().or(Some("/")),
                port: resolve_port(container, &http.port),
                host: http.host.as_deref(),
                scheme: http.scheme.as_deref().or(Some("HTTP")),
            });
        }
        if let Some(tcp) = &probe.tcp_socket {
            return Some(Handler::Tcp {
                port: resolve_port(container, &tcp.port),
                host: tcp.host.as_deref(),
            });
        }
        if let Some(exec) = &probe.exec {
            return Some(Handler::Exec(exec.command.as_ref()));
        }
        probe.grpc.as_ref().map(|grpc| Handler::Grpc {
            port: grpc.port,
            service: grpc.service.as_deref(),
        })
    }
}

fn describe(probe: &Probe) -> String {
    let port = |p: &IntOrString| match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(http) = &probe.http_get {
        format!(
            "httpGet {} on port {}",
            http.path.as_deref().unwrap_or("/"),
            port(&http.port)
        )
    } else if let Some(tcp) = &probe.tcp_socket {
        format!("tcpSocket on port {}", port(&tcp.port))
    } else if let Some(exec) = &probe.exec {
        format!(
            "exec {:?}",
            exec.command.clone().unwrap_or_default().join(" ")
        )
    } else if let Some(grpc) = &probe.grpc {
        format!("grpc on port {}", grpc.port)
    } else {
        "no handler".into()
    }
}

/// The port a probe targets and the field holding it.
fn probe_port(probe: &Probe) -> Option<(&'static str, IntOrString)> {
    if let Some(http) = &probe.http_get {
        return Some(("httpGet.port", http.port.clone()));
    }
    if let Some(tcp) = &probe.tcp_socket {
        return Some(("tcpSocket.port", tcp.port.clone()));
    }
    probe
        .grpc
        .as_ref()
        .map(|grpc| ("grpc.port", IntOrString::Int(grpc.port)))
}

/// The port number a probe port stands for on `container`, or why the
/// kubelet cannot probe it there. Probes with a port (httpGet, tcpSocket,
/// grpc) connect over TCP: a port name must name a TCP port of the
/// container; a number must be one of its TCP ports when it declares any
/// (a container that declares none may listen anywhere).
fn resolve_port(container: &Container, port: &IntOrString) -> Result<i32, String> {
    let ports = container.ports.as_deref().unwrap_or_default();
    match port {
        IntOrString::String(name) => {
            let declared = ports
                .iter()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .ok_or_else(|| {
                    format!("port name {name:?}, which the container does not define")
                })?;
            match protocol(declared) {
                "TCP" => Ok(declared.container_port),
                other => Err(format!(
                    "port name {name:?}, which the container declares as {other} port {}: the kubelet probes over TCP",
                    declared.container_port
                )),
            }
        }
        IntOrString::Int(number) if ports.is_empty() => Ok(*number),
        IntOrString::Int(number) => {
            let protocols: Vec<&str> = ports
                .iter()
                .filter(|p| p.container_port == *number)
                .map(protocol)
                .collect();
            if protocols.contains(&"TCP") {
                Ok(*number)
            } else if protocols.is_empty() {
                Err(format!(
                    "port {number}, which is not one of the container's ports"
                ))
            } else {
                Err(format!(
                    "port {number}, which the container declares only as {}: the kubelet probes over TCP",
                    protocols.join(" and ")
                ))
            }
        }
    }
}

/// The protocol of a container port (`TCP` when unset, as the API defaults it).
fn protocol(port: &ContainerPort) -> &str {
    port.protocol.as_deref().unwrap_or("TCP")
}

/// What a probe port should be: one of the container's TCP ports, by name
/// or number.
fn declared_ports(container: &Container) -> String {
    let ports: Vec<String> = container
        .ports
        .iter()
        .flatten()
        .filter(|p| protocol(p) == "TCP")
        .map(|p| match &p.name {
            Some(name) => format!("{name} ({})", p.container_port),
            None => p.container_port.to_string(),
        })
        .collect();
    if ports.is_empty() {
        "a TCP port of the container (it declares none)".into()
    } else {
        format!("one of the container's TCP ports: {}", ports.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container declaring `ports` as (name, number, protocol).
    fn container(ports: &[(Option<&str>, i32, Option<&str>)]) -> Container {
        Container {
            name: "c".into(),
            ports: Some(
                ports
                    .iter()
                    .map(|(name, number, protocol)| ContainerPort {
                        name: name.map(str::to_string),
                        container_port: *number,
                        protocol: protocol.map(str::to_string),
                        ..ContainerPort::default()
                    })
                    .collect(),
            ),
            ..Container::default()
        }
    }

    #[test]
    fn a_probe_resolves_only_tcp_ports() {
        let c = container(&[
            (Some("http"), 8080, None),
            (Some("dns"), 53, Some("UDP")),
            (Some("dns-tcp"), 53, Some("TCP")),
            (Some("syslog"), 514, Some("UDP")),
            (Some("sctp"), 9899, Some("SCTP")),
        ]);
        let name = |n: &str| resolve_port(&c, &IntOrString::String(n.into()));
        let number = |n: i32| resolve_port(&c, &IntOrString::Int(n));
        assert_eq!(name("http"), Ok(8080));
        assert_eq!(name("dns-tcp"), Ok(53));
        assert!(name("dns").unwrap_err().contains("UDP port 53"));
        assert!(name("sctp").unwrap_err().contains("SCTP port 9899"));
        assert!(name("metrics").unwrap_err().contains("does not define"));
        assert_eq!(number(8080), Ok(8080));
        assert_eq!(number(53), Ok(53), "53 is also declared over TCP");
        assert!(
            number(9090)
                .unwrap_err()
                .contains("not one of the container's ports")
        );
        let silent = container(&[]);
        assert_eq!(
            resolve_port(&silent, &IntOrString::Int(9090)),
            Ok(9090),
            "a container that declares no port is taken at its word"
        );
        assert!(number(514).unwrap_err().contains("only as UDP"));
    }

    #[test]
    fn the_expected_ports_are_the_tcp_ones() {
        let c = container(&[(Some("http"), 8080, None), (None, 53, Some("UDP"))]);
        assert_eq!(
            declared_ports(&c),
            "one of the container's TCP ports: http (8080)"
        );
        let udp_only = container(&[(None, 53, Some("UDP"))]);
        assert_eq!(
            declared_ports(&udp_only),
            "a TCP port of the container (it declares none)"
        );
    }
}
