# Checklist source: Production Deployment Guide, "Rate limiting configure"
# (seed 001) — seen on the running entry point.
@stack @GL-SEC-06
Feature: The public entry point limits abusive traffic
  Without a rate limit one client can take the service down for everyone.
  golive sends a burst well beyond the limit and expects part of it refused
  with 429 or 503, then a gentle pace and expects none of it refused: a
  limit that also refuses normal traffic is not ready either.

  @serial
  Scenario: A burst beyond the limit is refused, normal traffic is served
    Then a burst of 100 requests to "web" at /api/v1/health is partly refused with 429 or 503
    And 2 requests per second to "web" at /api/v1/health for 5 s are all served
