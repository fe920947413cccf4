//! Benchmark: API reads served from watch caches (issue: api-shim performance), side by side
//! with a peer, Korifi's API server, on the same private control plane (`benches/run reads`).
//!
//! At 1,000 apps in 100 spaces, then at 10,000 in 1,000 (the same org, spaces and apps for
//! both: Smelter's custom resources and Korifi's, same GUIDs and names), it times
//! `GET /v3/apps?per_page=5000` and `GET /v3/apps?names=X&space_guids=Y` on each server, one
//! client at a time (median latency) and with 32 clients at once (reads/s and median latency),
//! and prints both servers' figures and the ratios. The two servers take turns, cell by cell
//! and round by round, so both see the machine in the same state. It also reports what a read costs each
//! server and the kube-apiserver (CPU, LIST requests), the API-server requests the api-shim's
//! reads cause (0 expected: they are served from its caches), and both servers' memory.
//! It runs the real api-shim binary (release build) and Korifi's, built from the module proxy.

mod korifi;
mod load;
mod measure;
mod report;
mod seed;
mod smelter;

use load::Target;
use measure::{CLIENTS, CONCURRENT_WINDOW};
use smelter_test_support::{self as support, process};
use std::time::Duration;

/// App counts; ten apps per space, so 100 and 1,000 spaces.
const SIZES: [usize; 2] = [1_000, 10_000];

/// `SIZES`, or the app counts in `SMELTER_BENCH_APPS` (comma-separated, ascending: each size
/// adds spaces to the last), for a quicker look at one size.
fn sizes() -> Vec<usize> {
    match std::env::var("SMELTER_BENCH_APPS") {
        Ok(list) if !list.is_empty() => list
            .split(',')
            .map(|n| n.trim().parse().expect("SMELTER_BENCH_APPS: app counts"))
            .collect(),
        _ => SIZES.to_vec(),
    }
}

/// Waits until a server's first page counts `apps` apps: the api-shim's caches have caught up
/// with the seeding (Korifi reads the API server on every request).
async fn wait_for_apps(target: &Target<'_>, apps: usize) {
    support::wait_for(
        &format!("{} to list {apps} apps", target.name),
        Duration::from_secs(120),
        || async {
            let Ok(response) = target
                .http
                .get(format!("{}/v3/apps?per_page=1", target.base))
                .header("Authorization", target.authorization)
                .send()
                .await
            else {
                return false;
            };
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            body["pagination"]["total_results"].as_u64() == Some(apps as u64)
        },
    )
    .await;
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, m)| m.trim())
        })
        .unwrap_or("unknown CPU");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores ({model})")
}

#[tokio::main]
async fn main() {
    // Korifi serves only HTTPS, and the workspace's reqwest brings no TLS provider of its own
    // (an Err means one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tool = korifi::tool();
    let client = support::client().await;
    support::install_crds(&client).await;
    support::install_cf_roles().await;
    korifi::install(&client, &tool.crds).await;
    let root = support::namespace(&client, "bench-root").await;
    let mut world = seed::World::new(&client, &root).await;
    let sizes = sizes();
    world.grow_to(sizes[0]).await;

    let smelter = smelter::Server::start(&client, &root).await;
    let korifi = korifi::Server::start(&tool, &root).await;
    let targets = [
        Target {
            name: "Smelter",
            base: &smelter.base,
            http: &smelter.http,
            authorization: &smelter.authorization,
        },
        Target {
            name: "Korifi",
            base: &korifi.base,
            http: &korifi.http,
            authorization: &korifi.authorization,
        },
    ];
    let pids = [smelter.process.pid(), korifi.process.pid()];

    let (mut rows, mut costs) = (Vec::new(), Vec::new());
    for (i, &size) in sizes.iter().enumerate() {
        if i > 0 {
            world.grow_to(size).await;
        }
        let apps = &world.apps;
        for target in &targets {
            wait_for_apps(target, apps.len()).await;
        }
        let before = smelter::kube_requests(smelter.health).await;
        let (size_rows, size_costs) = measure::size(&client, &targets, pids, apps).await;
        let caused = smelter::kube_requests(smelter.health).await - before;
        println!(
            "{size} apps: API-server requests the api-shim sent while its reads (checks, warm-up and {} timed) ran: {caused} (reads send none; kube-rs reopens each watch every 290 s, and those count too)",
            size_rows
                .iter()
                .map(|r| r.smelter.samples.len())
                .sum::<usize>()
        );
        println!(
            "{size} apps: resident memory: api-shim {:.1} MB, Korifi {:.1} MB",
            process::rss_kib(pids[0]) as f64 / 1024.0,
            process::rss_kib(pids[1]) as f64 / 1024.0
        );
        rows.extend(size_rows);
        costs.extend(size_costs);
    }

    let version = tool
        .bin
        .parent()
        .and_then(|d| d.file_name()?.to_str()?.strip_prefix("korifi-api-"))
        .unwrap_or("(unknown version)")
        .to_owned();
    println!(
        "\nReads against Korifi {version}, same kube-apiserver, {}; {} on {}.\n\
         Medians; n = reads timed; {CLIENTS} clients start reads for {}s per server; the servers take turns in rounds. Ratios: how many times faster Smelter is.\n",
        k8s_openapi::jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC"),
        machine(),
        std::env::consts::OS,
        CONCURRENT_WINDOW.as_secs(),
    );
    println!("{}", report::table(&rows));
    println!("Cost per read (CPU time over the cell, divided by its reads):\n");
    println!("{}", report::costs(&costs));
    println!("{}", report::goal(&rows));
    korifi.process.terminate(Duration::from_secs(10));
    smelter.process.terminate(Duration::from_secs(10));
}
