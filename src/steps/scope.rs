//! Given steps that choose what a scenario looks at: which workloads, and
//! which profile's thresholds.

use super::{GoliveWorld, StepFailure};
use crate::checks::WorkloadFilter;
use crate::model::selector::Selector;

pub fn all_workloads(world: &mut GoliveWorld, _: &[String]) -> Result<(), StepFailure> {
    world.filter = WorkloadFilter::default();
    // A target without workloads (an ingress chart, a platform repository)
    // is still judged by the items about the objects it holds; an item
    // with nothing to judge is not applicable.
    if world.run.inventory.objects().next().is_none() {
        return Err(StepFailure::CouldNotEvaluate(format!(
            "the target ({}) contains no object: nothing to evaluate",
            world.run.target
        )));
    }
    Ok(())
}

pub fn in_namespace(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    world.filter.namespace = Some(arguments[0].clone());
    Ok(())
}

pub fn validate_selector(arguments: &[String]) -> Result<(), String> {
    Selector::parse(&arguments[0])
        .map(drop)
        .map_err(|e| e.to_string())
}

pub fn labelled(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let selector =
        Selector::parse(&arguments[0]).map_err(|e| StepFailure::CouldNotEvaluate(e.to_string()))?;
    world.filter.selector = Some(selector);
    Ok(())
}

pub fn named(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    world.filter.names.push(arguments[0].clone());
    Ok(())
}

pub fn profile(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let profile = world
        .run
        .config
        .profile(Some(&arguments[0]))
        .map_err(|e| StepFailure::CouldNotEvaluate(e.message))?;
    world.profile = profile.clone();
    Ok(())
}

pub fn validate_threshold(arguments: &[String]) -> Result<(), String> {
    crate::config::Profile::production()
        .with_threshold(&arguments[0], &arguments[1])
        .map(drop)
}

pub fn threshold(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    world.profile = world
        .profile
        .with_threshold(&arguments[0], &arguments[1])
        .map_err(StepFailure::CouldNotEvaluate)?;
    Ok(())
}
