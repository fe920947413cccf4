//! The blob collector, as Cloud Controller's orphaned-blob cleanup: a background task that
//! deletes blobs whose owner (Package, Build, App, Buildpack) is gone, and the leftovers of
//! interrupted uploads in the work directory.
//!
//! Every `interval` it walks the blobstore kind by kind (streamed, never the whole listing in
//! memory) and judges each blob against the watch caches ([`plan`]). A blob is deleted only if
//! (1) the caches have synced, (2) no cached object owns it, (3) it was written more than
//! `grace` ago, and (4) the API server, asked directly, has no owner either. Owners are
//! created before their blobs in every flow, so (3) only covers cache lag and uploads in
//! flight; (4) covers a watch that has been broken for longer than the grace, which would
//! otherwise make every new blob look orphaned. The resource pool (`resources/`) is shared
//! by every app and never collected.
//!
//! Replicas need no coordination: each runs its own collector, and two deleting the same
//! orphan both succeed (deleting a missing blob is not an error).

mod plan;
pub mod work_dir;

pub use plan::{Owner, Owners, Verdict, judge};

use crate::state::AppState;
use kube::{
    Api, Client,
    api::ListParams,
    core::{ObjectList, PartialObjectMeta},
};
use smelter_blobstore::{BlobMeta, BlobstoreError, keys};
use smelter_crds::{App, Build, Buildpack, Package};
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, SystemTime},
};

/// The kinds of bits that have owners, each listed on its own.
const OWNED_PREFIXES: &[&str] = &[
    keys::PACKAGES_PREFIX,
    keys::DROPLETS_PREFIX,
    keys::BUILDPACK_CACHE_PREFIX,
    keys::BUILDPACKS_PREFIX,
];

/// Unrecognised keys are each logged once; past this many, the rest are only counted, so a
/// bucket shared with something else cannot grow the collector without bound.
const MAX_LOGGED_UNRECOGNISED: usize = 1000;

