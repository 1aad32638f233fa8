//! The security family: the Pod Security Standards "restricted" profile
//! (non-root, no privilege escalation, all capabilities dropped, a seccomp
//! profile, nothing shared with the node), plus a read-only root filesystem
//! and no Kubernetes API token where nothing uses it. Container checks look
//! at every container: init, native sidecar and regular, in every kind of
//! workload.
//!
//! Fields that exist on the pod and on the container (`runAsUser`,
//! `runAsNonRoot`, `seccompProfile`) are resolved as the kubelet does: the
//! container's value, else the pod's.
//!
//! Pods with `spec.os.name: windows` are exempt from the checks whose fields
//! the API server forbids on Windows (they cannot be set there):
//! privilege-escalation, read-only-root, capabilities, privileged and
//! seccomp. `security.non-root` still applies: Windows honours
//! `runAsNonRoot`, and the restricted profile requires it there too.
//!
//! The baseline Pod Security Standard's remaining controls are here too:
//! `/proc` masked (`procMount`) and only the namespaced sysctls it lists as
//! safe.
//!
//! One cause, one finding: a privileged container (which can always
//! escalate) is left to `security.privileged` by
//! `security.privilege-escalation`, and the ports of a `hostNetwork` pod
//! (all of them node ports) to `security.host-namespaces` by
//! `security.host-ports`.

use std::fmt::Display;

use k8s_openapi::api::core::v1::{PodSecurityContext, SecurityContext};

use super::{
    Check, CheckMeta, Difference, Evaluation, INVENTORY, Rule, Scope, Severity, Violation,
};
use crate::model::rbac::ServiceAccountRef;
use crate::model::{ContainerRef, Inventory, Resource, Workload};

/// The security family, in catalogue order.
pub static CHECKS: &[&Check] = &[
    &NON_ROOT,
    &PRIVILEGE_ESCALATION,
    &READ_ONLY_ROOT,
    &CAPABILITIES,
    &PRIVILEGED,
    &HOST_NAMESPACES,
    &HOST_PATH,
    &HOST_PORTS,
    &SECCOMP,
    &SERVICE_ACCOUNT_TOKEN,
    &PROC_MOUNT,
    &SYSCTLS,
];

pub static NON_ROOT: Check = Check {
    meta: CheckMeta {
        id: "security.non-root",
        title: "Every container runs as a non-root user",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "A process running as root inside the container is root on the node's kernel: any escape bug or \
                    writable host mount turns an application vulnerability into a node compromise.",
        remediation: "Set securityContext.runAsNonRoot: true on the pod (the kubelet then refuses images whose user \
                      is root) and, when the image has no numeric non-root USER, runAsUser: <uid> (e.g. 10001); never \
                      set runAsUser: 0 on a container.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in scope.containers() {
            evaluation.evaluated();
            if let Some((field, found)) = runs_as_root(&workload, &container) {
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    &format!("securityContext.{field}"),
                    "runAsNonRoot: true or a non-zero runAsUser (container, else pod)",
                    found,
                ));
            }
        }
    }),
};

pub static PRIVILEGE_ESCALATION: Check = Check {
    meta: CheckMeta {
        id: "security.privilege-escalation",
        title: "Every container forbids privilege escalation",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent \
                    (setuid binaries, file capabilities): an attacker in the container becomes root there.",
        remediation: "Set securityContext.allowPrivilegeEscalation: false on every container (it is a container \
                      field: the pod's securityContext cannot set it). Privileged containers can always escalate: \
                      security.privileged reports them.",
        differences: &[
            Difference {
                peer: "polaris",
                because: "allowPrivilegeEscalation exists only in a container's securityContext: the API server \
                          drops it from the pod's securityContext, so golive does not count Polaris's pod-level \
                          `allowPrivilegeEscalation: false` for a container that does not set it.",
            },
            Difference {
                peer: "checkov",
                because: "it reports a privileged container once, under security.privileged: such a container \
                          can always escalate (the API server rejects `allowPrivilegeEscalation: false` with \
                          `privileged: true`), so the only fix is to drop `privileged`. Checkov's failing \
                          fixtures that are privileged fail CKV_K8S_16 and CKV_K8S_20 both.",
            },
        ],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        check_flag(scope, evaluation, &NO_PRIVILEGE_ESCALATION)
    }),
};

