//! What a stack's entry point answers over HTTP: HSTS on HTTPS, and a
//! permanent redirect from plain HTTP to HTTPS.

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;
use crate::probe::http::{self, Hsts};

/// The HSTS policy a GET / answered with (or why it has none), and the
/// profile's minimum max-age.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HstsAnswer {
    pub status: u16,
    #[serde(default)]
    pub hsts: Option<Hsts>,
    /// Why the header is missing or invalid, when `hsts` is `None`.
    #[serde(default)]
    pub problem: String,
    /// The profile's `hsts_min_days`.
    pub minimum_days: u64,
}

fn judge_hsts(answer: &HstsAnswer) -> Judged {
    let Some(hsts) = answer.hsts else {
        return (
            false,
            vec![format!(
                "GET / answered {}: {}",
                answer.status, answer.problem
            )],
        );
    };
    let minimum = answer.minimum_days;
    let facts = vec![format!(
        "Strict-Transport-Security max-age {} day(s){} (the profile requires at least {minimum})",
        hsts.max_age_days,
        if hsts.include_subdomains {
            ", includeSubDomains"
        } else {
            ""
        }
    )];
    (hsts.max_age_days >= minimum, facts)
}

pub static HSTS: Live<HstsAnswer> = live_check!(
    judge_hsts,
    CheckMeta {
        id: "http.hsts",
        title: "HTTPS answers with HSTS for at least the profile's minimum max-age",
        judges: "endpoint instance",
        severity: Severity::Medium,
        checklist: &["GL-SEC-05"],
        needs: &[Needs::Stack],
        rationale: "Without Strict-Transport-Security a browser tries plain HTTP first, where an attacker on \
                    the path can strip TLS; a short max-age lets that window come back. Parsed as RFC 6797 \
                    says a browser does.",
        remediation: "Send `Strict-Transport-Security: max-age=<at least hsts_min_days in seconds>; \
                      includeSubDomains` on every HTTPS answer (nginx add_header ... always).",
        differences: &[],
    }
);

/// What a plain-HTTP GET / answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectAnswer {
    pub status: u16,
    #[serde(default)]
    pub location: Option<String>,
}

fn judge_redirect(answer: &RedirectAnswer) -> Judged {
    match http::redirect_to_https(answer.status, answer.location.as_deref()) {
        Ok(location) => (
            true,
            vec![format!("GET / answered {} to {location}", answer.status)],
        ),
        Err(problem) => (
            false,
            vec![format!("GET / answered {}: {problem}", answer.status)],
        ),
    }
}

pub static REDIRECT: Live<RedirectAnswer> = live_check!(
    judge_redirect,
    CheckMeta {
        id: "http.redirect",
        title: "Plain HTTP redirects permanently to HTTPS",
        judges: "endpoint instance",
        severity: Severity::Medium,
        checklist: &["GL-SEC-05"],
        needs: &[Needs::Stack],
        rationale: "Users and links still arrive over plain HTTP; serving them there exposes cookies and \
                    content, and a temporary redirect is not cached, so every visit starts in clear text.",
        remediation: "Answer plain HTTP with 301 or 308 to the https:// URL of the same host and path.",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[&HSTS.check, &REDIRECT.check];
