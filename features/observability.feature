# Checklist source: Production Deployment Guide, "Monitoring": ServiceMonitor
# and PrometheusRule examples (HighErrorRate, HighLatency) (seed 001);
# "Alertes critiques": APIDown, PodCrashLooping (seed 000).
@manifests @cluster @GL-OPS-06
Feature: APIs are monitored and alerted on
  Every workload users reach through an Ingress is scraped by Prometheus
  (ServiceMonitor, PodMonitor or prometheus.io/scrape), and PrometheusRule
  alerts fire when an API is down, returns too many errors, answers too
  slowly or crash-loops, and when a data store's replicas lag or its disk
  fills up, so that the team learns about an incident before its users do.
  An alert counts for a workload only when its PromQL selects that
  workload's series (job, namespace, service, pod), waits (for:), has a
  severity and a runbook or description.

  Background:
    Given the workloads of the target

  Scenario: Every API workload is scraped by Prometheus
    Then the check "observability.scrape" passes

  @GL-OPS-05
  Scenario: Every alerting rule is valid PromQL
    Then the check "observability.alert-expressions" passes

  @GL-OPS-05
  Scenario: Every API and data store has the profile's alerts
    Then the check "observability.alerts" passes
