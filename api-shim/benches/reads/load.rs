//! The timed reads: one client at a time (latency), or many at once for a fixed window
//! (throughput and latency under load), against either server.

use futures::future::join_all;
use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

/// An API server under test and the caller's credentials for it.
pub struct Target<'a> {
    pub name: &'static str,
    pub base: &'a str,
    pub http: &'a reqwest::Client,
    pub authorization: &'a str,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Read {
    /// `GET /v3/apps?per_page=5000`: the first page of every app.
    List,
    /// `GET /v3/apps?names=X&space_guids=Y`: one app, a different one each request.
    ByName,
}

/// CF's largest page; at 10,000 apps the list returns the first half.
const PER_PAGE: usize = 5000;
/// How much of a body is kept to check: its pagination and more.
const HEAD: usize = 4096;

impl Read {
    pub fn label(self) -> &'static str {
        match self {
            Read::List => "`GET /v3/apps?per_page=5000`",
            Read::ByName => "`GET /v3/apps?names=X&space_guids=Y`",
        }
    }

    /// The `k`th request's path. 7919 is prime, so it is coprime with every app count here
    /// and consecutive requests walk every app before one repeats.
    fn path(self, apps: &[(String, String)], k: usize) -> String {
        match self {
            Read::List => format!("/v3/apps?per_page={PER_PAGE}"),
            Read::ByName => {
                let (space, name) = &apps[(k * 7919) % apps.len()];
                format!("/v3/apps?names={name}&space_guids={space}")
            }
        }
    }

    fn total_results(self, apps: &[(String, String)]) -> u64 {
        match self {
            Read::List => apps.len() as u64,
            Read::ByName => 1,
        }
    }
}

/// The latencies of one measurement and the wall time it took.
#[derive(Default)]
pub struct Cell {
    pub samples: Vec<Duration>,
    pub elapsed: Duration,
}

impl Cell {
    pub fn percentile(&self, p: f64) -> Duration {
        let mut xs = self.samples.clone();
        xs.sort();
        xs[((xs.len() as f64 - 1.0) * p).round() as usize]
    }

    pub fn median(&self) -> Duration {
        self.percentile(0.5)
    }

    pub fn reads_per_second(&self) -> f64 {
        self.samples.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Adds another round of the same measurement.
    pub fn absorb(&mut self, round: Cell) {
        self.samples.extend(round.samples);
        self.elapsed += round.elapsed;
    }
}

/// `"total_results":N` read off the body's head without parsing it: parsing a 5,000-app page
/// costs the client about as much CPU as serving it, which the servers would feel under load.
fn total_results(body: &[u8]) -> Option<u64> {
    let key = b"\"total_results\":";
    let at = body.windows(key.len()).position(|w| w == key)? + key.len();
    let digits: String = body[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| b as char)
        .collect();
    digits.parse().ok()
}

impl Target<'_> {
    /// One read, timed until its last byte has arrived; panics on anything but the expected
    /// answer, which would make the timing meaningless. With `parse`, also the parsed body.
    async fn read(
        &self,
        read: Read,
        apps: &[(String, String)],
        k: usize,
        parse: bool,
    ) -> (Duration, Option<serde_json::Value>) {
        let path = read.path(apps, k);
        let started = Instant::now();
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Authorization", self.authorization)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} GET {path}: {e}", self.name));
        let status = response.status();
        // Chunk by chunk, keeping only the head (where both servers put the pagination) unless
        // the body is to be parsed: gathering a 5,000-app body into one buffer costs the client
        // CPU that 32 clients would take from the servers.
        let (mut head, mut whole) = (Vec::new(), Vec::new());
        let mut response = response;
        while let Some(chunk) = response
            .chunk()
            .await
            .unwrap_or_else(|e| panic!("{} GET {path} body: {e}", self.name))
        {
            if head.len() < HEAD {
                head.extend_from_slice(&chunk[..chunk.len().min(HEAD - head.len())]);
            }
            if parse {
                whole.extend_from_slice(&chunk);
            }
        }
        let elapsed = started.elapsed();
        assert_eq!(
            status,
            200,
            "{} GET {path}: {}",
            self.name,
            String::from_utf8_lossy(&head)
        );
        let expected = read.total_results(apps);
        assert_eq!(
            total_results(&head),
            Some(expected),
            "{} GET {path}: total_results",
            self.name
        );
        let json = parse.then(|| serde_json::from_slice(&whole).expect("json"));
        (elapsed, json)
    }

    /// A full check of one answer's resources: the right number, and for a read by name the
    /// right app.
    pub async fn check(&self, read: Read, apps: &[(String, String)]) {
        let (_, body) = self.read(read, apps, 1, true).await;
        let body = body.expect("parsed body");
        let resources = body["resources"].as_array().expect("resources");
        match read {
            Read::List => assert_eq!(resources.len(), apps.len().min(PER_PAGE), "{}", self.name),
            Read::ByName => {
                let (space, name) = &apps[7919 % apps.len()];
                assert_eq!(resources.len(), 1, "{}", self.name);
                assert_eq!(resources[0]["name"], name.as_str(), "{}", self.name);
                assert_eq!(
                    resources[0]["relationships"]["space"]["data"]["guid"],
                    space.as_str(),
                    "{}",
                    self.name
                );
            }
        }
    }

    /// Reads one at a time until `max` reads or `budget` has passed (but at least `min`),
    /// starting with request number `first`.
    pub async fn sequential(
        &self,
        read: Read,
        apps: &[(String, String)],
        (min, max): (usize, usize),
        budget: Duration,
        first: usize,
    ) -> Cell {
        let started = Instant::now();
        let mut samples = Vec::new();
        while samples.len() < max && (samples.len() < min || started.elapsed() < budget) {
            let k = first + samples.len();
            samples.push(self.read(read, apps, k, false).await.0);
        }
        Cell {
            samples,
            elapsed: started.elapsed(),
        }
    }

    /// `clients` clients, each reading one request after another, starting none after
    /// `window`; the cell ends when the last one's read is done. Requests are numbered from
    /// `first`.
    pub async fn concurrent(
        &self,
        read: Read,
        apps: &[(String, String)],
        clients: usize,
        window: Duration,
        first: usize,
    ) -> Cell {
        let next = AtomicUsize::new(first);
        let started = Instant::now();
        let per_client = join_all((0..clients).map(|_| async {
            let mut samples = Vec::new();
            while started.elapsed() < window {
                let k = next.fetch_add(1, Ordering::Relaxed);
                samples.push(self.read(read, apps, k, false).await.0);
            }
            samples
        }))
        .await;
        Cell {
            samples: per_client.into_iter().flatten().collect(),
            elapsed: started.elapsed(),
        }
    }
}
