//! Apps, their processes and environment: create, list with filters, scale, set env, rename,
//! start refused without a droplet, stats DOWN while stopped, delete.

use crate::harness::Shim;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use reqwest::Method;
use serde_json::json;
use smelter_test_support as support;
use std::time::Duration;

#[tokio::test]
async fn apps_processes_and_env_behave_like_cc() {
    let shim = Shim::start(&["dave"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "apps-org").await;
    let space = shim.space(&admin, &org, "apps-space").await;

    let created = shim
        .call(
            Method::POST,
            "/v3/apps",
            &admin,
            Some(json!({
                "name": "dora",
                "relationships": { "space": { "data": { "guid": space } } },
                "lifecycle": { "type": "buildpack", "data": { "buildpacks": ["binary_buildpack"] } },
                "environment_variables": { "GREETING": "hello", "COUNT": 3 },
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let app = created.body["guid"].as_str().expect("guid").to_owned();
    assert_eq!(created.body["state"], "STOPPED");
    assert_eq!(created.body["lifecycle"]["data"]["stack"], "cflinuxfs4");
    assert_eq!(
        created.body["relationships"]["current_droplet"]["data"],
        serde_json::Value::Null
    );

    let dup = shim
        .call(Method::POST, "/v3/apps", &admin, Some(json!({ "name": "dora", "relationships": { "space": { "data": { "guid": space } } } })))
        .await;
    assert_eq!(
        (dup.status, dup.detail()),
        (422, "App with the name 'dora' already exists.")
    );

    let found = shim
        .call(
            Method::GET,
            &format!("/v3/apps?names=dora&space_guids={space}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(found.body["resources"][0]["guid"], app.as_str());
    let included = shim
        .call(
            Method::GET,
            &format!("/v3/apps?guids={app}&include=space.organization"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        included.body["included"]["organizations"][0]["guid"],
        org.as_str()
    );

    // The web process exists from the start, with CC's defaults.
    let procs = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{app}/processes"),
            &admin,
            None,
        )
        .await;
    assert_eq!(procs.body["resources"][0]["type"], "web");
    assert_eq!(procs.body["resources"][0]["instances"], 1);
    assert_eq!(
        procs.body["resources"][0]["relationships"]["app"]["data"]["guid"],
        app.as_str()
    );
    let web = procs.body["resources"][0]["guid"]
        .as_str()
        .expect("guid")
        .to_owned();

    let scaled = shim
        .call(
            Method::POST,
            &format!("/v3/apps/{app}/processes/web/actions/scale"),
            &admin,
            Some(json!({ "instances": 3, "memory_in_mb": 64 })),
        )
        .await;
    assert_eq!(scaled.status, 202, "{}", scaled.body);
    assert_eq!(
        (
            scaled.body["instances"].as_i64(),
            scaled.body["memory_in_mb"].as_i64()
        ),
        (Some(3), Some(64))
    );
    let bad = shim
        .call(
            Method::POST,
            &format!("/v3/processes/{web}/actions/scale"),
            &admin,
            Some(json!({ "instances": -2 })),
        )
        .await;
    assert_eq!(bad.status, 422);
    let stats = shim
        .call(
            Method::GET,
            &format!("/v3/processes/{web}/stats"),
            &admin,
            None,
        )
        .await;
    let states: Vec<&str> = stats.body["resources"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["state"].as_str())
        .collect();
    assert_eq!(
        states,
        ["DOWN", "DOWN", "DOWN"],
        "a stopped app reports its instances DOWN"
    );

    let hc = shim
        .call(
            Method::PATCH,
            &format!("/v3/processes/{web}"),
            &admin,
            Some(json!({ "health_check": { "type": "http", "data": { "endpoint": "/health" } } })),
        )
        .await;
    assert_eq!(
        hc.body["health_check"],
        json!({ "type": "http", "data": { "timeout": null, "invocation_timeout": null, "endpoint": "/health" } })
    );

    // Environment variables: in a Secret owned by the app.
    let vars = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{app}/environment_variables"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        vars.body["var"],
        json!({ "GREETING": "hello", "COUNT": "3" })
    );
    let patched = shim
        .call(
            Method::PATCH,
            &format!("/v3/apps/{app}/environment_variables"),
            &admin,
            Some(json!({ "var": { "GREETING": null, "MODE": "fast" } })),
        )
        .await;
    assert_eq!(patched.body["var"], json!({ "COUNT": "3", "MODE": "fast" }));
    let reserved = shim
        .call(
            Method::PATCH,
            &format!("/v3/apps/{app}/environment_variables"),
            &admin,
            Some(json!({ "var": { "VCAP_X": "1" } })),
        )
        .await;
    assert_eq!(
        (reserved.status, reserved.detail()),
        (422, "Environment variable name cannot start with VCAP_")
    );
    let env = shim
        .call(Method::GET, &format!("/v3/apps/{app}/env"), &admin, None)
        .await;
    assert_eq!(env.body["environment_variables"]["MODE"], "fast");
    assert_eq!(
        env.body["application_env_json"]["VCAP_APPLICATION"]["space_name"],
        "apps-space"
    );
    assert_eq!(
        env.body["application_env_json"]["VCAP_APPLICATION"]["organization_name"],
        "apps-org"
    );

    let start = shim
        .call(
            Method::POST,
            &format!("/v3/apps/{app}/actions/start"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (start.status, start.detail()),
        (422, "Assign a droplet before starting this app.")
    );
    let current = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{app}/droplets/current"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (current.status, current.detail()),
        (404, "Droplet not found")
    );

    let renamed = shim
        .call(
            Method::PATCH,
            &format!("/v3/apps/{app}"),
            &admin,
            Some(json!({ "name": "dora2" })),
        )
        .await;
    assert_eq!(renamed.body["name"], "dora2");

    // A user without a role in the space sees nothing of it.
    let dave = shim.token("dave").await;
    assert_eq!(
        shim.call(Method::GET, &format!("/v3/apps/{app}"), &dave, None)
            .await
            .detail(),
        "App not found"
    );
    assert_eq!(
        shim.call(Method::GET, "/v3/processes", &dave, None)
            .await
            .body["pagination"]["total_results"],
        0
    );

    let deleted = shim
        .call(Method::DELETE, &format!("/v3/apps/{app}"), &admin, None)
        .await;
    assert_eq!(deleted.status, 202);
    shim.wait_job(
        deleted.headers["location"].to_str().expect("location"),
        &admin,
    )
    .await;
    assert_eq!(
        shim.call(Method::GET, &format!("/v3/apps/{app}"), &admin, None)
            .await
            .status,
        404
    );
    // The env Secret goes with the app (garbage collection of the owner reference).
    let secrets: Api<Secret> = Api::namespaced(shim.client.clone(), &space);
    support::wait_for("env secret collected", Duration::from_secs(30), || async {
        secrets
            .get_opt(&format!("{app}-env"))
            .await
            .expect("get")
            .is_none()
    })
    .await;
}

#[tokio::test]
async fn space_auditors_cannot_read_env_or_change_apps() {
    let shim = Shim::start(&["erin"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "audit-org").await;
    let space = shim.space(&admin, &org, "audit-space").await;
    assert_eq!(
        shim.role(&admin, "organization_user", "erin", ("organization", &org))
            .await
            .status,
        201
    );
    assert_eq!(
        shim.role(&admin, "space_auditor", "erin", ("space", &space))
            .await
            .status,
        201
    );
    let created = shim
        .call(Method::POST, "/v3/apps", &admin, Some(json!({ "name": "secretive", "relationships": { "space": { "data": { "guid": space } } } })))
        .await;
    let app = created.body["guid"].as_str().expect("guid").to_owned();
    let erin = shim.token("erin").await;
    assert_eq!(
        shim.call(Method::GET, &format!("/v3/apps/{app}"), &erin, None)
            .await
            .status,
        200,
        "auditors see apps"
    );
    assert_eq!(
        shim.call(Method::GET, &format!("/v3/apps/{app}/env"), &erin, None)
            .await
            .status,
        403,
        "auditors must not read env"
    );
    let scale = shim
        .call(
            Method::POST,
            &format!("/v3/apps/{app}/processes/web/actions/scale"),
            &erin,
            Some(json!({ "instances": 5 })),
        )
        .await;
    assert_eq!(scale.status, 403);
    let create = shim
        .call(Method::POST, "/v3/apps", &erin, Some(json!({ "name": "mine", "relationships": { "space": { "data": { "guid": space } } } })))
        .await;
    assert_eq!(create.status, 403);
    let web = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{app}/processes/web"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        web.body["instances"], 1,
        "a refused scale changed the process"
    );
}
