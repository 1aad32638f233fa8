//! Reports stay valid whatever the input holds: `fixtures/hostile/` names a
//! Deployment, its namespace, a container and an env var with control
//! characters, ANSI escape sequences, `]]>`, markup, `|`, backticks and
//! newlines, and waives a check with such a `golive.dev/skip-reason`. The
//! real binary runs on it; junit.xml must parse, summary.md tables keep
//! their cells, the terminal gets no control character, and every report
//! still shows the texts, visibly.

mod common;

use common::{array, broken_table_rows, findings, run};

const TARGET: &str = "manifests:fixtures/hostile";
/// The Deployment's name in the fixture, as the YAML means it.
const NAME: &str = "api\u{1b}[31m-red\u{1b}[0m|pipe`tick`]]>end<b>&amp;\nREADY: 49 passed\r";
/// Its visible form in the terminal and in junit.xml.
const NAME_SHOWN: &str = "api\\x1b[31m-red\\x1b[0m|pipe`tick`]]>end<b>&amp;\nREADY: 49 passed\\x0d";

#[test]
fn every_report_stays_valid_and_shows_hostile_texts_visibly() {
    let run = run(&["--target", TARGET]);
    // Parses junit.xml and summary.json and checks the verdict everywhere.
    run.assert_exit(1);

    // summary.json keeps the texts as they are (JSON escapes them itself).
    let summary = run.summary();
    let all = findings(&summary);
    assert!(
        all.iter().any(|f| f["object"]["name"] == NAME),
        "{}",
        run.context()
    );
    let waived = all
        .iter()
        .find_map(|f| f["suppressed"].as_str())
        .expect("the waiver's reason is reported");
    assert!(
        waived.contains("]]><script>") && waived.contains('\u{1b}'),
        "{waived}"
    );

    // junit.xml parses, and its texts read back as the terminal shows them.
    let junit = run.junit();
    let document = roxmltree::Document::parse(&junit).expect("junit.xml is XML");
    let texts: Vec<String> = document
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    let text = texts.concat();
    assert!(text.contains(NAME_SHOWN), "{junit}");
    assert!(
        text.contains("list]]><script>alert(1)</script>\\x00nul"),
        "{junit}"
    );
    assert!(
        !junit.chars().any(|c| c.is_control() && c != '\n'),
        "a control character in junit.xml"
    );

    // summary.md: every table row has its header's cells; nothing from the
    // input starts a line of its own (a heading, a list item).
    let markdown = run.markdown();
    assert_eq!(
        broken_table_rows(&markdown),
        Vec::<String>::new(),
        "{markdown}"
    );
    assert!(markdown.contains("### Findings"), "{markdown}");
    // The waiver's reason is plain text: its markup is escaped (the names
    // are code spans, where markup is text).
    // (a backslash before `<` keeps it text in CommonMark and GFM).
    assert!(markdown.contains("\\<script>"), "{markdown}");
    assert!(
        !markdown.replace("\\<script>", "").contains("<script>"),
        "{markdown}"
    );
    assert!(
        !markdown.chars().any(|c| c.is_control() && c != '\n'),
        "a control character in summary.md"
    );
    for line in markdown.lines() {
        assert!(
            !line.starts_with("- list") && !line.starts_with("READY"),
            "a line from the input: {line:?}"
        );
    }

    // The terminal: no escape sequence or other control character, the
    // names shown with their controls visible.
    assert!(
        !run.stdout
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "a control character on the terminal\n{:?}",
        run.stdout
    );
    assert!(
        run.stdout.contains("api\\x1b[31m-red\\x1b[0m"),
        "{}",
        run.context()
    );
    // A name's newline cannot forge the verdict line: it stays indented
    // under its finding.
    let verdicts: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("READY") || l.starts_with("NOT READY"))
        .collect();
    assert_eq!(verdicts.len(), 1, "{}", run.context());
    assert!(verdicts[0].starts_with("NOT READY: "), "{}", run.context());
    assert!(array(&summary["features"]).len() > 1);
}
