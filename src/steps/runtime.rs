//! Runtime steps: the checklist items only a running system can prove —
//! health and readiness answers, the users processes really run as, what
//! TLS the entry point really offers, HSTS, the HTTP redirect, rate
//! limiting. They talk to the endpoints and containers of the stack the run
//! started (`stack:` target); each records what it saw as observations
//! (the evidence in the reports) and fails with the same facts.
//!
//! The probes themselves live in `crate::probe` and the judges in
//! `crate::checks::live`; this module picks the subjects, measures and
//! hands the measurement (with the profile's minimums) to the judge.

use std::sync::Arc;
use std::time::Duration;

use super::{GoliveWorld, StepFailure};
use crate::checks::live::tls::{Handshake, Key, Lifetime, Presented, Protocols};
use crate::checks::live::{
    Live, container, health, http as http_checks, ratelimit, tls as tls_checks,
};
use crate::evidence::Observation;
use crate::probe::http;
use crate::probe::tls::{self, TlsVersion, Trust};
use crate::stack::RunningStack;
use crate::stack::disrupt::Disruption;
use crate::stack::file::{EndpointSpec, Scheme};
use crate::stack::lifecycle::EndpointAddress;

/// Time allowed to each single probe request or handshake.
pub(super) const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The stack of the run, or why there is none.
pub(super) fn stack_of(world: &GoliveWorld) -> Result<Arc<RunningStack>, StepFailure> {
    world.run.stack.clone().ok_or_else(|| {
        StepFailure::CouldNotEvaluate(
            "this step needs a running system: run with --target stack:FILE".into(),
        )
    })
}

/// A named endpoint of the stack and where each of its instances answers.
struct Endpoint {
    spec: EndpointSpec,
    addresses: Vec<EndpointAddress>,
    trust: Trust,
}

impl Endpoint {
    fn of(stack: &RunningStack, name: &str) -> Result<Endpoint, StepFailure> {
        let spec = stack
            .endpoint(name)
            .map_err(StepFailure::CouldNotEvaluate)?
            .clone();
        if !spec.scheme.is_http() {
            return Err(StepFailure::CouldNotEvaluate(format!(
                "the endpoint {name:?} is {}: this step speaks HTTP or TLS",
                spec.scheme.as_str()
            )));
        }
        let addresses = stack.addresses(&spec);
        if addresses.is_empty() {
            return Err(StepFailure::CouldNotEvaluate(format!(
                "no running container serves the endpoint {name:?}"
            )));
        }
        let trust = Trust::Pem(
            stack
                .trust_for(&spec)
                .map_err(StepFailure::CouldNotEvaluate)?,
        );
        Ok(Endpoint {
            spec,
            addresses,
            trust,
        })
    }

    /// `endpoint web on nginx (127.0.0.1:49153)`.
    fn subject(&self, address: &EndpointAddress) -> String {
        format!(
            "endpoint {} on {} ({})",
            self.spec.name, address.instance, address.url_base
        )
    }

    /// Fails unless the endpoint is HTTPS (TLS steps).
    fn require_tls(&self) -> Result<(), String> {
        if self.spec.scheme == Scheme::Https {
            Ok(())
        } else {
            Err(format!(
                "the endpoint {} is plain {} (no TLS)",
                self.spec.name,
                self.spec.scheme.as_str().to_uppercase()
            ))
        }
    }
}

/// What an item needs of an endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EndpointNeeds {
    /// HTTP or HTTPS.
    Http,
    /// HTTPS: a plain-HTTP endpoint fails the item.
    Tls,
    /// Plain HTTP (the redirect item): anything else cannot be evaluated.
    PlainHttp,
}

