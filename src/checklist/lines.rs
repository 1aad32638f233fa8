//! The lines of the go-live checklist, in the seed's order. Each quote is
//! the seed's text verbatim (its French and its missing accents too), so a
//! reader can find it; the titles are golive's English.

use super::{Line, Quote, SEED_001, Section};
use Section::*;

/// A line of seed 001's checklists, under `heading`.
const fn seed_001(heading: &'static str, text: &'static str) -> Quote {
    Quote {
        seed: SEED_001,
        heading,
        text,
    }
}

const INFRASTRUCTURE: &str = "Checklist Pre-Production › Infrastructure";
const SECURITY: &str = "Checklist Pre-Production › Securite";
const APPLICATION: &str = "Checklist Pre-Production › Application";
const J7: &str = "Go-Live Checklist › J-7";
const J1: &str = "Go-Live Checklist › J-1";
const D_DAY: &str = "Go-Live Checklist › D-Day";
const J_PLUS_1: &str = "Go-Live Checklist › J+1";

const SECURITY_AUDIT: Quote = seed_001(J7, "Security audit complete");
const STAGING: Quote = seed_001(J1, "Final deployment to staging");

/// A line of its own in `section`.
const fn line(id: &'static str, section: Section, title: &'static str, quote: Quote) -> Line {
    Line {
        id,
        section,
        title,
        quote,
        also: None,
        refines: None,
    }
}

/// An ID that details the line `refines` (in that line's section).
const fn detail(
    id: &'static str,
    section: Section,
    title: &'static str,
    quote: Quote,
    refines: &'static str,
) -> Line {
    Line {
        refines: Some(refines),
        ..line(id, section, title, quote)
    }
}

