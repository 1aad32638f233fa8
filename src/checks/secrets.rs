//! The secrets family: credentials belong in Secrets fed by a secret manager
//! (External Secrets, Sealed Secrets, Vault, cert-manager), never written in
//! clear in a manifest, and every Secret a pod needs must exist or the pod
//! never starts. Values found in manifests are never printed: a finding only
//! says what a value looks like. References are judged only in namespaces
//! the manifests deliver Secrets to (a Secret, or an object of a controller
//! that writes one): elsewhere Secrets are created another way and golive
//! cannot tell whether they exist. Whether a Secret may be written in the
//! manifests at all is the profile's `secrets_from`.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use k8s_openapi::api::core::v1::{ConfigMap, Container, Secret};
use regex::Regex;

use super::references::{Delivered, has_keys_read, judge_references};
use super::{Check, CheckMeta, Difference, INVENTORY, Rule, Scope, Severity, Violation};
use crate::config::SecretsSource;
use crate::model::references::{Reference, Source, references};
use crate::model::{ContainerRef, Inventory, Object, Resource};

mod rules;

/// The secrets family, in catalogue order.
pub static CHECKS: &[&Check] = &[&LITERAL_CREDENTIALS, &MANAGED, &REFERENCES];

pub static LITERAL_CREDENTIALS: Check = Check {
    meta: CheckMeta {
        id: "secrets.literal-credentials",
        title: "No credential is written in clear in a manifest",
        judges: "environment variable or Secret",
        severity: Severity::Critical,
        checklist: &["GL-SEC-03"],
        needs: INVENTORY,
        rationale: "A password, token or key written as an env value or in a ConfigMap is readable by anyone who \
                    can read the repository, the chart, `kubectl describe` or the audit log; it cannot be rotated \
                    without a redeploy and it outlives every access review. golive knows a credential by its name (a \
                    credential word such as PASSWORD or TOKEN at its end, or a variable a vendor documents for \
                    one, such as AWS_SECRET_ACCESS_KEY or PGPASSWORD) or by its shape (a selection of gitleaks' \
                    rules: cloud, forge, payment, messaging and AI API keys, private keys, JWTs, URLs with a \
                    password); references such as $(VAR) or ${VAR} and documented examples are not credentials.",
        remediation: "Move the value to a Secret managed by your secret manager (an ExternalSecret, a \
                      SealedSecret, Vault) and reference it with env[].valueFrom.secretKeyRef or envFrom[].secretRef; \
                      then rotate the credential, since it has been exposed.",
        differences: &[Difference {
            peer: "kube-linter",
            because: "it reads the last word of a variable's name (DB_PASSWORD, apiToken, SECRET_KEY): \
                      kube-linter flags any name that contains SECRET, but SECRET_BLAH, like SECRET_NAME or \
                      SECRET_PATH, names something about a secret, not the secret itself.",
        }],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            for container in workload.containers() {
                for (field, found) in container_literals(&container) {
                    evaluation.evaluated();
                    if let Some(found) = found {
                        evaluation.report(Violation {
                            object: workload.object,
                            container: Some(container.container.name.as_str()),
                            field: format!("{}.{field}", container.path),
                            expected: LITERAL_EXPECTED.to_string(),
                            found,
                        });
                    }
                }
            }
        }
        for (object, config_map) in config_maps_in_scope(scope) {
            for (key, value) in config_map.data.iter().flatten() {
                evaluation.evaluated();
                if let Some(found) = literal_credential(key, value, "a key") {
                    evaluation.report(Violation {
                        object,
                        container: None,
                        field: format!("data.{key}"),
                        expected: LITERAL_EXPECTED.to_string(),
                        found,
                    });
                }
            }
        }
    }),
};

const LITERAL_EXPECTED: &str = "a reference to a Secret, not a literal credential";

