//! The App, LRP and Route controllers against the tier-1 control plane: what they make of apps,
//! LRPs and routes, and how they wait for what is not there yet. Tier 1 has no kubelet, so nothing here
//! depends on an instance running; what instances do (running, crashing, rolling out, being
//! routed to) is tested on a real node (tests/node).

mod common;

use common::{Operator, SETTLE, org_and_space, wait_some};
use k8s_openapi::{
    api::{
        apps::v1::StatefulSet, core::v1::Service, discovery::v1::EndpointSlice, events::v1::Event,
        networking::v1::Ingress,
    },
    apimachinery::pkg::apis::meta::v1::Condition,
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
};
use serde_json::json;
use smelter_crds::{
    App, AppSpec, Build, BuildSpec, Checksum, ChecksumType, DesiredState, Domain, DomainSpec,
    DropletReference, HealthCheck, Lifecycle, Lrp, LrpSpec, Process, Route, RouteSpec,
    build::Droplet, labels, route::Destination,
};
use smelter_test_support::{self as support, writes::counting_client};
use std::{collections::BTreeMap, time::Duration};

fn tenant_labels(org: &str, space: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (labels::ORG_GUID.to_owned(), org.to_owned()),
        (labels::SPACE_GUID.to_owned(), space.to_owned()),
    ])
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

