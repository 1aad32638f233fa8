//! The Gherkin vocabulary golive understands. Each step is declared once in
//! [`STEPS`] with its pattern, an example and what it does; the same table
//! registers the steps with cucumber, lists them (`golive steps`) and checks
//! feature files without running them (`golive validate`). Steps are thin
//! glue: they pick a scope and call checks; the rules live in `checks/`.

mod backup;
mod checks;
mod cluster;
mod failover;
mod load;
mod rollout;
mod runtime;
mod scope;
pub mod world;

use cucumber::step::{Collection, Context, Step};

use crate::checks::live;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

pub use world::GoliveWorld;

/// Given, When or Then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Keyword {
    Given,
    When,
    Then,
}

/// Checks a step's captured arguments, saying what is wrong.
pub type ArgumentCheck = fn(&[String]) -> Result<(), String>;

/// The check IDs or families a step's captured arguments name.
pub type ChecksNamed = fn(&[String]) -> Vec<String>;

impl From<gherkin::StepType> for Keyword {
    fn from(step_type: gherkin::StepType) -> Keyword {
        match step_type {
            gherkin::StepType::Given => Keyword::Given,
            gherkin::StepType::When => Keyword::When,
            gherkin::StepType::Then => Keyword::Then,
        }
    }
}

/// One step definition.
pub struct StepDef {
    pub keyword: Keyword,
    /// Regular expression matched against the whole step text.
    pub pattern: &'static str,
    pub example: &'static str,
    pub description: &'static str,
    /// Checks its arguments before anything runs (for `golive validate`).
    pub validate_arguments: Option<ArgumentCheck>,
    /// The check IDs or families the step evaluates, from its arguments
    /// (used by `--checks` to pick scenarios).
    pub checks_named: Option<ChecksNamed>,
    pub run: Step<GoliveWorld>,
}

/// Why a step did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepFailure {
    /// The target does not meet the checklist item.
    NotReady(String),
    /// The item could not be evaluated (bad argument, nothing in scope...).
    CouldNotEvaluate(String),
}

/// Wraps a step body into a cucumber step: the body gets the world and the
/// captured arguments; an `Err` fails the step with a typed panic payload
/// that the runner's collector reads back. `step!(sync body)` for rules
/// over the inventory, `step!(async body)` for steps that talk to a live
/// system.
macro_rules! step {
    (@call sync $body:path, $world:ident, $arguments:ident) => {
        $body($world, &$arguments)
    };
    (@call async $body:path, $world:ident, $arguments:ident) => {
        $body($world, &$arguments).await
    };
    ($kind:ident $body:path) => {{
        fn step(
            world: &mut GoliveWorld,
            context: Context,
        ) -> futures::future::LocalBoxFuture<'_, ()> {
            Box::pin(async move {
                let arguments: Vec<String> = context
                    .matches
                    .iter()
                    .skip(1)
                    .map(|(_, m)| m.clone())
                    .collect();
                if let Err(failure) = step!(@call $kind $body, world, arguments) {
                    std::panic::panic_any(failure);
                }
            })
        }
        step as Step<GoliveWorld>
    }};
}

/// A runtime step: no argument checks; a step that judges names the live
/// checks it records (`checks [tls::KEY]`), so `--checks` picks it.
macro_rules! runtime_step {
    ($keyword:ident, $pattern:expr, $example:expr, $description:expr, $body:path) => {
        StepDef {
            keyword: Keyword::$keyword,
            pattern: $pattern,
            example: $example,
            description: $description,
            validate_arguments: None,
            checks_named: None,
            run: step!(async $body),
        }
    };
    ($keyword:ident, $pattern:expr, $example:expr, $description:expr, $body:path, checks [$($check:expr),+]) => {
        StepDef {
            checks_named: live_checks!($($check),+),
            ..runtime_step!($keyword, $pattern, $example, $description, $body)
        }
    };
}

/// `checks_named` of a step that records these live checks.
macro_rules! live_checks {
    ($($check:expr),+) => {
        Some(|_| vec![$($check.id().to_string()),+])
    };
}

