//! Then steps that run checks over the scenario's scope and fail with the
//! evidence of every unsuppressed finding (the rules over the inventory;
//! live checks are judged by the steps that measure them).

use super::{GoliveWorld, StepFailure};
use crate::checks::{self, Scope};

/// The IDs or families of a comma-separated list.
pub fn named_in(arguments: &[String]) -> Vec<String> {
    arguments[0]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn validate_check_list(arguments: &[String]) -> Result<(), String> {
    let names = named_in(arguments);
    if names.is_empty() {
        return Err("names no check".into());
    }
    for name in &names {
        let resolved = checks::resolve(name);
        if resolved.is_empty() {
            return Err(format!("unknown check {name:?} (see `golive checks`)"));
        }
        if resolved.iter().all(|c| !c.is_inventory()) {
            return Err(format!(
                "{name:?} is judged on a live system: its own steps measure it (see `golive steps`)"
            ));
        }
    }
    Ok(())
}

pub fn pass(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    validate_check_list(arguments).map_err(StepFailure::CouldNotEvaluate)?;
    let scope = Scope::new(&world.run.inventory, &world.profile, &world.filter);
    // A filter that admits nothing at all is a mistake in the feature (a
    // misspelt namespace or name), not an item with nothing to judge.
    if scope.workloads().next().is_none() && !scope.admits_anything() {
        return Err(StepFailure::CouldNotEvaluate(format!(
            "nothing in the target matches the scenario's filter ({})",
            world.filter
        )));
    }
    let selected = named_in(arguments)
        .iter()
        .flat_map(|name| checks::resolve(name))
        .filter(|check| world.run.is_selected(check.meta.id))
        .collect::<Vec<_>>();
    let mut failures = Vec::new();
    for outcome in selected.iter().filter_map(|check| check.run(&scope)) {
        failures.extend(
            outcome
                .active_findings()
                .map(|finding| format!("- {finding}")),
        );
        world.outcomes.push(outcome);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(StepFailure::NotReady(format!(
            "{} finding(s):\n{}",
            failures.len(),
            failures.join("\n")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_check_is_not_run_by_name_but_its_family_still_resolves() {
        let names = |text: &str| validate_check_list(&[text.to_string()]);
        let live = names("tls.key").unwrap_err();
        assert!(live.contains("judged on a live system"), "{live}");
        assert!(names("tls").is_err(), "a family of live checks only");
        // `probe` holds probe.answers (live) and the rules over manifests.
        assert_eq!(names("probe"), Ok(()));
        assert!(names("tls.nope").unwrap_err().contains("unknown check"));
    }
}