pub static READ_ONLY_ROOT: Check = Check {
    meta: CheckMeta {
        id: "security.read-only-root",
        title: "Every container has a read-only root filesystem",
        judges: "container",
        severity: Severity::Medium,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "A writable root filesystem lets an intruder drop tools and alter binaries or configuration of the \
                    running container, and lets the application fill the node's disk with files nobody sized.",
        remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir (with a sizeLimit) on \
                      the directories the process writes to, such as /tmp.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        check_flag(scope, evaluation, &READ_ONLY_ROOT_FILESYSTEM)
    }),
};

pub static CAPABILITIES: Check = Check {
    meta: CheckMeta {
        id: "security.capabilities",
        title: "Every container drops all Linux capabilities",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "The default capability set of a container runtime (NET_RAW, SETUID, CHOWN, DAC_OVERRIDE...) \
                    allows ARP spoofing and privilege games an application never needs; capabilities such as \
                    SYS_ADMIN or NET_ADMIN give control over the node.",
        remediation: "Set securityContext.capabilities.drop: [\"ALL\"] on every container and add back nothing, \
                      or only NET_BIND_SERVICE for a process that must listen on a port below 1024.",
        differences: &[
            Difference {
                peer: "polaris",
                because: "it reads the restricted Pod Security Standard strictly: only `drop: [\"ALL\"]` \
                          passes. Dropping the runtime's current default capabilities one by one, as Polaris's \
                          insecureCapabilities fixtures do, keeps any capability a runtime adds later and is \
                          refused by a namespace that enforces restricted; adding nothing and dropping nothing, \
                          as the dangerousCapabilities success fixture does, keeps the whole default set.",
            },
            Difference {
                peer: "checkov",
                because: "it reads the restricted Pod Security Standard strictly: only `drop: [\"ALL\"]` \
                          passes. Checkov's CKV_K8S_28 is satisfied by dropping NET_RAW alone, which keeps \
                          every other default capability (CHOWN, SETUID, NET_BIND_SERVICE...).",
            },
            Difference {
                peer: "kube-linter",
                because: "it reads the restricted Pod Security Standard strictly: only `drop: [\"ALL\"]` \
                          passes. kube-linter's drop-net-raw-capability reports only a container that adds \
                          NET_RAW, so a container that drops nothing, and keeps NET_RAW and every other \
                          default capability, passes it.",
            },
        ],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in linux_containers(scope) {
            evaluation.evaluated();
            let capabilities = context(&container).and_then(|c| c.capabilities.as_ref());
            let dropped = capabilities
                .and_then(|c| c.drop.as_deref())
                .unwrap_or_default();
            let added = capabilities
                .and_then(|c| c.add.as_deref())
                .unwrap_or_default();
            if !dropped.iter().any(|c| c.eq_ignore_ascii_case("ALL")) {
                let found = if dropped.is_empty() {
                    "no capability dropped: the runtime's default set is kept".to_string()
                } else {
                    format!("drops {} but not ALL", dropped.join(", "))
                };
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    "securityContext.capabilities.drop",
                    "drop: [\"ALL\"]",
                    found,
                ));
            }
            let extra: Vec<&str> = added
                .iter()
                .map(String::as_str)
                .filter(|c| capability_name(c) != "NET_BIND_SERVICE")
                .collect();
            if !extra.is_empty() {
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    "securityContext.capabilities.add",
                    "no added capability but NET_BIND_SERVICE",
                    format!("adds {}", extra.join(", ")),
                ));
            }
        }
    }),
};

