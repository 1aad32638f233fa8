# Checklist source: the go-live checklist item GL-NET-01, "Services route
# traffic to the pods" (every Service has endpoints on the right port, and
# every workload that listens is reachable).
@manifests @cluster @GL-NET-01
Feature: Services route traffic to the pods
  A Service without endpoints, or one that forwards to a port the pods do
  not listen on, passes every other check and fails at go-live with
  connection refused. Services of type ExternalName and Services without a
  selector manage their endpoints by hand and are exempt. A StatefulSet's
  pods have stable DNS names only through a headless Service that selects
  them, and a Service of type LoadBalancer or NodePort is reachable from
  outside the cluster: only the Services the profile lists in
  public_services may be. A finding can be
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

  Scenario: Every StatefulSet's serviceName is a headless Service that selects its pods
    Then the check "service.headless" passes

  Scenario: Only the Services the profile lists as public are reachable from outside the cluster
    Then the check "service.exposure" passes
