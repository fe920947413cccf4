//! Benchmark: 1,000 apps created at once, each with a staged droplet and one route (issue:
//! operator performance). Runs the real operator binary (release build) against the real test
//! Kubernetes (`benches/run converge`) and reports:
//! - the time until every child exists (LRP, StatefulSet, Service, Ingress) and every LRP and
//!   Route status is written, and the time until the operator's writes stop;
//! - the operator's API writes per app (its own `operator_kube_requests_total{kind="write"}`);
//! - its writes over the minute after that (goal: 0);
//! - its resident memory.
//!
//! The operator runs as an installed one does: as the chart's `smelter-operator` ServiceAccount,
//! with a token and the chart's RBAC (`templates/operator-rbac.yaml`, rendered by helm), not as
//! the cluster's admin, whose client certificate the API server would verify on every request
//! and whose authorization it would skip.
//!
//! Tier 1 has no kubelet: the StatefulSet controller creates the pods and they stay Pending, so
//! "settled" means every instance is reported STARTING with its pod.

use futures::{StreamExt, stream};
use k8s_openapi::api::{
    apps::v1::StatefulSet,
    authentication::v1::{TokenRequest, TokenRequestSpec},
    core::v1::{Namespace, Pod, Service, ServiceAccount},
    networking::v1::Ingress,
};
use kube::{
    Api, Client, ResourceExt,
    api::{ListParams, PartialObjectMeta, Patch, PatchParams, PostParams},
    runtime::{
        reflector::{self, Store},
        watcher,
    },
};
use serde_json::json;
use smelter_crds::{
    App, AppSpec, Build, BuildSpec, DesiredState, Domain, DomainSpec, HealthCheck, Lifecycle, Lrp,
    Org, OrgSpec, Process, Route, RouteSpec, Space, SpaceSpec, labels, route::Destination,
};
use smelter_test_support::{self as support, process};
use std::{
    collections::BTreeMap,
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const SPACES: usize = 20;
const APPS: usize = 1000;

/// The operator's writes so far, per resource (from its `/metrics`).
async fn writes_by_resource(health: SocketAddr) -> BTreeMap<String, u64> {
    let (_, body) = process::get(health, "/metrics").await.expect("metrics");
    body.lines()
        .filter(|l| {
            l.starts_with("smelter_operator_kube_requests_total") && l.contains("kind=\"write\"")
        })
        .filter_map(|l| {
            let resource = l.split("resource=\"").nth(1)?.split('"').next()?.to_owned();
            let n = l.split_whitespace().last()?.parse::<f64>().ok()? as u64;
            Some((resource, n))
        })
        .collect()
}

async fn writes(health: SocketAddr) -> u64 {
    writes_by_resource(health).await.values().sum()
}

fn tenant(org: &str, space: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (labels::ORG_GUID.to_owned(), org.to_owned()),
        (labels::SPACE_GUID.to_owned(), space.to_owned()),
    ])
}

