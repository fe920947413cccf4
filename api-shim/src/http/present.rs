//! What every presenter shares, as typed views that serialize straight into the response: the
//! timestamps and CF `metadata` of an object, links, and to-one relationships.

use crate::http::links::BaseUrl;
use k8s_openapi::{apimachinery::pkg::apis::meta::v1::ObjectMeta, jiff::Timestamp};
use serde::{Serialize, Serializer, ser::SerializeMap};
use std::{borrow::Cow, collections::BTreeMap};

/// Prefixes of the labels and annotations Smelter itself sets; they are not CF metadata.
const INTERNAL_PREFIXES: &[&str] = &[
    "cf.smelter.dev/",
    "app.kubernetes.io/",
    "kubectl.kubernetes.io/",
];

/// Whether a label or annotation key is the user's (CF metadata), not Smelter's own.
pub fn is_user_key(key: &str) -> bool {
    !INTERNAL_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// The annotation the api-shim's caches keep in place of managed fields: the object's last
/// write time, which is all the API needs of them (`updated_at`). It exists only in memory.
pub const UPDATED_AT: &str = "cf.smelter.dev/cached-updated-at";

/// A time as CC shows it (RFC 3339, seconds, `Z`).
pub fn cc_time(t: &Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `created_at` in CC's format.
pub fn created_at(meta: &ObjectMeta) -> String {
    meta.creation_timestamp
        .as_ref()
        .map(|t| cc_time(&t.0))
        .unwrap_or_default()
}

/// `updated_at`: the latest write recorded in managed fields (the cache keeps only that time,
/// in an annotation), else `created_at`.
pub fn updated_at(meta: &ObjectMeta) -> String {
    if let Some(cached) = meta.annotations.as_ref().and_then(|a| a.get(UPDATED_AT)) {
        return cached.clone();
    }
    meta.managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.time.as_ref())
        .max_by_key(|t| t.0)
        .map(|t| cc_time(&t.0))
        .unwrap_or_else(|| created_at(meta))
}

/// The GUID of an object: its name.
pub fn guid(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

/// The fields every resource starts with: `guid`, `created_at`, `updated_at` (flattened into
/// each view); the times are `null` for what has no object of its own.
#[derive(Serialize)]
pub struct Base<'a> {
    pub guid: &'a str,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

impl<'a> Base<'a> {
    /// An object's own GUID (its name) and times.
    pub fn of(meta: &'a ObjectMeta) -> Self {
        Self::with_guid(guid(meta), meta)
    }

    /// A resource kept inside another object (a process in an app), with its own GUID and
    /// that object's times.
    pub fn with_guid(guid: &'a str, meta: &ObjectMeta) -> Self {
        Self {
            guid,
            created_at: Some(created_at(meta)),
            updated_at: Some(updated_at(meta)),
        }
    }
}

/// CF `metadata` of an object: its user labels and annotations, without copying them.
pub struct Metadata<'a>(pub &'a ObjectMeta);

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("labels", &UserKeys(self.0.labels.as_ref()))?;
        m.serialize_entry("annotations", &UserKeys(self.0.annotations.as_ref()))?;
        m.end()
    }
}

/// CF `metadata` of what has none: `{"labels": {}, "annotations": {}}`.
pub struct NoMetadata;

impl Serialize for NoMetadata {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("labels", &UserKeys(None))?;
        m.serialize_entry("annotations", &UserKeys(None))?;
        m.end()
    }
}

struct UserKeys<'a>(Option<&'a BTreeMap<String, String>>);

impl Serialize for UserKeys<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.0
                .iter()
                .flat_map(|m| m.iter())
                .filter(|(k, _)| is_user_key(k)),
        )
    }
}

/// A link object, `{"href": base + parts...}` (and `"method"` for actions), written straight
/// into the response without building the URL string first.
pub struct Link<'a> {
    pub base: &'a BaseUrl,
    pub parts: [&'a str; 3],
    pub method: Option<&'static str>,
    /// Left out of `links` (a link a resource has only sometimes: a build's droplet).
    pub hidden: bool,
}

impl<'a> Link<'a> {
    /// `base + path + guid`: the link to one resource.
    pub fn to(base: &'a BaseUrl, path: &'a str, guid: &'a str) -> Self {
        Self::new(base, path, guid, "")
    }

    /// `base + a + b + c`.
    pub fn new(base: &'a BaseUrl, a: &'a str, b: &'a str, c: &'a str) -> Self {
        Self {
            base,
            parts: [a, b, c],
            method: None,
            hidden: false,
        }
    }

    /// This link if `present`, else none.
    pub fn only_if(self, present: bool) -> Self {
        Self {
            hidden: !present,
            ..self
        }
    }

    /// The same, for an action the client POSTs to.
    fn post(base: &'a BaseUrl, a: &'a str, b: &'a str, c: &'a str) -> Self {
        Self {
            method: Some("POST"),
            ..Self::new(base, a, b, c)
        }
    }