/// The Service an Ingress's one path leads to.
fn backend_of(ingress: &Ingress) -> Option<String> {
    let rule = ingress.spec.as_ref()?.rules.as_ref()?.first()?;
    let path = rule.http.as_ref()?.paths.first()?;
    Some(path.backend.service.as_ref()?.name.clone())
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

    // A second destination: the route gets a Service of its own, without a selector, and an
    // EndpointSlice the operator keeps (empty here: tier 1's pods never get an address; the
    // node tests see it fill), and the Ingress leads there.
    let other = started_app(&client, &org, &space, None, 1).await;
    let destination =
        |app: &str| json!({ "guid": support::guid(), "appGuid": app, "processType": "web" });
    routes
        .patch(
            &route,
            &PatchParams::default(),
            &Patch::Merge(
                &json!({ "spec": { "destinations": [destination(&app), destination(&other)] } }),
            ),
        )
        .await
        .expect("map a second app");
    let route_service = format!("route-{route}");
    wait_some("the ingress to the route's service", || async {
        ingresses
            .get_opt(&route)
            .await
            .ok()
            .flatten()
            .filter(|i| backend_of(i).as_deref() == Some(route_service.as_str()))
    })
    .await;
    let services: Api<Service> = Api::namespaced(client.clone(), &space);
    let service = services.get(&route_service).await.expect("route service");
    let spec = service.spec.as_ref().expect("spec");
    assert!(spec.selector.is_none());
    assert_eq!(spec.cluster_ip.as_deref(), Some("None"), "headless");
    assert_eq!(
        service.metadata.owner_references.expect("owner")[0].name,
        route
    );
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), &space);
    let slice_name = format!("route-{route}-8080");
    let slice = slices.get(&slice_name).await.expect("the route's slice");
    assert_eq!(slice.labels()["kubernetes.io/service-name"], route_service);
    // Deleted by hand, the slice comes back.
    slices
        .delete(&slice_name, &DeleteParams::default())
        .await
        .expect("delete slice");
    wait_some("the slice back", || async {
        slices
            .get_opt(&slice_name)
            .await
            .ok()
            .flatten()
            .filter(|s| s.uid() != slice.uid())
    })
    .await;
    // Back to one destination: straight to its Service again; the route's own go.
    routes
        .patch(
            &route,
            &PatchParams::default(),
            &Patch::Merge(&json!({ "spec": { "destinations": [destination(&app)] } })),
        )
        .await
        .expect("unmap the second app");
    wait_some("the ingress back to the process's service", || async {
        let want = format!("lrp-{app}");
        ingresses
            .get_opt(&route)
            .await
            .ok()
            .flatten()
            .filter(|i| backend_of(i) == Some(want))
    })
    .await;
    support::wait_for("the route's service and slice gone", SETTLE, || async {
        matches!(services.get_opt(&route_service).await, Ok(None))
            && matches!(slices.get_opt(&slice_name).await, Ok(None))
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
    let apps: Api<App> = Api::namespaced(client.clone(), &space);
    let condition = |a: &App, type_: &str| {
        a.status
            .as_ref()
            .and_then(|s| s.conditions.iter().find(|c| c.type_ == type_))
            .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
    };
    wait_some("the app waiting for its droplet", || async {
        apps.get(&app).await.ok().filter(|a| {
            condition(a, "Ready").is_some_and(|(s, r, _)| s == "False" && r == "DropletNotStaged")
        })
    })
    .await;

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
    // Its status: in place, its instance not running (tier 1 has no kubelet).
    let a = wait_some("the app's LRPs in place", || async {
        apps.get(&app)
            .await
            .ok()
            .filter(|a| condition(a, "Ready").is_some_and(|(s, _, _)| s == "True"))
    })
    .await;
    assert_eq!(
        condition(&a, "Ready").map(|c| c.1),
        Some("LrpsDesired".to_owned())
    );
    assert_eq!(
        condition(&a, "Running"),
        Some((
            "False".to_owned(),
            "InstancesStarting".to_owned(),
            "0 of 1 instances running".to_owned()
        ))
    );
    op.stop().await;
}

#[tokio::test]
async fn an_lrps_service_is_headless_and_one_with_a_cluster_ip_is_made_again() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org, space) = org_and_space(&client, &op).await;
    // What an earlier Smelter left: the LRP's Service with a virtual IP, labelled as the
    // operator labels its Services. Its clusterIP cannot change in place, so the operator must
    // replace it.
    let app = support::guid();
    let services: Api<Service> = Api::namespaced(client.clone(), &space);
    let old: Service = serde_json::from_value(json!({
        "metadata": {
            "name": format!("lrp-{app}"),
            "labels": { labels::PROCESS_GUID: app, labels::MANAGED_BY: "smelter" },
        },
        "spec": {
            "selector": { labels::PROCESS_GUID: app },
            "ports": [{ "name": "http", "port": 8080, "targetPort": 8080 }],
        },
    }))
    .expect("service");
    let old = services
        .create(&PostParams::default(), &old)
        .await
        .expect("create the old service");
    let old_ip = old.spec.as_ref().and_then(|s| s.cluster_ip.clone());
    assert!(
        old_ip.as_deref().is_some_and(|ip| ip != "None"),
        "the API server gave it an address: {old_ip:?}"
    );

    let build = support::guid();
    staging_build(&client, &org, &space, &app, &build).await;
    stage(&client, &space, &build, 'e').await;
    started_app_as(&client, &org, &space, &app, Some(&build), 1).await;
    let lrps: Api<Lrp> = Api::namespaced(client.clone(), &space);
    let lrp = wait_some("the web LRP", || async {
        lrps.get_opt(&app).await.ok().flatten()
    })
    .await;
    let service = wait_some("the service made again, headless", || async {
        services
            .get_opt(&format!("lrp-{app}"))
            .await
            .ok()
            .flatten()
            .filter(|s| s.uid() != old.uid())
    })
    .await;
    let spec = service.spec.as_ref().expect("spec");
    assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
    assert_eq!(
        spec.selector
            .as_ref()
            .and_then(|s| s.get(labels::PROCESS_GUID)),
        Some(&app)
    );
    assert_eq!(service.owner_references()[0].uid, lrp.uid().expect("uid"));
    // Once replaced, it stays: the headless one is up to date.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let again = services
        .get(&format!("lrp-{app}"))
        .await
        .expect("the service");
    assert_eq!(again.uid(), service.uid());
    op.stop().await;
}

