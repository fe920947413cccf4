//! The CRDs against the real test Kubernetes (tier 1): they install, accept valid objects,
//! refuse invalid ones with their rules' messages, and keep status behind its subresource.

use kube::{
    Api, Client, Resource,
    api::{ApiResource, DynamicObject, Patch, PatchParams, PostParams},
    core::GroupVersionKind,
};
use serde_json::{Value, json};
use smelter_test_support as support;

const CRDS: &[(&str, &str)] = &[
    ("Org", "orgs"),
    ("Space", "spaces"),
    ("App", "apps"),
    ("Package", "packages"),
    ("Build", "builds"),
    ("LRP", "lrps"),
    ("Route", "routes"),
    ("Domain", "domains"),
    ("Task", "tasks"),
    ("ServiceInstance", "serviceinstances"),
    ("ServiceBinding", "servicebindings"),
    ("Buildpack", "buildpacks"),
];

fn api(client: &Client, ns: &str, kind: &str) -> Api<DynamicObject> {
    let plural = CRDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, p)| *p)
        .unwrap_or_else(|| panic!("unknown kind {kind}"));
    let gvk = GroupVersionKind::gvk(smelter_crds::GROUP, smelter_crds::VERSION, kind);
    Api::namespaced_with(
        client.clone(),
        ns,
        &ApiResource::from_gvk_with_plural(&gvk, plural),
    )
}

fn object(kind: &str, name: &str, spec: Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": format!("{}/{}", smelter_crds::GROUP, smelter_crds::VERSION),
        "kind": kind,
        "metadata": { "name": name },
        "spec": spec,
    }))
    .expect("object literal")
}

async fn create(
    client: &Client,
    ns: &str,
    kind: &str,
    name: &str,
    spec: Value,
) -> Result<DynamicObject, kube::Error> {
    api(client, ns, kind)
        .create(&PostParams::default(), &object(kind, name, spec))
        .await
}

/// A valid spec of every kind, as the api-shim and operator would write them.
fn valid_specs(app: &str, package: &str) -> Vec<(&'static str, Value)> {
    let sha256 = "a".repeat(64);
    vec![
        ("Org", json!({ "name": "my-org" })),
        ("Space", json!({ "name": "dev" })),
        (
            "App",
            json!({ "name": "dora", "desiredState": "STARTED", "lifecycle": { "type": "buildpack", "buildpacks": ["binary_buildpack"], "stack": "cflinuxfs4" } }),
        ),
        ("Package", json!({ "appGuid": app, "type": "bits" })),
        (
            "Build",
            json!({ "appGuid": app, "packageGuid": package, "lifecycle": { "type": "buildpack" } }),
        ),
        (
            "LRP",
            json!({ "appGuid": app, "processType": "web", "instances": 2, "memoryInMb": 256, "diskInMb": 1024,
            "healthCheck": { "type": "http", "endpoint": "/health", "timeout": 60 },
            "droplet": { "guid": support::guid(), "checksum": { "type": "sha256", "value": sha256 } } }),
        ),
        (
            "Route",
            json!({ "host": "dora", "path": "/api", "domainGuid": support::guid(),
            "destinations": [{ "guid": support::guid(), "appGuid": app, "processType": "web", "port": 8080 }] }),
        ),
        ("Domain", json!({ "name": "apps.smelter.test" })),
        (
            "Task",
            json!({ "name": "migrate", "appGuid": app, "command": "rake db:migrate", "memoryInMb": 256, "diskInMb": 512,
            "droplet": { "guid": support::guid(), "checksum": { "type": "sha256", "value": "b".repeat(64) } } }),
        ),
        (
            "ServiceInstance",
            json!({ "name": "db", "type": "user-provided", "credentialsSecret": "db-credentials" }),
        ),
        (
            "ServiceBinding",
            json!({ "type": "app", "appGuid": app, "serviceInstanceGuid": support::guid() }),
        ),
        (
            "Buildpack",
            json!({ "name": "binary_buildpack", "position": 1, "stack": "cflinuxfs4" }),
        ),
    ]
}

