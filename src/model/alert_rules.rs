//! The rules of the Prometheus Operator's PrometheusRule resources, read
//! once per check run: every `expr` parsed as PromQL (promql-parser), each
//! alerting rule classified into the kinds of alert the checklist asks for
//! (service down, error rate, latency, crash looping, replication lag,
//! disk), and asked which series its vector selectors can select, label by
//! label, so that the observability checks can tell whether an alert is
//! about a given workload.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::{self, Expr, VectorSelector};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Object;

/// A kind of alert the profile can require (`required_alerts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The target is not scraped: `up == 0`, `up < 1` or `absent(...)`.
    ServiceDown,
    /// A ratio of 5xx responses: a `/` whose dividend selects a
    /// status/code label matching 5xx values.
    ErrorRate,
    /// `histogram_quantile` over a `*_bucket` histogram.
    Latency,
    /// `kube_pod_container_status_restarts_total`, or
    /// `kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}`.
    CrashLooping,
    /// The lag of a replica (postgres, mysql, redis, mongodb exporters).
    ReplicationLag,
    /// The free space of a volume (kubelet volume stats, node filesystems).
    Disk,
}

impl AlertKind {
    pub const ALL: [AlertKind; 6] = [
        AlertKind::ServiceDown,
        AlertKind::ErrorRate,
        AlertKind::Latency,
        AlertKind::CrashLooping,
        AlertKind::ReplicationLag,
        AlertKind::Disk,
    ];

    /// The name in golive.yaml (`service_down`).
    pub fn key(self) -> &'static str {
        match self {
            AlertKind::ServiceDown => "service_down",
            AlertKind::ErrorRate => "error_rate",
            AlertKind::Latency => "latency",
            AlertKind::CrashLooping => "crash_looping",
            AlertKind::ReplicationLag => "replication_lag",
            AlertKind::Disk => "disk",
        }
    }

    /// Whether an expression is an alert of this kind.
    fn is_kind_of(self, expr: &Expr) -> bool {
        match self {
            AlertKind::ServiceDown => any_node(expr, &mut |e| match e {
                Expr::Call(call) => matches!(call.func.name, "absent" | "absent_over_time"),
                Expr::Binary(b) => {
                    let threshold = |side: &Expr| match side {
                        Expr::NumberLiteral(n) => Some(n.val),
                        _ => None,
                    };
                    let down = |op: &str, value: f64| {
                        matches!((op, value), ("==", 0.0) | ("<", 1.0) | ("<=", 0.0))
                    };
                    let op = b.op.to_string();
                    let up =
                        |side: &Expr| any_selector(side, &mut |s| metric_name(s) == Some("up"));
                    threshold(&b.rhs).is_some_and(|v| down(&op, v)) && up(&b.lhs)
                }
                _ => false,
            }),
            AlertKind::ErrorRate => any_node(expr, &mut |e| match e {
                Expr::Binary(b) if b.op.to_string() == "/" => any_selector(&b.lhs, &mut |s| {
                    s.matchers.matchers.iter().any(is_5xx_matcher)
                }),
                _ => false,
            }),
            AlertKind::Latency => any_node(expr, &mut |e| match e {
                Expr::Call(call) if call.func.name == "histogram_quantile" => {
                    call.args.args.iter().any(|arg| {
                        any_selector(arg, &mut |s| {
                            metric_name(s).is_some_and(|n| n.ends_with("_bucket"))
                        })
                    })
                }
                _ => false,
            }),
            AlertKind::CrashLooping => any_selector(expr, &mut |s| match metric_name(s) {
                Some("kube_pod_container_status_restarts_total") => true,
                Some("kube_pod_container_status_waiting_reason") => {
                    let reasons = s.matchers.find_matchers("reason");
                    !reasons.is_empty() && reasons.iter().all(|m| m.is_match("CrashLoopBackOff"))
                }
                _ => false,
            }),
            AlertKind::ReplicationLag => any_selector(expr, &mut |s| {
                const LAG: [&str; 6] = [
                    "replication_lag",
                    "replica_lag",
                    "repl_lag",
                    "slave_lag",
                    "seconds_behind_master",
                    "seconds_behind_source",
                ];
                metric_name(s).is_some_and(|n| LAG.iter().any(|lag| n.contains(lag)))
            }),
            AlertKind::Disk => any_selector(expr, &mut |s| {
                metric_name(s).is_some_and(|n| {
                    n.starts_with("kubelet_volume_stats_")
                        || n.starts_with("node_filesystem_avail")
                        || n.starts_with("node_filesystem_free")
                })
            }),
        }
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// Whether a matcher on a status or code label keeps 5xx responses and
/// drops successful ones (`status=~"5.."`, `code="503"`).
fn is_5xx_matcher(matcher: &Matcher) -> bool {
    let name = matcher.name.to_ascii_lowercase();
    (name.contains("status") || name.contains("code"))
        && !matches!(matcher.op, MatchOp::NotEqual | MatchOp::NotRe(_))
        && ["500", "503", "5xx"].iter().any(|v| matcher.is_match(v))
        && !matcher.is_match("200")
}

/// The metric name of a selector (`up`, or `{__name__="up"}`).
pub fn metric_name(selector: &VectorSelector) -> Option<&str> {
    selector.name.as_deref().or_else(|| {
        selector
            .matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && m.op == MatchOp::Equal)
            .map(|m| m.value.as_str())
    })
}

