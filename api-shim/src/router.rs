//! The route table: every path the api-shim serves and the handler it goes to, in one place, as
//! Cloud Controller's `config/routes.rb` has them. Lists and shows go to the generic handlers of
//! `read` with the resource they list; everything else to the resource's own handlers.
//!
//! Whatever no route serves, a wrong method included, is CC's 404 `Unknown request` (the cf CLI
//! turns it into "API endpoint not found"), never a bare answer the CLI cannot read.

use crate::{
    http::{errors::ApiError, links::ExternalUrl},
    internal_blobs, log_cache,
    read::{list, nested, show},
    state::AppState,
    uaa,
    v3::{
        apps::{self, Apps, environment},
        buildpacks::{self, Buildpacks},
        builds::{self, Builds},
        domains::{self, Domains},
        droplets::{self, Droplets},
        empty::{
            Deployments, ServiceBrokers, ServiceOfferings, ServicePlans, ServiceRouteBindings,
        },
        environment_variable_groups,
        feature_flags::{self, FeatureFlags},
        isolation_segments::{self, IsolationSegments, relationships as segment_of},
        jobs,
        manifests::{apply, diff, generate},
        organization_quotas::{self, OrganizationQuotas},
        organizations::{self, Organizations},
        packages::{self, Packages, upload},
        processes::{self, Processes, stats},
        quota_usage, resource_matches,
        roles::{self, Roles},
        root,
        routes::{self, Routes, destinations},
        security_groups::{self, RunningSecurityGroups, SecurityGroups, StagingSecurityGroups},
        service_credential_bindings::{self as bindings, ServiceCredentialBindings},
        service_instances::{self, ServiceInstances},
        space_quotas::{self, SpaceQuotas},
        spaces::{self, Spaces},
        stacks::Stacks,
        users::{self, Users},
    },
};
use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    middleware::Next,
    response::Response,
    routing::{delete, get, post, put},
};
use smelter_blobstore::signing::SIGNED_PATH_PREFIX;
use smelter_crds::{App, IsolationSegment, Org, Package, Space};
use std::sync::Arc;

