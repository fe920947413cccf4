//! Pure: the workload and Service of an LRP (ARCHITECTURE.md §6).
//!
//! Each *revision* of an LRP (what its instances run: droplet, command, environment, limits,
//! health checks) is a StatefulSet named `<process guid>-<revision>`, and one Service selects
//! the ready pods of all of them. Why StatefulSets, and why one per revision:
//!
//! - CF promises every instance a unique `CF_INSTANCE_INDEX` in `0..N-1`, the index `cf app`
//!   shows. A StatefulSet's pods have exactly that (their ordinal, published in the
//!   `apps.kubernetes.io/pod-index` label, which the downward API hands to the launcher). A
//!   Deployment's pods have random names and no index at all.
//! - A StatefulSet updates in place one pod at a time, deleting an instance before its
//!   replacement starts: a one-instance app would go down on every push. CF promises the
//!   opposite. So a new revision is a new StatefulSet, started beside the old one, and the old
//!   one is deleted only once every new instance is ready (see [`super::rollout`]). Meanwhile
//!   the Service sends traffic to the ready instances of both, as CF's rolling deployment does.

use crate::{config::StagingConfig, pods};
use k8s_openapi::{
    api::{
        apps::v1::{StatefulSet, StatefulSetSpec},
        core::v1::{
            Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, HTTPGetAction,
            Lifecycle, LifecycleHandler, ObjectFieldSelector, PodSpec, PodTemplateSpec, Probe,
            ResourceRequirements, Service, ServicePort, ServiceSpec, SleepAction, TCPSocketAction,
            Volume, VolumeMount,
        },
    },
    apimachinery::pkg::{
        api::resource::Quantity,
        apis::meta::v1::{LabelSelector, ObjectMeta},
        util::intstr::IntOrString,
    },
};
use kube::{Resource, ResourceExt};
use serde_json::json;
use sha2::{Digest, Sha256};
use smelter_blobstore::{UrlSigner, keys};
use smelter_crds::{HealthCheck, HealthCheckType, Lrp, annotations, labels};
use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

/// The label with an instance's revision.
pub const REVISION: &str = "cf.smelter.dev/revision";
/// The label Kubernetes puts on a StatefulSet's pods with their ordinal.
pub const POD_INDEX: &str = "apps.kubernetes.io/pod-index";
/// The app container's name.
pub const APP_CONTAINER: &str = "app";
/// Where the droplet is unpacked: its `app/` is the app's directory, as on a Diego cell.
const HOME: &str = "/home/vcap";
/// CF's defaults: an instance has 60 s to become healthy, and one check may take 1 s.
const DEFAULT_STARTUP_TIMEOUT: i32 = 60;
const DEFAULT_INVOCATION_TIMEOUT: i32 = 1;
/// How often the startup, readiness and liveness checks run, in seconds (Diego checks a
/// starting instance every 2 s, and a running one every 30 s; readiness as often as CF's
/// readiness checks, 5 s).
const STARTUP_PERIOD: i32 = 2;
const READINESS_PERIOD: i32 = 5;
const LIVENESS_PERIOD: i32 = 30;
/// CF gives an app 10 s after SIGTERM before it is killed.
const GRACE_PERIOD: i64 = 10;
/// How long a stopping instance keeps serving before it gets SIGTERM. Its removal from the
/// Service's endpoints and the SIGTERM start at the same moment, and kube-proxy and the
/// ingress controller take a moment to stop sending it requests; Diego likewise unregisters
/// a route before stopping the instance. Without it a re-push loses the requests in flight
/// to the old instance (seen on the tier-2 node: one in eighty).
const DRAIN_SECONDS: i64 = 5;
/// How long a droplet download URL in a pod template stays valid. A pod that restarts fetches
/// the droplet again with the URL in its template, so it must outlive the revision; it only
/// reads one immutable blob whose sha256 the pod checks.
const DROPLET_URL_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The Service of an LRP: `lrp-<process guid>` (a Service name must start with a letter).
pub fn service_name(lrp_guid: &str) -> String {
    format!("lrp-{lrp_guid}")
}

/// The StatefulSet of one revision.
pub fn statefulset_name(lrp_guid: &str, revision: &str) -> String {
    format!("{lrp_guid}-{revision}")
}

