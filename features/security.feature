# Checklist source: the security policies of the platform (seed 000), and the
# Kubernetes deployment guide, section 7.1 "non-root, read-only filesystem"
# (seed 002). Reference: the Pod Security Standards "restricted" profile.
@manifests @cluster @GL-SEC-02
Feature: Pods run with the restricted Pod Security Standard
  A compromised application must not become a compromised node: containers
  run as a non-root user with a read-only root filesystem, no extra
  privileges or capabilities and a seccomp profile, and pods share nothing
  with the node. Init and sidecar containers count as much as the others.
  Settings on the pod and on the container are resolved as the kubelet
  resolves them: the container's value wins.

  Background:
    Given the workloads of the target

  Scenario: Every container runs as a non-root user
    Then the check "security.non-root" passes

  Scenario: Every container forbids privilege escalation
    Then the check "security.privilege-escalation" passes

  Scenario: Every container has a read-only root filesystem
    Then the check "security.read-only-root" passes

  Scenario: Every container drops all Linux capabilities
    Then the check "security.capabilities" passes

  Scenario: No container runs privileged
    Then the check "security.privileged" passes

  Scenario: No pod shares the node's network, process or IPC namespace
    Then the check "security.host-namespaces" passes

  Scenario: No pod mounts a directory of the node
    Then the check "security.host-path" passes

  Scenario: No container binds a port of the node
    Then the check "security.host-ports" passes

  Scenario: Every container runs under a seccomp profile
    Then the check "security.seccomp" passes

  Scenario: Pods mount a Kubernetes API token only when they use it
    Then the check "security.service-account-token" passes

  Scenario: No container unmasks /proc
    Then the check "security.proc-mount" passes

  Scenario: Pods set only the sysctls Kubernetes deems safe
    Then the check "security.sysctls" passes
