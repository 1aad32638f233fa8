# Checklist source: Production Deployment Guide, "Monitoring": ServiceMonitor
# and PrometheusRule examples (HighErrorRate, HighLatency) (seed 001);
# "Alertes critiques": APIDown, PodCrashLooping (seed 000).
@manifests @cluster @GL-OPS-06
Feature: APIs are monitored and alerted on
  Every workload users reach through an Ingress is scraped by Prometheus
  (ServiceMonitor, PodMonitor or prometheus.io/scrape), and PrometheusRule
  alerts fire when an API is down, returns too many errors, answers too
  slowly or crash-loops, so that the team learns about an incident before
  its users do.

  Background:
    Given the workloads of the target

  Scenario: Every API workload is scraped by Prometheus
    Then the check "observability.scrape" passes

  @GL-OPS-05
  Scenario: Critical alerts are configured for every API
    Then the check "observability.alerts" passes
