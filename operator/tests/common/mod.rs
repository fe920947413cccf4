//! What the operator's integration tests share: an operator running in the test process, the
//! objects it reconciles, and waits for what it should do.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use k8s_openapi::{
    api::rbac::v1::{RoleBinding, RoleRef, Subject},
    apimachinery::pkg::apis::meta::v1::Condition,
};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use smelter_common::health::{Health, registry_with_build_info};
use smelter_crds::{Org, OrgSpec, Space, SpaceSpec};
use smelter_operator::{Config, Metrics};
use smelter_test_support as support;
use std::{fmt::Debug, future::Future, time::Duration};
use tokio::{sync::oneshot, task::JoinHandle};

pub const SETTLE: Duration = Duration::from_secs(60);
/// Namespace deletion goes through the namespace controller, which backs off while content
/// with finalizers remains.
pub const CASCADE: Duration = Duration::from_secs(180);

/// An operator running in this test process, stopped when the test ends.
pub struct Operator {
    pub root: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Operator {
    /// Starts an operator on a new root namespace of its own.
    pub async fn start(client: &Client) -> Self {
        Self::start_with(client, client.clone()).await
    }

    /// Starts an operator on `root`, and waits until it is ready.
    pub async fn start_in(client: &Client, root: String) -> Self {
        Self::start_as(client.clone(), root).await
    }

    /// Starts an operator on a new root namespace of its own whose API requests go through
    /// `operator_client` (a counting one, say).
    pub async fn start_with(client: &Client, operator_client: Client) -> Self {
        support::install_crds(client).await;
        let root = support::namespace(client, "op-root").await;
        Self::start_as(operator_client, root).await
    }

    async fn start_as(client: Client, root: String) -> Self {
        // The operator's logs, shown with a failing test's output (RUST_LOG filters them).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info".into()),
            )
            .with_test_writer()
            .try_init();
        let health = Health::new(registry_with_build_info("operator-test"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(smelter_operator::run(
            client,
            Config::new(&root),
            Metrics::default(),
            health.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        support::wait_for("operator caches synced", SETTLE, || {
            let ready = health.is_ready();
            async move { ready }
        })
        .await;
        Self { root, stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("operator stops within 30 s of shutdown")
            .expect("operator task did not panic");
    }
}

pub fn org(guid: &str, name: &str) -> Org {
    Org::new(
        guid,
        OrgSpec {
            name: name.into(),
            suspended: false,
            ..Default::default()
        },
    )
}

pub fn space(guid: &str, name: &str) -> Space {
    Space::new(
        guid,
        SpaceSpec {
            name: name.into(),
            allow_ssh: false,
            ..Default::default()
        },
    )
}

pub async fn wait_gone<K>(api: &Api<K>, name: &str, what: &str)
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    support::wait_for(&format!("{what} {name} gone"), CASCADE, || {
        let api = api.clone();
        async move { matches!(api.get_opt(name).await, Ok(None)) }
    })
    .await;
}

/// The Ready condition of a status, with the status's observedGeneration.
fn ready_of(observed: Option<i64>, conditions: &[Condition]) -> Option<(Option<i64>, Condition)> {
    conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| (observed, c.clone()))
}

/// Waits until the object's status is Ready True for its current generation, and returns the
/// condition.
pub async fn wait_ready<K, F>(api: &Api<K>, name: &str, status: F) -> Condition
where
    K: Resource + Clone + DeserializeOwned + Debug,
    F: Fn(&K) -> Option<(Option<i64>, Condition)>,
{
    let found = std::sync::Mutex::new(None);
    support::wait_for(&format!("{name} Ready True"), SETTLE, || {
        let api = api.clone();
        let status = &status;
        let found = &found;
        async move {
            let Ok(obj) = api.get(name).await else {
                return false;
            };
            let generation = obj.meta().generation;
            match status(&obj) {
                Some((observed, c))
                    if observed == generation
                        && c.status == "True"
                        && c.reason == "NamespaceReady"
                        && c.observed_generation == generation =>
                {
                    *found.lock().expect("lock") = Some(c);
                    true
                }
                _ => false,
            }
        }
    })
    .await;
    found.into_inner().expect("lock").expect("found")
}

pub fn org_ready(o: &Org) -> Option<(Option<i64>, Condition)> {
    let s = o.status.as_ref()?;
    ready_of(s.observed_generation, &s.conditions)
}

pub fn space_ready(s: &Space) -> Option<(Option<i64>, Condition)> {
    let s = s.status.as_ref()?;
    ready_of(s.observed_generation, &s.conditions)
}

/// Waits until the space namespace `space_guid` holds `smelter-org-managers`, binding exactly
/// the managers of `org_guid` to `smelter-space-manager`, and (if given) is not the binding
/// with uid `not_uid`. Returns it.
pub async fn wait_org_managers_binding(
    client: &Client,
    org_guid: &str,
    space_guid: &str,
    not_uid: Option<&str>,
) -> RoleBinding {
    let api: Api<RoleBinding> = Api::namespaced(client.clone(), space_guid);
    let role_ref = RoleRef {
        api_group: "rbac.authorization.k8s.io".into(),
        kind: "ClusterRole".into(),
        name: "smelter-space-manager".into(),
    };
    let subjects = vec![Subject {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: "Group".into(),
        name: format!("cf:org-managers:{org_guid}"),
        namespace: None,
    }];
    let what = format!("role binding smelter-org-managers in {space_guid}");
    support::wait_for(&what, SETTLE, || {
        let api = api.clone();
        let (role_ref, subjects) = (&role_ref, &subjects);
        async move {
            api.get_opt("smelter-org-managers")
                .await
                .ok()
                .flatten()
                .is_some_and(|rb| {
                    rb.role_ref == *role_ref
                        && rb.subjects.as_ref() == Some(subjects)
                        && rb.metadata.uid.as_deref() != not_uid
                })
        }
    })
    .await;
    api.get("smelter-org-managers").await.expect("role binding")
}

/// Polls `get` until it returns something; panics naming `what` after [`SETTLE`].
pub async fn wait_some<T, F, Fut>(what: &str, mut get: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        if let Some(found) = get().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {SETTLE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An org and a space of the operator's installation; returns (org guid, space guid).
pub async fn org_and_space(client: &Client, op: &Operator) -> (String, String) {
    let (org_guid, space_guid) = (support::guid(), support::guid());
    let orgs: Api<Org> = Api::namespaced(client.clone(), &op.root);
    orgs.create(
        &kube::api::PostParams::default(),
        &org(&org_guid, "staging"),
    )
    .await
    .expect("create org");
    wait_ready(&orgs, &org_guid, org_ready).await;
    let spaces: Api<Space> = Api::namespaced(client.clone(), &org_guid);
    spaces
        .create(
            &kube::api::PostParams::default(),
            &space(&space_guid, "dev"),
        )
        .await
        .expect("create space");
    wait_ready(&spaces, &space_guid, space_ready).await;
    (org_guid, space_guid)
}
