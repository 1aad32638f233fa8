//! The recovery clock's probes of a stack endpoint: GET on an HTTP(S)
//! endpoint's instances in turn, and writes to a PostgreSQL or Redis
//! endpoint on whichever instance is its primary (found as its clients
//! find it), read back after the failover.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::{ATTEMPT_TIMEOUT, Attempt, no_answer};
use crate::probe::http::{self, HttpOptions};
use crate::stack::RunningStack;
use crate::stack::file::{EndpointSpec, Scheme};
use crate::stack::lifecycle::EndpointAddress;

/// The TCP connection to one instance (to find the primary) may take
/// this long; with the question of its role, up to [`ATTEMPT_TIMEOUT`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a Redis write waits for a replica's acknowledgement.
const WAIT_MS: u64 = 500;

/// A probe of one endpoint of the stack.
pub(super) struct StackProbe {
    stack: Arc<RunningStack>,
    endpoint: EndpointSpec,
    kind: Kind,
    /// Distinguishes this clock's writes from any other's.
    tag: String,
    writes: u64,
}

enum Kind {
    Http { path: String, next: usize },
    Postgres(Option<(tokio_postgres::Client, String)>),
    Redis(Option<(redis::aio::MultiplexedConnection, String)>),
}

impl StackProbe {
    /// GET `path` on every instance of an HTTP(S) endpoint in turn.
    pub(super) fn http(
        stack: Arc<RunningStack>,
        endpoint: &EndpointSpec,
        path: &str,
    ) -> StackProbe {
        StackProbe::new(
            stack,
            endpoint,
            Kind::Http {
                path: path.to_string(),
                next: 0,
            },
        )
    }

    /// Writes to a PostgreSQL or Redis endpoint, on its primary.
    pub(super) fn writes(
        stack: Arc<RunningStack>,
        endpoint: &EndpointSpec,
    ) -> Result<StackProbe, String> {
        let kind = match endpoint.scheme {
            Scheme::Postgresql => Kind::Postgres(None),
            Scheme::Redis => Kind::Redis(None),
            other => {
                return Err(format!(
                    "the endpoint {} is {}: writes are watched on postgresql or redis endpoints",
                    endpoint.name,
                    other.as_str()
                ));
            }
        };
        Ok(StackProbe::new(stack, endpoint, kind))
    }

    fn new(stack: Arc<RunningStack>, endpoint: &EndpointSpec, kind: Kind) -> StackProbe {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        StackProbe {
            tag: format!("{}-{nanos:x}", stack.run_id),
            stack,
            endpoint: endpoint.clone(),
            kind,
            writes: 0,
        }
    }

    pub(super) fn describe(&self) -> String {
        let name = &self.endpoint.name;
        match &self.kind {
            Kind::Http { path, .. } => format!("GET {path} on {name}"),
            Kind::Postgres(_) => format!("INSERT committed on the primary of {name}"),
            Kind::Redis(_) => format!("SET on the master of {name}, acknowledged by WAIT 1"),
        }
    }

    pub(super) async fn attempt(&mut self) -> Attempt {
        if self.stack.is_being_restored(&self.endpoint.name) {
            // As an operator closes a store to its clients while it is
            // restored: a write now would be dropped by the restore.
            return Attempt::failed(None, "closed while it is restored from the backup");
        }
        let addresses = self.stack.addresses(&self.endpoint);
        match &mut self.kind {
            Kind::Http { path, next } => {
                if addresses.is_empty() {
                    return Attempt::failed(None, "no running instance");
                }
                let address = &addresses[*next % addresses.len()];
                *next += 1;
                let mut attempt = http_attempt(&self.endpoint, address, path).await;
                attempt.error = attempt.error.map(|e| self.stack.redact(e));
                attempt
            }
            Kind::Postgres(session) => {
                self.writes += 1;
                postgres_attempt(session, &self.endpoint, &addresses, &self.tag, self.writes).await
            }
            Kind::Redis(session) => {
                self.writes += 1;
                redis_attempt(session, &self.endpoint, &addresses, &self.tag, self.writes).await
            }
        }
    }

