//! apply_manifest (what every `cf push` sends first), manifest_diff and the app manifest.

use crate::harness::Shim;
use reqwest::Method;
use serde_json::json;

pub(crate) async fn apply(
    shim: &Shim,
    token: &str,
    space: &str,
    yaml: &str,
) -> crate::harness::Reply {
    shim.raw(
        Method::POST,
        &format!("/v3/spaces/{space}/actions/apply_manifest"),
        Some(token),
        Some(("application/x-yaml", yaml.as_bytes().to_vec())),
        false,
    )
    .await
}

#[tokio::test]
async fn apply_manifest_creates_and_updates_apps_processes_routes_and_env() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "m-org").await;
    let space = shim.space(&admin, &org, "m-space").await;

    // Route hosts are unique across the cluster, which other tests share: a fresh name.
    let name = format!("dora-{}", &smelter_test_support::guid()[..8]);
    // What `cf push NAME -b binary_buildpack -m 64M -i 2` sends, plus env and a worker.
    let first = format!(
        "applications:\n- name: {name}\n  instances: 2\n  memory: 64M\n  default-route: true\n  buildpacks:\n  - binary_buildpack\n  env:\n    GREETING: hi\n  processes:\n  - type: worker\n    command: ./work\n    instances: 1\n"
    );
    let reply = apply(&shim, &admin, &space, &first).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let job = reply.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let polled = shim.call(Method::GET, &job, &admin, None).await;
    assert_eq!(
        polled.body["state"], "COMPLETE",
        "the work is done before the job is handed out"
    );

    let apps = shim
        .call(
            Method::GET,
            &format!("/v3/apps?names={name}&space_guids={space}"),
            &admin,
            None,
        )
        .await;
    let app = apps.body["resources"][0]["guid"]
        .as_str()
        .expect("app created")
        .to_owned();
    assert_eq!(
        apps.body["resources"][0]["lifecycle"]["data"]["buildpacks"],
        json!(["binary_buildpack"])
    );
    let procs = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{app}/processes?order_by=created_at"),
            &admin,
            None,
        )
        .await;
    let by_type = |t: &str| {
        procs.body["resources"]
            .as_array()
            .expect("list")
            .iter()
            .find(|p| p["type"] == t)
            .cloned()
            .expect("process")
    };
    assert_eq!(
        (
            by_type("web")["instances"].as_i64(),
            by_type("web")["memory_in_mb"].as_i64()
        ),
        (Some(2), Some(64))
    );
    assert_eq!(by_type("worker")["command"], "./work");
    let routes = shim
        .call(Method::GET, &format!("/v3/apps/{app}/routes"), &admin, None)
        .await;
    assert_eq!(
        routes.body["resources"][0]["url"],
        format!("{name}.apps.smelter.test"),
        "default route"
    );
    let env = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{app}/environment_variables"),
            &admin,
            None,
        )
        .await;
    assert_eq!(env.body["var"]["GREETING"], "hi");

    // A re-push with no manifest changes keeps everything (default-route does nothing when routes exist).
    let again = apply(
        &shim,
        &admin,
        &space,
        &format!("applications:\n- name: {name}\n  default-route: true\n"),
    )
    .await;
    assert_eq!(again.status, 202);
    let routes = shim
        .call(Method::GET, &format!("/v3/apps/{app}/routes"), &admin, None)
        .await;
    assert_eq!(routes.body["pagination"]["total_results"], 1);
    let web = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{app}/processes/web"),
            &admin,
            None,
        )
        .await;
    assert_eq!(web.body["instances"], 2);

    // routes: replaces the set; the diff shows what would change.
    let diff = shim
        .raw(Method::POST, &format!("/v3/spaces/{space}/manifest_diff"), Some(&admin), Some(("application/x-yaml", format!("applications:\n- name: {name}\n  stack: cflinuxfs4\n  routes:\n  - route: {name}-api.apps.smelter.test/v1\n").into_bytes())), false)
        .await;
    assert_eq!(diff.status, 201, "{}", diff.body);
    let ops = diff.body["diff"].as_array().expect("diff");
    assert!(
        ops.iter()
            .any(|o| o["op"] == "replace" && o["path"] == "/applications/0/routes/0/route"),
        "{ops:?}"
    );
    assert!(
        !ops.iter().any(|o| o["path"] == "/applications/0/stack"),
        "unchanged stack reported: {ops:?}"
    );
    let replaced = apply(
        &shim,
        &admin,
        &space,
        &format!(
            "applications:\n- name: {name}\n  routes:\n  - route: {name}-api.apps.smelter.test/v1\n"
        ),
    )
    .await;
    assert_eq!(replaced.status, 202, "{}", replaced.body);
    let routes = shim
        .call(Method::GET, &format!("/v3/apps/{app}/routes"), &admin, None)
        .await;
    let urls: Vec<&str> = routes.body["resources"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["url"].as_str())
        .collect();
    assert_eq!(urls, [format!("{name}-api.apps.smelter.test/v1")]);

    let manifest = shim
        .raw(
            Method::GET,
            &format!("/v3/apps/{app}/manifest"),
            Some(&admin),
            None,
            false,
        )
        .await;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.headers["content-type"], "application/x-yaml");
}

#[tokio::test]
async fn bad_manifests_get_cf_errors_and_change_nothing() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "bad-m-org").await;
    let space = shim.space(&admin, &org, "bad-m-space").await;
    let cases = [
        ("applications: [", 400, "Request invalid due to parse error"),
        ("applications: []", 422, "no 'applications' field"),
        (
            "applications:\n- name: x\n  memory: lots\n",
            422,
            "For application 'x': Process \"web\": Memory is not a number",
        ),
        (
            "applications:\n- name: x\n  memory: 10Q\n",
            422,
            "must use a supported unit",
        ),
        (
            "applications:\n- name: x\n  instances: -1\n",
            422,
            "Instances must be greater than or equal to 0",
        ),
        (
            "applications:\n- name: \"bad name!\"\n  default-route: true\n",
            422,
            "Failed to create default route from app name",
        ),
        (
            "applications:\n- name: x\n  routes:\n  - route: x.nowhere.example\n",
            422,
            "did not match any existing domains",
        ),
        (
            "applications:\n- name: x\n  health-check-type: tcp\n",
            422,
            "Health check type must be",
        ),
    ];
    for (yaml, status, want) in cases {
        let r = apply(&shim, &admin, &space, yaml).await;
        assert_eq!(r.status, status, "{yaml}: {}", r.body);
        assert!(r.detail().contains(want), "{yaml}: {}", r.detail());
    }
    // Every refusal happens before the first write.
    let apps = shim
        .call(
            Method::GET,
            &format!("/v3/apps?space_guids={space}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        apps.body["pagination"]["total_results"], 0,
        "a refused manifest made an app"
    );
    let routes = shim
        .call(
            Method::GET,
            &format!("/v3/routes?space_guids={space}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        routes.body["pagination"]["total_results"], 0,
        "a refused manifest made a route"
    );
}
