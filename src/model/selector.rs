//! Label selectors: the `matchLabels` + `matchExpressions` form used by
//! workloads, PodDisruptionBudgets and NetworkPolicies, the plain map used by
//! Services, and the textual form (`app=api,tier in (web,api),!canary`) used
//! in Gherkin steps. Matching follows the API server's semantics: requirements
//! are ANDed, and an empty selector matches everything.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed selector: a conjunction of requirements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

/// A selector that could not be understood, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError(pub String);

impl std::fmt::Display for SelectorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::In(key, values) => labels.get(key).is_some_and(|v| values.contains(v)),
            Requirement::NotIn(key, values) => labels.get(key).is_none_or(|v| !values.contains(v)),
            Requirement::Exists(key) => labels.contains_key(key),
            Requirement::DoesNotExist(key) => !labels.contains_key(key),
        }
    }
}

impl Selector {
    /// The selector of a Service (`spec.selector`): equality on every pair.
    pub fn from_map(map: &BTreeMap<String, String>) -> Selector {
        Selector {
            requirements: map
                .iter()
                .map(|(k, v)| Requirement::In(k.clone(), vec![v.clone()]))
                .collect(),
        }
    }

    /// A `metav1.LabelSelector`; an unknown operator is an error, as in the API.
    pub fn from_label_selector(selector: &LabelSelector) -> Result<Selector, SelectorError> {
        let mut out = Selector::from_map(&selector.match_labels.clone().unwrap_or_default());
        for expression in selector.match_expressions.iter().flatten() {
            let key = expression.key.clone();
            let values = expression.values.clone().unwrap_or_default();
            out.requirements.push(match expression.operator.as_str() {
                "In" if !values.is_empty() => Requirement::In(key, values),
                "NotIn" if !values.is_empty() => Requirement::NotIn(key, values),
                "Exists" if values.is_empty() => Requirement::Exists(key),
                "DoesNotExist" if values.is_empty() => Requirement::DoesNotExist(key),
                "In" | "NotIn" => {
                    return Err(SelectorError(format!(
                        "operator {} on {key} needs values",
                        expression.operator
                    )));
                }
                "Exists" | "DoesNotExist" => {
                    return Err(SelectorError(format!(
                        "operator {} on {key} takes no values",
                        expression.operator
                    )));
                }
                other => {
                    return Err(SelectorError(format!(
                        "unknown operator {other:?} on {key}"
                    )));
                }
            });
        }
        Ok(out)
    }

    /// The textual form of `kubectl -l`: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
    /// `k notin (a,b)`, `k`, `!k`, separated by commas.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(Selector { requirements })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| match r {
                Requirement::In(k, v) if v.len() == 1 => format!("{k}={}", v[0]),
                Requirement::In(k, v) => format!("{k} in ({})", v.join(",")),
                Requirement::NotIn(k, v) if v.len() == 1 => format!("{k}!={}", v[0]),
                Requirement::NotIn(k, v) => format!("{k} notin ({})", v.join(",")),
                Requirement::Exists(k) => k.clone(),
                Requirement::DoesNotExist(k) => format!("!{k}"),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_requirement(part: &str) -> Result<Requirement, SelectorError> {
    let invalid = || SelectorError(format!("cannot read the label requirement {part:?}"));
    if let Some(key) = part.strip_prefix('!') {
        return valid_key(key.trim())
            .map(Requirement::DoesNotExist)
            .ok_or_else(invalid);
    }
    if let Some((key, value)) = part.split_once("!=") {
        let key = valid_key(key.trim()).ok_or_else(invalid)?;
        return Ok(Requirement::NotIn(key, vec![value.trim().to_string()]));
    }
    if let Some((key, value)) = part.split_once('=') {
        let key = valid_key(key.trim()).ok_or_else(invalid)?;
        let value = value.strip_prefix('=').unwrap_or(value).trim().to_string();
        return Ok(Requirement::In(key, vec![value]));
    }
    let words: Vec<&str> = part.splitn(3, char::is_whitespace).collect();
    if let [key, operator, set] = words.as_slice() {
        let key = valid_key(key).ok_or_else(invalid)?;
        let set = set.trim();
        let inner = set
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(invalid)?;
        let values: Vec<String> = inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err(invalid());
        }
        return match *operator {
            "in" => Ok(Requirement::In(key, values)),
            "notin" => Ok(Requirement::NotIn(key, values)),
            _ => Err(invalid()),
        };
    }
    valid_key(part).map(Requirement::Exists).ok_or_else(invalid)
}

fn valid_key(key: &str) -> Option<String> {
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    ok.then(|| key.to_string())
}

/// A label map from pairs, for tests.
#[cfg(test)]
pub(crate) fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let selector = Selector::from_label_selector(&LabelSelector {
            match_labels: Some(labels(&[("app", "api")])),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: Some(vec!["web".into(), "api".into()]),
                },
                LabelSelectorRequirement {
                    key: "canary".into(),
                    operator: "DoesNotExist".into(),
                    values: None,
                },
            ]),
        })
        .unwrap();
        assert!(selector.matches(&labels(&[("app", "api"), ("tier", "api")])));
        assert!(!selector.matches(&labels(&[("app", "api"), ("tier", "db")])));
        assert!(!selector.matches(&labels(&[
            ("app", "api"),
            ("tier", "api"),
            ("canary", "true")
        ])));
        assert!(!selector.matches(&labels(&[("tier", "api")])));
    }

    #[test]
    fn not_in_matches_missing_keys_and_empty_selects_all() {
        let selector = Selector::parse("env notin (dev, test)").unwrap();
        assert!(selector.matches(&labels(&[])));
        assert!(!selector.matches(&labels(&[("env", "dev")])));
        assert!(Selector::default().matches(&labels(&[("x", "y")])));
    }

    #[test]
    fn textual_form_reads_every_operator() {
        let selector =
            Selector::parse("app=api,tier in (web,api),!canary,team,env!=dev,zone==a").unwrap();
        assert_eq!(selector.requirements.len(), 6);
        assert!(selector.matches(&labels(&[
            ("app", "api"),
            ("tier", "web"),
            ("team", "x"),
            ("zone", "a")
        ])));
        assert_eq!(
            selector.to_string(),
            "app=api,tier in (web,api),!canary,team,env!=dev,zone=a"
        );
        assert!(Selector::parse("app in ()").is_err());
        assert!(Selector::parse("app ~ x").is_err());
    }

    #[test]
    fn bad_operators_are_errors() {
        let bad = LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "a".into(),
                operator: "Like".into(),
                values: None,
            }]),
            match_labels: None,
        };
        assert!(Selector::from_label_selector(&bad).is_err());
    }
}
