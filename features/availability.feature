# Checklist source: seed 002 §7.2 "High availability" (multiple replicas,
# PodDisruptionBudget, anti-affinity, rolling updates with maxUnavailable 0)
# and the Production Deployment Guide, "Checklist Pre-Production",
# Application: "HPA configure" (seed 001). Thresholds come from the profile
# (golive.yaml: min_replicas, hpa_required_for, hpa_cpu_utilization,
# hpa_memory_utilization, hpa_scale_down_stabilization_seconds,
# zero_downtime_rollouts).
@manifests @cluster @GL-HA-01
Feature: The service survives node failures, drains, peaks and rollouts
  A service stays available only if it runs enough replicas, spread over
  nodes or zones, protected by one disruption budget that still lets nodes
  be drained, scaled automatically where the profile asks for it, and
  updated without stopping a pod before its replacement is ready.
  DaemonSets, Jobs and CronJobs have no replica count and are exempt; a
  workload scaled by a HorizontalPodAutoscaler is judged by its autoscaler.
  A finding can be waived on an object with the annotations golive.dev/skip
  (the check ID) and golive.dev/skip-reason (why): waived findings are still
  reported.

  Background:
    Given the workloads of the target

  Scenario: Every workload runs the profile's minimum number of replicas
    Then the check "availability.replicas" passes

  Scenario: Every replicated workload is protected by exactly one PodDisruptionBudget
    Then the check "availability.pdb" passes

  Scenario: No PodDisruptionBudget blocks node drains
    Then the check "availability.pdb-drain" passes

  @GL-APP-04
  Scenario: Workloads that serve users are scaled by a HorizontalPodAutoscaler
    Then the check "availability.hpa-required" passes

  @GL-APP-04
  Scenario: Every HorizontalPodAutoscaler targets a workload that exists
    Then the check "availability.hpa-target" passes

  @GL-APP-04
  Scenario: Every HorizontalPodAutoscaler keeps the profile's minimum of replicas and has room to scale
    Then the check "availability.hpa-range" passes

  @GL-APP-04
  Scenario: Every HorizontalPodAutoscaler scales on CPU or memory
    Then the check "availability.hpa-metrics" passes

  @GL-APP-04
  Scenario: Every HorizontalPodAutoscaler targets a CPU and memory utilization within the profile's band
    Then the check "availability.hpa-utilization" passes

  @GL-APP-04
  Scenario: Every HorizontalPodAutoscaler waits before scaling down
    Then the check "availability.hpa-scale-down" passes

  Scenario: The replicas of every workload are spread across nodes or zones
    Then the check "availability.spread" passes

  Scenario: Rollouts never stop a pod before its replacement is ready
    Then the check "availability.rolling-update" passes
