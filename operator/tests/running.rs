//! The App and LRP controllers against the tier-1 control plane. Tier 1 runs the real
//! StatefulSet controller, which creates the instances' pods; with no kubelet they stay
//! Pending, so the tests named `..._kubelet_played_...` write the pod status a kubelet would
//! (ready, or crashed and restarting). The end-to-end tests on a real node replace them.

mod common;

use common::{Operator, SETTLE, org_and_space, wait_some};
use k8s_openapi::{
    api::{
        apps::v1::StatefulSet,
        core::v1::{
            ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
            ContainerStatus, Pod, PodCondition, PodStatus, Service,
        },
        events::v1::Event,
        networking::v1::Ingress,
    },
    apimachinery::pkg::apis::meta::v1::Time,
    jiff::Timestamp,
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};
use smelter_crds::{
    App, AppSpec, Build, BuildSpec, Checksum, ChecksumType, DesiredState, Domain, DomainSpec,
    HealthCheck, Lifecycle, Lrp, Process, Route, RouteSpec, build::Droplet, labels,
    lrp::InstanceState, route::Destination,
};
use smelter_test_support::{self as support, writes::counting_client};
use std::{collections::BTreeMap, time::Duration};

const REVISION: &str = "cf.smelter.dev/revision";

fn tenant_labels(org: &str, space: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (labels::ORG_GUID.to_owned(), org.to_owned()),
        (labels::SPACE_GUID.to_owned(), space.to_owned()),
    ])
}

/// A STAGED build whose droplet has `web: ./server`, as the Build controller leaves it.
async fn staged_build(client: &Client, org: &str, space: &str, app: &str, digest: char) -> String {
    let guid = support::guid();
    staging_build(client, org, space, app, &guid).await;
    stage(client, space, &guid, digest).await;
    guid
}

/// The build `guid` of the app, still staging.
async fn staging_build(client: &Client, org: &str, space: &str, app: &str, guid: &str) {
    let api: Api<Build> = Api::namespaced(client.clone(), space);
    let mut b = Build::new(
        guid,
        BuildSpec {
            app_guid: app.into(),
            package_guid: support::guid(),
            lifecycle: Lifecycle::default(),
            staging_memory_in_mb: None,
            staging_disk_in_mb: None,
            staging_log_rate_limit_bytes_per_second: None,
        },
    );
    b.metadata.labels = Some(tenant_labels(org, space));
    api.create(&PostParams::default(), &b)
        .await
        .expect("create build");
}

/// Ends the build `guid` with a droplet whose sha256 is `digest` 64 times.
async fn stage(client: &Client, space: &str, guid: &str, digest: char) {
    let api: Api<Build> = Api::namespaced(client.clone(), space);
    let droplet = Droplet {
        guid: guid.to_owned(),
        checksum: Some(Checksum {
            type_: ChecksumType::Sha256,
            value: digest.to_string().repeat(64),
        }),
        process_types: [("web".to_owned(), "./server".to_owned())].into(),
        stack: Some("cflinuxfs4".into()),
        ..Default::default()
    };
    let status = json!({ "status": { "state": "STAGED", "droplet": droplet } });
    api.patch_status(guid, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("build status");
}

/// A started app with a web process of `instances`, running `droplet`.
async fn started_app(
    client: &Client,
    org: &str,
    space: &str,
    droplet: Option<&str>,
    instances: i32,
) -> String {
    let guid = support::guid();
    started_app_as(client, org, space, &guid, droplet, instances).await;
    guid
}

/// [`started_app`] with the GUID `guid`.
async fn started_app_as(
    client: &Client,
    org: &str,
    space: &str,
    guid: &str,
    droplet: Option<&str>,
    instances: i32,
) {
    let api: Api<App> = Api::namespaced(client.clone(), space);
    let mut app = App::new(
        guid,
        AppSpec {
            name: "myapp".into(),
            desired_state: DesiredState::Started,
            lifecycle: Lifecycle::default(),
            current_droplet_guid: droplet.map(Into::into),
            environment_variables_secret: Some(format!("{guid}-env")),
            processes: vec![Process {
                type_: "web".into(),
                guid: guid.to_owned(),
                command: None,
                instances,
                memory_in_mb: 64,
                disk_in_mb: 256,
                log_rate_limit_in_bytes_per_second: -1,
                health_check: HealthCheck::default(),
                readiness_health_check: None,
            }],
        },
    );
    app.metadata.labels = Some(tenant_labels(org, space));
    api.create(&PostParams::default(), &app)
        .await
        .expect("create app");
}

/// A route `myapp.apps.example.com` to the app's web process; returns its GUID.
async fn route_to(client: &Client, root: &str, space: &str, app: &str) -> String {
    let domains: Api<Domain> = Api::namespaced(client.clone(), root);
    let domain = support::guid();
    let d = Domain::new(
        &domain,
        DomainSpec {
            name: "apps.example.com".into(),
            internal: false,
            organization_guid: None,
            shared_organization_guids: vec![],
        },
    );
    domains
        .create(&PostParams::default(), &d)
        .await
        .expect("create domain");
    let routes: Api<Route> = Api::namespaced(client.clone(), space);
    let guid = support::guid();
    let r = Route::new(
        &guid,
        RouteSpec {
            host: "myapp".into(),
            path: String::new(),
            domain_guid: domain,
            destinations: vec![Destination {
                guid: support::guid(),
                app_guid: app.into(),
                process_type: "web".into(),
                port: None,
                weight: None,
                protocol: None,
            }],
        },
    );
    routes
        .create(&PostParams::default(), &r)
        .await
        .expect("create route");
    guid
}

/// The StatefulSets of `lrp`, by revision.
async fn statefulsets(client: &Client, space: &str, lrp: &str) -> BTreeMap<String, StatefulSet> {
    let api: Api<StatefulSet> = Api::namespaced(client.clone(), space);
    let selector = format!("{}={lrp}", labels::PROCESS_GUID);
    api.list(&ListParams::default().labels(&selector))
        .await
        .expect("list statefulsets")
        .items
        .into_iter()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .map(|s| (s.labels()[REVISION].clone(), s))
        .collect()
}

async fn pods_of(client: &Client, space: &str, lrp: &str, revision: &str) -> Vec<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), space);
    let selector = format!("{}={lrp},{REVISION}={revision}", labels::PROCESS_GUID);
    api.list(&ListParams::default().labels(&selector))
        .await
        .expect("list pods")
        .items
}

