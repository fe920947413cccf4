//! `/v3/apps`: CF apps, stored as `App` objects in their space's namespace. An app's processes
//! live in its spec (see `processes.rs`); its environment variables in a Secret (`app_env.rs`).

pub mod environment;

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body::{self, MetadataRequest, ToOne},
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::spaces,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kube::Api;
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{App, AppSpec, DesiredState, Lifecycle, LifecycleType, Process, labels};
use std::{sync::Arc, time::Duration};

/// The stack apps get when they name none.
pub const DEFAULT_STACK: &str = "cflinuxfs4";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/apps", get(list).post(create))
        .route("/v3/apps/{guid}", get(show).patch(update).delete(delete))
        .route("/v3/apps/{guid}/actions/start", post(start))
        .route("/v3/apps/{guid}/actions/stop", post(stop))
        .route("/v3/apps/{guid}/actions/restart", post(restart))
        .route("/v3/apps/{guid}/droplets/current", get(current_droplet))
}

/// The space GUID of an app: the namespace it lives in.
pub fn space_guid(app: &App) -> &str {
    app.metadata.namespace.as_deref().unwrap_or_default()
}

fn state_name(s: &DesiredState) -> &'static str {
    match s {
        DesiredState::Started => "STARTED",
        DesiredState::Stopped => "STOPPED",
    }
}

/// CC's lifecycle object.
pub fn present_lifecycle(l: &Lifecycle) -> Value {
    serde_json::to_value(LifecycleView(l)).unwrap_or_default()
}

/// CC's lifecycle object, serialized from the stored lifecycle.
pub struct LifecycleView<'a>(pub &'a Lifecycle);

impl serde::Serialize for LifecycleView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Data<'b> {
            buildpacks: &'b [String],
            stack: &'b str,
        }
        #[derive(serde::Serialize)]
        struct Empty {}
        #[derive(serde::Serialize)]
        struct View<'b, D> {
            #[serde(rename = "type")]
            type_: &'static str,
            data: &'b D,
        }
        match self.0.type_ {
            LifecycleType::Docker => View {
                type_: "docker",
                data: &Empty {},
            }
            .serialize(s),
            LifecycleType::Buildpack => View {
                type_: "buildpack",
                data: &Data {
                    buildpacks: &self.0.buildpacks,
                    stack: self.0.stack.as_deref().unwrap_or(DEFAULT_STACK),
                },
            }
            .serialize(s),
        }
    }
}

#[derive(serde::Serialize)]
struct GuidData<'a> {
    guid: &'a str,
}

#[derive(serde::Serialize)]
struct ToOneView<'a> {
    data: Option<GuidData<'a>>,
}

#[derive(serde::Serialize)]
struct AppRelationshipsView<'a> {
    space: ToOneView<'a>,
    current_droplet: ToOneView<'a>,
}

#[derive(serde::Serialize)]
struct AppLinks<'a> {
    #[serde(rename = "self")]
    self_: present::Link<'a>,
    space: present::Link<'a>,
    processes: present::Link<'a>,
    packages: present::Link<'a>,
    environment_variables: present::Link<'a>,
    current_droplet: present::Link<'a>,
    droplets: present::Link<'a>,
    tasks: present::Link<'a>,
    start: present::Link<'a>,
    stop: present::Link<'a>,
    revisions: present::Link<'a>,
    deployed_revisions: present::Link<'a>,
    features: present::Link<'a>,
}

/// CC's app JSON as a typed view: `GET /v3/apps` serializes a thousand of these straight into
/// the response, with no intermediate JSON tree (that tree was most of the cost).
#[derive(serde::Serialize)]
pub struct AppView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    name: &'a str,
    state: &'static str,
    lifecycle: LifecycleView<'a>,
    relationships: AppRelationshipsView<'a>,
    metadata: present::MetadataView<'a>,
    links: AppLinks<'a>,
}

