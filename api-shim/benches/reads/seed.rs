//! The data both API servers read: one org, spaces of ten apps each, written directly as custom
//! resources (the objects Smelter's operator and api-shim, or Korifi's controllers and webhooks,
//! would have written), for Smelter and for Korifi with the same GUIDs, names and namespaces.
//!
//! A space's namespace is its GUID in both systems, so one namespace holds a space's Smelter
//! `App`s and Korifi `CFApp`s side by side, and `GET /v3/apps?names=X&space_guids=Y` asks both
//! servers the same question.

use crate::korifi;
use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use kube::{
    Api, Client,
    api::{ListParams, PostParams},
};
use serde_json::json;
use smelter_crds::{App, AppSpec, Org, OrgSpec, Space, SpaceSpec};
use smelter_test_support as support;
use std::time::{Duration, Instant};

pub const APPS_PER_SPACE: usize = 10;

/// How many creates are in flight at once: enough to keep the API server busy on two cores.
const CONCURRENT_CREATES: usize = 32;

/// The org and spaces created so far, and every app as (space GUID, app name).
pub struct World {
    client: Client,
    org: String,
    spaces: Vec<String>,
    pub apps: Vec<(String, String)>,
}

fn namespace(name: &str, labels: serde_json::Value, annotations: serde_json::Value) -> Namespace {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": labels, "annotations": annotations }
    }))
    .expect("namespace literal")
}

impl World {
    /// The org in `root` (Smelter's root namespace, which is Korifi's too), its namespace, and
    /// the RoleBindings that make the cluster's admin a Korifi admin of root and org.
    pub async fn new(client: &Client, root: &str) -> Self {
        let org = support::guid();
        let org_name = "bench";
        Api::<Org>::namespaced(client.clone(), root)
            .create(
                &PostParams::default(),
                &Org::new(
                    &org,
                    OrgSpec {
                        name: org_name.into(),
                        suspended: false,
                        ..Default::default()
                    },
                ),
            )
            .await
            .expect("org");
        korifi::create_org(client, root, &org, org_name).await;
        Api::<Namespace>::all(client.clone())
            .create(
                &PostParams::default(),
                &namespace(
                    &org,
                    korifi::org_namespace_labels(&org, org_name),
                    korifi::org_namespace_annotations(org_name),
                ),
            )
            .await
            .expect("org namespace");
        korifi::create_admin_role_binding(client, root).await;
        korifi::create_admin_role_binding(client, &org).await;
        Self {
            client: client.clone(),
            org,
            spaces: Vec::new(),
            apps: Vec::new(),
        }
    }

    /// Adds spaces of `APPS_PER_SPACE` apps until there are `apps` apps, and waits until the
    /// controller-manager has set up every new namespace, so its writes do not overlap the
    /// timed reads.
    pub async fn grow_to(&mut self, apps: usize) {
        let started = Instant::now();
        let new_spaces: Vec<(usize, String)> = (self.spaces.len()..apps / APPS_PER_SPACE)
            .map(|i| (i, support::guid()))
            .collect();
        stream::iter(new_spaces.iter())
            .for_each_concurrent(CONCURRENT_CREATES, |(i, space)| {
                self.create_space(space, format!("space-{i}"))
            })
            .await;
        let new_apps: Vec<(String, String)> = new_spaces
            .iter()
            .flat_map(|(_, s)| {
                (0..APPS_PER_SPACE).map(move |j| (s.clone(), format!("app-{}-{j}", &s[..8])))
            })
            .collect();
        stream::iter(new_apps.iter())
            .for_each_concurrent(CONCURRENT_CREATES, |(space, name)| {
                self.create_app(space, name)
            })
            .await;
        self.spaces
            .extend(new_spaces.into_iter().map(|(_, space)| space));
        self.apps.extend(new_apps);
        println!(
            "setup: {} spaces, {} apps (each as a Smelter App and a Korifi CFApp) in {:.1}s",
            self.spaces.len(),
            self.apps.len(),
            started.elapsed().as_secs_f64()
        );
        self.wait_for_namespace_setup().await;
    }

    async fn create_space(&self, space: &str, name: String) {
        Api::<Namespace>::all(self.client.clone())
            .create(
                &PostParams::default(),
                &namespace(
                    space,
                    korifi::space_namespace_labels(space, &self.org, &name),
                    korifi::space_namespace_annotations(&name),
                ),
            )
            .await
            .expect("space namespace");
        Api::<Space>::namespaced(self.client.clone(), &self.org)
            .create(
                &PostParams::default(),
                &Space::new(
                    space,
                    SpaceSpec {
                        name: name.clone(),
                        allow_ssh: false,
                        ..Default::default()
                    },
                ),
            )
            .await
            .expect("space");
        korifi::create_space(&self.client, &self.org, space, &name).await;
        korifi::create_admin_role_binding(&self.client, space).await;
    }

    async fn create_app(&self, space: &str, name: &str) {
        let guid = support::guid();
        let app = App::new(
            &guid,
            AppSpec {
                name: name.to_owned(),
                desired_state: Default::default(),
                lifecycle: Default::default(),
                current_droplet_guid: None,
                environment_variables_secret: None,
                processes: vec![smelter_api_shim::v3::apps::actions::web_process(&guid)],
            },
        );
        Api::<App>::namespaced(self.client.clone(), space)
            .create(&PostParams::default(), &app)
            .await
            .expect("app");
        korifi::create_app(&self.client, space, &guid, name).await;
    }

    /// The controller-manager gives every new namespace a `default` ServiceAccount and the
    /// `kube-root-ca.crt` ConfigMap: a thousand namespaces are two thousand writes, which would
    /// otherwise land in the middle of the first timed reads.
    async fn wait_for_namespace_setup(&self) {
        let client = self.client.clone();
        support::wait_for(
            "every namespace's ServiceAccount and root CA ConfigMap",
            Duration::from_secs(300),
            || {
                let client = client.clone();
                async move {
                    let namespaces = Api::<Namespace>::all(client.clone())
                        .list_metadata(&ListParams::default())
                        .await
                        .map(|l| l.items.len());
                    let accounts = Api::<ServiceAccount>::all(client.clone())
                        .list_metadata(&ListParams::default().fields("metadata.name=default"))
                        .await
                        .map(|l| l.items.len());
                    let ca = Api::<ConfigMap>::all(client)
                        .list_metadata(
                            &ListParams::default().fields("metadata.name=kube-root-ca.crt"),
                        )
                        .await
                        .map(|l| l.items.len());
                    matches!((namespaces, accounts, ca), (Ok(n), Ok(a), Ok(c)) if a >= n && c >= n)
                }
            },
        )
        .await;
    }
}
