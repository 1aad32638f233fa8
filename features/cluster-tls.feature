# Checklist source: Production Deployment Guide, "TLS actif sur tous les
# endpoints", "Certificats TLS valides" (seeds 001, 002) — the Ingress hosts
# of the live cluster, handshaken at their load balancer as clients reach
# them, with the checks of live-tls.feature.
@cluster @GL-SEC-05
Feature: The public hosts of the cluster serve TLS as the checklist asks
  The manifests say which hosts get TLS; the load balancer says what clients
  really get. For every host of every Ingress tls entry, golive connects to
  the address the Ingress controller reports (its status) with the host as
  server name, offers each TLS version, and reads the certificate. When the
  load balancer cannot be reached from where golive runs, these items could
  not be evaluated: run them from where it answers.

  Background:
    Given the workloads of the target

  Scenario: Every Ingress host refuses TLS 1.0 and 1.1 and accepts TLS 1.2 or later
    Then every Ingress host refuses TLS 1.0 and 1.1 and accepts TLS 1.2 or later

  Scenario: Every Ingress host presents a trusted certificate, valid long enough, with a strong key
    Then every Ingress host presents a trusted certificate for its name, valid for the profile's minimum number of days, with a strong key
