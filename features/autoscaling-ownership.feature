# Checklist source: the Production Deployment Guide, "Checklist
# Pre-Production", Application: "HPA configure" (seed 001). Judged on
# manifests only: a live Deployment always carries spec.replicas (defaulted,
# then written by its autoscaler), so only the manifests show whether a
# deploy resets it.
@manifests @GL-APP-04
Feature: Deploys leave the replica count to the autoscaler
  A workload scaled by a HorizontalPodAutoscaler whose manifest also writes
  spec.replicas is scaled back to that number by every kubectl apply or
  helm upgrade, and a deploy during a peak removes the pods the autoscaler
  added. A finding can be waived on an object with the annotations
  golive.dev/skip (the check ID) and golive.dev/skip-reason (why): waived
  findings are still reported.

  Background:
    Given the workloads of the target

  Scenario: No workload scaled by a HorizontalPodAutoscaler sets spec.replicas
    Then the check "availability.hpa-owned-replicas" passes
