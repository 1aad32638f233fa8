//! The backup family over a cluster's objects: the CronJobs the profile
//! names as backups (`backup_cronjobs`) are really backing up. Each must
//! exist and not be suspended, must have succeeded (`status.lastSuccessfulTime`)
//! within twice its schedule's period of the time the cluster was read,
//! its last finished Job must not have failed, and the claims its pods
//! mount must exist (and be Bound). The drills that restore a backup are
//! live checks (`live::backup`).
//!
//! The ages are measured from [`Inventory::read_at`]: a target read from
//! files has no such "now", so a named CronJob read from files is a
//! finding saying so (the bundled feature is `@cluster` only).

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::jiff::Timestamp;

use super::{Check, CheckMeta, LIVE_CLUSTER, Rule, Scope, Severity, Violation};
use crate::config::Profile;
use crate::error::InputError;
use crate::model::cron::Schedule;
use crate::model::{Inventory, Object, ObjectRef, Resource, SourceLocation};

/// The backup family, in catalogue order.
pub static CHECKS: &[&Check] = &[&SCHEDULED];

/// This many failed Jobs in a row are reported as such.
const FAILED_IN_A_ROW: usize = 3;

pub static SCHEDULED: Check = Check {
    meta: CheckMeta {
        id: "backup.scheduled",
        title: "Every backup CronJob succeeded within twice its schedule's period, its Jobs are not failing and its volumes exist",
        judges: "backup CronJob named by the profile (backup_cronjobs)",
        severity: Severity::Critical,
        checklist: &["GL-APP-08"],
        needs: LIVE_CLUSTER,
        rationale: "A backup strategy on paper is a CronJob in the cluster: if it is suspended, its last success \
                    is older than two of its periods, its last Job failed or the volume it writes to is missing, \
                    the restore point the recovery plan counts on (RPO) does not exist. A named CronJob that is \
                    not there is a finding, never a silent pass.",
        remediation: "Read `kubectl get cronjob NAME -o yaml` and the logs of its last Job \
                      (`kubectl logs job/NAME-…`): fix the failing dump (credentials, disk space, the database \
                      host), create the PersistentVolumeClaim it mounts, resume it (`spec.suspend: false`), or \
                      correct the name in the profile's backup_cronjobs.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for named in &scope.profile.backup_cronjobs {
            let found: Vec<&Object> = scope
                .objects("CronJob")
                .filter(|o| {
                    named.names(
                        o.namespace(),
                        o.metadata.name.as_deref().unwrap_or_default(),
                    )
                })
                .collect();
            if found.is_empty() {
                evaluation.evaluated();
                evaluation.report_absent(
                    ObjectRef {
                        kind: "CronJob".into(),
                        namespace: named.namespace.clone(),
                        name: named.name.clone(),
                    },
                    SourceLocation {
                        file: format!("profile {}: backup_cronjobs", scope.profile.name).into(),
                        line: 0,
                        column: 0,
                    },
                    "a CronJob of that name".into(),
                    format!("no CronJob {named} in the target"),
                );
            }
            for object in found {
                evaluation.evaluated();
                for violation in problems(scope, object) {
                    evaluation.report(violation);
                }
            }
        }
    }),
};

/// The schedule of a CronJob, or why it cannot be read
/// (`schedule "61 * * * *": minute 61 is out of 0-59`).
fn schedule_of(object: &Object) -> Result<(String, Schedule), String> {
    let text = cron_job(object)
        .and_then(|c| c.spec.as_ref())
        .map(|s| s.schedule.clone())
        .unwrap_or_default();
    match Schedule::parse(&text) {
        Ok(schedule) => Ok((text, schedule)),
        Err(e) => Err(format!("schedule {text:?}: {e}")),
    }
}