/// The sub-expressions of a node.
fn children(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Aggregate(a) => [Some(&*a.expr), a.param.as_deref()]
            .into_iter()
            .flatten()
            .collect(),
        Expr::Unary(u) => vec![&u.expr],
        Expr::Binary(b) => vec![&b.lhs, &b.rhs],
        Expr::Paren(p) => vec![&p.expr],
        Expr::Subquery(s) => vec![&s.expr],
        Expr::Call(call) => call.args.args.iter().map(|a| &**a).collect(),
        Expr::Extension(e) => e.expr.children().iter().collect(),
        Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::VectorSelector(_)
        | Expr::MatrixSelector(_) => Vec::new(),
    }
}

/// Whether `test` holds for the expression or one of its sub-expressions.
fn any_node(expr: &Expr, test: &mut dyn FnMut(&Expr) -> bool) -> bool {
    test(expr) || children(expr).into_iter().any(|c| any_node(c, test))
}

/// Whether `test` holds for one of the vector selectors of the expression
/// (range selectors included).
fn any_selector(expr: &Expr, test: &mut dyn FnMut(&VectorSelector) -> bool) -> bool {
    any_node(expr, &mut |e| match e {
        Expr::VectorSelector(s) => test(s),
        Expr::MatrixSelector(m) => test(&m.vs),
        _ => false,
    })
}

/// Whether the expression can select series that `selects` accepts: every
/// selector it needs must accept them, where `a or b` needs either side and
/// `a unless b` only `a` (the other operators combine both sides).
pub fn selects(expr: &Expr, selects: &dyn Fn(&VectorSelector) -> bool) -> bool {
    match expr {
        Expr::VectorSelector(s) => selects(s),
        Expr::MatrixSelector(m) => selects(&m.vs),
        Expr::Binary(b) => match b.op.to_string().as_str() {
            "or" => self::selects(&b.lhs, selects) || self::selects(&b.rhs, selects),
            "unless" => self::selects(&b.lhs, selects),
            _ => self::selects(&b.lhs, selects) && self::selects(&b.rhs, selects),
        },
        other => children(other)
            .into_iter()
            .all(|c| self::selects(c, selects)),
    }
}

/// One rule of a PrometheusRule, where it is and what golive read of it.
pub struct Rule<'a> {
    pub object: &'a Object,
    /// `spec.groups[0].rules[1]`.
    pub path: String,
    /// The alert name; `None` for a recording rule.
    pub alert: Option<String>,
    /// The expression as written.
    pub source: String,
    /// The parsed expression, or why it does not parse.
    pub expr: Result<Expr, String>,
    /// `for:`, as written, and parsed (absent: `None`).
    pub for_duration: Option<(String, Result<Duration, String>)>,
    pub has_severity: bool,
    /// A `runbook_url` or `description` annotation.
    pub has_runbook: bool,
    /// The kinds of alert it is (none for a recording rule).
    pub kinds: Vec<AlertKind>,
}

impl Rule<'_> {
    /// What an alerting rule lacks to be acted on: a non-zero `for:`, a
    /// severity label, a runbook_url or description annotation.
    pub fn lacks(&self) -> Vec<&'static str> {
        let waits = matches!(&self.for_duration, Some((_, Ok(d))) if !d.is_zero());
        [
            (!waits).then_some("a non-zero for: duration"),
            (!self.has_severity).then_some("a severity label"),
            (!self.has_runbook).then_some("a runbook_url or description annotation"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// `alert APIDown (PrometheusRule production/factory-alerts)`.
    pub fn describe(&self) -> String {
        format!(
            "alert {} ({})",
            self.alert.as_deref().unwrap_or("(recording rule)"),
            self.object.reference()
        )
    }
}

/// The rules of every PrometheusRule (monitoring.coreos.com) of `objects`,
/// each expression parsed once.
pub fn rules<'a>(objects: impl Iterator<Item = &'a Object>) -> Vec<Rule<'a>> {
    objects
        .filter(|o| o.api_group() == "monitoring.coreos.com")
        .flat_map(|object| rules_of(object, &object.json()))
        .collect()
}