/// One app as `cf push` leaves it: a staged build, the app started on its droplet, a route.
async fn push(client: Client, org: String, space: String, domain: String, i: usize) {
    let app_guid = support::guid();
    let build_guid = support::guid();
    let builds: Api<Build> = Api::namespaced(client.clone(), &space);
    let mut build = Build::new(
        &build_guid,
        BuildSpec {
            app_guid: app_guid.clone(),
            package_guid: support::guid(),
            lifecycle: Lifecycle::default(),
            staging_memory_in_mb: None,
            staging_disk_in_mb: None,
            staging_log_rate_limit_bytes_per_second: None,
        },
    );
    build.metadata.labels = Some(tenant(&org, &space));
    builds
        .create(&PostParams::default(), &build)
        .await
        .expect("build");
    let status = json!({ "status": { "state": "STAGED", "droplet": {
        "guid": build_guid,
        "checksum": { "type": "sha256", "value": "a".repeat(64) },
        "processTypes": { "web": "./server" },
        "stack": "cflinuxfs4",
    }}});
    builds
        .patch_status(&build_guid, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("build status");
    let mut app = App::new(
        &app_guid,
        AppSpec {
            name: format!("app-{i}"),
            desired_state: DesiredState::Started,
            lifecycle: Lifecycle::default(),
            current_droplet_guid: Some(build_guid),
            environment_variables_secret: None,
            processes: vec![Process {
                type_: "web".into(),
                guid: app_guid.clone(),
                command: None,
                instances: 1,
                memory_in_mb: 64,
                disk_in_mb: 256,
                log_rate_limit_in_bytes_per_second: -1,
                health_check: HealthCheck::default(),
                readiness_health_check: None,
            }],
        },
    );
    app.metadata.labels = Some(tenant(&org, &space));
    Api::<App>::namespaced(client.clone(), &space)
        .create(&PostParams::default(), &app)
        .await
        .expect("app");
    let mut route = Route::new(
        &support::guid(),
        RouteSpec {
            host: format!("app-{i}"),
            path: String::new(),
            domain_guid: domain,
            destinations: vec![Destination {
                guid: support::guid(),
                app_guid,
                process_type: "web".into(),
                port: None,
                weight: None,
                protocol: None,
            }],
        },
    );
    route.metadata.labels = Some(tenant(&org, &space));
    Api::<Route>::namespaced(client, &space)
        .create(&PostParams::default(), &route)
        .await
        .expect("route");
}

/// What the benchmark watches to see the operator's progress: one watch per kind, as the
/// operator's own caches are, so observing costs the API server a stream of events rather than
/// a list of every object twice a second (which, on two cores, slowed what it measured).
struct Observed {
    lrps: Store<Lrp>,
    routes: Store<Route>,
    statefulsets: Store<PartialObjectMeta<StatefulSet>>,
    services: Store<PartialObjectMeta<Service>>,
    ingresses: Store<PartialObjectMeta<Ingress>>,
    /// Not part of "settled" (an LRP's status names its pods), but it shows whether the
    /// StatefulSet controller or the operator is behind.
    pods: Store<PartialObjectMeta<Pod>>,
}

impl Observed {
    fn start(client: &Client) -> Self {
        fn watch<K>(api: Api<K>, config: watcher::Config) -> Store<K>
        where
            K: kube::Resource<DynamicType = ()>
                + Clone
                + serde::de::DeserializeOwned
                + std::fmt::Debug
                + Send
                + Sync
                + 'static,
        {
            let (store, writer) = reflector::store();
            let stream = reflector::reflector(writer, watcher(api, config));
            tokio::spawn(stream.for_each(|_| futures::future::ready(())));
            store
        }
        let all = watcher::Config::default;
        // Children by Smelter's label, metadata only (an `Api` of `PartialObjectMeta`).
        let ours = || watcher::Config::default().labels(labels::MANAGED_BY);
        Self {
            lrps: watch(Api::all(client.clone()), all()),
            routes: watch(Api::all(client.clone()), all()),
            statefulsets: watch(Api::all(client.clone()), ours()),
            services: watch(Api::all(client.clone()), ours()),
            ingresses: watch(Api::all(client.clone()), ours()),
            pods: watch(Api::all(client.clone()), ours()),
        }
    }

    /// How many of the children and statuses exist: (LRPs with a status for their generation
    /// and every instance's pod, StatefulSets, Services, Ingresses, served Routes, Pods).
    fn progress(&self) -> [usize; 6] {
        let settled = self
            .lrps
            .state()
            .iter()
            .filter(|l| {
                l.status.as_ref().is_some_and(|s| {
                    s.observed_generation == l.metadata.generation
                        && s.instances.len() == l.spec.instances as usize
                        && s.instances.iter().all(|i| i.pod_name.is_some())
                })
            })
            .count();
        let routes = self
            .routes
            .state()
            .iter()
            .filter(|r| {
                r.status
                    .as_ref()
                    .is_some_and(|s| s.conditions.iter().any(|c| c.status == "True"))
            })
            .count();
        [
            settled,
            self.statefulsets.state().len(),
            self.services.state().len(),
            self.ingresses.state().len(),
            routes,
            self.pods.state().len(),
        ]
    }
}

/// The CPU seconds used so far by the operator, the benchmark and each control-plane component (their pids
/// are in the cluster directory that holds the kubeconfig, `DIR/pids/NAME.pid`).
fn cpu(operator: u32) -> Vec<(String, f64)> {
    let pids = support::kubeconfig_path().with_file_name("pids");
    let mut used = vec![
        ("operator".to_owned(), process::cpu_seconds(operator)),
        // The benchmark itself: its creates and its watches share the cores.
        (
            "benchmark".to_owned(),
            process::cpu_seconds(std::process::id()),
        ),
    ];
    for name in ["kube-apiserver", "etcd", "kube-controller-manager"] {
        let pid = std::fs::read_to_string(pids.join(format!("{name}.pid")))
            .ok()
            .and_then(|p| p.trim().parse().ok());
        if let Some(pid) = pid {
            used.push((name.to_owned(), process::cpu_seconds(pid)));
        }
    }
    used
}

/// The CPU seconds the host has taken from this machine's cores so far (steal time, the
/// eighth figure of /proc/stat's `cpu` line, in ticks of 1/100 s): a virtual machine's share
/// of its host varies, and with it what the benchmark measures.
fn stolen() -> f64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()?
                .split_whitespace()
                .nth(8)?
                .parse::<u64>()
                .ok()
        })
        .map_or(0.0, |t| t as f64 / 100.0)
}

