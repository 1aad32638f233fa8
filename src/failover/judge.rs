//! The failover verdicts a release manager signs, from a settled
//! timeline's figures: the recovery time (RTO) within a target, and the
//! acknowledged writes lost (RPO) within a target. Pure comparisons: the
//! steps settle the clocks, read the writes back and pick the target (the
//! figure they state, else the profile's `rto_seconds` / `rpo_seconds`).
//! Not the promotion time or the error rate under load, whose steps state
//! their own figure.

use super::timeline::{Timeline, Writes};
use crate::evidence::Judged;

/// "Recovers within N s": the measured RTO is at most `target_s`; a clock
/// that never recovered fails, saying why its last failed attempt failed.
pub fn recovery(timeline: &Timeline, target_s: f64) -> Judged {
    match timeline.recovered_after_s {
        Some(rto) => {
            let passed = rto <= target_s;
            let how = if passed { "within" } else { "beyond" };
            (
                passed,
                vec![format!("RTO {rto:.2} s, {how} the target of {target_s} s")],
            )
        }
        None => {
            let mut fact = format!(
                "not recovered: watched {:.1} s after the disruption (target {target_s} s)",
                timeline.watched_s
            );
            if let Some(error) = &timeline.last_error {
                fact.push_str(&format!("; the last failed attempt: {error}"));
            }
            (false, vec![fact])
        }
    }
}

/// "No acknowledged write is lost beyond an RPO of N s": every lost write
/// was acknowledged at most `target_s` before the disruption (the measured
/// RPO is at most the target). An RPO of 0 allows no loss at all, and a
/// write acknowledged at or after the disruption and then lost fails
/// whatever the target: no loss window covers it.
pub fn writes_lost(writes: &Writes, target_s: f64) -> Judged {
    let mut facts = vec![format!(
        "{} of {} acknowledged writes lost",
        writes.lost, writes.acknowledged
    )];
    if writes.lost == 0 {
        facts.push(format!("RPO 0 s (target {target_s} s)"));
        return (true, facts);
    }
    let passed = target_s > 0.0 && writes.lost_after_disruption == 0 && writes.rpo_s <= target_s;
    let how = if passed { "within" } else { "beyond" };
    facts.push(format!(
        "RPO {:.2} s (the oldest lost write was acknowledged that long before the disruption), {how} the target of {target_s} s; lost: {:?}",
        writes.rpo_s, writes.lost_examples
    ));
    if writes.lost_after_disruption > 0 {
        facts.push(format!(
            "{} of the lost writes were acknowledged after the disruption: no RPO allows that",
            writes.lost_after_disruption
        ));
    }
    (passed, facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A settled timeline of a clock that recovered `rto` s after the
    /// disruption (`None`: never), watched 30 s.
    fn timeline(rto: Option<f64>) -> Timeline {
        Timeline {
            clock: "GET /api/v1/items on web".into(),
            disruption: "api-2 killed (SIGKILL)".into(),
            cadence: Default::default(),
            conditions: Vec::new(),
            steps: Vec::new(),
            disrupted_at_s: 4.0,
            steady_before: true,
            steady_attempts: 30,
            steady_failed: 0,
            steady_error: None,
            first_failure_after_s: Some(0.1),
            recovered_after_s: rto,
            watched_s: 30.0,
            slowest_attempt_s: 2.0,
            attempts: 300,
            failed: 12,
            first_error: Some("no answer".into()),
            last_error: Some("status 503: postgres unavailable".into()),
            promoted: None,
            writes: None,
            seconds: Vec::new(),
            load: None,
        }
    }

    /// 200 writes acknowledged, one lost, acknowledged `before_s` s before
    /// the disruption.
    fn one_lost(before_s: f64) -> Writes {
        Writes {
            acknowledged: 200,
            lost: 1,
            lost_after_disruption: 0,
            lost_examples: vec![117],
            rpo_s: before_s,
            unverified: None,
            backup: None,
        }
    }

    #[test]
    fn the_rto_target_flips_the_verdict_and_within_includes_it() {
        let recovered = timeline(Some(12.5));
        assert!(recovery(&recovered, 60.0).0);
        let (passed, facts) = recovery(&recovered, 10.0);
        assert!(!passed);
        assert_eq!(facts, ["RTO 12.50 s, beyond the target of 10 s"]);
        assert!(
            recovery(&recovered, 12.5).0,
            "within 12.5 s includes 12.5 s"
        );
        let (passed, facts) = recovery(&timeline(None), 60.0);
        assert!(
            !passed
                && facts[0].starts_with("not recovered")
                && facts[0].ends_with("the last failed attempt: status 503: postgres unavailable"),
            "{facts:?}"
        );
    }

    #[test]
    fn the_rpo_target_flips_the_verdict() {
        let lost = one_lost(2.5);
        let (passed, facts) = writes_lost(&lost, 0.0);
        assert!(!passed, "RPO 0: any lost write fails");
        assert!(
            facts[1].starts_with("RPO 2.50 s") && facts[1].contains("beyond the target of 0 s"),
            "{facts:?}"
        );
        assert!(!writes_lost(&lost, 2.0).0, "2.5 s > 2 s");
        let (passed, facts) = writes_lost(&lost, 5.0);
        assert!(passed, "{facts:?}");
        assert!(facts[1].contains("within the target of 5 s"), "{facts:?}");
        assert!(writes_lost(&lost, 2.5).0, "an RPO of 2.5 s allows 2.5 s");
    }

    #[test]
    fn no_loss_passes_and_a_loss_after_the_disruption_always_fails() {
        let nothing = Writes {
            lost: 0,
            lost_examples: Vec::new(),
            rpo_s: 0.0,
            ..one_lost(0.0)
        };
        assert_eq!(
            writes_lost(&nothing, 0.0),
            (
                true,
                vec![
                    "0 of 200 acknowledged writes lost".to_string(),
                    "RPO 0 s (target 0 s)".to_string()
                ]
            )
        );
        let late = Writes {
            lost_after_disruption: 1,
            ..one_lost(0.0)
        };
        let (passed, facts) = writes_lost(&late, 30.0);
        assert!(!passed);
        assert!(facts[2].contains("after the disruption"), "{facts:?}");
        assert!(
            !writes_lost(&one_lost(0.0), 0.0).0,
            "a loss at 0 s still fails RPO 0"
        );
    }
}
