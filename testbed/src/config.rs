//! Configuration from the environment.
//!
//! Every setting has a default so the service starts with no environment at
//! all (it then reports not-ready until it is given its dependencies). An empty
//! variable counts as unset. A malformed value stops the service at start with
//! a message naming the variable: a test that sets `ERROR_PERCENT=50%` must
//! not silently run without error injection.

use std::net::SocketAddr;
use std::time::Duration;

/// The service's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `LISTEN`: the address to serve HTTP on (default `0.0.0.0:8080`).
    pub listen: SocketAddr,
    /// `DATABASE_URL`: `postgres://user:password@host:port/db`; unset = not ready.
    pub database_url: Option<String>,
    /// `REDIS_URL`: `redis://host:port`; unset = not ready.
    pub redis_url: Option<String>,
    /// Latency and error injection on `/api/v1/items*`.
    pub injection: InjectionConfig,
    /// `READY_IGNORES_DEPENDENCIES`: readiness answers 200 without checking
    /// PostgreSQL and Redis (a deliberately lying probe, for failing fixtures).
    pub ready_ignores_dependencies: bool,
    /// `APP_VERSION`: the version `/api/v1/version` reports (default `1`),
    /// so an upgrade drill can tell which release each replica serves.
    pub version: String,
}

/// What `/api/v1/items*` requests suffer on purpose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InjectionConfig {
    /// `LATENCY_MS`: added to every request that is not slow.
    pub latency: Duration,
    /// `LATENCY_SLOW_MS`: what slow requests wait instead of `latency`.
    pub slow_latency: Duration,
    /// `LATENCY_SLOW_PERCENT`: the share of requests that are slow (0-100).
    pub slow_percent: u8,
    /// `ERROR_PERCENT`: the share of requests answered 500 (0-100).
    pub error_percent: u8,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let listen = match get("LISTEN") {
            Some(value) => parse(&value, "LISTEN", "an address like 0.0.0.0:8080")?,
            None => SocketAddr::from(([0, 0, 0, 0], 8080)),
        };
        let millis = |name: &str| -> Result<Duration, String> {
            get(name).map_or(Ok(Duration::ZERO), |value| {
                parse(&value, name, "a number of milliseconds").map(Duration::from_millis)
            })
        };
        let percent = |name: &str| -> Result<u8, String> {
            let Some(value) = get(name) else { return Ok(0) };
            let expected = "a whole percentage from 0 to 100";
            let percent: u8 = parse(&value, name, expected)?;
            if percent > 100 {
                return Err(format!("{name}={value}: expected {expected}"));
            }
            Ok(percent)
        };
        Ok(Config {
            listen,
            database_url: get("DATABASE_URL"),
            redis_url: get("REDIS_URL"),
            injection: InjectionConfig {
                latency: millis("LATENCY_MS")?,
                slow_latency: millis("LATENCY_SLOW_MS")?,
                slow_percent: percent("LATENCY_SLOW_PERCENT")?,
                error_percent: percent("ERROR_PERCENT")?,
            },
            ready_ignores_dependencies: match get("READY_IGNORES_DEPENDENCIES") {
                Some(value) => parse_flag(&value, "READY_IGNORES_DEPENDENCIES")?,
                None => false,
            },
            version: get("APP_VERSION").unwrap_or_else(|| "1".into()),
        })
    }
}

/// Parses `value` of variable `name`, or says what was expected.
fn parse<T: std::str::FromStr>(value: &str, name: &str, expected: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{name}={value}: expected {expected}"))
}

/// `1`/`true`/`yes` or `0`/`false`/`no`, in any case.
fn parse_flag(value: &str, name: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(format!("{name}={value}: expected 1 or 0 (true or false)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_without_environment() {
        let config = config(&[]).unwrap();
        assert_eq!(config.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(config.database_url, None);
        assert_eq!(config.redis_url, None);
        assert_eq!(config.injection, InjectionConfig::default());
        assert!(!config.ready_ignores_dependencies);
        assert_eq!(config.version, "1");
    }

    #[test]
    fn reads_every_variable() {
        let config = config(&[
            ("LISTEN", "127.0.0.1:9000"),
            (
                "DATABASE_URL",
                "postgres://golive:golive@postgres:5432/golive",
            ),
            ("REDIS_URL", "redis://redis:6379"),
            ("LATENCY_MS", "20"),
            ("LATENCY_SLOW_MS", " 1500 "),
            ("LATENCY_SLOW_PERCENT", "5"),
            ("ERROR_PERCENT", "100"),
            ("READY_IGNORES_DEPENDENCIES", "TRUE"),
            ("APP_VERSION", "2"),
        ])
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.redis_url.as_deref(), Some("redis://redis:6379"));
        assert_eq!(
            config.injection,
            InjectionConfig {
                latency: Duration::from_millis(20),
                slow_latency: Duration::from_millis(1500),
                slow_percent: 5,
                error_percent: 100,
            }
        );
        assert!(config.ready_ignores_dependencies);
        assert_eq!(config.version, "2");
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let config = config(&[("DATABASE_URL", ""), ("LATENCY_MS", " "), ("LISTEN", "")]).unwrap();
        assert_eq!(config.database_url, None);
        assert_eq!(config.injection.latency, Duration::ZERO);
        assert_eq!(config.listen.port(), 8080);
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let cases = [
            (
                "ERROR_PERCENT",
                "50%",
                "ERROR_PERCENT=50%: expected a whole percentage",
            ),
            (
                "ERROR_PERCENT",
                "101",
                "ERROR_PERCENT=101: expected a whole percentage",
            ),
            (
                "LATENCY_SLOW_PERCENT",
                "-1",
                "LATENCY_SLOW_PERCENT=-1: expected",
            ),
            (
                "LATENCY_MS",
                "1.5",
                "LATENCY_MS=1.5: expected a number of milliseconds",
            ),
            ("LISTEN", "8080", "LISTEN=8080: expected an address"),
            (
                "READY_IGNORES_DEPENDENCIES",
                "maybe",
                "READY_IGNORES_DEPENDENCIES=maybe: expected 1 or 0",
            ),
        ];
        for (name, value, message) in cases {
            let error = config(&[(name, value)]).unwrap_err();
            assert!(error.starts_with(message), "{name}={value}: {error}");
        }
    }
}
