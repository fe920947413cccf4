//! The App, LRP and Route controllers on a real node: a staged app's instances run in real
//! containers, the LRP's status is what the kubelet reports of them, a crash is a real exit, a
//! rollout waits for real readiness, and the route answers through the node's ingress
//! controller.

use k8s_openapi::api::{
    apps::v1::StatefulSet,
    core::v1::{Pod, Service},
    events::v1::Event,
    networking::v1::Ingress,
};
use kube::{
    Api, ResourceExt,
    api::{DeleteParams, ListParams},
};
use serde_json::Value;
use smelter_crds::{App, Lrp, labels, lrp::InstanceState};
use smelter_node_tests::{Node, REAL, answers, get_route, list, short, wait_some};
use smelter_test_support::writes::counting_client;
use std::{collections::BTreeMap, time::Duration};

const REVISION: &str = "cf.smelter.dev/revision";

/// The app both tests push: `run.sh` (the binary buildpack's one executable, so its web
/// command) reads `settings`, exits 3 when it is the instance `CRASH_INDEX`, waits
/// `START_DELAY` seconds, then serves its index and version on `$PORT` with the stack's
/// busybox.
const RUN: &[u8] = br#"#!/bin/sh
. ./settings
if [ "$CF_INSTANCE_INDEX" = "$CRASH_INDEX" ]; then
  echo "instance $CF_INSTANCE_INDEX exits on purpose"
  exit 3
fi
sleep "$START_DELAY"
mkdir -p /tmp/www
echo "index=$CF_INSTANCE_INDEX version=$VERSION" > /tmp/www/index.html
echo "serving on $PORT"
exec busybox httpd -f -v -p "$PORT" -h /tmp/www
"#;

fn app_files(settings: &'static [u8]) -> [(&'static str, u32, &'static [u8]); 2] {
    [("run.sh", 0o755, RUN), ("settings", 0o644, settings)]
}

/// The StatefulSets of the LRP, by revision.
async fn statefulsets(node: &Node, space: &str, lrp: &str) -> BTreeMap<String, StatefulSet> {
    let selector = format!("{}={lrp}", labels::PROCESS_GUID);
    list::<StatefulSet>(&node.shim.client, space, &selector)
        .await
        .into_iter()
        .filter_map(|s| Some((s.labels().get(REVISION)?.clone(), s)))
        .collect()
}