fn time(secs: i64) -> Time {
    Time(Timestamp::from_second(secs).expect("valid"))
}

/// Writes what a kubelet writes for a running, ready instance.
async fn kubelet_ready(client: &Client, pod: &Pod) {
    let index: i64 = pod.labels()["apps.kubernetes.io/pod-index"]
        .parse()
        .expect("index");
    let status = PodStatus {
        phase: Some("Running".into()),
        pod_ip: Some(format!("10.1.0.{}", index + 10)),
        conditions: Some(vec![PodCondition {
            type_: "Ready".into(),
            status: "True".into(),
            last_transition_time: Some(time(1_700_000_000)),
            ..Default::default()
        }]),
        container_statuses: Some(vec![ContainerStatus {
            name: "app".into(),
            image: "stack".into(),
            ready: true,
            started: Some(true),
            state: Some(ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(time(1_700_000_000)),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ..Default::default()
    };
    write_pod_status(client, pod, &status).await;
}

/// Writes what a kubelet writes for an instance whose app exited 1 twice and is backing off.
async fn kubelet_crashed(client: &Client, pod: &Pod) {
    let status = PodStatus {
        phase: Some("Running".into()),
        conditions: Some(vec![PodCondition {
            type_: "Ready".into(),
            status: "False".into(),
            ..Default::default()
        }]),
        container_statuses: Some(vec![ContainerStatus {
            name: "app".into(),
            image: "stack".into(),
            restart_count: 2,
            state: Some(ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some("CrashLoopBackOff".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            last_state: Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: 1,
                    reason: Some("Error".into()),
                    finished_at: Some(time(1_700_000_100)),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ..Default::default()
    };
    write_pod_status(client, pod, &status).await;
}

async fn write_pod_status(client: &Client, pod: &Pod, status: &PodStatus) {
    let api: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace().expect("ns"));
    api.patch_status(
        &pod.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&json!({ "status": status })),
    )
    .await
    .expect("write pod status");
}

/// Waits for `n` pods of the revision (the StatefulSet controller makes them).
async fn wait_pods(client: &Client, space: &str, lrp: &str, revision: &str, n: usize) -> Vec<Pod> {
    wait_some(
        &format!("{n} pods of {lrp} revision {revision}"),
        || async {
            let mut pods = pods_of(client, space, lrp, revision).await;
            pods.sort_by_key(|p| p.labels()["apps.kubernetes.io/pod-index"].clone());
            (pods.len() == n).then_some(pods)
        },
    )
    .await
}

fn env_value<'a>(
    sts: &'a StatefulSet,
    container: &str,
    name: &str,
) -> Option<&'a k8s_openapi::api::core::v1::EnvVar> {
    let pod = sts.spec.as_ref()?.template.spec.as_ref()?;
    pod.init_containers
        .iter()
        .flatten()
        .chain(pod.containers.iter())
        .find(|c| c.name == container)?
        .env
        .iter()
        .flatten()
        .find(|e| e.name == name)
}

#[tokio::test]
async fn an_app_runs_converges_and_rolls_out_kubelet_played() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org, space) = org_and_space(&client, &op).await;
    let app = started_app(&client, &org, &space, None, 2).await;
    route_to(&client, &op.root, &space, &app).await;
    let build = staged_build(&client, &org, &space, &app, 'a').await;
    let apps: Api<App> = Api::namespaced(client.clone(), &space);
    let set_droplet = |d: String| {
        let apps = apps.clone();
        let app = app.clone();
        async move {
            apps.patch(
                &app,
                &PatchParams::default(),
                &Patch::Merge(&json!({ "spec": { "currentDropletGuid": d } })),
            )
            .await
            .expect("set current droplet");
        }
    };
    set_droplet(build.clone()).await;

    // The app's web process becomes an LRP named by the process GUID.
    let lrps: Api<Lrp> = Api::namespaced(client.clone(), &space);
    let lrp = wait_some("the web LRP", || async {
        lrps.get_opt(&app).await.ok().flatten()
    })
    .await;
    assert_eq!(lrp.spec.instances, 2);
    assert_eq!(lrp.spec.command.as_deref(), Some("./server"));
    assert_eq!(
        lrp.spec.droplet.as_ref().map(|d| d.guid.as_str()),
        Some(build.as_str())
    );
    let vcap: Value =
        serde_json::from_str(&lrp.spec.environment["VCAP_APPLICATION"]).expect("json");
    assert_eq!(vcap["application_uris"], json!(["myapp.apps.example.com"]));
    assert_eq!(vcap["space_name"], "dev");
    assert_eq!(lrp.owner_references()[0].name, app);

    // Its revision runs as a StatefulSet of 2, and a Service selects every instance.
    let sets = wait_some("the statefulset", || async {
        let s = statefulsets(&client, &space, &app).await;
        (s.len() == 1).then_some(s)
    })
    .await;
    let (revision, sts) = sets.into_iter().next().expect("one");
    let spec = sts.spec.as_ref().expect("spec");
    assert_eq!(spec.replicas, Some(2));
    assert_eq!(spec.pod_management_policy.as_deref(), Some("Parallel"));
    let index = env_value(&sts, "app", "CF_INSTANCE_INDEX").expect("CF_INSTANCE_INDEX");
    let field = index
        .value_from
        .as_ref()
        .and_then(|v| v.field_ref.as_ref())
        .expect("field ref");
    assert_eq!(
        field.field_path,
        "metadata.labels['apps.kubernetes.io/pod-index']"
    );
    let plan = env_value(&sts, "fetch", "SMELTER_FETCH_PLAN")
        .and_then(|e| e.value.clone())
        .expect("plan");
    assert!(
        plan.contains(&"a".repeat(64)),
        "the droplet's sha256 is checked"
    );
    let services: Api<Service> = Api::namespaced(client.clone(), &space);
    let service_name = format!("lrp-{app}");
    let service = wait_some("the service", || async {
        services.get_opt(&service_name).await.ok().flatten()
    })
    .await;
    let selector = service
        .spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .expect("selector");
    assert_eq!(
        selector,
        BTreeMap::from([(labels::PROCESS_GUID.to_owned(), app.clone())])
    );

    // Instance 0 runs, instance 1 crashes: the ActualLRP view says so, per index.
    let pods = wait_pods(&client, &space, &app, &revision, 2).await;
    kubelet_ready(&client, &pods[0]).await;
    kubelet_crashed(&client, &pods[1]).await;
    let lrp = wait_some("status: 1 running, 1 crashed", || async {
        lrps.get(&app).await.ok().filter(|l| {
            l.status
                .as_ref()
                .is_some_and(|s| s.running == 1 && s.crashed == 1)
        })
    })
    .await;
    let status = lrp.status.expect("status");
    let zero = &status.instances[0];
    assert_eq!(zero.state, InstanceState::Running);
    assert_eq!(zero.address.as_deref(), Some("10.1.0.10"));
    assert_eq!(zero.pod_name.as_deref(), pods[0].metadata.name.as_deref());
    let one = &status.instances[1];
    assert_eq!(
        (one.state.clone(), one.crash_count),
        (InstanceState::Crashed, 2)
    );
    assert_eq!(
        one.crash_reason.as_deref(),
        Some("APP/PROC/WEB: Exited with status 1")
    );
    let events: Api<Event> = Api::namespaced(client.clone(), &space);
    support::wait_for("InstanceCrashed event", SETTLE, || async {
        events.list(&ListParams::default()).await.is_ok_and(|l| {
            l.items.iter().any(|e| {
                e.reason.as_deref() == Some("InstanceCrashed")
                    && e.note
                        .as_deref()
                        .is_some_and(|n| n.starts_with("instance 1 crashed"))
            })
        })
    })
    .await;

    // The workload and the Service, deleted by hand, come back.
    let sts_api: Api<StatefulSet> = Api::namespaced(client.clone(), &space);
    sts_api
        .delete(&sts.name_any(), &DeleteParams::background())
        .await
        .expect("delete sts");
    services
        .delete(&service_name, &DeleteParams::default())
        .await
        .expect("delete service");
    wait_some("the statefulset back", || async {
        sts_api
            .get_opt(&sts.name_any())
            .await
            .ok()
            .flatten()
            .filter(|s| s.uid() != sts.uid())
    })
    .await;
    wait_some("the service back", || async {
        services
            .get_opt(&service_name)
            .await
            .ok()
            .flatten()
            .filter(|s| s.uid() != service.uid())
    })
    .await;

    // A new droplet is a new revision beside the old one, which goes only once every new
    // instance is ready.
    let pods = wait_pods(&client, &space, &app, &revision, 2).await;
    for p in &pods {
        kubelet_ready(&client, p).await;
    }
    let second = staged_build(&client, &org, &space, &app, 'b').await;
    set_droplet(second.clone()).await;
    let both = wait_some("a second revision", || async {
        let s = statefulsets(&client, &space, &app).await;
        (s.len() == 2).then_some(s)
    })
    .await;
    let new_revision = both
        .keys()
        .find(|r| **r != revision)
        .expect("new revision")
        .clone();
    let new_pods = wait_pods(&client, &space, &app, &new_revision, 2).await;
    kubelet_ready(&client, &new_pods[0]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        statefulsets(&client, &space, &app)
            .await
            .contains_key(&revision),
        "the old revision stays while a new instance is not ready"
    );
    kubelet_ready(&client, &new_pods[1]).await;
    wait_some("the old revision retired", || async {
        let s = statefulsets(&client, &space, &app).await;
        (s.len() == 1 && s.contains_key(&new_revision)).then_some(())
    })
    .await;

    // Stopping the app removes its LRP (Diego deletes a stopped app's DesiredLRP).
    apps.patch(
        &app,
        &PatchParams::default(),
        &Patch::Merge(&json!({ "spec": { "desiredState": "STOPPED" } })),
    )
    .await
    .expect("stop");
    support::wait_for("the LRP gone", SETTLE, || async {
        matches!(lrps.get_opt(&app).await, Ok(None))
    })
    .await;
    op.stop().await;
}

#[tokio::test]
async fn a_settled_app_costs_no_writes_over_a_quiet_minute_kubelet_played() {
    let client = support::client().await;
    support::install_crds(&client).await;
    let root = support::namespace(&client, "op-root").await;
    let (counting, writes) = counting_client().await;
    let op = Operator::start_in(&counting, root).await;
    let (org, space) = org_and_space(&client, &op).await;
    let app = started_app(&client, &org, &space, None, 1).await;
    route_to(&client, &op.root, &space, &app).await;
    let build = staged_build(&client, &org, &space, &app, 'c').await;
    let apps: Api<App> = Api::namespaced(client.clone(), &space);
    apps.patch(
        &app,
        &PatchParams::default(),
        &Patch::Merge(&json!({ "spec": { "currentDropletGuid": build } })),
    )
    .await
    .expect("set droplet");
    let revision = wait_some("the statefulset", || async {
        statefulsets(&client, &space, &app).await.into_keys().next()
    })
    .await;
    let pods = wait_pods(&client, &space, &app, &revision, 1).await;
    kubelet_ready(&client, &pods[0]).await;
    let lrps: Api<Lrp> = Api::namespaced(client.clone(), &space);
    wait_some("the instance running", || async {
        lrps.get(&app)
            .await
            .ok()
            .filter(|l| l.status.as_ref().is_some_and(|s| s.running == 1))
    })
    .await;
    // Let the last watch events arrive and their reconciles finish.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = writes.count();
    // The counter sees the operator's writes: it applied the workload, for one.
    assert!(
        writes
            .log()
            .iter()
            .any(|w| w.starts_with("PATCH") && w.contains("/statefulsets/")),
        "{:?}",
        writes.log()
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    let after = writes.log();
    assert_eq!(
        after.len(),
        before,
        "writes during the quiet minute: {:?}",
        &after[before..]
    );
    op.stop().await;
}

#[tokio::test]
async fn a_route_becomes_an_ingress_to_its_process() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org, space) = org_and_space(&client, &op).await;
    let app = started_app(&client, &org, &space, None, 1).await;
    let route = route_to(&client, &op.root, &space, &app).await;
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &space);
    let ingress = wait_some("the ingress", || async {
        ingresses.get_opt(&route).await.ok().flatten()
    })
    .await;
    let rule = &ingress
        .spec
        .as_ref()
        .and_then(|s| s.rules.clone())
        .expect("rules")[0];
    assert_eq!(rule.host.as_deref(), Some("myapp.apps.example.com"));
    let path = &rule.http.as_ref().expect("http").paths[0];
    let backend = path.backend.service.as_ref().expect("service backend");
    assert_eq!(
        backend.name,
        format!("lrp-{app}"),
        "the web process's Service"
    );
    assert_eq!(ingress.owner_references()[0].name, route);
    let routes: Api<Route> = Api::namespaced(client.clone(), &space);
    let served = wait_some("route status", || async {
        routes
            .get(&route)
            .await
            .ok()
            .and_then(|r| r.status)
            .filter(|s| !s.conditions.is_empty())
    })
    .await;
    assert_eq!(served.url.as_deref(), Some("myapp.apps.example.com"));
    assert_eq!(served.conditions[0].status, "True");

    // Deleted by hand, it comes back.
    ingresses
        .delete(&route, &DeleteParams::default())
        .await
        .expect("delete ingress");
    wait_some("the ingress back", || async {
        ingresses
            .get_opt(&route)
            .await
            .ok()
            .flatten()
            .filter(|i| i.uid() != ingress.uid())
    })
    .await;

    // Without destinations the route is not served: no Ingress, Ready False.
    routes
        .patch(
            &route,
            &PatchParams::default(),
            &Patch::Merge(&json!({ "spec": { "destinations": null } })),
        )
        .await
        .expect("unmap");
    support::wait_for("the ingress gone", SETTLE, || async {
        matches!(ingresses.get_opt(&route).await, Ok(None))
    })
    .await;
    let unserved = wait_some("route status False", || async {
        routes
            .get(&route)
            .await
            .ok()
            .and_then(|r| r.status)
            .filter(|s| s.conditions[0].status == "False")
    })
    .await;
    assert_eq!(unserved.conditions[0].reason, "NoDestinations");
    op.stop().await;
}

#[tokio::test]
async fn what_a_route_or_an_app_waits_for_reaches_it_when_it_appears() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org, space) = org_and_space(&client, &op).await;

    // A route to an app that does not exist yet is not served.
    let app = support::guid();
    let route = route_to(&client, &op.root, &space, &app).await;
    let routes: Api<Route> = Api::namespaced(client.clone(), &space);
    wait_some("route status DestinationNotFound", || async {
        routes
            .get(&route)
            .await
            .ok()
            .and_then(|r| r.status)
            .filter(|s| {
                s.conditions
                    .first()
                    .is_some_and(|c| c.reason == "DestinationNotFound")
            })
    })
    .await;

    // The app comes, naming a droplet whose build is still staging: the route is served at
    // once (the app's arrival reaches it), and nothing runs yet.
    let build = support::guid();
    staging_build(&client, &org, &space, &app, &build).await;
    started_app_as(&client, &org, &space, &app, Some(&build), 1).await;
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &space);
    wait_some("the ingress", || async {
        ingresses.get_opt(&route).await.ok().flatten()
    })
    .await;
    let lrps: Api<Lrp> = Api::namespaced(client.clone(), &space);
    assert!(lrps.get_opt(&app).await.expect("read lrp").is_none());

    // The build ends: its droplet reaches the app, which runs it.
    stage(&client, &space, &build, 'd').await;
    let lrp = wait_some("the web LRP", || async {
        lrps.get_opt(&app).await.ok().flatten()
    })
    .await;
    assert_eq!(
        lrp.spec.droplet.as_ref().map(|d| d.guid.as_str()),
        Some(build.as_str())
    );
    op.stop().await;
}