/// The LRP's status generation and its Ready condition.
fn lrp_ready(lrp: &Lrp) -> Option<(Option<i64>, Condition)> {
    let status = lrp.status.as_ref()?;
    let ready = status.conditions.iter().find(|c| c.type_ == "Ready")?;
    Some((status.observed_generation, ready.clone()))
}

#[tokio::test]
async fn an_lrp_that_cannot_run_says_why_once_and_waits_for_a_change() {
    let client = support::client().await;
    let (counting, writes) = counting_client().await;
    let op = Operator::start_with(&client, counting).await;
    let (org, space) = org_and_space(&client, &op).await;
    // An LRP on a stack this installation does not have (written by hand, say, or left by an
    // installation that had the stack).
    let guid = support::guid();
    let mut lrp = Lrp::new(
        &guid,
        LrpSpec {
            app_guid: support::guid(),
            process_type: "web".into(),
            command: None,
            instances: 1,
            memory_in_mb: 64,
            disk_in_mb: 256,
            log_rate_limit_in_bytes_per_second: -1,
            health_check: HealthCheck::default(),
            readiness_health_check: None,
            droplet: Some(DropletReference {
                guid: support::guid(),
                checksum: Checksum {
                    type_: ChecksumType::Sha256,
                    value: "e".repeat(64),
                },
            }),
            image: None,
            ports: vec![8080],
            environment_secret: None,
            environment: BTreeMap::new(),
            stack: Some("windows".into()),
        },
    );
    lrp.metadata.labels = Some(tenant_labels(&org, &space));
    let lrps: Api<Lrp> = Api::namespaced(client.clone(), &space);
    let created = lrps
        .create(&PostParams::default(), &lrp)
        .await
        .expect("create lrp");

    // Its status says why, for the generation it saw.
    let (observed, ready) = wait_some("Ready False, CannotRun", || async {
        lrps.get(&guid)
            .await
            .ok()
            .as_ref()
            .and_then(lrp_ready)
            .filter(|(_, c)| c.reason == "CannotRun")
    })
    .await;
    assert_eq!(observed, created.metadata.generation);
    assert_eq!(
        (
            ready.status.as_str(),
            ready.message.as_str(),
            ready.observed_generation
        ),
        (
            "False",
            "stack windows is not available",
            created.metadata.generation
        )
    );
    // So does a Warning event.
    let events: Api<Event> = Api::namespaced(client.clone(), &space);
    let event = wait_some("the CannotRun event", || async {
        events
            .list(&ListParams::default())
            .await
            .ok()?
            .items
            .into_iter()
            .find(|e| {
                e.reason.as_deref() == Some("CannotRun")
                    && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(guid.as_str())
            })
    })
    .await;
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    assert_eq!(
        event.note.as_deref(),
        Some("stack windows is not available")
    );
    // Nothing runs.
    let statefulsets: Api<StatefulSet> = Api::namespaced(client.clone(), &space);
    let of_lrp = ListParams::default().labels(&format!("{}={guid}", labels::PROCESS_GUID));
    let none = statefulsets.list(&of_lrp).await.expect("statefulsets");
    assert!(none.items.is_empty(), "{:?}", none.items);

    // It waits for a change: a reconcile started by one that is not the spec's (a label) finds
    // the same status and says nothing again, and none follows on its own.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let in_space = |w: &String| w.contains(&format!("/namespaces/{space}/"));
    let before = writes.log().iter().filter(|w| in_space(w)).count();
    lrps.patch(
        &guid,
        &PatchParams::default(),
        &Patch::Merge(&json!({ "metadata": { "labels": { "poked": "yes" } } })),
    )
    .await
    .expect("label the lrp");
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after: Vec<String> = writes.log().into_iter().filter(|w| in_space(w)).collect();
    assert_eq!(
        after.len(),
        before,
        "writes while it waits: {:?}",
        &after[before..]
    );

    // A change of the spec is looked at: on a stack the installation has, it runs.
    let fixed = lrps
        .patch(
            &guid,
            &PatchParams::default(),
            &Patch::Merge(&json!({ "spec": { "stack": "cflinuxfs4" } })),
        )
        .await
        .expect("fix the stack");
    wait_some("its StatefulSet", || async {
        let list = statefulsets.list(&of_lrp).await.ok()?;
        list.items.into_iter().next()
    })
    .await;
    let (observed, ready) = wait_some("Ready for the new generation", || async {
        lrps.get(&guid)
            .await
            .ok()
            .as_ref()
            .and_then(lrp_ready)
            .filter(|(observed, _)| *observed == fixed.metadata.generation)
    })
    .await;
    assert_eq!(ready.observed_generation, observed);
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("False", "InstancesStarting"),
        "tier 1 has no kubelet"
    );
    op.stop().await;
}