/// The backup CronJobs the profile names whose schedule cannot be read:
/// bad input (exit 2), each error at the line of its schedule
/// (`cluster:golive/CronJob/pg-backup:9`). The check reports them too.
pub fn schedule_errors(inventory: &Inventory, profile: &Profile) -> Vec<InputError> {
    inventory
        .of_kind("CronJob")
        .filter(|o| is_named(profile, o))
        .filter_map(|o| {
            let error = schedule_of(o).err()?;
            let place = o.locate("spec.schedule");
            Some(InputError::new(
                format!("{}:{}", place.file, place.line),
                error,
            ))
        })
        .collect()
}

/// Whether the profile names this CronJob as a backup.
fn is_named(profile: &Profile, object: &Object) -> bool {
    let name = object.metadata.name.as_deref().unwrap_or_default();
    profile
        .backup_cronjobs
        .iter()
        .any(|named| named.names(object.namespace(), name))
}

fn cron_job(object: &Object) -> Option<&CronJob> {
    match &object.resource {
        Resource::CronJob(cron_job) => Some(cron_job),
        _ => None,
    }
}

/// Everything wrong with one named CronJob.
fn problems<'a>(scope: &Scope<'a>, object: &'a Object) -> Vec<Violation<'a>> {
    let violation = |field: &str, expected: &str, found: String| Violation {
        object,
        container: None,
        field: field.into(),
        expected: expected.into(),
        found,
    };
    let mut found = Vec::new();
    let Some(cron_job) = cron_job(object) else {
        return found;
    };
    if cron_job.spec.as_ref().and_then(|s| s.suspend) == Some(true) {
        found.push(violation(
            "spec.suspend",
            "not suspended",
            "suspended: no backup runs".into(),
        ));
    }
    match schedule_of(object) {
        Err(error) => found.push(violation("spec.schedule", "a schedule that parses", error)),
        Ok((text, schedule)) => found.extend(
            stale(scope.inventory, cron_job, &text, &schedule)
                .map(|why| violation("status.lastSuccessfulTime", &why.0, why.1)),
        ),
    }
    if let Some(why) = failing_jobs(scope.inventory, object) {
        found.push(violation("status", "the last finished Job succeeded", why));
    }
    let workload = object.workload();
    for (index, volume) in workload
        .iter()
        .flat_map(|w| w.pod_spec.volumes.iter().flatten().enumerate())
    {
        let Some(claim) = &volume.persistent_volume_claim else {
            continue;
        };
        let field = format!(
            "spec.jobTemplate.spec.template.spec.volumes[{index}].persistentVolumeClaim.claimName"
        );
        let name = &claim.claim_name;
        match scope
            .inventory
            .get("PersistentVolumeClaim", object.namespace(), name)
            .map(|o| &o.resource)
        {
            None => found.push(violation(
                &field,
                "a PersistentVolumeClaim of the namespace",
                format!("no PersistentVolumeClaim {name:?} in the namespace: the backup has nowhere to go"),
            )),
            Some(Resource::PersistentVolumeClaim(pvc)) => {
                let phase = pvc.status.as_ref().and_then(|s| s.phase.as_deref());
                if let Some(phase) = phase.filter(|p| *p != "Bound") {
                    found.push(violation(
                        &field,
                        "a Bound PersistentVolumeClaim",
                        format!("PersistentVolumeClaim {name:?} is {phase}"),
                    ));
                }
            }
            Some(_) => {}
        }
    }
    found
}