    pub(super) async fn read_back(&mut self, numbers: &[u64]) -> Result<HashSet<u64>, String> {
        let addresses = self.stack.addresses(&self.endpoint);
        match &mut self.kind {
            Kind::Http { .. } => Ok(HashSet::new()),
            Kind::Postgres(session) => {
                let (client, _) = postgres_primary(session, &self.endpoint, &addresses).await?;
                let rows = tokio::time::timeout(
                    ATTEMPT_TIMEOUT * 5,
                    client.query("SELECT n FROM golive_failover WHERE tag = $1", &[&self.tag]),
                )
                .await
                .map_err(|_| "reading the writes back timed out".to_string())?
                .map_err(|e| format!("reading the writes back: {e}"))?;
                let present: HashSet<u64> = rows
                    .iter()
                    .filter_map(|row| row.try_get::<_, i64>(0).ok())
                    .filter_map(|n| u64::try_from(n).ok())
                    .collect();
                Ok(numbers
                    .iter()
                    .copied()
                    .filter(|n| present.contains(n))
                    .collect())
            }
            Kind::Redis(session) => {
                let (connection, _) = redis_master(session, &self.endpoint, &addresses).await?;
                let mut present = HashSet::new();
                for chunk in numbers.chunks(500) {
                    let keys: Vec<String> =
                        chunk.iter().map(|n| redis_key(&self.tag, *n)).collect();
                    let values: Vec<Option<String>> = tokio::time::timeout(
                        ATTEMPT_TIMEOUT * 5,
                        redis::cmd("MGET").arg(&keys).query_async(connection),
                    )
                    .await
                    .map_err(|_| "reading the writes back timed out".to_string())?
                    .map_err(|e| format!("reading the writes back: {e}"))?;
                    present.extend(
                        chunk
                            .iter()
                            .zip(values)
                            .filter(|(_, value)| value.is_some())
                            .map(|(n, _)| *n),
                    );
                }
                Ok(present)
            }
        }
    }
}

/// The role a data store's primary answers with: `primary`
/// (PostgreSQL, not in recovery), `master` (Redis `ROLE`).
fn primary_role(scheme: Scheme) -> Option<&'static str> {
    match scheme {
        Scheme::Postgresql => Some("primary"),
        Scheme::Redis => Some("master"),
        _ => None,
    }
}

/// What each instance of a data store endpoint says it is, or why it did
/// not answer.
async fn roles(
    endpoint: &EndpointSpec,
    addresses: &[EndpointAddress],
) -> Vec<(String, Result<String, String>)> {
    let mut roles = Vec::new();
    for address in addresses {
        let role = match endpoint.scheme {
            Scheme::Postgresql => postgres_connect(endpoint, address).await.map(|(_, r)| r),
            _ => redis_connect(endpoint, address).await.map(|(_, r)| r),
        };
        roles.push((address.instance.clone(), role));
    }
    roles
}

