# Checklist source: Production Deployment Guide, "Checklist Pre-Production",
# Security: "Network policies definies" (seed 001); Production Readiness,
# section 7.1 "NetworkPolicies strictes" (seed 002).
@manifests @cluster @GL-SEC-01
Feature: Network policies are strict
  Every pod only talks to the peers it needs: each namespace denies all
  traffic by default, NetworkPolicies open exactly the flows of each
  workload, DNS keeps working, nothing is open to the whole cluster or the
  internet, and databases and caches cannot send data out.
  A NetworkPolicy applies only to the pods of its own namespace, and the
  policies selecting a pod add up. Pods on the host network are not governed
  by NetworkPolicies and are not evaluated. A finding can be waived on an
  object with golive.dev/skip (the check ID) and golive.dev/skip-reason (why).

  Background:
    Given the workloads of the target

  Scenario: Every workload's pods are isolated by NetworkPolicies for incoming and outgoing traffic
    Then the check "network.policy" passes

  Scenario: Every namespace denies all traffic by default
    Then the check "network.default-deny" passes

  Scenario: Pods restricted in egress can still resolve DNS names
    Then the check "network.dns-egress" passes

  Scenario: No NetworkPolicy admits traffic from everywhere
    Then the check "network.ingress-open" passes

  Scenario: Databases and caches cannot reach the internet
    Then the check "network.no-internet-egress" passes
