# Checklist source: Production Deployment Guide, "TLS active sur tous les
# endpoints" and "Cert-manager configure pour TLS" (seed 001); "Certificats
# TLS valides" (seed 002) — checked with real handshakes, at the level of
# testssl.sh for these items.
@stack @GL-SEC-05
Feature: TLS protects the public endpoint
  TLS 1.0 and 1.1 are broken and banned by PCI DSS and most security
  baselines; a certificate that does not chain to a trusted CA, names
  another host or expires next week breaks every client. golive offers each
  protocol version itself, reads the certificate the server presents, and
  checks the HTTP side: HSTS so browsers never fall back to plain HTTP, and
  plain HTTP answered with a permanent redirect. Minimums (days before
  expiry, HSTS max-age) come from the profile.

  Scenario: The public endpoint refuses TLS 1.0 and TLS 1.1
    Then the endpoint "web" refuses TLS 1.0 and TLS 1.1

  Scenario: The public endpoint accepts TLS 1.2 or later
    Then the endpoint "web" accepts TLS 1.2 or later

  Scenario: The certificate is trusted and matches the host name
    Then the certificate of "web" is trusted and matches its host name

  Scenario: The certificate does not expire within the profile's notice period
    Then the certificate of "web" is valid for at least the profile's minimum number of days

  Scenario: The certificate has a strong key
    Then the certificate of "web" has a strong key

  Scenario: Browsers are told to use HTTPS only (HSTS)
    Then the endpoint "web" sends HSTS with at least the profile's minimum max-age

  Scenario: Plain HTTP redirects permanently to HTTPS
    Then plain HTTP on "web-http" redirects permanently to HTTPS
