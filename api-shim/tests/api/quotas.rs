//! Org and space quotas: the default quota every org starts under, CC's create, update, apply,
//! remove and delete with CC's refusals, and who may do what.

use crate::harness::{Reply, Shim};
use reqwest::Method;
use serde_json::{Value, json};

async fn post(shim: &Shim, token: &str, path: &str, body: Value) -> Reply {
    shim.call(Method::POST, path, token, Some(body)).await
}

async fn get(shim: &Shim, token: &str, path: &str) -> Reply {
    shim.call(Method::GET, path, token, None).await
}

#[tokio::test]
async fn org_quotas_as_cc() {
    let shim = Shim::start(&["alice"]).await;
    let (admin, alice) = (shim.token("admin").await, shim.token("alice").await);
    let org = shim.org(&admin, "quota-org").await;

    // Every org starts under `default`, with capi-release's limits.
    let shown = get(&shim, &admin, &format!("/v3/organizations/{org}")).await;
    let default = shown.body["relationships"]["quota"]["data"]["guid"]
        .as_str()
        .expect("an org always has a quota")
        .to_owned();
    let q = get(&shim, &alice, &format!("/v3/organization_quotas/{default}")).await;
    assert_eq!(
        (q.status, &q.body["name"]),
        (200, &json!("default")),
        "{}",
        q.body
    );
    assert_eq!(q.body["apps"]["total_memory_in_mb"], 102400);
    assert_eq!(
        q.body["routes"],
        json!({"total_routes": 1000, "total_reserved_ports": 100})
    );
    assert_eq!(
        q.body["relationships"]["organizations"]["data"],
        json!([]),
        "alice sees no org"
    );
    let q = get(&shim, &admin, &format!("/v3/organization_quotas/{default}")).await;
    assert_eq!(
        q.body["relationships"]["organizations"]["data"],
        json!([{ "guid": org }])
    );

    // What the cf CLI sends for `cf create-org-quota small -m 1G -i 512M -a 3 -r 2 -s 1`.
    let body = json!({"name": "small", "apps": {"total_memory_in_mb": 1024, "per_process_memory_in_mb": 512, "total_instances": 3},
        "services": {"total_service_instances": 1, "paid_services_allowed": false}, "routes": {"total_routes": 2, "total_reserved_ports": 0}});
    let refused = post(
        &shim,
        &alice,
        "/v3/organization_quotas",
        json!({"bogus": 1}),
    )
    .await;
    assert_eq!(
        (refused.status, refused.title()),
        (403, "CF-NotAuthorized"),
        "403 before the body"
    );
    let made = post(&shim, &admin, "/v3/organization_quotas", body.clone()).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let small = made.body["guid"].as_str().expect("guid").to_owned();
    assert_eq!(made.body["apps"]["per_app_tasks"], Value::Null, "unlimited");
    assert_eq!(made.body["domains"], json!({"total_domains": null}));
    let again = post(&shim, &admin, "/v3/organization_quotas", body).await;
    assert_eq!(
        (again.status, again.detail()),
        (422, "Organization Quota 'small' already exists.")
    );
    let cases = [
        (json!({}), "Name can't be blank"),
        (
            json!({"name": "x", "apps": {"total_memory_in_mb": -1}}),
            "Apps Total memory in mb must be greater than or equal to 0",
        ),
        (
            json!({"name": "x", "apps": {"total_memory_in_mb": "lots"}}),
            "Apps Total memory in mb is not a number",
        ),
        (
            json!({"name": "x", "routes": {"total_routes": 1, "total_reserved_ports": 2}}),
            "Total reserved ports must be -1, 0, or a positive integer, and must be less than or equal to total routes.",
        ),
        (
            json!({"name": "x", "relationships": {"organizations": {"data": [{"guid": "nope"}]}}}),
            "Organizations with guids [\"nope\"] do not exist, or you do not have access to them.",
        ),
    ];
    for (body, detail) in cases {
        let r = post(&shim, &admin, "/v3/organization_quotas", body.clone()).await;
        assert_eq!((r.status, r.detail()), (422, detail), "{body}");
    }
    let listed = get(&shim, &admin, "/v3/organization_quotas?names=x").await;
    assert_eq!(
        listed.body["resources"],
        json!([]),
        "a refused create made nothing"
    );

    // `cf set-org-quota`: the org moves to the quota.
    let path = format!("/v3/organization_quotas/{small}/relationships/organizations");
    let applied = post(&shim, &admin, &path, json!({"data": [{"guid": org}]})).await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(applied.body["data"], json!([{ "guid": org }]));
    let shown = get(&shim, &admin, &format!("/v3/organizations/{org}")).await;
    assert_eq!(
        shown.body["relationships"]["quota"]["data"]["guid"],
        small.as_str()
    );
    let filtered = get(
        &shim,
        &admin,
        &format!("/v3/organization_quotas?organization_guids={org}"),
    )
    .await;
    assert_eq!(filtered.body["resources"][0]["guid"], small.as_str());
    let r = post(&shim, &admin, &path, json!({"data": []})).await;
    assert_eq!((r.status, r.detail()), (422, "Data can't be blank"));

    // `cf update-org-quota small -n smaller -m -1`.
    let path = format!("/v3/organization_quotas/{small}");
    let patch = json!({"name": "smaller", "apps": {"total_memory_in_mb": null}, "services": {}, "routes": {}});
    let r = shim
        .call(Method::PATCH, &path, &alice, Some(patch.clone()))
        .await;
    assert_eq!(r.status, 403);
    let r = shim.call(Method::PATCH, &path, &admin, Some(patch)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["name"], &r.body["apps"]["total_memory_in_mb"]),
        (&json!("smaller"), &Value::Null)
    );
    assert_eq!(
        r.body["apps"]["total_instances"], 3,
        "what the update leaves out is kept"
    );

    // In use: CC refuses to delete it.
    let r = shim.call(Method::DELETE, &path, &admin, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "This quota is applied to one or more organizations. Apply different quotas to those organizations before deleting."
        )
    );
    let back = format!("/v3/organization_quotas/{default}/relationships/organizations");
    assert_eq!(
        post(&shim, &admin, &back, json!({"data": [{"guid": org}]}))
            .await
            .status,
        200
    );
    let r = shim.call(Method::DELETE, &path, &admin, None).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let location = r.headers["location"].to_str().expect("location").to_owned();
    shim.wait_job(&location, &admin).await;
    assert_eq!(get(&shim, &admin, &path).await.status, 404);
    let r = shim.call(Method::DELETE, &path, &admin, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (404, "Organization quota not found")
    );
}