pub static MANAGED: Check = Check {
    meta: CheckMeta {
        id: "secrets.managed",
        title: "Secrets come from a secret manager, not from the manifests",
        judges: "Secret source",
        severity: Severity::High,
        checklist: &["GL-SEC-03"],
        needs: INVENTORY,
        rationale: "A Secret written in the manifests with its data is a credential in the repository: base64 \
                    is not encryption, so everyone who can read the repository, its forks, CI logs and Helm \
                    release history can read it, and rotating it means a commit. With `secrets_from: \
                    external` (production) the credentials come from a secret manager and the manifests only \
                    name them. Secrets a controller writes (ServiceAccount tokens, Secrets owned by an \
                    ExternalSecret or a SealedSecret in a cluster) are not judged; in a cluster golive reads \
                    no Secret's data, so this is judged on manifests.",
        remediation: "Replace the Secret with an ExternalSecret (External Secrets Operator) or a SealedSecret \
                      producing the same name and keys, or mount it with the Secrets Store CSI driver (a \
                      SecretProviderClass); then rotate the credential the repository has seen. Set \
                      `secrets_from: manifests` only for environments whose Secrets are disposable.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        // What a secret manager delivers counts as managed: the objects that
        // make a controller write a Secret, and the CSI driver's classes.
        let managed = PRODUCERS
            .iter()
            .map(|(group, kind, _)| (*group, *kind))
            .chain([("secrets-store.csi.x-k8s.io", "SecretProviderClass")]);
        for (group, kind) in managed {
            scope
                .objects(kind)
                .filter(|o| o.api_group() == group)
                .for_each(|_| evaluation.evaluated());
        }
        for object in scope.objects("Secret") {
            let Resource::Secret(secret) = &object.resource else {
                continue;
            };
            let keys =
                secret.data.iter().flatten().count() + secret.string_data.iter().flatten().count();
            if keys == 0 || written_by_a_controller(object, secret) {
                continue;
            }
            evaluation.evaluated();
            if scope.profile.secrets_from == SecretsSource::Manifests {
                continue;
            }
            let field = if secret.data.as_ref().is_some_and(|d| !d.is_empty()) {
                "data"
            } else {
                "stringData"
            };
            evaluation.report(Violation {
                object,
                container: None,
                field: field.into(),
                expected: "a Secret delivered by a secret manager (secrets_from: external)".into(),
                found: format!(
                    "a {} Secret with {keys} key(s) written in the manifests (values not shown)",
                    secret.type_.as_deref().unwrap_or("Opaque")
                ),
            });
        }
    }),
};

/// Whether a Secret is one a controller writes rather than a person: a
/// ServiceAccount token, a Helm release record, or one with an owner (an
/// ExternalSecret, a SealedSecret, a Certificate).
fn written_by_a_controller(object: &Object, secret: &Secret) -> bool {
    matches!(
        secret.type_.as_deref(),
        Some("kubernetes.io/service-account-token" | "helm.sh/release.v1")
    ) || object
        .metadata
        .owner_references
        .as_ref()
        .is_some_and(|o| !o.is_empty())
}

pub static REFERENCES: Check = Check {
    meta: CheckMeta {
        id: "secrets.references",
        title: "Every Secret a workload uses exists, with the keys it reads",
        judges: "Secret reference",
        severity: Severity::Critical,
        checklist: &["GL-SEC-03"],
        needs: INVENTORY,
        rationale: "A pod that reads a Secret (or a key of it) that does not exist never starts: it stays in \
                    CreateContainerConfigError or ContainerCreating, and a rollout that needs it stalls. A missing \
                    image pull Secret makes pulls from a private registry fail.",
        remediation: "Deliver the Secret with the release (an ExternalSecret, a SealedSecret or a cert-manager \
                      Certificate producing that name, or the Secret itself), fix the name or key, or mark a truly \
                      optional reference `optional: true`.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        judge_references(scope, evaluation, Source::Secret, SecretSources::of)
    }),
};

// ---------------------------------------------------------------------------
// Literal credentials

/// Credential words a variable or key name may end with, as upper-case word
/// sequences, with what such a value is.
const CREDENTIAL_NAMES: &[(&[&str], &str)] = &[
    (&["PASSWORD"], "a password"),
    (&["PASSWD"], "a password"),
    (&["PWD"], "a password"),
    (&["SECRET"], "a secret"),
    (&["TOKEN"], "a token"),
    (&["API", "KEY"], "an API key"),
    (&["APIKEY"], "an API key"),
    (&["ACCESS", "KEY"], "an access key"),
    (&["PRIVATE", "KEY"], "a private key"),
    (&["CREDENTIALS"], "credentials"),
    (&["CREDENTIAL"], "credentials"),
    (&["AUTH"], "an authentication credential"),
];

