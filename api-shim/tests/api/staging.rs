//! Packages, builds, droplets and the current droplet; stacks, buildpacks and log-cache reads.
//! The operator's build controller is not part of this test: where a build's result is needed,
//! the test writes the Build status the way the operator does.

use crate::harness::Shim;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn docker_package_build_droplet_and_start() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "stg-org").await;
    let space = shim.space(&admin, &org, "stg-space").await;
    let app = shim
        .call(Method::POST, "/v3/apps", &admin, Some(json!({ "name": "img", "relationships": { "space": { "data": { "guid": space } } }, "lifecycle": { "type": "docker", "data": {} } })))
        .await
        .body["guid"]
        .as_str()
        .expect("app")
        .to_owned();

    let bits = shim
        .call(
            Method::POST,
            "/v3/packages",
            &admin,
            Some(
                json!({ "type": "bits", "relationships": { "app": { "data": { "guid": app } } } }),
            ),
        )
        .await;
    assert_eq!(bits.status, 201, "{}", bits.body);
    assert_eq!(bits.body["state"], "AWAITING_UPLOAD");
    let early = shim
        .call(
            Method::POST,
            "/v3/builds",
            &admin,
            Some(json!({ "package": { "guid": bits.body["guid"] } })),
        )
        .await;
    assert_eq!(
        (early.status, early.detail()),
        (
            400,
            "Bad request: Cannot stage package whose state is not ready."
        )
    );

    let bad = shim.call(Method::POST, "/v3/packages", &admin, Some(json!({ "type": "docker", "relationships": { "app": { "data": { "guid": app } } } }))).await;
    assert_eq!((bad.status, bad.detail()), (422, "Data Image required"));
    let docker = shim
        .call(Method::POST, "/v3/packages", &admin, Some(json!({ "type": "docker", "data": { "image": "nginx:1.27" }, "relationships": { "app": { "data": { "guid": app } } } })))
        .await;
    assert_eq!(docker.body["state"], "READY");
    assert_eq!(docker.body["data"]["image"], "nginx:1.27");
    let listed = shim
        .call(
            Method::GET,
            &format!("/v3/packages?app_guids={app}&states=READY"),
            &admin,
            None,
        )
        .await;
    assert_eq!(listed.body["pagination"]["total_results"], 1);

    let build = shim
        .call(
            Method::POST,
            "/v3/builds",
            &admin,
            Some(json!({ "package": { "guid": docker.body["guid"] } })),
        )
        .await;
    assert_eq!(build.status, 201, "{}", build.body);
    assert_eq!(build.body["state"], "STAGING");
    assert_eq!(build.body["created_by"]["name"], "admin");
    let build_guid = build.body["guid"].as_str().expect("guid").to_owned();

    // The operator in the harness stages a docker package at once: the image is the
    // droplet, whose GUID is the build's.
    let droplet = build_guid.clone();
    smelter_test_support::wait_for(
        "build STAGED through the API",
        std::time::Duration::from_secs(10),
        || async {
            shim.call(
                Method::GET,
                &format!("/v3/builds/{build_guid}"),
                &admin,
                None,
            )
            .await
            .body["state"]
                == "STAGED"
        },
    )
    .await;
    let got = shim
        .call(
            Method::GET,
            &format!("/v3/droplets/{droplet}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (got.status, got.body["state"].as_str()),
        (200, Some("STAGED"))
    );
    assert_eq!(
        shim.call(
            Method::GET,
            &format!("/v3/apps/{app}/droplets"),
            &admin,
            None
        )
        .await
        .body["pagination"]["total_results"],
        1
    );

    let wrong = shim
        .call(
            Method::PATCH,
            &format!("/v3/apps/{app}/relationships/current_droplet"),
            &admin,
            Some(json!({ "data": { "guid": smelter_test_support::guid() } })),
        )
        .await;
    assert_eq!(wrong.status, 422);
    let set = shim
        .call(
            Method::PATCH,
            &format!("/v3/apps/{app}/relationships/current_droplet"),
            &admin,
            Some(json!({ "data": { "guid": droplet } })),
        )
        .await;
    assert_eq!(
        (set.status, set.body["data"]["guid"].as_str()),
        (200, Some(droplet.as_str()))
    );
    let current = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{app}/droplets/current"),
            &admin,
            None,
        )
        .await;
    assert_eq!(current.body["guid"], droplet.as_str());
    let started = shim
        .call(
            Method::POST,
            &format!("/v3/apps/{app}/actions/start"),
            &admin,
            None,
        )
        .await;
    assert_eq!(started.body["state"], "STARTED");
    let restarted = shim
        .call(
            Method::POST,
            &format!("/v3/apps/{app}/actions/restart"),
            &admin,
            None,
        )
        .await;
    assert_eq!(restarted.status, 200);
}

#[tokio::test]
async fn stacks_buildpacks_and_log_cache_answer_in_the_cli_shapes() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let stacks = shim.call(Method::GET, "/v3/stacks", &admin, None).await;
    assert_eq!(stacks.body["resources"][0]["name"], "cflinuxfs4");
    assert_eq!(
        shim.call(Method::GET, "/v3/stacks?names=other", &admin, None)
            .await
            .body["pagination"]["total_results"],
        0
    );
    let bps = shim.call(Method::GET, "/v3/buildpacks", &admin, None).await;
    assert_eq!(bps.status, 200);
    assert!(bps.body["resources"].is_array());

    let info = shim
        .raw(Method::GET, "/api/v1/info", None, None, false)
        .await;
    assert_eq!(info.body["version"], "3.0.0");
    let org = shim.org(&admin, "lc-org").await;
    let space = shim.space(&admin, &org, "lc-space").await;
    let app = shim
        .call(Method::POST, "/v3/apps", &admin, Some(json!({ "name": "quiet", "relationships": { "space": { "data": { "guid": space } } } })))
        .await
        .body["guid"]
        .as_str()
        .expect("app")
        .to_owned();
    let read = shim
        .call(Method::GET, &format!("/api/v1/read/{app}?descending=true&envelope_types=LOG&limit=1000&start_time=-6795364578871345152"), &admin, None)
        .await;
    assert_eq!(
        read.body,
        json!({ "envelopes": { "batch": [] } }),
        "no pods yet, so no envelopes"
    );
    assert_eq!(
        shim.call(
            Method::GET,
            &format!("/api/v1/read/{app}?limit=5000"),
            &admin,
            None
        )
        .await
        .status,
        400
    );
    assert_eq!(
        shim.call(
            Method::GET,
            &format!("/api/v1/read/{}", smelter_test_support::guid()),
            &admin,
            None
        )
        .await
        .status,
        404
    );
}
