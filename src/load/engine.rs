//! Runs a load profile with Goose in library mode: the profile's scenarios
//! become Goose scenarios of closure transactions, its stages a Goose test
//! plan; every request is timed by golive itself and filed in a [`Record`]
//! by phase, so what is judged is exactly what was measured.
//!
//! Goose is configured in code (never from the process arguments), without
//! its telnet controller (the WebSocket one is off by default) and without
//! printing; its metrics are not used. What is timed: from the moment a request was due to its
//! response headers, or to the end of its body when the profile checks the
//! body. For a constant rate, a request is due at its scheduled time, so the
//! wait for a free user counts (no coordinated omission). Only one campaign
//! runs at a time in a process (Goose's killswitch is process-wide).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use goose::config::{GooseConfiguration, GooseDefault, GooseDefaultType};
use goose::prelude::*;
use tokio::time::Instant;

use super::profile::{Body, LoadProfile, RequestSpec, Shape};
use super::record::{Phase, Record, Sample};
use crate::probe::http::{CertificateCheck, tls_config};
use crate::probe::tls::Trust;

/// Where a campaign sends its load.
#[derive(Debug, Clone)]
pub struct Destination {
    /// Base URLs, e.g. `http://127.0.0.1:8080`: one, or the replicas of a
    /// stack endpoint, users spread over them in turn.
    pub base_urls: Vec<String>,
    /// Accept any certificate (test stacks).
    pub insecure: bool,
    /// CA certificates (PEM) to trust instead of the system's.
    pub ca_pem: Option<Vec<u8>>,
}

/// How long a request may take before it counts as failed ("timeout"):
/// Goose's default, also given to clients golive builds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Set once the process is asked to stop: a campaign not started yet does
/// not start, and a running one is stopped even if the request came before
/// Goose started listening (Goose clears its killswitch when it starts).
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Stops the campaign running or about to run in this process, and any
/// later one (the process is ending).
pub fn stop() {
    STOPPING.store(true, Ordering::SeqCst);
    goose::trigger_killswitch("interrupted");
}

/// Only one Goose attack at a time per process.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The phases of a profile over time.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// (end of the window since the start, phase), in order.
    windows: Vec<(Duration, Phase)>,
    /// Total time of the steady windows (or of the whole run when ramps are
    /// judged too).
    pub steady: Duration,
    pub total: Duration,
}

impl Schedule {
    pub fn of(profile: &LoadProfile) -> Schedule {
        let mut windows = Vec::new();
        let mut end = Duration::ZERO;
        let mut push = |length: Duration, phase: Phase| {
            if !length.is_zero() {
                end += length;
                windows.push((end, phase));
            }
        };
        match &profile.shape {
            Shape::Stages(stages) => {
                for stage in stages {
                    push(stage.ramp, Phase::Ramp);
                    push(stage.hold, Phase::Steady);
                }
            }
            Shape::Rate { ramp, duration, .. } => {
                push(*ramp, Phase::Ramp);
                push(*duration, Phase::Steady);
            }
        }
        if profile.include_ramp {
            for window in &mut windows {
                window.1 = Phase::Steady;
            }
        }
        let total = windows.last().map_or(Duration::ZERO, |w| w.0);
        let mut steady = Duration::ZERO;
        let mut start = Duration::ZERO;
        for (window_end, phase) in &windows {
            if *phase == Phase::Steady {
                steady += *window_end - start;
            }
            start = *window_end;
        }
        Schedule {
            windows,
            steady,
            total,
        }
    }

    /// The phase of a request due `at` after the start (after the end:
    /// the ramp-down Goose adds).
    pub fn phase_at(&self, at: Duration) -> Phase {
        self.windows
            .iter()
            .find(|(end, _)| at < *end)
            .map_or(Phase::Ramp, |(_, phase)| *phase)
    }
}

/// The due times of a constant rate: rising linearly to `per_second` over
/// `ramp`, then steady.
#[derive(Debug)]
struct Slots {
    per_second: f64,
    ramp: Duration,
    taken: AtomicU64,
}

