//! Prometheus metrics, rendered in the text exposition format on `/metrics`.
//!
//! - `http_requests_total{method,route,status}` (counter)
//! - `http_request_duration_seconds{method,route}` (histogram)
//! - `items_total` (counter: items created by this instance)
//! - `cache_hits_total`, `cache_misses_total` (counters: item reads from Redis)
//! - `ready` (gauge: 1 when the last readiness check passed)
//!
//! `route` is the route template (`/api/v1/items/{id}`), never the raw path,
//! so the number of series stays bounded; unknown paths count as `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the duration histogram buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The metrics of the process.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    durations: BTreeMap<(String, String), Histogram>,
    items: u64,
    cache_hits: u64,
    cache_misses: u64,
    ready: bool,
}

/// Per-bucket counts (not cumulative), their sum and count.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Metrics {
    /// Records one answered request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, duration: Duration) {
        let mut inner = self.lock();
        *inner
            .requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let histogram = inner
            .durations
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        let seconds = duration.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
            histogram.buckets[bucket] += 1;
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// Counts one created item.
    pub fn item_created(&self) {
        self.lock().items += 1;
    }

    /// Counts one item read, served from the cache (`hit`) or not.
    pub fn cache_lookup(&self, hit: bool) {
        let mut inner = self.lock();
        if hit {
            inner.cache_hits += 1;
        } else {
            inner.cache_misses += 1;
        }
    }

    /// Records the outcome of the last readiness check.
    pub fn set_ready(&self, ready: bool) {
        self.lock().ready = ready;
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        header(
            &mut out,
            "http_requests_total",
            "counter",
            "HTTP requests answered.",
        );
        for ((method, route, status), count) in &inner.requests {
            let labels = format!(r#"method="{method}",route="{route}",status="{status}""#);
            let _ = writeln!(out, "http_requests_total{{{labels}}} {count}");
        }
        header(
            &mut out,
            "http_request_duration_seconds",
            "histogram",
            "Time to answer HTTP requests.",
        );
        for ((method, route), histogram) in &inner.durations {
            histogram.render(&mut out, &format!(r#"method="{method}",route="{route}""#));
        }
        let singles = [
            (
                "items_total",
                "counter",
                "Items created by this instance.",
                inner.items,
            ),
            (
                "cache_hits_total",
                "counter",
                "Item reads served from Redis.",
                inner.cache_hits,
            ),
            (
                "cache_misses_total",
                "counter",
                "Item reads not found in Redis.",
                inner.cache_misses,
            ),
            (
                "ready",
                "gauge",
                "1 when the last readiness check passed.",
                u64::from(inner.ready),
            ),
        ];
        for (name, kind, help, value) in singles {
            header(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain counters behind: keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Histogram {
    /// Writes the cumulative `_bucket` series, `_sum` and `_count`.
    fn render(&self, out: &mut String, labels: &str) {
        let name = "http_request_duration_seconds";
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(self.buckets) {
            cumulative += count;
            let _ = writeln!(
                out,
                r#"{name}_bucket{{{labels},le="{bound}"}} {cumulative}"#
            );
        }
        let _ = writeln!(out, r#"{name}_bucket{{{labels},le="+Inf"}} {}"#, self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// Writes the `# HELP` and `# TYPE` lines of a metric.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let metrics = Metrics::default();
        let ms = Duration::from_millis;
        metrics.record_request("GET", "/api/v1/items/{id}", 200, ms(250));
        metrics.record_request("GET", "/api/v1/items/{id}", 200, ms(500));
        metrics.record_request("GET", "/api/v1/items/{id}", 404, ms(20_000));
        metrics.item_created();
        metrics.cache_lookup(true);
        metrics.cache_lookup(false);
        metrics.cache_lookup(false);
        metrics.set_ready(true);
        let text = metrics.render();
        let labels = r#"method="GET",route="/api/v1/items/{id}""#;
        for line in [
            "# TYPE http_requests_total counter".to_owned(),
            format!(r#"http_requests_total{{{labels},status="200"}} 2"#),
            format!(r#"http_requests_total{{{labels},status="404"}} 1"#),
            "# TYPE http_request_duration_seconds histogram".to_owned(),
            format!(r#"http_request_duration_seconds_bucket{{{labels},le="0.1"}} 0"#),
            format!(r#"http_request_duration_seconds_bucket{{{labels},le="0.25"}} 1"#),
            format!(r#"http_request_duration_seconds_bucket{{{labels},le="0.5"}} 2"#),
            format!(r#"http_request_duration_seconds_bucket{{{labels},le="10"}} 2"#),
            format!(r#"http_request_duration_seconds_bucket{{{labels},le="+Inf"}} 3"#),
            format!(r#"http_request_duration_seconds_sum{{{labels}}} 20.75"#),
            format!(r#"http_request_duration_seconds_count{{{labels}}} 3"#),
            "items_total 1".to_owned(),
            "cache_hits_total 1".to_owned(),
            "cache_misses_total 2".to_owned(),
            "# TYPE ready gauge".to_owned(),
            "ready 1".to_owned(),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
    }

    #[test]
    fn every_metric_is_declared_before_any_request() {
        let text = Metrics::default().render();
        for name in [
            "http_requests_total",
            "http_request_duration_seconds",
            "items_total",
            "cache_hits_total",
            "cache_misses_total",
            "ready",
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} in:\n{text}"
            );
        }
        assert!(text.ends_with("ready 0\n"));
    }
}