pub static PRIVILEGED: Check = Check {
    meta: CheckMeta {
        id: "security.privileged",
        title: "No container runs privileged",
        judges: "container",
        severity: Severity::Critical,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "A privileged container has every capability and every device of the node: whoever controls it \
                    controls the node and every pod on it.",
        remediation: "Remove securityContext.privileged: true; grant the one capability the process needs instead, \
                      or move node administration out of the application.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| check_flag(scope, evaluation, &NOT_PRIVILEGED)),
};

pub static HOST_NAMESPACES: Check = Check {
    meta: CheckMeta {
        id: "security.host-namespaces",
        title: "No pod shares the node's network, process or IPC namespace",
        judges: "pod spec",
        severity: Severity::Critical,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "hostNetwork exposes every port of the pod on the node and lets it sniff the node's traffic, \
                    bypassing NetworkPolicies; hostPID lets it see and signal every process of the node; hostIPC \
                    lets it read the shared memory of other pods.",
        remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false); expose the \
                      application through a Service instead of the node's network.",
        differences: &[Difference {
            peer: "polaris",
            because: "it reads the pod spec's hostNetwork, hostPID and hostIPC fields only: Polaris's \
                      hostIPCSet failure fixture sets `hostIPCSet: true` on a container, a field Kubernetes \
                      does not have (the API server drops it), so the pod shares nothing with the node; \
                      golive reports the field itself under api.unknown-fields.",
        }],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            evaluation.evaluated();
            let spec = workload.pod_spec;
            let shared = [
                ("hostNetwork", spec.host_network),
                ("hostPID", spec.host_pid),
                ("hostIPC", spec.host_ipc),
            ];
            for (field, value) in shared {
                if value == Some(true) {
                    evaluation.report(Violation::on_pod_spec(
                        &workload,
                        field,
                        &format!("no {field} (false)"),
                        format!("{field}: true"),
                    ));
                }
            }
        }
    }),
};

pub static HOST_PATH: Check = Check {
    meta: CheckMeta {
        id: "security.host-path",
        title: "No pod mounts a directory of the node",
        judges: "pod spec",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "A hostPath volume gives the pod the node's files (container runtime socket, kubelet \
                    credentials, logs of other pods): a compromise of the application becomes a compromise of the \
                    node, and the pod's data is lost when it moves to another node.",
        remediation: "Replace the hostPath volume with an emptyDir, a ConfigMap or Secret, or a \
                      PersistentVolumeClaim.",
        differences: &[Difference {
            peer: "kube-linter",
            because: "it reads the restricted Pod Security Standard strictly: every hostPath volume fails, \
                      whatever its path. kube-linter's docker-sock check reports only the container \
                      runtime's socket, so a pod mounting another socket or file of the node passes it.",
        }],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            evaluation.evaluated();
            let volumes = workload.pod_spec.volumes.iter().flatten().enumerate();
            for (i, volume) in volumes {
                let Some(host_path) = &volume.host_path else {
                    continue;
                };
                evaluation.report(Violation::on_pod_spec(
                    &workload,
                    &format!("volumes[{i}].hostPath"),
                    "no hostPath volume",
                    format!(
                        "volume {:?} mounts {} of the node",
                        volume.name, host_path.path
                    ),
                ));
            }
        }
    }),
};

pub static HOST_PORTS: Check = Check {
    meta: CheckMeta {
        id: "security.host-ports",
        title: "No container binds a port of the node",
        judges: "container",
        severity: Severity::Medium,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "A hostPort opens the port on the node's own address, outside Services and NetworkPolicies, and \
                    lets only one such pod run per node: replicas stay Pending once nodes run out.",
        remediation: "Remove hostPort from the container's ports and expose the port through a Service \
                      (NodePort or LoadBalancer when it must be reachable from outside).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        // Under hostNetwork every port is a node port: security.host-namespaces reports it.
        let containers = scope
            .containers()
            .filter(|(w, _)| w.pod_spec.host_network != Some(true));
        for (workload, container) in containers {
            evaluation.evaluated();
            let ports = container.container.ports.iter().flatten().enumerate();
            for (i, port) in ports {
                let Some(host_port) = port.host_port.filter(|&p| p != 0) else {
                    continue;
                };
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    &format!("ports[{i}].hostPort"),
                    "no hostPort",
                    format!(
                        "hostPort {host_port} for containerPort {}",
                        port.container_port
                    ),
                ));
            }
        }
    }),
};

