//! Load profiles (`load-profiles/*.yaml`): a load campaign as data — where
//! to send load, its shape (stages of users, or a constant request rate),
//! think time, weighted scenarios of requests with what each answer must
//! be, and the SLO targets the campaign is judged against. This module reads
//! and checks a profile (errors name `file:line:column`); running it is the
//! engine's.
//!
//! Values may come from the environment (`${API_TOKEN}`): they are resolved
//! at load time, a missing variable is an error at its line, and every
//! resolved value is remembered so reports and logs can redact it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

use crate::error::InputError;
use crate::source::document::{Document, parse_duration};
use crate::source::yaml::{Node, NodeValue};

/// A checked load profile.
#[derive(Debug, Clone)]
pub struct LoadProfile {
    pub path: PathBuf,
    pub name: String,
    pub description: String,
    pub host: Host,
    pub tls: TlsTrust,
    pub shape: Shape,
    pub think_time: ThinkTime,
    /// Whether the ramp-up and ramp-down are judged with the steady phase.
    pub include_ramp: bool,
    pub scenarios: Vec<ScenarioSpec>,
    pub targets: Targets,
    /// Values taken from the environment: never printed.
    pub secrets: Vec<String>,
}

/// Where the load goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A base URL, e.g. `http://127.0.0.1:8080`.
    Url(String),
    /// A named endpoint of the `--target stack:` the campaign runs against.
    Endpoint(String),
}

/// How TLS servers are trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsTrust {
    /// A CA certificate (PEM) to trust, e.g. a test stack's.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate (test stacks only).
    pub insecure: bool,
}

/// The load over time.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Users ramped to each stage's count, then held.
    Stages(Vec<Stage>),
    /// A constant request rate, whatever the latency (open model).
    Rate {
        per_second: f64,
        ramp: Duration,
        duration: Duration,
        max_users: usize,
    },
}

/// One stage: move to `users` over `ramp`, then hold for `hold`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub users: usize,
    pub ramp: Duration,
    pub hold: Duration,
}

/// Pause between two requests of a user: uniform between min and max.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThinkTime {
    pub min: Duration,
    pub max: Duration,
}

/// A weighted sequence of requests a user repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSpec {
    pub name: String,
    pub weight: usize,
    pub requests: Vec<RequestSpec>,
}

/// One request and what its answer must be.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSpec {
    /// Its name in reports and per-request targets (default `METHOD path`).
    pub name: String,
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub body: Option<Body>,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(serde_json::Value),
    Raw(String),
}

/// What makes an answer a success.
#[derive(Debug, Clone)]
pub struct Expect {
    /// Accepted statuses (default: any 2xx or 3xx).
    pub status: Vec<u16>,
    pub body_contains: Option<String>,
    pub body_matches: Option<Regex>,
}

impl PartialEq for Expect {
    fn eq(&self, other: &Expect) -> bool {
        self.status == other.status
            && self.body_contains == other.body_contains
            && self.body_matches.as_ref().map(Regex::as_str)
                == other.body_matches.as_ref().map(Regex::as_str)
    }
}

impl Expect {
    /// Whether the answer's body must be read to judge it.
    pub fn reads_body(&self) -> bool {
        self.body_contains.is_some() || self.body_matches.is_some()
    }
}

/// SLO targets; `None` takes the run profile's value (golive.yaml) where
/// it has one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Targets {
    pub overall: RequestTargets,
    /// Per request name.
    pub requests: BTreeMap<String, RequestTargets>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestTargets {
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub error_rate_percent: Option<f64>,
    pub min_rps: Option<f64>,
}