/// Measures every instance of an endpoint with `measure`, records one
/// observation of `check` per instance and fails with the failed ones.
async fn each_instance<M, F, Fut>(
    world: &mut GoliveWorld,
    name: &str,
    check: &'static Live<M>,
    needs: EndpointNeeds,
    measure: F,
) -> Result<(), StepFailure>
where
    F: Fn(Arc<Endpoint>, EndpointAddress) -> Fut,
    Fut: Future<Output = Result<M, StepFailure>>,
{
    let stack = stack_of(world)?;
    let endpoint = Arc::new(Endpoint::of(&stack, name)?);
    if needs == EndpointNeeds::PlainHttp && endpoint.spec.scheme != Scheme::Http {
        return Err(StepFailure::CouldNotEvaluate(format!(
            "the endpoint {name} is not plain HTTP"
        )));
    }
    let mut observations = Vec::new();
    for address in endpoint.addresses.clone() {
        let subject = endpoint.subject(&address);
        observations.push(match (needs, endpoint.require_tls()) {
            (EndpointNeeds::Tls, Err(plain)) => check.unmeasured(subject, plain),
            _ => check.observe(subject, &measure(endpoint.clone(), address).await?),
        });
    }
    conclude(world, observations)
}

/// Records the observations of a step and fails with the failed ones.
pub(super) fn conclude(
    world: &mut GoliveWorld,
    observations: Vec<Observation>,
) -> Result<(), StepFailure> {
    let failed: Vec<String> = observations
        .iter()
        .filter(|o| !o.passed)
        .map(|o| format!("- {o}"))
        .collect();
    world.observations.extend(observations);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(StepFailure::NotReady(failed.join("\n")))
    }
}

/// A Docker failure while looking at a container: the item could not be
/// evaluated.
fn engine_error(e: crate::stack::docker::EngineError) -> StepFailure {
    StepFailure::CouldNotEvaluate(e.to_string())
}

/// `500` `ms` or `15` `s` as a duration.
fn duration(amount: &str, unit: &str) -> Result<Duration, StepFailure> {
    let amount: u64 = amount
        .parse()
        .map_err(|_| StepFailure::CouldNotEvaluate(format!("{amount} is not a number")))?;
    Ok(match unit {
        "s" => Duration::from_secs(amount),
        _ => Duration::from_millis(amount),
    })
}

/// A duration in milliseconds.
fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------
// Health and readiness.

/// How many requests "answers within" sends to each instance.
const HEALTH_REQUESTS: usize = 3;

