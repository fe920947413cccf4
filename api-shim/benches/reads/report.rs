//! The tables `benches/run reads` prints (Markdown, so a run's output can go into the docs).

use crate::load::{Cell, Read};
use std::time::Duration;

/// The ratio the issue asks for: Smelter at least this many times faster in every cell.
const GOAL: f64 = 20.0;

/// One read at one size and concurrency, on both servers.
pub struct Row {
    pub apps: usize,
    pub read: Read,
    pub clients: usize,
    pub smelter: Cell,
    pub korifi: Cell,
}

impl Row {
    /// How many times faster Smelter is: by median latency for one client, by throughput for
    /// many (where latency mostly says how long a request waited behind the others).
    fn ratio(&self) -> f64 {
        if self.clients == 1 {
            self.korifi.median().as_secs_f64() / self.smelter.median().as_secs_f64()
        } else {
            self.smelter.reads_per_second() / self.korifi.reads_per_second()
        }
    }
}

/// What one server's reads cost, per read, in one cell.
pub struct Cost {
    pub apps: usize,
    pub server: &'static str,
    pub read: Read,
    pub clients: usize,
    pub reads: usize,
    pub server_cpu: f64,
    pub apiserver_cpu: f64,
    pub client_cpu: f64,
    pub apiserver_lists: u64,
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 100.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn rate(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.2}/s")
    } else {
        format!("{r:.0}/s")
    }
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| apps | read | clients | Smelter median (n) | Korifi median (n) | Korifi / Smelter | Smelter reads/s | Korifi reads/s | Smelter / Korifi reads/s |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let latency = r.korifi.median().as_secs_f64() / r.smelter.median().as_secs_f64();
        let throughput = r.smelter.reads_per_second() / r.korifi.reads_per_second();
        out += &format!(
            "| {} | {} | {} | {} ({}) | {} ({}) | {latency:.0}x | {} | {} | {throughput:.0}x |\n",
            r.apps,
            r.read.label(),
            r.clients,
            ms(r.smelter.median()),
            r.smelter.samples.len(),
            ms(r.korifi.median()),
            r.korifi.samples.len(),
            rate(r.smelter.reads_per_second()),
            rate(r.korifi.reads_per_second()),
        );
    }
    out
}

pub fn costs(costs: &[Cost]) -> String {
    let mut out = String::from(
        "| apps | server | read | clients | server CPU per read | kube-apiserver CPU per read | client CPU per read | API-server LISTs per read |\n\
         |---:|---|---|---:|---:|---:|---:|---:|\n",
    );
    for c in costs {
        let per = |x: f64| x / c.reads as f64;
        out += &format!(
            "| {} | {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} |\n",
            c.apps,
            c.server,
            c.read.label(),
            c.clients,
            per(c.server_cpu) * 1000.0,
            per(c.apiserver_cpu) * 1000.0,
            per(c.client_cpu) * 1000.0,
            per(c.apiserver_lists as f64),
        );
    }
    out
}

/// The goal, cell by cell: met, or which cells miss it.
pub fn goal(rows: &[Row]) -> String {
    let missed: Vec<String> = rows
        .iter()
        .filter(|r| r.ratio() < GOAL)
        .map(|r| {
            format!(
                "{} apps, {}, {} client(s): {:.1}x",
                r.apps,
                r.read.label(),
                r.clients,
                r.ratio()
            )
        })
        .collect();
    if missed.is_empty() {
        format!(
            "goal ({GOAL:.0}x faster than Korifi in every cell: median latency with 1 client, reads/s with many): met"
        )
    } else {
        format!(
            "goal ({GOAL:.0}x faster than Korifi in every cell: median latency with 1 client, reads/s with many): NOT met in\n  {}",
            missed.join("\n  ")
        )
    }
}