/// The labels every object of the LRP carries: its GUIDs, as the API filters on them.
pub fn lrp_labels(lrp: &Lrp) -> BTreeMap<String, String> {
    let mut l = crate::meta::child_labels(lrp);
    l.insert(labels::APP_GUID.into(), lrp.spec.app_guid.clone());
    l.insert(labels::PROCESS_GUID.into(), lrp.name_any());
    l.insert(labels::PROCESS_TYPE.into(), lrp.spec.process_type.clone());
    l
}

/// Why an LRP cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WorkloadError {
    #[error("stack {0} is not available")]
    UnknownStack(String),
}

/// The pod template of the LRP's current revision, and the revision: a digest of the
/// template, so anything that changes what runs makes a new revision and nothing else does.
pub fn pod_template(
    lrp: &Lrp,
    config: &StagingConfig,
    signer: &UrlSigner,
    droplet_created: SystemTime,
    segment: Option<&str>,
) -> Result<(PodTemplateSpec, String), WorkloadError> {
    let spec = &lrp.spec;
    let port = spec.ports.first().copied().unwrap_or(8080);
    let field = |path: &str| EnvVarSource {
        field_ref: Some(ObjectFieldSelector {
            field_path: path.to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let value = |name: &str, value: String| EnvVar {
        name: name.to_owned(),
        value: Some(value),
        ..Default::default()
    };
    let mut env: Vec<EnvVar> = spec
        .environment
        .iter()
        .map(|(k, v)| value(k, v.clone()))
        .collect();
    env.extend([
        value("PORT", port.to_string()),
        value("MEMORY_LIMIT", format!("{}m", spec.memory_in_mb)),
        EnvVar {
            name: "CF_INSTANCE_INDEX".into(),
            value_from: Some(field(&format!("metadata.labels['{POD_INDEX}']"))),
            ..Default::default()
        },
        EnvVar {
            name: "CF_INSTANCE_GUID".into(),
            value_from: Some(field("metadata.uid")),
            ..Default::default()
        },
        EnvVar {
            name: "CF_INSTANCE_IP".into(),
            value_from: Some(field("status.podIP")),
            ..Default::default()
        },
    ]);

    let limits = BTreeMap::from([
        (
            "memory".to_owned(),
            Quantity(format!("{}Mi", spec.memory_in_mb)),
        ),
        (
            "ephemeral-storage".to_owned(),
            Quantity(format!("{}Mi", spec.disk_in_mb)),
        ),
    ]);
    let resources = ResourceRequirements {
        // CF reserves an instance's memory on its cell; the request does the same here.
        requests: Some(BTreeMap::from([(
            "memory".to_owned(),
            Quantity(format!("{}Mi", spec.memory_in_mb)),
        )])),
        limits: Some(limits),
        ..Default::default()
    };
    let liveness = &spec.health_check;
    let readiness = spec.readiness_health_check.as_ref().unwrap_or(liveness);
    let startup_timeout = liveness.timeout.unwrap_or(DEFAULT_STARTUP_TIMEOUT);

    let mut app = Container {
        name: APP_CONTAINER.into(),
        image_pull_policy: Some("IfNotPresent".into()),
        env: Some(env),
        // The running group first: a later source wins, so the app's own variables do.
        env_from: Some(
            std::iter::once(pods::env_group(smelter_crds::env_group::RUNNING))
                .chain(pods::secrets_env(
                    spec.environment_secret
                        .iter()
                        .cloned()
                        .chain([smelter_crds::app::services_secret_name(&spec.app_guid)]),
                ))
                .collect(),
        ),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: port,
            ..Default::default()
        }]),
        resources: Some(resources),
        startup_probe: probe(liveness, port, STARTUP_PERIOD).map(|mut p| {
            p.failure_threshold = Some((startup_timeout / STARTUP_PERIOD).max(1));
            p
        }),
        readiness_probe: probe(readiness, port, READINESS_PERIOD),
        liveness_probe: probe(liveness, port, LIVENESS_PERIOD),
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        // The kubelet's own sleep (no binary needed in the image).
        lifecycle: Some(Lifecycle {
            pre_stop: Some(LifecycleHandler {
                sleep: Some(SleepAction {
                    seconds: DRAIN_SECONDS,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut pod = PodSpec {
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        // The grace period counts from the start of the preStop sleep.
        termination_grace_period_seconds: Some(DRAIN_SECONDS + GRACE_PERIOD),
        ..Default::default()
    };

    match (&spec.droplet, &spec.image) {
        (Some(droplet), _) => {
            let stack = config.stack(spec.stack.as_deref());
            let image = config
                .stack_image(stack)
                .ok_or_else(|| WorkloadError::UnknownStack(stack.to_owned()))?;
            let url = signer.url(
                &config.blob_url,
                "GET",
                &keys::droplet(&droplet.guid),
                droplet_created,
                DROPLET_URL_TTL,
            );
            let plan = json!({
                "copy_lifecycle_to": "/tmp/lifecycle",
                "fetch": [{
                    "url": url,
                    "sha256": droplet.checksum.value,
                    "into": HOME,
                    "format": "tgz",
                }],
            });
            let mount = |name: &str, path: &str| VolumeMount {
                name: name.to_owned(),
                mount_path: path.to_owned(),
                ..Default::default()
            };
            pod.init_containers = Some(vec![Container {
                name: "fetch".into(),
                image: Some(config.lifecycle_image.clone()),
                image_pull_policy: Some("IfNotPresent".into()),
                command: Some(vec!["/lifecycle/fetcher".into()]),
                env: Some(vec![value("SMELTER_FETCH_PLAN", plan.to_string())]),
                volume_mounts: Some(vec![
                    mount("lifecycle", "/tmp/lifecycle"),
                    mount("home", HOME),
                ]),
                termination_message_policy: Some("FallbackToLogsOnError".into()),
                ..Default::default()
            }]);
            app.image = Some(image.to_owned());
            app.command = Some(vec!["/tmp/lifecycle/launcher".into()]);
            // The launcher runs the droplet's own command for the type when given none.
            app.args = Some(
                std::iter::once(format!("{HOME}/app"))
                    .chain(spec.command.clone().filter(|c| !c.is_empty()))
                    .collect(),
            );
            app.working_dir = Some(format!("{HOME}/app"));
            app.volume_mounts = Some(vec![
                mount("lifecycle", "/tmp/lifecycle"),
                mount("home", HOME),
            ]);
            pod.security_context = Some(pods::as_vcap());
            pod.volumes = Some(
                ["lifecycle", "home"]
                    .iter()
                    .map(|name| Volume {
                        name: (*name).to_owned(),
                        empty_dir: Some(EmptyDirVolumeSource::default()),
                        ..Default::default()
                    })
                    .collect(),
            );
        }
        (None, image) => {
            // A docker app runs its image as it is; a command replaces the entrypoint.
            app.image = image.clone();
            if let Some(command) = spec.command.clone().filter(|c| !c.is_empty()) {
                app.command = Some(vec!["/bin/sh".into(), "-c".into(), command]);
            }
        }
    }
    pod.containers = vec![app];
    // Part of the revision: a space moved to another segment moves its instances.
    crate::placement::place(&mut pod, segment);

    // A restart (annotations::RESTARTED_AT) is a new revision of the same pod.
    let restarted = lrp.annotations().get(annotations::RESTARTED_AT);
    let revision = revision_of(&pod, restarted.map(String::as_str));
    let mut labels = lrp_labels(lrp);
    labels.insert(REVISION.into(), revision.clone());
    let template = PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            annotations: restarted
                .map(|at| [(annotations::RESTARTED_AT.to_owned(), at.clone())].into()),
            ..Default::default()
        }),
        spec: Some(pod),
    };
    Ok((template, revision))
}

/// The first 10 hex digits of the sha256 of the pod spec's JSON (serde_json writes struct
/// fields in declaration order and maps sorted, so equal specs give equal text).
fn revision_of(pod: &PodSpec, restarted_at: Option<&str>) -> String {
    let mut text = serde_json::to_vec(pod).unwrap_or_default();
    if let Some(at) = restarted_at {
        text.extend_from_slice(at.as_bytes());
    }
    let digest = Sha256::digest(&text);
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// A CF health check as a probe run every `period` seconds; `process` checks nothing beyond
/// the process running, which Kubernetes already watches.
fn probe(check: &HealthCheck, port: i32, period: i32) -> Option<Probe> {
    let mut probe = Probe {
        period_seconds: Some(period),
        timeout_seconds: Some(
            check
                .invocation_timeout
                .unwrap_or(DEFAULT_INVOCATION_TIMEOUT),
        ),
        failure_threshold: Some(1),
        ..Default::default()
    };
    match check.type_ {
        HealthCheckType::Port => {
            probe.tcp_socket = Some(TCPSocketAction {
                port: IntOrString::Int(port),
                ..Default::default()
            });
        }
        HealthCheckType::Http => {
            probe.http_get = Some(HTTPGetAction {
                path: Some(check.endpoint.clone().unwrap_or_else(|| "/".into())),
                port: IntOrString::Int(port),
                ..Default::default()
            });
        }
        HealthCheckType::Process => return None,
    }
    // A liveness check that fails once should not kill an instance on a busy node; Diego
    // also acts on a failed check of a running instance, but only after its interval.
    if period == LIVENESS_PERIOD {
        probe.failure_threshold = Some(2);
    }
    Some(probe)
}

/// The StatefulSet of one revision with `replicas` instances, owned by the LRP.
pub fn statefulset(
    lrp: &Lrp,
    template: &PodTemplateSpec,
    revision: &str,
    replicas: i32,
) -> StatefulSet {
    let guid = lrp.name_any();
    let mut labels = lrp_labels(lrp);
    labels.insert(REVISION.into(), revision.to_owned());
    let selector = BTreeMap::from([
        (labels::PROCESS_GUID.to_owned(), guid.clone()),
        (REVISION.to_owned(), revision.to_owned()),
    ]);
    StatefulSet {
        metadata: ObjectMeta {
            name: Some(statefulset_name(&guid, revision)),
            namespace: lrp.namespace(),
            labels: Some(labels),
            owner_references: lrp.controller_owner_ref(&()).map(|r| vec![r]),
            ..Default::default()
        },
        spec: Some(StatefulSetSpec {
            replicas: Some(replicas),
            // Diego starts all instances at once; so does a parallel StatefulSet.
            pod_management_policy: Some("Parallel".into()),
            service_name: Some(service_name(&guid)),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..Default::default()
            },
            template: template.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The LRP's Service: every ready instance of every revision, on the app's port; headless, as
/// nothing routes to a virtual IP (see [`crate::headless`]).
pub fn service(lrp: &Lrp) -> Service {
    let guid = lrp.name_any();
    let port = lrp.spec.ports.first().copied().unwrap_or(8080);
    Service {
        metadata: ObjectMeta {
            name: Some(service_name(&guid)),
            namespace: lrp.namespace(),
            labels: Some(lrp_labels(lrp)),
            owner_references: lrp.controller_owner_ref(&()).map(|r| vec![r]),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            // Headless: see crate::headless.
            cluster_ip: Some(crate::headless::NONE.into()),
            selector: Some(BTreeMap::from([(labels::PROCESS_GUID.to_owned(), guid)])),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port,
                target_port: Some(IntOrString::Int(port)),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::{Checksum, ChecksumType, DropletReference, LrpSpec};
    use std::time::UNIX_EPOCH;

    fn lrp(check: HealthCheck, command: Option<&str>) -> Lrp {
        let mut lrp = Lrp::new(
            "p0000000-0000-4000-8000-000000000001",
            LrpSpec {
                app_guid: "a".into(),
                process_type: "web".into(),
                command: command.map(Into::into),
                instances: 3,
                memory_in_mb: 64,
                disk_in_mb: 256,
                log_rate_limit_in_bytes_per_second: -1,
                health_check: check,
                readiness_health_check: None,
                droplet: Some(DropletReference {
                    guid: "d".into(),
                    checksum: Checksum {
                        type_: ChecksumType::Sha256,
                        value: "e".repeat(64),
                    },
                }),
                image: None,
                ports: vec![8080],
                environment_secret: Some("a-env".into()),
                environment: [("VCAP_APPLICATION".to_owned(), "{}".to_owned())].into(),
                stack: None,
            },
        );
        lrp.metadata.namespace = Some("space".into());
        lrp.metadata.uid = Some("lrp-uid".into());
        lrp
    }

    fn template(lrp: &Lrp) -> (PodTemplateSpec, String) {
        pod_template(
            lrp,
            &StagingConfig::default(),
            &UrlSigner::new(b"k".to_vec()),
            UNIX_EPOCH,
            None,
        )
        .expect("template")
    }

    fn app_container(t: &PodTemplateSpec) -> Container {
        t.spec.as_ref().expect("spec").containers[0].clone()
    }

    #[test]
    fn health_checks_become_probes() {
        let check = |type_, endpoint: Option<&str>, timeout, invocation| HealthCheck {
            type_,
            endpoint: endpoint.map(Into::into),
            timeout,
            invocation_timeout: invocation,
        };
        // (check, tcp, http path, startup failure threshold, probe timeout)
        let cases = [
            (
                check(HealthCheckType::Port, None, None, None),
                true,
                None,
                30,
                1,
            ),
            (
                check(HealthCheckType::Http, Some("/health"), Some(10), Some(3)),
                false,
                Some("/health"),
                5,
                3,
            ),
        ];
        for (hc, tcp, path, threshold, timeout) in cases {
            let c = app_container(&template(&lrp(hc.clone(), None)).0);
            for p in [&c.startup_probe, &c.readiness_probe, &c.liveness_probe] {
                let p = p.as_ref().expect("probe");
                assert_eq!(p.tcp_socket.is_some(), tcp, "{hc:?}");
                assert_eq!(
                    p.http_get.as_ref().and_then(|h| h.path.as_deref()),
                    path,
                    "{hc:?}"
                );
                assert_eq!(p.timeout_seconds, Some(timeout));
            }
            let startup = c.startup_probe.expect("startup");
            assert_eq!(startup.failure_threshold, Some(threshold), "{hc:?}");
        }
        let process = app_container(
            &template(&lrp(
                check(HealthCheckType::Process, None, None, None),
                None,
            ))
            .0,
        );
        assert!(process.startup_probe.is_none() && process.liveness_probe.is_none());
    }

    #[test]
    fn a_droplet_runs_through_the_launcher_with_cf_environment_and_limits() {
        let l = lrp(HealthCheck::default(), Some("./server --fast"));
        let (t, revision) = template(&l);
        let c = app_container(&t);
        assert_eq!(
            c.image.as_deref(),
            Some(StagingConfig::default().stack_images["cflinuxfs4"].as_str())
        );
        assert_eq!(c.command, Some(vec!["/tmp/lifecycle/launcher".to_owned()]));
        assert_eq!(
            c.args,
            Some(vec![
                "/home/vcap/app".to_owned(),
                "./server --fast".to_owned()
            ])
        );
        let env: BTreeMap<String, EnvVar> = c
            .env
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.name.clone(), e))
            .collect();
        assert_eq!(env["PORT"].value.as_deref(), Some("8080"));
        assert_eq!(env["MEMORY_LIMIT"].value.as_deref(), Some("64m"));
        assert_eq!(env["VCAP_APPLICATION"].value.as_deref(), Some("{}"));
        // The running group's variables, the user's (which win), then VCAP_SERVICES; any may
        // not exist yet.
        let group = c.env_from.as_ref().expect("env_from")[0]
            .config_map_ref
            .as_ref()
            .map(|m| m.name.clone());
        assert_eq!(group.as_deref(), Some("smelter-running-env-group"));
        let from: Vec<_> = c
            .env_from
            .iter()
            .flatten()
            .map(|e| e.secret_ref.as_ref().map(|s| (s.name.clone(), s.optional)))
            .collect();
        assert_eq!(
            from,
            [
                None,
                Some(("a-env".to_owned(), Some(true))),
                Some((format!("{}-services", l.spec.app_guid), Some(true)))
            ]
        );
        let index = env["CF_INSTANCE_INDEX"]
            .value_from
            .as_ref()
            .and_then(|v| v.field_ref.as_ref());
        assert_eq!(
            index.map(|f| f.field_path.as_str()),
            Some("metadata.labels['apps.kubernetes.io/pod-index']")
        );
        // Drained before SIGTERM, then CF's 10 s.
        let drain = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref());
        assert_eq!(
            drain.and_then(|h| h.sleep.as_ref()).map(|s| s.seconds),
            Some(5)
        );
        assert_eq!(
            t.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds),
            Some(15)
        );
        let limits = c.resources.and_then(|r| r.limits).expect("limits");
        assert_eq!(limits["memory"], Quantity("64Mi".into()));
        assert_eq!(limits["ephemeral-storage"], Quantity("256Mi".into()));
        let init = &t
            .spec
            .as_ref()
            .and_then(|s| s.init_containers.clone())
            .expect("init")[0];
        let plan = init.env.as_ref().expect("env")[0]
            .value
            .clone()
            .expect("plan");
        assert!(
            plan.contains(&"e".repeat(64)) && plan.contains("droplets/d"),
            "{plan}"
        );
        assert_eq!(
            t.metadata
                .as_ref()
                .and_then(|m| m.labels.as_ref())
                .map(|l| l[REVISION].clone()),
            Some(revision)
        );
    }

    #[test]
    fn the_revision_follows_what_runs_not_how_many() {
        let base = lrp(HealthCheck::default(), None);
        let (_, revision) = template(&base);
        let mut scaled = base.clone();
        scaled.spec.instances = 7;
        assert_eq!(
            template(&scaled).1,
            revision,
            "scaling is not a new revision"
        );
        let mut other = base.clone();
        other.spec.droplet.as_mut().expect("droplet").checksum.value = "f".repeat(64);
        assert_ne!(template(&other).1, revision, "a new droplet is");
        let mut env = base.clone();
        env.spec.environment.insert("X".into(), "1".into());
        assert_ne!(template(&env).1, revision, "so is new environment");
        let mut restarted = base.clone();
        restarted.metadata.annotations = Some(
            [(
                annotations::RESTARTED_AT.to_owned(),
                "2026-11-22T10:00:00Z".to_owned(),
            )]
            .into(),
        );
        assert_ne!(template(&restarted).1, revision, "and a restart");
        let mut unknown = base.clone();
        unknown.spec.stack = Some("windows".into());
        assert_eq!(
            pod_template(
                &unknown,
                &StagingConfig::default(),
                &UrlSigner::new(b"k".to_vec()),
                UNIX_EPOCH,
                None,
            )
            .expect_err("unknown stack"),
            WorkloadError::UnknownStack("windows".into())
        );
    }

    #[test]
    fn docker_images_run_as_they_are_and_the_workload_is_owned_and_selected() {
        let mut docker = lrp(HealthCheck::default(), Some("nginx -g 'daemon off;'"));
        docker.spec.droplet = None;
        docker.spec.image = Some("nginx:1.27".into());
        let (t, revision) = template(&docker);
        let c = app_container(&t);
        assert_eq!(c.image.as_deref(), Some("nginx:1.27"));
        assert_eq!(c.command.as_ref().map(|c| c[0].as_str()), Some("/bin/sh"));
        assert!(
            t.spec
                .as_ref()
                .and_then(|s| s.init_containers.as_ref())
                .is_none()
        );
        let sts = statefulset(&docker, &t, &revision, 3);
        assert_eq!(
            sts.metadata.name,
            Some(format!("p0000000-0000-4000-8000-000000000001-{revision}"))
        );
        let spec = sts.spec.expect("spec");
        assert_eq!(spec.replicas, Some(3));
        assert_eq!(
            spec.service_name.as_deref(),
            Some("lrp-p0000000-0000-4000-8000-000000000001")
        );
        let selector = spec.selector.match_labels.expect("selector");
        assert_eq!(selector[REVISION], revision);
        assert_eq!(
            sts.metadata.owner_references.expect("owner")[0].uid,
            "lrp-uid"
        );
        let svc = service(&docker);
        let s = svc.spec.expect("spec");
        assert_eq!(
            s.selector,
            Some(BTreeMap::from([(
                labels::PROCESS_GUID.to_owned(),
                docker.name_any()
            )])),
            "every revision's instances"
        );
        assert_eq!(s.ports.expect("ports")[0].port, 8080);
    }
}
