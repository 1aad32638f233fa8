# Checklist source: Production Deployment Guide, "Checklist Pre-Production",
# Securite: "Secrets geres via vault/external-secrets" (seed 001).
@manifests @cluster @GL-SEC-03
Feature: Secrets are managed, never written in clear
  Credentials live in Secrets delivered by a secret manager (External
  Secrets, Sealed Secrets, Vault, cert-manager) and reach the pods by
  reference. A credential written as an env value or in a ConfigMap is
  exposed to everyone who reads the manifests, and a reference to a Secret
  that nobody delivers keeps the pod from starting. Findings never show the
  values they are about.

  Background:
    Given the workloads of the target

  Scenario: No credential is written in clear in a manifest
    Then the check "secrets.literal-credentials" passes

  Scenario: Every Secret a workload uses exists, with the keys it reads
    Then the check "secrets.references" passes

  Scenario: Secrets come from a secret manager, not from the manifests
    Then the check "secrets.managed" passes
