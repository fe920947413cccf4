//! `/v3/service_instances`: user-provided service instances (Smelter has no service brokers
//! yet, so no managed ones). An instance is a `ServiceInstance` in its space's namespace; its
//! credentials are a JSON object in a Secret it owns, read and written as the caller, so RBAC
//! shows them to space developers and not to auditors, as CF does.

pub mod handlers;
mod message;
pub mod presenter;

pub use presenter::ServiceInstanceView;

use crate::v3::{
    prelude::*,
    spaces::{self, SpaceView},
};
use serde_json::Value;
use smelter_crds::{ServiceInstance, Space, service::ServiceInstanceType};

/// CC's name of an instance's type.
pub fn type_name(si: &ServiceInstance) -> &'static str {
    match si.spec.type_ {
        ServiceInstanceType::UserProvided => "user-provided",
        ServiceInstanceType::Managed => "managed",
    }
}

/// The instance named `name` in `space`, if any.
pub fn named(ctx: &Ctx, space: &str, name: &str) -> Option<Arc<ServiceInstance>> {
    ctx.named_in(space, name)
}

/// The service instances list.
pub struct ServiceInstances;

impl Objects for ServiceInstances {
    type Kind = ServiceInstance;
    const LIST: Accepts = Accepts::filters(
        "type fields names space_guids organization_guids service_plan_guids service_plan_names",
    )
    .order_by("name")
    .fields(&[
        ("space", "guid name relationships.organization"),
        ("space.organization", "name guid"),
        ("service_plan", "guid name relationships.service_offering"),
        (
            "service_plan.service_offering",
            "name guid description documentation_url tags relationships.service_broker",
        ),
        ("service_plan.service_offering.service_broker", "name guid"),
    ]);
    const INDEXED: Indexed = &[("names", By::Name), ("space_guids", By::Space)];

    fn matches(ctx: &Ctx, si: &ServiceInstance, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "space_guids" => one_of(space_of(si), wanted),
            "organization_guids" => in_org(ctx, space_of(si), wanted),
            "type" => one_of(type_name(si), wanted),
            // User-provided instances have no plan.
            "service_plan_guids" | "service_plan_names" => false,
            _ => return None,
        })
    }

    fn include(ctx: &Ctx, page: &[&Arc<ServiceInstance>], query: &ListQuery) -> Included {
        let mut included = Included::new();
        let found = each_once::<Space>(ctx, page.iter().map(|si| space_of(&***si)));
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
        one_type_of(query, &["managed", "user-provided"])
    }
}

/// CC's refusal of a `type` filter value outside `types`.
pub fn one_type_of(query: &ListQuery, types: &[&str]) -> Vec<String> {
    let given = query.filter("type").unwrap_or_default();
    if given.iter().all(|t| types.contains(&t.as_str())) {
        return Vec::new();
    }
    vec![format!("Type must be one of '{}'", types.join("', '"))]
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

    #[tokio::test]
    async fn filters_as_cc() {
        use crate::fixtures::{self, IN_SPACE_S1};
        // User-provided instances have no plan.
        let own = "names=db names!=cache type=user-provided type!=managed service_plan_guids!=plan1 service_plan_names!=small";
        let instance = Arc::new(fixtures::user_provided("si1"));
        fixtures::check_filters::<ServiceInstances>(&instance, &[IN_SPACE_S1, own]).await;
    }
}
