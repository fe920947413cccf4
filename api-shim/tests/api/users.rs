//! Users and clients, as `cf create-user`, `delete-user`, `passwd` and `cf auth
//! --client-credentials` use them: UAA's `/Users` and token grants, CC's `/v3/users`, the
//! password policy, the lockout, and refresh tokens ended by a new password.

use crate::harness::{PASSWORD, Reply, Shim, urlencode};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use reqwest::Method;
use serde_json::{Value, json};

const BOB: &str = "bob@example.com";
const BOB_PASSWORD: &str = "bob-first-pw";

fn uaa_error(r: &Reply) -> (&str, &str) {
    (
        r.body["error"].as_str().unwrap_or_default(),
        r.body["error_description"].as_str().unwrap_or_default(),
    )
}

/// `POST /Users` as the CLI sends it.
async fn create_uaa_user(shim: &Shim, token: &str, name: &str, password: &str) -> Reply {
    let body = json!({
        "userName": name, "password": password, "origin": "uaa",
        "name": { "familyName": name, "givenName": name },
        "emails": [{ "value": name, "primary": true }],
    });
    shim.call(Method::POST, "/Users", token, Some(body)).await
}

/// `GET /Users` with the filter the CLI sends.
async fn find_uaa_user(shim: &Shim, token: &str, name: &str) -> Reply {
    let filter = urlencode(&format!(r#"userName eq "{name}" and origin eq "uaa""#));
    shim.call(Method::GET, &format!("/Users?filter={filter}"), token, None)
        .await
}

/// `cf create-user NAME PASSWORD`: UAA's user, then CC's; returns the GUID.
async fn create_user(shim: &Shim, admin: &str, name: &str, password: &str) -> String {
    let made = create_uaa_user(shim, admin, name, password).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let guid = made.body["id"].as_str().expect("id").to_owned();
    let cc = shim
        .call(
            Method::POST,
            "/v3/users",
            admin,
            Some(json!({ "guid": guid })),
        )
        .await;
    assert_eq!(cc.status, 201, "{}", cc.body);
    guid
}

#[tokio::test]
async fn create_user_makes_a_uaa_user_that_cc_registers() {
    let shim = Shim::start(&["alice"]).await;
    let admin = shim.token("admin").await;
    let alice = shim.token("alice").await;

    // Not logged in, and not an admin: UAA's refusals.
    let anonymous = shim.raw(Method::GET, "/Users", None, None, false).await;
    assert_eq!(anonymous.status, 401);
    let refused = create_uaa_user(&shim, &alice, BOB, BOB_PASSWORD).await;
    assert_eq!(refused.status, 403);
    assert_eq!(uaa_error(&refused).0, "insufficient_scope");
    assert_eq!(find_uaa_user(&shim, &alice, BOB).await.status, 403);

    // The password policy (8 characters by default), in UAA's words.
    let short = create_uaa_user(&shim, &admin, BOB, "short").await;
    assert_eq!(short.status, 422);
    assert_eq!(
        uaa_error(&short),
        (
            "invalid_password",
            "Password must be at least 8 characters in length."
        )
    );
    let nameless = create_uaa_user(&shim, &admin, "", BOB_PASSWORD).await;
    assert_eq!(nameless.status, 400);
    assert_eq!(uaa_error(&nameless).0, "invalid_scim_resource");
    assert_eq!(
        find_uaa_user(&shim, &admin, BOB).await.body["resources"],
        json!([]),
        "a refused create made a user"
    );

    let made = create_uaa_user(&shim, &admin, BOB, BOB_PASSWORD).await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["userName"], BOB);
    assert_eq!(made.body["origin"], "uaa");
    let guid = made.body["id"].as_str().expect("id").to_owned();
    let again = create_uaa_user(&shim, &admin, &BOB.to_uppercase(), BOB_PASSWORD).await;
    assert_eq!(again.status, 409);
    assert_eq!(
        uaa_error(&again),
        (
            "scim_resource_already_exists",
            "Username already in use: BOB@EXAMPLE.COM"
        )
    );
    let found = find_uaa_user(&shim, &admin, BOB).await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.body["resources"][0]["id"], guid.as_str());
    let bad_filter = shim
        .call(
            Method::GET,
            "/Users?filter=userName%20co%20%22b%22",
            &admin,
            None,
        )
        .await;
    assert_eq!(bad_filter.status, 400);
    assert_eq!(uaa_error(&bad_filter).0, "invalid_filter");

    // UAA's user logs in at once; CC lists it once registered, as CF's two databases do.
    assert_eq!(shim.password_grant(BOB, BOB_PASSWORD).await.status, 200);
    let listed = format!("/v3/users?usernames={}", urlencode(BOB));
    let before = shim.call(Method::GET, &listed, &admin, None).await;
    assert_eq!(before.body["resources"], json!([]));
    let register = |token: &str, body: Value| {
        let token = token.to_owned();
        let shim = &shim;
        async move {
            shim.call(Method::POST, "/v3/users", &token, Some(body))
                .await
        }
    };
    let not_admin = register(&alice, json!({ "guid": guid })).await;
    assert_eq!(not_admin.status, 403, "{}", not_admin.body);
    let cc = register(&admin, json!({ "guid": guid })).await;
    assert_eq!(cc.status, 201, "{}", cc.body);
    assert_eq!(cc.body["username"], BOB);
    assert_eq!(cc.body["presentation_name"], BOB);
    assert_eq!(cc.body["origin"], "uaa");
    let twice = register(&admin, json!({ "guid": guid })).await;
    assert_eq!(twice.status, 422);
    assert_eq!(
        twice.detail(),
        format!("User with guid '{guid}' already exists.")
    );
    let empty = register(&admin, json!({})).await;
    assert_eq!(empty.status, 422);
    assert_eq!(
        empty.detail(),
        "Guid or 'username' and 'origin' must be provided"
    );
    let after = shim.call(Method::GET, &listed, &admin, None).await;
    assert_eq!(after.body["resources"][0]["guid"], guid.as_str());

    // A user of another origin is made by name, with no password here; a GUID UAA does not
    // know (a client's id) is CC's alone, with no name or origin.
    let ldap = register(&admin, json!({ "username": "carol", "origin": "ldap" })).await;
    assert_eq!(ldap.status, 201, "{}", ldap.body);
    assert_eq!(ldap.body["origin"], "ldap");
    assert_eq!(shim.password_grant("carol", "anything").await.status, 401);
    let client = register(&admin, json!({ "guid": "some-client" })).await;
    assert_eq!(client.status, 201, "{}", client.body);
    assert_eq!(client.body["username"], Value::Null);
    assert_eq!(client.body["origin"], Value::Null);
    assert_eq!(client.body["presentation_name"], "some-client");
}

