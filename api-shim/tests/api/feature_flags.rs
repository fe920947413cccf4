//! Feature flags: CC's flags and defaults (with the installation's override of
//! `diego_docker`), CC's refusals, and what each gates refused with CC's `FeatureDisabled`.

use crate::harness::{Reply, Shim};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

async fn call(shim: &Shim, token: &str, m: Method, path: &str, body: Option<Value>) -> Reply {
    shim.call(m, path, token, body).await
}

async fn set(shim: &Shim, admin: &str, name: &str, body: Value) {
    let r = call(
        shim,
        admin,
        Method::PATCH,
        &format!("/v3/feature_flags/{name}"),
        Some(body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The shim's cache sees the change before the next request relies on it.
    smelter_test_support::wait_for("the flag in the cache", Duration::from_secs(5), || async {
        let shown = call(
            shim,
            admin,
            Method::GET,
            &format!("/v3/feature_flags/{name}"),
            None,
        )
        .await;
        shown.body["enabled"] == r.body["enabled"]
    })
    .await;
}

#[tokio::test]
async fn feature_flags_as_cc() {
    let shim = Shim::start(&["alice"]).await;
    let (admin, alice) = (shim.token("admin").await, shim.token("alice").await);
    let org = shim.org(&admin, "flags-org").await;
    let dev = shim.space(&admin, &org, "dev").await;
    for (role, on) in [
        ("organization_user", ("organization", &org)),
        ("space_developer", ("space", &dev)),
    ] {
        let r = shim
            .role(&admin, role, "alice", (on.0, on.1.as_str()))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    // Every user reads every flag; CC's defaults, diego_docker as the installation sets it.
    let list = call(&shim, &alice, Method::GET, "/v3/feature_flags", None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["pagination"]["total_results"], 19);
    let first = &list.body["resources"][0];
    assert_eq!(
        first,
        &json!({"name": "app_bits_upload", "enabled": true, "updated_at": null,
                "custom_error_message": null,
                "links": {"self": {"href": format!("{}/v3/feature_flags/app_bits_upload", shim.url)}}})
    );
    let docker = call(
        &shim,
        &alice,
        Method::GET,
        "/v3/feature_flags/diego_docker",
        None,
    )
    .await;
    assert_eq!(docker.body["enabled"], true);
    let user_orgs = call(
        &shim,
        &alice,
        Method::GET,
        "/v3/feature_flags/user_org_creation",
        None,
    )
    .await;
    assert_eq!(user_orgs.body["enabled"], false);
    let r = call(&shim, &alice, Method::GET, "/v3/feature_flags/bogus", None).await;
    assert_eq!((r.status, r.detail()), (404, "Feature flag not found"));
    let r = call(
        &shim,
        &alice,
        Method::PATCH,
        "/v3/feature_flags/bogus",
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(r.status, 404, "found before the admin check, as CC");
    let r = call(
        &shim,
        &alice,
        Method::PATCH,
        "/v3/feature_flags/app_scaling",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = call(
        &shim,
        &admin,
        Method::PATCH,
        "/v3/feature_flags/app_scaling",
        Some(json!({"enabled": "no"})),
    )
    .await;
    assert_eq!((r.status, r.detail()), (422, "Enabled must be a boolean"));

    // app_scaling, with a custom message: developers may not scale, admins still may.
    set(
        &shim,
        &admin,
        "app_scaling",
        json!({"enabled": false, "custom_error_message": "ask the platform team"}),
    )
    .await;
    let shown = call(
        &shim,
        &alice,
        Method::GET,
        "/v3/feature_flags/app_scaling",
        None,
    )
    .await;
    assert!(shown.body["updated_at"].is_string(), "{}", shown.body);
    let in_space = json!({"space": {"data": {"guid": dev}}});
    let app = call(
        &shim,
        &alice,
        Method::POST,
        "/v3/apps",
        Some(json!({"name": "flagged", "relationships": in_space})),
    )
    .await;
    assert_eq!(app.status, 201, "{}", app.body);
    let app = app.body["guid"].as_str().expect("guid").to_owned();
    let scale = format!("/v3/apps/{app}/processes/web/actions/scale");
    let r = call(
        &shim,
        &alice,
        Method::POST,
        &scale,
        Some(json!({"instances": 2})),
    )
    .await;
    assert_eq!(
        (r.status, r.title(), r.detail()),
        (
            403,
            "CF-FeatureDisabled",
            "Feature Disabled: ask the platform team"
        )
    );
    let r = call(
        &shim,
        &admin,
        Method::POST,
        &scale,
        Some(json!({"instances": 2})),
    )
    .await;
    assert_eq!(r.status, 202, "admins pass app_scaling: {}", r.body);

    // env_var_visibility: nobody reads an app's environment.
    set(
        &shim,
        &admin,
        "env_var_visibility",
        json!({"enabled": false}),
    )
    .await;
    let r = call(
        &shim,
        &admin,
        Method::GET,
        &format!("/v3/apps/{app}/env"),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (403, "Feature Disabled: env_var_visibility")
    );

    // route_creation: developers may not make routes.
    set(&shim, &admin, "route_creation", json!({"enabled": false})).await;
    let domain = call(&shim, &admin, Method::GET, "/v3/domains", None)
        .await
        .body["resources"][0]["guid"]
        .as_str()
        .expect("domain")
        .to_owned();
    let route = json!({"host": format!("flagged-{}", &dev[..8]),
                       "relationships": {"space": {"data": {"guid": dev}}, "domain": {"data": {"guid": domain}}}});
    let r = call(&shim, &alice, Method::POST, "/v3/routes", Some(route)).await;
    assert_eq!(
        (r.status, r.detail()),
        (403, "Feature Disabled: route_creation")
    );

    // diego_docker: no docker app, whoever asks.
    set(&shim, &admin, "diego_docker", json!({"enabled": false})).await;
    let docker_app = json!({"name": "img", "relationships": {"space": {"data": {"guid": dev}}},
                            "lifecycle": {"type": "docker", "data": {}}});
    let r = call(&shim, &admin, Method::POST, "/v3/apps", Some(docker_app)).await;
    assert_eq!(
        (r.status, r.detail()),
        (403, "Feature Disabled: diego_docker")
    );

    // resource_matching: nothing matches, so every file is uploaded.
    set(
        &shim,
        &admin,
        "resource_matching",
        json!({"enabled": false}),
    )
    .await;
    let r = call(
        &shim,
        &alice,
        Method::POST,
        "/v3/resource_matches",
        Some(json!({"resources": [{"checksum": {"value": "a".repeat(40)}, "size_in_bytes": 1}]})),
    )
    .await;
    assert_eq!((r.status, &r.body), (201, &json!({"resources": []})));
}

#[tokio::test]
async fn user_org_creation_lets_a_user_make_an_org_they_manage() {
    let shim = Shim::start(&["alice"]).await;
    let admin = shim.token("admin").await;
    let alice = shim.token("alice").await;
    let create = |token: &str, body: Value| {
        let (shim, token) = (&shim, token.to_owned());
        async move { call(shim, &token, Method::POST, "/v3/organizations", Some(body)).await }
    };
    let refused = create(&alice, json!({ "name": "alices-org" })).await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    set(
        &shim,
        &admin,
        "user_org_creation",
        json!({ "enabled": true }),
    )
    .await;
    let suspended = create(&alice, json!({ "name": "alices-org", "suspended": true })).await;
    assert_eq!(suspended.status, 403, "only admins make suspended orgs");
    let made = create(&alice, json!({ "name": "alices-org" })).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let org = made.body["guid"].as_str().expect("guid").to_owned();
    // CC makes the creator the org's user and manager.
    let roles = call(
        &shim,
        &admin,
        Method::GET,
        &format!(
            "/v3/roles?organization_guids={org}&user_guids={}",
            shim.users["alice"]
        ),
        None,
    )
    .await;
    let mut types: Vec<&str> = roles.body["resources"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["type"].as_str())
        .collect();
    types.sort_unstable();
    assert_eq!(types, ["organization_manager", "organization_user"]);
    // As its manager, she makes a space in it.
    let space = create_space(&shim, &alice, &org).await;
    assert_eq!(space.status, 201, "{}", space.body);
    // A user's org is an org like any: an admin's made orgs stay theirs to manage alone.
    let by_admin = create(&admin, json!({ "name": "admins-org" })).await;
    assert_eq!(by_admin.status, 201);
    let admin_roles = call(
        &shim,
        &admin,
        Method::GET,
        &format!(
            "/v3/roles?organization_guids={}",
            by_admin.body["guid"].as_str().expect("guid")
        ),
        None,
    )
    .await;
    assert_eq!(
        admin_roles.body["resources"],
        json!([]),
        "CC gives an admin no roles"
    );

    set(
        &shim,
        &admin,
        "user_org_creation",
        json!({ "enabled": false }),
    )
    .await;
    let again = create(&alice, json!({ "name": "alices-second-org" })).await;
    assert_eq!(again.status, 403);
}

async fn create_space(shim: &Shim, token: &str, org: &str) -> Reply {
    let body =
        json!({ "name": "dev", "relationships": { "organization": { "data": { "guid": org } } } });
    call(shim, token, Method::POST, "/v3/spaces", Some(body)).await
}