/// The typed view of an app.
pub fn view<'a>(app: &'a App, base: &'a BaseUrl) -> AppView<'a> {
    let guid = app.metadata.name.as_deref().unwrap_or_default();
    let space = space_guid(app);
    let link = |suffix: &'a str| present::Link::new(base, "/v3/apps/", guid, suffix);
    AppView {
        guid,
        created_at: present::created_at(&app.metadata),
        updated_at: present::updated_at(&app.metadata),
        name: &app.spec.name,
        state: state_name(&app.spec.desired_state),
        lifecycle: LifecycleView(&app.spec.lifecycle),
        relationships: AppRelationshipsView {
            space: ToOneView {
                data: Some(GuidData { guid: space }),
            },
            current_droplet: ToOneView {
                data: app
                    .spec
                    .current_droplet_guid
                    .as_deref()
                    .map(|g| GuidData { guid: g }),
            },
        },
        metadata: present::MetadataView(&app.metadata),
        links: AppLinks {
            self_: link(""),
            space: present::Link::new(base, "/v3/spaces/", space, ""),
            processes: link("/processes"),
            packages: link("/packages"),
            environment_variables: link("/environment_variables"),
            current_droplet: link("/droplets/current"),
            droplets: link("/droplets"),
            tasks: link("/tasks"),
            start: present::Link::post(base, "/v3/apps/", guid, "/actions/start"),
            stop: present::Link::post(base, "/v3/apps/", guid, "/actions/stop"),
            revisions: link("/revisions"),
            deployed_revisions: link("/revisions/deployed"),
            features: link("/features"),
        },
    }
}

/// CC's app JSON.
pub fn present(app: &App, base: &BaseUrl) -> Value {
    serde_json::to_value(view(app, base)).unwrap_or_default()
}

/// The app with `guid` if the caller may see its space.
pub fn visible(state: &AppState, access: &Access, guid: &str) -> ApiResult<Arc<App>> {
    state
        .caches
        .apps
        .all()
        .into_iter()
        .find(|a| a.metadata.name.as_deref() == Some(guid))
        .filter(|a| access.sees_space(space_guid(a)))
        .ok_or_else(|| ApiError::not_found("App"))
}

/// The owner reference that makes an app's packages and builds go with it: deleting an App
/// lets Kubernetes' garbage collector delete them (and, through them, the staging Jobs and
/// their pods), as Cloud Controller deletes an app's packages, builds and droplets. Not
/// `blockOwnerDeletion`: that needs update rights on the app's finalizers, which a space
/// developer's role does not carry.
pub fn owned_by(app: &App) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
    use kube::Resource;
    k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
        api_version: App::api_version(&()).into_owned(),
        kind: App::kind(&()).into_owned(),
        name: app.metadata.name.clone().unwrap_or_default(),
        uid: app.metadata.uid.clone().unwrap_or_default(),
        controller: None,
        block_owner_deletion: None,
    }
}

