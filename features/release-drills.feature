# Checklist source: Production Deployment Guide, Go-Live Checklist J-1,
# "Rollback procedure tested", "Backup strategy definie" and its Backup
# Strategy table ("PostgreSQL | Hourly | 7 days | pg_dump + WAL", "Redis |
# Hourly | 24 hours | RDB + AOF", with the
# RTO/RPO of a data corruption: < 4 h, < 1 h) (seed 001), and the Kubernetes guide's "Zero
# Downtime Deploy | Rolling updates, readiness probes" with "maxSurge: 1,
# maxUnavailable: 0 # Jamais 0 pod disponible" (seed 002) — proven by
# rolling the API of a stack golive started (fixtures/stacks/ha.yaml) to
# its next release and back while users keep sending requests, and by
# losing its database, then its cache, and restoring each from its backup
# with the application serving its data again.
@stack @disruptive @serial @GL-J1-03
Feature: A release rolls out and back without users noticing
  A deployment strategy is a promise until it has run under traffic.
  golive replaces the API replicas one at a time, as a Deployment with
  maxSurge 1 and maxUnavailable 0 would, while a load runs through the
  entry point and a probe watches it, and judges what users saw from the
  rollout's start to a few seconds after its end — first, so that a
  rollout that stops half-way is still judged on what users saw. The API
  runs its first release again after each scenario.

  @GL-HA-01
  Scenario: A rolling upgrade under load is invisible to users
    Given the load profile "rollout"
    And a probe watches GET /api/v1/items on "web"
    When "api" is upgraded after 5 s of load on "web"
    Then no request failed during the upgrade
    And the p95 latency during the upgrade is below 200 ms
    And the upgrade completes within 120 s
    And every replica of "api" serves version "2"

  Scenario: Rolling back to the previous release under load is invisible to users
    Given "api" has been upgraded
    And the load profile "rollout"
    And a probe watches GET /api/v1/items on "web"
    When "api" is rolled back after 5 s of load on "web"
    Then no request failed during the rollback
    And the p95 latency during the rollback is below 200 ms
    And the rollback completes within 120 s
    And every replica of "api" serves version "1"

  @GL-APP-08 @postgres
  Scenario: The database comes back from its backup after its data is lost
    Given a probe writes to "db"
    And a probe watches GET /api/v1/items on "api"
    When "db" is backed up
    And 2 s pass
    And the data of "db" is lost
    And "db" is restored from the backup
    Then every write acknowledged before the backup of "db" is back
    And the writes lost from "db" span at most the profile's restore RPO
    And the restore of "db" took at most the profile's restore RTO
    And "api" recovers within 30 s

  @GL-APP-08 @redis
  Scenario: The cache comes back from its backup after its data is lost
    Given a probe writes to "cache"
    And a probe watches GET /api/v1/items on "api"
    When "cache" is backed up
    And 2 s pass
    And the data of "cache" is lost
    And "cache" is restored from the backup
    Then every write acknowledged before the backup of "cache" is back
    And the writes lost from "cache" span at most the profile's restore RPO
    And the restore of "cache" took at most the profile's restore RTO
    And "api" recovers within 30 s
