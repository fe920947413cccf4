//! [`Objects`]: a list whose items are cached objects of one kind, which is most of CC's
//! lists. Such a resource says what it filters and how it looks; where its items come from,
//! how they are found by GUID, and which index answers a filter is the same for all of them.

use super::{Ctx, Kind, Listed, Presented, list::one_of};
use crate::{
    http::{
        paging::Included,
        query::{Accepts, ListQuery},
    },
    storage::store::By,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::Serialize;
use std::{collections::HashSet, sync::Arc};

/// The filters of a list that an index answers, each with its index.
pub type Indexed = &'static [(&'static str, By)];

/// A list of the cached objects of [`Objects::Kind`] the caller may see.
pub trait Objects: 'static {
    type Kind: Kind + Presented;
    /// What its list accepts.
    const LIST: Accepts;
    /// The order when none is asked for (CC's default: `created_at`).
    const DEFAULT_ORDER: &'static str = "created_at";
    /// The filters an index answers, each with its index, tried in order when no `guids`
    /// are given.
    const INDEXED: Indexed = &[];

    /// Whether `obj` passes the filter `key` with the `wanted` values (see
    /// [`Listed::matches`]); `names` is answered by [`Kind::cf_name`].
    fn matches(ctx: &Ctx, obj: &Self::Kind, key: &str, wanted: &[String]) -> Option<bool>;
    /// The sort key for the list's own `order_by` values.
    fn order_key(_obj: &Self::Kind, _field: &str) -> Option<String> {
        None
    }
    /// What `include` or `fields` ask for, for the page's objects.
    fn include(_ctx: &Ctx, _page: &[&Arc<Self::Kind>], _query: &ListQuery) -> Included {
        Included::new()
    }
    /// CC's checks of the list's filter values.
    fn check(_query: &ListQuery) -> Vec<String> {
        Vec::new()
    }
}

impl<T: Objects> Listed for T {
    type Item = Arc<T::Kind>;
    const NAME: &'static str = <T::Kind as Kind>::NAME;
    const LIST: Accepts = <T as Objects>::LIST;
    const DEFAULT_ORDER: &'static str = <T as Objects>::DEFAULT_ORDER;

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Self::Item> {
        narrowed(ctx, query, T::INDEXED)
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Self::Item> {
        ctx.get(guid)
    }

    fn guid(obj: &Self::Item) -> &str {
        obj.meta().name.as_deref().unwrap_or_default()
    }

    fn meta(obj: &Self::Item) -> Option<&ObjectMeta> {
        Some(obj.meta())
    }

    fn matches(ctx: &Ctx, obj: &Self::Item, key: &str, wanted: &[String]) -> Option<bool> {
        match (key, obj.cf_name()) {
            ("names", Some(name)) => Some(one_of(name, wanted)),
            _ => <T as Objects>::matches(ctx, obj, key, wanted),
        }
    }

    fn present<'a>(ctx: &'a Ctx, obj: &'a Self::Item) -> impl Serialize + Send + 'a {
        super::presentation(ctx, obj)
    }

    fn order_key(obj: &Self::Item, field: &str) -> Option<String> {
        match (field, obj.cf_name()) {
            ("name", Some(name)) => Some(name.to_owned()),
            _ => <T as Objects>::order_key(obj, field),
        }
    }

    fn include(ctx: &Ctx, page: &[&Self::Item], query: &ListQuery) -> Included {
        <T as Objects>::include(ctx, page, query)
    }

    fn check(query: &ListQuery) -> Vec<String> {
        <T as Objects>::check(query)
    }
}

/// The objects of `K` the caller may see, narrowed by `guids`, else by the first of `indexed`'s
/// filters the query gives (every filter is checked again afterwards), else all of them.
pub fn narrowed<K: Kind>(ctx: &Ctx, query: &ListQuery, indexed: &[(&str, By)]) -> Vec<Arc<K>> {
    let store = K::store(&ctx.state.caches);
    let mut found: Vec<Arc<K>> = if let Some(guids) = query.filter("guids") {
        guids.iter().filter_map(|g| store.get(g)).collect()
    } else if let Some((values, by)) = indexed
        .iter()
        .find_map(|(filter, by)| Some((query.filter(filter)?, *by)))
    {
        values.iter().flat_map(|v| store.by(by, v)).collect()
    } else {
        store.all()
    };
    found.retain(|o| K::visible(&ctx.perms, o));
    // Two values of a filter may find the same object.
    let mut seen = HashSet::new();
    let first: Vec<bool> = found
        .iter()
        .map(|o| seen.insert((o.meta().namespace.as_deref(), o.meta().name.as_deref())))
        .collect();
    let mut first = first.into_iter();
    found.retain(|_| first.next().unwrap_or_default());
    found
}