/// Why the last success is too old (expected, found), or `None`.
fn stale(
    inventory: &Inventory,
    cron_job: &CronJob,
    text: &str,
    schedule: &Schedule,
) -> Option<(String, String)> {
    let period = schedule.period.as_secs();
    let allowed = 2 * period;
    let expected = format!(
        "a success within {} (twice the schedule's period)",
        spoken(allowed)
    );
    let Some(read_at) = inventory.read_at() else {
        return Some((
            expected,
            "no read time: a CronJob read from files has no \"now\" to measure its last success \
             from (run on --target cluster)"
                .into(),
        ));
    };
    let status = cron_job.status.as_ref();
    let Some(last) = status.and_then(|s| s.last_successful_time.as_ref()) else {
        let scheduled = status
            .and_then(|s| s.last_schedule_time.as_ref())
            .map_or_else(
                || "never scheduled".to_string(),
                |t| {
                    format!(
                        "last scheduled {} ago",
                        spoken(seconds_between(read_at, t.0))
                    )
                },
            );
        return Some((expected, format!("no successful run ({scheduled})")));
    };
    let since = seconds_between(read_at, last.0);
    (since > allowed).then(|| {
        (
            expected,
            format!(
                "last success {} ago ({}), schedule {text:?} every {}, allowed {}",
                spoken(since),
                last.0,
                spoken(period),
                spoken(allowed)
            ),
        )
    })
}

/// How a finished Job ended: when, and the reason it failed (`None`: it
/// succeeded).
struct Finished<'a> {
    name: &'a str,
    at: Timestamp,
    failure: Option<String>,
}

fn finished(object: &Object) -> Option<Finished<'_>> {
    let Resource::Job(job) = &object.resource else {
        return None;
    };
    let status = job.status.as_ref()?;
    let condition = |kind: &str| {
        status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == kind && c.status == "True")
    };
    let name = object.metadata.name.as_deref().unwrap_or_default();
    if let Some(failed) = condition("Failed") {
        let at = failed.last_transition_time.as_ref().or(job_start(job))?.0;
        let reason = [failed.reason.as_deref(), failed.message.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        return Some(Finished {
            name,
            at,
            failure: Some(reason),
        });
    }
    condition("Complete")?;
    let at = status.completion_time.as_ref().or(job_start(job))?.0;
    Some(Finished {
        name,
        at,
        failure: None,
    })
}

fn job_start(job: &Job) -> Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time> {
    job.status.as_ref()?.start_time.as_ref()
}

/// Why the CronJob's Jobs are failing: its most recent finished Job failed
/// (and how many in a row), or `None`.
fn failing_jobs(inventory: &Inventory, cron_job: &Object) -> Option<String> {
    let mut runs: Vec<Finished<'_>> = inventory
        .of_kind_in("Job", cron_job.namespace())
        .filter(|job| job.is_controlled_by(cron_job))
        .filter_map(finished)
        .collect();
    runs.sort_by_key(|run| std::cmp::Reverse(run.at));
    let last = runs.first()?;
    let reason = last.failure.as_ref()?;
    let in_a_row = runs.iter().take_while(|r| r.failure.is_some()).count();
    let mut why = format!("the last Job {} failed ({reason})", last.name);
    if in_a_row >= FAILED_IN_A_ROW {
        why.push_str(&format!("; the last {in_a_row} finished Jobs all failed"));
    } else if in_a_row > 1 {
        why.push_str(&format!("; {in_a_row} failed in a row"));
    }
    Some(why)
}

/// A duration in seconds as a person says it: `45 s`, `47 min`,
/// `3 h 5 min`, `2 d 1 h` (minutes rounded down past the first one).
fn spoken(seconds: u64) -> String {
    if seconds < 60 {
        return format!("{seconds} s");
    }
    let total = seconds / 60;
    let (days, hours, mins) = (total / 1440, total / 60 % 24, total % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The seconds from `at` to `read_at` (0 when `at` is later: clocks differ).
fn seconds_between(read_at: Timestamp, at: Timestamp) -> u64 {
    u64::try_from(read_at.duration_since(at).as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::spoken;

    #[test]
    fn durations_read_as_a_person_says_them() {
        assert_eq!(spoken(45), "45 s");
        assert_eq!(spoken(47 * 60 + 59), "47 min");
        assert_eq!(spoken(120 * 60), "2 h");
        assert_eq!(spoken(185 * 60), "3 h 5 min");
        assert_eq!(spoken((2 * 1440 + 61) * 60), "2 d 1 h");
        assert_eq!(spoken(2880 * 60), "2 d");
    }
}