/// Every app the caller may see.
pub fn all_visible(state: &AppState, access: &Access) -> Vec<Arc<App>> {
    state
        .caches
        .apps
        .all()
        .into_iter()
        .filter(|a| access.sees_space(space_guid(a)))
        .collect()
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &[
                "names",
                "guids",
                "space_guids",
                "organization_guids",
                "stacks",
                "lifecycle_type",
            ],
            order_by: &["name", "state"],
            include: &["space", "space.organization"],
            fields: &[],
        },
    )?;
    let access = Access::of(&caller, &state.caches);
    let org_of = |space: &str| {
        state
            .caches
            .spaces
            .all()
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(space))
            .map(|s| spaces::org_guid(s).to_owned())
    };
    let apps: Vec<Arc<App>> = all_visible(&state, &access)
        .into_iter()
        .filter(|a| {
            query.allows("guids", a.metadata.name.as_deref().unwrap_or_default())
                && query.allows("names", &a.spec.name)
                && query.allows("space_guids", space_guid(a))
                && query.allows(
                    "stacks",
                    a.spec.lifecycle.stack.as_deref().unwrap_or(DEFAULT_STACK),
                )
                && query.allows(
                    "lifecycle_type",
                    if a.spec.lifecycle.type_ == LifecycleType::Docker {
                        "docker"
                    } else {
                        "buildpack"
                    },
                )
                && (query.filter("organization_guids").is_none()
                    || org_of(space_guid(a))
                        .is_some_and(|o| query.allows("organization_guids", &o)))
                && query.selects(&a.metadata)
        })
        .collect();
    let page = present::page(
        apps.clone(),
        &query,
        &base,
        "/v3/apps",
        |a| &a.metadata,
        |a, field| {
            if field == "state" {
                state_name(&a.spec.desired_state).to_owned()
            } else {
                a.spec.name.clone()
            }
        },
        Arc::clone,
    );
    let mut included = None;
    if !query.include.is_empty() {
        let space_guids: Vec<&str> = apps.iter().map(|a| space_guid(a)).collect();
        let spaces: Vec<_> = state
            .caches
            .spaces
            .all()
            .into_iter()
            .filter(|s| space_guids.contains(&s.metadata.name.as_deref().unwrap_or_default()))
            .collect();
        let mut inc = json!({ "spaces": spaces.iter().map(|s| spaces::present(s, &base)).collect::<Vec<_>>() });
        if query.include.iter().any(|i| i == "space.organization") {
            let org_guids: Vec<&str> = spaces.iter().map(|s| spaces::org_guid(s)).collect();
            inc["organizations"] = json!(
                state
                    .caches
                    .orgs
                    .all()
                    .iter()
                    .filter(|o| org_guids.contains(&o.metadata.name.as_deref().unwrap_or_default()))
                    .map(|o| crate::v3::organizations::present(o, &base))
                    .collect::<Vec<_>>()
            );
        }
        included = Some(inc);
    }
    // Views borrow the page's apps, so the response is serialized here.
    let views: Vec<AppView> = page.resources.iter().map(|a| view(a, &base)).collect();
    Ok(Json(present::Page {
        pagination: page.pagination,
        resources: views,
        included,
    })
    .into_response())
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let app = visible(&state, &access, &guid)?;
    Ok(Json(present(&app, &base)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleData {
    pub buildpacks: Option<Vec<String>>,
    pub stack: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRequest {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub data: LifecycleData,
}

/// Turns CC's lifecycle request into the stored lifecycle.
pub fn lifecycle_from(req: LifecycleRequest) -> ApiResult<Lifecycle> {
    let type_ = match req.type_.as_str() {
        "buildpack" => LifecycleType::Buildpack,
        "docker" => LifecycleType::Docker,
        other => {
            return Err(ApiError::unprocessable(format!(
                "Lifecycle type is not included in the list: buildpack, docker (got '{other}')"
            )));
        }
    };
    Ok(Lifecycle {
        type_,
        buildpacks: req.data.buildpacks.unwrap_or_default(),
        stack: req.data.stack,
    })
}

#[derive(Deserialize)]
struct AppRelationships {
    space: ToOne,
}

#[derive(Deserialize)]
struct CreateApp {
    name: String,
    relationships: AppRelationships,
    lifecycle: Option<LifecycleRequest>,
    environment_variables: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    metadata: MetadataRequest,
}

/// The web process every app starts with (CC's defaults).
pub fn web_process(app_guid: &str) -> Process {
    Process {
        type_: "web".into(),
        guid: app_guid.to_owned(),
        command: None,
        instances: 1,
        memory_in_mb: 1024,
        disk_in_mb: 1024,
        log_rate_limit_in_bytes_per_second: -1,
        health_check: Default::default(),
        readiness_health_check: None,
    }
}

/// CC's uniqueness message for app names, which the CLI matches.
pub fn name_taken(name: &str) -> ApiError {
    ApiError::uniqueness(format!("App with the name '{name}' already exists."))
}

/// An app that does not exist yet: a new GUID, the web process, labels for its space and org.
pub fn draft(state: &AppState, space: &str, name: String, lifecycle: Lifecycle) -> App {
    let guid = uuid::Uuid::new_v4().to_string();
    let mut app = App::new(
        &guid,
        AppSpec {
            name,
            desired_state: DesiredState::Stopped,
            lifecycle,
            current_droplet_guid: None,
            environment_variables_secret: Some(crate::v3::apps::environment::secret_name(&guid)),
            processes: vec![web_process(&guid)],
        },
    );
    let org = state
        .caches
        .spaces
        .all()
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some(space))
        .map(|s| spaces::org_guid(s).to_owned())
        .unwrap_or_default();
    app.metadata.namespace = Some(space.to_owned());
    app.metadata.labels = Some(
        [
            (labels::SPACE_GUID.to_owned(), space.to_owned()),
            (labels::ORG_GUID.to_owned(), org),
        ]
        .into(),
    );
    app
}

/// Creates a drafted app (and its env Secret) as the caller; shared with apply_manifest.
/// Refuses a name taken in the space before writing anything.
pub async fn create_app(
    state: &AppState,
    caller: &Caller,
    app: App,
    env: Option<serde_json::Map<String, Value>>,
) -> ApiResult<Arc<App>> {
    body::check_name(&app.spec.name)?;
    let space = space_guid(&app).to_owned();
    if state
        .caches
        .apps
        .all()
        .iter()
        .any(|a| space_guid(a) == space && a.spec.name == app.spec.name)
    {
        return Err(name_taken(&app.spec.name));
    }
    let guid = app.metadata.name.clone().unwrap_or_default();
    let client = state.client_for(caller).map_err(ApiError::from_kube)?;
    let api: Api<App> = Api::namespaced(client.clone(), &space);
    let created = api
        .create(&crate::storage::write::params(), &app)
        .await
        .map_err(ApiError::from_kube)?;
    if let Err(e) =
        crate::v3::apps::environment::create_secret(&client, &created, env.unwrap_or_default())
            .await
    {
        // Leave nothing half-made: an app without its env Secret would be a broken app.
        let _ = api.delete(&guid, &Default::default()).await;
        return Err(e);
    }
    state.caches.apps.until(Duration::from_secs(10), |s| {
        s.all()
            .iter()
            .any(|a| a.metadata.name.as_deref() == Some(guid.as_str()))
    })
    .await;
    Ok(Arc::new(created))
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateApp = body::parse(
        &bytes,
        &[
            "name",
            "relationships",
            "lifecycle",
            "environment_variables",
            "metadata",
        ],
    )?;
    let access = Access::of(&caller, &state.caches);
    let space = req.relationships.space.data.guid;
    if spaces::visible(&state, &access, &space).is_err() {
        return Err(ApiError::unprocessable(
            "Invalid space. Ensure that the space exists and you have access to it.",
        ));
    }
    let lifecycle = match req.lifecycle {
        Some(l) => lifecycle_from(l)?,
        None => Lifecycle::default(),
    };
    let mut draft = draft(&state, &space, req.name, lifecycle);
    body::apply_metadata(&mut draft.metadata, &req.metadata);
    let app = create_app(&state, &caller, draft, req.environment_variables).await?;
    Ok((StatusCode::CREATED, Json(present(&app, &base))).into_response())
}

/// Writes a changed app back as the caller and waits until the cache has the new version.
pub async fn replace(state: &AppState, caller: &Caller, app: App) -> ApiResult<App> {
    crate::storage::write::replace(state, caller, app, &state.caches.apps).await
}

#[derive(Deserialize)]
struct UpdateApp {
    name: Option<String>,
    lifecycle: Option<LifecycleRequest>,
    #[serde(default)]
    metadata: MetadataRequest,
}

async fn update(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let req: UpdateApp = body::parse(&bytes, &["name", "lifecycle", "metadata"])?;
    let access = Access::of(&caller, &state.caches);
    let mut app = (*visible(&state, &access, &guid)?).clone();
    if let Some(name) = req.name {
        body::check_name(&name)?;
        if state.caches.apps.all().iter().any(|a| {
            space_guid(a) == space_guid(&app)
                && a.spec.name == name
                && a.metadata.name != app.metadata.name
        }) {
            return Err(name_taken(&name));
        }
        app.spec.name = name;
    }
    if let Some(l) = req.lifecycle {
        app.spec.lifecycle = lifecycle_from(l)?;
    }
    body::apply_metadata(&mut app.metadata, &req.metadata);
    let updated = replace(&state, &caller, app).await?;
    Ok(Json(present(&updated, &base)))
}

async fn set_state(
    state: &AppState,
    caller: &Caller,
    guid: &str,
    desired: DesiredState,
) -> ApiResult<App> {
    let access = Access::of(caller, &state.caches);
    let mut app = (*visible(state, &access, guid)?).clone();
    if desired == DesiredState::Started && app.spec.current_droplet_guid.is_none() {
        return Err(ApiError::unprocessable(
            "Assign a droplet before starting this app.",
        ));
    }
    // A start starts new instances, as in CF, even if the operator never saw the stop before it
    // (`cf restart` is a stop and a start in quick succession, and this cache may not show the
    // stop yet either). The cf CLI does not send a start for an app that is already started.
    if desired == DesiredState::Started {
        app.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(RESTARTED_AT.to_owned(), jiff_now());
    }
    app.spec.desired_state = desired;
    replace(state, caller, app).await
}

async fn start(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(present(
        &set_state(&state, &caller, &guid, DesiredState::Started).await?,
        &base,
    )))
}

async fn stop(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(present(
        &set_state(&state, &caller, &guid, DesiredState::Stopped).await?,
        &base,
    )))
}

