//! The one read path. Every CF list and show goes through here: [`Ctx`] is one API call (who
//! calls, what they may see, the URL they used), [`Kind`] says how each cached kind is looked
//! up and who may see it, and a resource that can be listed implements [`Listed`] once (or
//! [`Objects`], for a list of cached objects): the generic [`list`], [`nested`] and [`show`]
//! handlers do paging, `label_selector`, the common filters, `created_ats`/`updated_ats`,
//! ordering, `include` and the not-found error for all. [`Presented`] is how each kind is
//! shown, [`Found`] the object a request's `{guid}` names (and CC's `PATCH` of it), and
//! [`Ctx::create`] and [`Ctx::replace`] write as the caller through the shared write path.

mod found;
pub mod kinds;
pub mod list;
mod objects;

pub use found::{Findable, Found};
pub use kinds::Kind;
pub use list::{Listed, Nested, list, nested, show};
pub use objects::{Indexed, Objects, narrowed};

use crate::{
    auth::{Caller, Permissions},
    http::{
        errors::{ApiError, ApiResult},
        links::BaseUrl,
        present::to_value,
    },
    state::AppState,
    storage::{
        store::By,
        write::{self, Writable},
    },
};
use axum::{extract::FromRequestParts, http::request::Parts};
use serde::Serialize;
use serde_json::value::RawValue;
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

/// The same, each as CC shows it: one kind of resources of a list's `included`.
pub fn rendered<'a, K: Kind + Presented>(
    ctx: &Ctx,
    guids: impl IntoIterator<Item = &'a str>,
) -> Vec<serde_json::Value> {
    let found = each_once::<K>(ctx, guids);
    found.iter().map(|o| to_value(o.present(ctx))).collect()
}

/// A kind as CC shows one of it: what its lists, shows, creates and updates answer.
/// Implemented beside each resource's presenter, by [`presented!`] where the view needs
/// nothing but the object and the URL.
pub trait Presented {
    /// Whether the view is a function of the object and the URL alone: then what was
    /// rendered of one version of the object is served again (see [`rendered`]).
    const PURE: bool = false;
    fn present<'a>(&'a self, ctx: &'a Ctx) -> impl Serialize + Send + 'a;
}

/// One object's JSON as rendered for one URL (none if it could not be).
pub struct Rendering {
    base: String,
    json: Option<Box<RawValue>>,
}

/// An object as a list shows it: its JSON as rendered before, or its view.
pub enum Presentation<V> {
    Rendered(Arc<Rendering>),
    View(V),
}

impl<V: Serialize> Serialize for Presentation<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Rendered(r) => r.json.serialize(serializer),

            Self::View(v) => v.serialize(serializer),
        }
    }
}

/// `obj` as CC shows it: for a kind whose view is [`Presented::PURE`], the JSON its store
/// keeps for this version of it (rendered on first use), since a list of thousands would
/// otherwise serialize every one of them again on every read.
pub fn presentation<'a, K: Kind + Presented>(
    ctx: &'a Ctx,
    obj: &'a Arc<K>,
) -> Presentation<impl Serialize + Send + 'a> {
    if K::PURE {
        let base = &ctx.base.0;
        let kept = K::store(&ctx.state.caches).derived(
            obj,
            |r: &Rendering| &r.base == base,
            || Rendering {
                base: base.clone(),
                json: serde_json::value::to_raw_value(&obj.present(ctx)).ok(),
            },
        );
        if kept.json.is_some() {
            return Presentation::Rendered(kept);
        }
    }
    Presentation::View(obj.present(ctx))
}

/// `presented!(Org => OrganizationView)`: the kind is shown as `OrganizationView::of` renders it.
macro_rules! presented {
    ($kind:ty => $view:ident) => {
        impl $crate::read::Presented for $kind {
            const PURE: bool = true;
            fn present<'a>(
                &'a self,
                ctx: &'a $crate::read::Ctx,
            ) -> impl serde::Serialize + Send + 'a {
                $view::of(self, &ctx.base)
            }
        }
    };
}
pub(crate) use presented;

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

    /// Creates `obj` in `namespace` as the caller, once the cache has it (the shared write
    /// path: [`write::create`]).
    pub async fn create<K: Kind + Writable>(&self, namespace: &str, obj: &K) -> ApiResult<K> {
        write::create(
            &self.client()?,
            namespace,
            obj,
            K::store(&self.state.caches),
        )
        .await
    }

    /// Writes a changed `obj` back as the caller (or as the api-shim, for the kinds not
    /// [`Kind::WRITTEN_AS_CALLER`]), with the conflict retry and the wait for the cache of
    /// [`write::replace`].
    pub async fn replace<K: Kind + Writable>(&self, obj: K) -> ApiResult<K> {
        let client = if K::WRITTEN_AS_CALLER {
            self.client()?
        } else {
            self.state.kube.own()
        };
        write::replace(&client, obj, K::store(&self.state.caches)).await
    }

    /// CC's 403 unless the caller is an admin.
    pub fn admin_only(&self) -> ApiResult<()> {
        if self.perms.is_admin() {
            Ok(())
        } else {
            Err(ApiError::not_authorized())
        }
    }

    /// The Kubernetes client a write by the caller goes through (impersonating them).
    pub fn client(&self) -> Result<kube::Client, ApiError> {
        let groups = self.caller.kube_groups(&self.perms);
        self.state
            .kube
            .impersonating(self.caller.kube_user(), groups)
            .map_err(ApiError::from_kube)
    }

    /// The client of a write CC makes on a user's behalf beyond their own rights, after the
    /// handler's check (an org made under `user_org_creation`, and the creator's roles in it):
    /// impersonating the caller with the admins' group, so RBAC allows it and the API server's
    /// audit log still names the user.
    pub fn client_as_admin(&self) -> Result<kube::Client, ApiError> {
        let mut groups = self.caller.kube_groups(&self.perms);
        if !groups
            .iter()
            .any(|g| g == crate::auth::caller::ADMINS_GROUP)
        {
            groups.push(crate::auth::caller::ADMINS_GROUP.to_owned());
        }
        self.state
            .kube
            .impersonating(self.caller.kube_user(), groups)
            .map_err(ApiError::from_kube)
    }
}