/// A kubeconfig for the operator as the chart installs it: the chart's ServiceAccount and RBAC
/// (helm renders `templates/operator-rbac.yaml` for the root namespace, kubectl applies it) and
/// a token from the TokenRequest API.
async fn operator_kubeconfig(client: &Client, root: &str) -> PathBuf {
    let helm = std::env::var_os("SMELTER_HELM").expect("SMELTER_HELM (benches/run sets it)");
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/smelter");
    let rendered = Command::new(helm)
        .args(["template", "smelter"])
        .arg(&chart)
        .args([
            "--namespace",
            root,
            "--set",
            &format!("rootNamespace={root}"),
        ])
        .args(["--show-only", "templates/operator-rbac.yaml"])
        .output()
        .expect("helm template");
    assert!(
        rendered.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let mut apply = support::kubectl()
        .args(["apply", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("kubectl apply");
    apply
        .stdin
        .take()
        .expect("kubectl stdin")
        .write_all(&rendered.stdout)
        .expect("rbac to kubectl");
    assert!(
        apply.wait().expect("kubectl apply").success(),
        "kubectl apply of the chart's RBAC"
    );
    let request = TokenRequest {
        spec: TokenRequestSpec {
            expiration_seconds: Some(3600),
            ..Default::default()
        },
        ..Default::default()
    };
    let token = Api::<ServiceAccount>::namespaced(client.clone(), root)
        .create_token_request("smelter-operator", &PostParams::default(), &request)
        .await
        .expect("token for smelter-operator")
        .status
        .expect("token request status")
        .token;
    // The admin kubeconfig's cluster (server and CA), with the ServiceAccount as its user.
    let admin: serde_json::Value = serde_json::from_slice(
        &support::kubectl()
            .args(["config", "view", "--raw", "-o", "json"])
            .output()
            .expect("kubectl config view")
            .stdout,
    )
    .expect("kubeconfig as JSON");
    let kubeconfig = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{ "name": "smelter-operator", "user": { "token": token } }],
        "contexts": [{ "name": "operator", "context": {
            "cluster": admin["clusters"][0]["name"], "user": "smelter-operator" } }],
        "current-context": "operator",
    });
    let path = support::kubeconfig_path().with_file_name("operator.kubeconfig");
    std::fs::write(&path, kubeconfig.to_string()).expect("operator kubeconfig");
    path
}