/// Every step golive understands.
pub static STEPS: &[StepDef] = &[
    StepDef {
        keyword: Keyword::Given,
        pattern: r"^the workloads of the target$",
        example: "Given the workloads of the target",
        description: "Looks at everything the target holds: its workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, and the pod templates of Argo Rollouts and OpenShift DeploymentConfigs) and the objects the items judge (Ingresses, Services, policies...). Could not evaluate when the target holds no object; an item with nothing to judge is not applicable.",
        validate_arguments: None,
        checks_named: None,
        run: step!(sync scope::all_workloads),
    },
    StepDef {
        keyword: Keyword::Given,
        pattern: r#"^the workloads in namespace "([^"]+)"$"#,
        example: r#"Given the workloads in namespace "production""#,
        description: "Narrows the scenario to the workloads of one namespace.",
        validate_arguments: None,
        checks_named: None,
        run: step!(sync scope::in_namespace),
    },
    StepDef {
        keyword: Keyword::Given,
        pattern: r#"^the workloads labelled "([^"]+)"$"#,
        example: r#"Given the workloads labelled "app.kubernetes.io/part-of=factory,tier in (api,web)""#,
        description: "Narrows the scenario to the workloads whose pod labels match a selector (kubectl -l syntax).",
        validate_arguments: Some(scope::validate_selector),
        checks_named: None,
        run: step!(sync scope::labelled),
    },
    StepDef {
        keyword: Keyword::Given,
        pattern: r#"^the workload "([^"]+)"$"#,
        example: r#"Given the workload "Deployment/factory-api""#,
        description: "Narrows the scenario to one workload, by name or Kind/name.",
        validate_arguments: None,
        checks_named: None,
        run: step!(sync scope::named),
    },
    StepDef {
        keyword: Keyword::Given,
        pattern: r"^the ([a-z0-9][a-z0-9_-]*) profile$",
        example: "Given the production profile",
        description: "Judges the scenario with the thresholds of a profile of golive.yaml instead of the run's profile.",
        validate_arguments: None,
        checks_named: None,
        run: step!(sync scope::profile),
    },
    StepDef {
        keyword: Keyword::Given,
        pattern: r"^the threshold ([a-z0-9_]+) is (\S+)$",
        example: "Given the threshold min_replicas is 4",
        description: "Overrides one threshold of the profile for this scenario (any key of a golive.yaml profile: min_replicas, pod_security_level, hpa_required_for, zero_downtime_rollouts, latency_p95_ms...), checked like golive.yaml.",
        validate_arguments: Some(scope::validate_threshold),
        checks_named: None,
        run: step!(sync scope::threshold),
    },
    StepDef {
        keyword: Keyword::Then,
        pattern: r#"^the checks? "([^"]+)" pass(?:es)?$"#,
        example: r#"Then the check "probe.liveness" passes"#,
        description: "Runs checks (IDs or families, comma-separated: \"probe\", \"probe.port, probe.distinct\") over the scenario's workloads; fails with every unsuppressed finding.",
        validate_arguments: Some(checks::validate_check_list),
        checks_named: Some(checks::named_in),
        run: step!(sync checks::pass),
    },
    runtime_step!(
        Then,
        r#"^the endpoint "([^"]+)" answers GET (/\S*) with status ([0-9]{3}) within ([0-9]+) ?(ms|s)$"#,
        r#"Then the endpoint "api" answers GET /api/v1/health with status 200 within 500 ms"#,
        "Stack: every instance of the endpoint answers three GETs with that status, each within the time (time to response headers).",
        runtime::answers,
        checks[live::health::ANSWERS]
    ),
    runtime_step!(
        When,
        r#"^the service "([^"]+)" stops$"#,
        r#"When the service "postgres" stops"#,
        "Stack: stops every container of a service (docker stop). It is started again at the end of the scenario whatever happens; tag the scenario @serial.",
        runtime::stop_service
    ),
    runtime_step!(
        When,
        r#"^the service "([^"]+)" starts again$"#,
        r#"When the service "postgres" starts again"#,
        "Stack: starts a stopped service and waits until its health check passes.",
        runtime::start_service
    ),
    runtime_step!(
        Then,
        r#"^the endpoint "([^"]+)" reports (ready|not ready) at (/\S*) within ([0-9]+) s$"#,
        r#"Then the endpoint "api" reports not ready at /api/v1/ready within 15 s"#,
        "Stack: polls the readiness path of every instance (every 200 ms) until it answers 2xx (ready) or 5xx (not ready; 503 by convention); other answers and unanswered requests count as neither. Fails if it does not within the time.",
        runtime::reports_readiness,
        checks[live::health::READINESS]
    ),
    runtime_step!(
        Then,
        r"^every container of the stack runs as a non-root user$",
        "Then every container of the stack runs as a non-root user",
        "Stack: for every container, PID 1 (read from /proc/1/status inside it) and every process the engine lists run with a non-zero UID.",
        runtime::non_root,
        checks[live::container::NON_ROOT]
    ),
    runtime_step!(
        Then,
        r#"^the services "([^"]+)" run with a read-only root filesystem$"#,
        r#"Then the services "api, nginx" run with a read-only root filesystem"#,
        "Stack: for every container of the named services (comma-separated), the engine reports a read-only root filesystem and a write attempted as root fails with \"Read-only file system\".",
        runtime::read_only,
        checks[live::container::READ_ONLY_ROOTFS]
    ),
    runtime_step!(
        Then,
        r#"^the endpoint "([^"]+)" refuses TLS 1\.0 and TLS 1\.1$"#,
        r#"Then the endpoint "web" refuses TLS 1.0 and TLS 1.1"#,
        "Stack: offers a TLS 1.0 and a TLS 1.1 handshake (hand-written ClientHello, broad cipher list) to every instance; both must be refused. A plain-HTTP endpoint fails.",
        runtime::refuses_old_tls,
        checks[live::tls::OLD_PROTOCOLS]
    ),
    runtime_step!(
        Then,
        r#"^the endpoint "([^"]+)" accepts TLS 1\.2 or later$"#,
        r#"Then the endpoint "web" accepts TLS 1.2 or later"#,
        "Stack: TLS 1.2 or TLS 1.3 handshakes succeed; the observation says which (whether 1.3 is offered).",
        runtime::accepts_modern_tls,
        checks[live::tls::MODERN_PROTOCOLS]
    ),
    runtime_step!(
        Then,
        r#"^the certificate of "([^"]+)" is trusted and matches its host name$"#,
        r#"Then the certificate of "web" is trusted and matches its host name"#,
        "Stack: the presented chain verifies against the endpoint's CA (the run's test CA, or ca_file) for its server name: not expired, not yet valid, unknown issuer or name mismatch each fail with the detail.",
        runtime::certificate_trusted,
        checks[live::tls::CERTIFICATE]
    ),
    runtime_step!(
        Then,
        r#"^the certificate of "([^"]+)" is valid for at least the profile's minimum number of days$"#,
        r#"Then the certificate of "web" is valid for at least the profile's minimum number of days"#,
        "Stack: days until the leaf certificate expires are at least the profile's cert_expiry_days.",
        runtime::certificate_lifetime,
        checks[live::tls::EXPIRY]
    ),
    runtime_step!(
        Then,
        r#"^the certificate of "([^"]+)" has a strong key$"#,
        r#"Then the certificate of "web" has a strong key"#,
        "Stack: the leaf key is RSA of at least 2048 bits, ECDSA of at least 256 bits, or Ed25519.",
        runtime::certificate_key,
        checks[live::tls::KEY]
    ),
    runtime_step!(
        Then,
        r#"^the endpoint "([^"]+)" sends HSTS with at least the profile's minimum max-age$"#,
        r#"Then the endpoint "web" sends HSTS with at least the profile's minimum max-age"#,
        "Stack: GET / over HTTPS carries a valid Strict-Transport-Security header whose max-age is at least the profile's hsts_min_days.",
        runtime::sends_hsts,
        checks[live::http::HSTS]
    ),
    runtime_step!(
        Then,
        r#"^plain HTTP on "([^"]+)" redirects permanently to HTTPS$"#,
        r#"Then plain HTTP on "web-http" redirects permanently to HTTPS"#,
        "Stack: GET / on a plain-HTTP endpoint answers 301 or 308 with an https:// Location (302/307 are temporary and fail).",
        runtime::redirects_to_https,
        checks[live::http::REDIRECT]
    ),
    runtime_step!(
        Then,
        r#"^a burst of ([0-9]+) requests to "([^"]+)" at (/\S*) is partly refused with 429 or 503$"#,
        r#"Then a burst of 100 requests to "web" at /api/v1/health is partly refused with 429 or 503"#,
        "Stack: fires the requests at once; some must be answered 429 or 503 and some served (2xx/3xx: a limit, not an outage). Tag the scenario @serial.",
        runtime::burst_is_limited,
        checks[live::ratelimit::BURST]
    ),
    runtime_step!(
        Then,
        r#"^([0-9]+) requests per second to "([^"]+)" at (/\S*) for ([0-9]+) s are all served$"#,
        r#"Then 2 requests per second to "web" at /api/v1/health for 5 s are all served"#,
        "Stack: after 2 s for the limiter to recover, sends evenly paced requests; every one must be answered 2xx or 3xx.",
        runtime::pace_is_served,
        checks[live::ratelimit::PACE]
    ),
    runtime_step!(
        When,
        r#"^it runs against "([^"]+)"$"#,
        r#"When it runs against "web""#,
        "Stack: runs the scenario's load profile against an endpoint, users spread over every instance of its service (Goose; see load-profiles/). Tag the scenario @load @serial.",
        load::runs_against
    ),
    StepDef {
        keyword: Keyword::Given,
        pattern: r#"^the load profile "([^"]+)"$"#,
        example: r#"Given the load profile "smoke""#,
        description: "Chooses a load profile: a file, or the name of a bundled one (smoke, baseline, peak, soak, spike).",
        validate_arguments: None,
        checks_named: None,
        run: step!(sync load::given_profile),
    },
    StepDef {
        keyword: Keyword::Then,
        pattern: r"^the p95 latency is below (?:the target|([0-9]+(?:\.[0-9]+)?) ms)$",
        example: "Then the p95 latency is below the target",
        description: "Load: the p95 latency of the steady phase of the campaign the scenario ran is strictly below the figure stated, else the load profile's p95_ms, else the profile's latency_p95_ms (golive.yaml): \"below 200 ms\" fails at exactly 200 ms.",
        validate_arguments: None,
        checks_named: live_checks!(live::load::P95),
        run: step!(sync load::p95_below),
    },
    StepDef {
        keyword: Keyword::Then,
        pattern: r"^the error rate is below (?:the target|([0-9]+(?:\.[0-9]+)?) ?%)$",
        example: "Then the error rate is below 0.1 %",
        description: "Load: failed requests (unexpected status or body, no answer) are strictly below this share of the steady phase, else the load profile's error_rate_percent, else the profile's (golive.yaml).",
        validate_arguments: None,
        checks_named: live_checks!(live::load::ERROR_RATE),
        run: step!(sync load::error_rate_below),
    },
    StepDef {
        keyword: Keyword::Then,
        pattern: r"^the throughput is at least (?:the target|([0-9]+(?:\.[0-9]+)?) requests per second)$",
        example: "Then the throughput is at least 500 requests per second",
        description: "Load: requests per second over the steady phase reach the figure stated, else the load profile's min_rps.",
        validate_arguments: None,
        checks_named: live_checks!(live::load::THROUGHPUT),
        run: step!(sync load::throughput_at_least),
    },
    runtime_step!(
        Given,
        r#"^a probe watches GET (/\S*) on "([^"]+)"$"#,
        r#"Given a probe watches GET /api/v1/items on "web""#,
        "Failover: starts a recovery clock: a GET every 100 ms on the endpoint (its instances in turn); an answer other than 2xx/3xx, or none within 2 s, is a failed attempt. Start it before the disruption: the 3 s before it must be all successes (the steady state), otherwise the scenario could not be evaluated.",
        failover::watch_http
    ),
    runtime_step!(
        Given,
        r#"^a probe writes to "([^"]+)"$"#,
        r#"Given a probe writes to "db""#,
        "Failover: starts a recovery clock writing every 100 ms to a data store endpoint, on whichever instance is primary at the time (PostgreSQL: an INSERT committed, the primary found by pg_is_in_recovery(); Redis: a SET on the master found by ROLE, acknowledged once WAIT 1 says a replica has it).",
        failover::watch_writes
    ),
    runtime_step!(
        When,
        r#"^(?:the primary of "([^"]+)"|a replica of "([^"]+)"|"([^"]+)") is (killed|stopped|paused|restarted|cut off the network)(?: after ([0-9]+) s of load on "([^"]+)")?$"#,
        r#"When "api-2" is killed after 10 s of load on "web""#,
        "Failover: breaks one container — named, the first of a service, or the current primary of a data store endpoint — by SIGKILL, docker stop, pause, restart or disconnection from the stack network; with \"after N s of load\", runs the scenario's load profile against the endpoint and breaks the container N s into it. It is brought back (and waited on until healthy) after the scenario, whatever happens. Tag the scenario @disruptive @serial.",
        failover::disrupt
    ),
    runtime_step!(
        Given,
        r#"^the network from (?:the primary of "([^"]+)"|a replica of "([^"]+)"|"([^"]+)") to "([^"]+)" is throttled to ([0-9]+) kbit/s$"#,
        r#"Given the network from the primary of "db" to "postgres-standby" is throttled to 8 kbit/s"#,
        "Failover: limits what the container (named, the first of a service, or the current primary of a data store endpoint) sends to the other instance to N kbit/s, the rest of its traffic untouched (tc HTB, from a helper container of golive/tc in its network namespace): a standby behind a thin link, falling behind whenever more is written than the link carries. Undone after the scenario.",
        failover::throttle
    ),
    runtime_step!(
        Then,
        r"^the HTTP probes of every workload answer through a port-forward$",
        "Then the HTTP probes of every workload answer through a port-forward",
        "Cluster: on one Ready pod of every long-running workload in scope, sends each httpGet readiness, liveness and startup probe as the kubelet does (path, named or numbered port, HTTPS not verified) through a port-forward (a read-only subresource); each must answer 200 to 399 within its timeoutSeconds (plus 1 s for the tunnel).",
        cluster::probes_answer,
        checks[live::cluster::PROBE_ANSWERS]
    ),
    runtime_step!(
        Then,
        r"^every Ingress host refuses TLS 1\.0 and 1\.1 and accepts TLS 1\.2 or later$",
        "Then every Ingress host refuses TLS 1.0 and 1.1 and accepts TLS 1.2 or later",
        "Cluster: offers each TLS version to every host of the Ingresses' tls entries, at the address of the Ingress's load balancer (its status: IP or hostname, the TCP port it reports, else 443) with the host as server name; TLS 1.0 and 1.1 must be refused and 1.2 or 1.3 offered. A load balancer golive cannot reach from where it runs: could not evaluate.",
        cluster::ingress_protocols,
        checks [live::tls::OLD_PROTOCOLS, live::tls::MODERN_PROTOCOLS]
    ),
    runtime_step!(
        Then,
        r"^every Ingress host presents a trusted certificate for its name, valid for the profile's minimum number of days, with a strong key$",
        "Then every Ingress host presents a trusted certificate for its name, valid for the profile's minimum number of days, with a strong key",
        "Cluster: reads the certificate every Ingress TLS host presents at its load balancer: it must chain to Mozilla's roots (or to --ca-file), name the host, stay valid for the profile's cert_expiry_days and have a strong key.",
        cluster::ingress_certificates,
        checks [live::tls::CERTIFICATE, live::tls::EXPIRY, live::tls::KEY]
    ),
    runtime_step!(
        Then,
        r"^the NetworkPolicies are enforced: allowed paths connect and denied paths do not$",
        "Then the NetworkPolicies are enforced: allowed paths connect and denied paths do not",
        "Cluster: in every namespace in scope that has NetworkPolicies, a short-lived probe pod (the profile's network_probe_image) with the labels of each workload's pods, and one with no workload's labels, tries a TCP connection to every port of a Ready pod of every other workload; each result must be what the policies allow (a denied path that connects: not enforced). Creates and deletes pods: only with --allow-disruption, in a scenario tagged @cluster @disruptive.",
        cluster::policies_enforced,
        checks[live::cluster::NETWORK_ENFORCED]
    ),
    runtime_step!(
        Given,
        r#"^a probe watches GET (/\S*) on the pods of "([^"]+)"$"#,
        r#"Given a probe watches GET /api/v1/health on the pods of "factory-api""#,
        "Failover, cluster: starts a recovery clock: every 100 ms, a GET on the next Ready pod of the workload (NAME or NAMESPACE/NAME), through a port-forward to the port of its readiness probe (else its first container port), as its Service would route it; no Ready pod, an answer other than 2xx/3xx, or none within 2 s is a failed attempt.",
        cluster::watch_pods
    ),
    runtime_step!(
        When,
        r#"^a pod of "([^"]+)" is deleted$"#,
        r#"When a pod of "factory-api" is deleted"#,
        "Failover, cluster: deletes the first Ready pod of the workload, as kubectl delete pod does (its grace period), after the clocks' steady window. Writes to the cluster: only with --allow-disruption, in a scenario tagged @cluster @disruptive @serial.",
        cluster::delete_pod
    ),
    runtime_step!(
        Then,
        r#"^a replacement pod of "([^"]+)" is Ready within (?:the profile's RTO|([0-9]+) s)$"#,
        r#"Then a replacement pod of "factory-api" is Ready within the profile's RTO"#,
        "Failover, cluster: the time from the deletion until the workload again has as many Ready pods as it asks for, one of them new (its controller replaced the deleted pod), against the profile's rto_seconds or the figure.",
        cluster::replacement_ready_within,
        checks[live::failover::REPLACEMENT]
    ),
    runtime_step!(
        When,
        r#"^the runbook "([^"]+)" runs$"#,
        r#"When the runbook "promote-standby" runs"#,
        "Failover: runs a runbook of the stack file (a command in one container, e.g. a promotion), timed; a non-zero exit or a timeout fails the item.",
        failover::run_runbook,
        checks[live::failover::RUNBOOK]
    ),
    runtime_step!(
        Then,
        r#"^"([^"]+)" recovers within (?:the profile's RTO|([0-9]+) s)$"#,
        r#"Then "web" recovers within the profile's RTO"#,
        "Failover: waits until the probe of the endpoint succeeds for 5 s in a row (watching at least 10 s, at most the RTO), then judges the time from the disruption to the first attempt of that run (the RTO; zero when nothing failed) against the profile's rto_seconds or the figure.",
        failover::recovers_within,
        checks[live::failover::RTO]
    ),
    runtime_step!(
        Then,
        r#"^no acknowledged write to "([^"]+)" is lost(?: beyond (the profile's RPO|([0-9]+(?:\.[0-9]+)?) s))?$"#,
        r#"Then no acknowledged write to "db" is lost beyond the profile's RPO"#,
        "Failover: after the recovery, reads every write the probe had acknowledged back from the primary of now and measures the loss window (RPO: how long before the disruption the oldest lost write was acknowledged). It must be at most the profile's rpo_seconds, or the figure; without \"beyond\", or with an RPO of 0, any lost write fails, and so does a write acknowledged after the disruption and lost.",
        failover::no_write_lost,
        checks[live::failover::RPO]
    ),
    runtime_step!(
        Then,
        r#"^a new primary of "([^"]+)" answers within ([0-9]+) s$"#,
        r#"Then a new primary of "cache" answers within 30 s"#,
        "Failover: another instance than the one that answered before the disruption answers the probe (a promotion) within the time.",
        failover::promoted_within,
        checks[live::failover::PROMOTION]
    ),
    runtime_step!(
        Then,
        r"^the error rate during the failover is below ([0-9]+(?:\.[0-9]+)?) ?%$",
        "Then the error rate during the failover is below 1 %",
        "Failover: the share of the load's requests due from the disruption to the end of the campaign that failed.",
        failover::failover_error_rate,
        checks[live::failover::ERROR_RATE]
    ),
    runtime_step!(
        Given,
        r#"^"([^"]+)" has been (upgraded|rolled back)$"#,
        r#"Given "api" has been upgraded"#,
        "Release drill: rolls the service or Deployment as the When step does, without load or clock, as a precondition (a rollback needs an earlier release); a rollout that does not complete: could not evaluate. It runs its first release again after the scenario.",
        rollout::given_rolled
    ),
    runtime_step!(
        When,
        r#"^"([^"]+)" is (upgraded|rolled back)(?: after ([0-9]+) s of load on "([^"]+)")?$"#,
        r#"When "api" is upgraded after 5 s of load on "web""#,
        "Release drill: replaces the service's replicas one at a time with its upgrade: release (upgraded) or the release it ran before (rolled back), as a Deployment with maxSurge 1 and maxUnavailable 0 does: a new replica started and waited on until healthy, the entry points that route to it reloaded, an old one stopped (SIGTERM) and removed, the entry points reloaded. A new replica not healthy within the progress deadline stops the rollout, and what it had replaced is rolled back. With \"after N s of load\", the scenario's load profile runs against the endpoint and the rollout starts N s into it. On a cluster (--allow-disruption): the Deployment's template gets the image of --image DEPLOYMENT=IMAGE (upgraded) or that of its previous revision's ReplicaSet (rolled back, as kubectl rollout undo), watched as kubectl rollout status does until complete; a ProgressDeadlineExceeded puts the template back. The service or Deployment runs its first release again after the scenario. Tag the scenario @disruptive @serial.",
        rollout::when_rolled
    ),
    runtime_step!(
        Then,
        r"^the (upgrade|rollback) completes(?: within ([0-9]+) s)?$",
        "Then the upgrade completes within 120 s",
        "Release drill: every replica of the service was replaced by one of the new release (within the time, when stated); a halted rollout fails, with the new replica's last log lines and what was undone.",
        rollout::completes,
        checks[live::rollout::COMPLETE]
    ),
    runtime_step!(
        Then,
        r"^no request failed during the (upgrade|rollback)$",
        "Then no request failed during the upgrade",
        "Release drill: every request of the load due from the rollout's start to 5 s after its end succeeded; the load must outlast the rollout (else could not evaluate). Without a load (on a cluster), the recovery clock's requests in those seconds.",
        rollout::no_request_failed,
        checks[live::rollout::NO_ERROR]
    ),
    runtime_step!(
        Then,
        r"^the p95 latency during the (upgrade|rollback) is below ([0-9]+(?:\.[0-9]+)?) ms$",
        "Then the p95 latency during the upgrade is below 200 ms",
        "Release drill: the p95 latency of the successful requests due from the rollout's start to 5 s after its end, from one histogram of them (not per-second figures).",
        rollout::p95_during,
        checks[live::rollout::P95]
    ),
    runtime_step!(
        Then,
        r#"^every replica of "([^"]+)" serves version "([^"]+)"$"#,
        r#"Then every replica of "api" serves version "2""#,
        "Release drill: asks each replica of the service of now, on its version: probe (a GET answering {\"version\": \"...\"} or the version as text), which version it serves; each must be the one stated.",
        rollout::serves_version,
        checks[live::rollout::VERSION]
    ),
    runtime_step!(
        Then,
        r#"^every pod of "([^"]+)" runs the (upgrade|rollback)'s release$"#,
        r#"Then every pod of "factory-api" runs the upgrade's release"#,
        "Release drill, cluster: every pod of the Deployment now (those terminating left out) runs the images of the template the rollout rolled it to.",
        rollout::pods_run_release,
        checks[live::rollout::VERSION]
    ),
    runtime_step!(
        When,
        r#"^"([^"]+)" is backed up$"#,
        r#"When "db" is backed up"#,
        "Backup drill: runs the backup runbook of the data store endpoint (backups: in the stack file), timed and judged as a runbook; the writes a probe had acknowledged before it started must come back from it. Start the probe (Given a probe writes to \"db\") first.",
        backup::backed_up,
        checks[live::failover::RUNBOOK]
    ),
    runtime_step!(
        When,
        r"^([0-9]+) s pass$",
        "When 2 s pass",
        "Waits (at most 600 s) while the probes keep watching or writing: the writes a backup taken before does not hold.",
        backup::time_passes
    ),
    runtime_step!(
        When,
        r#"^the data of "([^"]+)" is lost$"#,
        r#"When the data of "db" is lost"#,
        "Backup drill: removes every container of the endpoint's services with its volumes (the probe's clock marks the loss). If the scenario does not restore it, the data store is started again, empty, after the scenario.",
        backup::data_lost
    ),
    runtime_step!(
        When,
        r#"^"([^"]+)" is restored from the backup$"#,
        r#"When "db" is restored from the backup"#,
        "Backup drill: starts fresh containers in place of the lost ones (same names and addresses, waited on until healthy), then runs the endpoint's restore runbook, timed and judged as a runbook.",
        backup::restored,
        checks[live::failover::RUNBOOK]
    ),
    runtime_step!(
        Then,
        r#"^every write acknowledged before the backup of "([^"]+)" is back$"#,
        r#"Then every write acknowledged before the backup of "db" is back"#,
        "Backup drill: reads back every write the probe had acknowledged (after it writes again steadily, or the profile's RTO); each one acknowledged before the backup started must be there.",
        backup::backed_up_writes_back,
        checks[live::backup::BACKED_UP]
    ),
    runtime_step!(
        Then,
        r#"^the writes lost from "([^"]+)" span at most (?:the profile's restore RPO|([0-9]+) s)$"#,
        r#"Then the writes lost from "db" span at most the profile's restore RPO"#,
        "Backup drill: the acknowledged writes missing after the restore were acknowledged at most the profile's restore_rpo_seconds (or the figure) before the loss (failover.rpo).",
        backup::lost_span,
        checks[live::failover::RPO]
    ),
    runtime_step!(
        Then,
        r#"^the restore of "([^"]+)" took at most (?:the profile's restore RTO|([0-9]+) s)$"#,
        r#"Then the restore of "db" took at most the profile's restore RTO"#,
        "Backup drill: from starting the fresh instances to the restore runbook's end, at most the profile's restore_rto_seconds or the figure; a failed restore fails.",
        backup::restore_within,
        checks[live::backup::RESTORE_TIME]
    ),
];

