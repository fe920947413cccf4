//! Pure: an app's status from what it wants and what its LRPs report. `Ready`: what the app's
//! state asks for is in place (a stopped app runs nothing; a started one has an LRP per
//! process). `Running`: every instance of every process runs, from the LRPs' ActualLRP views.
//! What `kubectl get cfapp` shows, and why an app does not run when it does not.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use smelter_crds::{App, AppStatus, DesiredState, Lrp};

/// Where a started app's LRPs stand this reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Desired {
    /// The app names no current droplet.
    NoDroplet,
    /// The droplet it names is not staged (yet).
    DropletNotStaged,
    /// Every process's LRP is as wanted (already, or written this reconcile).
    LrpsInPlace,
}

/// The app's status, given where its LRPs stand and the LRPs themselves (their status is the
/// instances' truth). `previous` keeps transition times of unchanged conditions.
pub fn status(
    app: &App,
    desired: Desired,
    lrps: &[&Lrp],
    previous: Option<&AppStatus>,
    now: &Time,
) -> AppStatus {
    let generation = app.metadata.generation;
    let stopped = app.spec.desired_state == DesiredState::Stopped;
    let (ready, ready_reason, ready_message) = match (stopped, desired) {
        (true, _) => (
            "True",
            "Stopped",
            "the app is stopped: no instances are wanted".to_owned(),
        ),
        (false, Desired::NoDroplet) => (
            "False",
            "NoCurrentDroplet",
            "Assign a droplet before starting this app.".to_owned(),
        ),
        (false, Desired::DropletNotStaged) => (
            "False",
            "DropletNotStaged",
            format!(
                "droplet {} is not staged",
                app.spec.current_droplet_guid.as_deref().unwrap_or_default()
            ),
        ),
        (false, Desired::LrpsInPlace) => (
            "True",
            "LrpsDesired",
            format!(
                "{} of {} processes desired",
                lrps.len(),
                app.spec.processes.len()
            ),
        ),
    };
    let (running, running_reason, running_message) = if stopped {
        ("False", "Stopped", "the app is stopped".to_owned())
    } else if desired != Desired::LrpsInPlace {
        (
            "False",
            "NotDesired",
            "no instances are desired yet".to_owned(),
        )
    } else {
        let wanted: i32 = lrps.iter().map(|l| l.spec.instances.max(0)).sum();
        let (up, crashed) = lrps
            .iter()
            .filter_map(|l| l.status.as_ref())
            .fold((0, 0), |(r, c), s| (r + s.running, c + s.crashed));
        if up >= wanted {
            (
                "True",
                "AllInstancesRunning",
                format!("{up} of {wanted} instances running"),
            )
        } else if crashed > 0 {
            (
                "False",
                "InstancesCrashed",
                format!("{up} of {wanted} instances running, {crashed} crashed"),
            )
        } else {
            (
                "False",
                "InstancesStarting",
                format!("{up} of {wanted} instances running"),
            )
        }
    };
    let condition = |type_: &str, status: &str, reason: &str, message: String| {
        let last_transition_time = previous
            .and_then(|p| p.conditions.iter().find(|c| c.type_ == type_))
            .filter(|c| c.status == status)
            .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message,
            observed_generation: generation,
            last_transition_time,
        }
    };
    AppStatus {
        observed_generation: generation,
        conditions: vec![
            condition("Ready", ready, ready_reason, ready_message),
            condition("Running", running, running_reason, running_message),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;
    use smelter_crds::{AppSpec, LrpStatus};

    fn app(state: DesiredState, processes: usize) -> App {
        let mut a = App::new(
            "a0000000-0000-4000-8000-000000000001",
            AppSpec {
                name: "app".into(),
                desired_state: state,
                lifecycle: Default::default(),
                current_droplet_guid: Some("d".into()),
                environment_variables_secret: None,
                processes: (0..processes)
                    .map(|i| smelter_crds::Process {
                        type_: format!("p{i}"),
                        guid: format!("g{i}"),
                        command: None,
                        instances: 1,
                        memory_in_mb: 64,
                        disk_in_mb: 256,
                        log_rate_limit_in_bytes_per_second: -1,
                        health_check: Default::default(),
                        readiness_health_check: None,
                    })
                    .collect(),
            },
        );
        a.metadata.generation = Some(3);
        a
    }

    fn lrp(instances: i32, running: i32, crashed: i32, reported: bool) -> Lrp {
        let mut l: Lrp = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "g0" },
            "spec": {
                "appGuid": "a", "processType": "web", "instances": instances,
                "memoryInMb": 64, "diskInMb": 256,
            },
        }))
        .expect("lrp literal");
        if reported {
            l.status = Some(LrpStatus {
                running,
                crashed,
                ..Default::default()
            });
        }
        l
    }

    fn time(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).expect("valid"))
    }

    /// (Ready status, reason), (Running status, reason, message).
    fn summary(s: &AppStatus) -> ((String, String), (String, String, String)) {
        let (r, n) = (&s.conditions[0], &s.conditions[1]);
        (
            (r.status.clone(), r.reason.clone()),
            (n.status.clone(), n.reason.clone(), n.message.clone()),
        )
    }

    #[test]
    fn conditions_follow_the_state_the_droplet_and_the_instances() {
        let two = lrp(2, 1, 1, true);
        let starting = lrp(2, 1, 0, true);
        let unreported = lrp(1, 0, 0, false);
        let all = lrp(2, 2, 0, true);
        let stopped = app(DesiredState::Stopped, 1);
        let started = app(DesiredState::Started, 1);
        // (app, desired, lrps, Ready (status, reason), Running (status, reason, message))
        type Case<'a> = (
            &'a App,
            Desired,
            Vec<&'a Lrp>,
            (&'a str, &'a str),
            (&'a str, &'a str, &'a str),
        );
        let cases: Vec<Case> = vec![
            (
                &stopped,
                Desired::LrpsInPlace,
                vec![],
                ("True", "Stopped"),
                ("False", "Stopped", "the app is stopped"),
            ),
            (
                &started,
                Desired::NoDroplet,
                vec![],
                ("False", "NoCurrentDroplet"),
                ("False", "NotDesired", "no instances are desired yet"),
            ),
            (
                &started,
                Desired::DropletNotStaged,
                vec![],
                ("False", "DropletNotStaged"),
                ("False", "NotDesired", "no instances are desired yet"),
            ),
            (
                &started,
                Desired::LrpsInPlace,
                vec![&unreported],
                ("True", "LrpsDesired"),
                ("False", "InstancesStarting", "0 of 1 instances running"),
            ),
            (
                &started,
                Desired::LrpsInPlace,
                vec![&starting],
                ("True", "LrpsDesired"),
                ("False", "InstancesStarting", "1 of 2 instances running"),
            ),
            (
                &started,
                Desired::LrpsInPlace,
                vec![&two],
                ("True", "LrpsDesired"),
                (
                    "False",
                    "InstancesCrashed",
                    "1 of 2 instances running, 1 crashed",
                ),
            ),
            (
                &started,
                Desired::LrpsInPlace,
                vec![&all],
                ("True", "LrpsDesired"),
                ("True", "AllInstancesRunning", "2 of 2 instances running"),
            ),
        ];
        for (app, desired, lrps, ready, running) in cases {
            let s = status(app, desired, &lrps, None, &time(10));
            let own = |(a, b): (&str, &str)| (a.to_owned(), b.to_owned());
            let (r, n) = summary(&s);
            assert_eq!(r, own(ready), "{desired:?}");
            assert_eq!(
                n,
                (
                    running.0.to_owned(),
                    running.1.to_owned(),
                    running.2.to_owned()
                )
            );
            assert_eq!(s.observed_generation, Some(3));
            assert!(
                s.conditions
                    .iter()
                    .all(|c| c.observed_generation == Some(3))
            );
        }
    }

    #[test]
    fn an_unchanged_condition_keeps_its_transition_time() {
        let started = app(DesiredState::Started, 1);
        let starting = lrp(1, 0, 0, true);
        let first = status(
            &started,
            Desired::LrpsInPlace,
            &[&starting],
            None,
            &time(10),
        );
        let again = status(
            &started,
            Desired::LrpsInPlace,
            &[&starting],
            Some(&first),
            &time(20),
        );
        assert_eq!(first, again, "nothing changed, nothing to write");
        let up = lrp(1, 1, 0, true);
        let running = status(
            &started,
            Desired::LrpsInPlace,
            &[&up],
            Some(&first),
            &time(30),
        );
        assert_eq!(running.conditions[0].last_transition_time, time(10));
        assert_eq!(running.conditions[1].last_transition_time, time(30));
    }
}
