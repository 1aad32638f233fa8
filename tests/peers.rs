//! Agreement with the peer tools (Polaris, kube-score, kube-linter, Checkov) on their
//! own test fixtures: fixtures/peers/cases.yaml lists each fixture with the
//! peer's verdict and the golive check that judges the same thing; golive
//! runs on every case and its verdict is compared with the peer's.
//!
//! golive's verdict is "fail" when the check reports an active finding (on
//! the case's object and container, when it names them) and "pass"
//! otherwise: a check that
//! evaluates nothing (`not_applicable`) has no finding and passes.
//!
//! Every disagreement must be a deliberate difference (`differs:`, explained
//! under the check in docs/checks.md) or a known bug (`pending:`); every
//! other case must agree. Fixtures golive cannot judge (`unjudged:`) must
//! evaluate nothing and stay out of the figures. The table (per peer, per
//! check) goes to standard output and, when GOLIVE_PEERS_REPORT names a
//! file, to that file (scripts/peers.sh).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use common::{array, check_outcomes, golive, is_active, root, run};
use serde::Deserialize;
use serde_json::Value;

const CORPUS_DIR: &str = "fixtures/peers";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    peers: BTreeMap<String, Peer>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Peer {
    repository: String,
    licence: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    upstream: String,
    peer: String,
    peer_check: String,
    peer_verdict: Verdict,
    check: String,
    object: Option<String>,
    container: Option<String>,
    differs: Option<String>,
    pending: Option<String>,
    unjudged: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Pass,
    Fail,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        })
    }
}

/// What the case data says about golive's verdict on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// golive must agree with the peer.
    Agrees,
    /// golive deliberately disagrees.
    Differs,
    /// golive disagrees because of a known bug.
    Pending,
    /// golive cannot judge the fixture: it must evaluate nothing.
    Unjudged,
}

impl Case {
    fn name(&self) -> String {
        let on: Vec<String> = [&self.object, &self.container]
            .into_iter()
            .flatten()
            .map(|o| format!(" [{o}]"))
            .collect();
        format!("{}{} {}", self.file, on.concat(), self.check)
    }

    fn standing(&self) -> Result<Standing, String> {
        let marks: Vec<(Standing, &str)> = [
            (Standing::Differs, &self.differs),
            (Standing::Pending, &self.pending),
            (Standing::Unjudged, &self.unjudged),
        ]
        .into_iter()
        .filter_map(|(standing, reason)| reason.as_deref().map(|r| (standing, r)))
        .collect();
        match marks.as_slice() {
            [] => Ok(Standing::Agrees),
            [(standing, reason)] if reason.trim().len() >= 10 => Ok(*standing),
            [(_, reason)] => Err(format!(
                "{}: the reason {reason:?} says nothing",
                self.name()
            )),
            _ => Err(format!(
                "{}: at most one of differs, pending, unjudged",
                self.name()
            )),
        }
    }

    /// The case's object as (kind, namespace, name).
    fn object(&self) -> Option<(&str, Option<&str>, &str)> {
        let object = self.object.as_deref()?;
        Some(match object.split('/').collect::<Vec<_>>()[..] {
            [kind, name] => (kind, None, name),
            [kind, namespace, name] => (kind, Some(namespace), name),
            _ => panic!(
                "{}: object is Kind/name or Kind/namespace/name",
                self.name()
            ),
        })
    }

    /// Whether a finding is on the case's object and container (any
    /// finding, without them).
    fn concerns(&self, finding: &Value) -> bool {
        let container_ok = self
            .container
            .as_deref()
            .is_none_or(|c| finding["container"] == c);
        let object_ok = self.object().is_none_or(|(kind, namespace, name)| {
            let reference = &finding["object"];
            reference["kind"] == kind
                && reference["namespace"].as_str() == namespace
                && reference["name"] == name
        });
        container_ok && object_ok
    }
}

