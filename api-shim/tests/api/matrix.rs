//! The role × endpoint matrix: what admin, an org manager, a space developer, a space auditor
//! and a user with no role may see and do, each answer checked against CC's.

use crate::harness::Shim;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn each_role_sees_and_changes_what_cf_allows() {
    let shim = Shim::start(&["olga", "dev", "aud", "nobody", "target"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "matrix-org").await;
    let (a, b) = (
        shim.space(&admin, &org, "space-a").await,
        shim.space(&admin, &org, "space-b").await,
    );
    for user in ["olga", "dev", "aud", "target"] {
        assert_eq!(
            shim.role(&admin, "organization_user", user, ("organization", &org))
                .await
                .status,
            201
        );
    }
    assert_eq!(
        shim.role(
            &admin,
            "organization_manager",
            "olga",
            ("organization", &org)
        )
        .await
        .status,
        201
    );
    assert_eq!(
        shim.role(&admin, "space_developer", "dev", ("space", &a))
            .await
            .status,
        201
    );
    assert_eq!(
        shim.role(&admin, "space_auditor", "aud", ("space", &a))
            .await
            .status,
        201
    );
    let app = shim
        .call(Method::POST, "/v3/apps", &admin, Some(json!({ "name": "shared", "relationships": { "space": { "data": { "guid": a } } } })))
        .await
        .body["guid"]
        .as_str()
        .expect("app")
        .to_owned();

    let users = ["admin", "olga", "dev", "aud", "nobody"];
    let mut tokens = Vec::new();
    for u in users {
        tokens.push(shim.token(u).await);
    }
    let count = |r: &crate::harness::Reply| {
        r.body["pagination"]["total_results"]
            .as_u64()
            .unwrap_or(u64::MAX)
    };
    let mut failures = Vec::new();
    let mut expect = |what: &str, user: &str, got: u64, want: u64| {
        if got != want {
            failures.push(format!("{what} as {user}: got {got}, want {want}"));
        }
    };

    // Reads first, for everyone, so the writes below do not change what they count.
    for (i, user) in users.iter().enumerate() {
        let t = &tokens[i];
        let want_orgs = [1, 1, 1, 1, 0][i];
        expect(
            "GET /v3/organizations",
            user,
            count(&shim.call(Method::GET, "/v3/organizations", t, None).await),
            want_orgs,
        );
        let want_spaces = [2, 2, 1, 1, 0][i];
        expect(
            "GET /v3/spaces",
            user,
            count(&shim.call(Method::GET, "/v3/spaces", t, None).await),
            want_spaces,
        );
        let get_app = shim
            .call(Method::GET, &format!("/v3/apps/{app}"), t, None)
            .await
            .status as u64;
        expect(
            "GET /v3/apps/:guid",
            user,
            get_app,
            [200, 200, 200, 200, 404][i],
        );
        let env = shim
            .call(Method::GET, &format!("/v3/apps/{app}/env"), t, None)
            .await
            .status as u64;
        expect(
            "GET /v3/apps/:guid/env",
            user,
            env,
            [200, 403, 200, 403, 404][i],
        );
    }
    for (i, user) in users.iter().enumerate() {
        let t = &tokens[i];
        let create_app = shim
            .call(Method::POST, "/v3/apps", t, Some(json!({ "name": format!("app-{user}"), "relationships": { "space": { "data": { "guid": a } } } })))
            .await
            .status as u64;
        expect(
            "POST /v3/apps",
            user,
            create_app,
            [201, 403, 201, 403, 422][i],
        );
        let scale = shim
            .call(
                Method::POST,
                &format!("/v3/apps/{app}/processes/web/actions/scale"),
                t,
                Some(json!({ "instances": 2 })),
            )
            .await
            .status as u64;
        expect("POST scale", user, scale, [202, 403, 202, 403, 404][i]);
        let create_space = shim
            .call(Method::POST, "/v3/spaces", t, Some(json!({ "name": format!("space-{user}"), "relationships": { "organization": { "data": { "guid": org } } } })))
            .await
            .status as u64;
        expect(
            "POST /v3/spaces",
            user,
            create_space,
            [201, 201, 403, 403, 422][i],
        );
        let role_type = [
            "space_developer",
            "space_auditor",
            "space_manager",
            "space_supporter",
            "space_developer",
        ][i];
        let role = shim
            .role(t, role_type, "target", ("space", &b))
            .await
            .status as u64;
        expect(
            "POST /v3/roles (space role)",
            user,
            role,
            [201, 201, 422, 422, 422][i],
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
