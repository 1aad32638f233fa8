//! PostgreSQL: the `items` table behind one lazily (re)connected client.
//!
//! The service starts without its database. The first query connects (and
//! creates the schema if absent); a closed connection is replaced on the next
//! query. After a failed attempt, queries fail fast with the same error for
//! [`RETRY_AFTER`] instead of piling up connection attempts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls, Row};

use crate::deadline::within;

/// How long a failed connection attempt is remembered before trying again.
const RETRY_AFTER: Duration = Duration::from_millis(500);
/// The longest a connection attempt (with the schema creation) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest a query may take before the request gives up (503).
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates the table once, even when several replicas start together.
const SCHEMA: &str = "BEGIN;
SELECT pg_advisory_xact_lock(4242);
CREATE TABLE IF NOT EXISTS items (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    value JSONB NOT NULL DEFAULT 'null'
);
COMMIT;";

/// A stored item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: i64,
    pub name: String,
    pub value: Value,
}

/// The body of a create or update request.
#[derive(Clone, Debug, Deserialize)]
pub struct ItemInput {
    pub name: String,
    #[serde(default)]
    pub value: Value,
}

/// The items table and its connection.
pub struct Store {
    config: Option<tokio_postgres::Config>,
    connection: Mutex<Connection>,
}

enum Connection {
    Never,
    Up(Arc<Client>),
    Down { since: Instant, error: String },
}

impl Store {
    /// A store for `DATABASE_URL` (none: every query fails saying so).
    /// Fails only on a malformed URL; nothing is contacted yet.
    pub fn new(url: Option<&str>) -> Result<Self, String> {
        let config = url
            .map(|url| {
                url.parse()
                    .map_err(|error| format!("DATABASE_URL: {error}"))
            })
            .transpose()?;
        Ok(Store {
            config,
            connection: Mutex::new(Connection::Never),
        })
    }

    /// `SELECT 1` within `timeout`: the readiness check.
    pub async fn ping(&self, timeout: Duration) -> Result<(), String> {
        within(timeout, async {
            self.client()
                .await?
                .simple_query("SELECT 1")
                .await
                .map_err(describe)?;
            Ok(())
        })
        .await
    }

    /// The newest `limit` items, newest first.
    pub async fn list(&self, limit: i64) -> Result<Vec<Item>, String> {
        let sql = "SELECT id, name, value FROM items ORDER BY id DESC LIMIT $1";
        let rows = self.query(sql, &[&limit]).await?;
        Ok(rows.iter().map(item).collect())
    }

    /// Inserts an item and returns it with its id.
    pub async fn create(&self, input: &ItemInput) -> Result<Item, String> {
        let sql = "INSERT INTO items (name, value) VALUES ($1, $2) RETURNING id, name, value";
        let rows = self.query(sql, &[&input.name, &input.value]).await?;
        rows.first()
            .map(item)
            .ok_or_else(|| "INSERT returned no row".to_owned())
    }

    /// The item `id`, if it exists.
    pub async fn get(&self, id: i64) -> Result<Option<Item>, String> {
        let sql = "SELECT id, name, value FROM items WHERE id = $1";
        Ok(self.query(sql, &[&id]).await?.first().map(item))
    }

    /// Replaces the item `id`; `None` when it does not exist.
    pub async fn update(&self, id: i64, input: &ItemInput) -> Result<Option<Item>, String> {
        let sql = "UPDATE items SET name = $2, value = $3 WHERE id = $1 RETURNING id, name, value";
        let rows = self.query(sql, &[&id, &input.name, &input.value]).await?;
        Ok(rows.first().map(item))
    }

    /// Deletes the item `id`; false when it did not exist.
    pub async fn delete(&self, id: i64) -> Result<bool, String> {
        let rows = self
            .query("DELETE FROM items WHERE id = $1 RETURNING id", &[&id])
            .await?;
        Ok(!rows.is_empty())
    }

    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, String> {
        within(QUERY_TIMEOUT, async {
            self.client()
                .await?
                .query(sql, params)
                .await
                .map_err(describe)
        })
        .await
    }

    /// The connected client: the current one, or a new one if it is closed.
    async fn client(&self) -> Result<Arc<Client>, String> {
        let Some(config) = &self.config else {
            return Err("DATABASE_URL is not set".to_owned());
        };
        let mut connection = self.connection.lock().await;
        match &*connection {
            Connection::Up(client) if !client.is_closed() => return Ok(client.clone()),
            Connection::Down { since, error } if since.elapsed() < RETRY_AFTER => {
                return Err(error.clone());
            }
            _ => {}
        }
        let result = within(CONNECT_TIMEOUT, connect(config)).await;
        *connection = match &result {
            Ok(client) => Connection::Up(client.clone()),
            Err(error) => Connection::Down {
                since: Instant::now(),
                error: error.clone(),
            },
        };
        result
    }
}

/// Connects, runs the connection in the background, creates the schema.
async fn connect(config: &tokio_postgres::Config) -> Result<Arc<Client>, String> {
    let (client, connection) = config.connect(NoTls).await.map_err(describe)?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!("PostgreSQL connection lost: {}", describe(error));
        }
    });
    client.batch_execute(SCHEMA).await.map_err(describe)?;
    tracing::info!("connected to PostgreSQL");
    Ok(Arc::new(client))
}

/// The error with its cause (tokio-postgres keeps the useful part there).
fn describe(error: tokio_postgres::Error) -> String {
    match std::error::Error::source(&error) {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

fn item(row: &Row) -> Item {
    Item {
        id: row.get(0),
        name: row.get(1),
        value: row.get(2),
    }
}
