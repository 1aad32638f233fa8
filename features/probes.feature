# Checklist source: Production Deployment Guide, "Checklist Pre-Production",
# Application: "Health checks configures" (seed 001).
@manifests @cluster @GL-APP-02
Feature: Health checks are configured
  Kubernetes restarts a container that hangs and keeps traffic away from a
  pod that cannot serve only when every container says how to tell.
  Jobs and CronJobs run to completion and are exempt; a finding can be
  waived on an object with the annotations golive.dev/skip (the check ID)
  and golive.dev/skip-reason (why): waived findings are still reported.

  Background:
    Given the workloads of the target

  Scenario: Every container has a liveness probe
    Then the check "probe.liveness" passes

  Scenario: Every container that receives traffic has a readiness probe
    Then the check "probe.readiness" passes

  Scenario: Liveness and readiness probes check different things
    Then the check "probe.distinct" passes

  Scenario: Every probe targets a TCP port the container can serve
    Then the check "probe.port" passes

  Scenario: Liveness never kills a container before it could have become ready
    Then the check "probe.startup-budget" passes

  Scenario: Liveness gives up later than readiness
    Then the check "probe.liveness-window" passes

  Scenario: No probe waits longer for an answer than the time between two probes
    Then the check "probe.timeout" passes

  Scenario: No liveness or startup probe calls another host
    Then the check "probe.remote-host" passes