pub static SECCOMP: Check = Check {
    meta: CheckMeta {
        id: "security.seccomp",
        title: "Every container runs under a seccomp profile",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "Without a seccomp profile (Unconfined, the kubelet's default) a container may call every system \
                    call of the node's kernel, including the rarely used ones most kernel exploits go through.",
        remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a \
                      profile installed on the nodes), and do not override it with Unconfined on a container.",
        differences: &[Difference {
            peer: "checkov",
            because: "it reads securityContext.seccompProfile only: the seccomp.security.alpha.kubernetes.io \
                      annotations Checkov also accepts were deprecated when the field became GA (Kubernetes \
                      1.19), and Kubernetes stopped honouring them (1.25 to 1.27), so a pod with only the \
                      annotation runs Unconfined.",
        }],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in linux_containers(scope) {
            evaluation.evaluated();
            let container_type = context(&container)
                .and_then(|c| c.seccomp_profile.as_ref())
                .map(|p| p.type_.as_str());
            let pod_type = pod_context(&workload)
                .and_then(|c| c.seccomp_profile.as_ref())
                .map(|p| p.type_.as_str());
            let found = match resolve(container_type, pod_type) {
                Some(("RuntimeDefault" | "Localhost", _)) => continue,
                Some(resolved) => provenance("seccompProfile.type", resolved, pod_type),
                None => {
                    "no seccompProfile on the container or the pod: runs Unconfined".to_string()
                }
            };
            evaluation.report(Violation::on_container(
                &workload,
                &container,
                "securityContext.seccompProfile.type",
                "seccompProfile RuntimeDefault or Localhost (container, else pod)",
                found,
            ));
        }
    }),
};

pub static SERVICE_ACCOUNT_TOKEN: Check = Check {
    meta: CheckMeta {
        id: "security.service-account-token",
        title: "Pods mount a Kubernetes API token only when they use it",
        judges: "pod spec",
        severity: Severity::Medium,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "Kubernetes mounts an API token into every pod unless told not to: an intruder in a pod that \
                    never talks to the API gets credentials to explore the cluster, and any role later bound to the \
                    ServiceAccount widens that access silently.",
        remediation: "Set automountServiceAccountToken: false on the pod spec (or on its ServiceAccount); a pod that \
                      does call the API keeps the token and gets a dedicated ServiceAccount with a RoleBinding \
                      granting exactly what it needs.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            evaluation.evaluated();
            let account = ServiceAccountUse::of(scope.inventory, &workload);
            let Some(why) = account.mounted_because() else {
                continue;
            };
            if account.account.bindings(scope.inventory).next().is_some() {
                continue;
            }
            evaluation.report(Violation::on_pod_spec(
                &workload,
                "automountServiceAccountToken",
                "automountServiceAccountToken: false, or a RoleBinding or ClusterRoleBinding that grants the \
                 ServiceAccount the API access it uses",
                format!(
                    "the token is mounted ({why}) and no RoleBinding or ClusterRoleBinding names ServiceAccount {}",
                    account.account.reference()
                ),
            ));
        }
    }),
};

/// Containers of pods that do not run Windows.
fn linux_containers<'a>(
    scope: &'a Scope<'a>,
) -> impl Iterator<Item = (Workload<'a>, ContainerRef<'a>)> + 'a {
    scope.containers().filter(|(workload, _)| {
        workload
            .pod_spec
            .os
            .as_ref()
            .is_none_or(|os| os.name != "windows")
    })
}

