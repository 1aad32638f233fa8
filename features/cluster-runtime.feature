# Checklist source: Production Deployment Guide, "Go-Live Checklist":
# "Deploiement valide", "Pods Running et Ready", "Pas de CrashLoopBackOff"
# (seed 001), and the hardening of seed 002 §7.1 (non-root) and §7.2 (spread
# over nodes and zones) — seen on the running cluster, not in the manifests.
@cluster @GL-OPS-01
Feature: What runs in the cluster is what was approved, and it is healthy
  Manifests say what should run; the cluster says what does. The rollout of
  every workload has finished, every pod is Ready, no container crashes or
  restarts more than the profile allows (max_restarts), the processes run
  as a non-root user as the kubelet reports it, and the replicas really
  landed on distinct nodes and zones as their anti-affinity asks; the
  health endpoints the probes name answer on a Ready pod of each workload
  (through a port-forward). golive only reads the cluster for these items.

  Background:
    Given the workloads of the target

  Scenario: Every rollout is complete
    Then the check "runtime.rollout" passes

  Scenario: Every pod of every workload is Ready
    Then the check "runtime.pods-ready" passes

  Scenario: No container is crash-looping or failing to start
    Then the check "runtime.crash-loop" passes

  Scenario: No container restarts more often than the profile allows
    Then the check "runtime.restarts" passes

  @GL-SEC-02
  Scenario: Every process really runs as a non-root user
    Then the check "runtime.non-root" passes

  @GL-HA-01
  Scenario: Replicas really run on distinct nodes and zones
    Then the check "runtime.spread" passes

  @GL-APP-02
  Scenario: Health endpoints answer on the running pods
    Then the HTTP probes of every workload answer through a port-forward