/// A restart is a stop then a start; with the operator's rolling LRP updates, the restart
/// annotation makes the workload roll without the app being down as a whole.
async fn restart(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let mut app = (*visible(&state, &access, &guid)?).clone();
    if app.spec.current_droplet_guid.is_none() {
        return Err(ApiError::unprocessable(
            "Assign a droplet before starting this app.",
        ));
    }
    app.spec.desired_state = DesiredState::Started;
    app.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(RESTARTED_AT.to_owned(), jiff_now());
    Ok(Json(present(&replace(&state, &caller, app).await?, &base)))
}

/// The annotation whose change tells the operator to roll an app's instances.
pub use smelter_crds::annotations::RESTARTED_AT;

fn jiff_now() -> String {
    k8s_openapi::jiff::Timestamp::now().to_string()
}

async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Response> {
    let access = Access::of(&caller, &state.caches);
    let app = visible(&state, &access, &guid)?;
    let api: Api<App> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        space_guid(&app),
    );
    api.delete(&guid, &Default::default())
        .await
        .map_err(ApiError::from_kube)?;
    Ok(crate::v3::jobs::accepted(
        &base,
        crate::v3::jobs::Operation::AppDelete,
        &guid,
    ))
}

/// The app's current droplet; CC's exact "Droplet not found" when there is none, which the CLI
/// tolerates in `cf app` and the push summary.
async fn current_droplet(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let app = visible(&state, &access, &guid)?;
    let droplet = app
        .spec
        .current_droplet_guid
        .as_deref()
        .ok_or_else(|| ApiError::not_found("Droplet"))?;
    crate::v3::droplets::find(&state, droplet)
        .map(|(build, d)| Json(crate::v3::droplets::present(&build, &d, &base)))
        .ok_or_else(|| ApiError::not_found("Droplet"))
}
