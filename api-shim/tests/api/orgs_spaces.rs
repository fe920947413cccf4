//! Organizations and spaces: create, list with CF filters and pagination, update, delete as
//! jobs, with the operator making (and removing) their namespaces.

use crate::harness::Shim;
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use reqwest::Method;
use serde_json::json;
use smelter_test_support as support;
use std::time::Duration;

#[tokio::test]
async fn orgs_and_spaces_live_their_cf_lives() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "acme").await;
    let namespaces: Api<Namespace> = Api::all(shim.client.clone());
    assert!(
        namespaces.get_opt(&org).await.expect("get ns").is_some(),
        "org namespace missing after create"
    );

    let dup = shim
        .call(
            Method::POST,
            "/v3/organizations",
            &admin,
            Some(json!({ "name": "acme" })),
        )
        .await;
    assert_eq!(
        (dup.status, dup.detail()),
        (422, "Organization 'acme' already exists.")
    );

    let dev = shim.space(&admin, &org, "dev").await;
    let space = shim
        .call(Method::GET, &format!("/v3/spaces/{dev}"), &admin, None)
        .await;
    assert_eq!(space.body["name"], "dev");
    assert_eq!(
        space.body["relationships"]["organization"]["data"]["guid"],
        org.as_str()
    );
    assert_eq!(
        space.body["links"]["self"]["href"],
        format!("{}/v3/spaces/{dev}", shim.url)
    );
    let dup = shim
        .call(Method::POST, "/v3/spaces", &admin, Some(json!({ "name": "dev", "relationships": { "organization": { "data": { "guid": org } } } })))
        .await;
    assert_eq!(
        (dup.status, dup.detail()),
        (422, "Name must be unique per organization")
    );
    let orphan = shim
        .call(Method::POST, "/v3/spaces", &admin, Some(json!({ "name": "x", "relationships": { "organization": { "data": { "guid": support::guid() } } } })))
        .await;
    assert_eq!(orphan.status, 422);
    assert!(
        orphan.detail().starts_with("Invalid organization"),
        "{}",
        orphan.detail()
    );

    // The filters cf target and cf login use.
    let by_name = shim
        .call(
            Method::GET,
            &format!("/v3/spaces?names=dev&organization_guids={org}&page=1&per_page=1"),
            &admin,
            None,
        )
        .await;
    assert_eq!(by_name.body["pagination"]["total_results"], 1);
    assert_eq!(by_name.body["resources"][0]["guid"], dev.as_str());
    let none = shim
        .call(Method::GET, "/v3/organizations?names=missing", &admin, None)
        .await;
    assert_eq!(none.body["resources"], json!([]));

    let renamed = shim
        .call(
            Method::PATCH,
            &format!("/v3/organizations/{org}"),
            &admin,
            Some(json!({ "name": "acme-corp", "metadata": { "labels": { "tier": "gold" } } })),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "acme-corp");
    assert_eq!(renamed.body["metadata"]["labels"]["tier"], "gold");
    support::wait_for("renamed org in cache", Duration::from_secs(5), || async {
        shim.call(
            Method::GET,
            "/v3/organizations?label_selector=tier%3Dgold",
            &admin,
            None,
        )
        .await
        .body["pagination"]["total_results"]
            == 1
    })
    .await;

    let deleted = shim
        .call(Method::DELETE, &format!("/v3/spaces/{dev}"), &admin, None)
        .await;
    assert_eq!(deleted.status, 202);
    let location = deleted.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with(&format!("{}/v3/jobs/", shim.url)),
        "{location}"
    );
    shim.wait_job(&location, &admin).await;
    assert!(
        namespaces
            .get_opt(&dev)
            .await
            .expect("get")
            .is_none_or(|ns| ns.metadata.deletion_timestamp.is_some())
    );
    assert_eq!(
        shim.call(Method::GET, &format!("/v3/spaces/{dev}"), &admin, None)
            .await
            .detail(),
        "Space not found"
    );

    let deleted = shim
        .call(
            Method::DELETE,
            &format!("/v3/organizations/{org}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(deleted.status, 202);
    shim.wait_job(
        deleted.headers["location"].to_str().expect("location"),
        &admin,
    )
    .await;
    assert_eq!(
        shim.call(
            Method::GET,
            &format!("/v3/organizations/{org}"),
            &admin,
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn pagination_links_are_absolute_and_followable() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    for name in ["p-one", "p-two", "p-three"] {
        shim.org(&admin, name).await;
    }
    let mut names = Vec::new();
    let mut next = "/v3/organizations?order_by=name&per_page=2".to_owned();
    let mut pages = 0;
    loop {
        let page = shim.call(Method::GET, &next, &admin, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["pagination"]["total_results"], 3);
        assert_eq!(page.body["pagination"]["total_pages"], 2);
        names.extend(
            page.body["resources"]
                .as_array()
                .expect("resources")
                .iter()
                .map(|o| o["name"].as_str().unwrap_or_default().to_owned()),
        );
        pages += 1;
        match page.body["pagination"]["next"]["href"].as_str() {
            Some(href) => {
                assert!(
                    href.starts_with(&shim.url) && href.contains("order_by=name"),
                    "{href}"
                );
                next = href.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(names, ["p-one", "p-three", "p-two"]);
    let desc = shim
        .call(
            Method::GET,
            "/v3/organizations?order_by=-name",
            &admin,
            None,
        )
        .await;
    assert_eq!(desc.body["resources"][0]["name"], "p-two");
}

#[tokio::test]
async fn bad_input_gets_cf_errors_and_writes_nothing() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    /// method, path, body, status, a fragment of the detail.
    type Case<'a> = (Method, &'a str, Option<&'a [u8]>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/v3/organizations",
            Some(b"{\"name\":"),
            400,
            "Request invalid due to parse error",
        ),
        (
            Method::POST,
            "/v3/organizations",
            Some(b"[]"),
            422,
            "Unknown field(s): '_json'",
        ),
        (
            Method::POST,
            "/v3/organizations",
            Some(b"{\"name\":\"x\",\"colour\":\"red\"}"),
            422,
            "Unknown field(s): 'colour'",
        ),
        (
            Method::POST,
            "/v3/organizations",
            Some(b"{\"name\":42}"),
            422,
            "Name must be a string",
        ),
        (
            Method::POST,
            "/v3/organizations",
            Some(b"{\"name\":\"\"}"),
            422,
            "Name can't be blank",
        ),
        (
            Method::POST,
            "/v3/spaces",
            Some(b"{\"name\":\"s\"}"),
            422,
            "missing field `relationships`",
        ),
        (
            Method::GET,
            "/v3/organizations?per_page=0",
            None,
            400,
            "Per page must be a positive integer",
        ),
        (
            Method::GET,
            "/v3/organizations?per_page=abc",
            None,
            400,
            "Per page must be a positive integer",
        ),
        (
            Method::GET,
            "/v3/organizations?page=-1",
            None,
            400,
            "Page must be a positive integer",
        ),
        (
            Method::GET,
            "/v3/organizations?order_by=size",
            None,
            400,
            "Order by can only be",
        ),
        (
            Method::GET,
            "/v3/organizations?bogus=1",
            None,
            400,
            "Unknown query parameter(s): 'bogus'",
        ),
        (
            Method::GET,
            "/v3/spaces?label_selector=a%20in%20b",
            None,
            400,
            "Invalid label_selector value",
        ),
    ];
    for (method, path, body, status, detail) in cases {
        let reply = shim
            .raw(
                method.clone(),
                path,
                Some(&admin),
                body.map(|b| ("application/json", b.to_vec())),
                false,
            )
            .await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        assert!(
            reply.detail().contains(detail),
            "{method} {path}: {}",
            reply.detail()
        );
    }
    let huge = format!("{{\"name\":\"{}\"}}", "n".repeat(256));
    let r = shim
        .raw(
            Method::POST,
            "/v3/organizations",
            Some(&admin),
            Some(("application/json", huge.into_bytes())),
            false,
        )
        .await;
    assert_eq!(
        (r.status, r.detail()),
        (422, "Name is too long (maximum is 255 characters)")
    );
    let orgs = shim
        .call(Method::GET, "/v3/organizations", &admin, None)
        .await;
    assert_eq!(
        orgs.body["pagination"]["total_results"], 0,
        "a refused request wrote an org"
    );
}
