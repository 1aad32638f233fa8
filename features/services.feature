# Checklist source: the go-live checklist item GL-NET-01, "Services route
# traffic to the pods" (every Service has endpoints on the right port, and
# every workload that listens is reachable).
@manifests @cluster @GL-NET-01
Feature: Services route traffic to the pods
  A Service without endpoints, or one that forwards to a port the pods do
  not listen on, passes every other check and fails at go-live with
  connection refused. Services of type ExternalName and Services without a
  selector manage their endpoints by hand and are exempt. A finding can be
  waived on an object with the annotations golive.dev/skip (the check ID)
  and golive.dev/skip-reason (why): waived findings are still reported.

  Background:
    Given the workloads of the target

  Scenario: Every Service selects the pods of a workload
    Then the check "service.selects" passes

  Scenario: Every Service port targets a port of the pods it selects
    Then the check "service.target-port" passes

  Scenario: Every workload that listens on a port is reachable through a Service
    Then the check "service.reachable" passes
