//! The Org and Space controllers, run in-process against the test cluster (tier 1): each test
//! starts its own operator on a root namespace of its own, so tests run side by side.
//!
//! Namespace deletion, and with it the cascade from an org to its spaces, is the work of the
//! kube-controller-manager's namespace controller, which tier 1 runs.

mod common;

use common::{
    Operator, SETTLE, org, org_ready, space, space_ready, wait_gone, wait_org_managers_binding,
    wait_ready,
};
use futures::StreamExt;
use k8s_openapi::api::{core::v1::Namespace, events::v1::Event, rbac::v1::RoleBinding};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams},
};
use serde::de::DeserializeOwned;
use serde_json::json;
use smelter_crds::{Org, Space};
use smelter_test_support as support;
use std::{collections::BTreeMap, fmt::Debug, time::Duration};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Waits until `name` exists, is Active, carries `labels` and `annotations`, and (if given)
/// is not the namespace with uid `not_uid`. Returns it.
async fn wait_namespace(
    client: &Client,
    name: &str,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
    not_uid: Option<&str>,
) -> Namespace {
    let api: Api<Namespace> = Api::all(client.clone());
    let what = format!("namespace {name} active with {labels:?} {annotations:?}");
    support::wait_for(&what, SETTLE, || {
        let api = api.clone();
        async move {
            api.get_opt(name).await.ok().flatten().is_some_and(|ns| {
                let active = ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Active")
                    && ns.metadata.deletion_timestamp.is_none();
                let has = |want: &BTreeMap<String, String>, have: &BTreeMap<String, String>| {
                    want.iter().all(|(k, v)| have.get(k) == Some(v))
                };
                active
                    && has(labels, ns.labels())
                    && has(annotations, ns.annotations())
                    && ns.uid().as_deref() != not_uid
            })
        }
    })
    .await;
    api.get(name).await.expect("namespace")
}

/// The resource version of a list of `api` (with `labels`): "now", to watch from.
async fn version_of<K>(api: &Api<K>, labels: Option<&str>) -> String
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let list = labels.map_or_else(ListParams::default, |l| ListParams::default().labels(l));
    api.list_metadata(&list)
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("list resourceVersion")
}

/// Every change to `api` (with `labels`) after `version`, watching for `period`.
async fn changes<K>(
    api: Api<K>,
    labels: Option<&str>,
    version: String,
    period: Duration,
) -> Vec<String>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let mut watch = WatchParams::default().timeout(period.as_secs() as u32);
    if let Some(labels) = labels {
        watch = watch.labels(labels);
    }
    let stream = api.watch(&watch, &version).await.expect("watch");
    stream
        .filter_map(|event| async move {
            match event {
                Ok(WatchEvent::Added(o)) => Some(format!("added {}", o.name_any())),
                Ok(WatchEvent::Modified(o)) => Some(format!("modified {}", o.name_any())),
                Ok(WatchEvent::Deleted(o)) => Some(format!("deleted {}", o.name_any())),
                Ok(WatchEvent::Bookmark(_)) => None,
                Ok(WatchEvent::Error(e)) => panic!("watch error: {e:?}"),
                Err(e) => panic!("watch failed: {e}"),
            }
        })
        .collect()
        .await
}

