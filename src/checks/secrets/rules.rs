//! The credential rules of `secrets.literal-credentials`, loaded at compile
//! time from `gitleaks-rules.yaml`: value shapes from gitleaks' default
//! rule set (its regexes, keywords, entropy thresholds and allowlists) and
//! the variable names vendors document for their credentials. This module
//! only recognises credentials in text; what counts as a literal, and what
//! a finding says, is the family's business (`super`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

/// The data file, with its provenance and licence notice.
const RULES_YAML: &str = include_str!("gitleaks-rules.yaml");

/// The rule set, parsed and compiled once.
static RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::parse(RULES_YAML).expect("gitleaks-rules.yaml is valid"));

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    allowlist: AllowlistData,
    rules: Vec<RuleData>,
    variables: Vec<VendorVariables>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistData {
    regexes: Vec<String>,
    stopwords: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleData {
    id: String,
    what: String,
    regex: String,
    #[serde(default)]
    entropy: Option<f64>,
    keywords: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
}

/// One vendor's documented names (its `vendor` and `documented` fields
/// are for the reader of the file).
#[derive(Deserialize)]
struct VendorVariables {
    names: BTreeMap<String, String>,
}

/// One compiled rule.
pub(super) struct Rule {
    /// gitleaks' rule ID (`github-pat`).
    pub(super) id: String,
    /// What the credential is, for a finding (`a GitHub personal access token`).
    pub(super) what: String,
    regex: Regex,
    entropy: Option<f64>,
    keywords: Vec<String>,
    allow: Vec<Regex>,
}

/// Every rule, the global allowlist and the documented variable names.
struct RuleSet {
    rules: Vec<Rule>,
    allow: Vec<Regex>,
    stopwords: Vec<String>,
    /// Documented name (upper case, words joined by `_`) to what it holds.
    variables: BTreeMap<String, String>,
}

impl RuleSet {
    /// Parses and compiles the data file, or says what is wrong with it.
    fn parse(text: &str) -> Result<RuleSet, String> {
        let file: RuleFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let compile = |pattern: &str| {
            Regex::new(&ascii_classes(pattern)).map_err(|e| format!("regex {pattern:?}: {e}"))
        };
        let compile_all = |patterns: &[String]| -> Result<Vec<Regex>, String> {
            patterns.iter().map(|p| compile(p)).collect()
        };
        let rules = file
            .rules
            .into_iter()
            .map(|rule| {
                Ok(Rule {
                    regex: compile(&rule.regex).map_err(|e| format!("rule {}: {e}", rule.id))?,
                    allow: compile_all(&rule.allow)?,
                    keywords: rule.keywords.iter().map(|k| k.to_lowercase()).collect(),
                    id: rule.id,
                    what: rule.what,
                    entropy: rule.entropy,
                })
            })
            .collect::<Result<_, String>>()?;
        let variables = file
            .variables
            .into_iter()
            .flat_map(|vendor| vendor.names)
            .collect();
        Ok(RuleSet {
            rules,
            allow: compile_all(&file.allowlist.regexes)?,
            stopwords: file.allowlist.stopwords,
            variables,
        })
    }

    /// The first rule that finds a credential in `text`.
    fn find(&self, text: &str) -> Option<&Rule> {
        let lower = text.to_lowercase();
        self.rules
            .iter()
            .filter(|rule| rule.keywords.iter().any(|k| lower.contains(k.as_str())))
            .find(|rule| {
                rule.regex
                    .captures_iter(text)
                    .any(|captures| self.is_credential(rule, secret_of(&captures)))
            })
    }

    /// Whether the secret a rule matched is a credential: enough entropy,
    /// and neither a placeholder of the global allowlist, nor a stopword,
    /// nor allowed by the rule.
    fn is_credential(&self, rule: &Rule, secret: &str) -> bool {
        let lower = secret.to_lowercase();
        rule.entropy
            .is_none_or(|bits| shannon_entropy(secret) >= bits)
            && !self.allow.iter().any(|re| re.is_match(secret))
            && !self.stopwords.iter().any(|w| lower.contains(w.as_str()))
            && !rule.allow.iter().any(|re| re.is_match(secret))
    }
}

/// A Go (RE2) pattern with its ASCII classes written out: Go's `\w`, `\d`
/// and `\s` (and their negations) are ASCII, Rust's are Unicode, which
/// matches more and makes `[\w-]{138,300}` too large to compile. Classes
/// inside brackets become nested classes, which Rust accepts.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('s') => out.push_str(r"[\t\n\f\r ]"),
            Some('S') => out.push_str(r"[^\t\n\f\r ]"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The secret of a match: its first non-empty group, or the whole match
/// (as gitleaks takes it).
fn secret_of<'t>(captures: &regex::Captures<'t>) -> &'t str {
    captures
        .iter()
        .skip(1)
        .flatten()
        .map(|m| m.as_str())
        .find(|s| !s.is_empty())
        .or_else(|| captures.get(0).map(|m| m.as_str()))
        .unwrap_or_default()
}

/// Shannon entropy of a text, in bits per character.
fn shannon_entropy(text: &str) -> f64 {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let length = text.chars().count() as f64;
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / length;
            -p * p.log2()
        })
        .sum()
}