impl Slots {
    /// When slot `k` is due, after the start.
    fn due(&self, k: u64) -> Duration {
        let k = k as f64;
        let ramp = self.ramp.as_secs_f64();
        // During a linear ramp, slots due by t: per_second * t² / (2 ramp).
        let in_ramp = self.per_second * ramp / 2.0;
        let seconds = if k < in_ramp {
            (2.0 * k * ramp / self.per_second).sqrt()
        } else {
            ramp + (k - in_ramp) / self.per_second
        };
        Duration::from_secs_f64(seconds)
    }

    /// How many slots are due before `at` after the start.
    fn due_before(&self, at: Duration) -> u64 {
        let t = at.as_secs_f64();
        let ramp = self.ramp.as_secs_f64();
        let slots = if t < ramp {
            self.per_second * t * t / (2.0 * ramp)
        } else {
            self.per_second * ramp / 2.0 + (t - ramp) * self.per_second
        };
        slots.ceil() as u64
    }

    /// Takes the next slot: its due time after the start.
    fn take(&self) -> Duration {
        self.due(self.taken.fetch_add(1, Ordering::SeqCst))
    }
}

/// Requests a constant rate scheduled before the end that no user was
/// free to send (all `max_users` busy): they count as failed, "not sent",
/// in the second they were due — never as requests that did not exist.
fn count_unsent(slots: &Slots, schedule: &Schedule, record: &mut Record) {
    let due = slots.due_before(schedule.total);
    let mut next = slots.taken.load(Ordering::SeqCst);
    while next < due {
        let second = slots.due(next).as_secs();
        let end = slots
            .due_before(Duration::from_secs(second + 1))
            .clamp(next + 1, due);
        let at = Duration::from_secs(second);
        record.add_unsent(at, end - next, schedule.phase_at(at));
        next = end;
    }
}

/// What every transaction of a campaign shares.
struct Shared {
    record: Mutex<Record>,
    schedule: Schedule,
    slots: Option<Slots>,
    start: OnceLock<Instant>,
    /// Goose users between their arrival and their departure.
    users: AtomicUsize,
    /// Users arrived so far: the next one goes to `base_urls[arrived % len]`.
    arrived: AtomicUsize,
    base_urls: Vec<String>,
}

impl Shared {
    fn start(&self) -> Instant {
        *self.start.get_or_init(Instant::now)
    }
}

/// Why a campaign could not run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EngineError(String);

impl From<GooseError> for EngineError {
    fn from(e: GooseError) -> EngineError {
        EngineError(format!("goose: {e:?}"))
    }
}

/// The Goose test plan of a profile's stages (`users,seconds;...`).
fn test_plan(profile: &LoadProfile) -> Option<String> {
    let Shape::Stages(stages) = &profile.shape else {
        return None;
    };
    // Each Goose step moves to its users over its length: a stage is a ramp
    // step (0s: at once) then, when it holds, a step at the same users.
    let steps: Vec<String> = stages
        .iter()
        .flat_map(|stage| {
            let ramp = format!("{},{}s", stage.users, stage.ramp.as_secs());
            let hold = (!stage.hold.is_zero())
                .then(|| format!("{},{}s", stage.users, stage.hold.as_secs()));
            std::iter::once(ramp).chain(hold)
        })
        .collect();
    // Goose holds the last step's users until canceled: end with none.
    Some(format!("{};0,0s", steps.join(";")))
}

/// What the campaign looks like so far, for a progress line.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub elapsed: Duration,
    pub total: Duration,
    /// Users running now.
    pub users: usize,
    pub requests: u64,
    pub failures: u64,
    /// Requests of the last full second.
    pub last_second: u64,
    /// p95 of the steady phase so far, in ms.
    pub p95_ms: Option<f64>,
}

