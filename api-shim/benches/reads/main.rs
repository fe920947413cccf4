//! Benchmark: API reads served from watch caches (issue: api-shim performance), side by side
//! with a peer, Korifi's API server, on the same private control plane (`benches/run reads`).
//!
//! At 1,000 apps in 100 spaces, then at 10,000 in 1,000 (the same org, spaces and apps for
//! both: Smelter's custom resources and Korifi's, same GUIDs and names), it times
//! `GET /v3/apps?per_page=5000` and `GET /v3/apps?names=X&space_guids=Y` on each server, one
//! client at a time (median latency) and with 32 clients at once (reads/s and median latency),
//! and prints both servers' figures and the ratios. It also reports what a read costs each
//! server and the kube-apiserver (CPU, LIST requests), the API-server requests the api-shim's
//! reads cause (0 expected: they are served from its caches), and both servers' memory.
//! It runs the real api-shim binary (release build) and Korifi's, built from the module proxy.

mod korifi;
mod load;
mod report;
mod seed;
mod smelter;

use kube::Client;
use load::{Cell, Read, Target};
use report::{Cost, Row};
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
const CLIENTS: usize = 32;
/// One client at a time: up to this many reads of each kind, or this long, whichever first.
const LIST_READS: (usize, usize) = (5, 200);
const BY_NAME_READS: (usize, usize) = (20, 1000);
const SEQUENTIAL_BUDGET: Duration = Duration::from_secs(20);
/// Many clients: how long they keep starting reads.
const CONCURRENT_WINDOW: Duration = Duration::from_secs(10);

/// The kube-apiserver's count of LIST requests, all clients together: the API-server work a
/// read causes (watches and the controller-manager's writes do not list).
async fn apiserver_lists(client: &Client) -> u64 {
    let request = axum::http::Request::get("/metrics")
        .body(Vec::new())
        .expect("metrics request");
    let text = client
        .request_text(request)
        .await
        .expect("apiserver metrics");
    text.lines()
        .filter(|l| l.starts_with("apiserver_request_total{") && l.contains("verb=\"LIST\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

fn apiserver_pid() -> u32 {
    let file = support::kubeconfig_path()
        .parent()
        .expect("cluster directory")
        .join("pids/kube-apiserver.pid");
    std::fs::read_to_string(&file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("kube-apiserver pid in {}", file.display()))
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

/// One server's part of one size: its checks, warm-up and timed cells, and the cost of its
/// one-client-at-a-time reads.
struct Measured {
    cells: Vec<(Read, usize, Cell)>,
    costs: Vec<Cost>,
}

async fn measure(
    client: &Client,
    target: &Target<'_>,
    server_pid: u32,
    apps: &[(String, String)],
) -> Measured {
    let (mut cells, mut costs) = (Vec::new(), Vec::new());
    let apiserver = apiserver_pid();
    for read in [Read::List, Read::ByName] {
        target.check(read, apps).await;
        // Warm-up: connections, caches, and (for Korifi) the cached identity.
        target.sequential(read, apps, (3, 3), Duration::ZERO).await;
        let (reads, budget) = match read {
            Read::List => (LIST_READS, SEQUENTIAL_BUDGET),
            Read::ByName => (BY_NAME_READS, SEQUENTIAL_BUDGET),
        };
        for clients in [1, CLIENTS] {
            let before = Usage::now(client, server_pid, apiserver).await;
            let cell = if clients == 1 {
                target.sequential(read, apps, reads, budget).await
            } else {
                target
                    .concurrent(read, apps, clients, CONCURRENT_WINDOW)
                    .await
            };
            let used = Usage::now(client, server_pid, apiserver)
                .await
                .since(&before);
            progress(target, apps.len(), read, clients, &cell);
            costs.push(Cost {
                apps: apps.len(),
                server: target.name,
                read,
                clients,
                reads: cell.samples.len(),
                server_cpu: used.server_cpu,
                apiserver_cpu: used.apiserver_cpu,
                client_cpu: used.client_cpu,
                apiserver_lists: used.apiserver_lists,
            });
            cells.push((read, clients, cell));
        }
    }
    Measured { cells, costs }
}

/// CPU time so far of the server, the kube-apiserver and this benchmark (the client, which
/// shares the two cores with both), and the kube-apiserver's LIST count.
struct Usage {
    server_cpu: f64,
    apiserver_cpu: f64,
    client_cpu: f64,
    apiserver_lists: u64,
}

impl Usage {
    async fn now(client: &Client, server_pid: u32, apiserver_pid: u32) -> Self {
        Self {
            server_cpu: process::cpu_seconds(server_pid),
            apiserver_cpu: process::cpu_seconds(apiserver_pid),
            client_cpu: process::cpu_seconds(std::process::id()),
            apiserver_lists: apiserver_lists(client).await,
        }
    }

    fn since(&self, before: &Self) -> Self {
        Self {
            server_cpu: self.server_cpu - before.server_cpu,
            apiserver_cpu: self.apiserver_cpu - before.apiserver_cpu,
            client_cpu: self.client_cpu - before.client_cpu,
            apiserver_lists: self.apiserver_lists - before.apiserver_lists,
        }
    }
}

fn progress(target: &Target<'_>, apps: usize, read: Read, clients: usize, cell: &Cell) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:<7} {apps:>5} apps {:<38} {clients:>2} client(s): median {:8.3} ms  p90 {:8.3} ms  {:7.1} reads/s  (n={})",
        target.name,
        read.label(),
        ms(cell.median()),
        ms(cell.percentile(0.9)),
        cell.reads_per_second(),
        cell.samples.len()
    );
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
        let ours = measure(&client, &targets[0], pids[0], apps).await;
        let caused = smelter::kube_requests(smelter.health).await - before;
        let theirs = measure(&client, &targets[1], pids[1], apps).await;
        println!(
            "{size} apps: API-server requests caused by the api-shim's reads (checks, warm-up and {} timed): {caused}",
            ours.cells
                .iter()
                .map(|(_, _, c)| c.samples.len())
                .sum::<usize>()
        );
        println!(
            "{size} apps: resident memory: api-shim {:.1} MB, Korifi {:.1} MB",
            process::rss_kib(pids[0]) as f64 / 1024.0,
            process::rss_kib(pids[1]) as f64 / 1024.0
        );
        for ((read, clients, smelter), (_, _, korifi)) in ours.cells.into_iter().zip(theirs.cells) {
            rows.push(Row {
                apps: size,
                read,
                clients,
                smelter,
                korifi,
            });
        }
        costs.extend(ours.costs.into_iter().chain(theirs.costs));
    }

    let version = tool
        .bin
        .parent()
        .and_then(|d| d.file_name()?.to_str()?.strip_prefix("korifi-api-"))
        .unwrap_or("(unknown version)")
        .to_owned();
    println!(
        "\nReads against Korifi {version}, same kube-apiserver, {}; {} on {}.\n\
         Medians; n = reads timed; {CLIENTS} clients read for {}s. Ratios: how many times faster Smelter is.\n",
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
