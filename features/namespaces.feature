# Checklist source: Production Deployment Guide, "Checklist Pre-Production",
# Security: "Pod security policies/standards appliquees" (seed 001).
@manifests @cluster @GL-SEC-02
Feature: Pod Security Standards are enforced
  Every namespace of the application makes the API server refuse pods that
  break the Pod Security Standard the profile requires (restricted in
  production, baseline in staging, or stricter), so that no privileged or
  root pod gets in, reviewed or not. Only Namespace objects of the target
  can be judged: a namespace created elsewhere is not evaluated.

  Background:
    Given the workloads of the target

  Scenario: Every namespace enforces the profile's Pod Security Standard
    Then the check "namespace.pod-security" passes
