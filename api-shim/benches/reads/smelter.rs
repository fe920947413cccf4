//! The api-shim (release binary) against the test cluster, logged in as a Smelter admin.

use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{Api, Client, api::PostParams};
use smelter_test_support::{self as support, process};
use std::{
    net::SocketAddr,
    path::Path,
    time::{Duration, Instant},
};

pub struct Server {
    pub process: process::Running,
    pub base: String,
    pub health: SocketAddr,
    pub http: reqwest::Client,
    pub authorization: String,
}

/// The api-shim's own count of its requests to the API server (lists, watches, writes).
pub async fn kube_requests(health: SocketAddr) -> u64 {
    let (_, body) = process::get(health, "/metrics").await.expect("metrics");
    body.lines()
        .find(|l| l.starts_with("smelter_api_shim_kube_requests_total"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map(|v| v as u64)
        .expect("request counter on /metrics")
}

impl Server {
    pub async fn start(client: &Client, root: &str) -> Self {
        let password = "bench-password";
        let entry = smelter_api_shim::auth::users::entry_json(&support::guid(), password, true, 4)
            .expect("hash");
        Api::<Secret>::namespaced(client.clone(), root)
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
        let (api, health) = (process::free_port(), process::free_port());
        let process = process::Running::start(
            Path::new(env!("CARGO_BIN_EXE_api-shim")),
            &[
                ("SMELTER_LISTEN_ADDR", api.to_string()),
                ("SMELTER_HEALTH_ADDR", health.to_string()),
                ("SMELTER_ROOT_NAMESPACE", root.to_owned()),
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
        // cache lists again). Reads are measured once the api-shim's own requests have been
        // still for 3 s, so the counts later are what reads cause, not the caches' start.
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
        let http = reqwest::Client::builder()
            .http1_only()
            .build()
            .expect("http client");
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
        let authorization = format!(
            "bearer {}",
            token["access_token"].as_str().expect("access token")
        );
        Self {
            process,
            base: format!("http://{api}"),
            health,
            http,
            authorization,
        }
    }
}