/// Expressions parsed so far in this process, by their text: both
/// observability checks read the same rules, and parsing (which compiles
/// every regex matcher) is the costly part of reading them. Bounded by the
/// input: it holds at most every expression of the target once.
static PARSED: LazyLock<Mutex<HashMap<String, Result<Expr, String>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// `source` parsed as PromQL, once per distinct text.
fn parse(source: &str) -> Result<Expr, String> {
    let cache = || {
        PARSED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if let Some(parsed) = cache().get(source) {
        return parsed.clone();
    }
    let parsed = parser::parse(source);
    cache().insert(source.to_string(), parsed.clone());
    parsed
}

fn rules_of<'a>(object: &'a Object, json: &Value) -> Vec<Rule<'a>> {
    let text = |value: Option<&Value>| match value {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let non_empty = |value: Option<&Value>| text(value).is_some_and(|s| !s.trim().is_empty());
    let mut rules = Vec::new();
    let groups = json.pointer("/spec/groups").and_then(Value::as_array);
    for (g, group) in groups.into_iter().flatten().enumerate() {
        let group_rules = group.get("rules").and_then(Value::as_array);
        for (r, rule) in group_rules.into_iter().flatten().enumerate() {
            let source = text(rule.get("expr")).unwrap_or_default();
            let expr = parse(&source);
            let alert = text(rule.get("alert"));
            let kinds = match (&alert, &expr) {
                (Some(_), Ok(expr)) => AlertKind::ALL
                    .into_iter()
                    .filter(|k| k.is_kind_of(expr))
                    .collect(),
                _ => Vec::new(),
            };
            rules.push(Rule {
                object,
                path: format!("spec.groups[{g}].rules[{r}]"),
                for_duration: text(rule.get("for")).map(|written| {
                    let parsed = promql_parser::util::parse_duration(&written);
                    (written, parsed)
                }),
                has_severity: non_empty(rule.pointer("/labels/severity")),
                has_runbook: non_empty(rule.pointer("/annotations/runbook_url"))
                    || non_empty(rule.pointer("/annotations/description")),
                alert,
                source,
                expr,
                kinds,
            });
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<AlertKind> {
        let expr = parser::parse(source).unwrap();
        AlertKind::ALL
            .into_iter()
            .filter(|k| k.is_kind_of(&expr))
            .collect()
    }

    #[test]
    fn seed_alert_expressions_are_of_their_kind() {
        use AlertKind::*;
        assert_eq!(kinds(r#"up{job="factory-api"} == 0"#), [ServiceDown]);
        assert_eq!(kinds(r#"absent(up{job="api"})"#), [ServiceDown]);
        assert_eq!(
            kinds(
                r#"sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.01"#
            ),
            [ErrorRate]
        );
        assert_eq!(
            kinds(
                "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le)) > 0.2"
            ),
            [Latency]
        );
        assert_eq!(
            kinds("increase(kube_pod_container_status_restarts_total[15m]) > 3"),
            [CrashLooping]
        );
        assert_eq!(
            kinds(r#"kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} == 1"#),
            [CrashLooping]
        );
        assert_eq!(kinds("pg_replication_lag_seconds > 30"), [ReplicationLag]);
        assert_eq!(
            kinds("mysql_slave_status_seconds_behind_master > 30"),
            [ReplicationLag]
        );
        assert_eq!(
            kinds(
                "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.1"
            ),
            [Disk]
        );
    }

    #[test]
    fn look_alikes_are_of_no_kind() {
        assert!(kinds("up == 1").is_empty());
        assert!(kinds(r#"rate(http_requests_total{status=~"4.."}[5m]) > 1"#).is_empty());
        assert!(kinds(r#"rate(http_requests_total{status=~"5.."}[5m]) > 1"#).is_empty());
        assert!(kinds(r#"sum(rate(http_requests_total{status!~"5.."}[5m])) / sum(rate(http_requests_total[5m])) < 0.99"#).is_empty());
        assert!(kinds("startup_time_seconds == 0").is_empty());
        assert!(kinds("http_request_duration_seconds_sum > 1").is_empty());
        assert!(
            kinds(r#"kube_pod_container_status_waiting_reason{reason="ErrImagePull"} == 1"#)
                .is_empty()
        );
    }

    #[test]
    fn or_needs_one_side_and_unless_its_left_side() {
        let expr = parser::parse(r#"up{job="a"} == 0 or up{job="b"} == 0"#).unwrap();
        let job_b = |s: &VectorSelector| {
            s.matchers
                .find_matchers("job")
                .iter()
                .all(|m| m.is_match("b"))
        };
        assert!(selects(&expr, &job_b));
        let expr = parser::parse(r#"up{job="a"} == 0 and up{job="b"} == 0"#).unwrap();
        assert!(!selects(&expr, &job_b));
        let expr = parser::parse(r#"up{job="b"} == 0 unless up{job="a"}"#).unwrap();
        assert!(selects(&expr, &job_b));
    }
}
