//! The double's etcd: every object as JSON, one global revision counter
//! (the `resourceVersion` of everything), and the event history watches
//! replay and lists reconstruct older snapshots from. Every change goes
//! through [`Store::commit`], which stamps the revision, records the event
//! and wakes the watchers: controllers, the scripted kubelet and API
//! requests all change the cluster the same way.
//!
//! It knows nothing of kinds, defaults or HTTP.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

use super::resources::GroupResource;
use super::status::{ApiError, too_old_resource_version};

/// The revision a new cluster starts at (a real one is never at 1).
const FIRST_REVISION: u64 = 1000;
/// How many events the history keeps before the oldest are dropped (the
/// watch cache keeps a window too; older revisions get 410 Expired).
const DEFAULT_HISTORY: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as a watch sees it.
#[derive(Debug, Clone)]
pub struct Event {
    pub revision: u64,
    pub resource: GroupResource,
    pub namespace: String,
    pub name: String,
    pub event_type: EventType,
    /// The object after the change (for a deletion: its last state, with
    /// the deletion's revision, as etcd reports it).
    pub object: Value,
    /// The object before the change (none for an addition).
    pub previous: Option<Value>,
}

type Key = (String, String);

fn key_of(object: &Value) -> Key {
    (
        object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[derive(Debug)]
pub struct Store {
    collections: BTreeMap<GroupResource, BTreeMap<Key, Value>>,
    revision: u64,
    history: VecDeque<Event>,
    /// History is complete after this revision: a watch or snapshot from
    /// an older one is answered 410.
    oldest: u64,
    history_limit: usize,
    changes: tokio::sync::watch::Sender<u64>,
}

impl Default for Store {
    fn default() -> Store {
        Store {
            collections: BTreeMap::new(),
            revision: FIRST_REVISION,
            history: VecDeque::new(),
            oldest: FIRST_REVISION,
            history_limit: DEFAULT_HISTORY,
            changes: tokio::sync::watch::channel(FIRST_REVISION).0,
        }
    }
}

impl Store {
    /// The current revision: the `resourceVersion` of a list made now.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The oldest revision a watch can start from.
    pub fn oldest_revision(&self) -> u64 {
        self.oldest
    }

    /// A receiver woken at every commit (its value is the new revision).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    pub fn get(&self, resource: &GroupResource, namespace: &str, name: &str) -> Option<&Value> {
        self.collections
            .get(resource)?
            .get(&(namespace.to_string(), name.to_string()))
    }

    /// The objects of a collection in key order (namespace, then name, as
    /// etcd returns them); `namespace` "" means all namespaces.
    pub fn list<'a>(
        &'a self,
        resource: &GroupResource,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.collections
            .get(resource)
            .into_iter()
            .flat_map(|c| c.iter())
            .filter(move |((ns, _), _)| namespace.is_empty() || ns == namespace)
            .map(|(_, v)| v)
    }

    /// The collection as it was at `revision` (for consistent paginated
    /// lists and `resourceVersionMatch=Exact`), rebuilt by undoing the
    /// newer events.
    pub fn snapshot(
        &self,
        resource: &GroupResource,
        namespace: &str,
        revision: u64,
    ) -> Result<Vec<Value>, ApiError> {
        if revision < self.oldest {
            return Err(too_old_resource_version(revision, self.oldest));
        }
        let mut objects = self.collections.get(resource).cloned().unwrap_or_default();
        for event in self.history.iter().rev() {
            if event.revision <= revision {
                break;
            }
            if &event.resource != resource {
                continue;
            }
            let key = (event.namespace.clone(), event.name.clone());
            match &event.previous {
                None => {
                    objects.remove(&key);
                }
                Some(previous) => {
                    objects.insert(key, previous.clone());
                }
            }
        }
        Ok(objects
            .into_iter()
            .filter(|((ns, _), _)| namespace.is_empty() || ns == namespace)
            .map(|(_, v)| v)
            .collect())
    }

    /// The events after `revision`, or 410 if some of them are gone.
    pub fn events_after(&self, revision: u64) -> Result<Vec<&Event>, ApiError> {
        if revision < self.oldest {
            return Err(too_old_resource_version(revision, self.oldest));
        }
        let start = self.history.partition_point(|e| e.revision <= revision);
        Ok(self.history.range(start..).collect())
    }

    /// Adds a new object (the caller checked the name is free).
    pub fn insert(&mut self, resource: &GroupResource, object: Value) -> Value {
        self.commit(EventType::Added, resource, object, None)
    }

    /// Replaces an existing object.
    pub fn replace(&mut self, resource: &GroupResource, object: Value) -> Value {
        let (namespace, name) = key_of(&object);
        let previous = self.get(resource, &namespace, &name).cloned();
        assert!(
            previous.is_some(),
            "replace of a missing object {resource:?} {namespace}/{name}"
        );
        if let Some(previous) = &previous
            && strip_revision(previous) == strip_revision(&object)
        {
            // Nothing changed: no new revision, no event (as an update
            // that changes nothing).
            return previous.clone();
        }
        self.commit(EventType::Modified, resource, object, previous)
    }

    /// Removes an object; answers its last state.
    pub fn remove(
        &mut self,
        resource: &GroupResource,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        let previous = self.get(resource, namespace, name)?.clone();
        Some(self.commit(
            EventType::Deleted,
            resource,
            previous.clone(),
            Some(previous),
        ))
    }

    /// The one place the cluster changes: a new revision, stamped on the
    /// object, recorded in the history and announced to the watchers.
    fn commit(
        &mut self,
        event_type: EventType,
        resource: &GroupResource,
        mut object: Value,
        previous: Option<Value>,
    ) -> Value {
        self.revision += 1;
        object["metadata"]["resourceVersion"] = Value::String(self.revision.to_string());
        let key = key_of(&object);
        let collection = self.collections.entry(resource.clone()).or_default();
        match event_type {
            EventType::Deleted => {
                collection.remove(&key);
            }
            _ => {
                collection.insert(key.clone(), object.clone());
            }
        }
        self.history.push_back(Event {
            revision: self.revision,
            resource: resource.clone(),
            namespace: key.0,
            name: key.1,
            event_type,
            object: object.clone(),
            previous,
        });
        while self.history.len() > self.history_limit {
            let dropped = self.history.pop_front().expect("a non-empty history");
            self.oldest = dropped.revision;
        }
        self.changes.send_replace(self.revision);
        object
    }

    /// Forgets the history (etcd compaction): watches and snapshots from
    /// any revision before now get 410 Expired.
    pub fn compact(&mut self) {
        self.history.clear();
        self.oldest = self.revision;
    }

    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit.max(1);
    }
}

fn strip_revision(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(meta) = object["metadata"].as_object_mut() {
        meta.remove("resourceVersion");
    }
    object
}
