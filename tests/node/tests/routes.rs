//! The Route controller on a real node: a route to two apps answers from both through the
//! node's ingress controller; an app that stops leaves it; unmapping one goes back to the
//! plain Ingress to the other's Service.

use k8s_openapi::api::{core::v1::Service, discovery::v1::EndpointSlice, networking::v1::Ingress};
use kube::Api;
use reqwest::Method;
use smelter_crds::{Lrp, Route, labels};
use smelter_node_tests::{Node, REAL, answers, list, short, wait_some};

/// An app that answers `name` on `$PORT`.
fn app_files(name: &str) -> Vec<(&'static str, u32, Vec<u8>)> {
    let run = format!(
        "#!/bin/sh\nmkdir -p /tmp/www\necho {name} > /tmp/www/index.html\nexec busybox httpd -f -p \"$PORT\" -h /tmp/www\n"
    );
    vec![("run.sh", 0o755, run.into_bytes())]
}

/// The backend Service of the route's Ingress.
async fn backend(ingresses: &Api<Ingress>, route: &str) -> Option<String> {
    let ingress = ingresses.get_opt(route).await.ok()??;
    let rule = ingress.spec?.rules?.into_iter().next()?;
    let path = rule.http?.paths.into_iter().next()?;
    Some(path.backend.service?.name)
}

/// (address, ready) of every endpoint the route's slices list.
async fn endpoints(node: &Node, space: &str, route: &str) -> Vec<(String, bool)> {
    let selector = format!("{}={route}", labels::ROUTE_GUID);
    let mut all: Vec<(String, bool)> = list::<EndpointSlice>(&node.shim.client, space, &selector)
        .await
        .into_iter()
        .flat_map(|s| s.endpoints)
        .map(|e| {
            let ready = e.conditions.and_then(|c| c.ready).unwrap_or(false);
            (e.addresses.into_iter().next().unwrap_or_default(), ready)
        })
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn a_route_to_two_apps_answers_from_both_on_the_node() {
    let node = Node::start().await;
    let client = node.shim.client.clone();
    let (_, space) = node.org_and_space().await;
    let host = format!("both-{}", short());
    let mut apps = Vec::new();
    for name in ["alpha", "beta"] {
        let app = node.create_app(&space, name, &["binary_buildpack"]).await;
        let files = app_files(name);
        let files: Vec<(&str, u32, &[u8])> = files
            .iter()
            .map(|(p, m, d)| (*p, *m, d.as_slice()))
            .collect();
        node.staged(&app, &files).await;
        node.action(&app, "start").await;
        apps.push(app);
    }
    let route = node.route(&space, &host, &apps[0]).await;
    node.map_route(&route, &apps[1]).await;

    // Both apps' instances behind one route: its own Service, slices listing both.
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &space);
    let route_service = format!("route-{route}");
    wait_some("the Ingress to the route's Service", REAL, || async {
        (backend(&ingresses, &route).await.as_deref() == Some(route_service.as_str())).then_some(())
    })
    .await;
    let services: Api<Service> = Api::namespaced(client.clone(), &space);
    let service = services
        .get(&route_service)
        .await
        .expect("the route's Service");
    assert!(
        service
            .spec
            .and_then(|s| s.selector)
            .is_none_or(|s| s.is_empty())
    );
    wait_some("both apps answering through the route", REAL, || async {
        (answers(&host, 10).await == ["alpha", "beta"]).then_some(())
    })
    .await;
    let lrps: Api<Lrp> = Api::namespaced(client.clone(), &space);
    let mut addresses = Vec::new();
    for app in &apps {
        let lrp = lrps.get(app).await.expect("lrp");
        let address = lrp
            .status
            .and_then(|s| s.instances[0].address.clone())
            .expect("address");
        addresses.push((address, true));
    }
    addresses.sort();
    assert_eq!(endpoints(&node, &space, &route).await, addresses);
    let routes: Api<Route> = Api::namespaced(client.clone(), &space);
    let ready = routes
        .get(&route)
        .await
        .expect("route")
        .status
        .expect("status")
        .conditions;
    assert_eq!(ready[0].message, "served by an Ingress to 2 destinations");

    // An app that stops leaves the route; the other goes on answering.
    node.action(&apps[1], "stop").await;
    wait_some("only alpha answering", REAL, || async {
        let listed = endpoints(&node, &space, &route).await;
        (listed.len() == 1 && answers(&host, 6).await == ["alpha"]).then_some(())
    })
    .await;

    // Unmapped from one app, the route goes straight to the other's Service, and its own
    // Service and slices go.
    let destinations = node
        .call(
            Method::GET,
            &format!("/v3/routes/{route}/destinations"),
            None,
        )
        .await;
    let beta = destinations["destinations"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["app"]["guid"] == apps[1].as_str()))
        .and_then(|d| d["guid"].as_str())
        .expect("beta's destination")
        .to_owned();
    node.shim
        .call(
            Method::DELETE,
            &format!("/v3/routes/{route}/destinations/{beta}"),
            &node.admin,
            None,
        )
        .await;
    let lrp_service = format!("lrp-{}", apps[0]);
    wait_some("the Ingress back to alpha's Service", REAL, || async {
        (backend(&ingresses, &route).await.as_deref() == Some(lrp_service.as_str())).then_some(())
    })
    .await;
    wait_some("the route's Service and slices gone", REAL, || async {
        let gone = matches!(services.get_opt(&route_service).await, Ok(None));
        (gone && endpoints(&node, &space, &route).await.is_empty()).then_some(())
    })
    .await;
    assert_eq!(answers(&host, 4).await, ["alpha"]);
}
