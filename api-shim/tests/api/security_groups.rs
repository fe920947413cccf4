//! Security groups: the default ones, CC's create, update, bind and unbind with CC's refusals,
//! and what applies to a space.

use crate::harness::Shim;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn security_groups_as_cc() {
    let shim = Shim::start(&["sam", "dave"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "sg-org").await;
    let dev = shim.space(&admin, &org, "dev").await;
    for (user, role) in [("sam", "space_manager"), ("dave", "space_developer")] {
        let r = shim
            .role(&admin, "organization_user", user, ("organization", &org))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = shim.role(&admin, role, user, ("space", &dev)).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (sam, dave) = (shim.token("sam").await, shim.token("dave").await);
    let call = |m: Method, path: String, token: &str, body: Option<Value>| {
        let (shim, token) = (&shim, token.to_owned());
        async move { shim.call(m, &path, &token, body).await }
    };

    // cf-deployment's defaults apply to every space, for running and staging.
    let r = call(
        Method::GET,
        format!("/v3/spaces/{dev}/running_security_groups"),
        &dave,
        None,
    )
    .await;
    let mut names: Vec<&str> = r.body["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{} {}", r.status, r.body))
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["dns", "public_networks"], "{}", r.body);

    // What the cf CLI sends for `cf create-security-group web rules.json`.
    let rules = json!([{"protocol": "tcp", "destination": "10.0.0.0-10.0.0.255", "ports": "443,80", "description": "web"},
                       {"protocol": "icmp", "destination": "10.0.0.0/24", "type": 8, "code": 0}]);
    let r = call(
        Method::POST,
        "/v3/security_groups".into(),
        &sam,
        Some(json!({"name": "web", "rules": rules})),
    )
    .await;
    assert_eq!(r.status, 403, "admins only");
    let r = call(
        Method::POST,
        "/v3/security_groups".into(),
        &admin,
        Some(json!({"name": "web", "rules": rules})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let web = r.body["guid"].as_str().expect("guid").to_owned();
    assert_eq!(r.body["rules"], rules, "kept as sent");
    assert_eq!(
        r.body["globally_enabled"],
        json!({"running": false, "staging": false})
    );
    let r = call(
        Method::POST,
        "/v3/security_groups".into(),
        &admin,
        Some(json!({"name": "web"})),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (422, "Security group with name 'web' already exists.")
    );
    let bad = json!({"name": "bad", "rules": [{"protocol": "tcp", "destination": "10.0.0.9-10.0.0.1", "ports": "80-70"}]});
    let r = call(
        Method::POST,
        "/v3/security_groups".into(),
        &admin,
        Some(bad),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Rules[0]: ports must be a valid single port, comma separated list of ports, or range or ports, formatted as a string, Rules[0]: beginning of IP address range is numerically greater than the end of its range (range endpoints are inverted)"
        )
    );

    // Bound by a space manager (`cf bind-security-group web org --space dev`), not a developer.
    let bind = format!("/v3/security_groups/{web}/relationships/running_spaces");
    let r = call(
        Method::POST,
        bind.clone(),
        &admin,
        Some(json!({"data": [{"guid": "nope"}]})),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Spaces with guids [\"nope\"] do not exist, or you do not have access to them."
        )
    );
    let r = call(
        Method::GET,
        format!("/v3/security_groups/{web}"),
        &dave,
        None,
    )
    .await;
    assert_eq!(r.status, 404, "not bound to a space dave sees, not global");
    // A space manager binds only what they see: CC's 404 until the group reaches their space.
    let r = call(
        Method::POST,
        bind.clone(),
        &sam,
        Some(json!({"data": [{"guid": dev}]})),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = call(
        Method::POST,
        bind.clone(),
        &admin,
        Some(json!({"data": [{"guid": dev}]})),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["data"]),
        (200, &json!([{"guid": dev}])),
        "{}",
        r.body
    );
    let r = call(
        Method::GET,
        format!("/v3/spaces/{dev}/running_security_groups?names=web"),
        &dave,
        None,
    )
    .await;
    assert_eq!(r.body["resources"][0]["rules"][0]["ports"], "443,80");
    let staging = format!("/v3/spaces/{dev}/staging_security_groups?names=web");
    let r = call(Method::GET, staging.clone(), &dave, None).await;
    assert_eq!(r.body["resources"], json!([]), "bound for running only");
    let bind_staging = format!("/v3/security_groups/{web}/relationships/staging_spaces");
    let to_dev = json!({"data": [{"guid": dev}]});
    let r = call(
        Method::POST,
        bind_staging.clone(),
        &dave,
        Some(to_dev.clone()),
    )
    .await;
    assert_eq!(r.status, 403, "a developer does not bind");
    let r = call(Method::POST, bind_staging, &sam, Some(to_dev)).await;
    assert_eq!(
        (r.status, &r.body["data"]),
        (200, &json!([{"guid": dev}])),
        "{}",
        r.body
    );
    let r = call(Method::GET, staging, &dave, None).await;
    assert_eq!(r.body["resources"][0]["guid"], web.as_str(), "{}", r.body);
    let r = call(
        Method::GET,
        format!("/v3/security_groups?running_space_guids={dev}"),
        &dave,
        None,
    )
    .await;
    assert_eq!(r.body["resources"][0]["guid"], web.as_str());
    let r = call(
        Method::GET,
        "/v3/security_groups?globally_enabled_running=maybe".into(),
        &dave,
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (422, "Globally enabled running must be 'true' or 'false'")
    );

    // `cf update-security-group`, `cf bind-running-security-group`: admins only.
    let at = format!("/v3/security_groups/{web}");
    let r = call(
        Method::PATCH,
        at.clone(),
        &sam,
        Some(json!({"globally_enabled": {"staging": true}})),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = call(
        Method::PATCH,
        at.clone(),
        &admin,
        Some(json!({"globally_enabled": {"staging": true}, "rules": []})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (&r.body["globally_enabled"], &r.body["rules"]),
        (&json!({"running": false, "staging": true}), &json!([]))
    );

    // Unbinding: what is not bound is CC's 422, which the cf CLI reports as not bound.
    let unbind = format!("{bind}/{dev}");
    let r = call(Method::DELETE, unbind.clone(), &dave, None).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        call(Method::DELETE, unbind.clone(), &sam, None)
            .await
            .status,
        204
    );
    let r = call(Method::DELETE, unbind, &sam, None).await;
    assert_eq!((r.status, r.detail()), (422, format!("Unable to unbind security group from space with guid '{dev}'. Ensure the space is bound to this security group.").as_str()));
    let r = call(Method::DELETE, at.clone(), &admin, None).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let location = r.headers["location"].to_str().expect("location").to_owned();
    shim.wait_job(&location, &admin).await;
    assert_eq!(call(Method::GET, at, &admin, None).await.status, 404);
}