/// Every instance of data store `endpoint` that answers as its primary
/// now, and what each instance answered.
async fn primaries(
    stack: &RunningStack,
    endpoint: &EndpointSpec,
) -> Result<(Vec<String>, String), String> {
    let primary = primary_role(endpoint.scheme).ok_or_else(|| {
        format!(
            "the endpoint {} is {}: only postgresql and redis endpoints have a primary",
            endpoint.name,
            endpoint.scheme.as_str()
        )
    })?;
    let roles = roles(endpoint, &stack.addresses(endpoint)).await;
    let seen = roles
        .iter()
        .map(|(instance, role)| match role {
            Ok(role) | Err(role) => format!("{instance}: {role}"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let found = roles
        .into_iter()
        .filter(|(_, role)| role.as_deref() == Ok(primary))
        .map(|(instance, _)| instance)
        .collect();
    Ok((found, seen))
}

/// The instance that is the primary (PostgreSQL) or master (Redis) of a
/// data store endpoint now: what a disruption of "the primary" targets.
pub async fn primary_of(stack: &RunningStack, endpoint: &EndpointSpec) -> Result<String, String> {
    let (found, seen) = primaries(stack, endpoint).await?;
    found
        .into_iter()
        .next()
        .ok_or_else(|| format!("no primary ({seen})"))
}

/// Waits, up to `limit`, until each data store endpoint served by
/// `instance` has exactly one primary again. A killed master that comes
/// back answers as a second, empty master until Sentinel demotes it; the
/// next scenario must not start (nor write) before.
pub async fn await_one_primary(
    stack: &RunningStack,
    instance: &str,
    limit: Duration,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + limit;
    let endpoints = stack.file.endpoints.values().filter(|e| {
        primary_role(e.scheme).is_some()
            && stack.addresses(e).iter().any(|a| a.instance == instance)
    });
    for endpoint in endpoints {
        loop {
            let (found, seen) = primaries(stack, endpoint).await?;
            if found.len() == 1 {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "{} primaries of {} after {} s ({seen})",
                    found.len(),
                    endpoint.name,
                    limit.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

async fn http_attempt(endpoint: &EndpointSpec, address: &EndpointAddress, path: &str) -> Attempt {
    let url = endpoint.url(path);
    let options = HttpOptions {
        read_body: true,
        max_body_bytes: ERROR_BODY_BYTES,
        ..address.http_options(ATTEMPT_TIMEOUT)
    };
    let served_by = Some(address.instance.clone());
    match http::get(&url, &options).await {
        Ok(answer) if (200..400).contains(&answer.status) => Attempt {
            ok: true,
            served_by,
            error: None,
            acknowledged: None,
        },
        Ok(answer) => {
            let why = answer
                .body_bytes
                .as_deref()
                .and_then(error_of_body)
                .map(|error| format!(": {error}"))
                .unwrap_or_default();
            Attempt::failed(served_by, format!("status {}{why}", answer.status))
        }
        Err(e) => Attempt::failed(served_by, e.to_string()),
    }
}

/// The most of an answer's body read to say why it failed.
const ERROR_BODY_BYTES: usize = 4096;

/// The `error` a JSON body gives (`{"error": "postgres unavailable: ..."}`),
/// which says why a service failed better than its status alone.
fn error_of_body(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = json.get("error")?.as_str()?;
    Some(error.chars().take(200).collect())
}

/// Connects to each instance in turn until one answers with the role
/// `primary` (the connection and its instance); otherwise what each one
/// answered or why it did not.
async fn find_primary<C, Connect, Connecting>(
    addresses: &[EndpointAddress],
    primary: &str,
    connect: Connect,
) -> Result<(C, String), String>
where
    Connect: Fn(EndpointAddress) -> Connecting,
    Connecting: Future<Output = Result<(C, String), String>>,
{
    let mut seen = Vec::new();
    for address in addresses {
        match connect(address.clone()).await {
            Ok((connection, role)) if role == primary => {
                return Ok((connection, address.instance.clone()));
            }
            Ok((_, role)) => seen.push(format!("{}: {role}", address.instance)),
            Err(e) => seen.push(format!("{}: {e}", address.instance)),
        }
    }
    Err(seen.join("; "))
}

// ---------------------------------------------------------------------------
// PostgreSQL.

/// The probe's table, created once even when two connections to a new
/// primary create it at the same time (a plain `IF NOT EXISTS` races).
const CREATE_TABLE: &str = "BEGIN;
SELECT pg_advisory_xact_lock(4243);
CREATE TABLE IF NOT EXISTS golive_failover (tag TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (tag, n));
COMMIT;";

async fn postgres_attempt(
    session: &mut Option<(tokio_postgres::Client, String)>,
    endpoint: &EndpointSpec,
    addresses: &[EndpointAddress],
    tag: &str,
    number: u64,
) -> Attempt {
    let (client, instance) = match postgres_primary(session, endpoint, addresses).await {
        Ok(found) => found,
        Err(e) => return Attempt::failed(None, e),
    };
    let served_by = Some(instance.clone());
    let n = i64::try_from(number).unwrap_or(i64::MAX);
    let parameters: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&tag, &n];
    let insert = client.execute(
        "INSERT INTO golive_failover (tag, n) VALUES ($1, $2)",
        &parameters,
    );
    let outcome = match tokio::time::timeout(ATTEMPT_TIMEOUT, insert).await {
        Ok(Ok(_)) => Attempt {
            ok: true,
            served_by,
            error: None,
            acknowledged: Some(number),
        },
        Ok(Err(e)) => Attempt::failed(served_by, postgres_error(&e)),
        Err(_) => Attempt::failed(served_by, no_answer("commit")),
    };
    if !outcome.ok {
        // The connection may be dead or stuck on the unanswered commit.
        *session = None;
    }
    outcome
}

/// The connected primary, connecting to the instance that is not in
/// recovery when there is no connection yet.
async fn postgres_primary<'a>(
    session: &'a mut Option<(tokio_postgres::Client, String)>,
    endpoint: &EndpointSpec,
    addresses: &[EndpointAddress],
) -> Result<(&'a tokio_postgres::Client, &'a String), String> {
    if session
        .as_ref()
        .is_some_and(|(client, _)| client.is_closed())
    {
        *session = None;
    }
    if session.is_none() {
        let (client, instance) = find_primary(addresses, "primary", |a| async move {
            postgres_connect(endpoint, &a).await
        })
        .await
        .map_err(|seen| format!("no primary ({seen})"))?;
        // The probe writes here: its table, on the primary of now.
        tokio::time::timeout(ATTEMPT_TIMEOUT, client.batch_execute(CREATE_TABLE))
            .await
            .map_err(|_| no_answer("table"))?
            .map_err(|e| postgres_error(&e))?;
        *session = Some((client, instance));
    }
    let (client, instance) = session.as_ref().ok_or("no primary")?;
    Ok((client, instance))
}

/// Connects to one instance: the client and its role (`primary`, or
/// `standby` when in recovery).
async fn postgres_connect(
    endpoint: &EndpointSpec,
    address: &EndpointAddress,
) -> Result<(tokio_postgres::Client, String), String> {
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(address.port)
        .user(endpoint.user.as_deref().unwrap_or("postgres"))
        .dbname(endpoint.database.as_deref().unwrap_or("postgres"))
        .connect_timeout(CONNECT_TIMEOUT)
        .application_name("golive-failover");
    if let Some(password) = &endpoint.password {
        config.password(password);
    }
    let work = async {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| postgres_error(&e))?;
        tokio::spawn(connection);
        let row = client
            .query_one("SELECT pg_is_in_recovery()", &[])
            .await
            .map_err(|e| postgres_error(&e))?;
        let standby: bool = row.try_get(0).map_err(|e| e.to_string())?;
        let role = if standby { "standby" } else { "primary" };
        Ok((client, role.to_string()))
    };
    tokio::time::timeout(ATTEMPT_TIMEOUT, work)
        .await
        .map_err(|_| no_answer("answer"))?
}

/// The server's message when there is one (tokio-postgres says only "db
/// error" otherwise).
fn postgres_error(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => db.message().to_string(),
        None => error.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Redis.

fn redis_key(tag: &str, number: u64) -> String {
    format!("golive:failover:{tag}:{number}")
}

async fn redis_attempt(
    session: &mut Option<(redis::aio::MultiplexedConnection, String)>,
    endpoint: &EndpointSpec,
    addresses: &[EndpointAddress],
    tag: &str,
    number: u64,
) -> Attempt {
    let (connection, instance) = match redis_master(session, endpoint, addresses).await {
        Ok(found) => found,
        Err(e) => return Attempt::failed(None, e),
    };
    let served_by = Some(instance.clone());
    let write = async {
        redis::cmd("SET")
            .arg(redis_key(tag, number))
            .arg(number)
            .query_async::<()>(connection)
            .await?;
        redis::cmd("WAIT")
            .arg(1)
            .arg(WAIT_MS)
            .query_async::<i64>(connection)
            .await
    };
    let outcome = match tokio::time::timeout(ATTEMPT_TIMEOUT, write).await {
        Ok(Ok(replicas)) => Attempt {
            ok: true,
            served_by,
            error: None,
            acknowledged: (replicas >= 1).then_some(number),
        },
        Ok(Err(e)) => Attempt::failed(served_by, e.to_string()),
        Err(_) => Attempt::failed(served_by, no_answer("answer")),
    };
    if !outcome.ok {
        *session = None;
    }
    outcome
}

/// The connected master, found by `ROLE` when there is no connection yet
/// (a connection to an instance that is no longer master fails its SET:
/// READONLY, and is dropped).
async fn redis_master<'a>(
    session: &'a mut Option<(redis::aio::MultiplexedConnection, String)>,
    endpoint: &EndpointSpec,
    addresses: &[EndpointAddress],
) -> Result<(&'a mut redis::aio::MultiplexedConnection, &'a String), String> {
    if session.is_none() {
        let found = find_primary(addresses, "master", |a| async move {
            redis_connect(endpoint, &a).await
        })
        .await;
        *session = Some(found.map_err(|seen| format!("no master ({seen})"))?);
    }
    let (connection, instance) = session.as_mut().ok_or("no master")?;
    Ok((connection, instance))
}

/// Connects to one instance: the connection and its role (`master`,
/// `slave`, `sentinel`).
async fn redis_connect(
    endpoint: &EndpointSpec,
    address: &EndpointAddress,
) -> Result<(redis::aio::MultiplexedConnection, String), String> {
    let mut settings = redis::RedisConnectionInfo::default();
    if let Some(user) = &endpoint.user {
        settings = settings.set_username(user);
    }
    if let Some(password) = &endpoint.password {
        settings = settings.set_password(password);
    }
    let work = async {
        let info = redis::IntoConnectionInfo::into_connection_info(redis::ConnectionAddr::Tcp(
            "127.0.0.1".into(),
            address.port,
        ))
        .map_err(|e| e.to_string())?
        .set_redis_settings(settings);
        let client = redis::Client::open(info).map_err(|e| e.to_string())?;
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| e.to_string())?;
        // The client's own default (500 ms) would cut WAIT off.
        connection.set_response_timeout(ATTEMPT_TIMEOUT);
        let role: redis::Value = redis::cmd("ROLE")
            .query_async(&mut connection)
            .await
            .map_err(|e| e.to_string())?;
        let role = match role {
            redis::Value::Array(items) => match items.first() {
                Some(redis::Value::BulkString(bytes)) => {
                    String::from_utf8_lossy(bytes).into_owned()
                }
                Some(redis::Value::SimpleString(text)) => text.clone(),
                _ => String::from("unknown"),
            },
            _ => String::from("unknown"),
        };
        Ok((connection, role))
    };
    tokio::time::timeout(ATTEMPT_TIMEOUT, work)
        .await
        .map_err(|_| no_answer("answer"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_error_says_why_an_answer_failed_and_other_bodies_do_not() {
        assert_eq!(
            error_of_body(br#"{"error": "postgres unavailable: permission denied for table items", "dependency": "postgres"}"#)
                .as_deref(),
            Some("postgres unavailable: permission denied for table items")
        );
        assert_eq!(
            error_of_body(b"<html><title>502 Bad Gateway</title></html>"),
            None
        );
        assert_eq!(error_of_body(br#"{"status": "not ready"}"#), None);
        assert_eq!(error_of_body(b""), None);
    }
}
