# Checklist source: the security policies of the platform (seed 000), "least
# privilege for application accounts", and the Kubernetes RBAC good practices
# (kubernetes.io/docs/concepts/security/rbac-good-practices).
@manifests @cluster @GL-SEC-08
Feature: Application service accounts hold least privilege
  A pod's token is the application's identity towards the Kubernetes API:
  whoever takes over the pod holds it. The ServiceAccounts the workloads run
  as must exist, and the roles bound to them must grant what the
  application uses and nothing that opens the rest of the cluster: no
  administrator role, no wildcard, no Secrets read across namespaces, no
  exec into pods, no verb that grants more (escalate, bind, impersonate).

  Background:
    Given the workloads of the target

  Scenario: Every ServiceAccount a workload runs as is defined
    Then the check "rbac.service-account" passes

  Scenario: No application service account holds an administrator role
    Then the check "rbac.admin-roles" passes

  Scenario: Roles of application service accounts grant no wildcard
    Then the check "rbac.wildcards" passes

  Scenario: Application service accounts cannot read every Secret, exec into pods or grant themselves more
    Then the check "rbac.sensitive-permissions" passes
