//! Roles become RoleBindings; what a user sees and may change follows them, and Kubernetes
//! RBAC refuses what the roles do not allow.

use crate::harness::Shim;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn space_developers_see_and_change_only_their_spaces() {
    let shim = Shim::start(&["alice", "bob"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "iso").await;
    let (mine, theirs) = (
        shim.space(&admin, &org, "mine").await,
        shim.space(&admin, &org, "theirs").await,
    );

    let too_early = shim
        .role(&admin, "space_developer", "alice", ("space", &mine))
        .await;
    assert_eq!(too_early.status, 422);
    assert!(
        too_early
            .detail()
            .contains("do not have a role in that space's organization"),
        "{}",
        too_early.detail()
    );
    assert_eq!(
        shim.role(&admin, "organization_user", "alice", ("organization", &org))
            .await
            .status,
        201
    );
    let role = shim
        .role(&admin, "space_developer", "alice", ("space", &mine))
        .await;
    assert_eq!(role.status, 201, "{}", role.body);
    assert_eq!(role.body["type"], "space_developer");
    assert_eq!(
        role.body["relationships"]["space"]["data"]["guid"],
        mine.as_str()
    );
    let dup = shim
        .role(&admin, "space_developer", "alice", ("space", &mine))
        .await;
    assert_eq!(
        (dup.status, dup.detail()),
        (
            422,
            "User 'alice' already has 'space_developer' role in space 'mine'."
        )
    );

    // The role is a RoleBinding in the space's namespace to the space developer ClusterRole.
    let rb = Api::<RoleBinding>::namespaced(shim.client.clone(), &mine)
        .get(role.body["guid"].as_str().expect("guid"))
        .await
        .expect("role binding");
    assert_eq!(rb.role_ref.name, "smelter-space-developer");
    assert_eq!(rb.subjects.expect("subjects")[0].name, "cf:alice");

    let alice = shim.token("alice").await;
    let spaces = shim.call(Method::GET, "/v3/spaces", &alice, None).await;
    let guids: Vec<&str> = spaces.body["resources"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["guid"].as_str())
        .collect();
    assert_eq!(guids, [mine.as_str()]);
    assert_eq!(
        shim.call(Method::GET, &format!("/v3/spaces/{theirs}"), &alice, None)
            .await
            .detail(),
        "Space not found"
    );
    let orgs = shim
        .call(Method::GET, "/v3/organizations", &alice, None)
        .await;
    assert_eq!(orgs.body["pagination"]["total_results"], 1);
    let roles = shim
        .call(Method::GET, "/v3/roles?include=user", &alice, None)
        .await;
    assert_eq!(roles.body["pagination"]["total_results"], 2);
    assert_eq!(roles.body["included"]["users"][0]["username"], "alice");

    // Not a manager: may not create spaces, orgs or roles.
    let space = shim
        .call(Method::POST, "/v3/spaces", &alice, Some(json!({ "name": "nope", "relationships": { "organization": { "data": { "guid": org } } } })))
        .await;
    assert_eq!((space.status, space.title()), (403, "CF-NotAuthorized"));
    assert_eq!(
        shim.call(
            Method::POST,
            "/v3/organizations",
            &alice,
            Some(json!({ "name": "mine-too" }))
        )
        .await
        .status,
        403
    );
    assert_eq!(
        shim.role(&alice, "space_developer", "bob", ("space", &mine))
            .await
            .status,
        403,
        "alice manages nothing"
    );

    // A user with no role sees nothing.
    let bob = shim.token("bob").await;
    for path in ["/v3/organizations", "/v3/spaces", "/v3/roles"] {
        let r = shim.call(Method::GET, path, &bob, None).await;
        assert_eq!(r.body["pagination"]["total_results"], 0, "{path}");
    }
    assert_eq!(
        shim.call(Method::DELETE, &format!("/v3/spaces/{mine}"), &bob, None)
            .await
            .status,
        404
    );

    // Removing the role removes the access.
    let removed = shim
        .call(
            Method::DELETE,
            &format!("/v3/roles/{}", role.body["guid"].as_str().expect("guid")),
            &admin,
            None,
        )
        .await;
    assert_eq!(removed.status, 202);
    shim.wait_job(
        removed.headers["location"].to_str().expect("location"),
        &admin,
    )
    .await;
    assert_eq!(
        shim.call(Method::GET, "/v3/spaces", &alice, None)
            .await
            .body["pagination"]["total_results"],
        0
    );
}

#[tokio::test]
async fn kubernetes_rbac_is_the_final_gate_for_writes() {
    // Even when the api-shim lets a request through, the write is made as the CF user: a user
    // whose only role is organization_user cannot create an Org through the API server.
    let shim = Shim::start(&["carol"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "gate").await;
    assert_eq!(
        shim.role(&admin, "organization_user", "carol", ("organization", &org))
            .await
            .status,
        201
    );
    let as_carol = {
        let mut config = smelter_test_support::kube_config().await;
        config.auth_info.impersonate = Some("cf:carol".into());
        config.auth_info.impersonate_groups =
            Some(vec!["cf:users".into(), "system:authenticated".into()]);
        kube::Client::try_from(config).expect("client")
    };
    let orgs: Api<smelter_crds::Org> = Api::namespaced(as_carol.clone(), &shim.root);
    let org_obj = smelter_crds::Org::new(
        &smelter_test_support::guid(),
        smelter_crds::OrgSpec {
            name: "sneaky".into(),
            suspended: false,
            ..Default::default()
        },
    );
    let refused = orgs.create(&Default::default(), &org_obj).await;
    assert!(
        matches!(refused, Err(kube::Error::Api(ref s)) if s.code == 403),
        "{refused:?}"
    );
    let spaces: Api<smelter_crds::Space> = Api::namespaced(as_carol, &org);
    let space = smelter_crds::Space::new(
        &smelter_test_support::guid(),
        smelter_crds::SpaceSpec {
            name: "s".into(),
            allow_ssh: false,
            ..Default::default()
        },
    );
    assert!(
        matches!(spaces.create(&Default::default(), &space).await, Err(kube::Error::Api(ref s)) if s.code == 403)
    );
}
