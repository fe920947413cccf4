//! Pure: the ActualLRP view of an LRP (ARCHITECTURE.md §7) from its pods: per instance index,
//! Diego's state, since when, the crash count and reason, the address; and the `Ready`
//! condition that sums it up, or says that the LRP cannot run.

use super::workload::{APP_CONTAINER, POD_INDEX, REVISION};
use k8s_openapi::{
    api::core::v1::{ContainerStatus, Pod},
    apimachinery::pkg::apis::meta::v1::{Condition, Time},
};
use kube::ResourceExt;
use smelter_crds::lrp::{ActualLrp, InstanceState, LrpStatus};
use std::borrow::Borrow;

/// The type of the condition that says whether every desired instance runs.
pub const READY: &str = "Ready";
/// The reason `Ready` is False when the spec cannot run in this installation (a stack it does
/// not have); also the reason of the Warning event that says so.
pub const CANNOT_RUN: &str = "CannotRun";

/// An instance that crashed since the last status: for the `InstanceCrashed` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crash {
    pub index: i32,
    pub reason: String,
}

/// The status of an LRP of `process_type` wanting `instances`, running `revision` (none when
/// its spec cannot run), with `pods` (of every revision). `previous` keeps condition times
/// steady and tells new crashes.
pub fn status(
    process_type: &str,
    instances: i32,
    revision: Option<&str>,
    pods: &[impl Borrow<Pod>],
    generation: Option<i64>,
    previous: Option<&LrpStatus>,
    now: &Time,
) -> (LrpStatus, Vec<Crash>) {
    let mut actual = Vec::new();
    let mut crashes = Vec::new();
    for index in 0..instances.max(0) {
        let candidates = pods.iter().map(Borrow::borrow).filter(|p: &&Pod| {
            p.metadata.deletion_timestamp.is_none()
                && p.labels().get(POD_INDEX).and_then(|i| i.parse().ok()) == Some(index)
        });
        // The current revision's instance, else the older one still serving that index.
        let pod = candidates
            .clone()
            .find(|p| {
                revision.is_some_and(|r| p.labels().get(REVISION).map(String::as_str) == Some(r))
            })
            .or_else(|| candidates.clone().next());
        let instance = pod.map_or_else(
            || ActualLrp {
                index,
                state: InstanceState::Starting,
                ..Default::default()
            },
            |p| instance_of(index, p, process_type),
        );
        let before = previous.and_then(|s| s.instances.iter().find(|i| i.index == index));
        let crashed_again = match before {
            Some(b) if b.instance_guid == instance.instance_guid => {
                b.crash_count < instance.crash_count
            }
            _ => instance.crash_count > 0,
        };
        if crashed_again && let Some(reason) = &instance.crash_reason {
            crashes.push(Crash {
                index,
                reason: reason.clone(),
            });
        }
        actual.push(instance);
    }
    let count = |state: InstanceState| {
        i32::try_from(actual.iter().filter(|i| i.state == state).count()).unwrap_or(i32::MAX)
    };
    let (running, crashed) = (count(InstanceState::Running), count(InstanceState::Crashed));
    let (cond_status, reason, message) = if running == instances {
        (
            "True",
            "AllInstancesRunning",
            format!("{running} of {instances} instances running"),
        )
    } else if crashed > 0 {
        (
            "False",
            "InstancesCrashed",
            format!("{running} of {instances} instances running, {crashed} crashed"),
        )
    } else {
        (
            "False",
            "InstancesStarting",
            format!("{running} of {instances} instances running"),
        )
    };
    let status = LrpStatus {
        observed_generation: generation,
        running,
        crashed,
        instances: actual,
        conditions: vec![ready(
            cond_status,
            reason,
            message,
            generation,
            previous,
            now,
        )],
    };
    (status, crashes)
}

/// `status` (the ActualLRP view of whatever instances an earlier revision still runs) for an
/// LRP whose spec cannot run, `why`: `Ready` False, reason [`CANNOT_RUN`], `why` its message.
pub fn cannot_run(
    status: LrpStatus,
    why: &str,
    previous: Option<&LrpStatus>,
    now: &Time,
) -> LrpStatus {
    let generation = status.observed_generation;
    LrpStatus {
        conditions: vec![ready(
            "False",
            CANNOT_RUN,
            why.to_owned(),
            generation,
            previous,
            now,
        )],
        ..status
    }
}