/// The pod template of the app's StatefulSet, once its node selector is `want`.
async fn template_selector(
    client: &Client,
    space: &str,
    app: &str,
    want: Option<&str>,
) -> k8s_openapi::api::core::v1::PodSpec {
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), space);
    let selector = format!("{}={app}", labels::PROCESS_GUID);
    wait_some(&format!("a StatefulSet selecting {want:?}"), || {
        let (sets, selector) = (sets.clone(), selector.clone());
        async move {
            let list = sets
                .list(&ListParams::default().labels(&selector))
                .await
                .ok()?;
            list.items.into_iter().find_map(|s| {
                let pod = s.spec?.template.spec?;
                let got = pod
                    .node_selector
                    .as_ref()
                    .and_then(|n| n.get("cf.smelter.dev/isolation-segment"))
                    .map(String::as_str);
                (got == want).then_some(pod)
            })
        }
    })
    .await
}

#[tokio::test]
async fn a_spaces_instances_run_on_its_isolation_segments_nodes() {
    let client = support::client().await;
    let op = Operator::start(&client).await;
    let (org, space) = org_and_space(&client, &op).await;
    let segments: Api<smelter_crds::IsolationSegment> = Api::namespaced(client.clone(), &op.root);
    let gpu = support::guid();
    segments
        .create(
            &PostParams::default(),
            &smelter_crds::IsolationSegment::new(
                &gpu,
                smelter_crds::IsolationSegmentSpec {
                    name: "gpu".into(),
                    organization_guids: vec![org.clone()],
                },
            ),
        )
        .await
        .expect("create segment");
    // The org's default segment places its spaces' instances.
    let orgs: Api<smelter_crds::Org> = Api::namespaced(client.clone(), &op.root);
    orgs.patch(
        &org,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"defaultIsolationSegment": gpu}})),
    )
    .await
    .expect("org default");
    let build = support::guid();
    let app = support::guid();
    staging_build(&client, &org, &space, &app, &build).await;
    stage(&client, &space, &build, 'a').await;
    started_app_as(&client, &org, &space, &app, Some(&build), 1).await;
    let pod = template_selector(&client, &space, &app, Some("gpu")).await;
    let t = &pod.tolerations.expect("tolerations")[0];
    assert_eq!(
        (t.key.as_deref(), t.value.as_deref(), t.effect.as_deref()),
        (
            Some("cf.smelter.dev/isolation-segment"),
            Some("gpu"),
            Some("NoSchedule")
        )
    );

    // The space set back to the shared segment: the next revision runs anywhere.
    let spaces: Api<smelter_crds::Space> = Api::namespaced(client.clone(), &org);
    spaces
        .patch(
            &space,
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"isolationSegment": smelter_crds::isolation_segment::SHARED_GUID}}),
            ),
        )
        .await
        .expect("space segment");
    let apps: Api<App> = Api::namespaced(client.clone(), &space);
    apps.patch(
        &app,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"cf.smelter.dev/restarted-at": "2026-12-04T15:00:00Z"}}})),
    )
    .await
    .expect("restart");
    template_selector(&client, &space, &app, None).await;
    op.stop().await;
}