/// Stops a scenario's recovery clocks without waiting and keeps their
/// timelines (the runner calls it after every scenario).
pub async fn settle_failover(world: &mut GoliveWorld) {
    failover::settle(world, None).await;
}

/// The patterns of [`STEPS`], compiled once, in the same order.
static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    STEPS
        .iter()
        .map(|def| {
            Regex::new(def.pattern)
                .unwrap_or_else(|e| panic!("step pattern {:?} is invalid: {e}", def.pattern))
        })
        .collect()
});

/// Every step definition with its compiled pattern.
fn compiled() -> impl Iterator<Item = (&'static StepDef, &'static Regex)> {
    STEPS.iter().zip(COMPILED.iter())
}

/// The cucumber collection of [`STEPS`].
pub fn collection() -> Collection<GoliveWorld> {
    compiled().fold(Collection::new(), |collection, (def, regex)| {
        match def.keyword {
            Keyword::Given => collection.given(None, regex.clone(), def.run),
            Keyword::When => collection.when(None, regex.clone(), def.run),
            Keyword::Then => collection.then(None, regex.clone(), def.run),
        }
    })
}

/// The definition matching a step text, with its captured arguments, when
/// exactly one matches.
pub fn definition_for(
    keyword: Keyword,
    text: &str,
) -> Result<Option<(&'static StepDef, Vec<String>)>, usize> {
    let matches: Vec<(&StepDef, Vec<String>)> = compiled()
        .filter(|(def, _)| def.keyword == keyword)
        .filter_map(|(def, regex)| {
            let captures = regex.captures(text)?;
            Some((
                def,
                captures
                    .iter()
                    .skip(1)
                    .map(|m| m.map_or(String::new(), |m| m.as_str().to_string()))
                    .collect(),
            ))
        })
        .collect();
    match matches.len() {
        0 => Ok(None),
        1 => Ok(matches.into_iter().next()),
        n => Err(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_matches_exactly_its_own_definition() {
        for def in STEPS {
            let text = def
                .example
                .split_once(' ')
                .map(|(_, rest)| rest)
                .unwrap_or_default();
            let (found, _) = definition_for(def.keyword, text)
                .unwrap()
                .unwrap_or_else(|| panic!("{} matches nothing", def.example));
            assert_eq!(found.pattern, def.pattern, "{}", def.example);
        }
    }

    /// What `--checks` reads of a step: the IDs it names, resolved.
    fn selected_by(text: &str, keyword: Keyword) -> Vec<&'static str> {
        let (def, arguments) = definition_for(keyword, text).unwrap().unwrap();
        def.checks_named
            .map_or_else(Vec::new, |named| named(&arguments))
            .iter()
            .flat_map(|name| crate::checks::resolve(name))
            .map(|check| check.meta.id)
            .collect()
    }

    #[test]
    fn live_steps_name_the_checks_they_record_for_checks_selection() {
        let stack = selected_by(
            r#"the endpoint "web" refuses TLS 1.0 and TLS 1.1"#,
            Keyword::Then,
        );
        assert_eq!(stack, ["tls.old-protocols"]);
        let ingress = selected_by(
            "every Ingress host refuses TLS 1.0 and 1.1 and accepts TLS 1.2 or later",
            Keyword::Then,
        );
        assert_eq!(ingress, ["tls.old-protocols", "tls.modern-protocols"]);
        let tls: Vec<&str> = crate::checks::resolve("tls")
            .iter()
            .map(|c| c.meta.id)
            .collect();
        assert!(
            stack.iter().chain(&ingress).all(|id| tls.contains(id)),
            "{tls:?}"
        );
        assert!(
            selected_by(
                r#"a probe watches GET /api/v1/items on "web""#,
                Keyword::Given
            )
            .is_empty()
        );
    }
}
