# Checklist source: Deployment guide, "Security Hardening: non-root" and
# "Read-only filesystem: readOnlyRootFilesystem: true" (seed 002); Production
# Deployment Guide, "Pod security policies/standards" (seed 001) — seen on
# the running containers.
@stack @GL-SEC-02
Feature: Containers run unprivileged
  A manifest can ask for a non-root user that the image then ignores, or an
  image can switch to root in its entrypoint. golive looks at the processes
  actually running in every container (their user IDs, from the engine and
  from inside the container), and tries to write, as root, to the root
  filesystem of the services that must keep it read-only (the stateless
  API and proxy; the databases write to theirs).

  Scenario: Every container runs as a non-root user
    Then every container of the stack runs as a non-root user

  Scenario: The stateless services run with a read-only root filesystem
    Then the services "api, nginx" run with a read-only root filesystem
