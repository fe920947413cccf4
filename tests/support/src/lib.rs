//! Helpers for integration tests that run against the real test Kubernetes started by
//! `tests/run` (tests/k8s/cluster.sh), and the S3-compatible server beside it (`s3`). There is
//! no fallback: a test that needs the cluster or the server fails loudly when it is absent.
#![forbid(unsafe_code)]

pub mod lifecycle;
pub mod process;
pub mod s3;
pub mod writes;

use k8s_openapi::{
    api::core::v1::Namespace,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client, Config,
    api::{Patch, PatchParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use std::{path::PathBuf, time::Duration};
use tokio::sync::OnceCell;

/// The environment variable `tests/run` sets to the test cluster's admin kubeconfig.
pub const KUBECONFIG_ENV: &str = "SMELTER_TEST_KUBECONFIG";

/// The field manager tests write with.
pub const FIELD_MANAGER: &str = "smelter-tests";

/// Path of the test cluster's admin kubeconfig. Panics, saying how to get one, when unset:
/// these tests must never quietly pass or silently target some other cluster.
pub fn kubeconfig_path() -> PathBuf {
    match std::env::var_os(KUBECONFIG_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "{KUBECONFIG_ENV} is not set: this test needs the real test Kubernetes. \
             Run the tests with `make test` (tests/run), which starts it; or start one with \
             `tests/k8s/cluster.sh up DIR` and export {KUBECONFIG_ENV}=DIR/kubeconfig."
        ),
    }
}

/// A client for the test cluster's admin.
pub async fn client() -> Client {
    let path = kubeconfig_path();
    let kubeconfig = Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("cannot read test kubeconfig {}: {e}", path.display()));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad test kubeconfig {}: {e}", path.display()));
    let client = Client::try_from(config).expect("client from test kubeconfig");
    // Fail here, with the cause, rather than in the middle of a test.
    client
        .apiserver_version()
        .await
        .unwrap_or_else(|e| panic!("test Kubernetes at {} does not answer: {e}", path.display()));
    client
}

static CRDS: OnceCell<()> = OnceCell::const_new();

/// Installs (server-side apply, idempotent) every Smelter CRD and waits until each is
/// Established. Runs once per test process.
pub async fn install_crds(client: &Client) {
    CRDS.get_or_init(|| async {
        let api: Api<CustomResourceDefinition> = Api::all(client.clone());
        let params = PatchParams::apply(FIELD_MANAGER).force();
        for crd in smelter_crds::all_crds() {
            let name = crd.metadata.name.clone().expect("CRD has a name");
            api.patch(&name, &params, &Patch::Apply(&crd))
                .await
                .unwrap_or_else(|e| panic!("API server refused CRD {name}: {e}"));
        }
        for crd in smelter_crds::all_crds() {
            let name = crd.metadata.name.clone().expect("CRD has a name");
            wait_for(
                &format!("CRD {name} Established"),
                Duration::from_secs(60),
                || {
                    let api = api.clone();
                    let name = name.clone();
                    async move {
                        api.get_opt(&name)
                            .await
                            .ok()
                            .flatten()
                            .is_some_and(|c| established(&c))
                    }
                },
            )
            .await;
        }
    })
    .await;
}

fn established(crd: &CustomResourceDefinition) -> bool {
    crd.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
        })
}

/// Creates a fresh namespace `<prefix>-<random>` so tests running in parallel never share objects.
pub async fn namespace(client: &Client, prefix: &str) -> String {
    let name = format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let ns: Namespace = serde_json::from_value(serde_json::json!({
        "metadata": { "name": name, "labels": { "smelter.dev/test": "true" } }
    }))
    .expect("namespace literal");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {name}: {e}"));
    name
}

/// A new CF GUID.
pub fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Polls `check` every 100 ms until it holds; panics naming `what` after `timeout`.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The kubectl the test scripts built (`SMELTER_KUBECTL`), else `kubectl` on PATH.
pub fn kubectl() -> std::process::Command {
    let bin = std::env::var_os("SMELTER_KUBECTL").unwrap_or_else(|| "kubectl".into());
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("--kubeconfig").arg(kubeconfig_path());
    cmd
}

/// The test cluster's admin client configuration (for code that builds its own clients, such
/// as the api-shim's impersonating ones).
pub async fn kube_config() -> Config {
    let path = kubeconfig_path();
    let kubeconfig = Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("cannot read test kubeconfig {}: {e}", path.display()));
    Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad test kubeconfig {}: {e}", path.display()))
}

static CF_ROLES: OnceCell<()> = OnceCell::const_new();

/// Applies the chart's CF role ClusterRoles (charts/smelter/templates/cf-roles.yaml), once per
/// test process, with the test cluster's kubectl.
pub async fn install_cf_roles() {
    CF_ROLES
        .get_or_init(|| async {
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../charts/smelter/templates/cf-roles.yaml");
            let out = kubectl()
                .args(["apply", "--server-side", "--force-conflicts", "-f"])
                .arg(&file)
                .output()
                .expect("run kubectl");
            assert!(
                out.status.success(),
                "kubectl apply cf-roles.yaml: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
        .await;
}