    /// The same, for something the client GETs with a method named (a download).
    fn get(base: &'a BaseUrl, a: &'a str, b: &'a str, c: &'a str) -> Self {
        Self {
            method: Some("GET"),
            ..Self::new(base, a, b, c)
        }
    }
}

impl Serialize for Link<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Href<'b>(&'b Link<'b>);
        impl Serialize for Href<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let [a, b, c] = self.0.parts;
                s.collect_str(&format_args!("{}{a}{b}{c}", self.0.base.0))
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("href", &Href(self))?;
        if let Some(method) = self.method {
            m.serialize_entry("method", method)?;
        }
        m.end()
    }
}

/// The links under one resource, `base + path + guid + suffix`: its own (`self`, with the
/// suffix `""`), its sub-resources and its actions.
#[derive(Clone, Copy)]
pub struct Hrefs<'a> {
    base: &'a BaseUrl,
    path: &'a str,
    guid: &'a str,
}

impl<'a> Hrefs<'a> {
    pub fn new(base: &'a BaseUrl, path: &'a str, guid: &'a str) -> Self {
        Self { base, path, guid }
    }

    pub fn link(self, suffix: &'a str) -> Link<'a> {
        Link::new(self.base, self.path, self.guid, suffix)
    }

    /// An action the client POSTs to.
    pub fn post(self, suffix: &'a str) -> Link<'a> {
        Link::post(self.base, self.path, self.guid, suffix)
    }

    /// A download, which CC names with its method.
    pub fn get(self, suffix: &'a str) -> Link<'a> {
        Link::get(self.base, self.path, self.guid, suffix)
    }
}

/// A resource's `links`: named links, in order.
pub struct Links<'a, const N: usize>(pub [(&'static str, Link<'a>); N]);

impl<const N: usize> Serialize for Links<'_, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let shown = self.0.iter().filter(|(_, link)| !link.hidden);
        s.collect_map(shown.map(|(name, link)| (name, link)))
    }
}

/// `{"guid": ...}`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Guid<'a> {
    pub guid: Cow<'a, str>,
}

impl<'a> Guid<'a> {
    pub fn of(guid: &'a str) -> Self {
        Self { guid: guid.into() }
    }
}

/// A to-one relationship: `{"data": {"guid": ...}}`, or `{"data": null}`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ToOne<'a> {
    pub data: Option<Guid<'a>>,
}

impl<'a> ToOne<'a> {
    /// `{"data": {"guid": guid}}`.
    pub fn to(guid: &'a str) -> Self {
        Self {
            data: Some(Guid::of(guid)),
        }
    }

    pub fn maybe(guid: Option<&'a str>) -> Self {
        Self {
            data: guid.map(Guid::of),
        }
    }

    pub const NONE: ToOne<'static> = ToOne { data: None };
}

/// A to-many relationship: `{"data": [{"guid": ...}, ...]}`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ToMany<'a> {
    pub data: Vec<Guid<'a>>,
}

impl<'a> ToMany<'a> {
    pub fn of(guids: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            data: guids.into_iter().map(Guid::of).collect(),
        }
    }

    /// Of GUIDs the view owns (those of other objects, looked up for it).
    pub fn owned(guids: impl IntoIterator<Item = String>) -> Self {
        Self {
            data: guids.into_iter().map(|g| Guid { guid: g.into() }).collect(),
        }
    }
}

/// A relationship answered by itself (`GET`/`POST .../relationships/NAME`): its `data`
/// (`ToOne` or `ToMany`) and `links` (`self`, and `related` where CC gives one).
#[derive(Serialize)]
pub struct Relationship<'a, D, const L: usize> {
    pub data: D,
    pub links: Links<'a, L>,
}

/// A relationship of a resource: to one (`{"data": {"guid"}}` or `{"data": null}`) or to
/// many (`{"data": [...]}`).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Rel<'a> {
    One(ToOne<'a>),
    Many(ToMany<'a>),
    /// Left out (a relationship a resource has only sometimes: a binding's app).
    #[serde(skip)]
    Absent,
}

impl<'a> Rel<'a> {
    pub fn to(guid: &'a str) -> Self {
        Self::One(ToOne::to(guid))
    }

    pub fn maybe(guid: Option<&'a str>) -> Self {
        Self::One(ToOne::maybe(guid))
    }

    /// The relationship to `guid` if there is one, else none at all.
    pub fn if_any(guid: Option<&'a str>) -> Self {
        guid.map_or(Self::Absent, Self::to)
    }

    pub const NONE: Rel<'static> = Rel::One(ToOne::NONE);
}

/// A resource's `relationships`, named, in order.
pub struct Rels<'a, const N: usize>(pub [(&'static str, Rel<'a>); N]);

impl<const N: usize> Rels<'_, N> {
    fn is_empty(&self) -> bool {
        N == 0
    }
}

impl<const N: usize> Serialize for Rels<'_, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let present = self.0.iter().filter(|(_, rel)| !matches!(rel, Rel::Absent));
        s.collect_map(present.map(|(name, rel)| (name, rel)))
    }
}

/// A resource's CF `metadata`: an object's labels and annotations, empty ones for what has
/// none of its own, or none at all (roles have no `metadata`).
pub enum Meta<'a> {
    Of(&'a ObjectMeta),
    Empty,
    Absent,
}

