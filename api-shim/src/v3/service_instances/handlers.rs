//! Creating, changing and deleting user-provided instances, their credentials, and the
//! spaces they are shared with (none).

use super::{
    ServiceInstanceView, ServiceInstances,
    message::{CreateInstance, UpdateInstance, credentials},
    named,
};
use crate::{
    storage::owner,
    v3::{
        prelude::*,
        vcap::{self, CREDENTIALS_KEY, SERVICE_INSTANCE_LABEL, credentials_secret_name},
    },
};
use k8s_openapi::api::core::v1::Secret;
use serde_json::{Map, Value};
use smelter_crds::{
    ServiceInstance, ServiceInstanceSpec, Space, labels, service::ServiceInstanceType,
};
use std::collections::BTreeMap;

/// CC's text when the name is taken (the cf CLI matches it).
fn name_taken(name: &str) -> ApiError {
    ApiError::unprocessable(format!("The service instance name is taken: {name}."))
}

fn credentials_secret(si: &ServiceInstance, credentials: &Map<String, Value>) -> Secret {
    let name = credentials_secret_name(guid_of(si));
    let json = Value::Object(credentials.clone()).to_string();
    let data = BTreeMap::from([(CREDENTIALS_KEY.to_owned(), json)]);
    owner::secret_of(si, name, SERVICE_INSTANCE_LABEL, data)
}

async fn write_credentials(
    ctx: &Ctx,
    si: &ServiceInstance,
    credentials: &Map<String, Value>,
) -> ApiResult<()> {
    let secret = credentials_secret(si, credentials);
    write::apply_secret(&ctx.client()?, space_of(si), &secret).await
}

pub async fn create(ctx: Ctx, Body(req): Body<CreateInstance>) -> ApiResult<Response> {
    crate::v3::feature_flags::require_unless_admin(&ctx, "service_instance_creation")?;
    if req.type_ == "managed" {
        // No brokers, so no plan exists.
        return Err(ApiError::unprocessable(
            "Invalid service plan. Ensure that the service plan exists, is available, and you have access to it.",
        ));
    }
    let name = req.name.trim().to_owned();
    let credentials = credentials(req.credentials.as_ref()).map_err(ApiError::unprocessable)?;
    let space = &req.relationships.space.data.guid;
    let s = ctx.related::<Space>(space)?;
    if named(&ctx, space, &name).is_some() {
        return Err(name_taken(&name));
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut si = ServiceInstance::new(
        &guid,
        ServiceInstanceSpec {
            name,
            type_: ServiceInstanceType::UserProvided,
            credentials_secret: Some(credentials_secret_name(&guid)),
            tags: req.tags,
            syslog_drain_url: req.syslog_drain_url,
            route_service_url: req.route_service_url,
            service_plan_guid: None,
        },
    );
    si.metadata.labels = Some(
        [
            (labels::SPACE_GUID.to_owned(), space.clone()),
            (labels::ORG_GUID.to_owned(), space_of(&*s).to_owned()),
        ]
        .into(),
    );
    apply_metadata(&mut si.metadata, req.metadata.as_ref());
    let client = ctx.client()?;
    let store = &ctx.state.caches.service_instances;
    let made = write::create(&client, space, &si, store).await?;
    if let Err(e) = write_credentials(&ctx, &made, &credentials).await {
        // A rejected request leaves nothing behind (the Secret, if any, goes with its owner).
        if let Err(undo) = write::delete(&client, space, &guid, store).await {
            tracing::warn!(error = %undo.detail, instance = %guid, "could not remove a half-created service instance");
        }
        return Err(e);
    }
    Ok(created(ServiceInstanceView::of(&made, &ctx.base)))
}

/// `GET /v3/service_instances/:guid`; `cf service` asks for related resources' fields, which
/// are checked as the list checks them (a user-provided instance has none beyond its space).
pub async fn show(Found(ctx, si): Found<ServiceInstance>) -> ApiResult<Response> {
    ListQuery::parse(ctx.query.as_deref(), &<ServiceInstances as Objects>::LIST)?;
    Ok(ok(ServiceInstanceView::of(&si, &ctx.base)))
}

pub async fn update(
    Found(ctx, current): Found<ServiceInstance>,
    Body(req): Body<UpdateInstance>,
) -> ApiResult<Response> {
    let guid = guid_of(&*current).to_owned();
    let credentials = req
        .credentials
        .as_ref()
        .map(|c| credentials(Some(c)).map_err(ApiError::unprocessable))
        .transpose()?;
    let mut si = (*current).clone();
    if let Some(name) = &req.name {
        let name = name.trim();
        if name != si.spec.name && named(&ctx, space_of(&si), name).is_some() {
            return Err(name_taken(name));
        }
        si.spec.name = name.to_owned();
    }
    if let Some(tags) = req.tags {
        si.spec.tags = tags;
    }
    if req.syslog_drain_url.is_some() {
        si.spec.syslog_drain_url = req.syslog_drain_url;
    }
    if req.route_service_url.is_some() {
        si.spec.route_service_url = req.route_service_url;
    }
    apply_metadata(&mut si.metadata, req.metadata.as_ref());
    // Credentials first: if they cannot be written, the instance is unchanged.
    if let Some(credentials) = &credentials {
        write_credentials(&ctx, &si, credentials).await?;
    }
    // VCAP_SERVICES shows the credentials, name, tags and drain URL; labels do not matter.
    let seen_by_apps = credentials.is_some() || si.spec != current.spec;
    let updated = if si.spec != current.spec || si.metadata != current.metadata {
        ctx.replace(si).await?
    } else {
        (*current).clone()
    };
    if seen_by_apps {
        // What bound apps see in VCAP_SERVICES (from their next start, as in CF).
        vcap::refresh_bound_apps(&ctx, &guid).await?;
    }
    Ok(ok(ServiceInstanceView::of(&updated, &ctx.base)))
}

pub async fn delete(Found(ctx, si): Found<ServiceInstance>) -> ApiResult<StatusCode> {
    let guid = guid_of(&*si).to_owned();
    // CC deletes a user-provided instance's bindings with it.
    vcap::unbind_all(&ctx, &guid).await?;
    let store = &ctx.state.caches.service_instances;
    write::delete(&ctx.client()?, space_of(&*si), &guid, store).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn credentials_of(Found(ctx, si): Found<ServiceInstance>) -> ApiResult<Response> {
    Ok(ok(vcap::read_credentials(&ctx, &si).await?))
}

/// Smelter does not share instances between spaces: the list is empty.
#[derive(Serialize)]
struct SharedSpaces<'a> {
    data: [(); 0],
    links: Links<'a, 1>,
}

pub async fn shared_spaces(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    ctx.find::<ServiceInstance>(&guid)?;
    let link = Link::new(
        &ctx.base,
        "/v3/service_instances/",
        &guid,
        "/relationships/shared_spaces",
    );
    Ok(ok(SharedSpaces {
        data: [],
        links: Links([("self", link)]),
    }))
}
