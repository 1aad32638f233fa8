//! golive's own YAML files (stack files, load profiles): one document read
//! with the position of every node, so that each problem names
//! `file:line:column`, and the small value syntaxes they share (durations).

use std::path::Path;
use std::time::Duration;

use super::yaml::{self, Node};
use crate::error::InputError;

/// One YAML document and the name of the file it came from.
#[derive(Debug, Clone)]
pub struct Document {
    pub name: String,
    pub root: Node,
}

impl Document {
    /// Reads `path`, which must hold exactly one YAML document; `what` names
    /// the kind of file in messages ("stack file", "load profile").
    pub fn read(path: &Path, what: &str) -> Result<Document, InputError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(&name, format!("cannot read the {what}: {e}")))?;
        let documents = yaml::parse_documents(&text).map_err(|e| {
            let place = e
                .position
                .map_or(name.clone(), |p| format!("{name}:{}:{}", p.line, p.column));
            InputError::new(place, format!("not valid YAML: {}", e.message))
        })?;
        let mut documents = documents.into_iter().flatten();
        let root = documents
            .next()
            .ok_or_else(|| InputError::new(&name, format!("the {what} is empty")))?;
        if documents.next().is_some() {
            return Err(InputError::new(
                &name,
                format!("a {what} holds one YAML document"),
            ));
        }
        Ok(Document { name, root })
    }

    /// Whether the document writes the field at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.root.at_path(path).is_some()
    }

    /// An error at a field path (`services.api.ports[0]`), located at the
    /// field or its closest parent present in the document.
    pub fn error_at(&self, path: &str, message: impl Into<String>) -> InputError {
        let position = self.root.position_of(path);
        let place = format!("{}:{}:{}", self.name, position.line, position.column);
        let message = message.into();
        if path.is_empty() {
            InputError::new(place, message)
        } else {
            InputError::new(place, format!("{path}: {message}"))
        }
    }
}

/// `250ms`, `5s`, `2m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 250ms, 5s, 2m)"))?;
    let too_long = || format!("{text:?} is too long a duration");
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        "m" => Ok(Duration::from_secs(
            number.checked_mul(60).ok_or_else(too_long)?,
        )),
        _ => Err(format!("{text:?} is not a duration (e.g. 250ms, 5s, 2m)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("999999999999999999m").is_err());
    }

    #[test]
    fn one_document_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.yaml");
        std::fs::write(&path, "a: 1\n---\nb: 2\n").unwrap();
        let error = Document::read(&path, "load profile").unwrap_err();
        assert!(error.message.contains("one YAML document"), "{error}");
        std::fs::write(&path, "# nothing\n").unwrap();
        let error = Document::read(&path, "load profile").unwrap_err();
        assert!(
            error.message.contains("the load profile is empty"),
            "{error}"
        );
    }
}