/// Runs `profile` against `destination` and returns what was measured,
/// with the requests due from `window_from` on also tallied apart (the
/// figures of a rollout in the middle of the campaign); `on_progress` is
/// called about once a second.
pub async fn run(
    profile: &LoadProfile,
    destination: &Destination,
    window_from: Option<Duration>,
    on_progress: impl Fn(Progress) + Send + 'static,
) -> Result<Record, EngineError> {
    let _alone = ONE_AT_A_TIME.lock().await;
    let schedule = Schedule::of(profile);
    let mut record = Record::new(schedule.steady);
    if let Some(from) = window_from {
        record = record.with_window(from);
    }
    if STOPPING.load(Ordering::SeqCst) {
        return Ok(record);
    }
    let slots = match &profile.shape {
        Shape::Rate {
            per_second, ramp, ..
        } => Some(Slots {
            per_second: *per_second,
            ramp: *ramp,
            taken: AtomicU64::new(0),
        }),
        Shape::Stages(_) => None,
    };
    let shared = Arc::new(Shared {
        record: Mutex::new(record),
        schedule,
        slots,
        start: OnceLock::new(),
        users: AtomicUsize::new(0),
        arrived: AtomicUsize::new(0),
        base_urls: destination.base_urls.clone(),
    });
    let first_url = destination
        .base_urls
        .first()
        .ok_or_else(|| EngineError("no destination URL".into()))?;
    let trust = match (&destination.ca_pem, destination.insecure) {
        (Some(pem), false) => Some(Arc::new(
            tls_config(&CertificateCheck::Verify(Trust::Pem(pem.clone())))
                .map_err(|e| EngineError(e.to_string()))?,
        )),
        _ => None,
    };
    let mut attack = GooseAttack::initialize_with_config(GooseConfiguration::default())?;
    for scenario in &profile.scenarios {
        let mut goose_scenario = Scenario::new(&scenario.name)
            .set_weight(scenario.weight)?
            .register_transaction(arrival(trust.clone(), shared.clone()))
            .register_transaction(departure(shared.clone()));
        if !profile.think_time.max.is_zero() {
            goose_scenario =
                goose_scenario.set_wait_time(profile.think_time.min, profile.think_time.max)?;
        }
        for request in &scenario.requests {
            goose_scenario =
                goose_scenario.register_transaction(transaction(request.clone(), shared.clone()));
        }
        attack = attack.register_scenario(goose_scenario);
    }
    attack = quiet(*attack.set_default(GooseDefault::Host, first_url.as_str())?)?;
    if destination.insecure {
        attack = *attack.set_default(GooseDefault::AcceptInvalidCerts, true)?;
    }
    attack = match (&profile.shape, test_plan(profile)) {
        (Shape::Stages(_), Some(plan)) => {
            *attack.set_default(GooseDefault::TestPlan, plan.as_str())?
        }
        (
            Shape::Rate {
                max_users,
                ramp,
                duration,
                ..
            },
            _,
        ) => {
            let seconds = (*ramp + *duration).as_secs().max(1) as usize;
            *attack
                .set_default(GooseDefault::Users, *max_users)?
                .set_default(GooseDefault::IncreaseRate, "1000")?
                .set_default(GooseDefault::RunTime, seconds)?
        }
        (Shape::Stages(_), None) => unreachable!("stages always give a plan"),
    };
    let start = shared.start();
    let watcher = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                if STOPPING.load(Ordering::SeqCst) {
                    // A stop asked before Goose listened: ask again.
                    goose::trigger_killswitch("interrupted");
                }
                let elapsed = start.elapsed();
                let last = (elapsed.as_secs() as usize).checked_sub(1);
                let progress = {
                    let record = shared.record.lock().unwrap_or_else(|e| e.into_inner());
                    Progress {
                        elapsed,
                        total: shared.schedule.total,
                        users: shared.users.load(Ordering::Relaxed),
                        requests: record.steady.requests + record.ramp.requests,
                        failures: record.steady.failures + record.ramp.failures,
                        last_second: last.map_or(0, |i| record.requests_in_second(i)),
                        p95_ms: record.steady.percentile_ms(0.95),
                    }
                };
                on_progress(progress);
            }
        })
    };
    let outcome = {
        let _stdout = StdoutToStderr::redirect();
        attack.execute().await
    };
    watcher.abort();
    outcome?;
    let mut record = shared
        .record
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let Some(slots) = &shared.slots
        && !STOPPING.load(Ordering::SeqCst)
    {
        count_unsent(slots, &shared.schedule, &mut record);
    }
    Ok(record)
}

