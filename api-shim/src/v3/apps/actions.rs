//! What changes an app, shared by its handlers and by manifests: a new app (with its web
//! process and env Secret), a replaced one, and its state (start, stop, restart).

use super::{environment, space_guid};
use crate::v3::{prelude::*, quota_usage};
use serde_json::{Map, Value};
use smelter_crds::{
    App, AppSpec, DesiredState, Lifecycle, Process, annotations::RESTARTED_AT, labels,
};

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

/// CC's uniqueness error for app names (the cf CLI matches `App with the name '.*' already
/// exists.`).
pub fn name_taken(name: &str) -> ApiError {
    ApiError::uniqueness(format!("App with the name '{name}' already exists."))
}

/// Whether another app of `space` is named `name`.
pub fn taken(ctx: &Ctx, space: &str, name: &str, except: Option<&str>) -> bool {
    ctx.state
        .caches
        .apps
        .by(By::Name, name)
        .iter()
        .any(|a| space_guid(a) == space && a.metadata.name.as_deref() != except)
}

/// An app that does not exist yet: a new GUID, the web process, labels for its space and org.
pub fn draft(ctx: &Ctx, space: &str, name: String, lifecycle: Lifecycle) -> App {
    let guid = uuid::Uuid::new_v4().to_string();
    let mut app = App::new(
        &guid,
        AppSpec {
            name,
            desired_state: DesiredState::Stopped,
            lifecycle,
            current_droplet_guid: None,
            environment_variables_secret: Some(environment::secret_name(&guid)),
            processes: vec![web_process(&guid)],
        },
    );
    let org = ctx
        .state
        .caches
        .spaces
        .get(space)
        .and_then(|s| s.metadata.namespace.clone())
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

/// Creates a drafted app and its env Secret as the caller; refuses a name taken in the space
/// before writing anything, and leaves nothing half-made.
pub async fn create(ctx: &Ctx, app: App, env: Map<String, Value>) -> ApiResult<App> {
    let space = space_guid(&app).to_owned();
    if taken(ctx, &space, &app.spec.name, None) {
        return Err(name_taken(&app.spec.name));
    }
    let client = ctx.client()?;
    let apps = &ctx.state.caches.apps;
    let made = write::create(&client, &space, &app, apps).await?;
    if let Err(e) = environment::create_secret(&client, &made, env).await {
        // An app without its env Secret would be a broken app.
        let guid = made.metadata.name.as_deref().unwrap_or_default();
        if let Err(undo) = write::delete(&client, &space, guid, apps).await {
            tracing::warn!(app = %guid, error = %undo.detail, "could not remove a half-created app");
        }
        return Err(e);
    }
    Ok(made)
}

/// CC's refusal to start an app without a droplet (the cf CLI matches it).
fn no_droplet() -> ApiError {
    ApiError::unprocessable("Assign a droplet before starting this app.")
}

fn now() -> String {
    k8s_openapi::jiff::Timestamp::now().to_string()
}

/// Starts (or restarts) an app: a start starts new instances, as in CF, even if the operator
/// never saw the stop before it (`cf restart` is a stop and a start in quick succession, and
/// the cache may not show the stop yet either), so the restart annotation changes each time.
/// With the operator's rolling updates, a restart never takes the app down as a whole.
pub async fn start(ctx: &Ctx, current: &App) -> ApiResult<App> {
    if current.spec.current_droplet_guid.is_none() {
        return Err(no_droplet());
    }
    let mut app = current.clone();
    app.spec.desired_state = DesiredState::Started;
    app.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(RESTARTED_AT.to_owned(), now());
    quota_usage::check_app(&ctx.state.caches, Some(current), &app)?;
    ctx.replace(app).await
}

/// Stops an app.
pub async fn stop(ctx: &Ctx, current: &App) -> ApiResult<App> {
    let mut app = current.clone();
    app.spec.desired_state = DesiredState::Stopped;
    ctx.replace(app).await
}