#[tokio::main]
async fn main() {
    let client = support::client().await;
    support::install_crds(&client).await;
    let root = support::namespace(&client, "bench-root").await;
    let operator_kubeconfig = operator_kubeconfig(&client, &root).await;
    let health = process::free_port();
    let operator = process::Running::start(
        Path::new(env!("CARGO_BIN_EXE_operator")),
        &[
            ("SMELTER_HEALTH_ADDR", health.to_string()),
            ("SMELTER_ROOT_NAMESPACE", root.clone()),
            ("KUBECONFIG", operator_kubeconfig.display().to_string()),
            ("RUST_LOG", "warn".into()),
        ],
    );
    support::wait_for("operator ready", Duration::from_secs(60), || async {
        process::get(health, "/readyz")
            .await
            .is_some_and(|(s, _)| s == 200)
    })
    .await;

    // Tenancy first: the org and the spaces, whose namespaces the operator makes.
    let org = support::guid();
    Api::<Org>::namespaced(client.clone(), &root)
        .create(
            &PostParams::default(),
            &Org::new(
                &org,
                OrgSpec {
                    name: "bench".into(),
                    suspended: false,
                    ..Default::default()
                },
            ),
        )
        .await
        .expect("org");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    support::wait_for("org namespace", Duration::from_secs(60), || async {
        namespaces.get_opt(&org).await.ok().flatten().is_some()
    })
    .await;
    let spaces: Vec<String> = (0..SPACES).map(|_| support::guid()).collect();
    for (i, s) in spaces.iter().enumerate() {
        Api::<Space>::namespaced(client.clone(), &org)
            .create(
                &PostParams::default(),
                &Space::new(
                    s,
                    SpaceSpec {
                        name: format!("space-{i}"),
                        allow_ssh: false,
                        ..Default::default()
                    },
                ),
            )
            .await
            .expect("space");
    }
    let selector = format!("{}={org}", labels::ORG_GUID);
    support::wait_for("space namespaces", Duration::from_secs(120), || async {
        namespaces
            .list_metadata(&ListParams::default().labels(&selector))
            .await
            .is_ok_and(|l| {
                l.items
                    .iter()
                    .filter(|n| spaces.contains(&n.name_any()))
                    .count()
                    == SPACES
            })
    })
    .await;
    let domain = support::guid();
    Api::<Domain>::namespaced(client.clone(), &root)
        .create(
            &PostParams::default(),
            &Domain::new(
                &domain,
                DomainSpec {
                    name: "apps.bench.example".into(),
                    internal: false,
                    organization_guid: None,
                    shared_organization_guids: vec![],
                },
            ),
        )
        .await
        .expect("domain");
    tokio::time::sleep(Duration::from_secs(2)).await;

    let by_resource_before = writes_by_resource(health).await;
    let w0 = writes(health).await;
    let observed = Observed::start(&client);
    let cpu_before = cpu(operator.pid());
    let stolen_before = stolen();
    let started = Instant::now();
    stream::iter(0..APPS)
        .for_each_concurrent(32, |i| {
            push(
                client.clone(),
                org.clone(),
                spaces[i % SPACES].clone(),
                domain.clone(),
                i,
            )
        })
        .await;
    let created = started.elapsed();
    let mut last = [0; 6];
    let mut ticks = 0;
    while last[..5].iter().any(|n| *n < APPS) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        last = observed.progress();
        ticks += 1;
        // Where the time goes: which children or statuses lag.
        if ticks % 10 == 0 {
            eprintln!(
                "{:>5.1} s: LRP statuses {}, StatefulSets {}, Pods {}, Services {}, Ingresses {}, Route statuses {}",
                started.elapsed().as_secs_f64(),
                last[0],
                last[1],
                last[5],
                last[2],
                last[3],
                last[4]
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "not settled after 15 minutes: {last:?}"
        );
    }
    let settled = started.elapsed();
    let cpu_settled = cpu(operator.pid());
    let stolen_until_settled = stolen() - stolen_before;
    // The operator is done when its writes stop (5 s without one).
    let mut w = writes(health).await;
    let mut quiet_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = writes(health).await;
        if now != w {
            w = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_secs(5) {
            break;
        }
    }
    let writes_stopped = quiet_since.duration_since(started);
    let w1 = writes(health).await;
    let by_resource = writes_by_resource(health).await;
    let rss_settled = process::rss_kib(operator.pid());
    tokio::time::sleep(Duration::from_secs(60)).await;
    let w2 = writes(health).await;
    let rss = process::rss_kib(operator.pid());

    println!("{APPS} apps in {SPACES} spaces, each with a staged droplet and one route");
    println!(
        "objects created by the benchmark in {:.1} s",
        created.as_secs_f64()
    );
    println!(
        "every LRP, StatefulSet, Service, Ingress and Route status in place after {:.1} s",
        settled.as_secs_f64()
    );
    println!(
        "operator writes stopped after {:.1} s",
        writes_stopped.as_secs_f64()
    );
    // What each process used of the CPU seconds there were (cores × time).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpus = cpu_settled
        .iter()
        .zip(&cpu_before)
        .map(|((name, after), (_, before))| format!("{name} {:.0} s", after - before))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "CPU used until settled: {cpus}, of {:.0} s on {cores} cores ({stolen_until_settled:.0} s taken by the host)",
        cores as f64 * settled.as_secs_f64()
    );
    println!(
        "operator API writes: {} for {APPS} apps = {:.2} per app",
        w1 - w0,
        (w1 - w0) as f64 / APPS as f64
    );
    for (resource, n) in &by_resource {
        let n = n - by_resource_before.get(resource).copied().unwrap_or(0);
        if n > 0 {
            println!("  {resource}: {:.2} per app", n as f64 / APPS as f64);
        }
    }
    println!(
        "operator API writes in the settled minute after: {}",
        w2 - w1
    );
    println!(
        "operator resident memory: {:.1} MB settled, {:.1} MB a minute later",
        rss_settled as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    operator.terminate(Duration::from_secs(30));
}
