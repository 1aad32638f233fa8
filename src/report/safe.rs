//! Text from the input (object and container names, annotations such as
//! `golive.dev/skip-reason`, env var names, finding texts, step messages)
//! made safe for each kind of output, one function per kind: the terminal,
//! XML, HTML and Markdown. Manifests are not validated by an API server, so
//! their strings may hold anything: control characters, ANSI escape
//! sequences, `]]>`, `<`, `&`, `|`, newlines.
//!
//! Control characters (C0 but tab and newline, DEL, C1), the two
//! characters XML forbids outright (U+FFFE, U+FFFF) and the bidirectional
//! overrides that reorder what a reader sees are rendered *visibly*
//! (`\x1b`, `\u{202e}`) in every output, so a report shows what the input
//! holds without acting on it. Not for `summary.json`: JSON escapes every
//! character itself and machines get the text as it is.

/// Appends the visible form of `c` to `out` when it is a character no
/// report may carry as it is; returns whether it was one.
fn visible(c: char, out: &mut String) -> bool {
    let hidden = (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{fffe}' | '\u{ffff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if hidden {
        if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    hidden
}

/// `text` with every character [`visible`] renders replaced by its
/// visible form, and nothing else changed.
fn controls_shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !visible(c, &mut out) {
            out.push(c);
        }
    }
    out
}

/// Text for the terminal: nothing that a terminal interprets (escape
/// sequences, carriage returns, bells) beyond tabs and line breaks.
pub fn terminal(text: &str) -> String {
    controls_shown(text)
}

/// Text for an XML attribute or text node, before the writer escapes
/// `<`, `&` and quotes: XML 1.0 forbids most control characters even as
/// character references, so they are rendered visibly instead.
pub fn xml(text: &str) -> String {
    controls_shown(text)
}

/// Text for the content of a CDATA section (written between `<![CDATA[`
/// and `]]>` as it is): [`xml`], and every `]]>` split across two
/// sections, since nothing can be escaped inside one.
pub fn cdata(text: &str) -> String {
    xml(text).replace("]]>", "]]]]><![CDATA[>")
}

/// Text for HTML content or a quoted attribute value.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if visible(c, &mut out) => {}
            c => out.push(c),
        }
    }
    out
}

/// Plain Markdown text that reads as itself in a table cell, a list item or
/// a paragraph of its own: `|` cannot end a cell, a newline cannot end the
/// line (it becomes `<br>`), no HTML, entity or code span starts, a
/// backslash stays a backslash, and a leading `#`, `-`, `+`, `*` or `=`
/// makes no heading or list.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    if chars
        .peek()
        .is_some_and(|c| matches!(c, '#' | '-' | '+' | '*' | '='))
    {
        out.push('\\');
    }
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("<br>"),
            // Only where they could start an entity or an HTML tag, so that
            // `p95 < 200 ms` and `R&D` read the same in a terminal.
            '&' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#') =>
            {
                out.push_str("\\&");
            }
            '<' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                out.push_str("\\<");
            }
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            // A backslash escapes only the ASCII punctuation after it.
            '\\' if chars.peek().is_some_and(char::is_ascii_punctuation) => {
                out.push_str("\\\\");
            }
            c if visible(c, &mut out) => {}
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span holding `text` literally, fit for a table cell:
/// its fence is longer than any run of backticks inside, `|` is escaped
/// (GitHub and GitLab split cells before reading code spans) and a newline
/// is rendered visibly like a control character. Empty text is an empty
/// string, not an empty span.
pub fn markdown_code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut body = String::with_capacity(text.len());
    let (mut run, mut longest_run) = (0, 0);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest_run = longest_run.max(run);
        match c {
            '|' => body.push_str("\\|"),
            '\n' => body.push_str("\\x0a"),
            c if visible(c, &mut body) => {}
            c => body.push(c),
        }
    }
    let fence = "`".repeat(longest_run + 1);
    // A span that starts or ends with a backtick needs a space inside its
    // fence, and one space on each side is stripped when read.
    let pad = if body.starts_with('`') || body.ends_with('`') || body.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// What the tests of the reporters share.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The rows of a Markdown text's tables whose cell count differs from
    /// their header's, split as cmark-gfm (GitHub) and comrak (GitLab) do:
    /// on every `|` that does not follow a backslash.
    pub(crate) fn broken_table_rows(markdown: &str) -> Vec<String> {
        let cells = |line: &str| {
            let mut previous = ' ';
            let mut count = 0;
            for c in line.chars() {
                if c == '|' && previous != '\\' {
                    count += 1;
                }
                previous = c;
            }
            count
        };
        let mut broken = Vec::new();
        let mut header = None;
        for line in markdown.lines() {
            if !line.starts_with('|') {
                header = None;
            } else if let Some(expected) = header {
                if cells(line) != expected {
                    broken.push(line.to_string());
                }
            } else {
                header = Some(cells(line));
            }
        }
        broken
    }

    const HOSTILE: &str =
        "a\u{1b}[31mred\u{7}\r|`]]>&<b>\u{0}\u{7f}\u{9b}\u{202e}\u{ffff}\nnext\tcol";

    #[test]
    fn the_terminal_gets_no_control_character_but_tabs_and_newlines() {
        let text = terminal(HOSTILE);
        assert!(
            text.chars()
                .all(|c| !c.is_control() || c == '\n' || c == '\t'),
            "{text:?}"
        );
        assert!(
            text.starts_with("a\\x1b[31mred\\x07\\x0d|`]]>&<b>\\x00\\x7f\\x9b\\u{202e}\\u{ffff}\n")
        );
        assert!(text.ends_with("next\tcol"));
    }

    #[test]
    fn cdata_splits_its_end_marker_and_stays_parseable() {
        let content = cdata(HOSTILE);
        assert_eq!(content.matches("]]>").count(), 1, "{content}");
        let document = format!("<r><![CDATA[{content}]]></r>");
        let parsed = roxmltree::Document::parse(&document).expect("well-formed XML");
        let text: String = parsed
            .root_element()
            .children()
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(text, terminal(HOSTILE));
    }

    #[test]
    fn html_escapes_markup_and_shows_controls() {
        assert_eq!(
            html("<a href=\"x\">&'\u{1b}</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;\\x1b&lt;/a&gt;"
        );
    }

    #[test]
    fn markdown_text_cannot_end_a_cell_a_line_or_start_markup() {
        assert_eq!(
            markdown("# a|b\nc `d` <i>&amp; \\| \\x"),
            "\\# a\\|b<br>c \\`d\\` \\<i>\\&amp; \\\\\\| \\x"
        );
        assert_eq!(markdown("- item"), "\\- item");
        assert_eq!(markdown("x\u{1b}[0m"), "x\\x1b[0m");
    }

    #[test]
    fn markdown_rows_keep_their_cells_whatever_the_text() {
        let table = format!(
            "| a | b | c |\n|---|---|---|\n| {} | {} | x |\n",
            markdown(HOSTILE),
            markdown_code(HOSTILE)
        );
        assert_eq!(broken_table_rows(&table), Vec::<String>::new(), "{table}");
        let raw = format!("| a | b |\n|---|---|\n| {HOSTILE} | x |\n");
        assert_eq!(broken_table_rows(&raw).len(), 1, "the check itself");
    }

    #[test]
    fn a_code_span_fence_outgrows_the_backticks_inside() {
        assert_eq!(markdown_code("api"), "`api`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("``x"), "``` ``x ```");
        assert_eq!(markdown_code("a|b\nc\u{1b}"), "`a\\|b\\x0ac\\x1b`");
        assert_eq!(markdown_code(""), "");
    }
}