/// `the endpoint E answers GET PATH with status S within N ms`: every
/// instance answers each of a few requests with that status in time.
pub async fn answers(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let path = arguments[1].as_str();
    let expected: u16 = arguments[2].parse().unwrap_or(0);
    let limit = duration(&arguments[3], &arguments[4])?;
    each_instance(
        world,
        &arguments[0],
        &health::ANSWERS,
        EndpointNeeds::Http,
        |endpoint, address| async move {
            let options = address.http_options(PROBE_TIMEOUT);
            let mut statuses = Vec::new();
            let mut slowest = Duration::ZERO;
            let mut error = None;
            for _ in 0..HEALTH_REQUESTS {
                match http::get(&endpoint.spec.url(path), &options).await {
                    Ok(answer) => {
                        statuses.push(answer.status);
                        slowest = slowest.max(answer.elapsed);
                    }
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
            }
            Ok(health::Answers {
                path: path.to_string(),
                expected,
                limit_ms: millis(limit),
                statuses,
                slowest_ms: millis(slowest),
                error,
            })
        },
    )
    .await
}

/// `the service S stops`: every container of a service is stopped; it is
/// started again after the scenario if a step does not do it first.
pub async fn stop_service(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let service = &arguments[0];
    let instances = stack
        .instances_of(service)
        .map_err(StepFailure::CouldNotEvaluate)?;
    world
        .to_heal
        .extend(instances.into_iter().map(|i| (i.name, Disruption::Stop)));
    stack
        .stop_service(service)
        .await
        .map_err(StepFailure::CouldNotEvaluate)
}

/// `the service S starts again`: started and waited on until healthy.
pub async fn start_service(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let service = &arguments[0];
    stack
        .start_service(service)
        .await
        .map_err(|e| StepFailure::CouldNotEvaluate(format!("{service} did not come back: {e}")))?;
    // Its stops are undone; any other disruption still is to be.
    let started: Vec<String> = stack
        .instances_of(service)
        .map_err(StepFailure::CouldNotEvaluate)?
        .into_iter()
        .map(|i| i.name)
        .collect();
    world.to_heal.retain(|(instance, disruption)| {
        !(*disruption == Disruption::Stop && started.contains(instance))
    });
    Ok(())
}

/// `the endpoint E reports (ready|not ready) at PATH within N s`: every
/// instance's readiness answer turns 2xx (ready) or anything else (not
/// ready) within the time.
pub async fn reports_readiness(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let endpoint = Endpoint::of(&stack, &arguments[0])?;
    let want_ready = arguments[1] == "ready";
    let path = &arguments[2];
    let within = duration(&arguments[3], "s")?;
    let polls = endpoint.addresses.iter().map(|address| {
        let url = endpoint.spec.url(path);
        let options = address.http_options(PROBE_TIMEOUT);
        async move {
            // Ready is 2xx; not ready is 5xx (503 by convention). A 404
            // is neither: a wrong path must not pass as "not ready".
            let matches = |status: u16| {
                if want_ready {
                    (200..300).contains(&status)
                } else {
                    (500..600).contains(&status)
                }
            };
            http::poll_until(&url, &options, matches, within, Duration::from_millis(200)).await
        }
    });
    let outcomes = futures::future::join_all(polls).await;
    let mut observations = Vec::new();
    for (address, outcome) in endpoint.addresses.iter().zip(outcomes) {
        let outcome = outcome.map_err(|e| StepFailure::CouldNotEvaluate(e.to_string()))?;
        let readiness = health::Readiness {
            path: path.clone(),
            want_ready,
            within_s: within.as_secs(),
            turned_after_s: outcome
                .first_matching_after
                .map(|after| after.as_secs_f64()),
            attempts: outcome.attempts,
            last_status: outcome.last_status,
            last_error: outcome.last_error,
        };
        observations.push(health::READINESS.observe(endpoint.subject(address), &readiness));
    }
    conclude(world, observations)
}

// ---------------------------------------------------------------------------
// Non-root and read-only.

/// The real and effective UIDs in a `/proc/PID/status` text.
fn status_uids(status: &str) -> Option<(u32, u32)> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    let mut ids = line["Uid:".len()..]
        .split_whitespace()
        .map(str::parse::<u32>);
    Some((ids.next()?.ok()?, ids.next()?.ok()?))
}

/// `every container of the stack runs as a non-root user`: the configured
/// user, PID 1 seen from inside (`/proc/1/status`) and every process the
/// engine lists.
pub async fn non_root(world: &mut GoliveWorld, _: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let engine = stack.engine();
    let mut observations = Vec::new();
    for instance in stack.instances() {
        let container = &instance.container;
        let inspected = engine.inspect(container).await.map_err(engine_error)?;
        let configured_user = inspected
            .config
            .and_then(|c| c.user)
            .filter(|u| !u.is_empty());
        let status = engine
            .exec(container, None, &["cat", "/proc/1/status"])
            .await
            .map_err(engine_error)?;
        let processes = engine.process_uids(container).await.map_err(engine_error)?;
        let users = container::ProcessUsers {
            configured_user,
            pid1: status_uids(&status.stdout),
            pid1_unreadable: status.stderr,
            processes: processes
                .into_iter()
                .map(|(uid, command)| container::Process { uid, command })
                .collect(),
        };
        observations
            .push(container::NON_ROOT.observe(format!("container {}", instance.name), &users));
    }
    conclude(world, observations)
}

