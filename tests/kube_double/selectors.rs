//! `labelSelector` and `fieldSelector` as the API server parses and applies
//! them to lists and watches, and the structured `matchLabels` /
//! `matchExpressions` selectors the controllers use to find pods. Written
//! here rather than borrowed from golive: the double must not share the
//! code it tests.

use std::collections::BTreeMap;

use serde_json::Value;

use super::status::{ApiError, bad_request};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Op,
}

/// A parsed `labelSelector`: requirements ANDed; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

/// Splits on the commas that are not inside `( )`.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                current.push(c);
            }
            ')' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
}

fn parse_set(key: &str, rest: &str) -> Result<Vec<String>, ApiError> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            bad_request(format!(
                "unable to parse requirement: found '{}', expected: '('",
                rest.trim()
            ))
        })?;
    let values: Vec<String> = inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(bad_request(format!(
            "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty (key {key})"
        )));
    }
    Ok(values)
}

impl LabelSelector {
    /// Parses the textual form: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
    /// `a notin (x)`, `a`, `!a`, comma-separated.
    pub fn parse(text: &str) -> Result<LabelSelector, ApiError> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let requirement = if let Some(key) = part.strip_prefix('!') {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::DoesNotExist,
                }
            } else if let Some((key, value)) = part.split_once("!=") {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::NotEquals(value.trim().to_string()),
                }
            } else if let Some((key, value)) = part.split_once("==") {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::Equals(value.trim().to_string()),
                }
            } else if let Some((key, value)) = part.split_once('=') {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::Equals(value.trim().to_string()),
                }
            } else if let Some((key, rest)) = part.split_once(" notin ") {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::NotIn(parse_set(key, rest)?),
                }
            } else if let Some((key, rest)) = part.split_once(" in ") {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::In(parse_set(key, rest)?),
                }
            } else if part.contains([' ', '(', ')']) {
                return Err(bad_request(format!(
                    "unable to parse requirement: found '{part}', expected: in, notin, =, ==, !=, gt, lt"
                )));
            } else {
                Requirement {
                    key: part.to_string(),
                    op: Op::Exists,
                }
            };
            if requirement.key.is_empty() {
                return Err(bad_request(format!(
                    "unable to parse requirement: invalid label key \"\" in {text:?}"
                )));
            }
            requirements.push(requirement);
        }
        Ok(LabelSelector { requirements })
    }

    /// From a workload's `spec.selector` (`matchLabels` + `matchExpressions`).
    pub fn from_structured(selector: &Value) -> LabelSelector {
        let mut requirements = Vec::new();
        if let Some(labels) = selector["matchLabels"].as_object() {
            for (key, value) in labels {
                requirements.push(Requirement {
                    key: key.clone(),
                    op: Op::Equals(value.as_str().unwrap_or_default().to_string()),
                });
            }
        }
        if let Some(expressions) = selector["matchExpressions"].as_array() {
            for e in expressions {
                let key = e["key"].as_str().unwrap_or_default().to_string();
                let values: Vec<String> = e["values"]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let op = match e["operator"].as_str().unwrap_or_default() {
                    "In" => Op::In(values),
                    "NotIn" => Op::NotIn(values),
                    "Exists" => Op::Exists,
                    _ => Op::DoesNotExist,
                };
                requirements.push(Requirement { key, op });
            }
        }
        LabelSelector { requirements }
    }

    /// From a Service's plain `spec.selector` map.
    pub fn from_map(selector: &Value) -> LabelSelector {
        LabelSelector::from_structured(&serde_json::json!({ "matchLabels": selector }))
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches_labels(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| {
            let value = labels.get(&r.key);
            match &r.op {
                Op::Equals(v) => value == Some(v),
                Op::NotEquals(v) => value != Some(v),
                Op::In(vs) => value.is_some_and(|x| vs.contains(x)),
                Op::NotIn(vs) => value.is_none_or(|x| !vs.contains(x)),
                Op::Exists => value.is_some(),
                Op::DoesNotExist => value.is_none(),
            }
        })
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.matches_labels(&labels_of(object))
    }
}

pub fn labels_of(object: &Value) -> BTreeMap<String, String> {
    object["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields each resource can be selected on (`AddFieldLabelConversionFunc`
/// of the real server); `metadata.name` and `metadata.namespace` work
/// everywhere.
fn supported_fields(resource: &str) -> &'static [&'static str] {
    match resource {
        "pods" => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        "secrets" => &["type"],
        "nodes" => &["spec.unschedulable"],
        "namespaces" => &["status.phase"],
        "jobs" => &["status.successful"],
        "replicasets" => &["status.replicas"],
        "events" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        _ => &[],
    }
}

/// The value of a selectable field of `object`, as the server renders it.
fn field_value(object: &Value, field: &str) -> String {
    if field == "status.successful" {
        return object["status"]["succeeded"]
            .as_i64()
            .unwrap_or(0)
            .to_string();
    }
    if field == "source" {
        return object["source"]["component"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    }
    let mut value = object;
    for segment in field.split('.') {
        value = &value[segment];
    }
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => match field {
            "spec.hostNetwork" | "spec.unschedulable" => "false".into(),
            _ => String::new(),
        },
        other => other.to_string(),
    }
}

/// A parsed `fieldSelector`: `field=value`, `field==value`, `field!=value`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    terms: Vec<(String, bool, String)>,
}

impl FieldSelector {
    pub fn parse(text: &str, resource: &str) -> Result<FieldSelector, ApiError> {
        let mut terms = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (field, equal, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(bad_request(format!(
                    "invalid selector: '{text}'; can't understand '{part}'"
                )));
            };
            let field = field.trim();
            if field != "metadata.name"
                && field != "metadata.namespace"
                && !supported_fields(resource).contains(&field)
            {
                return Err(bad_request(format!("field label not supported: {field}")));
            }
            terms.push((field.to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.terms.iter().all(|(field, equal, value)| {
            let actual = field_value(object, field);
            (actual == *value) == *equal
        })
    }
}

/// Both selectors of a list or watch request.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Selectors {
    pub fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object) && self.fields.matches(object)
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }
}
