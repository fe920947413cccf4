//! What a staging Job's pod says happened, as a CF build state: still staging, staged with a
//! droplet, or failed with the Cloud Controller's error text. Pure, so every way a pod can end
//! is a table row in the tests.

use super::job::{BUILDER_CONTAINER, FETCH_CONTAINER};
use k8s_openapi::api::{
    batch::v1::Job,
    core::v1::{ContainerStateTerminated, ContainerStatus, Pod},
};
use smelter_crds::{
    build::{DetectedBuildpack, Droplet},
    common::{Checksum, ChecksumType},
};
use smelter_lifecycle::result::{Outcome, StagingError};
use std::borrow::Borrow;

/// Where a build is.
#[derive(Clone, Debug, PartialEq)]
pub enum Staging {
    /// Nothing has ended yet.
    Running,
    Staged(Box<Droplet>),
    /// The build's `error`, such as `NoAppDetectedError - An app was not successfully detected
    /// by any available buildpack`.
    Failed(String),
}

/// The build's state from its Job and the Job's pods.
pub fn observe(job: &Job, pods: &[impl Borrow<Pod>], droplet_guid: &str, stack: &str) -> Staging {
    for pod in pods.iter().map(Borrow::borrow) {
        let status = pod.status.as_ref();
        let statuses = |init: bool| {
            status
                .and_then(|s| {
                    if init {
                        s.init_container_statuses.as_ref()
                    } else {
                        s.container_statuses.as_ref()
                    }
                })
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        if let Some(t) = terminated(statuses(true), FETCH_CONTAINER)
            && t.exit_code != 0
        {
            let why = t.message.as_deref().map(str::trim).unwrap_or_default();
            return Staging::Failed(
                StagingError {
                    id: "StagingError".into(),
                    message: format!("failed to fetch the app bits or buildpacks: {why}")
                        .trim_end_matches([' ', ':'])
                        .to_owned(),
                }
                .build_error(),
            );
        }
        if let Some(t) = terminated(statuses(false), BUILDER_CONTAINER) {
            return from_builder(t, droplet_guid, stack);
        }
    }
    // No pod told us; the Job may still have failed (its deadline, a deleted pod).
    let failed = job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.type_ == "Failed" && c.status == "True")
        });
    match failed {
        Some(c) if c.reason.as_deref() == Some("DeadlineExceeded") => {
            Staging::Failed("StagingTimeExpired - Staging time expired".into())
        }
        Some(c) => Staging::Failed(
            StagingError {
                id: "StagingError".into(),
                message: c
                    .message
                    .clone()
                    .or_else(|| c.reason.clone())
                    .unwrap_or_else(|| "staging failed".into()),
            }
            .build_error(),
        ),
        None => Staging::Running,
    }
}

/// The droplet of a docker package: nothing is staged; the image is what runs, with its own
/// entrypoint as the web process's command (CC's docker lifecycle).
pub fn docker_droplet(droplet_guid: &str, image: &str) -> Droplet {
    Droplet {
        guid: droplet_guid.to_owned(),
        process_types: [("web".to_owned(), String::new())].into(),
        image: Some(image.to_owned()),
        ..Default::default()
    }
}

/// How long after the staging container ended the build may be reported finished.
///
/// The cf CLI streams staging output only until it sees the build finish, and reads log-cache
/// two seconds behind (go-log-cache's walk delay prunes newer envelopes), so output written in
/// the last two seconds of staging would never be shown. Diego's stager happens to spend that
/// long after the buildpack's last line; ours does not. `finishedAt` has whole seconds, so
/// three seconds after it is at least two after the real end.
pub const LOG_SETTLE: std::time::Duration = std::time::Duration::from_secs(3);

