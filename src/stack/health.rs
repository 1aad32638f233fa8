//! Waiting for a started container to be healthy, by speaking its protocol
//! (an HTTP answer with the expected status, a command such as `pg_isready`
//! succeeding inside it) rather than trusting an open port: Docker's port
//! proxy accepts connections for a container that is not listening yet, and
//! a paused container still accepts TCP connections.

use std::time::{Duration, Instant};

use super::docker::Engine;
use super::file::{HealthProbe, Healthcheck};
use crate::probe::http::{self, CertificateCheck, HttpOptions};

/// Why a container never became healthy.
#[derive(Debug)]
pub enum Unhealthy {
    /// It stopped; with its exit code.
    Exited(i64),
    /// Still running but not healthy when the time ran out; with the last
    /// probe's answer.
    TimedOut(String),
    /// Docker could not be asked.
    Engine(String),
}

impl std::fmt::Display for Unhealthy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unhealthy::Exited(code) => write!(f, "exited with code {code}"),
            Unhealthy::TimedOut(last) => write!(f, "not healthy in time (last check: {last})"),
            Unhealthy::Engine(e) => write!(f, "{e}"),
        }
    }
}

/// Waits until `container` passes `check`, or fails as soon as it exits.
/// Without a health check, running is all that can be known.
pub async fn wait_healthy(
    engine: &Engine,
    container: &str,
    check: Option<&Healthcheck>,
) -> Result<Duration, Unhealthy> {
    let started = Instant::now();
    loop {
        let state = engine
            .inspect(container)
            .await
            .map_err(|e| Unhealthy::Engine(e.to_string()))?
            .state
            .unwrap_or_default();
        if state.running != Some(true) {
            return Err(Unhealthy::Exited(state.exit_code.unwrap_or(-1)));
        }
        let Some(check) = check else {
            return Ok(started.elapsed());
        };
        // A probe that hangs (a frozen server) is cut at the deadline.
        let remaining = check.timeout.saturating_sub(started.elapsed());
        let probe = tokio::time::timeout(
            remaining.max(Duration::from_secs(1)),
            probe_once(engine, container, &check.probe),
        );
        let answer = match probe.await {
            Ok(Ok(())) => return Ok(started.elapsed()),
            Ok(Err(answer)) => answer,
            Err(_) => "the check itself did not finish in time".to_string(),
        };
        if started.elapsed() >= check.timeout {
            return Err(Unhealthy::TimedOut(answer));
        }
        tokio::time::sleep(check.interval).await;
    }
}

/// One health probe: `Ok` when healthy, else what was seen.
async fn probe_once(engine: &Engine, container: &str, probe: &HealthProbe) -> Result<(), String> {
    match probe {
        HealthProbe::Http {
            port,
            path,
            status,
            https,
        } => {
            let host_port = engine.host_port(container, *port).await?;
            let scheme = if *https { "https" } else { "http" };
            let url = format!("{scheme}://127.0.0.1:{host_port}{path}");
            let options = HttpOptions {
                timeout: Duration::from_secs(2),
                certificates: CertificateCheck::Skip,
                ..HttpOptions::default()
            };
            let answer = http::get(&url, &options).await.map_err(|e| e.to_string())?;
            if answer.status == *status {
                Ok(())
            } else {
                Err(format!("GET {path} answered {}", answer.status))
            }
        }
        HealthProbe::Exec {
            command,
            expect_output,
        } => {
            let command: Vec<&str> = command.iter().map(String::as_str).collect();
            let output = engine
                .exec(container, None, &command)
                .await
                .map_err(|e| e.to_string())?;
            let printed = expect_output
                .as_ref()
                .is_none_or(|expected| output.stdout.contains(expected.as_str()));
            if output.exit_code == 0 && printed {
                Ok(())
            } else {
                Err(format!(
                    "{} exited {}: {}",
                    command.join(" "),
                    output.exit_code,
                    last_line(&output.stdout, &output.stderr)
                ))
            }
        }
    }
}

fn last_line(stdout: &str, stderr: &str) -> String {
    let text = if stderr.trim().is_empty() {
        stdout
    } else {
        stderr
    };
    text.lines().last().unwrap_or("").trim().to_string()
}