/// The pods of one revision of the LRP, not being deleted.
async fn pods_of(node: &Node, space: &str, lrp: &str, revision: &str) -> Vec<Pod> {
    let selector = format!("{}={lrp},{REVISION}={revision}", labels::PROCESS_GUID);
    list::<Pod>(&node.shim.client, space, &selector)
        .await
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn env_value(sts: &StatefulSet, container: &str, name: &str) -> Option<Value> {
    let pod = sts.spec.as_ref()?.template.spec.as_ref()?;
    let env = pod
        .init_containers
        .iter()
        .flatten()
        .chain(pod.containers.iter())
        .find(|c| c.name == container)?
        .env
        .as_ref()?
        .iter()
        .find(|e| e.name == name)?;
    serde_json::to_value(env).ok()
}

#[tokio::test]
async fn an_app_runs_crashes_converges_and_rolls_out_on_the_node() {
    let node = Node::start().await;
    let client = node.shim.client.clone();
    let (_, space) = node.org_and_space().await;
    let host = format!("web-{}", short());
    let app = node.create_app(&space, "web", &["binary_buildpack"]).await;
    let first = node
        .staged(&app, &app_files(b"CRASH_INDEX=1 START_DELAY=0 VERSION=1\n"))
        .await;
    node.route(&space, &host, &app).await;
    node.scale(&app, 2).await;
    node.action(&app, "start").await;

    // The web process is an LRP named by the process GUID (the app's), owned by the app.
    let lrps: Api<Lrp> = Api::namespaced(client.clone(), &space);
    let lrp = wait_some("the web LRP", REAL, || async {
        lrps.get_opt(&app).await.ok().flatten()
    })
    .await;
    assert_eq!(lrp.spec.instances, 2);
    assert_eq!(lrp.spec.command.as_deref(), Some("./run.sh"));
    assert_eq!(
        lrp.spec.droplet.as_ref().map(|d| d.guid.as_str()),
        Some(first.as_str())
    );
    assert_eq!(lrp.owner_references()[0].name, app);
    let vcap: Value =
        serde_json::from_str(&lrp.spec.environment["VCAP_APPLICATION"]).expect("json");
    assert_eq!(
        vcap["application_uris"][0],
        format!("{host}.apps.smelter.test")
    );

    // One StatefulSet per revision; the index comes from the pod's ordinal.
    let (revision, sts) = wait_some("the statefulset", REAL, || async {
        statefulsets(&node, &space, &app).await.into_iter().next()
    })
    .await;
    assert_eq!(sts.spec.as_ref().and_then(|s| s.replicas), Some(2));
    let index = env_value(&sts, "app", "CF_INSTANCE_INDEX").expect("CF_INSTANCE_INDEX");
    assert_eq!(
        index["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.labels['apps.kubernetes.io/pod-index']"
    );
    let services: Api<Service> = Api::namespaced(client.clone(), &space);
    let service_name = format!("lrp-{app}");
    let service = wait_some("the service", REAL, || async {
        services.get_opt(&service_name).await.ok().flatten()
    })
    .await;
    // Headless: the route below reaches the instances through its endpoints alone.
    assert_eq!(
        service.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()),
        Some("None")
    );

    // Instance 0 runs; instance 1 exits 3 and the kubelet restarts it: the ActualLRP view says
    // so per index, with the pod's real address.
    let lrp = wait_some("1 running, 1 crashed more than once", REAL, || async {
        lrps.get(&app).await.ok().filter(|l| {
            l.status.as_ref().is_some_and(|s| {
                s.running == 1
                    && s.crashed == 1
                    && s.instances.get(1).is_some_and(|i| i.crash_count >= 1)
            })
        })
    })
    .await;
    let status = lrp.status.expect("status");
    let pods = pods_of(&node, &space, &app, &revision).await;
    let zero_pod = pods
        .iter()
        .find(|p| {
            p.labels()
                .get("apps.kubernetes.io/pod-index")
                .map(String::as_str)
                == Some("0")
        })
        .expect("instance 0's pod");
    let zero = &status.instances[0];
    assert_eq!(zero.state, InstanceState::Running);
    assert_eq!(
        zero.address.as_deref(),
        zero_pod.status.as_ref().and_then(|s| s.pod_ip.as_deref())
    );
    assert_eq!(zero.pod_name.as_deref(), zero_pod.metadata.name.as_deref());
    let one = &status.instances[1];
    assert_eq!(one.state, InstanceState::Crashed);
    assert_eq!(
        one.crash_reason.as_deref(),
        Some("APP/PROC/WEB: Exited with status 3")
    );
    let events: Api<Event> = Api::namespaced(client.clone(), &space);
    wait_some("the InstanceCrashed event", REAL, || async {
        let list = events.list(&ListParams::default()).await.ok()?;
        list.items
            .iter()
            .any(|e| {
                e.reason.as_deref() == Some("InstanceCrashed")
                    && e.note
                        .as_deref()
                        .is_some_and(|n| n.starts_with("instance 1 crashed"))
            })
            .then_some(())
    })
    .await;
    // The App's status counts them.
    let apps: Api<App> = Api::namespaced(client.clone(), &space);
    wait_some("the app's Running condition", REAL, || async {
        let a = apps.get(&app).await.ok()?;
        let running = a
            .status?
            .conditions
            .into_iter()
            .find(|c| c.type_ == "Running")?;
        (running.reason == "InstancesCrashed"
            && running.message == "1 of 2 instances running, 1 crashed")
            .then_some(())
    })
    .await;
    // What `cf app` shows, and the route reaching the one running instance.
    let stats = node.stats(&app).await;
    let states: Vec<&str> = stats.iter().filter_map(|s| s["state"].as_str()).collect();
    assert_eq!(states, ["RUNNING", "CRASHED"], "{stats:?}");
    let seen = wait_some("the route answering", REAL, || async {
        let seen = answers(&host, 4).await;
        (!seen.is_empty()).then_some(seen)
    })
    .await;
    assert_eq!(seen, ["index=0 version=1"]);

    // The workload and the Service, deleted by hand, come back, and so does the instance.
    let sts_api: Api<StatefulSet> = Api::namespaced(client.clone(), &space);
    sts_api
        .delete(&sts.name_any(), &DeleteParams::background())
        .await
        .expect("delete the statefulset");
    services
        .delete(&service_name, &DeleteParams::default())
        .await
        .expect("delete the service");
    wait_some("the statefulset back", REAL, || async {
        sts_api
            .get_opt(&sts.name_any())
            .await
            .ok()
            .flatten()
            .filter(|s| s.uid() != sts.uid())
    })
    .await;
    wait_some("the service back", REAL, || async {
        services
            .get_opt(&service_name)
            .await
            .ok()
            .flatten()
            .filter(|s| s.uid() != service.uid())
    })
    .await;
    wait_some("instance 0 running again", REAL, || async {
        let l = lrps.get(&app).await.ok()?;
        let s = l.status?;
        // A new pod of the same name (a StatefulSet's pods are named by ordinal): a new GUID.
        (s.running == 1 && s.instances[0].instance_guid != zero.instance_guid).then_some(())
    })
    .await;

    // A new droplet is a new revision beside the old one; the old one goes only once every
    // new instance is ready, and the route answers throughout.
    let second = node
        .staged(
            &app,
            &app_files(b"CRASH_INDEX=none START_DELAY=15 VERSION=2\n"),
        )
        .await;
    let both = wait_some("a second revision", REAL, || async {
        let s = statefulsets(&node, &space, &app).await;
        (s.len() == 2).then_some(s)
    })
    .await;
    let new_revision = both.keys().find(|r| **r != revision).expect("new").clone();
    wait_some("the new instances started, not ready", REAL, || async {
        let pods = pods_of(&node, &space, &app, &new_revision).await;
        (pods.len() == 2 && pods.iter().all(|p| !is_ready(p))).then_some(())
    })
    .await;
    assert!(
        statefulsets(&node, &space, &app)
            .await
            .contains_key(&revision),
        "the old revision stays while the new instances are not ready"
    );
    assert_eq!(answers(&host, 4).await, ["index=0 version=1"]);
    wait_some("the old revision retired", REAL, || async {
        let s = statefulsets(&node, &space, &app).await;
        (s.len() == 1 && s.contains_key(&new_revision)).then_some(())
    })
    .await;
    let lrp = wait_some("both new instances running", REAL, || async {
        lrps.get(&app)
            .await
            .ok()
            .filter(|l| l.status.as_ref().is_some_and(|s| s.running == 2))
    })
    .await;
    assert_eq!(lrp.spec.droplet.map(|d| d.guid), Some(second));
    wait_some("the app running", REAL, || async {
        let a = apps.get(&app).await.ok()?;
        let running = a
            .status?
            .conditions
            .into_iter()
            .find(|c| c.type_ == "Running")?;
        (running.status == "True" && running.message == "2 of 2 instances running").then_some(())
    })
    .await;
    wait_some("the route reaching both new instances", REAL, || async {
        let seen = answers(&host, 8).await;
        (seen == ["index=0 version=2", "index=1 version=2"]).then_some(())
    })
    .await;

    // Stopping the app removes its LRP, its workload and its instances (Diego deletes a
    // stopped app's DesiredLRP); the route stops answering.
    node.action(&app, "stop").await;
    wait_some("the LRP gone", REAL, || async {
        matches!(lrps.get_opt(&app).await, Ok(None)).then_some(())
    })
    .await;
    wait_some("every instance gone", REAL, || async {
        let selector = format!("{}={app}", labels::PROCESS_GUID);
        list::<Pod>(&client, &space, &selector)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    assert!(statefulsets(&node, &space, &app).await.is_empty());
    assert!(answers(&host, 2).await.is_empty());
}

#[tokio::test]
async fn a_settled_app_costs_no_writes_over_a_quiet_minute_on_the_node() {
    let (counting, writes) = counting_client().await;
    let node = Node::start_with(Some(counting)).await;
    let client = node.shim.client.clone();
    let (_, space) = node.org_and_space().await;
    let host = format!("quiet-{}", short());
    let app = node
        .create_app(&space, "quiet", &["binary_buildpack"])
        .await;
    node.staged(
        &app,
        &app_files(b"CRASH_INDEX=none START_DELAY=0 VERSION=1\n"),
    )
    .await;
    node.route(&space, &host, &app).await;
    node.action(&app, "start").await;
    let lrps: Api<Lrp> = Api::namespaced(client.clone(), &space);
    wait_some("the instance running", REAL, || async {
        lrps.get(&app)
            .await
            .ok()
            .filter(|l| l.status.as_ref().is_some_and(|s| s.running == 1))
    })
    .await;
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &space);
    wait_some("the route served", REAL, || async {
        get_route(&host, "/").await
    })
    .await;
    assert_eq!(
        ingresses
            .list(&ListParams::default())
            .await
            .expect("ingresses")
            .items
            .len(),
        1
    );
    // Let the last watch events arrive and their reconciles finish.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = writes.count();
    // The counter sees the operator's writes: it created the workload, for one.
    assert!(
        writes
            .log()
            .iter()
            .any(|w| w.starts_with("POST") && w.contains("/statefulsets")),
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
}
