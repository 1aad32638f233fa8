//! Watches: a chunked stream of newline-delimited
//! `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}`.
//! From a `resourceVersion`, the events after it (replayed from the
//! store's history, then live); without one, or from "0", synthetic ADDED
//! events for what exists first. A `resourceVersion` older than the history
//! gets an ERROR event carrying a 410 `Expired` Status, as the real server
//! sends it (the HTTP answer itself is 200). Selectors apply as the real
//! server applies them: an object that starts matching is ADDED, one that
//! stops is DELETED. The stream ends cleanly at `timeoutSeconds` or the
//! double's maximum, with a BOOKMARK first if bookmarks were allowed.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::{Bytes, Frame};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::api::{
    Body, Representation, Shared, query_value, represent, selectors, streaming_response,
};
use super::resources::ResourceType;
use super::selectors::Selectors;
use super::status::{self, ApiError};
use super::store::{Event, EventType};

fn line(event_type: &str, object: &Value) -> Bytes {
    let mut text =
        serde_json::to_vec(&json!({"type": event_type, "object": object})).expect("serializes");
    text.push(b'\n');
    Bytes::from(text)
}

fn bookmark(resource: &ResourceType, revision: u64, initial_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": revision.to_string()});
    if initial_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(
        "BOOKMARK",
        &json!({"kind": resource.kind, "apiVersion": resource.api_version(), "metadata": metadata}),
    )
}

/// What one watcher sees of one stored event, if anything.
fn translate(
    event: &Event,
    resource: &ResourceType,
    namespace: &str,
    selectors: &Selectors,
    wanted: Representation,
) -> Option<Bytes> {
    if event.resource != resource.group_resource()
        || (!namespace.is_empty() && event.namespace != namespace)
    {
        return None;
    }
    let now = selectors.matches(&event.object);
    let before = event
        .previous
        .as_ref()
        .is_some_and(|p| selectors.matches(p));
    let event_type = match event.event_type {
        EventType::Added => now.then_some("ADDED"),
        EventType::Deleted => before.then_some("DELETED"),
        EventType::Modified => match (before, now) {
            (true, true) => Some("MODIFIED"),
            (false, true) => Some("ADDED"),
            (true, false) => Some("DELETED"),
            (false, false) => None,
        },
    }?;
    Some(line(event_type, &represent(&event.object, wanted)))
}

/// The first lines of a watch, and the revision it continues from.
enum Start {
    From(Vec<Bytes>, u64),
    Expired(ApiError),
}

/// Starts a watch: checks the parameters (a bad one is an HTTP error),
/// answers 200 and streams from a task.
pub fn start(
    shared: Arc<Shared>,
    resource: ResourceType,
    namespace: String,
    query: &[(String, String)],
    wanted: Representation,
) -> Result<Response<Body>, ApiError> {
    let selectors = selectors(&resource, query)?;
    let asked = query_value(query, "resourceVersion")
        .unwrap_or_default()
        .to_string();
    let from: Option<u64> = if asked.is_empty() || asked == "0" {
        None
    } else {
        Some(asked.parse().map_err(|_| {
            status::bad_request(format!(
                "resourceVersion: Invalid value: {asked:?}: must be a positive integer"
            ))
        })?)
    };
    let timeout = match query_value(query, "timeoutSeconds") {
        Some(t) => Some(Duration::from_secs(t.parse().map_err(|_| {
            status::bad_request(format!("timeoutSeconds: Invalid value: {t:?}"))
        })?)),
        None => None,
    };
    let bookmarks = query_value(query, "allowWatchBookmarks") == Some("true");
    let send_initial = query_value(query, "sendInitialEvents") == Some("true");

    let (mut changes, start, max_watch) = {
        let cluster = shared.cluster.lock().expect("cluster lock");
        let store = cluster.store();
        let changes = store.subscribe();
        let start = match from {
            Some(revision) if !send_initial => match store.events_after(revision) {
                Ok(events) => Start::From(
                    events
                        .into_iter()
                        .filter_map(|e| translate(e, &resource, &namespace, &selectors, wanted))
                        .collect(),
                    store.revision().max(revision),
                ),
                Err(error) => Start::Expired(error),
            },
            _ => {
                let mut lines: Vec<Bytes> = store
                    .list(&resource.group_resource(), &namespace)
                    .filter(|o| selectors.matches(o))
                    .map(|o| line("ADDED", &represent(o, wanted)))
                    .collect();
                if send_initial && bookmarks {
                    lines.push(bookmark(&resource, store.revision(), true));
                }
                Start::From(lines, store.revision())
            }
        };
        (changes, start, cluster.options().max_watch)
    };
    let duration = timeout.map_or(max_watch, |t| t.min(max_watch));

    let (sender, receiver) = mpsc::channel::<Bytes>(1024);
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + duration;
        let mut last = match start {
            Start::Expired(error) => {
                let _ = sender.send(line("ERROR", &error.status)).await;
                return;
            }
            Start::From(lines, revision) => {
                for l in lines {
                    if sender.send(l).await.is_err() {
                        return;
                    }
                }
                revision
            }
        };
        changes.mark_unchanged();
        loop {
            let (lines, expired) = {
                let cluster = shared.cluster.lock().expect("cluster lock");
                let store = cluster.store();
                match store.events_after(last) {
                    Ok(events) => {
                        let lines: Vec<Bytes> = events
                            .into_iter()
                            .filter_map(|e| translate(e, &resource, &namespace, &selectors, wanted))
                            .collect();
                        last = last.max(store.revision());
                        (lines, None)
                    }
                    Err(error) => (Vec::new(), Some(error)),
                }
            };
            for l in lines {
                if sender.send(l).await.is_err() {
                    return;
                }
            }
            if let Some(error) = expired {
                let _ = sender.send(line("ERROR", &error.status)).await;
                return;
            }
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    if bookmarks {
                        let _ = sender.send(bookmark(&resource, last, false)).await;
                    }
                    return;
                }
                _ = sender.closed() => return,
            }
        }
    });

    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|bytes| (Ok::<_, Infallible>(Frame::data(bytes)), receiver))
    });
    Ok(streaming_response(StreamBody::new(stream).boxed_unsync()))
}