/// Words that may follow a credential word without changing what the value
/// is (`SECRET_KEY`, `SECRET_KEY_BASE`).
const CREDENTIAL_QUALIFIERS: &[&str] = &["KEY", "BASE"];

/// Values that are settings rather than credentials.
const SETTING_WORDS: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none",
];

/// `scheme://user:password@`, the password captured.
static URL_WITH_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@").expect("a valid pattern")
});

/// A whole value that only names another variable: `$(VAR)` (expanded by
/// the kubelet), `${VAR}` or `$VAR` (expanded by the application).
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*)$")
        .expect("a valid pattern")
});

/// A `$(VAR)` reference anywhere in a value.
static KUBELET_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\([A-Za-z_][A-Za-z0-9_]*\)").expect("a valid pattern"));

/// The literal values of a container (env values, command and args), each
/// with its field path under the container and what is wrong with it.
fn container_literals(container: &ContainerRef<'_>) -> Vec<(String, Option<String>)> {
    let c: &Container = container.container;
    let env = c.env.iter().flatten().enumerate().filter_map(|(i, var)| {
        let value = var.value.as_deref()?;
        let found = literal_credential(&var.name, value, "a variable");
        Some((format!("env[{i}].value"), found))
    });
    let words = [("command", &c.command), ("args", &c.args)]
        .into_iter()
        .flat_map(|(list, words)| {
            words.iter().flatten().enumerate().map(move |(i, word)| {
                let found = credential_shape(word)
                    .map(|what| format!("a literal argument (redacted) that looks like {what}"));
                (format!("{list}[{i}]"), found)
            })
        });
    env.chain(words).collect()
}

/// The parts of an environment variable that must never be printed: the
/// whole value when it is a credential by shape or by name (any literal
/// under a credential name, even a short or weak one: printing it is worse
/// than hiding a harmless value), and the password of any URL in it.
pub fn secret_parts(name: &str, value: &str) -> Vec<String> {
    let mut parts: Vec<String> = URL_WITH_PASSWORD
        .captures_iter(value)
        .map(|c| c[1].to_string())
        .filter(|password| !REFERENCE.is_match(password))
        .collect();
    let literal = !value.trim().is_empty() && !REFERENCE.is_match(value.trim());
    let whole = (credential_name(name).is_some() && literal)
        || rules::credential_in(&assignment(name, value)).is_some();
    if whole {
        parts.push(value.to_string());
    }
    parts
}

/// What a literal `value` named `name` (an env variable or a ConfigMap key,
/// `subject` says which) gives away, if it looks like a credential: by its
/// shape (the keyword rules also read the name), or by a name that vendors
/// document for a credential or that ends with a credential word.
fn literal_credential(name: &str, value: &str, subject: &str) -> Option<String> {
    if let Some(what) = credential_shape(&assignment(name, value)) {
        return Some(format!("a literal value (redacted) that looks like {what}"));
    }
    let what = credential_name(name)?;
    is_credential_literal(value)
        .then(|| format!("a literal value (redacted) for {subject} named like {what}"))
}

/// `NAME=value`, the text the rules read for a named value (as gitleaks
/// reads an assignment in a `.env` file).
fn assignment(name: &str, value: &str) -> String {
    format!("{name}={value}")
}

/// The credential a text looks like by its format, whatever its name: a
/// rule of `secrets/gitleaks-rules.yaml` (named in the description), or a
/// URL with a literal password.
fn credential_shape(text: &str) -> Option<String> {
    if let Some(rule) = rules::credential_in(text) {
        return Some(format!("{} (gitleaks rule {})", rule.what, rule.id));
    }
    URL_WITH_PASSWORD
        .captures_iter(text)
        .any(|c| !REFERENCE.is_match(&c[1]))
        .then(|| "a URL with an embedded password".to_string())
}

