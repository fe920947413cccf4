//! Korifi's API server as the peer this benchmark times the api-shim against: its CRDs, the
//! objects it reads (as its controllers and webhooks would have left them), its config, and
//! the process. Facts taken from Korifi's source (v0.18.0), which is built by
//! `tests/k8s/tools.sh build korifi-api` and never copied here:
//!
//! - Config: `APICONFIG` names a directory; every file in it is YAML decoded into one struct.
//!   It serves HTTPS only, with `tls.crt`/`tls.key` from `$CERT_PATH` and `$INTERNAL_CERT_PATH`
//!   (which must also hold `ca.crt`), on `:internalPort`. Its own Kubernetes client comes from
//!   `KUBECONFIG`.
//! - Client rate limit: `experimental.k8sClient.{qps,burst}` become the rest config's QPS and
//!   burst, for its own client and every per-user client. 0 means client-go's default (5/s,
//!   burst 10); a negative QPS turns the limiter off. (Its Helm chart writes the key as
//!   `k8sclient`, which the case-sensitive YAML decoder ignores, so a stock install runs at
//!   5/s.) This benchmark turns it off, as the earlier side-by-side measurement did.
//! - Auth: the caller's own Kubernetes credentials, passed through: `Authorization: bearer
//!   TOKEN` or `Authorization: ClientCert BASE64(cert PEM + key PEM)`. Identity is the cert's CN.
//! - Visibility: a space is visible when its namespace carries the `space-name` label and holds
//!   a RoleBinding naming the user (any role); Korifi lists every RoleBinding in the cluster and
//!   every labelled namespace for it on each request. A user without a RoleBinding in the root
//!   namespace gets a "no CF roles" warning, so the admin has one there too, as an install's
//!   admin binding (propagated to every org and space by Korifi's controllers) gives.
//! - `GET /v3/apps` lists CFApps as a Table (names only) with label selectors on `guid`,
//!   `space-guid` and `display-name` (SHA-224 of the name, hex), then gets the page's objects
//!   with a `guid in (...)` selector; `created_at` must parse. Status is not read.

use base64::Engine;
use k8s_openapi::{
    api::rbac::v1::{ClusterRole, RoleBinding},
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    jiff,
};
use kube::{
    Api, Client,
    api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams},
};
use serde_json::json;
use sha2::{Digest, Sha224};
use smelter_test_support::{self as support, process};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

const GROUP: &str = "korifi.cloudfoundry.org";
const LABEL: &str = "korifi.cloudfoundry.org/";
/// The CN of the test cluster's admin certificate (tests/k8s/cluster.sh): the identity Korifi
/// sees for requests with that certificate.
const ADMIN_USER: &str = "smelter-admin";
/// The ClusterRole the admin's RoleBindings name, as Korifi's role mappings call the admin.
const ADMIN_ROLE: &str = "korifi-controllers-admin";

/// The built API server (`SMELTER_KORIFI_API`, set by `benches/run reads`) and its CRDs.
pub struct Tool {
    pub bin: PathBuf,
    pub crds: PathBuf,
}

pub fn tool() -> Tool {
    let bin = PathBuf::from(std::env::var_os("SMELTER_KORIFI_API").expect(
        "SMELTER_KORIFI_API is not set: run this benchmark with `benches/run reads`, which builds \
         Korifi's API server (tests/k8s/tools.sh build korifi-api)",
    ));
    let crds = bin.parent().expect("korifi-api's directory").join("crds");
    Tool { bin, crds }
}

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(GROUP, "v1alpha1", kind), plural)
}

