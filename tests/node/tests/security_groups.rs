//! Security groups on a real node: the space's NetworkPolicies, enforced by the node's policy
//! controller (kube-network-policies, started by `tests/k8s/node.sh`), really refuse what the
//! app's running groups do not allow and let through what a bound group allows. The app's
//! instance connects to a server pod outside any space (whose own traffic no policy governs),
//! by its pod address: a private address, which CF's default groups (dns, public_networks)
//! leave out.

use k8s_openapi::api::{core::v1::Pod, networking::v1::NetworkPolicy};
use kube::{Api, api::PostParams};
use reqwest::Method;
use serde_json::json;
use smelter_crds::labels;
use smelter_node_tests::{Node, REAL, list, short, wait_some};
use smelter_test_support as support;
use std::time::Duration;

/// The app: `run.sh` serves on `$PORT` with the stack's busybox, so its instance is Ready.
const RUN: &[u8] = br#"#!/bin/sh
mkdir -p /tmp/www && echo app > /tmp/www/index.html
exec busybox httpd -f -p "$PORT" -h /tmp/www
"#;

/// The server: answers on 8080 and 8081, with the stack image the node already has.
fn server_pod(image: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": { "name": "server", "labels": { "app": "sg-server" } },
        "spec": {
            "containers": [{
                "name": "server",
                "image": image,
                "imagePullPolicy": "Never",
                "command": ["sh", "-c",
                    "mkdir -p /tmp/www && echo reached > /tmp/www/index.html && \
                     busybox httpd -p 8081 -h /tmp/www && exec busybox httpd -f -p 8080 -h /tmp/www"],
                "readinessProbe": { "tcpSocket": { "port": 8080 }, "periodSeconds": 1 },
            }],
            "terminationGracePeriodSeconds": 0,
        },
    }))
    .expect("pod")
}

/// `curl` from inside the app's instance (its network namespace) to `url`: the body, or the
/// failure.
fn curl_from(namespace: &str, pod: &str, url: &str) -> Result<String, String> {
    let out = support::kubectl()
        .args(["-n", namespace, "exec", pod, "-c", "app", "--"])
        .args(["curl", "-sS", "--max-time", "4", url])
        .output()
        .map_err(|e| format!("kubectl exec: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

#[tokio::test]
async fn running_groups_decide_what_an_instance_reaches_on_the_node() {
    let node = Node::start().await;
    let client = node.shim.client.clone();
    let (_, space) = node.org_and_space().await;

    // The server, in a namespace of its own.
    let elsewhere = support::namespace(&client, "sg-server").await;
    // The operator's default stack image: every crate of the workspace has its version.
    let image = format!("smelter/cflinuxfs4:{}", env!("CARGO_PKG_VERSION"));
    let pods: Api<Pod> = Api::namespaced(client.clone(), &elsewhere);
    pods.create(&PostParams::default(), &server_pod(&image))
        .await
        .expect("server pod");
    let server_ip = wait_some("the server Ready", REAL, || async {
        let pod = pods.get("server").await.ok()?;
        let status = pod.status?;
        let ready = status
            .conditions?
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        ready.then_some(status.pod_ip?)
    })
    .await;

    // The app, with the installation's default groups only.
    let app = node
        .create_app(&space, "client", &["binary_buildpack"])
        .await;
    node.staged(&app, &[("run.sh", 0o755, RUN)]).await;
    node.action(&app, "start").await;
    let selector = format!("{}={app}", labels::PROCESS_GUID);
    let instance = wait_some("the instance Ready", REAL, || async {
        let pods: Vec<Pod> = list(&client, &space, &selector).await;
        pods.into_iter()
            .find(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .and_then(|p| p.metadata.name)
    })
    .await;
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), &space);
    let groups_of = |policies: Api<NetworkPolicy>| async move {
        let policy = policies
            .get_opt("smelter-running-security-groups")
            .await
            .ok()??;
        policy
            .metadata
            .annotations?
            .get("cf.smelter.dev/security-groups")
            .cloned()
    };
    let groups = wait_some("the running policy", REAL, || groups_of(policies.clone())).await;
    assert_eq!(groups, "dns,public_networks");

    let on = |port: u16| format!("http://{server_ip}:{port}/");
    let denied = curl_from(&space, &instance, &on(8080));
    assert!(
        denied.is_err(),
        "the default groups let the instance reach a private address: {denied:?}"
    );

    // A group allowing the pod network on 8080, bound to the space for running.
    let rules = json!([{ "protocol": "tcp", "destination": "10.88.0.0/16", "ports": "8080" }]);
    let name = format!("pods-{}", short());
    node.call(
        Method::POST,
        "/v3/security_groups",
        Some(json!({
            "name": name,
            "rules": rules,
            "relationships": { "running_spaces": { "data": [{ "guid": space }] } },
        })),
    )
    .await;
    wait_some("the bound group in the running policy", REAL, || {
        let (policies, name) = (policies.clone(), name.clone());
        async move {
            let groups = groups_of(policies).await?;
            groups.split(',').any(|g| g == name).then_some(())
        }
    })
    .await;
    // The controller applies a policy change to new connections within a moment.
    let reached = wait_some("the allowed connection", Duration::from_secs(30), || {
        let (space, instance, url) = (space.clone(), instance.clone(), on(8080));
        async move { curl_from(&space, &instance, &url).ok() }
    })
    .await;
    assert_eq!(reached, "reached");
    let other_port = curl_from(&space, &instance, &on(8081));
    assert!(
        other_port.is_err(),
        "a port the group does not name was reached: {other_port:?}"
    );
}
