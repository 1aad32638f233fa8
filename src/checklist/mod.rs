//! The go-live checklist, defined in one place: every line of the two
//! checklists of the Production Deployment Guide (seed 001: "Checklist
//! Pre-Production" and "Go-Live Checklist"), each with the ID features tag
//! it with (`@GL-SEC-05`), its section, its source quote verbatim, and a
//! short English title. Lines no feature proves yet are here too, so the
//! dossier's coverage table can say so ([`coverage`]).
//!
//! Decisions kept here:
//! - One requirement, one ID. Load testing is asked twice (pre-production
//!   "Tests de charge effectues" and J-7 "Load testing complete"): it is
//!   `GL-APP-06`, whose second quote is in [`Line::also`]; the dossier lists
//!   it under both sections with one status.
//! - Some IDs came before the registry and name a requirement the seed
//!   states outside the two checklists (`GL-APP-05`: the hand-over
//!   checklist of seed 002; `GL-HA-02`: the RTO/RPO table) or details one
//!   line (`GL-SEC-07` and `GL-APP-01`): they keep their meaning and say
//!   which line they serve in [`Line::refines`].
//! - `GL-SEC-04` is not used: "RBAC configure" was tagged `GL-SEC-08`
//!   before this registry, and an ID never changes meaning.
//! - Lines no ID existed for are numbered by their place in their list:
//!   `GL-INF-n` (infrastructure), `GL-APP-08`, `GL-J7-n`, `GL-J1-n`,
//!   `GL-D0-n` (D-Day) and `GL-D1-n` (J+1, D+1).

pub mod coverage;
mod lines;

pub use lines::LINES;

/// Where a line sits in the seed's checklists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    PreProductionInfrastructure,
    PreProductionSecurity,
    PreProductionApplication,
    GoLiveJ7,
    GoLiveJ1,
    GoLiveDDay,
    GoLiveJPlus1,
}

impl Section {
    /// Every section, in the seed's order.
    pub const ALL: [Section; 7] = [
        Section::PreProductionInfrastructure,
        Section::PreProductionSecurity,
        Section::PreProductionApplication,
        Section::GoLiveJ7,
        Section::GoLiveJ1,
        Section::GoLiveDDay,
        Section::GoLiveJPlus1,
    ];

    /// The seed's headings: (checklist, section).
    pub fn headings(self) -> (&'static str, &'static str) {
        match self {
            Section::PreProductionInfrastructure => (PRE_PRODUCTION, "Infrastructure"),
            Section::PreProductionSecurity => (PRE_PRODUCTION, "Securite"),
            Section::PreProductionApplication => (PRE_PRODUCTION, "Application"),
            Section::GoLiveJ7 => (GO_LIVE, "J-7"),
            Section::GoLiveJ1 => (GO_LIVE, "J-1"),
            Section::GoLiveDDay => (GO_LIVE, "D-Day"),
            Section::GoLiveJPlus1 => (GO_LIVE, "J+1"),
        }
    }

    /// `Checklist Pre-Production › Securite`.
    pub fn title(self) -> String {
        let (checklist, section) = self.headings();
        format!("{checklist} › {section}")
    }
}

const PRE_PRODUCTION: &str = "Checklist Pre-Production";
const GO_LIVE: &str = "Go-Live Checklist";

/// The seed file both checklists come from.
pub const SEED_001: &str = "001_027238c2194e83a3.txt";

/// A passage of a seed, verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub seed: &'static str,
    /// The seed's headings above it, `›`-separated.
    pub heading: &'static str,
    pub text: &'static str,
}

/// One line of the go-live checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// The tag features carry, without `@`: `GL-SEC-05`.
    pub id: &'static str,
    pub section: Section,
    pub title: &'static str,
    /// Where the seed asks for it.
    pub quote: Quote,
    /// The same requirement in another section, when the seed asks twice.
    pub also: Option<(Section, Quote)>,
    /// The checklist line this one details, when it is not a line itself.
    pub refines: Option<&'static str>,
}

impl Line {
    /// Whether the line belongs in `section` (its own, or the one it is
    /// asked for again in).
    pub fn is_in(&self, section: Section) -> bool {
        self.section == section || self.also.is_some_and(|(s, _)| s == section)
    }
}

/// The line a tag names (`@GL-SEC-05` or `GL-SEC-05`).
pub fn find(tag: &str) -> Option<&'static Line> {
    let id = tag.strip_prefix('@').unwrap_or(tag);
    LINES.iter().find(|line| line.id == id)
}

/// Whether a tag claims to name a checklist line (`@GL-…`).
pub fn is_line_tag(tag: &str) -> bool {
    tag.strip_prefix('@').unwrap_or(tag).starts_with("GL-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_is_defined_once_and_every_refined_line_exists() {
        for (i, line) in LINES.iter().enumerate() {
            assert!(
                LINES[i + 1..].iter().all(|other| other.id != line.id),
                "{} twice",
                line.id
            );
            assert!(is_line_tag(line.id), "{}", line.id);
            if let Some(refined) = line.refines {
                assert!(
                    find(refined).is_some_and(|r| r.refines.is_none()),
                    "{refined}"
                );
            }
        }
        assert_eq!(find("@GL-APP-06").map(|l| l.id), Some("GL-APP-06"));
        assert!(find("@GL-NOPE-01").is_none());
    }

    #[test]
    fn every_line_of_the_seed_checklists_is_in_the_registry() {
        let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds/");
        let Ok(text) = std::fs::read_to_string(format!("{seed}{SEED_001}")) else {
            // The seeds live beside the repository, not in it.
            return;
        };
        let quoted: Vec<&str> = LINES
            .iter()
            .flat_map(|l| std::iter::once(l.quote).chain(l.also.map(|(_, q)| q)))
            .filter(|q| q.seed == SEED_001)
            .map(|q| q.text)
            .collect();
        let mut lines = 0;
        for item in text.lines().filter_map(|l| l.strip_prefix("- [ ] ")) {
            lines += 1;
            assert!(quoted.contains(&item), "no registry line for {item:?}");
        }
        assert_eq!(lines, 36, "the two checklists of seed 001");
        for quote in LINES.iter().map(|l| l.quote) {
            if quote.seed == SEED_001 {
                assert!(text.contains(quote.text), "{quote:?} is verbatim");
            }
        }
    }

    #[test]
    fn every_section_has_lines_and_load_testing_is_in_two() {
        for section in Section::ALL {
            assert!(LINES.iter().any(|l| l.is_in(section)), "{section:?}");
        }
        let load = find("GL-APP-06").unwrap();
        assert!(load.is_in(Section::PreProductionApplication) && load.is_in(Section::GoLiveJ7));
    }
}
