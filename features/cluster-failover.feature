# Checklist source: Production Deployment Guide, "Tests de failover", "pod
# failure RTO < 1 min" (seeds 000, 001) — proven on the live cluster: a pod
# is deleted, its controller must replace it within the RTO, and a probe
# watches what users would see meanwhile. Checklist lines GL-HA-02 ("| Pod
# failure | < 1 min | 0 |", RTO/RPO Targets) and GL-APP-07, "Disaster
# recovery plan" (Pre-Production, Application), seed 001.
@cluster @disruptive @serial @GL-HA-02 @GL-APP-07
Feature: Losing a pod of the cluster is invisible to users
  A replica count proves nothing until a pod is lost. golive deletes one
  Ready pod of the API (as a crashed node or kubectl delete pod would),
  times its replacement until the workload has all its Ready pods again,
  and probes the Ready pods every 100 ms through port-forwards, as its
  Service would route requests, to judge what users felt against the
  profile's RTO. This writes to the cluster: it runs only with
  --allow-disruption.

  Scenario: A deleted API pod is replaced within the RTO and users do not notice
    Given a probe watches GET /api/v1/health on the pods of "factory-api"
    When a pod of "factory-api" is deleted
    Then "factory-api" recovers within the profile's RTO
    And a replacement pod of "factory-api" is Ready within the profile's RTO