/// The rule that finds a credential in `text` by its shape, if any. `text`
/// is a command argument, a value, or `NAME=value` so that the keyword
/// rules read the name.
pub(super) fn credential_in(text: &str) -> Option<&'static Rule> {
    RULES.find(text)
}

/// What a variable named as a vendor documents it holds, given the name's
/// upper-case words (`["DD", "API", "KEY"]`).
pub(super) fn documented_variable(words: &[String]) -> Option<&'static str> {
    RULES.variables.get(&words.join("_")).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token of `length` characters drawn from `alphabet` without a
    /// visible pattern (so that it has a credential's entropy), built at
    /// run time so that the source holds no credential-shaped literal.
    fn token(alphabet: &str, length: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let mut state: u32 = 12_345;
        (0..length)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                chars[(state >> 16) as usize % chars.len()]
            })
            .collect()
    }

    /// What the rule finding a credential in `text` says it is.
    fn what(text: &str) -> Option<&'static str> {
        credential_in(text).map(|rule| rule.what.as_str())
    }

    const ALNUM: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const HEX: &str = "0123456789abcdef";

    #[test]
    fn the_data_file_compiles_with_unique_ids_and_keywords() {
        let set = RuleSet::parse(RULES_YAML).unwrap();
        assert!(set.rules.len() >= 40, "{} rules", set.rules.len());
        let mut ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        let count = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate rule ids");
        for rule in &set.rules {
            assert!(!rule.keywords.is_empty(), "{}: no keyword", rule.id);
            assert!(
                rule.what.starts_with(['a', 'A']),
                "{}: {}",
                rule.id,
                rule.what
            );
        }
        assert!(RULES_YAML.contains("Copyright (c) 2019 Zachary Rice"));
        assert!(set.variables.keys().all(|k| k == &k.to_uppercase()));
    }

    #[test]
    fn vendor_shapes_are_recognised() {
        let cases = [
            (
                format!("AKIA{}", token("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
                "an AWS access key ID",
            ),
            (
                format!("ghp_{}", token(ALNUM, 36)),
                "a GitHub personal access token",
            ),
            (
                format!("glpat-{}", token(ALNUM, 20)),
                "a GitLab personal access token",
            ),
            (
                format!("sk_live_{}", token(ALNUM, 24)),
                "a Stripe secret key",
            ),
            (
                format!("SG.{}.{}", token(ALNUM, 22), token(ALNUM, 43)),
                "a SendGrid API key",
            ),
            (format!("SK{}", token(HEX, 32)), "a Twilio API key"),
            (
                format!(
                    "xoxb-{}-{}-{}",
                    token("0123456789", 12),
                    token("0123456789", 13),
                    token(ALNUM, 24)
                ),
                "a Slack bot token",
            ),
            (
                format!("AIza{}", token(ALNUM, 35)),
                "a Google Cloud API key",
            ),
            (format!("hvs.{}", token(ALNUM, 95)), "a Vault service token"),
        ];
        for (value, what_it_is) in &cases {
            assert_eq!(what(value), Some(*what_it_is), "{value}");
            assert_eq!(what(&format!("X={value}")), Some(*what_it_is), "X={value}");
        }
    }

    #[test]
    fn keyword_rules_read_the_variable_name() {
        let key = token("abcdefghijklmnopqrstuvwxyz0123456789", 40);
        assert_eq!(what(&format!("DATADOG_KEY={key}")), Some("a Datadog key"));
        assert_eq!(what(&key), None, "without the name, only a string");
        let mailgun = format!("key-{}", token(HEX, 32));
        assert_eq!(
            what(&format!("MAILGUN_PRIVATE={mailgun}")),
            Some("a Mailgun API key")
        );
    }

    #[test]
    fn placeholders_low_entropy_and_allowlisted_values_are_not_credentials() {
        for value in [
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
            "${STRIPE_SECRET_KEY}",
            "{{ .Values.token }}",
            "-----BEGIN PRIVATE KEY-----",
            "s.abcdefghijklmnopqrstuvwx",
        ] {
            assert_eq!(what(value), None, "{value}");
        }
    }

    #[test]
    fn go_ascii_classes_are_written_out() {
        assert_eq!(ascii_classes(r"[\w.-]{2}\d"), r"[[0-9A-Za-z_].-]{2}[0-9]");
        assert_eq!(
            ascii_classes(r"\\[nr]\s\S"),
            r"\\[nr][\t\n\f\r ][^\t\n\f\r ]"
        );
        assert_eq!(ascii_classes(r"\bx\.y\x60"), r"\bx\.y\x60");
        let word = Regex::new(&ascii_classes(r"^\w+$")).unwrap();
        assert!(word.is_match("abc_09"));
        assert!(!word.is_match("abcé"), "Go's \\w is ASCII");
    }

    #[test]
    fn entropy_is_in_bits_per_character() {
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn documented_names_are_compared_word_by_word() {
        let words = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            documented_variable(&words(&["AWS", "SECRET", "ACCESS", "KEY"])),
            Some("an AWS secret access key")
        );
        assert_eq!(
            documented_variable(&words(&["PGPASSWORD"])),
            Some("a PostgreSQL password")
        );
        assert_eq!(documented_variable(&words(&["LOG", "LEVEL"])), None);
    }
}
