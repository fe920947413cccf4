//! Pure: a Build's status from where its staging is.

use super::outcome::Staging;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use smelter_crds::build::{BuildState, BuildStatus};

/// `True` once staged, `False` once failed, `Unknown` while staging.
pub const SUCCEEDED: &str = "Succeeded";
/// The same as `Succeeded`: a build is ready to be used exactly when it staged.
pub const READY: &str = "Ready";

/// The status a build in `staging` has: `previous` is the live status, whose condition
/// transition times are kept when nothing flipped.
pub fn build_status(
    staging: &Staging,
    generation: Option<i64>,
    started_at: Option<Time>,
    previous: Option<&BuildStatus>,
    now: &Time,
) -> BuildStatus {
    let (state, error, droplet) = match staging {
        Staging::Running => (BuildState::Staging, None, None),
        Staging::Staged(droplet) => (BuildState::Staged, None, Some((**droplet).clone())),
        Staging::Failed(error) => (BuildState::Failed, Some(error.clone()), None),
    };
    let (status, reason, message) = match staging {
        Staging::Running => ("Unknown", "Staging", "staging is running".to_owned()),
        Staging::Staged(d) => ("True", "Staged", format!("staged droplet {}", d.guid)),
        Staging::Failed(error) => ("False", "StagingFailed", error.clone()),
    };
    let previous_conditions = previous.map(|p| p.conditions.as_slice()).unwrap_or(&[]);
    let condition = |type_: &str| {
        let last_transition_time = match previous_conditions.iter().find(|c| c.type_ == type_) {
            Some(p) if p.status == status => p.last_transition_time.clone(),
            _ => now.clone(),
        };
        Condition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: reason.to_owned(),
            message: message.clone(),
            observed_generation: generation,
            last_transition_time,
        }
    };
    BuildStatus {
        observed_generation: generation,
        state,
        error,
        droplet,
        staging_started_at: started_at,
        conditions: vec![condition(SUCCEEDED), condition(READY)],
    }
}

/// Whether a build with status `live` is done: a staged or failed build never changes again.
pub fn is_final(live: Option<&BuildStatus>) -> bool {
    live.is_some_and(|s| s.state != BuildState::Staging)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;
    use smelter_crds::build::Droplet;

    fn time(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).expect("valid"))
    }

    #[test]
    fn each_outcome_has_its_state_and_conditions() {
        let droplet = Droplet {
            guid: "d".into(),
            ..Default::default()
        };
        // (staging, state, condition status, reason, error)
        let cases = [
            (
                Staging::Running,
                BuildState::Staging,
                "Unknown",
                "Staging",
                None,
            ),
            (
                Staging::Staged(Box::new(droplet.clone())),
                BuildState::Staged,
                "True",
                "Staged",
                None,
            ),
            (
                Staging::Failed("NoAppDetectedError - x".into()),
                BuildState::Failed,
                "False",
                "StagingFailed",
                Some("NoAppDetectedError - x"),
            ),
        ];
        for (staging, state, status, reason, error) in cases {
            let s = build_status(&staging, Some(1), Some(time(5)), None, &time(10));
            assert_eq!(s.state, state, "{staging:?}");
            assert_eq!(s.error.as_deref(), error, "{staging:?}");
            assert_eq!(s.droplet.is_some(), state == BuildState::Staged);
            assert_eq!(s.staging_started_at, Some(time(5)));
            let types: Vec<&str> = s.conditions.iter().map(|c| c.type_.as_str()).collect();
            assert_eq!(types, [SUCCEEDED, READY]);
            for c in &s.conditions {
                assert_eq!(
                    (c.status.as_str(), c.reason.as_str()),
                    (status, reason),
                    "{staging:?}"
                );
                assert_eq!(c.observed_generation, Some(1));
                assert_eq!(c.last_transition_time, time(10));
            }
        }
    }

    #[test]
    fn the_same_status_again_is_equal_so_nothing_is_written() {
        let running = build_status(&Staging::Running, Some(1), Some(time(5)), None, &time(10));
        let again = build_status(
            &Staging::Running,
            Some(1),
            Some(time(5)),
            Some(&running),
            &time(99),
        );
        assert_eq!(again, running, "transition times kept");
        let failed = build_status(
            &Staging::Failed("StagingError - x".into()),
            Some(1),
            Some(time(5)),
            Some(&running),
            &time(99),
        );
        assert_eq!(failed.conditions[0].last_transition_time, time(99));
        assert!(is_final(Some(&failed)));
        assert!(!is_final(Some(&running)));
        assert!(!is_final(None));
    }
}
