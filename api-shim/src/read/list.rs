//! [`Listed`], what a listable CF resource says about itself, and the handlers that list and
//! show any of them.

use super::{Ctx, Kind};
use crate::http::{
    errors::{ApiError, ApiResult},
    paging::{self, Included, Page, Pagination},
    path::Path,
    present,
    query::{Accepts, ListQuery},
    reply,
};
use axum::{
    Json,
    response::{IntoResponse, Response},
};
use k8s_openapi::{apimachinery::pkg::apis::meta::v1::ObjectMeta, jiff::Timestamp};
use serde::Serialize;
use std::sync::Arc;

/// A CF resource the API lists and shows. Implemented once per resource; everything a list
/// does besides these answers is done once for all by [`list`], [`nested`] and [`show`].
pub trait Listed: Sized + 'static {
    /// One entry of the list: an object, or a part of one (a process of an app).
    type Item: Send + Sync;
    /// CC's name of it in `<NAME> not found`.
    const NAME: &'static str;
    /// What its list accepts.
    const LIST: Accepts;
    /// The order when none is asked for (CC's default: `created_at`).
    const DEFAULT_ORDER: &'static str = "created_at";

    /// The items the caller may see, narrowed by whichever of the query's filters an index
    /// answers (all of them get checked again by [`Listed::matches`]).
    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Self::Item>;
    /// The item with `guid`, if the caller may see it.
    fn get(ctx: &Ctx, guid: &str) -> Option<Self::Item>;
    fn guid(item: &Self::Item) -> &str;
    /// Labels and timestamps, for `label_selector`, `created_ats`, `updated_ats` and
    /// ordering; `None` for what has no Kubernetes object of its own.
    fn meta(_item: &Self::Item) -> Option<&ObjectMeta> {
        None
    }
    /// Whether `item` passes the filter `key` (one of [`Listed::LIST`]'s, never `guids`) with
    /// the `wanted` values. `None` means the resource does not know the filter: a list that
    /// accepts a filter it does not apply is a bug, answered as one, never ignored.
    fn matches(ctx: &Ctx, item: &Self::Item, key: &str, wanted: &[String]) -> Option<bool>;
    /// The CF labels `label_selector` looks at (those of [`Listed::meta`], unless the item
    /// has none of its own).
    fn labels(item: &Self::Item) -> Option<&std::collections::BTreeMap<String, String>> {
        Self::meta(item).and_then(|m| m.labels.as_ref())
    }
    /// CC's JSON of one item.
    fn present<'a>(ctx: &'a Ctx, item: &'a Self::Item) -> impl Serialize + Send + 'a;

    /// The sort key of `item` for `order_by=field`, for the list's own `order_by` values.
    fn order_key(_item: &Self::Item, _field: &str) -> Option<String> {
        None
    }
    /// The related resources `include` or `fields` ask for, for the page's items.
    fn include(_ctx: &Ctx, _page: &[&Self::Item], _query: &ListQuery) -> Included {
        Included::new()
    }
    /// CC's checks of filter values the list takes (`lifecycle_type` must be `buildpack` or
    /// `docker`, ...), each refusal in CC's words.
    fn check(_query: &ListQuery) -> Vec<String> {
        Vec::new()
    }
}

/// A list under another resource (`/v3/apps/:guid/builds`): what it accepts, and its items
/// under one parent.
pub trait Nested<P: Kind>: Listed {
    const NESTED: Accepts;
    /// The items under `parent` that the caller may see.
    fn under(ctx: &Ctx, parent: &Arc<P>, query: &ListQuery) -> Vec<Self::Item>;
    /// Sets the filters CC sets to the parent for this list, whatever was sent (an app's
    /// routes: `app_guids` is the app).
    fn scope(_query: &mut ListQuery, _parent: &str) {}
}

/// `GET /v3/<resources>`.
pub async fn list<R: Listed>(ctx: Ctx) -> ApiResult<Response> {
    let query = parse::<R>(&ctx, &R::LIST)?;
    let items = R::candidates(&ctx, &query);
    render::<R>(&ctx, items, &query)
}

/// `GET /v3/<parents>/:guid/<resources>`. The query is checked before the parent is looked
/// up, as CC does.
pub async fn nested<R: Nested<P>, P: Kind>(
    ctx: Ctx,
    Path(guid): Path<String>,
) -> ApiResult<Response> {
    let mut query = parse::<R>(&ctx, &R::NESTED)?;
    let parent = ctx.find::<P>(&guid)?;
    R::scope(&mut query, &guid);
    let items = R::under(&ctx, &parent, &query);
    render::<R>(&ctx, items, &query)
}

/// `GET /v3/<resources>/:guid`.
pub async fn show<R: Listed>(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    let item = R::get(&ctx, &guid).ok_or_else(|| ApiError::not_found(R::NAME))?;
    Ok(Json(R::present(&ctx, &item)).into_response())
}

