# Checklist source: Production Deployment Guide, "Checklist Pre-Production",
# Securite: "TLS actif sur tous les endpoints", "Cert-manager configure pour
# TLS", "Rate limiting configure" (seed 001).
@manifests @cluster @GL-SEC-05
Feature: Public endpoints are served over HTTPS, rate-limited and routed
  Everything users reach from outside goes through an Ingress: every host it
  serves must be covered by TLS with a certificate cert-manager (or the
  release) provides, from an issuer that exists (in the release, or listed
  by the profile as the platform's), plain HTTP must be redirected to HTTPS,
  requests must be rate-limited, and every backend must be a Service port
  that exists.
  Redirects and rate limits are read from the annotations of ingress-nginx,
  Traefik, HAProxy and the AWS Load Balancer Controller; an Ingress of
  another controller is reported for a reviewer to verify.

  Background:
    Given the workloads of the target

  Scenario: Every host an Ingress serves is covered by TLS
    Then the check "ingress.tls" passes

  Scenario: Plain HTTP is redirected to HTTPS
    Then the check "ingress.https-redirect" passes

  Scenario: Every TLS certificate is provided and renewed by cert-manager
    Then the check "ingress.certificate" passes

  # "Cert-manager configure pour TLS" (Pre-Production, Infrastructure).
  @GL-INF-03
  Scenario: Every cert-manager issuer a certificate names exists
    Then the check "cert-manager.issuer" passes

  @GL-SEC-06
  Scenario: Rate limiting is configured
    Then the check "ingress.rate-limit" passes

  @GL-NET-01
  Scenario: Every Ingress backend is an existing Service port
    Then the check "ingress.backend" passes

  Scenario: No Ingress injects raw NGINX configuration
    Then the check "ingress.snippets" passes
