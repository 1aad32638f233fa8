# Checklist source: every exception to the go-live checklist must be
# reviewable (seed 001 "Security audit complete": an audit reads the waivers).
@manifests @cluster @GL-OPS-02
Feature: Every exception to the checklist is justified
  A team may waive a check for one object, or for one container of it, with
  the annotation golive.dev/skip (check IDs or families, `check:container`
  for one container) and must say why in golive.dev/skip-reason. Waived
  findings stay in the reports, marked suppressed, for the audit.

  Background:
    Given the workloads of the target

  Scenario: Every waiver names real checks and containers and says why
    Then the check "suppression.valid" passes
