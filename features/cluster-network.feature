# Checklist source: Kubernetes deployment guide, section 7 "Network Policies"
# (seed 002), and the platform's security policies (seed 000) — proven on the
# live cluster: a NetworkPolicy the network plugin does not enforce protects
# nothing.
@cluster @disruptive @serial @GL-NET-01
Feature: The network plugin enforces the NetworkPolicies
  Policies in the manifests are only a wish until the cluster's network
  plugin enforces them (some plugins ignore them). golive starts short-lived
  probe pods with the labels of each workload's pods, and one with none,
  and tries every port of every other workload: what the policies allow
  must connect, what they deny must not. The probe pods are never Ready (no
  Service sends them traffic) and are deleted at once; creating them writes
  to the cluster, so this runs only with --allow-disruption.

  Background:
    Given the workloads of the target

  Scenario: Allowed paths connect and denied paths do not
    Then the NetworkPolicies are enforced: allowed paths connect and denied paths do not
