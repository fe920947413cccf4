//! The one read path. Every CF list and show goes through here: [`Ctx`] is one API call (who
//! calls, what they may see, the URL they used), [`Kind`] says how each cached kind is looked
//! up and who may see it, and a resource that can be listed implements [`Listed`] once (or
//! [`Objects`], for a list of cached objects): the generic [`list`], [`nested`] and [`show`]
//! handlers do paging, `label_selector`, the common filters, `created_ats`/`updated_ats`,
//! ordering, `include` and the not-found error for all.

pub mod kinds;
pub mod list;
mod objects;

pub use kinds::Kind;
pub use list::{Listed, Nested, list, nested, show};
pub use objects::{Objects, narrowed};

use crate::{
    auth::{Caller, Permissions},
    http::{errors::ApiError, links::BaseUrl},
    state::AppState,
    storage::store::By,
};
use axum::{extract::FromRequestParts, http::request::Parts};
use std::sync::Arc;

/// One API call: the shared state, the verified caller and what they may see, and the URL
/// they called (links are built from it).
pub struct Ctx {
    pub state: Arc<AppState>,
    pub caller: Caller,
    pub perms: Permissions,
    pub base: BaseUrl,
    /// The request's path, for the links of a list.
    pub path: String,
    /// The query string as sent.
    pub query: Option<String>,
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::of(&parts.headers, &state.tokens)?;
        let base = BaseUrl::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        Ok(Self {
            perms: Permissions::of(&caller, &state.caches),
            state: state.clone(),
            caller,
            base,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
        })
    }
}

/// The `K`s of `guids` the caller may see, each once (items of a page often name the same).
pub fn each_once<'a, K: Kind>(ctx: &Ctx, guids: impl IntoIterator<Item = &'a str>) -> Vec<Arc<K>> {
    let guids: std::collections::BTreeSet<&str> = guids.into_iter().collect();
    guids.into_iter().filter_map(|g| ctx.get::<K>(g)).collect()
}

/// The same, each as `view` renders it: one kind of resources of a list's `included`.
pub fn rendered<'a, K: Kind>(
    ctx: &Ctx,
    guids: impl IntoIterator<Item = &'a str>,
    view: impl Fn(&K, &BaseUrl) -> serde_json::Value,
) -> Vec<serde_json::Value> {
    let found = each_once::<K>(ctx, guids);
    found.iter().map(|o| view(o, &ctx.base)).collect()
}

/// The object the request's `{guid}` names, found as [`Ctx::find`] finds it (CC's 404 when
/// the caller may not see it), with the call: what most handlers of one resource start with.
pub struct Found<K>(pub Ctx, pub Arc<K>);

impl<K: Kind> FromRequestParts<Arc<AppState>> for Found<K> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let crate::http::path::Path(guid) =
            crate::http::path::Path::<String>::from_request_parts(parts, state).await?;
        let found = ctx.find::<K>(&guid)?;
        Ok(Self(ctx, found))
    }
}

impl Ctx {
    /// The `K` with `guid`, if it exists and the caller may see it.
    pub fn get<K: Kind>(&self, guid: &str) -> Option<Arc<K>> {
        K::store(&self.state.caches)
            .get(guid)
            .filter(|o| K::visible(&self.perms, o))
    }

    /// The `K` with `guid`, or CC's 404 for it (`App not found`): CC answers the same for
    /// what does not exist and what the caller may not see.
    pub fn find<K: Kind>(&self, guid: &str) -> Result<Arc<K>, ApiError> {
        self.get(guid).ok_or_else(|| ApiError::not_found(K::NAME))
    }

    /// The `K` a request's relationship names, or CC's 422 for it (`Invalid space. Ensure that
    /// the space exists and you have access to it.`).
    pub fn related<K: Kind>(&self, guid: &str) -> Result<Arc<K>, ApiError> {
        self.get(guid).ok_or_else(|| {
            let kind = K::NAME.to_lowercase();
            ApiError::unprocessable(format!(
                "Invalid {kind}. Ensure that the {kind} exists and you have access to it."
            ))
        })
    }

    /// The `K`s the caller may see among those the `by` index files under `value`.
    pub fn seen_by<K: Kind>(&self, by: By, value: &str) -> impl Iterator<Item = Arc<K>> + '_ {
        K::store(&self.state.caches)
            .by(by, value)
            .into_iter()
            .filter(|o| K::visible(&self.perms, o))
    }

    /// The `K` named `name` in `space`, seen by the caller or not (CC's names of apps and
    /// service instances are unique in a space, whoever looks).
    pub fn named_in<K: Kind>(&self, space: &str, name: &str) -> Option<Arc<K>> {
        K::store(&self.state.caches)
            .by(By::Name, name)
            .into_iter()
            .find(|o| kinds::space_of(&**o) == space)
    }

    /// The Kubernetes client a write by the caller goes through (impersonating them).
    pub fn client(&self) -> Result<kube::Client, ApiError> {
        let groups = self.caller.kube_groups(&self.perms);
        self.state
            .kube
            .impersonating(self.caller.kube_user(), groups)
            .map_err(ApiError::from_kube)
    }
}
