//! Backup and restore items: after a data store's data is lost, a restore
//! from its backup brings back every write acknowledged before the backup
//! started, within the restore's time objective. The writes lost since the
//! backup are judged by `failover.rpo` against the restore RPO; the
//! runbooks' own runs by `failover.runbook`.

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;
use crate::failover::timeline::Writes;

/// A restore drill needs a stack to lose the data of.
const DRILL: &[Needs] = &[Needs::Stack, Needs::Disruption];

/// The writes of a probe read back after the restore.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restored {
    /// `endpoint db`.
    pub endpoint: String,
    pub writes: Writes,
}

fn judge_backed_up(restored: &Restored) -> Judged {
    let writes = &restored.writes;
    if let Some(why) = &writes.unverified {
        return (
            false,
            vec![format!(
                "the {} acknowledged writes could not be read back: {why}",
                writes.acknowledged
            )],
        );
    }
    let Some(backup) = &writes.backup else {
        return (false, vec!["no backup was taken in this scenario".into()]);
    };
    let mut facts = vec![
        format!(
            "{} of the {} writes acknowledged before the backup (at {:.1} s) are back",
            backup.acknowledged_before - backup.lost,
            backup.acknowledged_before,
            backup.at_s
        ),
        format!(
            "{} writes acknowledged in all, {} lost (RPO {:.2} s)",
            writes.acknowledged, writes.lost, writes.rpo_s
        ),
    ];
    if !backup.lost_examples.is_empty() {
        let examples: Vec<String> = backup.lost_examples.iter().map(u64::to_string).collect();
        facts.push(format!("missing: {}", examples.join(", ")));
    }
    (backup.acknowledged_before > 0 && backup.lost == 0, facts)
}

pub static BACKED_UP: Live<Restored> = live_check!(
    judge_backed_up,
    CheckMeta {
        id: "backup.restored",
        title: "A restore from the backup brings back every write acknowledged before it",
        judges: "data store endpoint",
        severity: Severity::Critical,
        checklist: &["GL-APP-08", "GL-APP-07"],
        needs: DRILL,
        rationale: "A backup strategy is proven by a restore: after the data is lost, every write the store \
                    acknowledged before the backup started must be readable again once the restore runbook \
                    has run into a fresh instance. A dump of the wrong database, or an empty one, restores \
                    nothing and looks just as successful.",
        remediation: "Dump the database the application writes to (and all of it), check the restore runbook \
                      against a fresh instance, and keep the dump outside the instance it was taken from.",
        differences: &[],
    }
);

/// How long the restore took: from the data store's loss being addressed
/// (fresh instances started) to the restore runbook's end.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreTime {
    pub endpoint: String,
    /// Seconds to start fresh instances, to run the restore runbook, and
    /// both.
    pub instances_s: f64,
    pub runbook_s: f64,
    pub took_s: f64,
    pub target_s: f64,
    /// Whether the restore runbook succeeded (a failed restore took no
    /// time worth judging).
    pub succeeded: bool,
}

fn judge_restore_time(restore: &RestoreTime) -> Judged {
    let facts = vec![
        format!(
            "restored {} in {:.1} s (target at most {} s): fresh instances healthy in {:.1} s, the restore runbook {:.1} s",
            restore.endpoint,
            restore.took_s,
            restore.target_s,
            restore.instances_s,
            restore.runbook_s
        ),
        if restore.succeeded {
            "the restore runbook succeeded".into()
        } else {
            "the restore runbook failed".into()
        },
    ];
    (
        restore.succeeded && restore.took_s <= restore.target_s,
        facts,
    )
}

pub static RESTORE_TIME: Live<RestoreTime> = live_check!(
    judge_restore_time,
    CheckMeta {
        id: "backup.restore-time",
        title: "A restore from the backup takes at most the restore RTO",
        judges: "data store endpoint",
        severity: Severity::High,
        checklist: &["GL-APP-08", "GL-APP-07"],
        needs: DRILL,
        rationale: "The recovery time objective of a data loss (the seed's data corruption row: RTO < 4 h) \
                    runs from the loss to a store serving the restored data: fresh instances started and the \
                    restore runbook run to its end.",
        remediation: "Keep the dump close to where it is restored, restore in parallel or from a physical backup \
                      (pg_basebackup and WAL) when a logical dump is too slow for the objective.",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[&BACKED_UP.check, &RESTORE_TIME.check];
