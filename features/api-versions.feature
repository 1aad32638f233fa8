# Checklist source: the Production Deployment Guide, "Checklist
# Pre-Production", Application: manifests validated against the target
# cluster (seed 001). The target release is the profile's
# kubernetes_version (golive.yaml; default: the newest golive knows).
@manifests @GL-APP-01
Feature: Every object deploys on the target Kubernetes release
  An object written at an API version the target release no longer serves
  is refused by the API server on deploy day: nothing of it runs. Such
  workloads are still read as their current version, so their pod
  templates are judged by every other item of the checklist. A field the
  object's kind does not have (a misspelt readinessprobe) is dropped by the
  API server: the setting its author counts on does not exist. A workload
  whose selector does not select the pods of its own template is refused
  (`selector does not match template labels`).

  Background:
    Given the workloads of the target

  Scenario: Every object uses an API version the target Kubernetes serves
    Then the check "api.removed-version" passes

  Scenario: Every field of an object is one Kubernetes knows
    Then the check "api.unknown-fields" passes

  Scenario: Every workload's selector matches its own pod template
    Then the check "api.selector-match" passes
