//! The HTTP routes.
//!
//! - `GET /api/v1/health`: liveness, 200 while the process serves.
//! - `GET /api/v1/ready`: 200 when PostgreSQL and Redis both answer within
//!   1 s, else 503 naming the failing dependencies.
//! - `/api/v1/items` (GET list, newest first, `?limit=N` 1-1000, default
//!   100; POST create) and `/api/v1/items/{id}` (GET
//!   through the Redis cache with `x-cache: hit|miss`, PUT, DELETE), with
//!   latency and error injection ([`crate::inject`]).
//! - `GET /api/v1/version`: `{"version": APP_VERSION}`, the release this
//!   replica serves.
//! - `GET /metrics`: Prometheus text ([`crate::metrics`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::cache::Cache;
use crate::inject::{Injector, Overrides};
use crate::metrics::Metrics;
use crate::store::{Item, ItemInput, Store};

/// How long each dependency has to answer the readiness check.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// What every handler shares.
pub struct AppState {
    pub store: Store,
    pub cache: Cache,
    pub injector: Injector,
    pub metrics: Metrics,
    pub ready_ignores_dependencies: bool,
    pub version: String,
}

type Shared = State<Arc<AppState>>;

/// The service's routes, every one measured.
pub fn router(state: Arc<AppState>) -> Router {
    let items = Router::new()
        .route("/api/v1/items", get(list).post(create))
        .route("/api/v1/items/{id}", get(read).put(update).delete(remove))
        .route_layer(middleware::from_fn_with_state(state.clone(), inject));
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/ready", get(ready))
        .route("/api/v1/version", get(version))
        .route("/metrics", get(metrics))
        .merge(items)
        .layer(middleware::from_fn_with_state(state.clone(), measure))
        .with_state(state)
}

/// An answer other than success.
enum Failure {
    /// A dependency did not answer (503).
    Unavailable(&'static str, String),
    /// No item with that id (404).
    NotFound(i64),
    /// An injected status.
    Injected(StatusCode),
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Failure::Unavailable(dependency, error) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "error": format!("{dependency} unavailable: {error}"), "dependency": dependency }),
            ),
            Failure::NotFound(id) => (
                StatusCode::NOT_FOUND,
                json!({ "error": format!("no item {id}") }),
            ),
            Failure::Injected(status) => (
                status,
                json!({ "error": "injected", "status": status.as_u16() }),
            ),
        };
        (status, Json(body)).into_response()
    }
}

/// Turns a PostgreSQL error into a 503.
fn postgres(error: String) -> Failure {
    Failure::Unavailable("postgres", error)
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn version(State(state): Shared) -> Json<Value> {
    Json(json!({ "version": state.version }))
}

async fn ready(State(state): Shared) -> (StatusCode, Json<Value>) {
    if state.ready_ignores_dependencies {
        state.metrics.set_ready(true);
        return (StatusCode::OK, Json(json!({ "status": "ready" })));
    }
    let (postgres, redis) = tokio::join!(
        state.store.ping(READY_TIMEOUT),
        state.cache.ping(READY_TIMEOUT)
    );
    let checks = [("postgres", postgres), ("redis", redis)];
    let failing: Vec<&str> = checks
        .iter()
        .filter(|(_, result)| result.is_err())
        .map(|(name, _)| *name)
        .collect();
    let mut body = json!({
        "status": if failing.is_empty() { "ready" } else { "not ready" },
        "failing": failing,
    });
    for (name, result) in &checks {
        body[*name] = json!(result.as_ref().err().map_or("ok", String::as_str));
    }
    state.metrics.set_ready(failing.is_empty());
    if !failing.is_empty() {
        tracing::warn!("not ready: {body}");
    }
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

async fn metrics(State(state): Shared) -> impl IntoResponse {
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    (
        [(header::CONTENT_TYPE, content_type)],
        state.metrics.render(),
    )
}

/// The query of a list: how many items, at most.
#[derive(Debug, serde::Deserialize)]
struct ListQuery {
    limit: Option<i64>,
}

async fn list(
    State(state): Shared,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Item>>, Failure> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(state.store.list(limit).await.map_err(postgres)?))
}

async fn create(
    State(state): Shared,
    Json(input): Json<ItemInput>,
) -> Result<(StatusCode, Json<Item>), Failure> {
    let item = state.store.create(&input).await.map_err(postgres)?;
    state.metrics.item_created();
    Ok((StatusCode::CREATED, Json(item)))
}

/// Cache-aside read: Redis first, PostgreSQL on a miss (then cached). A
/// failing cache counts as a miss: the item is still served.
async fn read(State(state): Shared, Path(id): Path<i64>) -> Result<Response, Failure> {
    let cached = state.cache.get(id).await.unwrap_or_else(|error| {
        tracing::warn!("cache read of item {id} failed: {error}");
        None
    });
    state.metrics.cache_lookup(cached.is_some());
    let (json, cache) = match cached {
        Some(json) => (json, "hit"),
        None => {
            let item = state.store.get(id).await.map_err(postgres)?;
            let json = serde_json::to_string(&item.ok_or(Failure::NotFound(id))?)
                .expect("an item serializes");
            if let Err(error) = state.cache.put(id, &json).await {
                tracing::warn!("caching item {id} failed: {error}");
            }
            (json, "miss")
        }
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (
            HeaderName::from_static("x-cache"),
            HeaderValue::from_static(cache),
        ),
    ];
    Ok((headers, json).into_response())
}

async fn update(
    State(state): Shared,
    Path(id): Path<i64>,
    Json(input): Json<ItemInput>,
) -> Result<Json<Item>, Failure> {
    let item = state.store.update(id, &input).await.map_err(postgres)?;
    forget(&state, id).await;
    Ok(Json(item.ok_or(Failure::NotFound(id))?))
}

async fn remove(State(state): Shared, Path(id): Path<i64>) -> Result<StatusCode, Failure> {
    let deleted = state.store.delete(id).await.map_err(postgres)?;
    forget(&state, id).await;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Failure::NotFound(id))
    }
}

/// Drops a changed item from the cache; a failure leaves a copy that
/// expires with its TTL.
async fn forget(state: &AppState, id: i64) {
    if let Err(error) = state.cache.forget(id).await {
        tracing::warn!("dropping item {id} from the cache failed: {error}");
    }
}

/// Middleware on the items routes: waits the injected latency, then answers
/// the injected status instead of the handler, if any.
async fn inject(
    State(state): Shared,
    Query(overrides): Query<Overrides>,
    request: Request,
    next: Next,
) -> Response {
    let decision = state.injector.decide(overrides);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.status.map(StatusCode::from_u16) {
        None => next.run(request).await,
        Some(Ok(status)) => Failure::Injected(status).into_response(),
        Some(Err(_)) => {
            let error = json!({ "error": "status must be between 100 and 999" });
            (StatusCode::BAD_REQUEST, Json(error)).into_response()
        }
    }
}

/// Middleware on every route: counts and times the request.
async fn measure(State(state): Shared, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state
        .metrics
        .record_request(&method, &route, status, started.elapsed());
    response
}
