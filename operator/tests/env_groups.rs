//! The environment variable groups reach every space: the Space controller keeps a ConfigMap
//! copy of each group with variables in each space namespace (pods read only their own
//! namespace), follows the group's changes and removes the copy when the group empties.

mod common;

use common::{Operator, org_and_space, wait_some};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde_json::json;
use smelter_crds::{EnvironmentVariableGroup, EnvironmentVariableGroupSpec};
use smelter_test_support as support;

#[tokio::test]
async fn a_group_is_copied_into_every_space_and_follows_its_changes() {
    let client = support::client().await;
    let operator = Operator::start(&client).await;
    let (_, space) = org_and_space(&client, &operator).await;
    let groups: Api<EnvironmentVariableGroup> = Api::namespaced(client.clone(), &operator.root);
    groups
        .create(
            &PostParams::default(),
            &EnvironmentVariableGroup::new(
                "running",
                EnvironmentVariableGroupSpec {
                    var: [("LANG".to_owned(), "en_US.UTF-8".to_owned())].into(),
                },
            ),
        )
        .await
        .expect("create group");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &space);
    let data_is = |want: Option<&'static str>| {
        let maps = maps.clone();
        move || {
            let maps = maps.clone();
            async move {
                let cm = maps.get_opt("smelter-running-env-group").await.ok()?;
                let lang = cm
                    .as_ref()
                    .and_then(|c| c.data.as_ref()?.get("LANG").cloned());
                (lang.as_deref() == want).then_some(())
            }
        }
    };
    wait_some("the copy", data_is(Some("en_US.UTF-8"))).await;
    groups
        .patch(
            "running",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"var": {"LANG": "de_DE.UTF-8"}}})),
        )
        .await
        .expect("change group");
    wait_some("the changed copy", data_is(Some("de_DE.UTF-8"))).await;
    groups
        .delete("running", &DeleteParams::default())
        .await
        .expect("delete group");
    wait_some("the copy gone", data_is(None)).await;
    operator.stop().await;
}