#[tokio::test]
async fn every_crd_installs_and_becomes_established() {
    let client = support::client().await;
    support::install_crds(&client).await;
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(client.clone());
    for crd in smelter_crds::all_crds() {
        let name = crd.metadata.name.expect("named");
        let live = crds
            .get(&name)
            .await
            .unwrap_or_else(|e| panic!("{name} not installed: {e}"));
        let established = live.status.and_then(|s| s.conditions).is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
        });
        assert!(established, "{name} is not Established");
    }
}

#[tokio::test]
async fn valid_objects_of_every_kind_are_accepted_and_kubectl_get_cf_shows_them() {
    let client = support::client().await;
    support::install_crds(&client).await;
    let ns = support::namespace(&client, "crd-valid").await;
    let (app, package) = (support::guid(), support::guid());
    let mut names = Vec::new();
    for (kind, spec) in valid_specs(&app, &package) {
        let name = match kind {
            "App" => app.clone(),
            "Package" => package.clone(),
            _ => support::guid(),
        };
        create(&client, &ns, kind, &name, spec)
            .await
            .unwrap_or_else(|e| panic!("valid {kind} refused: {e}"));
        names.push((kind, name));
    }

    let out = support::kubectl()
        .args(["get", "cf", "-A"])
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl get cf -A failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for (kind, name) in &names {
        let qualified = format!("{}.{}/{name}", kind.to_lowercase(), smelter_crds::GROUP);
        assert!(
            text.lines()
                .any(|l| l.starts_with(&ns) && l.contains(&qualified)),
            "kubectl get cf -A does not list {qualified} in {ns}:\n{text}"
        );
    }

    // The printer columns that make `kubectl get apps,builds,lrps,routes` useful at a glance.
    let columns = |resource: &str| {
        let out = support::kubectl()
            .args(["get", resource, "-n", &ns])
            .output()
            .expect("run kubectl");
        assert!(
            out.status.success(),
            "kubectl get {resource}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let apps = columns("apps.cf.smelter.dev");
    assert_header(
        &apps,
        &["NAME", "CF-NAME", "STATE", "READY", "RUNNING", "AGE"],
    );
    assert!(
        apps.contains("dora") && apps.contains("STARTED"),
        "app row lacks name/state:\n{apps}"
    );
    let lrps = columns("lrps");
    assert_header(
        &lrps,
        &["NAME", "PROCESS", "DESIRED", "RUNNING", "CRASHED", "AGE"],
    );
    assert!(
        lrps.lines()
            .nth(1)
            .is_some_and(|row| row.split_whitespace().nth(1) == Some("web")
                && row.split_whitespace().nth(2) == Some("2")),
        "lrp row:\n{lrps}"
    );
    let routes = columns("routes.cf.smelter.dev");
    assert_header(&routes, &["NAME", "HOST", "PATH", "URL", "READY", "AGE"]);
    assert!(
        routes.contains("dora") && routes.contains("/api"),
        "route row:\n{routes}"
    );
    let builds = columns("cfbuild");
    assert_header(&builds, &["NAME", "APP", "STATE", "AGE"]);
}

fn assert_header(table: &str, want: &[&str]) {
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, want, "columns of:\n{table}");
}

/// Objects the API server must refuse, and a fragment of the message it must give.
fn invalid_cases(app: &str) -> Vec<(&'static str, &'static str, String, Value, &'static str)> {
    let good = support::guid();
    vec![
        (
            "app whose name is not a GUID",
            "App",
            "my-app".into(),
            json!({ "name": "x" }),
            "metadata.name must be a CF GUID",
        ),
        (
            "app with an empty name",
            "App",
            good.clone(),
            json!({ "name": "" }),
            "name must not be empty",
        ),
        (
            "app without a name",
            "App",
            support::guid(),
            json!({ "desiredState": "STARTED" }),
            "spec.name: Required value",
        ),
        (
            "app with an unknown state",
            "App",
            support::guid(),
            json!({ "name": "a", "desiredState": "RUNNING" }),
            "Unsupported value: \"RUNNING\"",
        ),
        (
            "org name too long",
            "Org",
            support::guid(),
            json!({ "name": "o".repeat(256) }),
            "Too long",
        ),
        (
            "route host with a space",
            "Route",
            support::guid(),
            json!({ "host": "bad host", "domainGuid": good }),
            "host must be a DNS label",
        ),
        (
            "route path of /",
            "Route",
            support::guid(),
            json!({ "host": "a", "path": "/", "domainGuid": good }),
            "path must start with /, must not be / alone",
        ),
        (
            "domain with one label",
            "Domain",
            support::guid(),
            json!({ "name": "localhost" }),
            "at least two labels",
        ),
        (
            "domain with upper case",
            "Domain",
            support::guid(),
            json!({ "name": "Apps.Example.com" }),
            "lowercase domain name",
        ),
        (
            "negative instances",
            "LRP",
            support::guid(),
            json!({ "appGuid": app, "processType": "web", "instances": -1, "memoryInMb": 1, "diskInMb": 1, "image": "x" }),
            "spec.instances: Invalid value: -1",
        ),
        (
            "LRP with droplet and image",
            "LRP",
            support::guid(),
            json!({ "appGuid": app, "processType": "web", "instances": 1, "memoryInMb": 1, "diskInMb": 1, "image": "x",
            "droplet": { "guid": good, "checksum": { "type": "sha256", "value": "c".repeat(64) } } }),
            "either a droplet or an image",
        ),
        (
            "http health check without endpoint",
            "LRP",
            support::guid(),
            json!({ "appGuid": app, "processType": "web", "instances": 1, "memoryInMb": 1, "diskInMb": 1, "image": "x",
            "healthCheck": { "type": "http" } }),
            "an http health check needs an endpoint",
        ),
        (
            "bad process type",
            "LRP",
            support::guid(),
            json!({ "appGuid": app, "processType": "we b", "instances": 1, "memoryInMb": 1, "diskInMb": 1, "image": "x" }),
            "processType must be",
        ),
        (
            "bad checksum",
            "Task",
            support::guid(),
            json!({ "name": "t", "appGuid": app, "command": "c", "memoryInMb": 1, "diskInMb": 1,
            "droplet": { "guid": good, "checksum": { "type": "sha256", "value": "XYZ" } } }),
            "checksum value must be",
        ),
        (
            "docker package without image",
            "Package",
            support::guid(),
            json!({ "appGuid": app, "type": "docker" }),
            "a docker package needs an image",
        ),
        (
            "buildpack name with a slash",
            "Buildpack",
            support::guid(),
            json!({ "name": "a/b", "position": 1 }),
            "name must be letters",
        ),
        (
            "buildpack position 0",
            "Buildpack",
            support::guid(),
            json!({ "name": "a", "position": 0 }),
            "spec.position: Invalid value: 0",
        ),
        (
            "app binding without app",
            "ServiceBinding",
            support::guid(),
            json!({ "type": "app", "serviceInstanceGuid": good }),
            "an app binding needs an appGuid",
        ),
    ]
}

#[tokio::test]
async fn invalid_objects_are_refused_with_the_rules_message() {
    let client = support::client().await;
    support::install_crds(&client).await;
    let ns = support::namespace(&client, "crd-invalid").await;
    let mut failures = Vec::new();
    for (case, kind, name, spec, want) in invalid_cases(&support::guid()) {
        match create(&client, &ns, kind, &name, spec).await {
            Ok(_) => failures.push(format!("{case}: accepted")),
            Err(kube::Error::Api(status))
                if status.code == 422 && status.message.contains(want) => {}
            Err(e) => failures.push(format!("{case}: wanted 422 with {want:?}, got {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing invalid was stored.
    for (kind, _) in CRDS {
        let left = api(&client, &ns, kind)
            .list(&Default::default())
            .await
            .expect("list");
        assert!(
            left.items.is_empty(),
            "{kind} objects stored despite refusal: {:?}",
            left.items
                .iter()
                .map(|o| o.meta().name.clone())
                .collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn immutable_fields_cannot_change() {
    let client = support::client().await;
    support::install_crds(&client).await;
    let ns = support::namespace(&client, "crd-immutable").await;
    let (app, package) = (support::guid(), support::guid());
    let specs = valid_specs(&app, &package);
    let spec_of = |kind: &str| {
        specs
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, s)| s.clone())
            .expect("kind")
    };
    let changes: Vec<(&str, Value, &str)> = vec![
        (
            "Package",
            json!({ "appGuid": support::guid() }),
            "a package's spec is immutable",
        ),
        (
            "Build",
            json!({ "packageGuid": support::guid() }),
            "a build's spec is immutable",
        ),
        (
            "LRP",
            json!({ "processType": "worker" }),
            "an LRP's appGuid and processType are immutable",
        ),
        (
            "Route",
            json!({ "host": "other" }),
            "a route's host, path and domainGuid are immutable",
        ),
        (
            "Domain",
            json!({ "name": "other.smelter.test" }),
            "a domain's name is immutable",
        ),
        (
            "ServiceBinding",
            json!({ "appGuid": support::guid() }),
            "a service binding's spec is immutable",
        ),
        (
            "Task",
            json!({ "command": "rm -rf /" }),
            "a task's appGuid, command and droplet are immutable",
        ),
    ];
    let mut failures = Vec::new();
    for (kind, patch, want) in changes {
        let name = support::guid();
        create(&client, &ns, kind, &name, spec_of(kind))
            .await
            .unwrap_or_else(|e| panic!("valid {kind}: {e}"));
        let before = api(&client, &ns, kind).get(&name).await.expect("get");
        let result = api(&client, &ns, kind)
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({ "spec": patch })),
            )
            .await;
        match result {
            Ok(_) => failures.push(format!("{kind}: change accepted")),
            Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains(want) => {}
            Err(e) => failures.push(format!("{kind}: wanted 422 with {want:?}, got {e}")),
        }
        let after = api(&client, &ns, kind).get(&name).await.expect("get");
        assert_eq!(
            before.data["spec"], after.data["spec"],
            "{kind} spec changed despite refusal"
        );
    }
    // Mutable fields stay mutable: scaling an LRP and moving a route's destinations.
    let lrp = support::guid();
    create(&client, &ns, "LRP", &lrp, spec_of("LRP"))
        .await
        .expect("LRP");
    api(&client, &ns, "LRP")
        .patch(
            &lrp,
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "instances": 5 } })),
        )
        .await
        .expect("scaling an LRP is allowed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn status_changes_only_through_the_status_subresource() {
    let client = support::client().await;
    support::install_crds(&client).await;
    let ns = support::namespace(&client, "crd-status").await;
    let app = support::guid();
    let builds = api(&client, &ns, "Build");
    let name = support::guid();
    let mut obj = object(
        "Build",
        &name,
        json!({ "appGuid": app, "packageGuid": support::guid() }),
    );
    obj.data["status"] = json!({ "state": "STAGED" });
    builds
        .create(&PostParams::default(), &obj)
        .await
        .expect("create build");
    let created = builds.get(&name).await.expect("get");
    assert!(
        created.data.get("status").is_none_or(Value::is_null),
        "status was set on create: {:?}",
        created.data["status"]
    );

    // A write to the main resource ignores status.
    builds
        .patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": { "state": "FAILED" } })),
        )
        .await
        .expect("patch main resource");
    let got = builds.get(&name).await.expect("get");
    assert!(
        got.data.get("status").is_none_or(Value::is_null),
        "status changed through the main resource"
    );

    // The status subresource changes status, and ignores spec.
    let patched = builds
        .patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "appGuid": support::guid() }, "status": { "state": "STAGED", "observedGeneration": 1 } })),
        )
        .await
        .expect("patch status");
    assert_eq!(patched.data["status"]["state"], "STAGED");
    assert_eq!(
        patched.data["spec"]["appGuid"], app,
        "spec changed through the status subresource"
    );
    // The status schema is validated too.
    let bad = builds
        .patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": { "state": "DONE" } })),
        )
        .await;
    assert!(
        matches!(bad, Err(kube::Error::Api(ref s)) if s.code == 422),
        "bad status accepted: {bad:?}"
    );
}