#[tokio::test]
async fn passwd_changes_a_password_and_ends_the_old_refresh_tokens() {
    let shim = Shim::start(&["alice"]).await;
    let admin = shim.token("admin").await;
    let alice = shim.token("alice").await;
    let guid = create_user(&shim, &admin, BOB, BOB_PASSWORD).await;
    let login = shim.password_grant(BOB, BOB_PASSWORD).await;
    let bob = login.body["access_token"].as_str().expect("access");
    let refresh = login.body["refresh_token"].as_str().expect("refresh");
    let path = format!("/Users/{guid}/password");
    let change = |token: &str, old: &str, new: &str| {
        let (token, path, shim) = (token.to_owned(), path.clone(), &shim);
        let body = json!({ "oldPassword": old, "password": new });
        async move { shim.call(Method::PUT, &path, &token, Some(body)).await }
    };

    let wrong = change(bob, "not-the-password", "bob-second-pw").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        uaa_error(&wrong),
        ("unauthorized", "Old password is incorrect")
    );
    let same = change(bob, BOB_PASSWORD, BOB_PASSWORD).await;
    assert_eq!(same.status, 422);
    assert_eq!(
        uaa_error(&same).1,
        "Your new password cannot be the same as the old password."
    );
    let weak = change(bob, BOB_PASSWORD, "weak").await;
    assert_eq!(weak.status, 422);
    assert_eq!(uaa_error(&weak).0, "invalid_password");
    let others = change(&alice, PASSWORD, "bob-second-pw").await;
    assert_eq!(others.status, 403);
    let missing = shim
        .call(
            Method::PUT,
            "/Users/no-such-user/password",
            &admin,
            Some(json!({ "password": "whatever-long" })),
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        shim.password_grant(BOB, BOB_PASSWORD).await.status,
        200,
        "a refused change changed the password"
    );

    let changed = change(bob, BOB_PASSWORD, "bob-second-pw").await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["status"], "ok");
    assert_eq!(shim.password_grant(BOB, BOB_PASSWORD).await.status, 401);
    assert_eq!(shim.password_grant(BOB, "bob-second-pw").await.status, 200);
    let refreshed = shim.refresh_grant(refresh).await;
    assert_eq!(refreshed.status, 401, "{}", refreshed.body);
    assert_eq!(uaa_error(&refreshed).0, "invalid_token");

    // An admin sets another user's password without the old one.
    let reset = shim
        .call(
            Method::PUT,
            &path,
            &admin,
            Some(json!({ "password": "bob-third-pw" })),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(shim.password_grant(BOB, "bob-third-pw").await.status, 200);
}

