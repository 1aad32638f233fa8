//! YAML and JSON documents parsed into a tree that remembers where every node
//! came from (line and column), so that findings and input errors can name
//! `file:line:column`. This module only parses; it knows nothing of
//! Kubernetes. JSON goes through the same parser (JSON is YAML 1.2).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, Options, Spanned};

/// A position in a source text, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// One node of a parsed document, with the position of its first character.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub position: Position,
    pub value: NodeValue,
}

/// The value of a [`Node`]; mappings keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// A parse failure with the position the parser reported, when it had one.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub position: Option<Position>,
    pub message: String,
}

impl Node {
    /// The child at `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node at a path of mapping keys and sequence indices, e.g.
    /// `spec.template.spec.containers[0].livenessProbe`.
    pub fn at_path(&self, path: &str) -> Option<&Node> {
        let mut node = self;
        for segment in path.split('.').filter(|s| !s.is_empty()) {
            let (key, indices) = match segment.find('[') {
                Some(open) => (&segment[..open], &segment[open..]),
                None => (segment, ""),
            };
            if !key.is_empty() {
                node = node.get(key)?;
            }
            for index in indices.split('[').filter(|s| !s.is_empty()) {
                let index: usize = index.trim_end_matches(']').parse().ok()?;
                match &node.value {
                    NodeValue::Seq(items) => node = items.get(index)?,
                    _ => return None,
                }
            }
        }
        Some(node)
    }

    /// The position of the deepest existing node along `path`: when a field is
    /// missing, this points at its closest present parent.
    pub fn position_of(&self, path: &str) -> Position {
        let mut best = self.position;
        let mut prefix = String::new();
        for segment in path.split('.').filter(|s| !s.is_empty()) {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(segment);
            match self.at_path(&prefix) {
                Some(node) => best = node.position,
                None => break,
            }
        }
        best
    }

    /// The value as JSON, for typed deserialisation.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::UInt(u) => Value::from(*u),
            NodeValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Deserialises the node as `T`; an error is the failing field's path
    /// (`.` for the node itself) and the reason.
    pub fn deserialize_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, (String, String)> {
        let json = self.to_json();
        serde_path_to_error::deserialize(&json)
            .map_err(|e| (e.path().to_string(), e.inner().to_string()))
    }

    /// The string value, if this node is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses every document of a YAML (or JSON) stream. Empty documents (a bare
/// `---`, comments only) come back as `None` so callers can skip them.
pub fn parse_documents(text: &str) -> Result<Vec<Option<Node>>, ParseError> {
    // The default budget (1,024 documents, 250k nodes) is far too small for
    // the rendered manifests of a whole platform.
    let mut budget = Budget::default();
    budget.max_documents = 1_000_000;
    budget.max_nodes = 500_000_000;
    budget.max_events = 1_000_000_000;
    budget.max_total_scalar_bytes = 4 << 30;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    let docs: Vec<Option<Node>> = serde_saphyr::from_str_multiple_with_options(text, options)
        .map_err(|error| ParseError {
            position: error.location().and_then(|location| {
                (location.line() > 0).then(|| Position {
                    line: location.line() as u32,
                    column: location.column() as u32,
                })
            }),
            message: first_line(&error.to_string()),
        })?;
    Ok(docs
        .into_iter()
        .map(|doc| doc.filter(|node| node.value != NodeValue::Null))
        .collect())
}

/// The parser's message without the position it repeats at its end (the
/// caller shows the position as file:line:column).
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    match line.rfind(" at line ") {
        Some(index) => line[..index].to_string(),
        None => line.to_string(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<NodeValue>::deserialize(deserializer)?;
        Ok(Node {
            position: Position {
                line: spanned.referenced.line() as u32,
                column: spanned.referenced.column() as u32,
            },
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// A mapping key: any scalar, kept as its text.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match NodeValue::deserialize(deserializer)? {
            NodeValue::String(s) => Ok(Key(s)),
            NodeValue::Bool(b) => Ok(Key(b.to_string())),
            NodeValue::Int(i) => Ok(Key(i.to_string())),
            NodeValue::UInt(u) => Ok(Key(u.to_string())),
            NodeValue::Float(f) => Ok(Key(f.to_string())),
            NodeValue::Null => Ok(Key("null".into())),
            NodeValue::Seq(_) | NodeValue::Map(_) => {
                Err(de::Error::custom("a mapping key must be a scalar"))
            }
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_none<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
        NodeValue::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<NodeValue, E> {
        Ok(NodeValue::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<NodeValue, E> {
        Ok(NodeValue::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<NodeValue, E> {
        Ok(NodeValue::String(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(NodeValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_remember_their_lines_across_documents() {
        let text = "# Source: chart/a.yaml\nkind: A\nspec:\n  items:\n    - name: x\n      port: 80\n---\n---\n# only a comment\n---\nkind: B\n";
        let docs = parse_documents(text).unwrap();
        let present: Vec<&Node> = docs.iter().flatten().collect();
        assert_eq!(present.len(), 2, "{docs:?}");
        assert_eq!(present[0].position.line, 2);
        assert_eq!(
            present[0]
                .at_path("spec.items[0].port")
                .unwrap()
                .position
                .line,
            6
        );
        assert_eq!(present[0].position_of("spec.items[0].missing").line, 5);
        assert_eq!(present[1].position.line, 11);
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let error = parse_documents("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(error.position.is_some(), "{error:?}");
    }

    #[test]
    fn json_parses_like_yaml() {
        let docs = parse_documents(
            "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"Pod\"}\n  ]\n}\n",
        )
        .unwrap();
        let doc = docs[0].as_ref().unwrap();
        assert_eq!(doc.at_path("items[0].kind").unwrap().as_str(), Some("Pod"));
        assert_eq!(doc.at_path("items[0]").unwrap().position.line, 4);
    }
}