/// `the services "A, B" run with a read-only root filesystem`: for every
/// container of those services the engine says so, and a write attempted
/// as root (which no file permission stops) fails with "Read-only file
/// system".
pub async fn read_only(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let engine = stack.engine();
    let services: Vec<&str> = arguments[0]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if services.is_empty() {
        return Err(StepFailure::CouldNotEvaluate(
            "name at least one service".into(),
        ));
    }
    if let Some(unknown) = services.iter().find(|s| stack.service(s).is_none()) {
        return Err(StepFailure::CouldNotEvaluate(format!(
            "the stack {} has no service named {unknown:?}",
            stack.file.name
        )));
    }
    let named: Vec<_> = stack
        .instances()
        .into_iter()
        .filter(|i| services.contains(&i.service.as_str()))
        .collect();
    let mut observations = Vec::new();
    for instance in named {
        let container = &instance.container;
        let flagged = engine
            .inspect(container)
            .await
            .map_err(engine_error)?
            .host_config
            .and_then(|h| h.readonly_rootfs)
            .unwrap_or(false);
        let write = engine
            .exec(container, Some("0"), &["touch", "/.golive-write-probe"])
            .await
            .map_err(engine_error)?;
        let filesystem = container::RootFilesystem {
            read_only_flag: flagged,
            write_exit_code: write.exit_code,
            write_error: write.stderr,
        };
        observations.push(
            container::READ_ONLY_ROOTFS
                .observe(format!("container {}", instance.name), &filesystem),
        );
    }
    conclude(world, observations)
}

// ---------------------------------------------------------------------------
// TLS.

/// Offers each of `versions` to every instance of a TLS endpoint and
/// judges the answers with `check`.
async fn protocols(
    world: &mut GoliveWorld,
    name: &str,
    check: &'static Live<Protocols>,
    versions: [TlsVersion; 2],
) -> Result<(), StepFailure> {
    each_instance(
        world,
        name,
        check,
        EndpointNeeds::Tls,
        |endpoint, address| async move {
            let mut handshakes = Vec::new();
            for version in versions {
                let support = tls::protocol_support(
                    address.socket(),
                    &endpoint.spec.server_name,
                    version,
                    PROBE_TIMEOUT,
                )
                .await
                .map_err(|e| StepFailure::CouldNotEvaluate(e.to_string()))?;
                handshakes.push(Handshake { version, support });
            }
            Ok(Protocols { handshakes })
        },
    )
    .await
}

/// `the endpoint E refuses TLS 1.0 and TLS 1.1`.
pub async fn refuses_old_tls(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let check = &tls_checks::OLD_PROTOCOLS;
    protocols(world, &arguments[0], check, Protocols::OLD).await
}

/// `the endpoint E accepts TLS 1.2 or later` (and says whether 1.3 is
/// offered).
pub async fn accepts_modern_tls(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let check = &tls_checks::MODERN_PROTOCOLS;
    protocols(world, &arguments[0], check, Protocols::MODERN).await
}

/// Reads the certificate every instance of a TLS endpoint presents and
/// judges what `measure` takes of it (given the report and the server
/// name) with `check`.
async fn certificate_item<M>(
    world: &mut GoliveWorld,
    name: &str,
    check: &'static Live<M>,
    measure: impl Fn(&tls::CertificateReport, &str) -> M + Copy,
) -> Result<(), StepFailure> {
    each_instance(
        world,
        name,
        check,
        EndpointNeeds::Tls,
        move |endpoint, address| async move {
            let report = tls::inspect_certificate(
                address.socket(),
                &endpoint.spec.server_name,
                &endpoint.trust,
                PROBE_TIMEOUT,
            )
            .await
            .map_err(|e| StepFailure::CouldNotEvaluate(e.to_string()))?;
            Ok(measure(&report, &endpoint.spec.server_name))
        },
    )
    .await
}

/// `the certificate of E is trusted and matches its host name`.
pub async fn certificate_trusted(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    certificate_item(
        world,
        &arguments[0],
        &tls_checks::CERTIFICATE,
        Presented::of,
    )
    .await
}

