//! The containers of a stack as they really run: the users of their
//! processes, and whether their root filesystem refuses writes. The
//! cluster's counterpart over pod statuses is `runtime.non-root`.

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;

/// One process the engine lists in a container: its uid (as `ps` prints
/// it) and command.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Process {
    pub uid: String,
    pub command: String,
}

/// Who a container's processes run as.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessUsers {
    /// The image's or the stack's configured user, `None` when unset (root).
    #[serde(default)]
    pub configured_user: Option<String>,
    /// PID 1's real and effective uid from `/proc/1/status`.
    #[serde(default)]
    pub pid1: Option<(u32, u32)>,
    /// Why PID 1's uid could not be read.
    #[serde(default)]
    pub pid1_unreadable: String,
    pub processes: Vec<Process>,
}

fn judge_non_root(users: &ProcessUsers) -> Judged {
    let root: Vec<&str> = users
        .processes
        .iter()
        .filter(|p| p.uid.trim() == "0")
        .map(|p| p.command.as_str())
        .collect();
    let facts = vec![
        format!(
            "configured user {}",
            users.configured_user.as_deref().unwrap_or("(none: root)")
        ),
        match users.pid1 {
            Some((real, effective)) => format!("PID 1 runs as uid {real} (effective {effective})"),
            None => format!(
                "PID 1's uid could not be read: {}",
                users.pid1_unreadable.trim()
            ),
        },
        if root.is_empty() {
            format!("{} process(es), none as root", users.processes.len())
        } else {
            format!("running as root: {}", root.join(", "))
        },
    ];
    let passed = matches!(users.pid1, Some((real, effective)) if real != 0 && effective != 0)
        && root.is_empty()
        && !users.processes.is_empty();
    (passed, facts)
}

pub static NON_ROOT: Live<ProcessUsers> = live_check!(
    judge_non_root,
    CheckMeta {
        id: "container.non-root",
        title: "Every process of the stack runs as a non-root user",
        judges: "container",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: &[Needs::Stack],
        rationale: "What an image declares is not what runs: an entrypoint can stay root, a process can be \
                    spawned as root. PID 1 is read from inside (/proc/1/status) and every process the engine \
                    lists counts. Root inside a container is one kernel bug away from root on the host.",
        remediation: "Set USER to a non-zero uid in the image (or `user:` in the stack file) and make the \
                      entrypoint drop no privileges it never needed; look at the processes listed as root.",
        differences: &[],
    }
);

/// Whether a container's root filesystem is read-only, by the engine's
/// flag and by a write attempted as root.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootFilesystem {
    /// The engine's `ReadonlyRootfs`.
    pub read_only_flag: bool,
    /// The exit code of writing `/.golive-write-probe` as root.
    pub write_exit_code: i64,
    #[serde(default)]
    pub write_error: String,
}

fn judge_read_only(fs: &RootFilesystem) -> Judged {
    let refused = fs.write_exit_code != 0 && fs.write_error.contains("Read-only file system");
    let facts = vec![
        format!("engine: ReadonlyRootfs {}", fs.read_only_flag),
        if fs.write_exit_code == 0 {
            "writing /.golive-write-probe as root succeeded".to_string()
        } else {
            format!(
                "writing /.golive-write-probe as root failed: {}",
                fs.write_error.trim()
            )
        },
    ];
    (fs.read_only_flag && refused, facts)
}

pub static READ_ONLY_ROOTFS: Live<RootFilesystem> = live_check!(
    judge_read_only,
    CheckMeta {
        id: "container.read-only-rootfs",
        title: "The services' root filesystems refuse writes",
        judges: "container",
        severity: Severity::Medium,
        checklist: &["GL-SEC-02"],
        needs: &[Needs::Stack],
        rationale: "A read-only root filesystem keeps an intruder from dropping tools or changing the \
                    service's code. The engine's flag alone is not enough: a write as root, which no file \
                    permission stops, must fail with \"Read-only file system\".",
        remediation: "Run the service with `read_only: true` (readOnlyRootFilesystem in Kubernetes) and give \
                      it tmpfs or volumes for the paths it must write (/tmp, caches).",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[&NON_ROOT.check, &READ_ONLY_ROOTFS.check];
