//! An org manager manages the roles of every space in the org (tier 1): the api-shim writes as
//! the caller, adding the group `cf:org-managers:<org guid>` for each org the caller manages,
//! and the operator's `smelter-org-managers` binding in each space namespace is what makes
//! RBAC let that group through. Here the writes go straight to the API server, as the
//! api-shim would make them, against the chart's real CF roles.

mod common;

use common::{
    Operator, org, org_ready, space, space_ready, wait_gone, wait_org_managers_binding, wait_ready,
};
use k8s_openapi::api::{
    core::v1::Namespace,
    rbac::v1::{RoleBinding, RoleRef, Subject},
};
use kube::{
    Api, Client,
    api::{DeleteParams, PostParams},
};
use smelter_crds::{Org, Space};
use smelter_test_support as support;

const USER: &str = "cf:olivia";

/// A binding of `user` to the ClusterRole `role`, as the api-shim writes a CF role (its
/// labels do not matter to RBAC).
fn binding(name: &str, role: &str, user: &str) -> RoleBinding {
    RoleBinding {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: Some(vec![Subject {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "User".into(),
            name: user.into(),
            namespace: None,
        }]),
    }
}

/// A client that impersonates `USER` with `groups`, as the api-shim's clients do.
async fn as_user(groups: &[&str]) -> Client {
    let mut config = support::kube_config().await;
    config.auth_info.impersonate = Some(USER.into());
    config.auth_info.impersonate_groups = Some(groups.iter().map(|g| (*g).to_owned()).collect());
    Client::try_from(config).expect("impersonating client")
}

/// Creates an org with one space, and waits until both are Ready. Returns their GUIDs.
async fn org_with_space(client: &Client, root: &str) -> (String, String) {
    let orgs: Api<Org> = Api::namespaced(client.clone(), root);
    let org_guid = support::guid();
    orgs.create(&PostParams::default(), &org(&org_guid, "org"))
        .await
        .expect("create org");
    wait_ready(&orgs, &org_guid, org_ready).await;
    let spaces: Api<Space> = Api::namespaced(client.clone(), &org_guid);
    let space_guid = support::guid();
    spaces
        .create(&PostParams::default(), &space(&space_guid, "space"))
        .await
        .expect("create space");
    wait_ready(&spaces, &space_guid, space_ready).await;
    (org_guid, space_guid)
}

fn refused<T: std::fmt::Debug>(result: &Result<T, kube::Error>) -> bool {
    matches!(result, Err(kube::Error::Api(s)) if s.code == 403)
}

#[tokio::test]
async fn an_org_manager_may_manage_the_roles_of_every_space_of_the_org_and_no_other() {
    let client = support::client().await;
    support::install_cf_roles().await;
    let operator = Operator::start(&client).await;
    let (org_guid, space_guid) = org_with_space(&client, &operator.root).await;
    let (other_org, other_space) = org_with_space(&client, &operator.root).await;
    wait_org_managers_binding(&client, &org_guid, &space_guid, None).await;
    wait_org_managers_binding(&client, &other_org, &other_space, None).await;

    // Olivia manages the first org: the api-shim has bound her in the org namespace, and
    // impersonates her with the org's managers group.
    Api::<RoleBinding>::namespaced(client.clone(), &org_guid)
        .create(
            &PostParams::default(),
            &binding("olivia-manager", "smelter-organization-manager", USER),
        )
        .await
        .expect("make olivia an org manager");
    let manager_group = format!("cf:org-managers:{org_guid}");
    let manager = as_user(&["cf:users", "system:authenticated", &manager_group]).await;
    let without_group = as_user(&["cf:users", "system:authenticated"]).await;
    let developer = |name: &str| binding(name, "smelter-space-developer", "cf:dave");

    // With the group she gives Dave a space role, and takes it back.
    let in_space: Api<RoleBinding> = Api::namespaced(manager.clone(), &space_guid);
    in_space
        .create(&PostParams::default(), &developer("dave-developer"))
        .await
        .expect("an org manager creates a space developer role in the org's space");
    in_space
        .delete("dave-developer", &DeleteParams::default())
        .await
        .expect("an org manager deletes a space role in the org's space");

    // Without it, her org-namespace binding alone gives her nothing in the space.
    let refusal = Api::<RoleBinding>::namespaced(without_group, &space_guid)
        .create(&PostParams::default(), &developer("dave-developer-2"))
        .await;
    assert!(refused(&refusal), "without the group: {refusal:?}");

    // The group is one org's: it opens no space of another org.
    let refusal = Api::<RoleBinding>::namespaced(manager, &other_space)
        .create(&PostParams::default(), &developer("dave-developer-3"))
        .await;
    assert!(refused(&refusal), "in another org's space: {refusal:?}");

    // The bindings go with their namespaces.
    let orgs: Api<Org> = Api::namespaced(client.clone(), &operator.root);
    let namespaces: Api<Namespace> = Api::all(client.clone());
    for org in [&org_guid, &other_org] {
        orgs.delete(org, &DeleteParams::default())
            .await
            .expect("delete org");
    }
    for (org, space) in [(&org_guid, &space_guid), (&other_org, &other_space)] {
        wait_gone(&namespaces, space, "space namespace").await;
        wait_gone(&orgs, org, "org").await;
    }
    operator.stop().await;
}