/// `the certificate of E is valid for at least the profile's minimum
/// number of days`.
pub async fn certificate_lifetime(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let minimum = i64::from(world.profile.cert_expiry_days);
    certificate_item(
        world,
        &arguments[0],
        &tls_checks::EXPIRY,
        move |report, _| Lifetime::of(report, minimum),
    )
    .await
}

/// `the certificate of E has a strong key`.
pub async fn certificate_key(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    certificate_item(world, &arguments[0], &tls_checks::KEY, |report, _| {
        Key::of(report)
    })
    .await
}

/// `the endpoint E sends HSTS with at least the profile's minimum max-age`.
pub async fn sends_hsts(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let minimum = u64::from(world.profile.hsts_min_days);
    each_instance(
        world,
        &arguments[0],
        &http_checks::HSTS,
        EndpointNeeds::Tls,
        |endpoint, address| async move {
            let answer = get(&endpoint, &address, "/").await?;
            let (hsts, problem) = match http::hsts(&answer.headers) {
                Ok(hsts) => (Some(hsts), String::new()),
                Err(problem) => (None, problem),
            };
            Ok(http_checks::HstsAnswer {
                status: answer.status,
                hsts,
                problem,
                minimum_days: minimum,
            })
        },
    )
    .await
}

/// GET `path` on an instance, as a step's evidence (an unanswered request
/// means the item could not be evaluated).
async fn get(
    endpoint: &Endpoint,
    address: &EndpointAddress,
    path: &str,
) -> Result<http::Answer, StepFailure> {
    http::get(
        &endpoint.spec.url(path),
        &address.http_options(PROBE_TIMEOUT),
    )
    .await
    .map_err(|e| StepFailure::CouldNotEvaluate(e.to_string()))
}

/// `plain HTTP on E redirects permanently to HTTPS`.
pub async fn redirects_to_https(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    each_instance(
        world,
        &arguments[0],
        &http_checks::REDIRECT,
        EndpointNeeds::PlainHttp,
        |endpoint, address| async move {
            let answer = get(&endpoint, &address, "/").await?;
            Ok(http_checks::RedirectAnswer {
                status: answer.status,
                location: http::location(&answer),
            })
        },
    )
    .await
}

// ---------------------------------------------------------------------------
// Rate limiting.

/// `a burst of N requests to E at PATH is partly refused with 429 or 503`.
pub async fn burst_is_limited(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let requests: usize = arguments[0].parse().unwrap_or(0);
    let path = arguments[2].as_str();
    each_instance(
        world,
        &arguments[1],
        &ratelimit::BURST,
        EndpointNeeds::Http,
        |endpoint, address| async move {
            let counts = http::burst(
                &endpoint.spec.url(path),
                &address.http_options(PROBE_TIMEOUT),
                requests,
            )
            .await
            .map_err(|e| StepFailure::CouldNotEvaluate(e.to_string()))?;
            Ok(ratelimit::Requests {
                path: path.to_string(),
                sent: requests,
                per_second: None,
                counts,
            })
        },
    )
    .await
}

/// How long the limiter is given to recover from earlier traffic before a
/// gentle pace is judged.
const LIMITER_RECOVERY: Duration = Duration::from_secs(2);

