//! Redis: a cache-aside copy of items, keyed `item:<id>`, kept 60 seconds.
//!
//! The connection manager connects on first use and reconnects after a lost
//! connection, so the service starts and keeps answering without Redis: a
//! failed cache call is reported to the caller, which falls back to
//! PostgreSQL.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::deadline::within;

/// How long a cached item lives.
const TTL_SECONDS: u64 = 60;
/// The longest a cache call may take; a slow cache is as good as none.
const CALL_TIMEOUT: Duration = Duration::from_millis(500);

/// The item cache.
pub struct Cache {
    connection: Option<ConnectionManager>,
}

impl Cache {
    /// A cache on `REDIS_URL` (none: every call fails saying so). Fails only
    /// on a malformed URL; nothing is contacted yet. Needs a Tokio runtime.
    pub fn new(url: Option<&str>) -> Result<Self, String> {
        let Some(url) = url else {
            return Ok(Cache { connection: None });
        };
        let describe = |error: redis::RedisError| format!("REDIS_URL: {error}");
        let client = redis::Client::open(url).map_err(describe)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1);
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(describe)?;
        Ok(Cache {
            connection: Some(connection),
        })
    }

    /// `PING` within `timeout`: the readiness check. The first call after an
    /// outage fails on the stale connection and starts reconnecting: a
    /// failed `PING` is tried once more, on the new connection.
    pub async fn ping(&self, timeout: Duration) -> Result<(), String> {
        let mut connection = self.connection()?;
        within(timeout, async move {
            let mut ping = async || -> Result<(), String> {
                let _: String = redis::cmd("PING")
                    .query_async(&mut connection)
                    .await
                    .map_err(|error| error.to_string())?;
                Ok(())
            };
            match ping().await {
                Ok(()) => Ok(()),
                Err(_) => ping().await,
            }
        })
        .await
    }

    /// The cached JSON of item `id`, if any.
    pub async fn get(&self, id: i64) -> Result<Option<String>, String> {
        let mut connection = self.connection()?;
        within(CALL_TIMEOUT, async move {
            connection
                .get(key(id))
                .await
                .map_err(|error| error.to_string())
        })
        .await
    }

    /// Caches the JSON of item `id`.
    pub async fn put(&self, id: i64, json: &str) -> Result<(), String> {
        let mut connection = self.connection()?;
        within(CALL_TIMEOUT, async move {
            connection
                .set_ex(key(id), json, TTL_SECONDS)
                .await
                .map_err(|error| error.to_string())
        })
        .await
    }

    /// Drops item `id` from the cache (after an update or a delete).
    pub async fn forget(&self, id: i64) -> Result<(), String> {
        let mut connection = self.connection()?;
        within(CALL_TIMEOUT, async move {
            connection
                .del(key(id))
                .await
                .map_err(|error| error.to_string())
        })
        .await
    }

    fn connection(&self) -> Result<ConnectionManager, String> {
        self.connection
            .clone()
            .ok_or_else(|| "REDIS_URL is not set".to_owned())
    }
}

fn key(id: i64) -> String {
    format!("item:{id}")
}