/// Every line, in the seed's order; details follow the line they serve.
pub static LINES: &[Line] = &[
    // Checklist Pre-Production › Infrastructure
    line(
        "GL-HA-01",
        PreProductionInfrastructure,
        "The service survives node failures, drains, peaks and rollouts",
        seed_001(
            INFRASTRUCTURE,
            "Cluster Kubernetes configure avec haute disponibilite",
        ),
    ),
    line(
        "GL-NET-01",
        PreProductionInfrastructure,
        "Traffic reaches the pods: ingress routes, Services and network paths",
        seed_001(
            INFRASTRUCTURE,
            "Ingress controller installe (nginx/traefik)",
        ),
    ),
    line(
        "GL-INF-03",
        PreProductionInfrastructure,
        "cert-manager issues the TLS certificates",
        seed_001(INFRASTRUCTURE, "Cert-manager configure pour TLS"),
    ),
    line(
        "GL-INF-04",
        PreProductionInfrastructure,
        "A storage class with adequate performance",
        seed_001(INFRASTRUCTURE, "Storage class avec performance adequat"),
    ),
    line(
        "GL-OPS-06",
        PreProductionInfrastructure,
        "The APIs are scraped by the monitoring stack",
        seed_001(
            INFRASTRUCTURE,
            "Monitoring stack deploye (Prometheus/Grafana)",
        ),
    ),
    line(
        "GL-INF-06",
        PreProductionInfrastructure,
        "Logs are aggregated",
        seed_001(INFRASTRUCTURE, "Log aggregation configure (ELK/Loki)"),
    ),
    // Checklist Pre-Production › Securite
    line(
        "GL-SEC-01",
        PreProductionSecurity,
        "Network policies are defined and strict",
        seed_001(SECURITY, "Network policies definies"),
    ),
    line(
        "GL-SEC-02",
        PreProductionSecurity,
        "Pod Security Standards are enforced; containers run unprivileged",
        seed_001(SECURITY, "Pod security policies/standards appliquees"),
    ),
    line(
        "GL-SEC-03",
        PreProductionSecurity,
        "Secrets are managed, never written in clear",
        seed_001(SECURITY, "Secrets geres via vault/external-secrets"),
    ),
    line(
        "GL-SEC-08",
        PreProductionSecurity,
        "Application service accounts hold least privilege",
        seed_001(SECURITY, "RBAC configure"),
    ),
    line(
        "GL-SEC-05",
        PreProductionSecurity,
        "Every public endpoint serves valid TLS",
        seed_001(SECURITY, "TLS active sur tous les endpoints"),
    ),
    line(
        "GL-SEC-06",
        PreProductionSecurity,
        "Rate limiting is configured and limits abusive traffic",
        seed_001(SECURITY, "Rate limiting configure"),
    ),
    // Checklist Pre-Production › Application
    Line {
        also: Some((GoLiveJ7, seed_001(J7, "Load testing complete"))),
        ..line(
            "GL-APP-06",
            PreProductionApplication,
            "Load testing complete: latency, errors and throughput meet their targets under load",
            seed_001(APPLICATION, "Tests de charge effectues"),
        )
    },
    line(
        "GL-APP-02",
        PreProductionApplication,
        "Health checks are configured and tell the truth",
        seed_001(APPLICATION, "Health checks configures"),
    ),
    line(
        "GL-APP-03",
        PreProductionApplication,
        "Resource requests and limits are defined",
        seed_001(APPLICATION, "Resource limits definis"),
    ),
    line(
        "GL-APP-04",
        PreProductionApplication,
        "Workloads are scaled by a sound HorizontalPodAutoscaler",
        seed_001(APPLICATION, "HPA configure"),
    ),
    line(
        "GL-APP-08",
        PreProductionApplication,
        "A backup strategy is defined",
        seed_001(APPLICATION, "Backup strategy definie"),
    ),
    line(
        "GL-APP-07",
        PreProductionApplication,
        "Disaster recovery plan: failover within the RTO, no acknowledged write lost (RPO)",
        seed_001(APPLICATION, "Disaster recovery plan"),
    ),
    detail(
        "GL-HA-02",
        PreProductionApplication,
        "A lost pod is replaced within the RTO and users do not notice",
        seed_001(
            "Disaster Recovery › RTO/RPO Targets",
            "| Pod failure | < 1 min | 0 |",
        ),
        "GL-APP-07",
    ),
    line(
        "GL-APP-05",
        PreProductionApplication,
        "Every configuration a workload reads is delivered",
        Quote {
            seed: "002_6843d52335b418e5.txt",
            heading: "10. CHECKLIST DE PASSATION › Configuration Vérifiée",
            text: "ConfigMaps correctement configurés",
        },
    ),
    // Go-Live Checklist › J-7 (load testing: GL-APP-06 above)
    line(
        "GL-OPS-02",
        GoLiveJ7,
        "Every exception to the checklist is justified, for the audit",
        SECURITY_AUDIT,
    ),
    detail(
        "GL-SEC-07",
        GoLiveJ7,
        "Container images are pinned to a known version",
        SECURITY_AUDIT,
        "GL-OPS-02",
    ),
    line(
        "GL-J7-03",
        GoLiveJ7,
        "Runbooks are documented",
        seed_001(J7, "Runbooks documented"),
    ),
    line(
        "GL-J7-04",
        GoLiveJ7,
        "An on-call rotation is set up",
        seed_001(J7, "On-call rotation setup"),
    ),
    line(
        "GL-OPS-05",
        GoLiveJ7,
        "Alerting is configured with valid rules",
        seed_001(J7, "Alerting configured"),
    ),
    // Go-Live Checklist › J-1
    line("GL-J1-01", GoLiveJ1, "Final deployment to staging", STAGING),
    detail(
        "GL-APP-01",
        GoLiveJ1,
        "Every object deploys on the target Kubernetes release",
        STAGING,
        "GL-J1-01",
    ),
    line(
        "GL-J1-02",
        GoLiveJ1,
        "Smoke tests pass",
        seed_001(J1, "Smoke tests passing"),
    ),
    line(
        "GL-J1-03",
        GoLiveJ1,
        "The rollback procedure is tested",
        seed_001(J1, "Rollback procedure tested"),
    ),
    line(
        "GL-J1-04",
        GoLiveJ1,
        "The communication plan is ready",
        seed_001(J1, "Communication plan ready"),
    ),
    // Go-Live Checklist › D-Day
    line(
        "GL-OPS-01",
        GoLiveDDay,
        "What runs in production is what was approved, and it is healthy",
        seed_001(D_DAY, "Deploy to production"),
    ),
    line(
        "GL-D0-02",
        GoLiveDDay,
        "Smoke tests pass in production",
        seed_001(D_DAY, "Smoke tests in production"),
    ),
    line(
        "GL-D0-03",
        GoLiveDDay,
        "Metrics are monitored closely",
        seed_001(D_DAY, "Monitor metrics closely"),
    ),
    line(
        "GL-D0-04",
        GoLiveDDay,
        "Traffic is increased gradually",
        seed_001(D_DAY, "Gradual traffic increase"),
    ),
    line(
        "GL-D0-05",
        GoLiveDDay,
        "Issues are documented",
        seed_001(D_DAY, "Document any issues"),
    ),
    // Go-Live Checklist › J+1
    line(
        "GL-D1-01",
        GoLiveJPlus1,
        "Metrics are reviewed",
        seed_001(J_PLUS_1, "Review metrics"),
    ),
    line(
        "GL-D1-02",
        GoLiveJPlus1,
        "Issues are addressed",
        seed_001(J_PLUS_1, "Address any issues"),
    ),
    line(
        "GL-D1-03",
        GoLiveJPlus1,
        "Documentation is updated",
        seed_001(J_PLUS_1, "Update documentation"),
    ),
    line(
        "GL-D1-04",
        GoLiveJPlus1,
        "A retrospective is held",
        seed_001(J_PLUS_1, "Retrospective"),
    ),
];