fn context<'a>(container: &ContainerRef<'a>) -> Option<&'a SecurityContext> {
    container.container.security_context.as_ref()
}

fn pod_context<'a>(workload: &Workload<'a>) -> Option<&'a PodSecurityContext> {
    workload.pod_spec.security_context.as_ref()
}

/// Which securityContext a resolved value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Container,
    Pod,
}

impl Level {
    fn on(self) -> &'static str {
        match self {
            Level::Container => "on the container",
            Level::Pod => "on the pod",
        }
    }
}

/// The kubelet's resolution of a field set on the container and the pod:
/// the container's value wins.
fn resolve<T>(container: Option<T>, pod: Option<T>) -> Option<(T, Level)> {
    container
        .map(|v| (v, Level::Container))
        .or_else(|| pod.map(|v| (v, Level::Pod)))
}

/// A resolved value and where it was set, for a finding:
/// "runAsUser: 0 on the container, overriding the pod's runAsUser: 1000",
/// "runAsUser: 0 on the pod, not overridden by the container".
fn provenance<T: PartialEq + Display>(
    field: &str,
    (value, level): (T, Level),
    pod: Option<T>,
) -> String {
    match (level, pod) {
        (Level::Container, Some(pod)) if pod != value => {
            format!("{field}: {value} on the container, overriding the pod's {field}: {pod}")
        }
        (Level::Container, _) => format!("{field}: {value} on the container"),
        (Level::Pod, _) => format!("{field}: {value} on the pod, not overridden by the container"),
    }
}

/// Whether the container may run as root: the field to point at and how
/// the pod and container settings resolved, or `None` when it cannot.
pub(super) fn runs_as_root(
    workload: &Workload<'_>,
    container: &ContainerRef<'_>,
) -> Option<(&'static str, String)> {
    let (own, pod) = (context(container), pod_context(workload));
    let pod_user = pod.and_then(|c| c.run_as_user);
    let pod_non_root = pod.and_then(|c| c.run_as_non_root);
    let user = resolve(own.and_then(|c| c.run_as_user), pod_user);
    let non_root = resolve(own.and_then(|c| c.run_as_non_root), pod_non_root);
    const REFUSED: &str = "the kubelet refuses to start the container";
    let root_user = |found: String| Some(("runAsUser", found));
    let image_user = |setting: &str| {
        let found = format!(
            "{setting}: the container runs as the image's user, root unless the image sets another"
        );
        Some(("runAsNonRoot", found))
    };
    match (user, non_root) {
        (Some((0, Level::Container)), Some((true, Level::Pod))) => root_user(format!(
            "runAsUser: 0 on the container overrides the pod's runAsNonRoot: true ({REFUSED})"
        )),
        (Some((0, user_level)), Some((true, level))) => root_user(format!(
            "runAsUser: 0 {} and runAsNonRoot: true {} ({REFUSED})",
            user_level.on(),
            level.on()
        )),
        (Some((0, level)), _) => root_user(format!(
            "{}: the container runs as root",
            provenance("runAsUser", (0, level), pod_user)
        )),
        (Some(_), _) | (None, Some((true, _))) => None,
        (None, Some((false, level))) => image_user(&format!(
            "{}, and no runAsUser",
            provenance("runAsNonRoot", (false, level), pod_non_root)
        )),
        (None, None) => image_user("no runAsNonRoot nor runAsUser on the container or the pod"),
    }
}

/// A boolean of the container's securityContext with a required value.
struct Flag {
    field: &'static str,
    get: fn(&SecurityContext) -> Option<bool>,
    /// The value Kubernetes assumes when the field is unset.
    default: bool,
    required: bool,
    /// Whether `privileged: true` forces the unsafe value (the API rejects
    /// the safe one): such containers are left to security.privileged.
    implied_by_privileged: bool,
}

