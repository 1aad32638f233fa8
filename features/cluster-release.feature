# Checklist source: Production Deployment Guide, Go-Live Checklist J-1,
# "Rollback procedure tested" (seed 001), and the Kubernetes guide's "Zero
# Downtime Deploy | Rolling updates, readiness probes" with "maxSurge: 1,
# maxUnavailable: 0" (seed 002) — proven on the live cluster: the API's
# Deployment is rolled to the release given with --image and back to its
# previous revision (kubectl rollout undo) while a probe sends requests to
# its Ready pods.
@cluster @disruptive @serial @GL-J1-03
Feature: A Deployment of the cluster rolls out and back without users noticing
  A rolling update strategy is a promise until it has run with users on
  it. golive sets the API Deployment's template to the release given with
  --image DEPLOYMENT=IMAGE, or to that of its previous revision, watches
  the Deployment controller roll the ReplicaSets as kubectl rollout status
  does, and probes the Ready pods every 100 ms through port-forwards, as
  their Service would route requests. A rollout that passes its progress
  deadline is undone, and the Deployment runs the template it started with
  again after each scenario. This writes to the cluster: it runs only with
  --allow-disruption.

  @GL-HA-01
  Scenario: A rolling upgrade of the API on the cluster is invisible to users
    Given a probe watches GET /api/v1/health on the pods of "factory-api"
    When "factory-api" is upgraded
    Then no request failed during the upgrade
    And the upgrade completes within 300 s
    And every pod of "factory-api" runs the upgrade's release

  Scenario: Rolling the API back to its previous revision on the cluster is invisible to users
    Given "factory-api" has been upgraded
    And a probe watches GET /api/v1/health on the pods of "factory-api"
    When "factory-api" is rolled back
    Then no request failed during the rollback
    And the rollback completes within 300 s
    And every pod of "factory-api" runs the rollback's release
