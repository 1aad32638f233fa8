# Checklist source: Production Deployment Guide, "Checklist Pre-Production",
# Application: configuration externalised in ConfigMaps and Secrets
# (seed 001); a pod whose configuration is missing never starts.
@manifests @cluster @GL-APP-05
Feature: Every configuration a workload reads is delivered
  A pod that reads a ConfigMap, or a key of it, that the release does not
  deliver stays in CreateContainerConfigError: the rollout stalls on
  release day. References marked optional may be absent.

  Background:
    Given the workloads of the target

  Scenario: Every ConfigMap a workload uses exists, with the keys it reads
    Then the check "config.references" passes
