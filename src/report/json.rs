//! `summary.json`: the whole run record plus the verdict, for machines. The
//! schema is documented in the README ("summary.json").

use serde::Serialize;

use crate::record::{RunRecord, SCHEMA_VERSION};
use crate::verdict::Verdict;

#[derive(Serialize)]
struct Summary<'a> {
    schema_version: u32,
    verdict: Verdict,
    exit_code: i32,
    #[serde(flatten)]
    record: &'a RunRecord,
}

pub fn render(record: &RunRecord, verdict: Verdict) -> String {
    let summary = Summary {
        schema_version: SCHEMA_VERSION,
        verdict,
        exit_code: verdict.exit_code(),
        record,
    };
    serde_json::to_string_pretty(&summary)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise the summary: {e}\"}}"))
}
