//! `/v3/service_instances`: user-provided service instances (Smelter has no service brokers
//! yet, so no managed ones). An instance is a `ServiceInstance` in its space's namespace; its
//! credentials are a JSON object in a Secret it owns, read and written as the caller, so RBAC
//! shows them to space developers and not to auditors, as CF does.

pub mod handlers;
mod message;
mod presenter;

pub use presenter::ServiceInstanceView;

use crate::{
    http::{
        paging::Included,
        present::to_value,
        query::{Accepts, ListQuery},
    },
    read::{Ctx, Kind, Listed, kinds::space_of, list::one_of},
    storage::store::By,
    v3::spaces::{self, SpaceView},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;
use smelter_crds::{ServiceInstance, service::ServiceInstanceType};
use std::sync::Arc;

/// CC's name of an instance's type.
pub fn type_name(si: &ServiceInstance) -> &'static str {
    match si.spec.type_ {
        ServiceInstanceType::UserProvided => "user-provided",
        ServiceInstanceType::Managed => "managed",
    }
}

/// The instance named `name` in `space`, if any.
pub fn named(ctx: &Ctx, space: &str, name: &str) -> Option<Arc<ServiceInstance>> {
    ctx.state
        .caches
        .service_instances
        .by(By::Name, name)
        .into_iter()
        .find(|si| space_of(&**si) == space)
}

/// The service instances list.
pub struct ServiceInstances;

impl Listed for ServiceInstances {
    type Item = Arc<ServiceInstance>;
    const NAME: &'static str = ServiceInstance::NAME;
    const LIST: Accepts = Accepts::filters(&[
        "type",
        "fields",
        "names",
        "space_guids",
        "organization_guids",
        "service_plan_guids",
        "service_plan_names",
    ])
    .order_by(&["name"])
    .fields(&[
        ("space", &["guid", "name", "relationships.organization"]),
        ("space.organization", &["name", "guid"]),
        (
            "service_plan",
            &["guid", "name", "relationships.service_offering"],
        ),
        (
            "service_plan.service_offering",
            &[
                "name",
                "guid",
                "description",
                "documentation_url",
                "tags",
                "relationships.service_broker",
            ],
        ),
        (
            "service_plan.service_offering.service_broker",
            &["name", "guid"],
        ),
    ]);

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Arc<ServiceInstance>> {
        let store = &ctx.state.caches.service_instances;
        let found = if let Some(names) = query.filter("names") {
            names.iter().flat_map(|n| store.by(By::Name, n)).collect()
        } else if let Some(spaces) = query.filter("space_guids") {
            spaces.iter().flat_map(|s| store.by(By::Space, s)).collect()
        } else {
            store.all()
        };
        found
            .into_iter()
            .filter(|si| ServiceInstance::visible(&ctx.perms, si))
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<ServiceInstance>> {
        ctx.get(guid)
    }

    fn guid(si: &Arc<ServiceInstance>) -> &str {
        si.metadata.name.as_deref().unwrap_or_default()
    }

    fn meta(si: &Arc<ServiceInstance>) -> Option<&ObjectMeta> {
        Some(&si.metadata)
    }

    fn matches(ctx: &Ctx, si: &Arc<ServiceInstance>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "names" => one_of(&si.spec.name, wanted),
            "space_guids" => one_of(space_of(&**si), wanted),
            "organization_guids" => ctx
                .state
                .caches
                .spaces
                .get(space_of(&**si))
                .is_some_and(|s| one_of(spaces::org_guid(&s), wanted)),
            "type" => one_of(type_name(si), wanted),
            // User-provided instances have no plan.
            "service_plan_guids" | "service_plan_names" => false,
            _ => return None,
        })
    }

    fn order_key(si: &Arc<ServiceInstance>, field: &str) -> Option<String> {
        (field == "name").then(|| si.spec.name.clone())
    }

    fn present<'a>(
        ctx: &'a Ctx,
        si: &'a Arc<ServiceInstance>,
    ) -> impl serde::Serialize + Send + 'a {
        ServiceInstanceView::of(si, &ctx.base)
    }

    fn include(ctx: &Ctx, page: &[&Arc<ServiceInstance>], query: &ListQuery) -> Included {
        let mut included = Included::new();
        let found = spaces::spaces(ctx, page.iter().map(|si| space_of(&***si)));
        if let Some(keys) = query.fields.get("space") {
            let views = found
                .iter()
                .map(|s| only(to_value(SpaceView::of(s, &ctx.base)), keys))
                .collect();
            included.insert("spaces", views);
        }
        if let Some(keys) = query.fields.get("space.organization") {
            let orgs = spaces::organizations(ctx, found.iter().map(|s| spaces::org_guid(s)));
            included.insert(
                "organizations",
                orgs.into_iter().map(|o| only(o, keys)).collect(),
            );
        }
        // User-provided instances have no plan, offering or broker.
        for (resource, key) in [
            ("service_plan", "service_plans"),
            ("service_plan.service_offering", "service_offerings"),
            (
                "service_plan.service_offering.service_broker",
                "service_brokers",
            ),
        ] {
            if query.fields.contains_key(resource) {
                included.insert(key, Vec::new());
            }
        }
        included
    }

    fn check(query: &ListQuery) -> Vec<String> {
        query
            .filter("type")
            .into_iter()
            .flatten()
            .filter(|t| !["managed", "user-provided"].contains(&t.as_str()))
            .map(|_| "Type must be one of 'managed', 'user-provided'".to_owned())
            .take(1)
            .collect()
    }
}

/// Keeps the `wanted` keys of a JSON object (CC's `fields[...]`); `relationships.x` keeps the
/// relationships.
fn only(value: Value, wanted: &[String]) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| {
                    wanted
                        .iter()
                        .any(|w| w == k || w.starts_with(&format!("{k}.")))
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_keep_what_they_name() {
        let v = json!({ "guid": "g", "name": "n", "relationships": { "organization": {} }, "links": {} });
        assert_eq!(
            only(v, &["name".into(), "relationships.organization".into()]),
            json!({ "name": "n", "relationships": { "organization": {} } })
        );
    }
}