#[tokio::test]
async fn space_quotas_as_cc() {
    let shim = Shim::start(&["olga", "dave"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "sq-org").await;
    let other = shim.org(&admin, "sq-other").await;
    let dev = shim.space(&admin, &org, "dev").await;
    let elsewhere = shim.space(&admin, &other, "elsewhere").await;
    for (user, role, on) in [
        (
            "olga",
            "organization_manager",
            ("organization", org.as_str()),
        ),
        ("dave", "organization_user", ("organization", org.as_str())),
        ("dave", "space_developer", ("space", dev.as_str())),
    ] {
        let r = shim.role(&admin, role, user, on).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (olga, dave) = (shim.token("olga").await, shim.token("dave").await);

    // What the cf CLI sends for `cf create-space-quota tiny` targeting the org.
    let body = json!({"apps": {"total_memory_in_mb": 0}, "name": "tiny", "relationships": {"organization": {"data": {"guid": org}}},
        "routes": {"total_reserved_ports": 0, "total_routes": 0}, "services": {"paid_services_allowed": false, "total_service_instances": 0}});
    let r = post(&shim, &dave, "/v3/space_quotas", body.clone()).await;
    assert_eq!(r.status, 403, "a space developer may not: {}", r.body);
    let made = post(&shim, &olga, "/v3/space_quotas", body.clone()).await;
    assert_eq!(made.status, 201, "an org manager may: {}", made.body);
    let tiny = made.body["guid"].as_str().expect("guid").to_owned();
    assert_eq!(
        made.body["relationships"]["organization"]["data"]["guid"],
        org.as_str()
    );
    let again = post(&shim, &olga, "/v3/space_quotas", body).await;
    assert_eq!(
        (again.status, again.detail()),
        (422, "Space Quota 'tiny' already exists.")
    );
    let r = post(
        &shim,
        &admin,
        "/v3/space_quotas",
        json!({"name": "tiny", "relationships": {"organization": {"data": {"guid": other}}}}),
    )
    .await;
    assert_eq!(r.status, 201, "names are unique per org: {}", r.body);
    let r = post(&shim, &admin, "/v3/space_quotas", json!({"name": "q", "domains": {}, "relationships": {"organization": {"data": {"guid": org}}}})).await;
    assert_eq!((r.status, r.detail()), (422, "Unknown field(s): 'domains'"));

    // `cf set-space-quota dev tiny`; a space of another org is refused.
    let path = format!("/v3/space_quotas/{tiny}/relationships/spaces");
    let r = post(&shim, &olga, &path, json!({"data": [{"guid": elsewhere}]})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = post(&shim, &admin, &path, json!({"data": [{"guid": elsewhere}]})).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Space quotas cannot be applied outside of their owning organization."
        )
    );
    let r = post(&shim, &olga, &path, json!({"data": [{"guid": dev}]})).await;
    assert_eq!(
        (r.status, &r.body["data"]),
        (200, &json!([{ "guid": dev }])),
        "{}",
        r.body
    );
    let space = get(&shim, &dave, &format!("/v3/spaces/{dev}")).await;
    assert_eq!(
        space.body["relationships"]["quota"]["data"]["guid"],
        tiny.as_str()
    );
    assert_eq!(
        space.body["links"]["quota"]["href"],
        format!("{}/v3/space_quotas/{tiny}", shim.url)
    );
    // The space's developer now reads the quota; the list filters by space.
    let r = get(&shim, &dave, &format!("/v3/space_quotas?space_guids={dev}")).await;
    assert_eq!(r.body["resources"][0]["guid"], tiny.as_str(), "{}", r.body);
    let r = get(&shim, &dave, "/v3/space_quotas?bogus=1").await;
    assert_eq!(r.status, 422, "space quota lists refuse with 422, as CC's");

    // In use, it stays; `cf unset-space-quota` then `cf delete-space-quota`.
    let quota = format!("/v3/space_quotas/{tiny}");
    let r = shim.call(Method::DELETE, &quota, &olga, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "This quota is applied to one or more spaces. Remove this quota from all spaces before deleting."
        )
    );
    let remove = format!("{path}/{dev}");
    let r = shim.call(Method::DELETE, &remove, &dave, None).await;
    assert_eq!(r.status, 403);
    let r = shim.call(Method::DELETE, &remove, &olga, None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = shim.call(Method::DELETE, &remove, &olga, None).await;
    assert_eq!((r.status, r.detail()), (422, format!("Unable to remove quota from space with guid '{dev}'. Ensure the space quota is applied to this space.").as_str()));
    let space = get(&shim, &admin, &format!("/v3/spaces/{dev}")).await;
    assert_eq!(space.body["relationships"]["quota"]["data"], Value::Null);
    let r = shim.call(Method::DELETE, &quota, &olga, None).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let location = r.headers["location"].to_str().expect("location").to_owned();
    shim.wait_job(&location, &olga).await;
    assert_eq!(get(&shim, &olga, &quota).await.status, 404);
}