fn sha224(value: &str) -> String {
    Sha224::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The labels Korifi's webhooks put on every CF object (`guid`, `created_at`, in its
/// `2006-01-02T15-04-05` layout), plus the given ones.
fn labels(guid: &str, more: serde_json::Value) -> serde_json::Value {
    let mut labels = json!({
        format!("{LABEL}guid"): guid,
        format!("{LABEL}created_at"): jiff::Timestamp::now().strftime("%Y-%m-%dT%H-%M-%S").to_string(),
    });
    if let (Some(all), serde_json::Value::Object(more)) = (labels.as_object_mut(), more) {
        all.extend(more);
    }
    labels
}

/// Installs Korifi's CRDs and the admin's ClusterRole, and waits until the CRDs are served.
pub async fn install(client: &Client, crds: &Path) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let params = PatchParams::apply(support::FIELD_MANAGER).force();
    let mut names = Vec::new();
    let files = std::fs::read_dir(crds)
        .unwrap_or_else(|e| panic!("Korifi's CRDs in {}: {e}", crds.display()));
    for file in files {
        let path = file.expect("CRD directory entry").path();
        let text = std::fs::read_to_string(&path).expect("read CRD");
        let crd: CustomResourceDefinition = serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is no CRD: {e}", path.display()));
        let name = crd.metadata.name.clone().expect("CRD has a name");
        api.patch(&name, &params, &Patch::Apply(&crd))
            .await
            .unwrap_or_else(|e| panic!("API server refused CRD {name}: {e}"));
        names.push(name);
    }
    assert!(!names.is_empty(), "no CRDs in {}", crds.display());
    for name in names {
        support::wait_for(
            &format!("CRD {name} served"),
            Duration::from_secs(60),
            || {
                let (api, name) = (api.clone(), name.clone());
                async move {
                    api.get_opt(&name).await.ok().flatten().is_some_and(|c| {
                        c.status.and_then(|s| s.conditions).is_some_and(|cs| {
                            cs.iter()
                                .any(|c| c.type_ == "Established" && c.status == "True")
                        })
                    })
                }
            },
        )
        .await;
    }
    // The admin is system:masters, so the role's rules grant nothing new: Korifi only checks
    // that a RoleBinding names the user. Read access keeps the bindings meaningful.
    let role: ClusterRole = serde_json::from_value(json!({
        "metadata": { "name": ADMIN_ROLE },
        "rules": [{ "apiGroups": [GROUP], "resources": ["*"], "verbs": ["get", "list", "watch"] }]
    }))
    .expect("cluster role literal");
    Api::<ClusterRole>::all(client.clone())
        .patch(ADMIN_ROLE, &params, &Patch::Apply(&role))
        .await
        .expect("admin cluster role");
}

/// A RoleBinding of the admin in `namespace`: what makes the namespace's space visible.
pub async fn create_admin_role_binding(client: &Client, namespace: &str) {
    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": { "name": "cf-admin", "namespace": namespace },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ADMIN_ROLE },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": ADMIN_USER }]
    }))
    .expect("role binding literal");
    Api::<RoleBinding>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &binding)
        .await
        .expect("admin role binding");
}

pub fn org_namespace_labels(org: &str, name: &str) -> serde_json::Value {
    json!({ format!("{LABEL}org-name"): sha224(name), format!("{LABEL}org-guid"): org })
}

pub fn org_namespace_annotations(name: &str) -> serde_json::Value {
    json!({ format!("{LABEL}org-name"): name })
}

pub fn space_namespace_labels(space: &str, org: &str, name: &str) -> serde_json::Value {
    json!({
        format!("{LABEL}space-name"): sha224(name),
        format!("{LABEL}space-guid"): space,
        format!("{LABEL}org-guid"): org,
    })
}

pub fn space_namespace_annotations(name: &str) -> serde_json::Value {
    json!({ format!("{LABEL}space-name"): name })
}

/// Creates a CF object and marks it Ready, as Korifi's controllers would once its namespace
/// exists (orgs and spaces; the API waits for Ready when it creates them).
async fn create_ready(api: Api<DynamicObject>, object: serde_json::Value, guid: &str) {
    let object: DynamicObject = serde_json::from_value(object).expect("CF object literal");
    api.create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("create {guid}: {e}"));
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let status = json!({ "status": {
        "guid": guid,
        "observedGeneration": 1,
        "conditions": [{
            "type": "Ready", "status": "True", "reason": "Ready", "message": "",
            "lastTransitionTime": now, "observedGeneration": 1
        }]
    }});
    api.patch_status(guid, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap_or_else(|e| panic!("status of {guid}: {e}"));
}

pub async fn create_org(client: &Client, root: &str, org: &str, name: &str) {
    let ar = resource("CFOrg", "cforgs");
    let object = json!({
        "apiVersion": ar.api_version, "kind": ar.kind,
        "metadata": { "name": org, "namespace": root,
                      "labels": labels(org, json!({ format!("{LABEL}org-name"): sha224(name) })) },
        "spec": { "displayName": name }
    });
    create_ready(Api::namespaced_with(client.clone(), root, &ar), object, org).await;
}

pub async fn create_space(client: &Client, org: &str, space: &str, name: &str) {
    let ar = resource("CFSpace", "cfspaces");
    let object = json!({
        "apiVersion": ar.api_version, "kind": ar.kind,
        "metadata": { "name": space, "namespace": org,
                      "labels": labels(space, json!({ format!("{LABEL}space-name"): sha224(name) })) },
        "spec": { "displayName": name }
    });
    create_ready(
        Api::namespaced_with(client.clone(), org, &ar),
        object,
        space,
    )
    .await;
}