static NO_PRIVILEGE_ESCALATION: Flag = Flag {
    field: "allowPrivilegeEscalation",
    get: |c| c.allow_privilege_escalation,
    default: true,
    required: false,
    implied_by_privileged: true,
};

static READ_ONLY_ROOT_FILESYSTEM: Flag = Flag {
    field: "readOnlyRootFilesystem",
    get: |c| c.read_only_root_filesystem,
    default: false,
    required: true,
    implied_by_privileged: false,
};

static NOT_PRIVILEGED: Flag = Flag {
    field: "privileged",
    get: |c| c.privileged,
    default: false,
    required: false,
    implied_by_privileged: false,
};

/// The rule of the checks on one boolean of the container's securityContext.
fn check_flag(scope: &Scope<'_>, evaluation: &mut Evaluation<'_>, flag: &Flag) {
    let Flag {
        field,
        get,
        default,
        required,
        implied_by_privileged,
    } = *flag;
    for (workload, container) in linux_containers(scope) {
        let context = context(&container);
        if implied_by_privileged && context.and_then(|c| c.privileged) == Some(true) {
            continue;
        }
        evaluation.evaluated();
        let value = context.and_then(get);
        if value.unwrap_or(default) == required {
            continue;
        }
        let found = match value {
            Some(value) => format!("{field}: {value}"),
            None => format!("{field} not set (Kubernetes assumes {default})"),
        };
        evaluation.report(Violation::on_container(
            &workload,
            &container,
            &format!("securityContext.{field}"),
            &format!("{field}: {required}"),
            found,
        ));
    }
}

/// Capability names as runtimes read them: case-insensitive, with or
/// without the `CAP_` prefix.
fn capability_name(raw: &str) -> String {
    let upper = raw.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(name) => name.to_string(),
        None => upper,
    }
}

/// The ServiceAccount a workload's pods run as, and whether they get its
/// token.
struct ServiceAccountUse<'a> {
    account: ServiceAccountRef<'a>,
    /// The pod spec's automountServiceAccountToken.
    pod: Option<bool>,
    /// The ServiceAccount's, when it is in the inventory.
    automount: Option<bool>,
}

impl<'a> ServiceAccountUse<'a> {
    fn of(inventory: &'a Inventory, workload: &Workload<'a>) -> ServiceAccountUse<'a> {
        let account = ServiceAccountRef::of(workload);
        let automount = account
            .object(inventory)
            .and_then(|object| match &object.resource {
                Resource::ServiceAccount(account) => account.automount_service_account_token,
                _ => None,
            });
        ServiceAccountUse {
            account,
            pod: workload.pod_spec.automount_service_account_token,
            automount,
        }
    }

    /// Why the token is mounted (the pod's setting, else the
    /// ServiceAccount's, else the default), or `None` when it is not.
    fn mounted_because(&self) -> Option<String> {
        let account = format!("ServiceAccount {:?}", self.account.name);
        match (self.pod, self.automount) {
            (Some(false), _) | (None, Some(false)) => None,
            (Some(true), Some(false)) => Some(format!(
                "the pod sets automountServiceAccountToken: true, overriding {account}'s false"
            )),
            (Some(true), _) => Some("the pod sets automountServiceAccountToken: true".to_string()),
            (None, Some(true)) => {
                Some(format!("{account} sets automountServiceAccountToken: true"))
            }
            (None, None) => Some(format!(
                "neither the pod nor {account} sets automountServiceAccountToken: false"
            )),
        }
    }
}

