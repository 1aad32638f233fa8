# Checklist source: Production Deployment Guide, "Checklist Pre-Production",
# Application: "Health checks configures" (seed 001) — seen on the running
# system, not only declared in the manifests.
@stack @GL-APP-02
Feature: Health endpoints answer, and readiness tells the truth
  A liveness endpoint that answers slowly gets healthy pods restarted; a
  readiness endpoint that stays green while the database is down keeps
  sending users to a replica that cannot serve them. golive asks the running
  system, every replica of it, and stops a dependency on purpose to see the
  readiness answer change. A stopped dependency is started again at the end
  of its scenario, whatever the outcome.

  Scenario: Every API replica answers its liveness endpoint quickly
    Then the endpoint "api" answers GET /api/v1/health with status 200 within 500 ms

  Scenario: The public entry point answers through the proxy
    Then the endpoint "web" answers GET /api/v1/health with status 200 within 1000 ms

  @serial
  Scenario: Readiness turns false while PostgreSQL is down and true when it returns
    When the service "postgres" stops
    Then the endpoint "api" reports not ready at /api/v1/ready within 15 s
    When the service "postgres" starts again
    Then the endpoint "api" reports ready at /api/v1/ready within 60 s

  @serial
  Scenario: Readiness turns false while Redis is down and true when it returns
    When the service "redis" stops
    Then the endpoint "api" reports not ready at /api/v1/ready within 15 s
    When the service "redis" starts again
    Then the endpoint "api" reports ready at /api/v1/ready within 60 s