/// Whether `status` says that the LRP cannot run and `previous` did not say so, in those words,
/// of the same generation: only then is it news for an Event. A reconcile that finds it the
/// same again (started by an instance's change, say) tells nobody.
pub fn newly_cannot_run(previous: Option<&LrpStatus>, status: &LrpStatus) -> bool {
    let cannot_run = |s: &LrpStatus| {
        s.conditions
            .iter()
            .find(|c| c.type_ == READY && c.reason == CANNOT_RUN)
            .map(|c| (c.message.clone(), c.observed_generation))
    };
    let now = cannot_run(status);
    now.is_some() && previous.and_then(cannot_run) != now
}

/// The `Ready` condition, its transition time kept from `previous` while its status holds.
fn ready(
    status: &str,
    reason: &str,
    message: String,
    generation: Option<i64>,
    previous: Option<&LrpStatus>,
    now: &Time,
) -> Condition {
    let last_transition_time = previous
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == READY))
        .filter(|c| c.status == status)
        .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
    Condition {
        type_: READY.into(),
        status: status.into(),
        reason: reason.into(),
        message,
        observed_generation: generation,
        last_transition_time,
    }
}

fn instance_of(index: i32, pod: &Pod, process_type: &str) -> ActualLrp {
    let status = pod.status.as_ref();
    let app: Option<&ContainerStatus> = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.name == APP_CONTAINER));
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
    let last_exit = app
        .and_then(|c| c.last_state.as_ref())
        .and_then(|s| s.terminated.as_ref());
    let now_exited = app
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.terminated.as_ref());
    let waiting_reason = app
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.waiting.as_ref())
        .and_then(|w| w.reason.as_deref());
    let crash_count = app.map_or(0, |c| c.restart_count);
    let exit = now_exited.or(last_exit);
    let crash_reason = exit.map(|t| {
        let mut reason = format!(
            "APP/PROC/{}: Exited with status {}",
            process_type.to_uppercase(),
            t.exit_code
        );
        if t.reason.as_deref() == Some("OOMKilled") {
            reason.push_str(" (out of memory)");
        }
        reason
    });

    let (state, since) = if ready.is_some_and(|c| c.status == "True") {
        (
            InstanceState::Running,
            ready.and_then(|c| c.last_transition_time.clone()),
        )
    } else if waiting_reason == Some("CrashLoopBackOff")
        || now_exited.is_some()
        || status.and_then(|s| s.phase.as_deref()) == Some("Failed")
    {
        (
            InstanceState::Crashed,
            exit.and_then(|t| t.finished_at.clone()),
        )
    } else {
        (
            InstanceState::Starting,
            pod.metadata.creation_timestamp.clone(),
        )
    };
    ActualLrp {
        index,
        state,
        since,
        crash_count,
        crash_reason,
        address: status.and_then(|s| s.pod_ip.clone()),
        instance_guid: pod.metadata.uid.clone(),
        pod_name: pod.metadata.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::{
        api::core::v1::{
            ContainerState, ContainerStateTerminated, ContainerStateWaiting, PodCondition,
            PodStatus,
        },
        jiff::Timestamp,
    };

    fn time(secs: i64) -> Time {
        Time(Timestamp::from_second(secs).expect("valid"))
    }

    /// A pod of `revision` at `index`: ready, or with `restarts` and a waiting reason.
    fn pod(revision: &str, index: i32, ready: bool, restarts: i32, waiting: Option<&str>) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = Some(format!("p-{revision}-{index}"));
        p.metadata.uid = Some(format!("uid-{revision}-{index}"));
        p.metadata.creation_timestamp = Some(time(1));
        p.metadata.labels = Some(
            [
                (POD_INDEX.to_owned(), index.to_string()),
                (REVISION.to_owned(), revision.to_owned()),
            ]
            .into(),
        );
        p.status = Some(PodStatus {
            pod_ip: Some(format!("10.0.0.{index}")),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: if ready { "True" } else { "False" }.into(),
                last_transition_time: Some(time(5)),
                ..Default::default()
            }]),
            container_statuses: Some(vec![ContainerStatus {
                name: APP_CONTAINER.into(),
                restart_count: restarts,
                state: Some(ContainerState {
                    waiting: waiting.map(|r| ContainerStateWaiting {
                        reason: Some(r.into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                last_state: (restarts > 0).then(|| ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code: 1,
                        finished_at: Some(time(7)),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            ..Default::default()
        });
        p
    }

    #[test]
    fn each_index_reports_its_pod() {
        let pods = [
            pod("new", 0, true, 0, None),
            pod("new", 1, false, 3, Some("CrashLoopBackOff")),
            pod("old", 2, true, 0, None),
            pod("new", 2, false, 0, Some("ContainerCreating")),
        ];
        let (s, crashes) = status("web", 4, Some("new"), &pods, Some(2), None, &time(9));
        let states: Vec<_> = s
            .instances
            .iter()
            .map(|i| (i.index, i.state.clone()))
            .collect();
        assert_eq!(
            states,
            [
                (0, InstanceState::Running),
                (1, InstanceState::Crashed),
                (2, InstanceState::Starting),
                (3, InstanceState::Starting),
            ]
        );
        assert_eq!((s.running, s.crashed), (1, 1));
        let zero = &s.instances[0];
        assert_eq!(zero.since, Some(time(5)));
        assert_eq!(zero.address.as_deref(), Some("10.0.0.0"));
        assert_eq!(zero.instance_guid.as_deref(), Some("uid-new-0"));
        let one = &s.instances[1];
        assert_eq!(one.crash_count, 3);
        assert_eq!(
            one.crash_reason.as_deref(),
            Some("APP/PROC/WEB: Exited with status 1")
        );
        assert_eq!(one.since, Some(time(7)));
        assert_eq!(
            s.instances[2].pod_name.as_deref(),
            Some("p-new-2"),
            "the current revision wins"
        );
        assert_eq!(s.instances[3].pod_name, None);
        assert_eq!(
            crashes,
            [Crash {
                index: 1,
                reason: "APP/PROC/WEB: Exited with status 1".into()
            }]
        );
        let ready = &s.conditions[0];
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("False", "InstancesCrashed")
        );
        assert_eq!(ready.observed_generation, Some(2));
    }

    #[test]
    fn the_same_pods_give_the_same_status_and_no_new_crash() {
        let pods = [pod("r", 0, true, 1, None)];
        let (first, crashes) = status("web", 1, Some("r"), &pods, Some(1), None, &time(9));
        assert_eq!(
            crashes.len(),
            1,
            "a restarted instance is news the first time"
        );
        let (again, crashes) = status("web", 1, Some("r"), &pods, Some(1), Some(&first), &time(99));
        assert_eq!(again, first);
        assert!(crashes.is_empty());
        assert_eq!(first.conditions[0].reason, "AllInstancesRunning");
    }

    #[test]
    fn an_lrp_that_cannot_run_says_why_and_keeps_what_still_runs() {
        // An older revision still serves index 0; the spec names a stack that is not there.
        let pods = [pod("old", 0, true, 0, None)];
        let (view, _) = status("web", 2, None, &pods, Some(3), None, &time(9));
        let why = "stack windows is not available";
        let s = cannot_run(view, why, None, &time(9));
        assert_eq!(s.observed_generation, Some(3));
        assert_eq!(
            (s.running, s.crashed),
            (1, 0),
            "the old instance still runs"
        );
        assert_eq!(
            s.instances
                .iter()
                .map(|i| i.state.clone())
                .collect::<Vec<_>>(),
            [InstanceState::Running, InstanceState::Starting]
        );
        assert_eq!(
            s.conditions,
            [Condition {
                type_: READY.into(),
                status: "False".into(),
                reason: CANNOT_RUN.into(),
                message: why.into(),
                observed_generation: Some(3),
                last_transition_time: time(9),
            }]
        );

        // Looked at again later, it is the same status: nothing to write.
        let (view, _) = status("web", 2, None, &pods, Some(3), Some(&s), &time(99));
        assert_eq!(cannot_run(view, why, Some(&s), &time(99)), s);
    }

    #[test]
    fn cannot_run_is_news_once_per_reason_and_generation() {
        let why = |generation, message: &str| {
            let (view, _) = status(
                "web",
                1,
                None,
                &[] as &[Pod],
                Some(generation),
                None,
                &time(9),
            );
            cannot_run(view, message, None, &time(9))
        };
        let (runs, _) = status("web", 1, Some("r"), &[] as &[Pod], Some(1), None, &time(9));
        let windows = why(1, "stack windows is not available");
        // (previous, status, news)
        let cases = [
            (None, &windows, true),
            (Some(&runs), &windows, true),
            (Some(&windows), &windows, false),
            (
                Some(&windows),
                &why(2, "stack windows is not available"),
                true,
            ),
            (
                Some(&windows),
                &why(1, "stack macos is not available"),
                true,
            ),
            (None, &runs, false),
            (Some(&windows), &runs, false),
        ];
        for (i, (previous, status, news)) in cases.into_iter().enumerate() {
            assert_eq!(newly_cannot_run(previous, status), news, "case {i}");
        }
    }
}