/// The CF API, with the UAA, log-cache and internal blob endpoints beside it.
pub fn router(state: Arc<AppState>) -> Router {
    // Multipart overhead on top of the zip itself.
    let upload_limit = DefaultBodyLimit::max(
        usize::try_from(state.limits.max_package_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(16 << 20),
    );
    let external = state
        .config
        .external_url
        .clone()
        .map(|u| ExternalUrl(u.trim_end_matches('/').to_owned()));
    let unknown = || async { ApiError::unknown_request() };
    Router::new()
        // Root and info: what `cf api` reads.
        .route("/", get(root::root))
        .route("/v3", get(root::v3))
        .route("/v3/", get(root::v3))
        .route("/v3/info", get(root::info))
        // UAA: what `cf login` needs.
        .route("/login", get(uaa::login))
        .route("/oauth/token", post(uaa::token))
        .route("/Users", get(uaa::scim::list).post(uaa::scim::create))
        .route("/Users/{guid}", delete(uaa::scim::delete))
        .route("/Users/{guid}/password", put(uaa::scim::change_password))
        .route("/oauth/clients/{id}", get(uaa::scim::client))
        .route("/token_keys", get(uaa::token_keys))
        // Log cache: `cf logs`.
        .route("/api/v1/info", get(log_cache::info))
        .route("/api/v1/read/{source_id}", get(log_cache::read))
        // Organizations.
        .route(
            "/v3/organizations",
            get(list::<Organizations>).post(organizations::handlers::create),
        )
        .route(
            "/v3/organizations/{guid}",
            get(show::<Organizations>)
                .patch(organizations::handlers::update)
                .delete(organizations::handlers::delete),
        )
        .route(
            "/v3/organizations/{guid}/domains",
            get(nested::<Domains, Org>),
        )
        .route(
            "/v3/organizations/{guid}/domains/default",
            get(domains::handlers::default_for_org),
        )
        .route(
            "/v3/organizations/{guid}/relationships/default_isolation_segment",
            get(segment_of::org_default).patch(segment_of::set_org_default),
        )
        // Quotas.
        .route(
            "/v3/organization_quotas",
            get(list::<OrganizationQuotas>).post(organization_quotas::handlers::create),
        )
        .route(
            "/v3/organization_quotas/{guid}",
            get(show::<OrganizationQuotas>)
                .patch(organization_quotas::handlers::update)
                .delete(organization_quotas::handlers::delete),
        )
        .route(
            "/v3/organization_quotas/{guid}/relationships/organizations",
            post(organization_quotas::handlers::apply_to_organizations),
        )
        .route(
            "/v3/space_quotas",
            get(list::<SpaceQuotas>).post(space_quotas::handlers::create),
        )
        .route(
            "/v3/space_quotas/{guid}",
            get(show::<SpaceQuotas>)
                .patch(space_quotas::handlers::update)
                .delete(space_quotas::handlers::delete),
        )
        .route(
            "/v3/space_quotas/{guid}/relationships/spaces",
            post(space_quotas::handlers::apply_to_spaces),
        )
        .route(
            "/v3/space_quotas/{guid}/relationships/spaces/{space_guid}",
            axum::routing::delete(space_quotas::handlers::remove_from_space),
        )
        // Spaces and their manifests.
        .route(
            "/v3/spaces",
            get(list::<Spaces>).post(spaces::handlers::create),
        )
        .route(
            "/v3/spaces/{guid}",
            get(show::<Spaces>)
                .patch(spaces::handlers::update)
                .delete(spaces::handlers::delete),
        )
        .route(
            "/v3/spaces/{guid}/actions/apply_manifest",
            post(apply::apply),
        )
        .route("/v3/spaces/{guid}/manifest_diff", post(diff::diff))
        .route(
            "/v3/spaces/{guid}/relationships/isolation_segment",
            get(segment_of::space_segment).patch(segment_of::set_space_segment),
        )
        .route(
            "/v3/spaces/{guid}/running_security_groups",
            get(nested::<RunningSecurityGroups, Space>),
        )
        .route(
            "/v3/spaces/{guid}/staging_security_groups",
            get(nested::<StagingSecurityGroups, Space>),
        )
        // Environment variable groups.
        .route(
            "/v3/environment_variable_groups/{name}",
            get(environment_variable_groups::show).patch(environment_variable_groups::update),
        )
        // What an org or a space uses.
        .route(
            "/v3/organizations/{guid}/usage_summary",
            get(quota_usage::org_summary),
        )
        .route(
            "/v3/spaces/{guid}/usage_summary",
            get(quota_usage::space_summary),
        )
        // Feature flags.
        .route("/v3/feature_flags", get(list::<FeatureFlags>))
        .route(
            "/v3/feature_flags/{name}",
            get(feature_flags::handlers::show).patch(feature_flags::handlers::update),
        )
        // Security groups.
        .route(
            "/v3/security_groups",
            get(list::<SecurityGroups>).post(security_groups::handlers::create),
        )
        .route(
            "/v3/security_groups/{guid}",
            get(show::<SecurityGroups>)
                .patch(security_groups::handlers::update)
                .delete(security_groups::handlers::delete),
        )
        .route(
            "/v3/security_groups/{guid}/relationships/running_spaces",
            post(security_groups::handlers::bind_running),
        )
        .route(
            "/v3/security_groups/{guid}/relationships/running_spaces/{space_guid}",
            axum::routing::delete(security_groups::handlers::unbind_running),
        )
        .route(
            "/v3/security_groups/{guid}/relationships/staging_spaces",
            post(security_groups::handlers::bind_staging),
        )
        .route(
            "/v3/security_groups/{guid}/relationships/staging_spaces/{space_guid}",
            axum::routing::delete(security_groups::handlers::unbind_staging),
        )
        // Isolation segments.
        .route(
            "/v3/isolation_segments",
            get(list::<IsolationSegments>).post(isolation_segments::handlers::create),
        )
        .route(
            "/v3/isolation_segments/{guid}",
            get(show::<IsolationSegments>)
                .patch(isolation_segments::handlers::update)
                .delete(isolation_segments::handlers::delete),
        )
        .route(
            "/v3/isolation_segments/{guid}/organizations",
            get(nested::<Organizations, IsolationSegment>),
        )
        .route(
            "/v3/isolation_segments/{guid}/relationships/organizations",
            get(isolation_segments::handlers::organizations)
                .post(isolation_segments::handlers::entitle),
        )
        .route(
            "/v3/isolation_segments/{guid}/relationships/organizations/{org_guid}",
            axum::routing::delete(isolation_segments::handlers::revoke),
        )
        .route(
            "/v3/isolation_segments/{guid}/relationships/spaces",
            get(isolation_segments::handlers::spaces),
        )
        // Roles and users.
        .route(
            "/v3/roles",
            get(list::<Roles>).post(roles::handlers::create),
        )
        .route(
            "/v3/roles/{guid}",
            get(show::<Roles>).delete(roles::handlers::delete),
        )
        .route(
            "/v3/users",
            get(list::<Users>).post(users::handlers::create),
        )
        .route(
            "/v3/users/{guid}",
            get(show::<Users>).delete(users::handlers::delete),
        )
        // Apps.
        .route("/v3/apps", get(list::<Apps>).post(apps::handlers::create))
        .route(
            "/v3/apps/{guid}",
            get(show::<Apps>)
                .patch(apps::handlers::update)
                .delete(apps::handlers::delete),
        )
        .route("/v3/apps/{guid}/actions/start", post(apps::handlers::start))
        .route("/v3/apps/{guid}/actions/stop", post(apps::handlers::stop))
        .route(
            "/v3/apps/{guid}/actions/restart",
            post(apps::handlers::start),
        )
        .route(
            "/v3/apps/{guid}/relationships/current_droplet",
            get(apps::handlers::current_droplet).patch(apps::handlers::set_current_droplet),
        )
        .route(
            "/v3/apps/{guid}/environment_variables",
            get(environment::show_vars).patch(environment::update_vars),
        )
        .route("/v3/apps/{guid}/env", get(environment::show_env))
        .route("/v3/apps/{guid}/manifest", get(generate::show))
        .route("/v3/apps/{guid}/builds", get(nested::<Builds, App>))
        .route("/v3/apps/{guid}/droplets", get(nested::<Droplets, App>))
        .route("/v3/apps/{guid}/droplets/current", get(droplets::current))
        .route("/v3/apps/{guid}/packages", get(nested::<Packages, App>))
        .route("/v3/apps/{guid}/processes", get(nested::<Processes, App>))
        .route(
            "/v3/apps/{guid}/processes/{type}",
            get(processes::handlers::show_for_app),
        )
        .route(
            "/v3/apps/{guid}/processes/{type}/actions/scale",
            post(processes::handlers::scale_for_app),
        )
        .route(
            "/v3/apps/{guid}/processes/{type}/stats",
            get(stats::stats_for_app),
        )
        .route("/v3/apps/{guid}/routes", get(nested::<Routes, App>))
        // Processes.
        .route("/v3/processes", get(list::<Processes>))
        .route(
            "/v3/processes/{guid}",
            get(show::<Processes>).patch(processes::handlers::update),
        )
        .route(
            "/v3/processes/{guid}/actions/scale",
            post(processes::handlers::scale),
        )
        .route("/v3/processes/{guid}/stats", get(stats::stats))
        .route(
            "/v3/processes/{guid}/sidecars",
            get(processes::handlers::sidecars),
        )
        // Packages, their bits, builds and droplets.
        .route(
            "/v3/packages",
            get(list::<Packages>).post(packages::handlers::create),
        )
        .route("/v3/packages/{guid}", get(show::<Packages>))
        .route(
            "/v3/packages/{guid}/upload",
            post(upload::upload).layer(upload_limit),
        )
        .route(
            "/v3/packages/{guid}/droplets",
            get(nested::<Droplets, Package>),
        )
        .route("/v3/resource_matches", post(resource_matches::create))
        .route(
            "/v3/builds",
            get(list::<Builds>).post(builds::handlers::create),
        )
        .route("/v3/builds/{guid}", get(show::<Builds>))
        .route("/v3/droplets", get(list::<Droplets>))
        .route("/v3/droplets/{guid}", get(show::<Droplets>))
        .route(
            "/v3/buildpacks",
            get(list::<Buildpacks>).post(buildpacks::admin::create),
        )
        .route(
            "/v3/buildpacks/{guid}",
            get(show::<Buildpacks>)
                .patch(buildpacks::admin::update)
                .delete(buildpacks::admin::delete),
        )
        .route(
            "/v3/buildpacks/{guid}/upload",
            post(buildpacks::bits::upload).layer(upload_limit),
        )
        .route("/v3/stacks", get(list::<Stacks>))
        .route("/v3/stacks/{guid}", get(show::<Stacks>))
        // Domains and routes.
        .route(
            "/v3/domains",
            get(list::<Domains>).post(domains::handlers::create),
        )
        .route(
            "/v3/domains/{guid}",
            get(show::<Domains>).delete(domains::handlers::delete),
        )
        .route(
            "/v3/routes",
            get(list::<Routes>).post(routes::handlers::create),
        )
        .route(
            "/v3/routes/{guid}",
            get(show::<Routes>)
                .patch(routes::handlers::update)
                .delete(routes::handlers::delete),
        )
        .route(
            "/v3/routes/{guid}/destinations",
            get(destinations::list)
                .post(destinations::insert)
                .patch(destinations::replace),
        )
        .route(
            "/v3/routes/{guid}/destinations/{dest}",
            axum::routing::delete(destinations::remove),
        )
        // Services.
        .route(
            "/v3/service_instances",
            get(list::<ServiceInstances>).post(service_instances::handlers::create),
        )
        .route(
            "/v3/service_instances/{guid}",
            get(service_instances::handlers::show)
                .patch(service_instances::handlers::update)
                .delete(service_instances::handlers::delete),
        )
        .route(
            "/v3/service_instances/{guid}/credentials",
            get(service_instances::handlers::credentials_of),
        )
        .route(
            "/v3/service_instances/{guid}/relationships/shared_spaces",
            get(service_instances::handlers::shared_spaces),
        )
        .route(
            "/v3/service_credential_bindings",
            get(list::<ServiceCredentialBindings>).post(bindings::handlers::create),
        )
        .route(
            "/v3/service_credential_bindings/{guid}",
            get(show::<ServiceCredentialBindings>)
                // CC routes `update` for PUT as well as PATCH here.
                .patch(bindings::handlers::update)
                .put(bindings::handlers::update)
                .delete(bindings::handlers::delete),
        )
        .route(
            "/v3/service_credential_bindings/{guid}/details",
            get(bindings::handlers::details),
        )
        .route(
            "/v3/service_route_bindings",
            get(list::<ServiceRouteBindings>),
        )
        .route("/v3/service_offerings", get(list::<ServiceOfferings>))
        .route("/v3/service_plans", get(list::<ServicePlans>))
        .route("/v3/service_brokers", get(list::<ServiceBrokers>))
        // Deployments (none yet) and jobs.
        .route("/v3/deployments", get(list::<Deployments>))
        .route("/v3/deployments/{guid}", get(show::<Deployments>))
        .route("/v3/jobs/{guid}", get(jobs::show))
        // Blobs for staging and app pods, by signed URL.
        .route(
            &format!("{SIGNED_PATH_PREFIX}{{*key}}"),
            // Droplets and caches are bounded by `max_droplet_bytes` as they stream in.
            get(internal_blobs::download)
                .put(internal_blobs::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .fallback(unknown)
        .method_not_allowed_fallback(unknown)
        .with_state(state)
        // Outside the routes, so it runs before routing and any extractor, as in Rails.
        .layer(axum::middleware::from_fn(
            |req: Request, next: Next| async move {
                match crate::http::path::check(req.uri().path()) {
                    Ok(()) => next.run(req).await,
                    Err(refusal) => axum::response::IntoResponse::into_response(refusal),
                }
            },
        ))
        .layer(axum::middleware::from_fn(
            move |mut req: Request, next: Next| {
                let external = external.clone();
                async move {
                    if let Some(e) = external {
                        req.extensions_mut().insert(e);
                    }
                    let response: Response = next.run(req).await;
                    response
                }
            },
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