/// While a campaign runs, file descriptor 1 points at standard error:
/// Goose prints "N users launched." with `println!` whatever its settings,
/// and standard output must keep only golive's own output (a JSON summary
/// must stay JSON). Nothing else of golive writes to stdout during a run.
struct StdoutToStderr {
    saved: i32,
}

impl StdoutToStderr {
    fn redirect() -> Option<StdoutToStderr> {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        // SAFETY: dup/dup2 on the process's own standard descriptors; the
        // saved copy is restored and closed exactly once, in drop.
        unsafe {
            let saved = libc::dup(1);
            if saved < 0 {
                return None;
            }
            if libc::dup2(2, 1) < 0 {
                libc::close(saved);
                return None;
            }
            Some(StdoutToStderr { saved })
        }
    }
}

impl Drop for StdoutToStderr {
    fn drop(&mut self) {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        // SAFETY: see `redirect`.
        unsafe {
            libc::dup2(self.saved, 1);
            libc::close(self.saved);
        }
    }
}

/// Goose without its controllers and without printing (its metrics are
/// not used).
fn quiet(attack: GooseAttack) -> Result<GooseAttack, GooseError> {
    Ok(*attack
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoMetrics, true)?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::NoErrorSummary, true)?
        .set_default(GooseDefault::Quiet, 1)?)
}

fn method(name: &str) -> GooseMethod {
    match name {
        "HEAD" => GooseMethod::Head,
        "POST" => GooseMethod::Post,
        "PUT" => GooseMethod::Put,
        "PATCH" => GooseMethod::Patch,
        "DELETE" => GooseMethod::Delete,
        _ => GooseMethod::Get,
    }
}

/// The transaction each user runs first: it is counted, sent to the next
/// destination URL in turn, and its HTTP client trusts the profile's CA
/// when there is one (Goose's own client builder cannot take custom roots).
fn arrival(trust: Option<Arc<rustls::ClientConfig>>, shared: Arc<Shared>) -> Transaction {
    let closure: TransactionFunction = Arc::new(move |user| {
        let (trust, shared) = (trust.clone(), shared.clone());
        Box::pin(async move {
            shared.users.fetch_add(1, Ordering::Relaxed);
            if shared.base_urls.len() > 1 {
                let turn = shared.arrived.fetch_add(1, Ordering::Relaxed);
                user.set_base_url(&shared.base_urls[turn % shared.base_urls.len()])?;
            }
            if let Some(config) = trust {
                // Goose's own client settings, with the profile's CA.
                let builder = reqwest::Client::builder()
                    .tls_backend_preconfigured((*config).clone())
                    .user_agent(concat!("golive/", env!("CARGO_PKG_VERSION")))
                    .timeout(REQUEST_TIMEOUT)
                    .gzip(true);
                user.set_client_builder(builder).await.map_err(Box::new)?;
            }
            Ok(())
        })
    });
    Transaction::new(closure)
        .set_name("user arrives")
        .set_on_start()
}

/// The transaction each user runs last: it is no longer counted.
fn departure(shared: Arc<Shared>) -> Transaction {
    let closure: TransactionFunction = Arc::new(move |_user| {
        let shared = shared.clone();
        Box::pin(async move {
            shared.users.fetch_sub(1, Ordering::Relaxed);
            Ok(())
        })
    });
    Transaction::new(closure)
        .set_name("user leaves")
        .set_on_stop()
}

