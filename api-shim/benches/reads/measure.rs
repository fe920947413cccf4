//! One size's measurements on both servers, in alternating rounds: a shared two-core VM's
//! speed drifts over minutes, and a ratio is only fair if both servers saw the same drift.

use crate::load::{Cell, Read, Target};
use crate::report::{Cost, Row};
use kube::Client;
use smelter_test_support::{self as support, process};
use std::time::Duration;

pub const CLIENTS: usize = 32;
/// One client at a time: per server, up to this many reads of each kind (but at least the
/// first figure), or for this long, whichever comes first, over `ROUNDS` rounds.
const LIST_READS: (usize, usize) = (8, 200);
const BY_NAME_READS: (usize, usize) = (40, 1000);
const SEQUENTIAL_BUDGET: Duration = Duration::from_secs(20);
const SEQUENTIAL_ROUNDS: usize = 4;
/// Many clients: how long they keep starting reads, per server, over `ROUNDS` rounds.
pub const CONCURRENT_WINDOW: Duration = Duration::from_secs(10);
const CONCURRENT_ROUNDS: usize = 2;

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

/// CPU time so far of the server, the kube-apiserver and this benchmark (the client, which
/// shares the two cores with both), and the kube-apiserver's LIST count.
#[derive(Default)]
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

    /// Adds what was used between `before` and `after`.
    fn add(&mut self, before: &Self, after: &Self) {
        self.server_cpu += after.server_cpu - before.server_cpu;
        self.apiserver_cpu += after.apiserver_cpu - before.apiserver_cpu;
        self.client_cpu += after.client_cpu - before.client_cpu;
        self.apiserver_lists += after.apiserver_lists - before.apiserver_lists;
    }
}

/// Waits (up to 5 s) until none of `pids` used more than a tenth of a core over the last
/// 200 ms: a Go process's garbage collector and the kube-apiserver's clean-up go on after a
/// heavy read has been answered, and would otherwise be timed as the next server's cost.
async fn settle(pids: &[u32]) {
    let cpu = || pids.iter().map(|&p| process::cpu_seconds(p)).sum::<f64>();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut last = cpu();
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = cpu();
        if now - last < 0.02 {
            return;
        }
        last = now;
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

/// Times both reads, one client and `CLIENTS` at a time, on `targets` (Smelter, Korifi), whose
/// processes are `pids`.
pub async fn size(
    client: &Client,
    targets: &[Target<'_>; 2],
    pids: [u32; 2],
    apps: &[(String, String)],
) -> (Vec<Row>, Vec<Cost>) {
    let (mut rows, mut costs) = (Vec::new(), Vec::new());
    let apiserver = apiserver_pid();
    for read in [Read::List, Read::ByName] {
        for target in targets {
            target.check(read, apps).await;
            // Warm-up: connections, caches, and (for Korifi) the cached identity.
            target
                .sequential(read, apps, (3, 3), Duration::ZERO, 0)
                .await;
        }
        let (min, max) = match read {
            Read::List => LIST_READS,
            Read::ByName => BY_NAME_READS,
        };
        for clients in [1, CLIENTS] {
            let rounds = if clients == 1 {
                SEQUENTIAL_ROUNDS
            } else {
                CONCURRENT_ROUNDS
            };
            let mut cells: [Cell; 2] = Default::default();
            let mut used: [Usage; 2] = Default::default();
            for round in 0..rounds {
                for (i, target) in targets.iter().enumerate() {
                    // Each round asks for other apps than the last.
                    let first = round * max;
                    settle(&[pids[0], pids[1], apiserver]).await;
                    let before = Usage::now(client, pids[i], apiserver).await;
                    let cell = if clients == 1 {
                        let budget = SEQUENTIAL_BUDGET / rounds as u32;
                        let reads = (min.div_ceil(rounds), max / rounds);
                        target.sequential(read, apps, reads, budget, first).await
                    } else {
                        let window = CONCURRENT_WINDOW / rounds as u32;
                        target.concurrent(read, apps, clients, window, first).await
                    };
                    used[i].add(&before, &Usage::now(client, pids[i], apiserver).await);
                    cells[i].absorb(cell);
                }
            }
            for (i, target) in targets.iter().enumerate() {
                progress(target, apps.len(), read, clients, &cells[i]);
                costs.push(Cost {
                    apps: apps.len(),
                    server: target.name,
                    read,
                    clients,
                    reads: cells[i].samples.len(),
                    server_cpu: used[i].server_cpu,
                    apiserver_cpu: used[i].apiserver_cpu,
                    client_cpu: used[i].client_cpu,
                    apiserver_lists: used[i].apiserver_lists,
                });
            }
            let [smelter, korifi] = cells;
            rows.push(Row {
                apps: apps.len(),
                read,
                clients,
                smelter,
                korifi,
            });
        }
    }
    (rows, costs)
}
