//! The operator on a real node: the api-shim and the operator run in the test process against
//! the tier-2 test Kubernetes (`tests/k8s/cluster.sh up --node`), whose kubelet runs the
//! staging Jobs and the instances for real, on Smelter's images. Nothing here writes a pod's
//! status: what a status says, a kubelet and a real container made it say.
//!
//! The api-shim listens on the node's address, so the pods fetch package bits, buildpacks and
//! droplets from it through signed URLs, as they fetch them from the chart's api-shim Service.
//! Pushing goes through the CF API, as the cf CLI's calls do; what the operator made is read
//! from the API server.
//!
//! `tests/run` runs these after the tier-1 suite, with `SMELTER_TEST_KUBECONFIG` set to the
//! node cluster's kubeconfig and `SMELTER_TEST_NODE_IP` to its node address; without them every
//! test fails, saying so.
#![forbid(unsafe_code)]

use kube::{Api, Client, api::ListParams};
use reqwest::Method;
use serde_json::{Value, json};
use smelter_test_harness::{Setup, Shim};
use smelter_test_support as support;
use std::{
    future::Future,
    io::{Cursor, Write},
    net::IpAddr,
    time::Duration,
};
use zip::{ZipWriter, write::SimpleFileOptions};

pub use smelter_test_harness::Reply;

/// The environment variable `tests/run` sets to the node's address.
pub const NODE_IP_ENV: &str = "SMELTER_TEST_NODE_IP";

/// How long real staging or a real start may take on the loaded 2-core test machine (image
/// already imported; a first staging of a stack unpacks it).
pub const REAL: Duration = Duration::from_secs(180);

/// The node's address. Panics, saying how to get a node, when unset.
pub fn node_ip() -> IpAddr {
    let ip = std::env::var(NODE_IP_ENV).unwrap_or_else(|_| {
        panic!(
            "{NODE_IP_ENV} is not set: this test needs the tier-2 test Kubernetes with a real \
             node. Run it with `make test` (tests/run), or start one with \
             `tests/k8s/cluster.sh up --node DIR`, import the images (tests/images/build.sh) and \
             export {NODE_IP_ENV}=$SMELTER_K8S_NODE_IP and {}=DIR/kubeconfig.",
            support::KUBECONFIG_ENV
        )
    });
    ip.parse()
        .unwrap_or_else(|e| panic!("{NODE_IP_ENV}={ip} is not an address: {e}"))
}

/// An api-shim and an operator for one test, on the node.
pub struct Node {
    pub shim: Shim,
    /// The admin's token.
    pub admin: String,
}

impl Node {
    /// Starts both, with the built-in buildpacks installed.
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// [`Node::start`], the operator using `operator_client` (a counting one, say).
    pub async fn start_with(operator_client: Option<Client>) -> Self {
        let setup = Setup {
            listen: node_ip(),
            operator_client,
            operator: Box::new(|config, url| {
                config.staging.blob_url = url.to_owned();
                // The test node's Traefik serves this class.
                config.routing.ingress_class = Some("smelter".into());
            }),
            ..Setup::default()
        };
        let shim = Shim::start_in(&[], setup).await;
        smelter_api_shim::v3::buildpacks::builtin::install(&shim.state)
            .await
            .expect("built-in buildpacks");
        let admin = shim.token("admin").await;
        Self { shim, admin }
    }

    /// A request as the admin; a refusal fails the test with CC's error.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let reply = self
            .shim
            .call(method.clone(), path, &self.admin, body)
            .await;
        assert!(
            reply.status < 300,
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
        reply.body
    }

    /// An org and a space in it; returns (org, space) GUIDs. The space's namespace is the
    /// space's GUID; it exists once the operator made it.
    pub async fn org_and_space(&self) -> (String, String) {
        let org = self.shim.org(&self.admin, &format!("o-{}", short())).await;
        let space = self.shim.space(&self.admin, &org, "dev").await;
        let namespaces: Api<k8s_openapi::api::core::v1::Namespace> =
            Api::all(self.shim.client.clone());
        wait_some("the space's namespace", REAL, || async {
            namespaces.get_opt(&space).await.ok().flatten()
        })
        .await;
        (org, space)
    }

    /// `cf create-app` with `buildpacks` (none: detection).
    pub async fn create_app(&self, space: &str, name: &str, buildpacks: &[&str]) -> String {
        let app = self
            .call(
                Method::POST,
                "/v3/apps",
                Some(json!({
                    "name": name,
                    "relationships": { "space": { "data": { "guid": space } } },
                    "lifecycle": { "type": "buildpack", "data": { "buildpacks": buildpacks } },
                })),
            )
            .await;
        guid_of(&app)
    }

    /// A bits package of `app` holding `files` (path, mode, content), uploaded as the cf CLI
    /// uploads it; returns it once READY.
    pub async fn upload(&self, app: &str, files: &[(&str, u32, &[u8])]) -> String {
        let package = self
            .call(
                Method::POST,
                "/v3/packages",
                Some(json!({ "type": "bits", "relationships": { "app": { "data": { "guid": app } } } })),
            )
            .await;
        let package = guid_of(&package);
        let reply = self
            .shim
            .upload(&package, &self.admin, &json!([]), Some(&zip_of(files)))
            .await;
        assert!(
            reply.status < 300,
            "upload: {} {}",
            reply.status,
            reply.body
        );
        let path = format!("/v3/packages/{package}");
        wait_some("the package READY", REAL, || async {
            let p = self.call(Method::GET, &path, None).await;
            (p["state"] == "READY").then_some(())
        })
        .await;
        package
    }

