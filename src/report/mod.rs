//! Reporters: siblings that read a finished (or interrupted) [`RunRecord`]
//! and write one file each under the report directory: `junit.xml` for CI,
//! `summary.json` for machines, `summary.md` for a merge request. The
//! terminal summary (`human`) is one more sibling. None of them runs checks.

pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;

use std::path::{Path, PathBuf};

use crate::error::InputError;
use crate::runner::record::RunRecord;
use crate::verdict::Verdict;

/// Writes every report file into `dir` (created if needed) and returns
/// their paths.
pub fn write_all(
    record: &RunRecord,
    verdict: Verdict,
    dir: &Path,
) -> Result<Vec<PathBuf>, InputError> {
    let place = dir.display().to_string();
    std::fs::create_dir_all(dir)
        .map_err(|e| InputError::new(&place, format!("cannot create the report directory: {e}")))?;
    let files = [
        ("junit.xml", junit::render(record)),
        ("summary.json", json::render(record, verdict)),
        ("summary.md", markdown::render(record, verdict)),
    ];
    let mut written = Vec::new();
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|e| {
            InputError::new(path.display().to_string(), format!("cannot write: {e}"))
        })?;
        written.push(path);
    }
    Ok(written)
}
