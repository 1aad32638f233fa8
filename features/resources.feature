# Checklist source: Production Deployment Guide, "Checklist Pre-Production",
# Application: "Resource limits definis" (seed 001), and the Kubernetes
# deployment guide, section 7.3 "requests + limits, QoS garanti" (seed 002).
@manifests @cluster @GL-APP-03
Feature: Resource requests and limits are defined
  Every container, init and sidecar containers included, tells the scheduler
  how much CPU and memory it needs and the kubelet how much it may use, so
  pods land on nodes that can hold them and one runaway process cannot
  starve the others; ephemeral storage (logs, emptyDir, the writable
  layer) is bounded so that no container fills its node's disk. A request left out defaults to the limit, as in
  Kubernetes; quantities are compared exactly (1G is less than 1Gi).

  Background:
    Given the workloads of the target

  Scenario: Every container requests CPU
    Then the check "resources.cpu-requests" passes

  Scenario: Every container requests memory
    Then the check "resources.memory-requests" passes

  Scenario: Every container limits its CPU
    Then the check "resources.cpu-limits" passes

  Scenario: Every container limits its memory
    Then the check "resources.memory-limits" passes

  Scenario: Every container limits its ephemeral storage
    Then the check "resources.ephemeral-storage-limits" passes

  Scenario: Every CPU, memory and ephemeral-storage limit is at least the matching request
    Then the check "resources.limits-cover-requests" passes