/// How much longer to wait before reporting the outcome of the builder container that
/// ended at its `finishedAt`, given the time `now` (see [`LOG_SETTLE`]); zero if none ended.
pub fn settle_wait(pods: &[impl Borrow<Pod>], now: std::time::SystemTime) -> std::time::Duration {
    pods.iter()
        .map(Borrow::borrow)
        .filter_map(|p| p.status.as_ref()?.container_statuses.as_deref())
        .filter_map(|s| terminated(s, BUILDER_CONTAINER)?.finished_at.as_ref())
        .filter_map(|t| {
            let done = std::time::SystemTime::from(t.0) + LOG_SETTLE;
            done.duration_since(now).ok()
        })
        .max()
        .unwrap_or_default()
}

fn terminated<'a>(
    statuses: &'a [ContainerStatus],
    name: &str,
) -> Option<&'a ContainerStateTerminated> {
    statuses
        .iter()
        .find(|s| s.name == name)
        .and_then(|s| s.state.as_ref())
        .and_then(|s| s.terminated.as_ref())
}

fn from_builder(t: &ContainerStateTerminated, droplet_guid: &str, stack: &str) -> Staging {
    let outcome = t
        .message
        .as_deref()
        .and_then(|m| serde_json::from_str::<Outcome>(m).ok());
    match (t.exit_code, outcome) {
        (0, Some(Outcome::Staged(result))) => Staging::Staged(Box::new(Droplet {
            guid: droplet_guid.to_owned(),
            checksum: Some(Checksum {
                type_: ChecksumType::Sha256,
                value: result.droplet_sha256,
            }),
            process_types: result.process_types,
            buildpacks: result
                .lifecycle_metadata
                .buildpacks
                .into_iter()
                .map(|b| DetectedBuildpack {
                    name: b.key,
                    detect_output: b.detect_output,
                    buildpack_name: b.name,
                    version: b.version,
                })
                .collect(),
            stack: Some(stack.to_owned()),
            image: None,
            execution_metadata: Some(result.execution_metadata),
        })),
        (_, Some(Outcome::Failed { error })) => Staging::Failed(error.build_error()),
        // Killed before it could say anything: out of memory, evicted, or a crash.
        (code, _) => {
            let mut error = StagingError::from_exit_code(code);
            if let Some(reason) = t
                .reason
                .as_deref()
                .filter(|r| *r != "Error" && *r != "Completed")
            {
                error.message = format!("staging failed ({reason})");
            }
            Staging::Failed(error.build_error())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::{
        batch::v1::{JobCondition, JobStatus},
        core::v1::{ContainerState, PodStatus},
    };

    fn pod(init: Option<(i32, &str)>, builder: Option<(i32, Option<&str>, &str)>) -> Pod {
        let status = |name: &str, code: i32, message: Option<&str>, reason: &str| ContainerStatus {
            name: name.into(),
            state: Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: code,
                    message: message.map(str::to_owned),
                    reason: Some(reason.into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        Pod {
            status: Some(PodStatus {
                init_container_statuses: init.map(|(code, message)| {
                    vec![status(FETCH_CONTAINER, code, Some(message), "Error")]
                }),
                container_statuses: builder.map(|(code, message, reason)| {
                    vec![status(BUILDER_CONTAINER, code, message, reason)]
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_outcome_waits_until_the_last_output_is_two_seconds_old() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
        use std::time::{Duration, SystemTime};
        let finished = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut ended = pod(None, Some((0, None, "Completed")));
        if let Some(s) = ended
            .status
            .as_mut()
            .and_then(|s| s.container_statuses.as_mut())
        {
            s[0].state
                .as_mut()
                .unwrap()
                .terminated
                .as_mut()
                .unwrap()
                .finished_at = Some(Time(
                k8s_openapi::jiff::Timestamp::try_from(finished).unwrap(),
            ));
        }
        let at = |secs: f64| finished + Duration::from_secs_f64(secs);
        assert_eq!(
            settle_wait(std::slice::from_ref(&ended), at(0.5)),
            Duration::from_secs_f64(2.5)
        );
        assert_eq!(
            settle_wait(std::slice::from_ref(&ended), at(3.0)),
            Duration::ZERO
        );
        assert_eq!(
            settle_wait(std::slice::from_ref(&ended), at(60.0)),
            Duration::ZERO
        );
        // Still running, or no finishing time: nothing to wait for.
        assert_eq!(settle_wait(&[pod(None, None)], at(0.0)), Duration::ZERO);
        assert_eq!(
            settle_wait(&[pod(None, Some((0, None, "Completed")))], at(0.0)),
            Duration::ZERO
        );
    }

    fn job_failed(reason: &str) -> Job {
        Job {
            status: Some(JobStatus {
                conditions: Some(vec![JobCondition {
                    type_: "Failed".into(),
                    status: "True".into(),
                    reason: Some(reason.into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    const STAGED: &str = r#"{"lifecycle_type":"buildpack","lifecycle_metadata":{"detected_buildpack":"staticfile","buildpacks":[{"key":"staticfile_buildpack","name":"staticfile","version":"1.0.0","detect_output":"staticfile"}]},"process_types":{"web":"busybox httpd"},"execution_metadata":"","droplet_sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","droplet_size":10}"#;
    const NOT_DETECTED: &str = r#"{"error":{"id":"NoAppDetectedError","message":"None of the buildpacks detected a compatible application"}}"#;

    #[test]
    fn every_way_a_staging_pod_ends() {
        let job = Job::default();
        let failed = |s: &str| Staging::Failed(s.to_owned());
        let cases = [
            ("no pod yet", vec![], job.clone(), Staging::Running),
            (
                "fetching",
                vec![pod(None, None)],
                job.clone(),
                Staging::Running,
            ),
            (
                "not detected",
                vec![pod(Some((0, "")), Some((222, Some(NOT_DETECTED), "Error")))],
                job.clone(),
                failed(
                    "NoAppDetectedError - An app was not successfully detected by any available buildpack",
                ),
            ),
            (
                "compile failed, message lost",
                vec![pod(Some((0, "")), Some((223, None, "Error")))],
                job.clone(),
                failed(
                    "BuildpackCompileFailed - App staging failed in the buildpack compile phase",
                ),
            ),
            (
                "out of memory",
                vec![pod(Some((0, "")), Some((137, None, "OOMKilled")))],
                job.clone(),
                failed("StagingError - Staging error: staging failed (OOMKilled)"),
            ),
            (
                "download failed",
                vec![pod(Some((1, "fetcher: checksum mismatch\n")), None)],
                job.clone(),
                failed(
                    "StagingError - Staging error: failed to fetch the app bits or buildpacks: fetcher: checksum mismatch",
                ),
            ),
            (
                "deadline",
                vec![],
                job_failed("DeadlineExceeded"),
                failed("StagingTimeExpired - Staging time expired"),
            ),
            (
                "job failed otherwise",
                vec![],
                job_failed("BackoffLimitExceeded"),
                failed("StagingError - Staging error: BackoffLimitExceeded"),
            ),
        ];
        for (what, pods, job, expected) in cases {
            assert_eq!(observe(&job, &pods, "d1", "cflinuxfs4"), expected, "{what}");
        }
    }

    #[test]
    fn a_staged_pod_gives_the_droplet() {
        let pods = [pod(Some((0, "")), Some((0, Some(STAGED), "Completed")))];
        let Staging::Staged(droplet) = observe(&Job::default(), &pods, "d1", "cflinuxfs4") else {
            panic!("not staged");
        };
        assert_eq!(droplet.guid, "d1");
        assert_eq!(
            droplet.checksum.as_ref().map(|c| c.value.as_str()),
            Some("a".repeat(64).as_str())
        );
        assert_eq!(droplet.process_types["web"], "busybox httpd");
        assert_eq!(droplet.stack.as_deref(), Some("cflinuxfs4"));
        let bp = &droplet.buildpacks[0];
        assert_eq!(
            (
                bp.name.as_str(),
                bp.buildpack_name.as_deref(),
                bp.version.as_deref(),
                bp.detect_output.as_deref()
            ),
            (
                "staticfile_buildpack",
                Some("staticfile"),
                Some("1.0.0"),
                Some("staticfile")
            )
        );
    }
}