pub static PROC_MOUNT: Check = Check {
    meta: CheckMeta {
        id: "security.proc-mount",
        title: "No container unmasks /proc",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "The container runtime masks and makes read-only the parts of /proc that expose the node \
                    (kcore, sysrq-trigger, timer lists...). `procMount: Unmasked` removes that protection: \
                    together with a user namespace mistake or a writable /proc/sys it gives the container \
                    the node's kernel settings. The baseline Pod Security Standard forbids it.",
        remediation: "Remove securityContext.procMount or set it to Default; only nested container runtimes \
                      (build pods in a user namespace) have a use for Unmasked, and they belong outside \
                      the application's namespace.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (workload, container) in linux_containers(scope) {
            evaluation.evaluated();
            let Some(mount) = context(&container).and_then(|c| c.proc_mount.as_deref()) else {
                continue;
            };
            if mount != "Default" {
                evaluation.report(Violation::on_container(
                    &workload,
                    &container,
                    "securityContext.procMount",
                    "procMount Default (or unset)",
                    format!("procMount: {mount}"),
                ));
            }
        }
    }),
};

/// The sysctls the baseline Pod Security Standard allows (Kubernetes 1.29+):
/// namespaced to the pod, they cannot change the node or its other pods.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

pub static SYSCTLS: Check = Check {
    meta: CheckMeta {
        id: "security.sysctls",
        title: "Pods set only the sysctls Kubernetes deems safe",
        judges: "pod spec",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "A sysctl outside the safe set either changes the kernel for every pod of the node \
                    (vm.*, kernel.* limits) or is refused: the kubelet rejects the pod (SysctlForbidden) \
                    unless its node was started with --allowed-unsafe-sysctls, so replicas never start on \
                    ordinary nodes. The baseline Pod Security Standard allows only the safe set.",
        remediation: "Remove the sysctl from spec.securityContext.sysctls, or keep only the safe ones \
                      (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, \
                      net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start, \
                      net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_*, net.ipv4.tcp_fin_timeout); \
                      node-wide tuning belongs to the node's configuration, not to a pod.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            evaluation.evaluated();
            let sysctls = pod_context(&workload)
                .and_then(|c| c.sysctls.as_ref())
                .into_iter()
                .flatten()
                .enumerate();
            for (i, sysctl) in sysctls {
                // The kubelet accepts `/` as the separator too (net/ipv4/...).
                let name = sysctl.name.replace('/', ".");
                if !SAFE_SYSCTLS.contains(&name.as_str()) {
                    evaluation.report(Violation::on_pod_spec(
                        &workload,
                        &format!("securityContext.sysctls[{i}].name"),
                        "only the sysctls the baseline Pod Security Standard allows",
                        format!("unsafe sysctl {}={}", sysctl.name, sysctl.value),
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
    fn capability_names_ignore_case_and_the_cap_prefix() {
        assert_eq!(capability_name("NET_BIND_SERVICE"), "NET_BIND_SERVICE");
        assert_eq!(capability_name("net_bind_service"), "NET_BIND_SERVICE");
        assert_eq!(capability_name("CAP_NET_BIND_SERVICE"), "NET_BIND_SERVICE");
        assert_eq!(capability_name("cap_sys_admin"), "SYS_ADMIN");
        assert_eq!(capability_name("NET_ADMIN"), "NET_ADMIN");
    }

    #[test]
    fn the_container_value_overrides_the_pod_value() {
        assert_eq!(resolve(Some(1), Some(2)), Some((1, Level::Container)));
        assert_eq!(resolve(None, Some(2)), Some((2, Level::Pod)));
        assert_eq!(resolve::<i64>(None, None), None);
    }

    fn account(pod: Option<bool>, automount: Option<bool>) -> ServiceAccountUse<'static> {
        ServiceAccountUse {
            account: ServiceAccountRef {
                namespace: Some("production"),
                name: "api",
                field: Some("serviceAccountName"),
            },
            pod,
            automount,
        }
    }

    #[test]
    fn the_pod_setting_wins_over_the_service_account() {
        assert!(account(Some(false), Some(true)).mounted_because().is_none());
        assert!(account(None, Some(false)).mounted_because().is_none());
        assert!(account(Some(true), Some(false)).mounted_because().is_some());
        assert!(account(None, None).mounted_because().is_some());
    }
}
