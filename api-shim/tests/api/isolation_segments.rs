//! Isolation segments: the shared one every installation has, CC's create, entitle, default,
//! space placement, revoke and delete, with CC's refusals.

use crate::harness::Shim;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn isolation_segments_as_cc() {
    let shim = Shim::start(&["olga"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "iso-org").await;
    let dev = shim.space(&admin, &org, "dev").await;
    let r = shim
        .role(
            &admin,
            "organization_manager",
            "olga",
            ("organization", &org),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let olga = shim.token("olga").await;
    let call = |m: Method, path: String, token: &str, body: Option<Value>| {
        let (shim, token) = (&shim, token.to_owned());
        async move { shim.call(m, &path, &token, body).await }
    };

    let shared = call(
        Method::GET,
        "/v3/isolation_segments?names=shared".into(),
        &admin,
        None,
    )
    .await;
    assert_eq!(
        shared.body["resources"][0]["guid"], "933b4c58-120b-499a-b85d-4b6fc9e2903b",
        "{}",
        shared.body
    );
    let r = call(
        Method::POST,
        "/v3/isolation_segments".into(),
        &olga,
        Some(json!({"name": "gpu"})),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = call(
        Method::POST,
        "/v3/isolation_segments".into(),
        &admin,
        Some(json!({"name": "gpu"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let gpu = r.body["guid"].as_str().expect("guid").to_owned();
    let r = call(
        Method::POST,
        "/v3/isolation_segments".into(),
        &admin,
        Some(json!({"name": "GPU"})),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Isolation Segment names are case insensitive and must be unique"
        )
    );
    let r = call(
        Method::POST,
        "/v3/isolation_segments".into(),
        &admin,
        Some(json!({"name": " "})),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Isolation Segment names can only contain non-blank unicode characters"
        )
    );

    // Not entitled yet: neither the org nor its space may use it.
    let default = format!("/v3/organizations/{org}/relationships/default_isolation_segment");
    let to_gpu = json!({"data": {"guid": gpu}});
    let r = call(Method::PATCH, default.clone(), &olga, Some(to_gpu.clone())).await;
    assert_eq!((r.status, r.detail()), (422, format!("Unable to assign isolation segment with guid '{gpu}'. Ensure it has been entitled to the organization.").as_str()));
    let entitle = format!("/v3/isolation_segments/{gpu}/relationships/organizations");
    let r = call(
        Method::POST,
        entitle.clone(),
        &admin,
        Some(json!({"data": [{"guid": "bogus"}]})),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Unable to entitle organizations ['bogus'] for the isolation segment. Ensure the organizations exist."
        )
    );
    let r = call(
        Method::POST,
        entitle.clone(),
        &admin,
        Some(json!({"data": [{"guid": org}]})),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["data"]),
        (200, &json!([{"guid": org}])),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["links"]["related"]["href"],
        format!("{}/v3/isolation_segments/{gpu}/organizations", shim.url)
    );
    // olga sees it now, through her org.
    let r = call(
        Method::GET,
        format!("/v3/isolation_segments?organization_guids={org}"),
        &olga,
        None,
    )
    .await;
    assert_eq!(r.body["resources"][0]["guid"], gpu.as_str(), "{}", r.body);
    let r = call(
        Method::GET,
        format!("/v3/organizations?isolation_segment_guid={gpu}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.body["resources"][0]["guid"], org.as_str());

    // `cf set-org-default-isolation-segment`, `cf set-space-isolation-segment`.
    let r = call(
        Method::PATCH,
        default.clone(),
        &olga,
        Some(json!({"data": {"guid": 5}})),
    )
    .await;
    assert_eq!((r.status, r.detail()), (422, "Data 5 must be a string"));
    let r = call(Method::PATCH, default.clone(), &olga, Some(to_gpu.clone())).await;
    assert_eq!(
        (r.status, &r.body["data"]),
        (200, &json!({"guid": gpu})),
        "{}",
        r.body
    );
    // An org's managers rename it too (its Org lives where no CF role is bound), but only
    // admins suspend it.
    let at = format!("/v3/organizations/{org}");
    let r = call(
        Method::PATCH,
        at.clone(),
        &olga,
        Some(json!({"name": "iso-org-2"})),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["name"]),
        (200, &json!("iso-org-2")),
        "{}",
        r.body
    );
    let r = call(Method::PATCH, at, &olga, Some(json!({"suspended": true}))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let space_seg = format!("/v3/spaces/{dev}/relationships/isolation_segment");
    let r = call(Method::GET, space_seg.clone(), &olga, None).await;
    assert_eq!((r.status, &r.body["data"]), (200, &Value::Null));
    assert!(
        r.body["links"].get("related").is_none(),
        "no related link without data"
    );
    let r = call(
        Method::PATCH,
        space_seg.clone(),
        &olga,
        Some(to_gpu.clone()),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["data"]["guid"]),
        (200, &json!(gpu)),
        "{}",
        r.body
    );
    let r = call(
        Method::GET,
        format!("/v3/isolation_segments/{gpu}/relationships/spaces"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.body["data"], json!([{"guid": dev}]));

    // In use: no rename, no revoke, no delete.
    let at = format!("/v3/isolation_segments/{gpu}");
    let r = call(
        Method::PATCH,
        at.clone(),
        &admin,
        Some(json!({"name": "tpu"})),
    )
    .await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Cannot update Isolation Segments that are assigned as the default for an Organization or Space."
        )
    );
    let revoke = format!("{entitle}/{org}");
    let r = call(Method::DELETE, revoke.clone(), &admin, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Cannot remove the entitlement while this Isolation Segment is assigned as the Default Isolation Segment for the Organization."
        )
    );
    assert_eq!(
        call(
            Method::PATCH,
            default.clone(),
            &olga,
            Some(json!({"data": null}))
        )
        .await
        .status,
        200
    );
    let r = call(Method::DELETE, revoke.clone(), &admin, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Cannot remove the entitlement while this Isolation Segment is assigned to any Spaces. Currently assigned to: 'dev'"
        )
    );
    assert_eq!(
        call(
            Method::PATCH,
            space_seg.clone(),
            &olga,
            Some(json!({"data": null}))
        )
        .await
        .status,
        200
    );
    let r = call(Method::DELETE, at.clone(), &admin, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (
            422,
            "Revoke the Organization entitlements for your Isolation Segment."
        )
    );
    assert_eq!(call(Method::DELETE, revoke, &admin, None).await.status, 204);
    assert_eq!(
        call(Method::DELETE, at.clone(), &admin, None).await.status,
        204
    );
    assert_eq!(call(Method::GET, at, &admin, None).await.status, 404);
    let shared = "/v3/isolation_segments/933b4c58-120b-499a-b85d-4b6fc9e2903b".to_owned();
    let r = call(Method::DELETE, shared, &admin, None).await;
    assert_eq!(
        (r.status, r.detail()),
        (422, "Cannot delete the shared Isolation Segment")
    );
}