#[tokio::test]
async fn delete_user_removes_the_roles_then_the_uaa_user() {
    let shim = Shim::start(&["alice"]).await;
    let admin = shim.token("admin").await;
    let alice = shim.token("alice").await;
    let guid = create_user(&shim, &admin, BOB, BOB_PASSWORD).await;
    let org = shim.org(&admin, "users-org").await;
    let role = shim
        .role_of_guid(
            &admin,
            "organization_manager",
            &guid,
            ("organization", &org),
        )
        .await;
    assert_eq!(role.status, 201, "{}", role.body);

    let path = format!("/v3/users/{guid}");
    let refused = shim.call(Method::DELETE, &path, &alice, None).await;
    assert_eq!(refused.status, 403);
    let deleted = shim.call(Method::DELETE, &path, &admin, None).await;
    assert_eq!(deleted.status, 202, "{}", deleted.body);
    let job = deleted.headers["location"].to_str().expect("location");
    assert!(job.contains("user.delete~"), "{job}");
    shim.wait_job(job, &admin).await;
    let roles = shim
        .call(
            Method::GET,
            &format!("/v3/roles?user_guids={guid}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(roles.body["resources"], json!([]));
    assert_eq!(
        shim.call(Method::GET, &path, &admin, None).await.status,
        404
    );
    assert_eq!(
        shim.call(Method::DELETE, &path, &admin, None).await.status,
        404
    );

    // Then UAA's user, as the CLI does next.
    let uaa = format!("/Users/{guid}");
    assert_eq!(
        shim.call(Method::DELETE, &uaa, &alice, None).await.status,
        403
    );
    let gone = shim.call(Method::DELETE, &uaa, &admin, None).await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(gone.body["userName"], BOB);
    assert_eq!(shim.password_grant(BOB, BOB_PASSWORD).await.status, 401);
    let again = shim.call(Method::DELETE, &uaa, &admin, None).await;
    assert_eq!(again.status, 404);
    assert_eq!(uaa_error(&again).0, "scim_resource_not_found");
    assert_eq!(
        find_uaa_user(&shim, &admin, BOB).await.body["totalResults"],
        0
    );
}

#[tokio::test]
async fn five_failed_logins_lock_a_user_out() {
    let shim = Shim::start(&["alice"]).await;
    for _ in 0..5 {
        let failed = shim.password_grant("alice", "wrong-password").await;
        assert_eq!(uaa_error(&failed).1, "Bad credentials");
    }
    let locked = shim.password_grant("alice", PASSWORD).await;
    assert_eq!(locked.status, 401);
    assert_eq!(
        uaa_error(&locked),
        (
            "unauthorized",
            "Your account has been locked because of too many failed attempts to login."
        )
    );
    // Another user is not locked, and names no one has are never locked.
    assert_eq!(shim.password_grant("admin", PASSWORD).await.status, 200);
    for _ in 0..6 {
        let unknown = shim.password_grant("nobody", "x").await;
        assert_eq!(uaa_error(&unknown).1, "Bad credentials");
    }
}

/// Adds a client entry to the users Secret, as the chart's `clients` value does.
async fn add_client(shim: &Shim, id: &str, secret: &str, authorities: &[String]) {
    let entry =
        smelter_api_shim::auth::users::client_entry_json(secret, authorities, 4).expect("entry");
    let patch = json!({ "stringData": { id: entry } });
    Api::<Secret>::namespaced(shim.client.clone(), &shim.root)
        .patch(
            "smelter-users",
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .expect("patch users secret");
}

async fn client_grant(shim: &Shim, id: &str, secret: &str) -> Reply {
    let form = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    shim.token_request(&form, false).await
}

#[tokio::test]
async fn clients_get_tokens_with_their_authorities() {
    let shim = Shim::start(&[]).await;
    add_client(&shim, "ci", "ci-secret", &["cloud_controller.admin".into()]).await;
    add_client(&shim, "reader", "reader-secret", &[]).await;
    let mut granted = client_grant(&shim, "ci", "ci-secret").await;
    for _ in 0..100 {
        if granted.status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        granted = client_grant(&shim, "ci", "ci-secret").await;
    }
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert!(
        granted.body.get("refresh_token").is_none(),
        "UAA gives no refresh token for this grant"
    );
    assert_eq!(granted.body["scope"], "cloud_controller.admin");
    let ci = granted.body["access_token"].as_str().expect("token");

    let wrong = client_grant(&shim, "ci", "not-the-secret").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(uaa_error(&wrong).1, "Bad credentials");
    assert_eq!(client_grant(&shim, "nope", "x").await.status, 401);
    // A client is not a user: no password grant for it.
    assert_eq!(shim.password_grant("ci", "ci-secret").await.status, 401);

    // An admin client does what an admin does; a client without authorities cannot.
    let org = shim
        .call(
            Method::POST,
            "/v3/organizations",
            ci,
            Some(json!({ "name": "made-by-ci" })),
        )
        .await;
    assert_eq!(org.status, 201, "{}", org.body);
    let reader = client_grant(&shim, "reader", "reader-secret").await;
    let reader = reader.body["access_token"].as_str().expect("token");
    let refused = shim
        .call(
            Method::POST,
            "/v3/organizations",
            reader,
            Some(json!({ "name": "made-by-reader" })),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let listed = shim
        .call(Method::GET, "/v3/organizations", reader, None)
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["resources"], json!([]));
    // `cf set-org-role CLIENT ORG ROLE --client` asks UAA for the client first (admins only).
    let admin = shim.token("admin").await;
    let found = shim
        .call(Method::GET, "/oauth/clients/reader", &admin, None)
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["client_id"], "reader");
    let missing = shim
        .call(Method::GET, "/oauth/clients/nope", &admin, None)
        .await;
    assert_eq!(missing.status, 404);
    let by_client = shim
        .call(Method::GET, "/oauth/clients/reader", reader, None)
        .await;
    assert_eq!(by_client.status, 403);
    // Given a role by its id, the client sees that org.
    let made = org.body["guid"].as_str().expect("guid");
    let role = shim
        .role_of_guid(
            &admin,
            "organization_auditor",
            "reader",
            ("organization", made),
        )
        .await;
    assert_eq!(role.status, 201, "{}", role.body);
    let seen = shim
        .call(Method::GET, "/v3/organizations", reader, None)
        .await;
    assert_eq!(seen.body["resources"][0]["name"], "made-by-ci");
    let included = shim
        .call(
            Method::GET,
            &format!("/v3/roles?organization_guids={made}&include=user"),
            &admin,
            None,
        )
        .await;
    let user = &included.body["included"]["users"][0];
    assert_eq!(
        (&user["presentation_name"], &user["origin"]),
        (&json!("reader"), &Value::Null),
        "the CLI shows a user without an origin as a client"
    );
    let all = shim.call(Method::GET, "/v3/organizations", ci, None).await;
    assert!(
        all.body["resources"]
            .as_array()
            .expect("list")
            .iter()
            .any(|o| o["name"] == "made-by-ci")
    );
}