/// `N requests per second to E at PATH for T s are all served`.
pub async fn pace_is_served(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let per_second: f64 = arguments[0].parse().unwrap_or(0.0);
    let path = arguments[2].as_str();
    let seconds: f64 = arguments[3].parse().unwrap_or(0.0);
    let count = (per_second * seconds).round() as usize;
    if count == 0 {
        return Err(StepFailure::CouldNotEvaluate(format!(
            "{per_second} requests per second for {seconds} s is no request at all"
        )));
    }
    tokio::time::sleep(LIMITER_RECOVERY).await;
    each_instance(
        world,
        &arguments[1],
        &ratelimit::PACE,
        EndpointNeeds::Http,
        |endpoint, address| async move {
            let options = address.http_options(PROBE_TIMEOUT);
            let counts = http::paced(&endpoint.spec.url(path), &options, per_second, count)
                .await
                .map_err(|e| StepFailure::CouldNotEvaluate(e.to_string()))?;
            Ok(ratelimit::Requests {
                path: path.to_string(),
                sent: count,
                per_second: Some(per_second),
                counts,
            })
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Profile;

    #[test]
    fn uids_come_from_the_uid_line_of_proc_status() {
        let status = "Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t101\t101\t101\t101\nGid:\t101\t101\t101\t101\n";
        assert_eq!(status_uids(status), Some((101, 101)));
        assert_eq!(status_uids("Uid:\t0\t1000\t0\t0\n"), Some((0, 1000)));
        assert_eq!(status_uids("Name:\tx\n"), None);
        assert_eq!(status_uids("Uid:\tabc\n"), None);
    }

    /// The leaf a TLS server presents when its certificate expires in
    /// `days` days, as the stack and cluster steps read it.
    async fn presented(days: i64) -> tls::CertificateReport {
        use crate::probe::testing::{Key, Pki, tls_server};

        let pki = Pki::new("Test CA");
        let leaf = pki.leaf(&["localhost"], Key::EcdsaP256, -1, days);
        let addr = tls_server(&leaf, &[&rustls::version::TLS13]).await;
        let trust = Trust::Pem(pki.ca_pem());
        tls::inspect_certificate(addr, "localhost", &trust, Duration::from_secs(5))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn cert_expiry_days_flips_the_lifetime_verdict_and_at_least_includes_it() {
        let report = presented(45).await;
        let left = report.chain[0].days_left;
        assert!((44..=45).contains(&left), "{left}");
        let production = Profile::production();
        let judge_lifetime = |report: &tls::CertificateReport, minimum| {
            (tls_checks::EXPIRY.judge)(&Lifetime::of(report, minimum))
        };
        let at = |minimum: u32| judge_lifetime(&report, i64::from(minimum));
        assert!(at(production.cert_expiry_days).0, "45 days ≥ 30");
        let (passed, facts) = at(60);
        assert!(!passed, "45 days < 60");
        assert!(
            facts[0].contains(&format!(
                "{left} day(s) left; the profile requires at least 60"
            )),
            "{facts:?}"
        );
        assert!(
            judge_lifetime(&report, left).0,
            "exactly the minimum is at least it"
        );
        assert!(!judge_lifetime(&report, left + 1).0);
    }

    #[test]
    fn hsts_min_days_flips_the_hsts_verdict_and_at_least_includes_it() {
        let header = |value: &'static str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                reqwest::header::STRICT_TRANSPORT_SECURITY,
                reqwest::header::HeaderValue::from_static(value),
            );
            http::hsts(&headers).unwrap()
        };
        let half_a_year = header("max-age=15552000; includeSubDomains");
        let minimum = u64::from(Profile::production().hsts_min_days);
        let judge_hsts = |hsts: &http::Hsts, minimum_days| {
            (http_checks::HSTS.judge)(&http_checks::HstsAnswer {
                status: 200,
                hsts: Some(*hsts),
                problem: String::new(),
                minimum_days,
            })
        };
        let (passed, facts) = judge_hsts(&half_a_year, minimum);
        assert!(passed, "180 days is at least 180: {facts:?}");
        assert_eq!(
            facts,
            [
                "Strict-Transport-Security max-age 180 day(s), includeSubDomains (the profile requires at least 180)"
            ]
        );
        assert!(!judge_hsts(&half_a_year, 181).0);
        assert!(!judge_hsts(&header("max-age=86400"), minimum).0);
        assert!(judge_hsts(&header("max-age=86400"), 1).0);
    }
}