fn parse<R: Listed>(ctx: &Ctx, accepts: &Accepts) -> ApiResult<ListQuery> {
    let mut query = ListQuery::parse(ctx.query.as_deref(), accepts)?;
    let problems = R::check(&query);
    if !problems.is_empty() {
        return Err(crate::http::query::refuse(accepts.refusal, problems));
    }
    if !query.ordered {
        query.order_by.field = R::DEFAULT_ORDER.to_owned();
    }
    Ok(query)
}

/// Filters, orders and cuts `items` into the page the query asks for.
fn render<R: Listed>(ctx: &Ctx, items: Vec<R::Item>, query: &ListQuery) -> ApiResult<Response> {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        if passes::<R>(ctx, &item, query)? {
            kept.push(item);
        }
    }
    let field = query.order_by.field.as_str();
    // Keys are computed once per item; ties fall back to the GUID so pages are stable.
    let keys: Vec<(i64, String)> = kept.iter().map(|i| order_key::<R>(i, field)).collect();
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let guids = || R::guid(&kept[a]).cmp(R::guid(&kept[b]));
        keys[a].cmp(&keys[b]).then_with(guids)
    });
    if query.order_by.descending {
        order.reverse();
    }
    let page: Vec<&R::Item> = paging::cut(&order, query)
        .iter()
        .map(|&i| &kept[i])
        .collect();
    let included = (!query.include.is_empty() || !query.fields.is_empty())
        .then(|| R::include(ctx, &page, query));
    let resources: Vec<_> = page.iter().map(|item| R::present(ctx, item)).collect();
    // About what CC's JSON of an app takes; a list of smaller things reserves more than it
    // uses, which costs nothing until written.
    let capacity = 1024 + 2048 * resources.len();
    let page = Page {
        pagination: Pagination::of(kept.len(), query, &ctx.base, &ctx.path),
        resources,
        included,
    };
    Ok(reply::ok_sized(page, capacity))
}

/// Whether an item passes every filter of the query.
fn passes<R: Listed>(ctx: &Ctx, item: &R::Item, query: &ListQuery) -> ApiResult<bool> {
    if let Some(guids) = query.filter("guids")
        && !guids.iter().any(|g| g == R::guid(item))
    {
        return Ok(false);
    }
    let meta = R::meta(item);
    let labels = R::labels(item);
    if let Some(selector) = &query.label_selector
        && !selector.matches(|key| {
            labels
                .and_then(|l| l.get(key))
                .filter(|_| present::is_user_key(key))
                .map(String::as_str)
        })
    {
        return Ok(false);
    }
    if let Some(f) = &query.created_ats
        && !created(meta).is_some_and(|t| f.allows(t))
    {
        return Ok(false);
    }
    if let Some(f) = &query.updated_ats
        && !updated(meta).is_some_and(|t| f.allows(t))
    {
        return Ok(false);
    }
    for (key, wanted) in query.filters() {
        if key == "guids" {
            continue;
        }
        match R::matches(ctx, item, key, wanted) {
            Some(true) => {}
            Some(false) => return Ok(false),
            None => {
                return Err(ApiError::server_error(&format_args!(
                    "{} lists accept the filter {key} but do not apply it",
                    R::NAME
                )));
            }
        }
    }
    Ok(true)
}

fn created(meta: Option<&ObjectMeta>) -> Option<Timestamp> {
    Some(meta?.creation_timestamp.as_ref()?.0)
}

fn updated(meta: Option<&ObjectMeta>) -> Option<Timestamp> {
    present::updated_at(meta?).parse().ok()
}

/// The sort key: seconds for the timestamps, text for the list's own fields.
fn order_key<R: Listed>(item: &R::Item, field: &str) -> (i64, String) {
    if let Some(key) = R::order_key(item, field) {
        return (0, key);
    }
    let meta = R::meta(item);
    let at = match field {
        "updated_at" => updated(meta),
        _ => created(meta),
    };
    (at.map_or(i64::MIN, |t| t.as_second()), String::new())
}

/// Whether `value` is one of `wanted` (CC's filters take several values, any of which may
/// match).
pub fn one_of(value: &str, wanted: &[String]) -> bool {
    wanted.iter().any(|w| w == value)
}

/// Whether any of `values` is one of `wanted`.
pub fn any_of<'v>(mut values: impl Iterator<Item = &'v str>, wanted: &[String]) -> bool {
    values.any(|v| one_of(v, wanted))
}

/// Whether the space `space` is in one of the `wanted` organizations (CC's
/// `organization_guids` of anything in a space).
pub fn in_org(ctx: &Ctx, space: &str, wanted: &[String]) -> bool {
    ctx.state
        .caches
        .spaces
        .get(space)
        .and_then(|s| s.metadata.namespace.clone())
        .is_some_and(|org| one_of(&org, wanted))
}