/// Why a request got no answer, in a few words: the innermost cause
/// ("Connection refused (os error 111)", "invalid peer certificate:
/// UnknownIssuer"), or "timeout".
fn why_no_answer(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timeout".to_string();
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The request's path with its query string, percent-encoded.
fn path_with_query(spec: &RequestSpec) -> String {
    if spec.query.is_empty() {
        return spec.path.clone();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&spec.query)
        .finish();
    let separator = if spec.path.contains('?') { '&' } else { '?' };
    format!("{}{separator}{query}", spec.path)
}

/// One request of the profile as a Goose transaction that times itself.
fn transaction(spec: RequestSpec, shared: Arc<Shared>) -> Transaction {
    let name = spec.name.clone();
    let path = path_with_query(&spec);
    let spec = Arc::new(spec);
    let closure: TransactionFunction = Arc::new(move |user| {
        let (spec, shared, path) = (spec.clone(), shared.clone(), path.clone());
        Box::pin(async move {
            let start = shared.start();
            let due = match &shared.slots {
                Some(slots) => {
                    let due = start + slots.take();
                    tokio::time::sleep_until(due).await;
                    due
                }
                None => Instant::now(),
            };
            let mut builder = user.get_request_builder(&method(&spec.method), &path)?;
            for (header, value) in &spec.headers {
                builder = builder.header(header, value);
            }
            builder = match &spec.body {
                Some(Body::Json(json)) => builder.json(json),
                Some(Body::Raw(text)) => builder.body(text.clone()),
                None => builder,
            };
            let request = GooseRequest::builder()
                .set_request_builder(builder)
                .name(spec.name.as_str())
                .build();
            let answer = user.request(request).await?;
            let (status, ok) = match answer.response {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let status_ok = if spec.expect.status.is_empty() {
                        (200..400).contains(&status)
                    } else {
                        spec.expect.status.contains(&status)
                    };
                    let body_ok = if spec.expect.reads_body() {
                        let body = response.text().await.unwrap_or_default();
                        spec.expect
                            .body_contains
                            .as_ref()
                            .is_none_or(|needle| body.contains(needle.as_str()))
                            && spec
                                .expect
                                .body_matches
                                .as_ref()
                                .is_none_or(|re| re.is_match(&body))
                    } else {
                        true
                    };
                    (Ok(status), status_ok && body_ok)
                }
                Err(error) => (Err(why_no_answer(&error)), false),
            };
            let latency = due.elapsed();
            let at = due.saturating_duration_since(start);
            shared
                .record
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add(&Sample {
                    request: &spec.name,
                    at,
                    latency,
                    status,
                    ok,
                    phase: shared.schedule.phase_at(at),
                });
            Ok(())
        })
    });
    Transaction::new(closure).set_name(&name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::AtomicUsize;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::load::profile::{
        Expect, Host, RequestTargets, ScenarioSpec, Stage, Targets, ThinkTime, TlsTrust,
    };

    /// What the test server did: requests answered, and of those with 500.
    #[derive(Default)]
    struct Served {
        answered: AtomicUsize,
        errors: AtomicUsize,
    }

    /// A keep-alive HTTP server on 127.0.0.1 whose request n (from 0, over
    /// all connections) is answered with the status `answer(n)` resolves
    /// to (it may wait first); `served` counts what was written back.
    async fn http_server<F>(answer: F, served: Arc<Served>) -> String
    where
        F: Fn(usize) -> futures::future::BoxFuture<'static, u16> + Send + Sync + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let counter = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (served, counter, answer) = (served.clone(), counter.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 8192];
                    while let Ok(read) = socket.read(&mut buffer).await {
                        if read == 0 {
                            return;
                        }
                        let status = answer(counter.fetch_add(1, Ordering::SeqCst)).await;
                        let text = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\n\r\nok");
                        if socket.write_all(text.as_bytes()).await.is_err() {
                            return;
                        }
                        served.answered.fetch_add(1, Ordering::SeqCst);
                        if status == 500 {
                            served.errors.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        format!("http://{address}")
    }

    /// Answers known in advance: request n waits 300 ms when n % 10 == 9
    /// and is answered 500 when n % 50 == 25.
    async fn known_server() -> (String, Arc<Served>) {
        let served = Arc::new(Served::default());
        let url = http_server(
            |n| {
                Box::pin(async move {
                    if n % 10 == 9 {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    if n % 50 == 25 { 500 } else { 200 }
                })
            },
            served.clone(),
        )
        .await;
        (url, served)
    }

    /// Destinations over plain HTTP.
    fn plain(base_urls: Vec<String>) -> Destination {
        Destination {
            base_urls,
            insecure: false,
            ca_pem: None,
        }
    }

    fn profile(shape: Shape) -> LoadProfile {
        LoadProfile {
            path: "test.yaml".into(),
            name: "test".into(),
            description: String::new(),
            host: Host::Url(String::new()),
            tls: TlsTrust::default(),
            shape,
            think_time: ThinkTime::default(),
            include_ramp: true,
            scenarios: vec![ScenarioSpec {
                name: "s".into(),
                weight: 1,
                requests: vec![RequestSpec {
                    name: "get".into(),
                    method: "GET".into(),
                    path: "/x".into(),
                    headers: BTreeMap::new(),
                    query: BTreeMap::new(),
                    body: None,
                    expect: Expect {
                        status: vec![200],
                        body_contains: None,
                        body_matches: None,
                    },
                }],
            }],
            targets: Targets {
                overall: RequestTargets::default(),
                requests: BTreeMap::new(),
            },
            secrets: Vec::new(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn percentiles_and_error_rate_match_a_known_server() {
        let (first_url, first) = known_server().await;
        let (second_url, second) = known_server().await;
        let stages = Shape::Stages(vec![Stage {
            users: 10,
            ramp: Duration::from_secs(1),
            hold: Duration::from_secs(4),
        }]);
        let destination = plain(vec![first_url, second_url]);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let progress = {
            let seen = seen.clone();
            move |p: Progress| seen.lock().unwrap().push(p)
        };
        let record = run(&profile(stages), &destination, None, progress)
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        assert!(seen.len() >= 3, "about one progress report a second");
        assert_eq!(
            seen.iter().map(|p| p.users).max(),
            Some(10),
            "the users running are counted"
        );
        assert!(
            seen.windows(2).all(|w| w[0].requests <= w[1].requests),
            "requests only grow"
        );
        assert!(seen.last().unwrap().p95_ms.is_some());
        let tally = &record.steady;
        let p95 = tally.percentile_ms(0.95).unwrap();
        let p99 = tally.percentile_ms(0.99).unwrap();
        assert!(
            (p95 - 300.0).abs() / 300.0 < 0.02,
            "p95 {p95} ms, truth 300 ms"
        );
        assert!(
            (p99 - 300.0).abs() / 300.0 < 0.02,
            "p99 {p99} ms, truth 300 ms"
        );
        let count = |n: &AtomicUsize| n.load(Ordering::SeqCst) as u64;
        let answered = count(&first.answered) + count(&second.answered);
        let errors = count(&first.errors) + count(&second.errors);
        for served in [&first, &second] {
            assert!(
                count(&served.answered) * 100 > answered * 35,
                "users spread over both destinations: {} of {answered}",
                count(&served.answered)
            );
        }
        assert_eq!(
            tally.requests + record.ramp.requests,
            answered,
            "every answer recorded"
        );
        assert_eq!(
            tally.failures + record.ramp.failures,
            errors,
            "every 500 counted as a failure"
        );
        assert!(answered > 100, "{answered}");
    }

    /// A server that stops answering for one second once, at request
    /// `stall_at`: every request arriving in that second waits for its end.
    async fn stalling_server(stall_at: usize) -> String {
        let stall: Arc<Mutex<Option<Instant>>> = Arc::default();
        let answer = move |n| {
            let stall = stall.clone();
            Box::pin(async move {
                if n == stall_at {
                    *stall.lock().unwrap() = Some(Instant::now() + Duration::from_secs(1));
                }
                let until = *stall.lock().unwrap();
                if let Some(until) = until {
                    tokio::time::sleep_until(until).await;
                }
                200_u16
            }) as futures::future::BoxFuture<'static, u16>
        };
        http_server(answer, Arc::default()).await
    }

    /// At a constant rate, requests due while the server stalls count the
    /// whole wait (no coordinated omission): about a quarter of 4 s at 50
    /// requests/s fall in the stalled second, waiting up to 1 s, so p90
    /// shows it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_constant_rate_counts_the_time_requests_waited_to_be_sent() {
        let base_url = stalling_server(100).await;
        let rate = Shape::Rate {
            per_second: 50.0,
            ramp: Duration::ZERO,
            duration: Duration::from_secs(4),
            max_users: 10,
        };
        let destination = plain(vec![base_url]);
        let record = run(&profile(rate), &destination, None, |_| {})
            .await
            .unwrap();
        let tally = &record.steady;
        let p50 = tally.percentile_ms(0.50).unwrap();
        let p90 = tally.percentile_ms(0.90).unwrap();
        assert!(p50 < 50.0, "most requests are fast: p50 {p50} ms");
        // Timed from when they were sent, only the 10 requests in flight
        // (5 %) would show the stall, and p90 would be fast.
        assert!(p90 > 400.0, "the stall is seen: p90 {p90} ms");
        let rps = record.steady_rps().unwrap();
        assert!((rps - 50.0).abs() < 5.0, "{rps} requests/s");
    }

    /// Requests a constant rate scheduled that no user was free to send
    /// count as failed "not sent", in the steady phase they were due in.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scheduled_requests_no_user_could_send_are_failures() {
        let slow = |_| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                200_u16
            }) as futures::future::BoxFuture<'static, u16>
        };
        let base_url = http_server(slow, Arc::default()).await;
        let rate = Shape::Rate {
            per_second: 20.0,
            ramp: Duration::ZERO,
            duration: Duration::from_secs(3),
            max_users: 2,
        };
        let destination = plain(vec![base_url]);
        let record = run(&profile(rate), &destination, None, |_| {})
            .await
            .unwrap();
        let tally = &record.steady;
        let unsent = tally.statuses.get(crate::load::record::NOT_SENT).copied();
        // Two users answered in 1 s each send about 6 of the 60 due.
        assert!(unsent.is_some_and(|n| n >= 45), "{:?}", tally.statuses);
        assert!(
            (58..=62).contains(&tally.requests),
            "every scheduled request is accounted for: {}",
            tally.requests
        );
        assert!(tally.error_rate_percent().unwrap() > 75.0);
    }

    #[test]
    fn a_stage_without_ramp_starts_its_users_at_once_and_holds_them() {
        let stages = Shape::Stages(vec![
            Stage {
                users: 10,
                ramp: Duration::ZERO,
                hold: Duration::from_secs(5),
            },
            Stage {
                users: 20,
                ramp: Duration::from_secs(2),
                hold: Duration::ZERO,
            },
        ]);
        assert_eq!(
            test_plan(&profile(stages)).unwrap(),
            "10,0s;10,5s;20,2s;0,0s"
        );
    }

    /// Over HTTPS, users trust the CA the destination gives: every request
    /// is answered; without it, none is (the certificate is unknown).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn users_trust_the_destinations_ca() {
        use crate::probe::testing::{Pki, http_server, response};
        crate::probe::install_crypto_provider();
        let pki = Pki::new("load test CA");
        let leaf = pki.valid_leaf(&["localhost"]);
        let (address, _) = http_server(Some(&leaf), |_, _| response("200 OK", &[], "ok")).await;
        let stages = || {
            Shape::Stages(vec![Stage {
                users: 2,
                ramp: Duration::ZERO,
                hold: Duration::from_secs(2),
            }])
        };
        let base_url = format!("https://localhost:{}", address.port());
        let trusted = Destination {
            base_urls: vec![base_url.clone()],
            insecure: false,
            ca_pem: Some(pki.ca_pem()),
        };
        let record = run(&profile(stages()), &trusted, None, |_| {})
            .await
            .unwrap();
        assert!(record.steady.requests > 10, "{}", record.steady.requests);
        assert_eq!(record.steady.error_rate_percent(), Some(0.0));
        let untrusted = Destination {
            ca_pem: None,
            ..trusted
        };
        let record = run(&profile(stages()), &untrusted, None, |_| {})
            .await
            .unwrap();
        assert_eq!(record.steady.error_rate_percent(), Some(100.0));
        assert_eq!(
            record
                .steady
                .statuses
                .get("no answer: invalid peer certificate: UnknownIssuer"),
            Some(&record.steady.requests),
            "{:?}",
            record.steady.statuses
        );
    }
}