impl Meta<'_> {
    fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }
}

impl Serialize for Meta<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Of(meta) => Metadata(meta).serialize(s),
            Self::Empty | Self::Absent => NoMetadata.serialize(s),
        }
    }
}

/// A CC resource as it is rendered: `guid`, `created_at`, `updated_at`, its own `fields`,
/// `relationships`, `metadata` and `links`, in that order. Each resource has its fields and
/// says which relationships and links it has; the frame is the same for all.
#[derive(Serialize)]
pub struct View<'a, F, const R: usize, const L: usize> {
    #[serde(flatten)]
    base: Base<'a>,
    #[serde(flatten)]
    fields: F,
    #[serde(skip_serializing_if = "Rels::is_empty")]
    relationships: Rels<'a, R>,
    #[serde(skip_serializing_if = "Meta::is_absent")]
    metadata: Meta<'a>,
    links: Links<'a, L>,
}

impl<'a, F> View<'a, F, 0, 0> {
    /// The view of an object: its GUID (its name), times and CF metadata, and `fields`;
    /// relationships and links follow.
    pub fn object(meta: &'a ObjectMeta, fields: F) -> Self {
        Self::new(Base::of(meta), fields, [], Meta::Of(meta), [])
    }

    /// The view of a resource kept inside an object (a process in an app, the droplet of a
    /// build): its own GUID, the object's times, and no labels or annotations of its own.
    pub fn part(guid: &'a str, meta: &'a ObjectMeta, fields: F) -> Self {
        Self::new(Base::with_guid(guid, meta), fields, [], Meta::Empty, [])
    }

    /// The view of what has no object at all (a stack, a user): no times, no labels or
    /// annotations.
    pub fn bare(guid: &'a str, fields: F) -> Self {
        let base = Base {
            guid,
            created_at: None,
            updated_at: None,
        };
        Self::new(base, fields, [], Meta::Empty, [])
    }
}

impl<'a, F, const R: usize, const L: usize> View<'a, F, R, L> {
    /// With these `relationships`.
    pub fn related<const N: usize>(
        self,
        relationships: [(&'static str, Rel<'a>); N],
    ) -> View<'a, F, N, L> {
        View {
            base: self.base,
            fields: self.fields,
            relationships: Rels(relationships),
            metadata: self.metadata,
            links: self.links,
        }
    }

    /// With these `links`.
    pub fn links<const N: usize>(self, links: [(&'static str, Link<'a>); N]) -> View<'a, F, R, N> {
        View {
            base: self.base,
            fields: self.fields,
            relationships: self.relationships,
            metadata: self.metadata,
            links: Links(links),
        }
    }

    /// Without a `metadata` key at all (CC's roles have none).
    pub fn without_metadata(self) -> Self {
        Self {
            metadata: Meta::Absent,
            ..self
        }
    }

    fn new(
        base: Base<'a>,
        fields: F,
        relationships: [(&'static str, Rel<'a>); R],
        metadata: Meta<'a>,
        links: [(&'static str, Link<'a>); L],
    ) -> Self {
        Self {
            base,
            fields,
            relationships: Rels(relationships),
            metadata,
            links: Links(links),
        }
    }
}

/// A view as a JSON value, for `included` and for answers assembled from parts.
pub fn to_value(view: impl Serialize) -> serde_json::Value {
    // Views are plain data with string keys: they always serialize.
    serde_json::to_value(view).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_shows_user_keys_only() {
        let meta = ObjectMeta {
            labels: Some(
                [
                    ("env".to_owned(), "prod".to_owned()),
                    ("cf.smelter.dev/space-guid".to_owned(), "s".to_owned()),
                ]
                .into(),
            ),
            annotations: Some([(UPDATED_AT.to_owned(), "t".to_owned())].into()),
            ..Default::default()
        };
        assert_eq!(
            to_value(Metadata(&meta)),
            json!({ "labels": { "env": "prod" }, "annotations": {} })
        );
        assert_eq!(
            to_value(NoMetadata),
            json!({ "labels": {}, "annotations": {} })
        );
    }

    #[test]
    fn links_and_relationships_render_as_cc_does() {
        let base = BaseUrl("https://api.x".into());
        let links = Links([
            ("self", Link::new(&base, "/v3/apps/", "g", "")),
            (
                "start",
                Link::post(&base, "/v3/apps/", "g", "/actions/start"),
            ),
        ]);
        assert_eq!(
            to_value(links),
            json!({
                "self": { "href": "https://api.x/v3/apps/g" },
                "start": { "href": "https://api.x/v3/apps/g/actions/start", "method": "POST" },
            })
        );
        assert_eq!(to_value(ToOne::to("g")), json!({ "data": { "guid": "g" } }));
        assert_eq!(to_value(ToOne::NONE), json!({ "data": null }));
        assert_eq!(
            to_value(ToMany::of(["a", "b"])),
            json!({ "data": [{ "guid": "a" }, { "guid": "b" }] })
        );
    }
}
