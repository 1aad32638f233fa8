//! The dossier's page: the document around the body, and its one inline
//! style sheet — colours for the screen, text and borders that read the
//! same in black and white, and print rules that keep each line of the
//! checklist, each item and each chart on one page.

/// A whole page: `title` (already escaped) and `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
{STYLE}
</style></head><body>
{body}
</body></html>
"#
    )
}

const STYLE: &str = r#"body { font-family: sans-serif; margin: 2em; max-width: 64em; color: #111; }
table { border-collapse: collapse; margin: 0.6em 0; }
td, th { border: 1px solid #999; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
figure { margin: 1em 0; } figcaption { font-weight: bold; }
code, pre { font-family: monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
table.findings, table.observations { width: 100%; table-layout: fixed; font-size: 0.9em; }
td { overflow-wrap: anywhere; }
.banner { border: 4px solid #111; padding: 0.6em 1em; margin-bottom: 1em; }
.banner h1 { margin: 0; }
.banner[data-verdict="ready"] { background: #e6f4ea; }
.banner[data-verdict="not-ready"] { background: #fdecea; }
.banner[data-verdict="could-not-evaluate"] { background: #fff4e0; }
.line, .item { border: 1px solid #999; padding: 0.4em 0.8em; margin: 0.6em 0; }
.line > h4, .item > h5 { margin: 0.2em 0; }
.item p, .item ul, .line p { margin: 0.25em 0; }
.status { font-weight: bold; border: 1px solid #111; padding: 0 0.3em; white-space: nowrap; }
[data-status="passed"] > h4 .status, [data-status="passed"] > h5 .status, td.status[data-status="passed"] { color: #1e7e34; }
[data-status="failed"] > h4 .status, [data-status="failed"] > h5 .status, td.status[data-status="failed"] { color: #c0392b; border-width: 2px; }
[data-status="could-not-evaluate"] .status, [data-status="not-evaluated"] .status { color: #a05a00; border-style: dashed; }
[data-status="not-applicable"] .status, [data-status="not-run"] .status, [data-status="no-item"] .status { color: #555; border-style: dotted; }
.quote { font-style: italic; color: #333; }
.suppressed { color: #555; text-decoration: line-through; }
.conflict { font-weight: bold; }
tr.met td:first-child { color: #1e7e34; } tr.missed td:first-child { color: #c0392b; font-weight: bold; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  .line, .item, figure, tr, .banner { break-inside: avoid; page-break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .banner { background: none !important; }
}"#;
