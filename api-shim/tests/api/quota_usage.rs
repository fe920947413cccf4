//! Quotas enforced by the API: a start, a scale or a manifest that would take the org or the
//! space over a limit is refused with CC's texts before anything is written; a new route over
//! the route limit likewise; shrinking is always allowed.

use crate::harness::{Reply, Shim};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

async fn call(shim: &Shim, token: &str, m: Method, path: &str, body: Option<Value>) -> Reply {
    shim.call(m, path, token, body).await
}

/// `POST path` with a JSON body.
async fn post(shim: &Shim, token: &str, path: &str, body: Value) -> Reply {
    call(shim, token, Method::POST, path, Some(body)).await
}

async fn made(shim: &Shim, token: &str, path: &str, body: Value) -> String {
    let r = call(shim, token, Method::POST, path, Some(body)).await;
    assert_eq!(r.status, 201, "POST {path}: {}", r.body);
    r.body["guid"].as_str().expect("guid").to_owned()
}

/// A docker app in `space` with a droplet (the harness's operator stages docker packages at
/// once), stopped, its web process at `instances` × `memory` MB.
async fn app_with_droplet(shim: &Shim, admin: &str, space: &str, name: &str) -> (String, String) {
    let in_space = json!({ "space": { "data": { "guid": space } } });
    let app = made(
        shim,
        admin,
        "/v3/apps",
        json!({ "name": name, "relationships": in_space, "lifecycle": { "type": "docker", "data": {} } }),
    )
    .await;
    let of = json!({ "app": { "data": { "guid": app } } });
    let package = made(
        shim,
        admin,
        "/v3/packages",
        json!({ "type": "docker", "data": { "image": "nginx:1.27" }, "relationships": of }),
    )
    .await;
    let build = made(
        shim,
        admin,
        "/v3/builds",
        json!({ "package": { "guid": package } }),
    )
    .await;
    smelter_test_support::wait_for("build STAGED", Duration::from_secs(30), || async {
        call(
            shim,
            admin,
            Method::GET,
            &format!("/v3/builds/{build}"),
            None,
        )
        .await
        .body["state"]
            == "STAGED"
    })
    .await;
    let r = call(
        shim,
        admin,
        Method::PATCH,
        &format!("/v3/apps/{app}/relationships/current_droplet"),
        Some(json!({ "data": { "guid": build } })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let web = call(
        shim,
        admin,
        Method::GET,
        &format!("/v3/apps/{app}/processes/web"),
        None,
    )
    .await
    .body["guid"]
        .as_str()
        .expect("web")
        .to_owned();
    (app, web)
}

#[tokio::test]
async fn starts_scales_and_routes_over_quota_are_refused_with_ccs_texts() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "usage-org").await;
    let dev = shim.space(&admin, &org, "dev").await;

    // Staged before any quota: staging takes 1 GB (CC's least staging memory).
    let (app, web) = app_with_droplet(&shim, &admin, &dev, "usage-app").await;

    // The org may run 1 GB over 4 instances; the space 512 MB, 256 MB each, 2 routes.
    let org_quota = made(
        &shim,
        &admin,
        "/v3/organization_quotas",
        json!({"name": "usage-org-q", "apps": {"total_memory_in_mb": 1024, "total_instances": 4},
               "routes": {"total_routes": 3}}),
    )
    .await;
    let r = call(
        &shim,
        &admin,
        Method::POST,
        &format!("/v3/organization_quotas/{org_quota}/relationships/organizations"),
        Some(json!({"data": [{"guid": org}]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let space_quota = made(
        &shim,
        &admin,
        "/v3/space_quotas",
        json!({"name": "usage-space-q",
               "apps": {"total_memory_in_mb": 512, "per_process_memory_in_mb": 256},
               "routes": {"total_routes": 2},
               "relationships": {"organization": {"data": {"guid": org}},
                                 "spaces": {"data": [{"guid": dev}]}}}),
    )
    .await;

    // Staging again does not fit the space's 512 MB: CC's text, and no build is made.
    let packages = call(
        &shim,
        &admin,
        Method::GET,
        &format!("/v3/packages?app_guids={app}"),
        None,
    )
    .await;
    let package = packages.body["resources"][0]["guid"]
        .as_str()
        .expect("package")
        .to_owned();
    let builds = format!("/v3/builds?app_guids={app}");
    let before =
        call(&shim, &admin, Method::GET, &builds, None).await.body["pagination"]["total_results"]
            .clone();
    let r = call(
        &shim,
        &admin,
        Method::POST,
        "/v3/builds",
        Some(json!({"package": {"guid": package}})),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "space's memory limit exceeded: staging requires 1024M memory"
        ),
        "{}",
        r.body
    );
    let after =
        call(&shim, &admin, Method::GET, &builds, None).await.body["pagination"]["total_results"]
            .clone();
    assert_eq!(before, after);
    let scale = format!("/v3/processes/{web}/actions/scale");
    // Stopped: a scale changes no usage, whatever its size.
    let r = post(
        &shim,
        &admin,
        &scale,
        json!({"instances": 3, "memory_in_mb": 300}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let start = format!("/v3/apps/{app}/actions/start");
    let r = call(&shim, &admin, Method::POST, &start, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "memory space_quota_exceeded, memory space_instance_memory_limit_exceeded"
        ),
        "{}",
        r.body
    );
    let shown = call(&shim, &admin, Method::GET, &format!("/v3/apps/{app}"), None).await;
    assert_eq!(
        shown.body["state"], "STOPPED",
        "the refused start changed nothing"
    );

    // Within the space's limits it starts; growing past them again is refused.
    let r = post(
        &shim,
        &admin,
        &scale,
        json!({"instances": 2, "memory_in_mb": 256}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let r = call(&shim, &admin, Method::POST, &start, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(&shim, &admin, &scale, json!({"instances": 3})).await;
    assert_eq!(
        (r.status, r.detail()),
        (422, "memory space_quota_exceeded"),
        "{}",
        r.body
    );

    // Without the space quota, the org's limits hold: 4 instances, 1 GB.
    let r = call(
        &shim,
        &admin,
        Method::DELETE,
        &format!("/v3/space_quotas/{space_quota}/relationships/spaces/{dev}"),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    smelter_test_support::wait_for(
        "the space without its quota",
        Duration::from_secs(10),
        || async {
            call(
                &shim,
                &admin,
                Method::GET,
                &format!("/v3/spaces/{dev}"),
                None,
            )
            .await
            .body["relationships"]["quota"]["data"]
                .is_null()
        },
    )
    .await;
    // And the operator has taken the space quota's ResourceQuotas away (Kubernetes would
    // refuse the routes below by itself while they stand).
    let kube = smelter_test_support::client().await;
    let quotas: kube::Api<k8s_openapi::api::core::v1::ResourceQuota> =
        kube::Api::namespaced(kube, &dev);
    smelter_test_support::wait_for(
        "the ResourceQuotas gone",
        Duration::from_secs(30),
        || async {
            quotas
                .list(&Default::default())
                .await
                .is_ok_and(|l| l.items.is_empty())
        },
    )
    .await;
    let r = post(&shim, &admin, &scale, json!({"instances": 5})).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "memory quota_exceeded, app_instance_limit app_instance_limit_exceeded"
        ),
        "{}",
        r.body
    );
    let r = post(&shim, &admin, &scale, json!({"instances": 4})).await;
    assert_eq!(r.status, 202, "exactly the org's limits: {}", r.body);
    let r = post(&shim, &admin, &scale, json!({"instances": 1})).await;
    assert_eq!(r.status, 202, "shrinking: {}", r.body);

    // Routes: the org's limit of 3.
    let domain = call(&shim, &admin, Method::GET, "/v3/domains", None)
        .await
        .body["resources"][0]["guid"]
        .as_str()
        .expect("shared domain")
        .to_owned();
    let route = |host: &str| {
        json!({"host": host, "relationships": {"space": {"data": {"guid": dev}},
                                                "domain": {"data": {"guid": domain}}}})
    };
    // Hosts of this run's own: routes are unique across the cluster's installations.
    let host = |n: u8| format!("quota-{n}-{}", &dev[..8]);
    for n in 1..=3 {
        made(&shim, &admin, "/v3/routes", route(&host(n))).await;
    }
    smelter_test_support::wait_for("three routes", Duration::from_secs(10), || async {
        call(
            &shim,
            &admin,
            Method::GET,
            &format!("/v3/routes?space_guids={dev}"),
            None,
        )
        .await
        .body["pagination"]["total_results"]
            == 3
    })
    .await;
    let r = call(
        &shim,
        &admin,
        Method::POST,
        "/v3/routes",
        Some(route(&host(4))),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (422, "Routes quota exceeded for organization 'usage-org'.")
    );

    // What the org and the space use, as CC sums it: one started 256 MB instance, three routes.
    for (path, parent) in [
        (format!("/v3/organizations/{org}"), "organization"),
        (format!("/v3/spaces/{dev}"), "space"),
    ] {
        let r = call(
            &shim,
            &admin,
            Method::GET,
            &format!("{path}/usage_summary"),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["usage_summary"],
            json!({"started_instances": 1, "memory_in_mb": 256, "routes": 3, "service_instances": 0,
                   "reserved_ports": 0, "domains": 0, "per_app_tasks": 0, "service_keys": 0}),
            "{path}"
        );
        assert_eq!(
            r.body["links"][parent]["href"],
            format!("{}{path}", shim.url)
        );
    }
}

#[tokio::test]
async fn log_rates_over_a_quota_are_refused_with_ccs_texts() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "log-org").await;
    let dev = shim.space(&admin, &org, "dev").await;
    let (app, web) = app_with_droplet(&shim, &admin, &dev, "log-app").await;
    let quota = made(
        &shim,
        &admin,
        "/v3/organization_quotas",
        json!({"name": "log-q", "apps": {"log_rate_limit_in_bytes_per_second": 1000}}),
    )
    .await;
    let r = call(
        &shim,
        &admin,
        Method::POST,
        &format!("/v3/organization_quotas/{quota}/relationships/organizations"),
        Some(json!({"data": [{"guid": org}]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let start = format!("/v3/apps/{app}/actions/start");
    let scale = format!("/v3/processes/{web}/actions/scale");

    // CC's default log rate is unlimited, which a quota with a limit refuses.
    let r = call(&shim, &admin, Method::POST, &start, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "log_rate_limit cannot be unlimited in organization 'log-org'."
        ),
        "{}",
        r.body
    );
    let r = post(
        &shim,
        &admin,
        &scale,
        json!({"instances": 2, "log_rate_limit_in_bytes_per_second": 600}),
    )
    .await;
    assert_eq!(r.status, 202, "a stopped app scales freely: {}", r.body);
    let r = call(&shim, &admin, Method::POST, &start, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (422, "log_rate_limit exceeds organization log rate quota"),
        "2 × 600 B/s over 1000: {}",
        r.body
    );
    let r = post(
        &shim,
        &admin,
        &scale,
        json!({"log_rate_limit_in_bytes_per_second": 500}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let r = call(&shim, &admin, Method::POST, &start, None).await;
    assert_eq!(r.status, 200, "2 × 500 B/s fits: {}", r.body);
    let r = post(&shim, &admin, &scale, json!({"instances": 3})).await;
    assert_eq!(
        (r.status, r.detail()),
        (422, "log_rate_limit exceeds organization log rate quota"),
        "{}",
        r.body
    );
}
