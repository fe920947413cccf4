//! What the controllers of objects in space namespaces (builds, apps, LRPs, routes) share:
//! this installation's orgs and spaces (the tenancy controllers' caches), the caches of what
//! they read, and the blob URL signing key.

use crate::{caches::Caches, context::Context, error::Error};
use futures::future::{BoxFuture, Shared};
use kube::{
    ResourceExt,
    runtime::reflector::{ObjectRef, Store},
};
use smelter_blobstore::{UrlSigner, signing};
use smelter_crds::{Domain, Org, Space, labels};
use std::{collections::BTreeMap, sync::Arc};
use tokio::sync::OnceCell;

pub(crate) struct SpaceScoped {
    pub ctx: Arc<Context>,
    pub orgs: Store<Org>,
    pub spaces: Store<Space>,
    pub caches: Caches,
    /// Resolves once `orgs`, `spaces` and every cache hold their first full list. A store's
    /// readiness wakes only the last of several concurrent waiters (kube-runtime's
    /// `DelayedInit` keeps one waker), so reconciles wait on this one shared future instead.
    pub synced: Shared<BoxFuture<'static, bool>>,
    /// The blob URL signing key, read (or made) on first use.
    signer: OnceCell<UrlSigner>,
}

impl SpaceScoped {
    pub fn new(
        ctx: Arc<Context>,
        orgs: Store<Org>,
        spaces: Store<Space>,
        caches: Caches,
        synced: Shared<BoxFuture<'static, bool>>,
    ) -> Self {
        Self {
            ctx,
            orgs,
            spaces,
            caches,
            synced,
            signer: OnceCell::new(),
        }
    }

    pub async fn signer(&self) -> Result<&UrlSigner, Error> {
        self.signer
            .get_or_try_init(|| async {
                smelter_common::secrets::get_or_create(
                    &self.ctx.client,
                    &self.ctx.config.root_namespace,
                    signing::DEFAULT_SECRET,
                    signing::SIGNING_KEY_FIELD,
                    signing::generate_key,
                )
                .await
                .map(UrlSigner::new)
                .map_err(Error::SigningKey)
            })
            .await
    }

    /// The Space (and its Org) whose namespace is `namespace`, if it is one of this
    /// installation's. `object_labels` may name the org, which saves a scan.
    pub async fn space_of(
        &self,
        object_labels: &BTreeMap<String, String>,
        namespace: &str,
    ) -> Option<(Arc<Space>, Arc<Org>)> {
        // Before the caches' first full list every object would look foreign. Every reconcile
        // asks this first, so none reads a cache that is not filled yet.
        if !self.synced.clone().await {
            return None;
        }
        let space = match object_labels.get(labels::ORG_GUID) {
            Some(org) => self.spaces.get(&ObjectRef::new(namespace).within(org)),
            None => self.spaces.find(|s| s.name_any() == namespace),
        }?;
        let org = self
            .orgs
            .get(&ObjectRef::new(&space.namespace()?).within(&self.ctx.config.root_namespace))?;
        Some((space, org))
    }

    /// The name of the isolation segment `space`'s pods run on (`None`: the shared one).
    pub fn segment_of(&self, space: &Space, org: &Org) -> Option<String> {
        let root = &self.ctx.config.root_namespace;
        crate::placement::segment_of(space, org, |guid| {
            self.caches.isolation_segments.get(root, guid)
        })
    }

    /// The domain `guid`.
    pub fn domain(&self, guid: &str) -> Option<Arc<Domain>> {
        self.caches
            .domains
            .get(&self.ctx.config.root_namespace, guid)
    }
}