/// What a variable or key is, when vendors document its name for a
/// credential (`AWS_SECRET_ACCESS_KEY`, `PGPASSWORD`, `dd-api-key`) or it
/// ends with a credential word, possibly followed by `KEY` or `BASE`
/// (`DB_PASSWORD`, `clientSecret`, `SECRET_KEY_BASE`); `PASSWORD_FILE`,
/// `TOKEN_TTL` or `SECRET_NAME` name something else.
fn credential_name(name: &str) -> Option<&'static str> {
    let words = name_words(name);
    if let Some(what) = rules::documented_variable(&words) {
        return Some(what);
    }
    let qualifiers = words
        .iter()
        .rev()
        .take_while(|w| CREDENTIAL_QUALIFIERS.contains(&w.as_str()))
        .count();
    [&words[..], &words[..words.len() - qualifiers]]
        .into_iter()
        .find_map(|words| {
            CREDENTIAL_NAMES
                .iter()
                .find(|(term, _)| ends_with(words, term))
                .map(|(_, what)| *what)
        })
}

fn ends_with(words: &[String], term: &[&str]) -> bool {
    words.len() >= term.len()
        && words[words.len() - term.len()..]
            .iter()
            .zip(term)
            .all(|(word, t)| word == t)
}

/// The upper-case words of a name: `db-password`, `DB_PASSWORD` and
/// `dbPassword` all give `DB PASSWORD`.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            words.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    words.push(current);
    words.retain(|w| !w.is_empty());
    words
}

/// Whether a value under a credential-like name is a literal credential:
/// not empty, not a setting (boolean, small number), not a path to a file
/// holding the credential, not a reference to another variable.
fn is_credential_literal(value: &str) -> bool {
    let value = value.trim();
    let setting = SETTING_WORDS.iter().any(|w| value.eq_ignore_ascii_case(w))
        || (value.len() <= 6 && value.chars().all(|c| c.is_ascii_digit()));
    let path = value.starts_with('/') && !value.contains(char::is_whitespace);
    let reference = REFERENCE.is_match(value) || KUBELET_REFERENCE.is_match(value);
    !(value.is_empty() || setting || path || reference)
}

