//! Creating a route, shared by `POST /v3/routes` and manifests' `routes:`.

use super::message::{check_host, check_path};
use crate::v3::{prelude::*, quota_usage, spaces};
use smelter_crds::{Domain, Route, RouteSpec, Space, labels};

/// CC's longest host plus domain.
const MAX_FQDN: usize = 253;

/// CC's duplicate-route message (the cf CLI looks for "Route already exists").
pub fn already_exists(host: &str, domain: &str, path: &str) -> ApiError {
    let detail = match (host.is_empty(), path.is_empty()) {
        (false, true) => format!("Route already exists with host '{host}' for domain '{domain}'."),
        (false, false) => format!(
            "Route already exists with host '{host}' and path '{path}' for domain '{domain}'."
        ),
        (true, true) => format!("Route already exists for domain '{domain}'."),
        (true, false) => format!("Route already exists with path '{path}' for domain '{domain}'."),
    };
    ApiError::uniqueness(detail)
}

/// The route with `host`, `domain_guid` and `path`, in any space.
pub fn existing(
    ctx: &Ctx,
    host: &str,
    domain_guid: &str,
    path: &str,
) -> Option<std::sync::Arc<Route>> {
    ctx.state
        .caches
        .routes
        .all()
        .into_iter()
        .find(|r| r.spec.domain_guid == domain_guid && r.spec.host == host && r.spec.path == path)
}

/// Creates a route in `space` as the caller, after CC's checks.
pub async fn create(
    ctx: &Ctx,
    space: &str,
    domain_guid: &str,
    host: String,
    path: String,
    metadata: Option<&MetadataRequest>,
) -> ApiResult<Route> {
    let s = ctx.related::<Space>(space)?;
    let domain = ctx.related::<Domain>(domain_guid)?;
    crate::v3::feature_flags::require_unless_admin(ctx, "route_creation")?;
    let mut problems: Vec<String> = check_host(&host).into_iter().collect();
    problems.extend(check_path(&path));
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(problems.join(", ")));
    }
    if !host.is_empty() && host.len() + 1 + domain.spec.name.len() > MAX_FQDN {
        return Err(ApiError::unprocessable(
            "Host combined with domain name must be no more than 253 characters.",
        ));
    }
    if existing(ctx, &host, domain_guid, &path).is_some() {
        return Err(already_exists(&host, &domain.spec.name, &path));
    }
    quota_usage::check_new_route(&ctx.state.caches, &s)?;
    let guid = uuid::Uuid::new_v4().to_string();
    let mut route = Route::new(
        &guid,
        RouteSpec {
            host,
            path,
            domain_guid: domain_guid.to_owned(),
            destinations: vec![],
        },
    );
    route.metadata.labels = Some(
        [
            (labels::SPACE_GUID.to_owned(), space.to_owned()),
            (labels::ORG_GUID.to_owned(), spaces::org_guid(&s).to_owned()),
            (labels::DOMAIN_GUID.to_owned(), domain_guid.to_owned()),
        ]
        .into(),
    );
    apply_metadata(&mut route.metadata, metadata);
    ctx.create(space, &route).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_messages_follow_cc() {
        assert_eq!(
            already_exists("h", "d.io", "").detail,
            "Route already exists with host 'h' for domain 'd.io'."
        );
        assert_eq!(
            already_exists("", "d.io", "").detail,
            "Route already exists for domain 'd.io'."
        );
        assert_eq!(
            already_exists("h", "d.io", "/p").detail,
            "Route already exists with host 'h' and path '/p' for domain 'd.io'."
        );
    }
}
