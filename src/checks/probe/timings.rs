//! A probe's timings as the kubelet applies them: the fields a manifest
//! sets, the API's defaults for the others (initialDelaySeconds 0,
//! periodSeconds 10, timeoutSeconds 1, failureThreshold 3), and the
//! windows the probe checks derive from them.

use k8s_openapi::api::core::v1::Probe;

/// The timings of one probe, defaults filled in, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    pub initial_delay: i64,
    pub period: i64,
    pub timeout: i64,
    pub failure_threshold: i64,
}

impl Timings {
    pub fn of(probe: &Probe) -> Timings {
        let value = |field: Option<i32>, default: i32| i64::from(field.unwrap_or(default));
        Timings {
            initial_delay: value(probe.initial_delay_seconds, 0),
            period: value(probe.period_seconds, 10),
            timeout: value(probe.timeout_seconds, 1),
            failure_threshold: value(probe.failure_threshold, 3),
        }
    }

    /// How long the probe may fail in a row before the kubelet acts on it:
    /// failureThreshold x periodSeconds.
    pub fn failure_window(&self) -> i64 {
        self.failure_threshold * self.period
    }

    /// How long after the container starts the probe may still be failing
    /// before the kubelet acts: initialDelaySeconds + the failure window.
    pub fn grace(&self) -> i64 {
        self.initial_delay + self.failure_window()
    }

    /// `30 + 3 x 10`, the sum behind [`Timings::grace`].
    pub fn describe_grace(&self) -> String {
        format!(
            "initialDelaySeconds {} + failureThreshold {} x periodSeconds {}",
            self.initial_delay, self.failure_threshold, self.period
        )
    }

    /// `30 s (failureThreshold 3 x periodSeconds 10)`.
    pub fn describe_window(&self) -> String {
        format!(
            "{} s (failureThreshold {} x periodSeconds {})",
            self.failure_window(),
            self.failure_threshold,
            self.period
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_fields_take_the_api_defaults() {
        let timings = Timings::of(&Probe::default());
        assert_eq!(
            timings,
            Timings {
                initial_delay: 0,
                period: 10,
                timeout: 1,
                failure_threshold: 3
            }
        );
        assert_eq!((timings.failure_window(), timings.grace()), (30, 30));
        let slow = Timings::of(&Probe {
            initial_delay_seconds: Some(60),
            period_seconds: Some(5),
            failure_threshold: Some(2),
            ..Probe::default()
        });
        assert_eq!((slow.failure_window(), slow.grace()), (10, 70));
    }
}
