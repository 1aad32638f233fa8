# Checklist source: Production Deployment Guide, performance targets "API
# p95 < 200 ms", "error rate < 0.1 %" (seeds 000, 001) — measured under load
# on the running system. The targets are the profile's latency_p95_ms and
# error_rate_percent (golive.yaml), unless the load profile sets its own.
# Checklist line GL-APP-06: "Tests de charge effectues" (Pre-Production,
# Application) and "Load testing complete" (Go-Live, J-7) (seed 001).
@stack @load @GL-APP-06
Feature: The API meets its latency and error targets under load
  A release is not ready if the service only meets its targets when idle.
  golive runs a load campaign from load-profiles/ against the public entry
  point and judges the steady phase (the ramp-up is not judged).

  @serial
  Scenario: Under the smoke load, p95 and errors stay below their targets and throughput holds
    Given the load profile "smoke"
    When it runs against "web"
    Then the p95 latency is below the target
    And the error rate is below the target
    And the throughput is at least 5 requests per second