/// A CFApp as Korifi's API and webhooks write one for `cf create-app`: the labels its lists
/// select on and the revision annotation; no status, which `GET /v3/apps` does not read (the
/// Smelter App beside it has none either).
pub async fn create_app(client: &Client, space: &str, guid: &str, name: &str) {
    let ar = resource("CFApp", "cfapps");
    let object: DynamicObject = serde_json::from_value(json!({
        "apiVersion": ar.api_version, "kind": ar.kind,
        "metadata": {
            "name": guid, "namespace": space,
            "labels": labels(guid, json!({
                format!("{LABEL}space-guid"): space,
                format!("{LABEL}display-name"): sha224(name),
                format!("{LABEL}deployment-status"): "ACTIVE",
            })),
            "annotations": { format!("{LABEL}app-rev"): "0" }
        },
        "spec": {
            "displayName": name,
            "desiredState": "STOPPED",
            "envSecretName": format!("{guid}-env"),
            "lifecycle": { "type": "buildpack", "data": { "stack": "cflinuxfs4" } }
        }
    }))
    .expect("CFApp literal");
    Api::<DynamicObject>::namespaced_with(client.clone(), space, &ar)
        .create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("create CFApp {guid}: {e}"));
}

/// Korifi's API server, running against the test cluster as its admin.
pub struct Server {
    pub process: process::Running,
    pub base: String,
    pub http: reqwest::Client,
    /// The admin's client certificate and key, in Korifi's `ClientCert` scheme.
    pub authorization: String,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(tool: &Tool, root: &str) -> Self {
        let kubeconfig = support::kubeconfig_path();
        // tests/k8s/cluster.sh keeps its certificates beside the kubeconfig.
        let pki = kubeconfig.parent().expect("cluster directory").join("pki");
        let read = |f: &str| {
            std::fs::read(pki.join(f)).unwrap_or_else(|e| panic!("{}: {e}", pki.join(f).display()))
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let (config, tls) = (dir.path().join("config"), dir.path().join("tls"));
        std::fs::create_dir_all(&config).expect("config dir");
        std::fs::create_dir_all(&tls).expect("tls dir");
        // The kube-apiserver's serving certificate names 127.0.0.1 and is signed by the
        // cluster's CA: a loopback server's certificate that the client can verify.
        std::fs::write(tls.join("tls.crt"), read("apiserver.crt")).expect("tls.crt");
        std::fs::write(tls.join("tls.key"), read("apiserver.key")).expect("tls.key");
        std::fs::write(tls.join("ca.crt"), read("ca.crt")).expect("ca.crt");
        let port = process::free_port().port();
        std::fs::write(
            config.join("korifi_api_config.yaml"),
            config_yaml(root, port),
        )
        .expect("korifi config");
        let process = process::Running::start(
            &tool.bin,
            &[
                ("APICONFIG", config.display().to_string()),
                ("CERT_PATH", tls.display().to_string()),
                ("INTERNAL_CERT_PATH", tls.display().to_string()),
            ],
        );
        let ca = reqwest::Certificate::from_pem(&read("ca.crt")).expect("cluster CA");
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            // One connection per client, as the api-shim is measured (Korifi offers HTTP/2).
            .http1_only()
            .build()
            .expect("https client");
        let mut pem = read("admin.crt");
        pem.extend(read("admin.key"));
        let authorization = format!(
            "ClientCert {}",
            base64::engine::general_purpose::STANDARD.encode(pem)
        );
        let base = format!("https://127.0.0.1:{port}");
        support::wait_for("Korifi's API answers", Duration::from_secs(60), || {
            let (http, url) = (http.clone(), format!("{base}/"));
            async move {
                http.get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await;
        Self {
            process,
            base,
            http,
            authorization,
            _dir: dir,
        }
    }
}

/// Korifi's config: what its validation requires (external FQDN, builder name), the root
/// namespace, request logs off (as the api-shim runs with RUST_LOG=warn), and the client rate
/// limiter off (a negative QPS).
fn config_yaml(root: &str, port: u16) -> String {
    format!(
        "externalFQDN: 127.0.0.1
externalPort: {port}
internalFQDN: 127.0.0.1
internalPort: {port}
rootNamespace: {root}
builderName: kpack-image-builder
runnerName: statefulset-runner
defaultDomainName: apps.bench.invalid
containerRepositoryPrefix: bench/
defaultLifecycleConfig:
  type: buildpack
  stack: cflinuxfs4
  stagingMemoryMB: 1024
logLevel: error
list:
  defaultPageSize: 50
experimental:
  k8sClient:
    qps: -1
    burst: -1
"
    )
}