impl RequestTargets {
    /// The target of a metric (`p95_ms`, `error_rate_percent`...), if set.
    pub fn get(&self, metric: &str) -> Option<f64> {
        match metric {
            "p50_ms" => self.p50_ms,
            "p95_ms" => self.p95_ms,
            "p99_ms" => self.p99_ms,
            "error_rate_percent" => self.error_rate_percent,
            "min_rps" => self.min_rps,
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// The file as written.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    #[serde(default)]
    description: String,
    host: String,
    #[serde(default)]
    tls: RawTls,
    load: RawLoad,
    think_time: Option<RawThinkTime>,
    #[serde(default)]
    include_ramp: bool,
    scenarios: Vec<RawScenario>,
    #[serde(default)]
    targets: RawTargets,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    ca_file: Option<String>,
    #[serde(default)]
    insecure: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoad {
    stages: Option<Vec<RawStage>>,
    rate: Option<RawRate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    users: usize,
    #[serde(default)]
    ramp: Option<String>,
    #[serde(default)]
    hold: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRate {
    per_second: f64,
    duration: String,
    ramp: Option<String>,
    max_users: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawThinkTime {
    Fixed(String),
    Range { min: String, max: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default = "one")]
    weight: usize,
    requests: Vec<RawRequest>,
}

fn one() -> usize {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    name: Option<String>,
    #[serde(default = "get")]
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    query: BTreeMap<String, String>,
    json: Option<serde_json::Value>,
    body: Option<String>,
    #[serde(default)]
    expect: RawExpect,
}

fn get() -> String {
    "GET".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    status: Option<StatusList>,
    body_contains: Option<String>,
    body_matches: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StatusList {
    One(u16),
    Many(Vec<u16>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    p50_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    error_rate_percent: Option<f64>,
    min_rps: Option<f64>,
    #[serde(default)]
    requests: BTreeMap<String, RequestTargets>,
}

// ---------------------------------------------------------------------------
// Reading.

/// The profiles shipped in `load-profiles/`, usable by name.
pub const BUNDLED: &[&str] = &[
    "baseline", "failover", "peak", "rollout", "smoke", "soak", "spike",
];

/// A campaign's base URL: `http(s)://host[:port]`, without a trailing
/// slash (Goose joins request paths to the host, dropping any path).
pub fn base_url(text: &str) -> Result<String, String> {
    let bad = || format!("{text:?} is not an http:// or https:// URL with a host");
    let url = reqwest::Url::parse(text).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    if url.path() != "/" || url.query().is_some() {
        return Err(format!(
            "{text:?}: give the host alone (scheme, host, port); paths belong to the requests"
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// `text` with every secret value replaced, longest first (a secret that
/// begins another leaves none of it).
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    sorted.into_iter().fold(text.to_string(), |text, secret| {
        text.replace(secret.as_str(), "[redacted]")
    })
}

/// Reads and checks a load profile, resolving `${VAR}` from `env`. Error
/// messages never show a value taken from the environment.
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<LoadProfile, InputError> {
    let document = Document::read(path, "load profile")?;
    let mut secrets = Vec::new();
    let root = resolve_env(&document, &document.root, "", env, &mut secrets)?;
    let hide = |mut error: InputError| {
        error.message = redact(&error.message, &secrets);
        error
    };
    let raw: RawProfile = root
        .deserialize_as()
        .map_err(|(field, message)| hide(document.error_at(&field, message)))?;
    check(path, &document, raw, secrets.clone()).map_err(hide)
}

/// The tree with every `${VAR}` in a string replaced by the variable's
/// value; the values are collected in `secrets`.
fn resolve_env(
    document: &Document,
    node: &Node,
    path: &str,
    env: &dyn Fn(&str) -> Option<String>,
    secrets: &mut Vec<String>,
) -> Result<Node, InputError> {
    let value = match &node.value {
        NodeValue::String(text) => NodeValue::String(
            substitute(text, env, secrets).map_err(|m| document.error_at(path, m))?,
        ),
        NodeValue::Seq(items) => NodeValue::Seq(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| resolve_env(document, item, &format!("{path}[{i}]"), env, secrets))
                .collect::<Result<_, _>>()?,
        ),
        NodeValue::Map(entries) => NodeValue::Map(
            entries
                .iter()
                .map(|(key, value)| {
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    Ok((
                        key.clone(),
                        resolve_env(document, value, &child, env, secrets)?,
                    ))
                })
                .collect::<Result<_, InputError>>()?,
        ),
        other => other.clone(),
    };
    Ok(Node {
        position: node.position,
        value,
    })
}

/// `text` with `${NAME}` replaced from `env`; `$${` stays a literal `${`.
fn substitute(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    secrets: &mut Vec<String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        if rest[..start].ends_with('$') {
            out.push_str(&rest[..start - 1]);
            out.push_str("${");
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
        let name = &rest[start + 2..start + end];
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!("{name:?} is not an environment variable name"));
        }
        let value =
            env(name).ok_or_else(|| format!("the environment variable {name} is not set"))?;
        if !value.is_empty() {
            secrets.push(value.clone());
        }
        out.push_str(&value);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn duration_at(
    document: &Document,
    field: &str,
    text: Option<&str>,
) -> Result<Duration, InputError> {
    text.map_or(Ok(Duration::ZERO), |text| {
        parse_duration(text).map_err(|m| document.error_at(field, m))
    })
}

fn check(
    path: &Path,
    document: &Document,
    raw: RawProfile,
    secrets: Vec<String>,
) -> Result<LoadProfile, InputError> {
    let valid_name = !raw.name.is_empty()
        && raw
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_name {
        return Err(document.error_at("name", "lowercase letters, digits and '-' only"));
    }
    let host = match raw.host.strip_prefix("endpoint:") {
        Some(name) if !name.is_empty() => Host::Endpoint(name.to_string()),
        Some(_) => return Err(document.error_at("host", "endpoint: needs the endpoint's name")),
        None => Host::Url(base_url(&raw.host).map_err(|message| {
            document.error_at(
                "host",
                format!("{message}, or endpoint:NAME of the stack target"),
            )
        })?),
    };
    let ca_file = raw
        .tls
        .ca_file
        .map(|f| path.parent().unwrap_or(Path::new(".")).join(f));
    if let Some(ca_file) = &ca_file
        && !ca_file.is_file()
    {
        return Err(document.error_at(
            "tls.ca_file",
            format!("no such file: {}", ca_file.display()),
        ));
    }
    let shape = shape(document, raw.load)?;
    let think_time = match raw.think_time {
        None => ThinkTime::default(),
        Some(RawThinkTime::Fixed(text)) => {
            let fixed = duration_at(document, "think_time", Some(&text))?;
            ThinkTime {
                min: fixed,
                max: fixed,
            }
        }
        Some(RawThinkTime::Range { min, max }) => {
            let min = duration_at(document, "think_time.min", Some(&min))?;
            let max = duration_at(document, "think_time.max", Some(&max))?;
            if min > max {
                return Err(document.error_at("think_time", "min is above max"));
            }
            ThinkTime { min, max }
        }
    };
    if matches!(shape, Shape::Rate { .. }) && !think_time.max.is_zero() {
        return Err(document.error_at(
            "think_time",
            "a constant rate schedules every request itself: no think time with load.rate",
        ));
    }
    if raw.scenarios.is_empty() {
        return Err(document.error_at("scenarios", "a profile needs at least one scenario"));
    }
    let mut scenarios = Vec::new();
    for (index, scenario) in raw.scenarios.into_iter().enumerate() {
        scenarios.push(check_scenario(document, index, scenario)?);
    }
    let targets = check_targets(document, raw.targets, &scenarios)?;
    Ok(LoadProfile {
        path: path.to_path_buf(),
        name: raw.name,
        description: raw.description,
        host,
        tls: TlsTrust {
            ca_file,
            insecure: raw.tls.insecure,
        },
        shape,
        think_time,
        include_ramp: raw.include_ramp,
        scenarios,
        targets,
        secrets,
    })
}

fn shape(document: &Document, load: RawLoad) -> Result<Shape, InputError> {
    match (load.stages, load.rate) {
        (Some(stages), None) => {
            if stages.is_empty() {
                return Err(document.error_at("load.stages", "at least one stage"));
            }
            let mut checked = Vec::new();
            for (i, stage) in stages.into_iter().enumerate() {
                let at = format!("load.stages[{i}]");
                let ramp = duration_at(document, &format!("{at}.ramp"), stage.ramp.as_deref())?;
                let hold = duration_at(document, &format!("{at}.hold"), stage.hold.as_deref())?;
                if ramp.is_zero() && hold.is_zero() {
                    return Err(document.error_at(&at, "a stage needs a ramp or a hold time"));
                }
                for (field, length) in [("ramp", ramp), ("hold", hold)] {
                    planned_length(document, &format!("{at}.{field}"), length)?;
                }
                checked.push(Stage {
                    users: stage.users,
                    ramp,
                    hold,
                });
            }
            if checked.iter().all(|s| s.users == 0) {
                return Err(document.error_at("load.stages", "no stage has any user"));
            }
            Ok(Shape::Stages(checked))
        }
        (None, Some(rate)) => {
            if !(0.1..=100_000.0).contains(&rate.per_second) {
                return Err(document.error_at(
                    "load.rate.per_second",
                    "between 0.1 and 100000 requests per second",
                ));
            }
            let duration = duration_at(document, "load.rate.duration", Some(&rate.duration))?;
            if duration.is_zero() {
                return Err(document.error_at("load.rate.duration", "must be longer than 0"));
            }
            let ramp = duration_at(document, "load.rate.ramp", rate.ramp.as_deref())?;
            planned_length(document, "load.rate.duration", duration)?;
            planned_length(document, "load.rate.ramp", ramp)?;
            let max_users = rate.max_users.unwrap_or(100);
            if max_users == 0 {
                return Err(document.error_at("load.rate.max_users", "at least 1 user"));
            }
            Ok(Shape::Rate {
                per_second: rate.per_second,
                ramp,
                duration,
                max_users,
            })
        }
        _ => Err(document.error_at("load", "give exactly one of stages or rate")),
    }
}

/// A length of the load plan: whole seconds (Goose plans in seconds, and
/// throughput is divided by the planned time), at most a day.
fn planned_length(document: &Document, field: &str, length: Duration) -> Result<(), InputError> {
    if length.subsec_nanos() != 0 {
        return Err(document.error_at(field, "the load plan counts whole seconds"));
    }
    if length > Duration::from_secs(86_400) {
        return Err(document.error_at(field, "at most 24 hours (1440m)"));
    }
    Ok(())
}

fn check_scenario(
    document: &Document,
    index: usize,
    raw: RawScenario,
) -> Result<ScenarioSpec, InputError> {
    let at = format!("scenarios[{index}]");
    if raw.weight == 0 {
        return Err(document.error_at(&format!("{at}.weight"), "a weight of at least 1"));
    }
    if raw.requests.is_empty() {
        return Err(document.error_at(&format!("{at}.requests"), "at least one request"));
    }
    let mut requests = Vec::new();
    for (i, request) in raw.requests.into_iter().enumerate() {
        let at = format!("{at}.requests[{i}]");
        let method = request.method.to_ascii_uppercase();
        if !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
            return Err(document.error_at(
                &format!("{at}.method"),
                format!("{method} is not an HTTP method golive sends"),
            ));
        }
        if !request.path.starts_with('/') {
            return Err(document.error_at(&format!("{at}.path"), "a path starts with /"));
        }
        for (name, value) in &request.headers {
            let sendable = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && reqwest::header::HeaderValue::from_str(value).is_ok();
            if !sendable {
                return Err(document.error_at(
                    &format!("{at}.headers"),
                    format!("{name:?}: not a header HTTP can send (a name of letters, digits and '-', a value without control characters)"),
                ));
            }
        }
        let body = match (request.json, request.body) {
            (Some(json), None) => Some(Body::Json(json)),
            (None, Some(raw)) => Some(Body::Raw(raw)),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(document.error_at(&at, "give json or body, not both"));
            }
        };
        let status = match request.expect.status {
            None => Vec::new(),
            Some(StatusList::One(status)) => vec![status],
            Some(StatusList::Many(statuses)) => statuses,
        };
        if let Some(bad) = status.iter().find(|s| !(100..600).contains(*s)) {
            return Err(document.error_at(
                &format!("{at}.expect.status"),
                format!("{bad} is not an HTTP status"),
            ));
        }
        let body_matches = request
            .expect
            .body_matches
            .map(|pattern| Regex::new(&pattern))
            .transpose()
            .map_err(|e| {
                document.error_at(
                    &format!("{at}.expect.body_matches"),
                    format!("not a regular expression: {e}"),
                )
            })?;
        requests.push(RequestSpec {
            name: request
                .name
                .unwrap_or_else(|| format!("{method} {}", request.path)),
            method,
            path: request.path,
            headers: request.headers,
            query: request.query,
            body,
            expect: Expect {
                status,
                body_contains: request.expect.body_contains,
                body_matches,
            },
        });
    }
    Ok(ScenarioSpec {
        name: raw.name,
        weight: raw.weight,
        requests,
    })
}

fn check_targets(
    document: &Document,
    raw: RawTargets,
    scenarios: &[ScenarioSpec],
) -> Result<Targets, InputError> {
    let overall = RequestTargets {
        p50_ms: raw.p50_ms,
        p95_ms: raw.p95_ms,
        p99_ms: raw.p99_ms,
        error_rate_percent: raw.error_rate_percent,
        min_rps: raw.min_rps,
    };
    check_values(document, "targets", &overall)?;
    for (name, targets) in &raw.requests {
        let known = scenarios
            .iter()
            .flat_map(|s| &s.requests)
            .any(|r| r.name == *name);
        if !known {
            return Err(document.error_at(
                &format!("targets.requests.{name}"),
                "no request of the profile has this name",
            ));
        }
        check_values(document, &format!("targets.requests.{name}"), targets)?;
    }
    Ok(Targets {
        overall,
        requests: raw.requests,
    })
}

fn check_values(document: &Document, at: &str, targets: &RequestTargets) -> Result<(), InputError> {
    let positive = [
        ("p50_ms", targets.p50_ms),
        ("p95_ms", targets.p95_ms),
        ("p99_ms", targets.p99_ms),
        ("min_rps", targets.min_rps),
    ];
    for (key, value) in positive {
        if let Some(value) = value
            && !(value.is_finite() && value > 0.0)
        {
            return Err(document.error_at(&format!("{at}.{key}"), "must be a positive number"));
        }
    }
    if let Some(rate) = targets.error_rate_percent
        && !(0.0..=100.0).contains(&rate)
    {
        return Err(document.error_at(
            &format!("{at}.error_rate_percent"),
            "a percentage between 0 and 100",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("profile.yaml");
        std::fs::write(&path, text).unwrap();
        path
    }

    const MINIMAL: &str = "name: demo
host: http://127.0.0.1:8080/
load:
  stages:
    - { users: 5, ramp: 5s, hold: 30s }
scenarios:
  - name: browse
    requests:
      - { path: /api/v1/items, expect: { status: [200, 304], body_matches: \"^\\\\[\" } }
targets:
  p95_ms: 200
";

    #[test]
    fn a_minimal_profile_reads_with_its_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let profile = load(&write(dir.path(), MINIMAL), &no_env).unwrap();
        assert_eq!(profile.host, Host::Url("http://127.0.0.1:8080".into()));
        let request = &profile.scenarios[0].requests[0];
        assert_eq!(request.name, "GET /api/v1/items");
        assert_eq!(request.expect.status, [200, 304]);
        assert!(request.expect.reads_body());
        assert_eq!(profile.scenarios[0].weight, 1);
        assert_eq!(profile.targets.overall.p95_ms, Some(200.0));
        assert_eq!(profile.targets.overall.error_rate_percent, None);
        assert_eq!(
            profile.shape,
            Shape::Stages(vec![Stage {
                users: 5,
                ramp: Duration::from_secs(5),
                hold: Duration::from_secs(30)
            }])
        );
    }

    #[test]
    fn environment_values_are_resolved_and_remembered_as_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let text = MINIMAL.replace(
            "      - { path:",
            "      - { headers: { Authorization: \"Bearer ${API_TOKEN}\", X-Cost: \"$${literal}\" }, path:",
        );
        let env = |name: &str| (name == "API_TOKEN").then(|| "s3cr3t".to_string());
        let profile = load(&write(dir.path(), &text), &env).unwrap();
        let headers = &profile.scenarios[0].requests[0].headers;
        assert_eq!(headers["Authorization"], "Bearer s3cr3t");
        assert_eq!(headers["X-Cost"], "${literal}");
        assert_eq!(profile.secrets, ["s3cr3t"]);
        let error = load(&write(dir.path(), &text), &no_env).unwrap_err();
        assert!(error.place.ends_with("profile.yaml:9:37"), "{error}");
        assert!(error.message.contains("API_TOKEN is not set"), "{error}");
        // A value from the environment in a faulty field: the error names
        // the field, never the value.
        let faulty = MINIMAL.replace("users: 5", "users: \"${API_TOKEN}\"");
        let error = load(&write(dir.path(), &faulty), &env).unwrap_err();
        assert!(error.place.contains("profile.yaml:5:"), "{error}");
        assert!(!error.message.contains("s3cr3t"), "{error}");
    }

    #[test]
    fn redaction_replaces_longer_secrets_first() {
        let secrets = ["abc".to_string(), "abcdef".to_string()];
        assert_eq!(
            redact("key=abcdef, short=abc", &secrets),
            "key=[redacted], short=[redacted]"
        );
    }

    #[test]
    fn errors_name_the_line_of_the_faulty_field() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                MINIMAL.replace("http://127.0.0.1:8080/", "127.0.0.1:8080"),
                2,
                "http:// or https://",
            ),
            (
                MINIMAL.replace("ramp: 5s", "ramp: soon"),
                5,
                "not a duration",
            ),
            (
                MINIMAL.replace("ramp: 5s, hold: 30s", "users: 5"),
                5,
                "duplicate",
            ),
            (
                MINIMAL.replace("users: 5, ramp: 5s, hold: 30s", "users: 5"),
                5,
                "a ramp or a hold",
            ),
            (
                MINIMAL.replace("path: /api", "path: api"),
                9,
                "starts with /",
            ),
            (
                MINIMAL.replace("[200, 304]", "[200, 700]"),
                9,
                "not an HTTP status",
            ),
            (
                MINIMAL.replace("\"^\\\\[\"", "\"([\""),
                9,
                "not a regular expression",
            ),
            (
                MINIMAL.replace("p95_ms: 200", "p95: 200"),
                11,
                "unknown field",
            ),
            (MINIMAL.replace("p95_ms: 200", "p95_ms: -1"), 11, "positive"),
            (
                MINIMAL.replace("p95_ms: 200", "requests: { nope: { p95_ms: 1 } }"),
                11,
                "no request",
            ),
            (
                MINIMAL.replace(
                    "  stages:\n    - { users: 5, ramp: 5s, hold: 30s }\n",
                    "  rate: { per_second: 0, duration: 1m }\n",
                ),
                4,
                "between 0.1 and 100000",
            ),
            (
                MINIMAL.replace(
                    "  stages:\n    - { users: 5, ramp: 5s, hold: 30s }\n",
                    "  rate: { per_second: 5, duration: 1500ms }\n",
                ),
                4,
                "whole seconds",
            ),
            (
                MINIMAL.replace(
                    "  stages:\n    - { users: 5, ramp: 5s, hold: 30s }\n",
                    "  rate: { per_second: 5, duration: 1m, max_users: 0 }\n",
                ),
                4,
                "at least 1 user",
            ),
            (
                MINIMAL.replace(
                    "  stages:\n    - { users: 5, ramp: 5s, hold: 30s }\n",
                    "  rate: { per_second: 5, duration: 1m }\nthink_time: 1s\n",
                ),
                5,
                "no think time",
            ),
            (
                MINIMAL.replace("hold: 30s", "hold: 1441m"),
                5,
                "at most 24 hours",
            ),
            (
                MINIMAL.replace("8080/", "8080/api"),
                2,
                "give the host alone",
            ),
            (
                MINIMAL.replace(
                    "      - { path:",
                    "      - { headers: { \"a b\": x }, path:",
                ),
                9,
                "not a header",
            ),
        ];
        for (text, line, message) in cases {
            let error = load(&write(dir.path(), &text), &no_env).unwrap_err();
            assert!(
                error.place.contains(&format!("profile.yaml:{line}:")),
                "{error} (expected line {line})"
            );
            assert!(error.message.contains(message), "{error}");
        }
    }

    #[test]
    fn the_shipped_profiles_read() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("load-profiles");
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let profile = load(&path, &no_env).unwrap_or_else(|e| panic!("{e}"));
                // The smoke, failover and rollout loads go through the
                // entry point (under its per-client rate limit); heavier
                // loads to the replicas.
                let endpoint = if ["smoke", "failover", "rollout"].contains(&profile.name.as_str())
                {
                    "web"
                } else {
                    "api"
                };
                assert_eq!(
                    profile.host,
                    Host::Endpoint(endpoint.into()),
                    "{}",
                    profile.name
                );
                names.push(profile.name);
            }
        }
        names.sort();
        assert_eq!(
            names, BUNDLED,
            "the list golive names when a profile is not found"
        );
    }
}
