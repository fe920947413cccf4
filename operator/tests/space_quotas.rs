//! A space quota, enforced by the API server: the Space controller keeps its ResourceQuotas
//! and LimitRange in the space's namespace, follows the quota's changes, puts back what is
//! changed by hand, and removes them when the space drops the quota. Pods over the limits are
//! refused by Kubernetes itself (tier 1 runs the quota admission and the quota controller).

mod common;

use common::{Operator, org_and_space, wait_some};
use k8s_openapi::api::core::v1::{LimitRange, Pod, ResourceQuota};
use kube::{
    Api, Client,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde_json::json;
use smelter_crds::{AppLimits, RouteLimits, SpaceQuota, SpaceQuotaSpec};
use smelter_test_support as support;

/// The `hard` limits of `name` in `ns` once they equal `want`.
async fn wait_hard(client: &Client, ns: &str, name: &str, want: &[(&str, &str)]) {
    let api: Api<ResourceQuota> = Api::namespaced(client.clone(), ns);
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    wait_some(&format!("{name} with {want:?}"), || {
        let (api, want) = (api.clone(), want.clone());
        async move {
            let rq = api.get_opt(name).await.ok()??;
            let hard: Vec<(String, String)> =
                rq.spec?.hard?.into_iter().map(|(k, v)| (k, v.0)).collect();
            (hard == want).then_some(())
        }
    })
    .await;
}

/// A pod in `ns` of one container limited to `memory`.
fn pod(name: &str, memory: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"containers": [{
            "name": "web", "image": "smelter/none",
            "resources": {"limits": {"memory": memory}, "requests": {"memory": memory}}
        }]}
    }))
    .expect("pod")
}

#[tokio::test]
async fn a_space_quota_becomes_the_namespaces_hard_limits() {
    let client = support::client().await;
    let operator = Operator::start(&client).await;
    let (org, space) = org_and_space(&client, &operator).await;
    let quotas: Api<SpaceQuota> = Api::namespaced(client.clone(), &org);
    let quota_guid = support::guid();
    let spec = SpaceQuotaSpec {
        name: "small".into(),
        apps: AppLimits {
            total_memory_in_mb: Some(1024),
            per_process_memory_in_mb: Some(256),
            total_instances: Some(2),
            ..AppLimits::default()
        },
        routes: RouteLimits {
            total_routes: Some(3),
            ..RouteLimits::default()
        },
        ..SpaceQuotaSpec::default()
    };
    quotas
        .create(&PostParams::default(), &SpaceQuota::new(&quota_guid, spec))
        .await
        .expect("create space quota");
    let spaces: Api<smelter_crds::Space> = Api::namespaced(client.clone(), &org);
    let name_quota = |q: Option<&str>| Patch::Merge(json!({"spec": {"quota": q}}));
    spaces
        .patch(
            &space,
            &PatchParams::default(),
            &name_quota(Some(&quota_guid)),
        )
        .await
        .expect("name the quota");

    wait_hard(
        &client,
        &space,
        "smelter-space-quota-instances",
        &[("limits.memory", "2Gi"), ("pods", "4")],
    )
    .await;
    wait_hard(
        &client,
        &space,
        "smelter-space-quota-objects",
        &[("count/routes.cf.smelter.dev", "3")],
    )
    .await;
    let limit_ranges: Api<LimitRange> = Api::namespaced(client.clone(), &space);
    let lr = wait_some("the LimitRange", || {
        let api = limit_ranges.clone();
        async move { api.get_opt("smelter-space-quota").await.ok()? }
    })
    .await;
    assert_eq!(
        lr.spec.expect("spec").limits[0].max.as_ref().expect("max")["memory"].0,
        "256Mi"
    );

    // Kubernetes refuses an instance over the instance memory limit, and instances over the
    // count, by itself.
    let pods: Api<Pod> = Api::namespaced(client.clone(), &space);
    let err = pods
        .create(&PostParams::default(), &pod("big", "512Mi"))
        .await
        .expect_err("over the instance memory limit");
    assert!(
        err.to_string()
            .contains("maximum memory usage per Container is 256Mi"),
        "{err}"
    );
    // The quota's usage is counted by the quota controller; until it has, the admission
    // refuses every pod of the quota's scope, so wait for the first to go in.
    wait_some("a first pod admitted", || {
        let pods = pods.clone();
        async move {
            pods.create(&PostParams::default(), &pod("a", "128Mi"))
                .await
                .ok()
        }
    })
    .await;
    // Twice the quota's 2 instances: room for a rolling restart, and no more.
    for name in ["b", "c", "d"] {
        pods.create(&PostParams::default(), &pod(name, "128Mi"))
            .await
            .expect("within the rolling headroom");
    }
    let err = pods
        .create(&PostParams::default(), &pod("e", "128Mi"))
        .await
        .expect_err("over the instances");
    assert!(err.to_string().contains("exceeded quota"), "{err}");

    // A changed quota reaches the namespace; one changed by hand is put back.
    quotas
        .patch(
            &quota_guid,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"apps": {"totalInstances": 5}}})),
        )
        .await
        .expect("raise instances");
    wait_hard(
        &client,
        &space,
        "smelter-space-quota-instances",
        &[("limits.memory", "2Gi"), ("pods", "10")],
    )
    .await;
    let rqs: Api<ResourceQuota> = Api::namespaced(client.clone(), &space);
    rqs.delete("smelter-space-quota-objects", &DeleteParams::default())
        .await
        .expect("delete by hand");
    wait_hard(
        &client,
        &space,
        "smelter-space-quota-objects",
        &[("count/routes.cf.smelter.dev", "3")],
    )
    .await;

    // The space drops its quota: nothing is enforced any more.
    spaces
        .patch(&space, &PatchParams::default(), &name_quota(None))
        .await
        .expect("drop the quota");
    wait_some("the quota objects gone", || {
        let (rqs, lrs) = (rqs.clone(), limit_ranges.clone());
        async move {
            let left = rqs.list(&Default::default()).await.ok()?.items.len()
                + lrs.list(&Default::default()).await.ok()?.items.len();
            (left == 0).then_some(())
        }
    })
    .await;
    operator.stop().await;
}