/// The ConfigMaps in scope: all of them, or, when the scenario picks
/// workloads, those the admitted workloads read.
fn config_maps_in_scope<'a>(scope: &Scope<'a>) -> Vec<(&'a Object, &'a ConfigMap)> {
    let read: Option<BTreeSet<(Option<&str>, &str)>> = scope.is_narrowed().then(|| {
        scope
            .workloads()
            .flat_map(|w| {
                let namespace = w.object.namespace();
                references(&w, Source::ConfigMap)
                    .into_iter()
                    .map(move |r| (namespace, r.name))
            })
            .collect()
    });
    scope
        .objects("ConfigMap")
        .filter_map(|object| match &object.resource {
            Resource::ConfigMap(config_map) => Some((object, config_map.as_ref())),
            _ => None,
        })
        .filter(|(object, _)| {
            read.as_ref().is_none_or(|read| {
                let name = object.metadata.name.as_deref().unwrap_or_default();
                read.contains(&(object.namespace(), name))
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Secret sources and references

/// A Secret a controller writes: its name and the object that asks for it.
pub(super) struct ProducedSecret<'a> {
    pub name: String,
    pub producer: &'a Object,
}

/// Names of the Secrets that controllers produce in `namespace` from objects
/// of the inventory: ExternalSecret (`spec.target.name`, default its own
/// name), ClusterExternalSecret (any namespace), SealedSecret (its name, or
/// that of its template), cert-manager Certificate (`spec.secretName`) and
/// Vault Secrets Operator objects (`spec.destination.name`).
pub(super) fn produced_secrets<'a>(
    inventory: &'a Inventory,
    namespace: Option<&'a str>,
) -> Vec<ProducedSecret<'a>> {
    PRODUCERS
        .iter()
        .flat_map(|(group, kind, names)| {
            inventory
                .of_kind(kind)
                .filter(move |o| o.api_group() == *group)
                .filter(move |o| *kind == "ClusterExternalSecret" || o.namespace() == namespace)
                .flat_map(move |producer| {
                    names(&producer.json())
                        .into_iter()
                        .map(move |name| ProducedSecret { name, producer })
                })
        })
        .collect()
}

type ProducedNames = fn(&serde_json::Value) -> Vec<String>;

/// API group, kind and the names of the Secrets an object of that kind
/// produces.
const PRODUCERS: &[(&str, &str, ProducedNames)] = &[
    ("external-secrets.io", "ExternalSecret", |o| {
        string_at(o, &["/spec/target/name", "/metadata/name"])
    }),
    ("external-secrets.io", "ClusterExternalSecret", |o| {
        string_at(
            o,
            &[
                "/spec/externalSecretSpec/target/name",
                "/spec/externalSecretName",
                "/metadata/name",
            ],
        )
    }),
    ("bitnami.com", "SealedSecret", |o| {
        ["/metadata/name", "/spec/template/metadata/name"]
            .iter()
            .flat_map(|p| string_at(o, &[p]))
            .collect()
    }),
    ("cert-manager.io", "Certificate", |o| {
        string_at(o, &["/spec/secretName"])
    }),
    (
        "secrets.hashicorp.com",
        "VaultStaticSecret",
        vault_destination,
    ),
    (
        "secrets.hashicorp.com",
        "VaultDynamicSecret",
        vault_destination,
    ),
    ("secrets.hashicorp.com", "VaultPKISecret", vault_destination),
];

fn vault_destination(object: &serde_json::Value) -> Vec<String> {
    string_at(object, &["/spec/destination/name"])
}

/// The first non-empty string found at one of the JSON pointers.
fn string_at(object: &serde_json::Value, pointers: &[&str]) -> Vec<String> {
    pointers
        .iter()
        .find_map(|p| object.pointer(p)?.as_str().filter(|s| !s.is_empty()))
        .map(str::to_string)
        .into_iter()
        .collect()
}

/// The Secrets of one namespace: objects of the inventory and Secrets that
/// controllers produce there.
struct SecretSources<'a> {
    secrets: Vec<(&'a str, &'a Secret)>,
    produced: Vec<ProducedSecret<'a>>,
}

impl<'a> SecretSources<'a> {
    fn of(inventory: &'a Inventory, namespace: Option<&'a str>) -> SecretSources<'a> {
        let secrets = inventory
            .of_kind_in("Secret", namespace)
            .filter_map(|object| match &object.resource {
                Resource::Secret(secret) => {
                    Some((object.metadata.name.as_deref()?, secret.as_ref()))
                }
                _ => None,
            })
            .collect();
        SecretSources {
            secrets,
            produced: produced_secrets(inventory, namespace),
        }
    }
}

impl Delivered for SecretSources<'_> {
    /// Whether the manifests deliver Secrets to this namespace at all: when
    /// they do not, Secrets are created another way and golive cannot tell.
    fn judges_namespace(&self) -> bool {
        !self.secrets.is_empty()
            || self
                .produced
                .iter()
                .any(|p| p.producer.kind != "ClusterExternalSecret")
    }

    /// Whether a reference resolves, or the field to blame and what is wrong.
    fn resolve(&self, reference: &Reference<'_>) -> Result<(), (String, String)> {
        if self.produced.iter().any(|p| p.name == reference.name) {
            // Produced by a controller: its keys are not in the manifests.
            return Ok(());
        }
        let Some((_, secret)) = self.secrets.iter().find(|(n, _)| *n == reference.name) else {
            return Err((
                reference.field.clone(),
                format!(
                    "no Secret {:?} in the namespace, and no ExternalSecret, SealedSecret or Certificate \
                     produces one",
                    reference.name
                ),
            ));
        };
        let Some(keys) = secret_keys(secret) else {
            return Ok(());
        };
        has_keys_read(Source::Secret, reference, &keys)
    }
}

