# Checklist source: the security policies of the platform (seed 000),
# "images": every image pinned to a known version.
@manifests @cluster @GL-SEC-07
Feature: Container images are pinned
  What runs in production is the version that was tested: every container,
  init and sidecar containers included, names its image by a version tag or
  a digest, and every node pulls that same version.

  Background:
    Given the workloads of the target

  Scenario: Every container image is pinned to a version
    Then the check "image.tag" passes

  Scenario: Every image pull policy fits its tag
    Then the check "image.pull-policy" passes