#[tokio::test]
async fn orgs_and_spaces_own_their_namespaces_converge_and_cascade_on_delete() {
    let client = support::client().await;
    let operator = Operator::start(&client).await;
    let root = operator.root.clone();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let orgs: Api<Org> = Api::namespaced(client.clone(), &root);

    // An Org gets its namespace, a finalizer, a Ready status and an Event.
    let org_guid = support::guid();
    orgs.create(&PostParams::default(), &org(&org_guid, "my-org"))
        .await
        .expect("create org");
    let org_labels = map(&[
        ("app.kubernetes.io/managed-by", "smelter"),
        ("cf.smelter.dev/org-guid", &org_guid),
        ("cf.smelter.dev/kind", "org"),
    ]);
    let org_ns = wait_namespace(
        &client,
        &org_guid,
        &org_labels,
        &map(&[("cf.smelter.dev/name", "my-org")]),
        None,
    )
    .await;
    assert!(
        org_ns.labels().get("cf.smelter.dev/space-guid").is_none(),
        "an org namespace has no space label: {:?}",
        org_ns.labels()
    );
    wait_ready(&orgs, &org_guid, org_ready).await;
    let live = orgs.get(&org_guid).await.expect("org");
    assert_eq!(live.finalizers(), ["cf.smelter.dev/namespace"]);
    let events: Api<Event> = Api::namespaced(client.clone(), &root);
    support::wait_for("NamespaceCreated event on the org", SETTLE, || {
        let events = events.clone();
        let org_guid = org_guid.clone();
        async move {
            events.list(&ListParams::default()).await.is_ok_and(|l| {
                l.items.iter().any(|e| {
                    e.reason.as_deref() == Some("NamespaceCreated")
                        && e.regarding.as_ref().and_then(|r| r.name.as_deref())
                            == Some(org_guid.as_str())
                })
            })
        }
    })
    .await;

    // The org namespace deleted by hand comes back.
    namespaces
        .delete(&org_guid, &DeleteParams::default())
        .await
        .expect("delete org namespace");
    wait_namespace(
        &client,
        &org_guid,
        &org_labels,
        &BTreeMap::new(),
        org_ns.uid().as_deref(),
    )
    .await;
    wait_ready(&orgs, &org_guid, org_ready).await;

    // A Space in the org namespace gets its own namespace, labelled with both GUIDs.
    let spaces: Api<Space> = Api::namespaced(client.clone(), &org_guid);
    let space_guid = support::guid();
    spaces
        .create(&PostParams::default(), &space(&space_guid, "dev"))
        .await
        .expect("create space");
    let space_labels = map(&[
        ("app.kubernetes.io/managed-by", "smelter"),
        ("cf.smelter.dev/org-guid", &org_guid),
        ("cf.smelter.dev/space-guid", &space_guid),
        ("cf.smelter.dev/kind", "space"),
    ]);
    let space_ns = wait_namespace(
        &client,
        &space_guid,
        &space_labels,
        &map(&[("cf.smelter.dev/name", "dev")]),
        None,
    )
    .await;
    wait_ready(&spaces, &space_guid, space_ready).await;

    // A Ready space namespace lets the org's managers manage its roles. The binding is not a
    // CF role, so it has no role type.
    let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), &space_guid);
    let binding = bindings
        .get_opt("smelter-org-managers")
        .await
        .expect("get role binding")
        .expect("a Ready space has the org managers' role binding");
    let binding_labels = map(&[
        ("app.kubernetes.io/managed-by", "smelter"),
        ("cf.smelter.dev/org-guid", &org_guid),
        ("cf.smelter.dev/space-guid", &space_guid),
    ]);
    assert_eq!(binding.labels(), &binding_labels);
    let binding = wait_org_managers_binding(&client, &org_guid, &space_guid, None).await;

    // Deleted by hand, it comes back; given another subject by hand, it is put right.
    bindings
        .delete("smelter-org-managers", &DeleteParams::default())
        .await
        .expect("delete role binding");
    let binding =
        wait_org_managers_binding(&client, &org_guid, &space_guid, binding.uid().as_deref()).await;
    bindings
        .patch(
            "smelter-org-managers",
            &PatchParams::default(),
            &Patch::Merge(json!({
                "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "cf:mallory" }],
            })),
        )
        .await
        .expect("change the role binding's subjects");
    let restored = wait_org_managers_binding(&client, &org_guid, &space_guid, None).await;
    assert_eq!(restored.uid(), binding.uid(), "put right in place");

    // One of that name to another role (made by hand, say before the operator's) is replaced:
    // a binding's role cannot be changed.
    let impostor: RoleBinding = serde_json::from_value(json!({
        "metadata": { "name": "smelter-org-managers" },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "cf:mallory" }],
    }))
    .expect("role binding literal");
    let impostor = loop {
        // The operator may put its own back between the delete and the create.
        let _ = bindings
            .delete("smelter-org-managers", &DeleteParams::default())
            .await;
        if let Ok(created) = bindings.create(&PostParams::default(), &impostor).await {
            break created;
        }
    };
    let binding =
        wait_org_managers_binding(&client, &org_guid, &space_guid, impostor.uid().as_deref()).await;

    // The space namespace deleted by hand comes back too.
    namespaces
        .delete(&space_guid, &DeleteParams::default())
        .await
        .expect("delete space namespace");
    wait_namespace(
        &client,
        &space_guid,
        &space_labels,
        &BTreeMap::new(),
        space_ns.uid().as_deref(),
    )
    .await;
    wait_ready(&spaces, &space_guid, space_ready).await;
    wait_org_managers_binding(&client, &org_guid, &space_guid, binding.uid().as_deref()).await;

    // A rename reaches the namespace; status follows the new generation.
    orgs.patch(
        &org_guid,
        &PatchParams::default(),
        &Patch::Merge(json!({ "spec": { "name": "renamed-org" } })),
    )
    .await
    .expect("rename org");
    wait_namespace(
        &client,
        &org_guid,
        &org_labels,
        &map(&[("cf.smelter.dev/name", "renamed-org")]),
        None,
    )
    .await;
    let ready = wait_ready(&orgs, &org_guid, org_ready).await;
    assert_eq!(ready.observed_generation, Some(2));

    // Settled, a reconcile writes nothing: not even the full round of a restarted operator,
    // which reconciles every object once as it starts.
    operator.stop().await;
    let all_bindings: Api<RoleBinding> = Api::all(client.clone());
    let this_org = format!("cf.smelter.dev/org-guid={org_guid}");
    let since = (
        version_of(&orgs, None).await,
        version_of(&spaces, None).await,
        version_of(&namespaces, Some(&this_org)).await,
        version_of(&all_bindings, Some(&this_org)).await,
    );
    let operator = Operator::start_in(&client, root.clone()).await;
    let quiet = Duration::from_secs(10);
    let (org_changes, space_changes, ns_changes, binding_changes) = futures::join!(
        changes(orgs.clone(), None, since.0, quiet),
        changes(spaces.clone(), None, since.1, quiet),
        changes(namespaces.clone(), Some(&this_org), since.2, quiet),
        changes(all_bindings.clone(), Some(&this_org), since.3, quiet),
    );
    assert!(
        org_changes.is_empty()
            && space_changes.is_empty()
            && ns_changes.is_empty()
            && binding_changes.is_empty(),
        "writes while settled: orgs {org_changes:?}, spaces {space_changes:?}, \
         namespaces {ns_changes:?}, role bindings {binding_changes:?}"
    );

    // Deleting the Org deletes its namespace, which deletes the Space, whose namespace goes
    // first; then both finalizers are released.
    orgs.delete(&org_guid, &DeleteParams::default())
        .await
        .expect("delete org");
    wait_gone(&namespaces, &space_guid, "space namespace").await;
    wait_gone(&spaces, &space_guid, "space").await;
    wait_gone(&namespaces, &org_guid, "org namespace").await;
    wait_gone(&orgs, &org_guid, "org").await;

    operator.stop().await;
}

#[tokio::test]
async fn a_space_outside_an_org_of_this_installation_is_left_alone() {
    let client = support::client().await;
    let operator = Operator::start(&client).await;
    let elsewhere = support::namespace(&client, "op-not-an-org").await;
    let spaces: Api<Space> = Api::namespaced(client.clone(), &elsewhere);
    let guid = support::guid();
    spaces
        .create(&PostParams::default(), &space(&guid, "stray"))
        .await
        .expect("create space");
    // Nothing to wait for: the absence of any effect is the point.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let live = spaces.get(&guid).await.expect("space");
    assert!(live.finalizers().is_empty(), "{:?}", live.finalizers());
    assert!(live.status.is_none(), "{:?}", live.status);
    let ns: Api<Namespace> = Api::all(client.clone());
    assert!(ns.get_opt(&guid).await.expect("get").is_none());
    // And it is deleted at once, with no finalizer to wait for.
    spaces
        .delete(&guid, &DeleteParams::default())
        .await
        .expect("delete");
    wait_gone(&spaces, &guid, "space").await;
    operator.stop().await;
}