/// Why part of a sweep did nothing; each is logged and counted, and the next sweep retries.
#[derive(Debug, thiserror::Error)]
pub enum GcError {
    #[error("failed to list the blobstore")]
    List(#[source] BlobstoreError),
    #[error("failed to ask the API server whether {} {} exists", kind_of(.0), .0.guid())]
    Confirm(Owner, #[source] kube::Error),
    #[error("failed to delete an orphaned blob")]
    Delete(#[source] BlobstoreError),
    #[error(transparent)]
    WorkDir(#[from] work_dir::RemoveError),
    #[error("the work directory sweep stopped unexpectedly")]
    WorkDirTask(#[source] tokio::task::JoinError),
}

fn kind_of(owner: &Owner) -> &'static str {
    match owner {
        Owner::Package(_) => "Package",
        Owner::Build(_) => "Build",
        Owner::App(_) => "App",
        Owner::Buildpack(_) => "Buildpack",
    }
}

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// Orphaned blobs deleted.
    pub deleted: usize,
    /// Blobs without an owner, left for being younger than the grace.
    pub young: usize,
    /// Blobs with an owner.
    pub owned: usize,
    /// Keys the collector does not know.
    pub unrecognised: usize,
    /// Upload leftovers removed from the work directory.
    pub work_removed: usize,
    /// Failures, each logged (see [`GcError`]).
    pub errors: usize,
}

/// The collector's memory between sweeps: which unrecognised keys it has already reported.
#[derive(Debug, Default)]
pub struct Collector {
    logged: HashSet<String>,
    told_of_cap: bool,
}

impl Collector {
    /// Logs an unrecognised key the first time it is seen.
    fn unrecognised(&mut self, key: &str) {
        if self.logged.contains(key) {
            return;
        }
        if self.logged.len() < MAX_LOGGED_UNRECOGNISED {
            tracing::warn!(
                key,
                "blob collector: not a key Smelter makes; leaving it alone"
            );
            self.logged.insert(key.to_owned());
        } else if !self.told_of_cap {
            tracing::warn!(
                "blob collector: more than {MAX_LOGGED_UNRECOGNISED} unrecognised keys; no longer logging each"
            );
            self.told_of_cap = true;
        }
    }

    /// One pass over the blobstore and the work directory. The caches must have synced.
    pub async fn sweep(&mut self, state: &AppState) -> Sweep {
        let now = SystemTime::now();
        let mut pass = Pass {
            state,
            // Owners seen now, judged against blobs written a grace before now: see
            // `plan::judge`.
            owners: Owners::from_caches(&state.caches),
            cutoff: now
                .checked_sub(state.config.blob_gc_grace)
                .unwrap_or(SystemTime::UNIX_EPOCH),
            now,
            confirmed: HashMap::new(),
            sweep: Sweep::default(),
        };
        for prefix in OWNED_PREFIXES {
            let mut blobs = state.blobs.list_stream(prefix);
            loop {
                match futures::TryStreamExt::try_next(&mut blobs).await {
                    Ok(Some(blob)) => pass.look_at(blob, self).await,
                    Ok(None) => break,
                    Err(e) => {
                        pass.report(&GcError::List(e));
                        break;
                    }
                }
            }
        }
        let mut sweep = pass.sweep;

        // Kinds nobody knows about; hidden names (the work directory under a filesystem
        // store, `.work`) are not blobs.
        match state.blobs.top_level().await {
            Ok(names) => {
                for name in names {
                    let known = name == keys::RESOURCES_PREFIX
                        || OWNED_PREFIXES.contains(&name.as_str())
                        || name.starts_with('.');
                    if !known {
                        sweep.unrecognised += 1;
                        self.unrecognised(&name);
                    }
                }
            }
            Err(e) => report(&mut sweep, state, &GcError::List(e)),
        }

        let dir = state.config.work_dir.clone();
        let swept = tokio::task::spawn_blocking(move || {
            work_dir::remove_stale(
                &dir,
                crate::storage::uploads::WORK_PREFIXES,
                SystemTime::now(),
                work_dir::STALE_AFTER,
            )
        })
        .await;
        match swept {
            Ok((removed, failed)) => {
                for path in &removed {
                    tracing::info!(path = %path.display(), "blob collector: removed an interrupted upload's leftovers");
                }
                state
                    .metrics
                    .stale_uploads_removed
                    .inc_by(removed.len() as u64);
                sweep.work_removed = removed.len();
                for e in failed {
                    report(&mut sweep, state, &GcError::WorkDir(e));
                }
            }
            Err(e) => report(&mut sweep, state, &GcError::WorkDirTask(e)),
        }

        state.metrics.blob_gc_sweeps.inc();
        sweep
    }
}

/// One sweep's view: the owners it judges against and what it has found so far.
struct Pass<'a> {
    state: &'a AppState,
    owners: Owners,
    cutoff: SystemTime,
    now: SystemTime,
    /// The API server's answer per owner, so one gone app with caches for several stacks
    /// costs one request.
    confirmed: HashMap<Owner, bool>,
    sweep: Sweep,
}

impl Pass<'_> {
    /// Judges one blob, and deletes it if it is an orphan the API server confirms.
    async fn look_at(&mut self, blob: BlobMeta, collector: &mut Collector) {
        let owner = match judge(&blob.key, blob.last_modified, self.cutoff, &self.owners) {
            Verdict::Orphan(owner) => owner,
            Verdict::Owned => {
                self.sweep.owned += 1;
                return;
            }
            Verdict::Young => {
                self.sweep.young += 1;
                return;
            }
            // Never listed here; and never collected if it were.
            Verdict::Shared => return,
            Verdict::Unrecognised => {
                self.sweep.unrecognised += 1;
                collector.unrecognised(&blob.key);
                return;
            }
        };
        let exists = match self.confirmed.get(&owner) {
            Some(exists) => *exists,
            None => {
                let client = self.state.kube.own();
                match owner_exists(&client, &self.state.config.root_namespace, &owner).await {
                    Ok(exists) => *self.confirmed.entry(owner.clone()).or_insert(exists),
                    Err(e) => return self.report(&GcError::Confirm(owner, e)),
                }
            }
        };
        if exists {
            // The cache is behind the API server; the next sweep will know better.
            self.sweep.owned += 1;
            return;
        }
        if let Err(e) = self.state.blobs.delete(&blob.key).await {
            return self.report(&GcError::Delete(e));
        }
        let age = self
            .now
            .duration_since(blob.last_modified)
            .unwrap_or_default();
        tracing::info!(
            key = %blob.key,
            owner = %format!("{} {}", kind_of(&owner), owner.guid()),
            bytes = blob.size,
            age_seconds = age.as_secs(),
            "blob collector: deleted a blob whose owner is gone"
        );
        self.state.metrics.blob_deleted(owner.blob_kind());
        self.sweep.deleted += 1;
    }

    fn report(&mut self, error: &GcError) {
        report(&mut self.sweep, self.state, error);
    }
}

fn report(sweep: &mut Sweep, state: &AppState, error: &GcError) {
    tracing::warn!(error = %error, cause = ?std::error::Error::source(error), "blob collector");
    state.metrics.blob_gc_errors.inc();
    sweep.errors += 1;
}

/// Asks the API server itself (not the cache) whether `owner` exists. A GUID names one object
/// whatever its namespace, so a list by name across namespaces answers for the space-scoped
/// kinds.
async fn owner_exists(client: &Client, root: &str, owner: &Owner) -> Result<bool, kube::Error> {
    async fn named<K>(client: &Client, name: &str) -> Result<bool, kube::Error>
    where
        K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        // No `limit`: with a selector, a page may come back short, and there is one match.
        let found: ObjectList<PartialObjectMeta<K>> = Api::<K>::all(client.clone())
            .list_metadata(&ListParams::default().fields(&format!("metadata.name={name}")))
            .await?;
        Ok(!found.items.is_empty())
    }
    match owner {
        Owner::Package(guid) => named::<Package>(client, guid).await,
        Owner::Build(guid) => named::<Build>(client, guid).await,
        Owner::App(guid) => named::<App>(client, guid).await,
        Owner::Buildpack(guid) => Ok(Api::<Buildpack>::namespaced(client.clone(), root)
            .get_metadata_opt(guid)
            .await?
            .is_some()),
    }
}

/// Sweeps every `interval` for as long as the api-shim runs, starting one interval after the
/// caches have synced (never before: an empty cache would make every blob an orphan).
pub async fn run(state: Arc<AppState>) {
    if state.caches.wait_until_ready().await.is_err() {
        return;
    }
    let interval = state.config.blob_gc_interval.max(Duration::from_secs(1));
    tracing::info!(
        interval_seconds = interval.as_secs(),
        grace_seconds = state.config.blob_gc_grace.as_secs(),
        "blob collector started"
    );
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    // A slow sweep (a huge bucket) delays the next rather than causing a burst.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut collector = Collector::default();
    loop {
        ticks.tick().await;
        let sweep = collector.sweep(&state).await;
        tracing::debug!(
            deleted = sweep.deleted,
            young = sweep.young,
            owned = sweep.owned,
            unrecognised = sweep.unrecognised,
            work_removed = sweep.work_removed,
            errors = sweep.errors,
            "blob collector swept"
        );
    }
}