/// The keys a Secret of the manifests holds, when the manifests say (a
/// Secret with neither `data` nor `stringData`, or a service account token
/// the token controller fills, gets its keys elsewhere).
fn secret_keys(secret: &Secret) -> Option<BTreeSet<&str>> {
    if secret.type_.as_deref() == Some("kubernetes.io/service-account-token")
        || (secret.data.is_none() && secret.string_data.is_none())
    {
        return None;
    }
    let data = secret.data.iter().flatten().map(|(k, _)| k.as_str());
    let string_data = secret.string_data.iter().flatten().map(|(k, _)| k.as_str());
    Some(data.chain(string_data).collect())
}

#[cfg(test)]
mod tests {

    #[test]
    fn secret_parts_are_whole_credentials_and_url_passwords() {
        assert_eq!(secret_parts("DB_PASSWORD", "hunter2"), ["hunter2"]);
        assert_eq!(secret_parts("POSTGRES_PASSWORD", "123456"), ["123456"]);
        assert!(secret_parts("DB_PASSWORD", "${FROM_VAULT}").is_empty());
        assert_eq!(
            secret_parts("DATABASE_URL", "postgres://app:hunter2@db/app"),
            ["hunter2"]
        );
        assert!(secret_parts("LOG_LEVEL", "debug").is_empty());
        assert!(secret_parts("DB_PASSWORD_FILE", "/run/secrets/db").is_empty());
        assert!(secret_parts("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db/app").is_empty());
        assert_eq!(secret_parts("PGPASSWORD", "pg-only"), ["pg-only"]);
        let datadog = "d41d8cd98f00b204e9800998ecf8427e1a2b3c4d";
        assert_eq!(secret_parts("DATADOG_KEY", datadog), [datadog]);
        assert!(secret_parts("CHECKSUM", datadog).is_empty());
    }
    use super::*;

    #[test]
    fn names_split_into_words_whatever_the_case() {
        assert_eq!(name_words("DB_PASSWORD"), ["DB", "PASSWORD"]);
        assert_eq!(name_words("dbPassword"), ["DB", "PASSWORD"]);
        assert_eq!(name_words("client-secret.v2"), ["CLIENT", "SECRET", "V2"]);
        assert_eq!(name_words("apiKey"), ["API", "KEY"]);
        assert!(name_words("__").is_empty());
    }

    #[test]
    fn names_ending_with_a_credential_word_are_credentials() {
        assert_eq!(credential_name("DB_PASSWORD"), Some("a password"));
        assert_eq!(credential_name("clientSecret"), Some("a secret"));
        assert_eq!(credential_name("APP_SECRET_KEY_BASE"), Some("a secret"));
        assert_eq!(credential_name("PAYMENT_API_KEY"), Some("an API key"));
        assert_eq!(credential_name("S3_ACCESS_KEY"), Some("an access key"));
        assert_eq!(
            credential_name("BROKER_AUTH"),
            Some("an authentication credential")
        );
        assert_eq!(credential_name("CI_TOKEN"), Some("a token"));
    }

    #[test]
    fn names_of_settings_about_credentials_are_not_credentials() {
        for name in [
            "PASSWORD_FILE",
            "DB_PASSWORD_PATH",
            "TOKEN_TTL",
            "SECRET_NAME",
            "AUTH_MODE",
            "OAUTH_ISSUER",
            "AUTHOR",
            "AWS_ACCESS_KEY_ID",
            "KEY",
            "PASSWORDLESS",
        ] {
            assert_eq!(credential_name(name), None, "{name}");
        }
    }

    #[test]
    fn settings_paths_and_references_are_not_literals() {
        for value in [
            "",
            "  ",
            "true",
            "Disabled",
            "3600",
            "/run/secrets/db-password",
            "$(DB_PASSWORD)",
            "${VAULT_TOKEN}",
            "$TOKEN",
            "Bearer $(API_TOKEN)",
        ] {
            assert!(!is_credential_literal(value), "{value:?}");
        }
        for value in ["hunter2", "changeme", "1234567", "s3cr3t value"] {
            assert!(is_credential_literal(value), "{value:?}");
        }
    }

