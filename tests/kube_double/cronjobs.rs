//! The CronJob controller's history, on demand: the double builds a
//! CronJob as a fresh one is (no status, no Job), and a test says how it
//! has been running — [`Cluster::cron_job_ran`]: "it ran 3 h ago and
//! succeeded, then 1 h ago and failed". Each run becomes the Job the
//! controller creates (`<cronjob>-<scheduled time in minutes since the
//! epoch>`, the job template's labels and annotations, the
//! `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation, a
//! controller ownerReference to the CronJob), finished as the Job
//! controller leaves it (`Complete` with `SuccessCriteriaMet`, or `Failed`
//! with `FailureTarget`, reason `BackoffLimitExceeded`), and the CronJob's
//! status says what the controller writes: `lastScheduleTime` (the latest
//! run) and `lastSuccessfulTime` (the completion of the latest success).
//! The runs' pods are not made (they are gone, as the Job's
//! `ttlSecondsAfterFinished` or a node drain leaves them), so the Job
//! controller's status of those Jobs is kept as written. The schedule is
//! not consulted: the test chooses when the runs were.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::cluster::Cluster;
use super::controllers::{gr, owner_reference, resource};
use super::names::{format_time, now};

/// One run of a CronJob, `ago` before now (its scheduled time).
#[derive(Debug, Clone, Copy)]
pub struct CronRun {
    pub ago: Duration,
    pub succeeded: bool,
}

impl CronRun {
    pub fn succeeded(ago: Duration) -> CronRun {
        CronRun {
            ago,
            succeeded: true,
        }
    }

    pub fn failed(ago: Duration) -> CronRun {
        CronRun {
            ago,
            succeeded: false,
        }
    }
}

/// How long a backup Job of the double takes, from its scheduled time.
const RUN_TIME: Duration = Duration::from_secs(95);

impl Cluster {
    /// The CronJob `namespace/name` ran at these times with these outcomes:
    /// its Jobs are made as its controller made them, finished, and its
    /// status updated. Answers the names of the Jobs.
    pub fn cron_job_ran(&mut self, namespace: &str, name: &str, runs: &[CronRun]) -> Vec<String> {
        let cron_job = self
            .get_json("batch", "cronjobs", namespace, name)
            .unwrap_or_else(|| panic!("no CronJob {namespace}/{name}"));
        let jobs = resource(self, "batch", "jobs");
        let mut names = Vec::new();
        let (mut last_scheduled, mut last_success): (Option<Timestamp>, Option<Timestamp>) =
            (None, None);
        for run in runs {
            let at = now() - run.ago;
            // Scheduled times are whole minutes.
            let scheduled = Timestamp::from_second(at.as_second() - at.as_second() % 60)
                .expect("a valid timestamp");
            let finished = scheduled + RUN_TIME;
            let job_name = format!("{name}-{}", scheduled.as_second() / 60);
            // The Job controller's status is the one written below.
            self.freeze_status::<k8s_openapi::api::batch::v1::Job>(namespace, &job_name);
            let template = &cron_job["spec"]["jobTemplate"];
            let mut annotations = template["metadata"]["annotations"].clone();
            if !annotations.is_object() {
                annotations = json!({});
            }
            annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] =
                json!(format_time(scheduled));
            let job = json!({
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {
                    "name": job_name,
                    "namespace": namespace,
                    "labels": template["metadata"]["labels"],
                    "annotations": annotations,
                    "ownerReferences": [owner_reference(&cron_job)],
                },
                "spec": template["spec"],
            });
            self.create_json(&jobs, namespace, job, false)
                .unwrap_or_else(|e| panic!("the Job {job_name}: {e:?}"));
            let status = finished_status(&cron_job, scheduled, finished, run.succeeded);
            let stored = self
                .store
                .get(&gr("batch", "jobs"), namespace, &job_name)
                .cloned()
                .expect("the Job just created");
            let mut updated = stored;
            updated["metadata"]["creationTimestamp"] = json!(format_time(scheduled));
            updated["status"] = status;
            self.store.replace(&gr("batch", "jobs"), updated);
            last_scheduled = last_scheduled.max(Some(scheduled));
            if run.succeeded {
                last_success = last_success.max(Some(finished));
            }
            names.push(job_name);
        }
        let mut updated = cron_job;
        let mut status = json!({});
        if let Some(at) = last_scheduled {
            status["lastScheduleTime"] = json!(format_time(at));
        }
        if let Some(at) = last_success {
            status["lastSuccessfulTime"] = json!(format_time(at));
        }
        updated["status"] = status;
        self.store.replace(&gr("batch", "cronjobs"), updated);
        names
    }
}

/// A finished Job's status, as the Job controller of 1.33 leaves it.
fn finished_status(
    cron_job: &Value,
    started: Timestamp,
    finished: Timestamp,
    succeeded: bool,
) -> Value {
    let (started, finished) = (format_time(started), format_time(finished));
    let condition = |type_: &str, reason: &str, message: &str| {
        json!({
            "type": type_, "status": "True", "reason": reason, "message": message,
            "lastProbeTime": finished, "lastTransitionTime": finished,
        })
    };
    if succeeded {
        let done = "Reached expected number of succeeded pods";
        json!({
            "startTime": started,
            "completionTime": finished,
            "succeeded": 1,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": [
                condition("SuccessCriteriaMet", "CompletionsReached", done),
                condition("Complete", "CompletionsReached", done),
            ],
        })
    } else {
        let backoff_limit = cron_job["spec"]["jobTemplate"]["spec"]["backoffLimit"]
            .as_i64()
            .unwrap_or(6);
        let reached = "Job has reached the specified backoff limit";
        json!({
            "startTime": started,
            "failed": backoff_limit + 1,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": [
                condition("FailureTarget", "BackoffLimitExceeded", reached),
                condition("Failed", "BackoffLimitExceeded", reached),
            ],
        })
    }
}
