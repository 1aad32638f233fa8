# Checklist source: Production Deployment Guide, "Tests de failover",
# "pod failure RTO < 1 min, RPO 0", "Redis avec Sentinel", "PostgreSQL
# primaire avec réplicas" (seeds 000, 001) — proven by breaking the part on
# purpose on a stack golive started itself (fixtures/stacks/ha.yaml).
# Checklist line GL-APP-07: "Disaster recovery plan" (Pre-Production,
# Application, seed 001); the API replica is GL-HA-02, "| Pod failure | < 1
# min | 0 |" (seed 001, RTO/RPO Targets).
@stack @disruptive @serial @GL-APP-07
Feature: The service survives the loss of any one part
  Replica counts prove nothing until a replica is lost. golive breaks one
  part at a time while probes watch what users would feel (every 100 ms),
  and judges the recovery time (RTO) and the acknowledged writes lost (RPO)
  against the profile's targets. The part comes back after each scenario.

  @api @GL-HA-02
  Scenario: Losing an API replica under load is invisible to users
    Given the load profile "failover"
    And a probe watches GET /api/v1/items on "web"
    When a replica of "api" is killed after 10 s of load on "web"
    Then the error rate during the failover is below 1 %
    And "web" recovers within the profile's RTO

  @redis
  Scenario: When the Redis master dies, Sentinel promotes a replica and no acknowledged write is lost
    Given a probe writes to "cache"
    When the primary of "cache" is killed
    Then a new primary of "cache" answers within 30 s
    And "cache" recovers within 30 s
    And no acknowledged write to "cache" is lost beyond the profile's RPO

  @postgres
  Scenario: When the PostgreSQL primary dies while its standby lags, the runbook's promotion brings writes back with no committed row lost
    Given a probe writes to "db"
    And the network from the primary of "db" to "postgres-standby" is throttled to 16 kbit/s
    When the primary of "db" is killed
    And the runbook "promote-standby" runs
    Then "db" recovers within the profile's RTO
    And no acknowledged write to "db" is lost beyond the profile's RPO
