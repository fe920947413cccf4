//! The running and staging environment variable groups: empty until an admin sets them, CC's
//! merge (a null removes), CC's refusals, and an app's env showing them.

use crate::harness::{Reply, Shim};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

async fn call(shim: &Shim, token: &str, m: Method, path: &str, body: Option<Value>) -> Reply {
    shim.call(m, path, token, body).await
}

#[tokio::test]
async fn environment_variable_groups_as_cc() {
    let shim = Shim::start(&["alice"]).await;
    let (admin, alice) = (shim.token("admin").await, shim.token("alice").await);
    let running = "/v3/environment_variable_groups/running";

    let r = call(&shim, &alice, Method::GET, running, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"updated_at": null, "name": "running", "var": {},
               "links": {"self": {"href": format!("{}{running}", shim.url)}}})
    );
    let r = call(
        &shim,
        &alice,
        Method::GET,
        "/v3/environment_variable_groups/other",
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (404, "Environment variable group not found")
    );
    let r = call(
        &shim,
        &alice,
        Method::PATCH,
        running,
        Some(json!({"var": {"A": "1"}})),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = call(
        &shim,
        &admin,
        Method::PATCH,
        running,
        Some(json!({"var": {"VCAP_X": "1"}})),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = call(
        &shim,
        &admin,
        Method::PATCH,
        running,
        Some(json!({"var": "A=1"})),
    )
    .await;
    assert_eq!((r.status, r.detail()), (422, "Var must be an object"));

    let r = call(
        &shim,
        &admin,
        Method::PATCH,
        running,
        Some(json!({"var": {"LANG": "en", "DEBUG": "1"}})),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["var"]),
        (200, &json!({"LANG": "en", "DEBUG": "1"})),
        "{}",
        r.body
    );
    assert!(r.body["updated_at"].is_string());
    smelter_test_support::wait_for("the group in the cache", Duration::from_secs(5), || async {
        call(&shim, &alice, Method::GET, running, None).await.body["var"]["DEBUG"] == "1"
    })
    .await;
    // A null removes; the rest merges.
    let r = call(
        &shim,
        &admin,
        Method::PATCH,
        running,
        Some(json!({"var": {"DEBUG": null, "TZ": "UTC"}})),
    )
    .await;
    assert_eq!(r.body["var"], json!({"LANG": "en", "TZ": "UTC"}));

    // An app's env shows the groups as CC does.
    let org = shim.org(&admin, "groups-org").await;
    let dev = shim.space(&admin, &org, "dev").await;
    let app = call(
        &shim,
        &admin,
        Method::POST,
        "/v3/apps",
        Some(json!({"name": "grouped", "relationships": {"space": {"data": {"guid": dev}}}})),
    )
    .await;
    let app = app.body["guid"].as_str().expect("app").to_owned();
    smelter_test_support::wait_for(
        "the merged group in the cache",
        Duration::from_secs(5),
        || async {
            let env = call(
                &shim,
                &admin,
                Method::GET,
                &format!("/v3/apps/{app}/env"),
                None,
            )
            .await;
            env.body["running_env_json"] == json!({"LANG": "en", "TZ": "UTC"})
                && env.body["staging_env_json"] == json!({})
        },
    )
    .await;
}