    #[test]
    fn well_known_formats_are_recognised_and_named_with_their_rule() {
        let cases = [
            (
                "AKIAZ5QH3XKT7VW2LM4N",
                "an AWS access key ID (gitleaks rule aws-access-token)",
            ),
            (
                "ghp_R8mZq2vXk4LpT9wN3bYc6HdJ1sFa7Ge5Ku0i",
                "a GitHub personal access token (gitleaks rule github-pat)",
            ),
            (
                "glpat-abcdefghij0123456789",
                "a GitLab personal access token (gitleaks rule gitlab-pat)",
            ),
            (
                "xoxb-2048576314-5170092786243-Tq8VzR1mKc4WnY7pLd2sXf9B",
                "a Slack bot token (gitleaks rule slack-bot-token)",
            ),
            (
                "AIzaSyA1234567890abcdefghijklmnopqrstuv",
                "a Google Cloud API key (gitleaks rule gcp-api-key)",
            ),
            (
                "sk_live_abcdefghijklmnopqrstuvwx",
                "a Stripe secret key (gitleaks rule stripe-access-token)",
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
                "a JSON Web Token (gitleaks rule jwt)",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8Z4L1kHq\n\
                 -----END RSA PRIVATE KEY-----",
                "a private key (gitleaks rule private-key)",
            ),
            (
                "postgres://app:s3cret@db:5432/app",
                "a URL with an embedded password",
            ),
            (
                "url = redis://:pw@redis:6379/0",
                "a URL with an embedded password",
            ),
        ];
        for (value, what) in cases {
            assert_eq!(credential_shape(value).as_deref(), Some(what), "{value}");
        }
    }

    #[test]
    fn vendor_names_and_their_keywords_are_credentials() {
        for (name, what) in [
            ("AWS_SECRET_ACCESS_KEY", "an AWS secret access key"),
            ("AZURE_CLIENT_SECRET", "an Azure client secret"),
            (
                "GOOGLE_APPLICATION_CREDENTIALS",
                "Google Cloud service account credentials",
            ),
            ("STRIPE_SECRET_KEY", "a Stripe secret key"),
            ("SLACK_BOT_TOKEN", "a Slack bot token"),
            ("TWILIO_AUTH_TOKEN", "a Twilio auth token"),
            ("SENDGRID_API_KEY", "a SendGrid API key"),
            ("NEW_RELIC_LICENSE_KEY", "a New Relic license key"),
            ("PGPASSWORD", "a PostgreSQL password"),
            ("rabbitmq-default-pass", "a RabbitMQ password"),
        ] {
            assert_eq!(credential_name(name), Some(what), "{name}");
        }
        let found = literal_credential(
            "DATADOG_KEY",
            "d41d8cd98f00b204e9800998ecf8427e1a2b3c4d",
            "a variable",
        );
        assert_eq!(
            found.as_deref(),
            Some(
                "a literal value (redacted) that looks like a Datadog key (gitleaks rule datadog-access-token)"
            )
        );
        assert_eq!(
            literal_credential(
                "CHECKSUM",
                "d41d8cd98f00b204e9800998ecf8427e1a2b3c4d",
                "a variable"
            ),
            None
        );
    }

    #[test]
    fn urls_without_a_literal_password_and_ordinary_text_are_fine() {
        for value in [
            "postgres://app:$(DB_PASSWORD)@db:5432/app",
            "postgres://app:${DB_PASSWORD}@db/app",
            "postgres://app@db:5432/app",
            "https://api.example.com:8443/v1",
            "http://user:@host/",
            "AKIA-not-a-key",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "xoxb-1234567890-abcdef",
            "-----BEGIN PRIVATE KEY-----",
            "-----BEGIN CERTIFICATE-----",
            "server { listen 8080; }",
        ] {
            assert_eq!(credential_shape(value), None, "{value}");
        }
    }

    #[test]
    fn findings_never_contain_the_value() {
        let found = literal_credential("DB_PASSWORD", "hunter2", "a variable").unwrap();
        assert!(!found.contains("hunter2"));
        assert_eq!(
            found,
            "a literal value (redacted) for a variable named like a password"
        );
        let found = literal_credential("X", "AKIAZ5QH3XKT7VW2LM4N", "a key").unwrap();
        assert!(!found.contains("AKIA"));
        assert_eq!(literal_credential("LOG_LEVEL", "info", "a key"), None);
    }
}
