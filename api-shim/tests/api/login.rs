//! `cf api` and `cf login`: root links, UAA prompts and grants, and token checks.

use crate::harness::{PASSWORD, Shim};
use base64::Engine;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn root_links_are_absolute_and_report_a_v3_version() {
    let shim = Shim::start(&[]).await;
    let root = shim.raw(Method::GET, "/", None, None, false).await;
    assert_eq!(root.status, 200);
    let links = &root.body["links"];
    assert_eq!(
        links["cloud_controller_v3"]["href"],
        format!("{}/v3", shim.url)
    );
    assert_eq!(links["cloud_controller_v3"]["meta"]["version"], "3.195.0");
    for link in ["login", "uaa", "log_cache"] {
        assert_eq!(links[link]["href"], shim.url.as_str(), "{link}");
    }
    let info = shim.raw(Method::GET, "/v3/info", None, None, false).await;
    assert_eq!(info.status, 200);
    assert_eq!(info.body["name"], "smelter");
    let prompts = shim.raw(Method::GET, "/login", None, None, false).await;
    assert_eq!(prompts.body["prompts"]["username"][1], "Email");
    assert_eq!(prompts.body["prompts"]["password"][0], "password");
    assert_eq!(
        prompts.body["prompts"].as_object().map(|p| p.len()),
        Some(2),
        "extra prompts would be asked for"
    );
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("three parts");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("json")
}

#[tokio::test]
async fn password_and_refresh_grants_issue_tokens_the_cli_reads() {
    let shim = Shim::start(&["alice"]).await;
    let reply = shim.password_grant("alice", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "bearer");
    let access = reply.body["access_token"].as_str().expect("access");
    let c = claims(access);
    assert_eq!(c["user_name"], "alice");
    assert_eq!(c["user_id"], shim.users["alice"].as_str());
    assert_eq!(c["origin"], "uaa");
    assert_eq!(c["client_id"], "cf");
    assert!(c["exp"].is_u64() && c["jti"].is_string());
    assert!(
        !c["scope"]
            .as_array()
            .expect("scope")
            .contains(&"cloud_controller.admin".into())
    );
    let admin = claims(&shim.token("admin").await);
    assert!(
        admin["scope"]
            .as_array()
            .expect("scope")
            .contains(&"cloud_controller.admin".into())
    );

    let refresh = reply.body["refresh_token"].as_str().expect("refresh");
    let refreshed = shim.refresh_grant(refresh).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert!(
        refreshed.body["refresh_token"].is_string() && refreshed.body["token_type"] == "bearer"
    );
    // An access token is not a refresh token.
    let wrong = shim.refresh_grant(access).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["error"], "invalid_token");

    let keys = shim
        .raw(Method::GET, "/token_keys", None, None, false)
        .await;
    assert_eq!(keys.body["keys"][0]["kty"], "EC");
    assert!(
        keys.body["keys"][0].get("d").is_none(),
        "private key published"
    );
}

#[tokio::test]
async fn bad_credentials_and_bad_tokens_get_uaa_and_cf_errors() {
    let shim = Shim::start(&["alice"]).await;
    for (user, password) in [("alice", "wrong"), ("nobody", PASSWORD), ("", "")] {
        let r = shim.password_grant(user, password).await;
        assert_eq!(r.status, 401, "{user}");
        assert_eq!(
            r.body,
            serde_json::json!({ "error": "unauthorized", "error_description": "Bad credentials" })
        );
    }
    let unsupported = shim.token_request("grant_type=implicit", true).await;
    assert_eq!(unsupported.status, 400);
    assert_eq!(unsupported.body["error"], "unsupported_grant_type");

    let none = shim
        .raw(Method::GET, "/v3/organizations", None, None, false)
        .await;
    assert_eq!((none.status, none.title()), (401, "CF-NotAuthenticated"));
    let token = shim.token("alice").await;
    let mut forged = token.clone();
    forged.truncate(token.len() - 4);
    forged.push_str("AAAA");
    for bad in [forged.as_str(), "not-a-jwt", "a.b.c"] {
        let r = shim.call(Method::GET, "/v3/organizations", bad, None).await;
        assert_eq!(
            (r.status, r.title(), r.detail()),
            (401, "CF-InvalidAuthToken", "Invalid Auth Token"),
            "{bad}"
        );
    }
    let unknown = shim
        .call(Method::GET, "/v3/nothing-here", &token, None)
        .await;
    assert_eq!((unknown.status, unknown.detail()), (404, "Unknown request"));
}