fn corpus() -> Corpus {
    let path = root().join(CORPUS_DIR).join("cases.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The catalogue's deliberate differences: check ID -> peers it names.
fn catalogue_differences() -> BTreeMap<String, BTreeSet<String>> {
    let printed = golive(&["checks", "--json"]);
    printed.assert_code(0);
    let catalogue: Value = serde_json::from_str(&printed.stdout).expect("the catalogue is JSON");
    array(&catalogue)
        .iter()
        .map(|check| {
            let peers = array(&check["differences"])
                .iter()
                .map(|d| {
                    d["peer"]
                        .as_str()
                        .expect("a difference names its peer")
                        .to_string()
                })
                .collect();
            (check["id"].as_str().expect("a check ID").to_string(), peers)
        })
        .collect()
}

#[test]
fn the_corpus_names_known_peers_checks_and_files_and_its_differences_are_documented() {
    let corpus = corpus();
    let differences = catalogue_differences();
    let mut problems = Vec::new();
    for (name, peer) in &corpus.peers {
        if peer.repository.split('/').count() != 2 || peer.licence.is_empty() {
            problems.push(format!("peer {name}: repository owner/name and licence"));
        }
    }
    let mut documented_and_measured = BTreeSet::new();
    let mut names = BTreeSet::new();
    for case in &corpus.cases {
        if !names.insert(case.name()) {
            problems.push(format!("{}: listed twice", case.name()));
        }
        if !corpus.peers.contains_key(&case.peer) {
            problems.push(format!("{}: unknown peer {}", case.name(), case.peer));
        }
        let Ok(text) = std::fs::read_to_string(root().join(CORPUS_DIR).join(&case.file)) else {
            problems.push(format!("{}: no such fixture", case.name()));
            continue;
        };
        let declares = |field: &str, value: &str| {
            text.lines()
                .any(|l| l.trim().trim_start_matches("- ") == format!("{field}: {value}"))
        };
        if let Some((kind, namespace, name)) = case.object()
            && (!declares("kind", kind)
                || !declares("name", name)
                || namespace.is_some_and(|ns| !declares("namespace", ns)))
        {
            problems.push(format!("{}: the fixture has no such object", case.name()));
        }
        if let Some(container) = &case.container
            && !declares("name", container)
        {
            problems.push(format!(
                "{}: the fixture has no such container",
                case.name()
            ));
        }
        if !case.file.starts_with(&format!("{}/", case.peer)) {
            problems.push(format!(
                "{}: the file is not under {}/",
                case.name(),
                case.peer
            ));
        }
        if !case.upstream.contains('@') || case.peer_check.is_empty() {
            problems.push(format!(
                "{}: upstream path@commit and peer_check",
                case.name()
            ));
        }
        let Some(documented) = differences.get(&case.check) else {
            problems.push(format!(
                "{}: no check {} in the catalogue",
                case.name(),
                case.check
            ));
            continue;
        };
        match case.standing() {
            Ok(Standing::Differs) if !documented.contains(&case.peer) => problems.push(format!(
                "{}: differs from {}, but the metadata of {} lists no difference from it",
                case.name(),
                case.peer,
                case.check
            )),
            Ok(Standing::Differs) => {
                documented_and_measured.insert((case.check.clone(), case.peer.clone()));
            }
            Ok(_) => {}
            Err(problem) => problems.push(problem),
        }
    }
    for (check, peers) in &differences {
        for peer in peers {
            if !documented_and_measured.contains(&(check.clone(), peer.clone())) {
                problems.push(format!(
                    "{check}: documents a difference from {peer} that no `differs:` case shows"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What golive made of one fixture with one check.
struct Outcome {
    /// Subjects the check evaluated.
    evaluated: u64,
    /// Its active findings.
    findings: Vec<Value>,
}

fn judge(file: &str, check: &str) -> Outcome {
    let target = format!("manifests:{CORPUS_DIR}/{file}");
    let run = run(&["--target", &target, "--checks", check]);
    let summary = run.summary();
    let errors = array(&summary["input_errors"]);
    assert!(
        errors.is_empty(),
        "{file}: golive cannot read it: {errors:?}\n{}",
        run.context()
    );
    let outcomes: Vec<&Value> = check_outcomes(&summary)
        .into_iter()
        .filter(|o| o["check"] == check)
        .collect();
    assert!(
        !outcomes.is_empty(),
        "{file}: no scenario ran {check}\n{}",
        run.context()
    );
    Outcome {
        evaluated: outcomes
            .iter()
            .filter_map(|o| o["evaluated"].as_u64())
            .sum(),
        findings: outcomes
            .iter()
            .flat_map(|o| array(&o["findings"]).iter())
            .filter(|f| is_active(f))
            .cloned()
            .collect(),
    }
}

/// Agreement figures of one row of the table.
#[derive(Default)]
struct Tally {
    agree: usize,
    judged: usize,
    differs: usize,
    pending: usize,
    unjudged: usize,
}

impl Tally {
    fn add(&mut self, standing: Standing, agrees: bool) {
        if standing == Standing::Unjudged {
            self.unjudged += 1;
            return;
        }
        self.judged += 1;
        self.agree += usize::from(agrees);
        self.differs += usize::from(standing == Standing::Differs && !agrees);
        self.pending += usize::from(standing == Standing::Pending && !agrees);
    }

    fn absorb(&mut self, other: &Tally) {
        self.agree += other.agree;
        self.judged += other.judged;
        self.differs += other.differs;
        self.pending += other.pending;
        self.unjudged += other.unjudged;
    }

    /// The share of judged cases that agree, as `97.5 %` (`-` without any).
    fn percent(&self) -> String {
        if self.judged == 0 {
            "-".to_string()
        } else {
            format!("{:.1} %", 100.0 * self.agree as f64 / self.judged as f64)
        }
    }

    fn row(&self, peer: &str, check: &str) -> String {
        format!(
            "{peer:<12} {check:<32} {:>4}/{:<4} {:>8} {:>7} {:>7} {:>8}\n",
            self.agree,
            self.judged,
            self.percent(),
            self.differs,
            self.pending,
            self.unjudged
        )
    }
}

#[test]
fn golive_agrees_with_the_peers_on_their_own_fixtures_or_says_why_not() {
    let corpus = corpus();
    let mut outcomes: BTreeMap<(String, String), Outcome> = BTreeMap::new();
    let mut table: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut problems = Vec::new();
    for case in &corpus.cases {
        let standing = case
            .standing()
            .unwrap_or_else(|problem| panic!("{problem}"));
        let outcome = outcomes
            .entry((case.file.clone(), case.check.clone()))
            .or_insert_with(|| judge(&case.file, &case.check));
        let verdict = if outcome.findings.iter().any(|f| case.concerns(f)) {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        let agrees = verdict == case.peer_verdict;
        let said = format!(
            "{} ({} {}): {} says {}, golive {verdict}",
            case.name(),
            case.peer,
            case.peer_check,
            case.peer,
            case.peer_verdict
        );
        match standing {
            Standing::Agrees if !agrees => problems.push(format!(
                "{said}: fix golive or mark the case `differs:` (documented under the check) or `pending:`"
            )),
            Standing::Differs if agrees => {
                problems.push(format!("{said}: they agree now, remove `differs:`"))
            }
            Standing::Pending if agrees => {
                problems.push(format!("{said}: fixed, remove `pending:`"))
            }
            Standing::Unjudged if outcome.evaluated > 0 => problems.push(format!(
                "{said}: golive judges it now ({} evaluated), remove `unjudged:`",
                outcome.evaluated
            )),
            _ => {}
        }
        table
            .entry((case.peer.clone(), case.check.clone()))
            .or_default()
            .add(standing, agrees);
    }
    let report = report(&table);
    print!("{report}");
    if let Ok(path) = std::env::var("GOLIVE_PEERS_REPORT") {
        std::fs::write(&path, &report).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The agreement table: one row per peer and check, a total per peer, and
/// the overall figures.
fn report(table: &BTreeMap<(String, String), Tally>) -> String {
    let mut out = format!(
        "{:<12} {:<32} {:>9} {:>8} {:>7} {:>7} {:>8}\n",
        "peer", "golive check", "agree", "", "differs", "pending", "unjudged"
    );
    let mut overall = Tally::default();
    let mut peers: BTreeMap<&str, Tally> = BTreeMap::new();
    for ((peer, check), tally) in table {
        out.push_str(&tally.row(peer, check));
        peers.entry(peer).or_default().absorb(tally);
        overall.absorb(tally);
    }
    out.push('\n');
    for (peer, tally) in &peers {
        out.push_str(&tally.row(peer, "(all checks)"));
    }
    out.push_str(&overall.row("all peers", "(all checks)"));
    let explained = overall.agree + overall.differs + overall.pending;
    let outside = overall.judged - overall.differs - overall.pending;
    let _ = write!(
        out,
        "\n{} cases, {} judged by golive ({} it cannot judge). golive agrees with the peer on {} ({}); \
         {} deliberate differences, {} pending bugs; {explained} of {} agree or are explained. \
         Outside deliberate differences and pending bugs: {} of {outside} agree.\n",
        overall.judged + overall.unjudged,
        overall.judged,
        overall.unjudged,
        overall.agree,
        overall.percent(),
        overall.differs,
        overall.pending,
        overall.judged,
        overall.agree,
    );
    out
}
