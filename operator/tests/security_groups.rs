//! Security groups are enforced as NetworkPolicies: the Space controller keeps one policy for
//! the space's app instances (its running groups) and one for its staging pods (its staging
//! groups) in the space namespace, follows a group's binding and rules, and puts back a policy
//! changed by hand. Whether packets are really refused is the node's test (`tests/node`).

mod common;

use common::{Operator, org_and_space, wait_some};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::{
    Api,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::json;
use smelter_crds::{GloballyEnabled, SecurityGroup, SecurityGroupRule, SecurityGroupSpec};
use smelter_test_support as support;

/// The CIDR blocks a policy's egress allows, in order.
fn cidrs(policy: &NetworkPolicy) -> Vec<String> {
    let egress = policy.spec.as_ref().and_then(|s| s.egress.as_ref());
    egress
        .into_iter()
        .flatten()
        .flat_map(|r| r.to.iter().flatten())
        .filter_map(|p| p.ip_block.as_ref().map(|b| b.cidr.clone()))
        .collect()
}

#[tokio::test]
async fn a_space_gets_its_running_and_staging_groups_as_network_policies() {
    let client = support::client().await;
    let operator = Operator::start(&client).await;
    let groups: Api<SecurityGroup> = Api::namespaced(client.clone(), &operator.root);
    let (dns_guid, db_guid) = (support::guid(), support::guid());
    let global = SecurityGroup::new(
        &dns_guid,
        SecurityGroupSpec {
            name: "dns".into(),
            rules: vec![SecurityGroupRule::new("udp", "0.0.0.0/0", Some("53"))],
            globally_enabled: GloballyEnabled {
                running: true,
                staging: true,
            },
            running_spaces: vec![],
            staging_spaces: vec![],
        },
    );
    groups
        .create(&PostParams::default(), &global)
        .await
        .expect("create group");
    let (_, space) = org_and_space(&client, &operator).await;
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), &space);
    let policy_is = |name: &'static str, want: Vec<&'static str>| {
        let policies = policies.clone();
        move || {
            let (policies, want) = (policies.clone(), want.clone());
            async move {
                let p = policies.get_opt(name).await.ok()??;
                (cidrs(&p) == want).then_some(p)
            }
        }
    };
    let running = wait_some(
        "the running policy",
        policy_is("smelter-running-security-groups", vec!["0.0.0.0/0"]),
    )
    .await;
    let spec = running.spec.as_ref().expect("spec");
    assert_eq!(
        spec.policy_types.as_deref(),
        Some(&["Egress".to_owned()][..])
    );
    assert_eq!(
        running.metadata.annotations.as_ref().expect("annotations")["cf.smelter.dev/security-groups"],
        "dns"
    );
    wait_some(
        "the staging policy",
        policy_is("smelter-staging-security-groups", vec!["0.0.0.0/0"]),
    )
    .await;

    // A group bound to the space for running reaches its instances' policy alone; its ICMP
    // rule is named as not enforced.
    let bound = SecurityGroup::new(
        &db_guid,
        SecurityGroupSpec {
            name: "database".into(),
            rules: vec![
                SecurityGroupRule::new("tcp", "10.20.0.0-10.20.0.255", Some("5432")),
                SecurityGroupRule::new("icmp", "0.0.0.0/0", None),
            ],
            globally_enabled: GloballyEnabled::default(),
            running_spaces: vec![space.clone()],
            staging_spaces: vec![],
        },
    );
    groups
        .create(&PostParams::default(), &bound)
        .await
        .expect("create bound group");
    let running = wait_some(
        "the bound group in the running policy",
        policy_is(
            "smelter-running-security-groups",
            vec!["10.20.0.0/24", "0.0.0.0/0"],
        ),
    )
    .await;
    let annotations = running.metadata.annotations.expect("annotations");
    assert_eq!(
        annotations["cf.smelter.dev/security-groups"],
        "database,dns"
    );
    assert_eq!(
        annotations["cf.smelter.dev/not-enforced"],
        "database rule 2: icmp cannot be enforced by a NetworkPolicy"
    );
    let staging = policies
        .get("smelter-staging-security-groups")
        .await
        .expect("staging policy");
    assert_eq!(cidrs(&staging), ["0.0.0.0/0"], "bound for running only");

    // Unbound, it leaves; a policy changed by hand is put back.
    groups
        .patch(
            &db_guid,
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "runningSpaces": null } })),
        )
        .await
        .expect("unbind");
    wait_some(
        "the unbound group gone from the running policy",
        policy_is("smelter-running-security-groups", vec!["0.0.0.0/0"]),
    )
    .await;
    policies
        .patch(
            "smelter-staging-security-groups",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "egress": [{}] } })),
        )
        .await
        .expect("change by hand");
    wait_some(
        "the staging policy put back",
        policy_is("smelter-staging-security-groups", vec!["0.0.0.0/0"]),
    )
    .await;
    operator.stop().await;
}
