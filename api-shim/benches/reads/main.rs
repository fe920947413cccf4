//! Benchmark: API reads served from watch caches (issue: api-shim performance).
//!
//! With 1,000 apps in 100 spaces, measures the median latency of `GET /v3/apps?per_page=5000`
//! and of `GET /v3/apps?names=X&space_guids=Y`, the API-server requests those reads cause (from
//! the api-shim's own request counter), and the api-shim's resident memory. It runs the real
//! api-shim binary (release build) against the real test Kubernetes: `benches/run reads`.

use futures::{StreamExt, stream};
use k8s_openapi::{
    ByteString,
    api::core::v1::{Namespace, Secret},
};
use kube::{Api, api::PostParams};
use smelter_crds::{App, AppSpec, Org, OrgSpec, Space, SpaceSpec};
use smelter_test_support::{self as support, process};
use std::{
    path::Path,
    time::{Duration, Instant},
};

const SPACES: usize = 100;
const APPS_PER_SPACE: usize = 10;

fn percentile(mut xs: Vec<Duration>, p: f64) -> Duration {
    xs.sort();
    xs[((xs.len() as f64 - 1.0) * p).round() as usize]
}

async fn kube_requests(health: std::net::SocketAddr) -> u64 {
    let (_, body) = process::get(health, "/metrics").await.expect("metrics");
    body.lines()
        .find(|l| l.starts_with("smelter_api_shim_kube_requests_total"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map(|v| v as u64)
        .expect("request counter on /metrics")
}

#[tokio::main]
async fn main() {
    let client = support::client().await;
    support::install_crds(&client).await;
    support::install_cf_roles().await;
    let root = support::namespace(&client, "bench-root").await;
    let password = "bench-password";
    let entry = smelter_api_shim::auth::users::entry_json(&support::guid(), password, true, 4)
        .expect("hash");
    Api::<Secret>::namespaced(client.clone(), &root)
        .create(
            &PostParams::default(),
            &Secret {
                metadata: kube::api::ObjectMeta {
                    name: Some("smelter-users".into()),
                    ..Default::default()
                },
                data: Some([("admin".to_owned(), ByteString(entry.into_bytes()))].into()),
                ..Default::default()
            },
        )
        .await
        .expect("users");

    // The objects the operator and api-shim would have written, made directly for speed.
    let org = support::guid();
    Api::<Org>::namespaced(client.clone(), &root)
        .create(
            &PostParams::default(),
            &Org::new(
                &org,
                OrgSpec {
                    name: "bench".into(),
                    suspended: false,
                },
            ),
        )
        .await
        .expect("org");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns = |name: &str| {
        serde_json::from_value::<Namespace>(serde_json::json!({ "metadata": { "name": name } }))
            .expect("ns")
    };
    namespaces
        .create(&PostParams::default(), &ns(&org))
        .await
        .expect("org ns");
    let spaces: Vec<String> = (0..SPACES).map(|_| support::guid()).collect();
    let started = Instant::now();
    stream::iter(spaces.iter().enumerate())
        .for_each_concurrent(16, |(i, s)| {
            let (client, namespaces, org) = (client.clone(), namespaces.clone(), org.clone());
            let nsobj = ns(s);
            async move {
                namespaces
                    .create(&PostParams::default(), &nsobj)
                    .await
                    .expect("space ns");
                Api::<Space>::namespaced(client, &org)
                    .create(
                        &PostParams::default(),
                        &Space::new(
                            s,
                            SpaceSpec {
                                name: format!("space-{i}"),
                                allow_ssh: false,
                            },
                        ),
                    )
                    .await
                    .expect("space");
            }
        })
        .await;
    let apps: Vec<(String, String)> = spaces
        .iter()
        .flat_map(|s| (0..APPS_PER_SPACE).map(move |j| (s.clone(), format!("app-{}-{j}", &s[..8]))))
        .collect();
    stream::iter(apps.iter())
        .for_each_concurrent(32, |(space, name)| {
            let client = client.clone();
            async move {
                let guid = support::guid();
                let app = App::new(
                    &guid,
                    AppSpec {
                        name: name.clone(),
                        desired_state: Default::default(),
                        lifecycle: Default::default(),
                        current_droplet_guid: None,
                        environment_variables_secret: None,
                        processes: vec![smelter_api_shim::apps::web_process(&guid)],
                    },
                );
                Api::<App>::namespaced(client, space)
                    .create(&PostParams::default(), &app)
                    .await
                    .expect("app");
            }
        })
        .await;
    println!(
        "setup: {} spaces, {} apps created in {:.1}s",
        SPACES,
        apps.len(),
        started.elapsed().as_secs_f64()
    );

    let (api, health) = (process::free_port(), process::free_port());
    let shim = process::Running::start(
        Path::new(env!("CARGO_BIN_EXE_api-shim")),
        &[
            ("SMELTER_LISTEN_ADDR", api.to_string()),
            ("SMELTER_HEALTH_ADDR", health.to_string()),
            ("SMELTER_ROOT_NAMESPACE", root.clone()),
            ("RUST_LOG", "warn".into()),
        ],
    );
    support::wait_for("api-shim ready", Duration::from_secs(60), || async {
        process::get(health, "/readyz")
            .await
            .is_some_and(|(s, _)| s == 200)
    })
    .await;
    // Ready means every cache holds its first list; a watch may still start over (a fresh
    // API server answers a watch from a just-listed version "too old" now and then, and the
    // cache lists again). The reads are measured once the api-shim's own requests have been
    // still for 3 s, so the count below is what reads cause, not the caches' start.
    let mut last = kube_requests(health).await;
    let mut still_since = Instant::now();
    while still_since.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = kube_requests(health).await;
        if now != last {
            (last, still_since) = (now, Instant::now());
        }
    }
    println!("api-shim start: {last} API-server requests (lists and watches)");
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("http://{api}/oauth/token"))
        .header("Authorization", "Basic Y2Y6")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=password&username=admin&password={password}"
        ))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("token json");
    let bearer = format!(
        "bearer {}",
        token["access_token"].as_str().expect("access token")
    );
    let get = |path: String| {
        let (http, bearer) = (http.clone(), bearer.clone());
        async move {
            let t = Instant::now();
            let r = http
                .get(format!("http://{api}{path}"))
                .header("Authorization", bearer)
                .send()
                .await
                .expect("get");
            assert_eq!(r.status(), 200);
            // The latency is the api-shim's: until the last byte has arrived. Parsing the
            // body (about as long as serving it, for a thousand apps) is the client's.
            let bytes = r.bytes().await.expect("body");
            let elapsed = t.elapsed();
            let body: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            (
                elapsed,
                body["pagination"]["total_results"]
                    .as_u64()
                    .unwrap_or_default(),
            )
        }
    };
    // Wait until every app is in the cache, then warm up.
    support::wait_for("all apps cached", Duration::from_secs(60), || async {
        get("/v3/apps?per_page=1".into()).await.1 as usize == apps.len()
    })
    .await;
    for _ in 0..20 {
        get("/v3/apps?per_page=5000".into()).await;
    }

    let before = kube_requests(health).await;
    let mut all = Vec::new();
    for _ in 0..200 {
        let (d, n) = get("/v3/apps?per_page=5000".into()).await;
        assert_eq!(n as usize, apps.len());
        all.push(d);
    }
    let mut one = Vec::new();
    for i in 0..1000 {
        let (space, name) = &apps[(i * 7919) % apps.len()];
        let (d, n) = get(format!("/v3/apps?names={name}&space_guids={space}")).await;
        assert_eq!(n, 1);
        one.push(d);
    }
    let after = kube_requests(health).await;
    let rss = process::rss_kib(shim.pid());
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "GET /v3/apps?per_page=5000          median {:.2} ms  p90 {:.2} ms  (n=200, {} apps per response)",
        ms(percentile(all.clone(), 0.5)),
        ms(percentile(all, 0.9)),
        apps.len()
    );
    println!(
        "GET /v3/apps?names=X&space_guids=Y  median {:.3} ms  p90 {:.3} ms  (n=1000)",
        ms(percentile(one.clone(), 0.5)),
        ms(percentile(one, 0.9))
    );
    println!(
        "API-server requests caused by the 1200 reads: {}",
        after - before
    );
    println!("api-shim resident memory: {:.1} MB", rss as f64 / 1024.0);
    shim.terminate(Duration::from_secs(10));
}