    /// `POST /v3/builds` of `package`; returns the build's GUID.
    pub async fn stage(&self, package: &str) -> String {
        let build = self
            .call(
                Method::POST,
                "/v3/builds",
                Some(json!({ "package": { "guid": package } })),
            )
            .await;
        guid_of(&build)
    }

    /// The build once it has ended (STAGED or FAILED), as the API presents it.
    pub async fn wait_build(&self, build: &str) -> Value {
        let path = format!("/v3/builds/{build}");
        wait_some("the build to end", REAL, || async {
            let b = self.call(Method::GET, &path, None).await;
            (b["state"] != "STAGING").then_some(b)
        })
        .await
    }

    /// Stages `files` for `app` and makes the droplet current; returns the droplet's GUID.
    pub async fn staged(&self, app: &str, files: &[(&str, u32, &[u8])]) -> String {
        let package = self.upload(app, files).await;
        let build = self.stage(&package).await;
        let build = self.wait_build(&build).await;
        assert_eq!(build["state"], "STAGED", "{build}");
        let droplet = build["droplet"]["guid"]
            .as_str()
            .expect("droplet")
            .to_owned();
        self.call(
            Method::PATCH,
            &format!("/v3/apps/{app}/relationships/current_droplet"),
            Some(json!({ "data": { "guid": droplet } })),
        )
        .await;
        droplet
    }

    /// `cf scale -i`.
    pub async fn scale(&self, app: &str, instances: u32) {
        self.call(
            Method::POST,
            &format!("/v3/apps/{app}/processes/web/actions/scale"),
            Some(json!({ "instances": instances })),
        )
        .await;
    }

    /// `POST /v3/apps/:guid/actions/<action>` (start, stop, restart).
    pub async fn action(&self, app: &str, action: &str) {
        self.call(
            Method::POST,
            &format!("/v3/apps/{app}/actions/{action}"),
            None,
        )
        .await;
    }

    /// `cf set-env` for each of `vars`.
    pub async fn set_env(&self, app: &str, vars: Value) {
        self.call(
            Method::PATCH,
            &format!("/v3/apps/{app}/environment_variables"),
            Some(json!({ "var": vars })),
        )
        .await;
    }

    /// `cf create-route HOST` on the default apps domain, mapped to `app`'s web process;
    /// returns the route's GUID.
    pub async fn route(&self, space: &str, host: &str, app: &str) -> String {
        let domains = self.call(Method::GET, "/v3/domains", None).await;
        let domain = guid_of(&domains["resources"][0]);
        let route = self
            .call(
                Method::POST,
                "/v3/routes",
                Some(json!({
                    "host": host,
                    "relationships": {
                        "space": { "data": { "guid": space } },
                        "domain": { "data": { "guid": domain } },
                    },
                })),
            )
            .await;
        let route = guid_of(&route);
        self.map_route(&route, app).await;
        route
    }

    /// `cf map-route` of an existing route to `app`'s web process.
    pub async fn map_route(&self, route: &str, app: &str) {
        self.call(
            Method::POST,
            &format!("/v3/routes/{route}/destinations"),
            Some(json!({ "destinations": [{ "app": { "guid": app } }] })),
        )
        .await;
    }

    /// The web process's stats, as `cf app` reads them.
    pub async fn stats(&self, app: &str) -> Vec<Value> {
        let stats = self
            .call(
                Method::GET,
                &format!("/v3/apps/{app}/processes/web/stats"),
                None,
            )
            .await;
        stats["resources"].as_array().cloned().unwrap_or_default()
    }
}

/// The `guid` of a CF resource.
pub fn guid_of(resource: &Value) -> String {
    resource["guid"]
        .as_str()
        .unwrap_or_else(|| panic!("no guid in {resource}"))
        .to_owned()
}

/// Eight random hex digits, for names that must not collide between tests.
pub fn short() -> String {
    support::guid()[..8].to_owned()
}

/// A zip of `files` (path, unix mode, content), as the cf CLI makes it.
pub fn zip_of(files: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (path, mode, data) in files {
        w.start_file(*path, SimpleFileOptions::default().unix_permissions(*mode))
            .expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// Polls `check` every 250 ms until it gives a value; panics naming `what` after `timeout`.
pub async fn wait_some<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The objects of kind `K` in `namespace` whose labels match `selector`.
pub async fn list<K>(client: &Client, namespace: &str, selector: &str) -> Vec<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    Api::<K>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().labels(selector))
        .await
        .map(|l| l.items)
        .unwrap_or_default()
}

/// The body of `http://<host>.<apps domain><path>` through the node's ingress controller, if
/// it answers 200 within a few seconds.
pub async fn get_route(host: &str, path: &str) -> Option<String> {
    let url = format!("http://{host}.apps.smelter.test{path}");
    let reply = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if !reply.status().is_success() {
        return None;
    }
    reply.text().await.ok()
}

/// What the route `host` answers over `requests` requests (the ingress controller spreads
/// them over the instances): each answer once, sorted.
pub async fn answers(host: &str, requests: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..requests {
        if let Some(body) = get_route(host, "/").await {
            seen.push(body.trim().to_owned());
        }
    }
    seen.sort();
    seen.dedup();
    seen
}
