//! [`Found`]: the object a request's `{guid}` names, and CC's `PATCH` of it.

use super::{Ctx, Kind, Presented};
use crate::{
    http::{
        errors::{ApiError, ApiResult},
        message::{MetadataRequest, apply_metadata},
        path::Path,
        reply::ok,
    },
    state::AppState,
    storage::write::Writable,
};
use axum::{extract::FromRequestParts, http::request::Parts, response::Response};
use std::sync::Arc;

/// What a request's `{guid}` can name: an object of a cached kind, or an item of a list that
/// is not one (a process, which is part of its app).
pub trait Findable {
    type Item;
    /// The item with `guid`, or CC's 404 for it when the caller may not see it.
    fn find(ctx: &Ctx, guid: &str) -> Result<Self::Item, ApiError>;
}

impl<K: Kind> Findable for K {
    type Item = Arc<K>;
    fn find(ctx: &Ctx, guid: &str) -> Result<Arc<K>, ApiError> {
        ctx.find::<K>(guid)
    }
}

/// The object (or item) the request's `{guid}` names, found with CC's 404 when the caller may
/// not see it, with the call: what most handlers of one resource start with.
pub struct Found<K: Findable>(pub Ctx, pub K::Item);

impl<K: Kind + Writable + Presented> Found<K> {
    /// CC's `PATCH` of the object: `edit` changes a copy (or refuses, and nothing is written),
    /// the request's `metadata` is merged in, and the copy is written back as the caller and
    /// answered as CC shows it.
    pub async fn update(
        self,
        metadata: Option<&MetadataRequest>,
        edit: impl FnOnce(&Ctx, &mut K) -> ApiResult<()>,
    ) -> ApiResult<Response> {
        let Found(ctx, current) = self;
        let mut obj = (*current).clone();
        edit(&ctx, &mut obj)?;
        apply_metadata(obj.meta_mut(), metadata);
        let updated = ctx.replace(obj).await?;
        Ok(ok(updated.present(&ctx)))
    }
}

impl<K: Findable> FromRequestParts<Arc<AppState>> for Found<K> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let Path(guid) = Path::<String>::from_request_parts(parts, state).await?;
        let found = K::find(&ctx, &guid)?;
        Ok(Self(ctx, found))
    }
}
