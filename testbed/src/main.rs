//! golive-testbed: the demo service golive's stack tests run in containers.
//!
//! A small items API on PostgreSQL with a Redis cache, with the endpoints a
//! go-live review looks at (liveness, readiness, Prometheus metrics) and knobs
//! to make it misbehave on purpose (latency, errors, a lying readiness probe).
//! Configuration comes from the environment ([`config`]). The service starts
//! without its dependencies, reconnects to them lazily, and stops gracefully
//! on SIGTERM or SIGINT (in-flight requests finish).

mod api;
mod cache;
mod config;
mod deadline;
mod inject;
mod metrics;
mod store;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use crate::api::AppState;
use crate::cache::Cache;
use crate::config::Config;
use crate::inject::Injector;
use crate::metrics::Metrics;
use crate::store::Store;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let config = Config::from_env()?;
    let state = Arc::new(AppState {
        store: Store::new(config.database_url.as_deref())?,
        cache: Cache::new(config.redis_url.as_deref())?,
        injector: Injector::new(config.injection),
        metrics: Metrics::default(),
        ready_ignores_dependencies: config.ready_ignores_dependencies,
        version: config.version,
    });
    // Connect (and create the schema) now rather than on the first request.
    let warm_up = state.clone();
    tokio::spawn(async move {
        if let Err(error) = warm_up.store.ping(Duration::from_secs(5)).await {
            tracing::warn!("PostgreSQL not reachable yet: {error}");
        }
    });
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", config.listen))?;
    tracing::info!("listening on {}", config.listen);
    axum::serve(listener, api::router(state))
        .with_graceful_shutdown(stop_requested())
        .await
        .map_err(|error| format!("server failed: {error}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on the first SIGTERM or SIGINT.
async fn stop_requested() {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot watch SIGTERM/SIGINT: stopping only when killed");
        return std::future::pending().await;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!("{name} received: finishing in-flight requests");
}
