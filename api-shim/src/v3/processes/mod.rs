//! `/v3/processes` and `/v3/apps/:guid/processes`: an app's process types, their scale and
//! health checks (kept in the App's spec), and their instances' stats (`stats.rs`).

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    http::warnings::{self, Warnings},
    state::AppState,
    v3::apps::{self, space_guid},
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{App, HealthCheck, Process, common::HealthCheckType};
use std::sync::Arc;

mod stats;

use stats::{stats, stats_for_app};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/processes", get(list))
        .route("/v3/processes/{guid}", get(show).patch(update))
        .route("/v3/processes/{guid}/actions/scale", post(scale))
        .route("/v3/processes/{guid}/stats", get(stats))
        .route("/v3/processes/{guid}/sidecars", get(sidecars))
        .route("/v3/apps/{guid}/processes", get(list_for_app))
        .route("/v3/apps/{guid}/processes/{type}", get(show_for_app))
        .route(
            "/v3/apps/{guid}/processes/{type}/actions/scale",
            post(scale_for_app),
        )
        .route("/v3/apps/{guid}/processes/{type}/stats", get(stats_for_app))
}

pub fn type_name(t: &HealthCheckType) -> &'static str {
    match t {
        HealthCheckType::Port => "port",
        HealthCheckType::Http => "http",
        HealthCheckType::Process => "process",
    }
}

fn present_health_check(h: &HealthCheck) -> Value {
    let mut data = json!({ "timeout": h.timeout, "invocation_timeout": h.invocation_timeout });
    if h.type_ == HealthCheckType::Http {
        data["endpoint"] = json!(h.endpoint);
    }
    json!({ "type": type_name(&h.type_), "data": data })
}

/// CC's process JSON.
pub fn present(app: &App, p: &Process, base: &BaseUrl) -> Value {
    let app_guid = app.metadata.name.clone().unwrap_or_default();
    let mut m = present::base(&app.metadata);
    m.insert("guid".into(), json!(p.guid));
    m.insert("type".into(), json!(p.type_));
    m.insert("command".into(), json!(p.command));
    m.insert("instances".into(), json!(p.instances));
    m.insert("memory_in_mb".into(), json!(p.memory_in_mb));
    m.insert("disk_in_mb".into(), json!(p.disk_in_mb));
    m.insert(
        "log_rate_limit_in_bytes_per_second".into(),
        json!(p.log_rate_limit_in_bytes_per_second),
    );
    m.insert("health_check".into(), present_health_check(&p.health_check));
    let readiness = p.readiness_health_check.clone().unwrap_or(HealthCheck {
        type_: HealthCheckType::Process,
        ..Default::default()
    });
    m.insert(
        "readiness_health_check".into(),
        present_health_check(&readiness),
    );
    m.insert(
        "relationships".into(),
        json!({ "app": { "data": { "guid": app_guid } }, "revision": { "data": null } }),
    );
    m.insert(
        "metadata".into(),
        json!({ "labels": {}, "annotations": {} }),
    );
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/processes/{}", p.guid)),
            "scale": { "href": base.join(&format!("/v3/processes/{}/actions/scale", p.guid)), "method": "POST" },
            "app": base.link(&format!("/v3/apps/{app_guid}")),
            "space": base.link(&format!("/v3/spaces/{}", space_guid(app))),
            "stats": base.link(&format!("/v3/processes/{}/stats", p.guid)),
        }),
    );
    Value::Object(m)
}

/// The app and process with process GUID `guid`, if visible.
fn find(state: &AppState, access: &Access, guid: &str) -> ApiResult<(Arc<App>, Process)> {
    apps::all_visible(state, access)
        .into_iter()
        .find_map(|a| {
            a.spec
                .processes
                .iter()
                .find(|p| p.guid == guid)
                .cloned()
                .map(|p| (a.clone(), p))
        })
        .ok_or_else(|| ApiError::not_found("Process"))
}

fn find_for_app(
    state: &AppState,
    access: &Access,
    app: &str,
    type_: &str,
) -> ApiResult<(Arc<App>, Process)> {
    let app = apps::visible(state, access, app)?;
    let p = app
        .spec
        .processes
        .iter()
        .find(|p| p.type_ == type_)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Process"))?;
    Ok((app, p))
}

const LIST: Accepts<'static> = Accepts {
    filters: &[
        "guids",
        "types",
        "app_guids",
        "space_guids",
        "organization_guids",
    ],
    order_by: &[],
    include: &[],
    fields: &[],
};

fn page(items: Vec<(Arc<App>, Process)>, query: &ListQuery, base: &BaseUrl, path: &str) -> Value {
    present::paginate(
        items,
        query,
        base,
        path,
        |(a, _)| &a.metadata,
        |(_, p), _| p.type_.clone(),
        |(a, p)| present(a, p, base),
    )
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    let items: Vec<(Arc<App>, Process)> = apps::all_visible(&state, &access)
        .into_iter()
        .filter(|a| {
            query.allows("app_guids", a.metadata.name.as_deref().unwrap_or_default())
                && query.allows("space_guids", space_guid(a))
                && query.allows_any(
                    "organization_guids",
                    a.metadata
                        .labels
                        .iter()
                        .flatten()
                        .filter(|(k, _)| *k == smelter_crds::labels::ORG_GUID)
                        .map(|(_, v)| v.as_str()),
                )
        })
        .flat_map(|a| {
            a.spec
                .processes
                .clone()
                .into_iter()
                .map(move |p| (a.clone(), p))
        })
        .filter(|(_, p)| query.allows("guids", &p.guid) && query.allows("types", &p.type_))
        .collect();
    Ok(Json(page(items, &query, &base, "/v3/processes")))
}

async fn list_for_app(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &["guids", "types"],
            order_by: &[],
            include: &[],
            fields: &[],
        },
    )?;
    let access = Access::of(&caller, &state.caches);
    let app = apps::visible(&state, &access, &guid)?;
    let items: Vec<(Arc<App>, Process)> = app
        .spec
        .processes
        .iter()
        .filter(|p| query.allows("guids", &p.guid) && query.allows("types", &p.type_))
        .map(|p| (app.clone(), p.clone()))
        .collect();
    Ok(Json(page(
        items,
        &query,
        &base,
        &format!("/v3/apps/{guid}/processes"),
    )))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let (app, p) = find(&state, &access, &guid)?;
    Ok(Json(present(&app, &p, &base)))
}

async fn show_for_app(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path((guid, type_)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let (app, p) = find_for_app(&state, &access, &guid, &type_)?;
    Ok(Json(present(&app, &p, &base)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleRequest {
    instances: Option<i32>,
    memory_in_mb: Option<i64>,
    disk_in_mb: Option<i64>,
    log_rate_limit_in_bytes_per_second: Option<i64>,
}

const SCALE_FIELDS: &[&str] = &[
    "instances",
    "memory_in_mb",
    "disk_in_mb",
    "log_rate_limit_in_bytes_per_second",
];

/// Applies a scale request to a process (pure; the limits are CC's).
fn apply_scale(p: &mut Process, req: &ScaleRequest) -> ApiResult<()> {
    if let Some(i) = req.instances {
        if i < 0 {
            return Err(ApiError::unprocessable(
                "Instances must be greater than or equal to 0",
            ));
        }
        p.instances = i;
    }
    if let Some(m) = req.memory_in_mb {
        if m < 1 {
            return Err(ApiError::unprocessable(
                "Memory in mb must be greater than 0",
            ));
        }
        p.memory_in_mb = m;
    }
    if let Some(d) = req.disk_in_mb {
        if d < 1 {
            return Err(ApiError::unprocessable("Disk in mb must be greater than 0"));
        }
        p.disk_in_mb = d;
    }
    if let Some(l) = req.log_rate_limit_in_bytes_per_second {
        if l < -1 {
            return Err(ApiError::unprocessable(
                "Log rate limit in bytes per second must be greater than or equal to -1",
            ));
        }
        p.log_rate_limit_in_bytes_per_second = l;
    }
    Ok(())
}

/// A limit other than -1 (unlimited) is recorded, not enforced.
fn scale_warnings(req: &ScaleRequest) -> Warnings {
    req.log_rate_limit_in_bytes_per_second
        .filter(|l| *l != -1)
        .map(|_| warnings::LOG_RATE_LIMIT_NOT_ENFORCED)
        .into_iter()
        .collect()
}

/// Writes `p` into its app, as the caller.
async fn save(
    state: &AppState,
    caller: &Caller,
    app: &App,
    p: Process,
) -> ApiResult<(App, Process)> {
    let mut app = app.clone();
    if let Some(slot) = app.spec.processes.iter_mut().find(|x| x.guid == p.guid) {
        *slot = p.clone();
    }
    Ok((apps::replace(state, caller, app).await?, p))
}

async fn scale(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Warnings, Json<Value>)> {
    let req: ScaleRequest = body::parse(&bytes, SCALE_FIELDS)?;
    let access = Access::of(&caller, &state.caches);
    let (app, mut p) = find(&state, &access, &guid)?;
    apply_scale(&mut p, &req)?;
    let (app, p) = save(&state, &caller, &app, p).await?;
    // 202, as CC's `processes_controller#scale` renders it (`status: :accepted`).
    Ok((
        StatusCode::ACCEPTED,
        scale_warnings(&req),
        Json(present(&app, &p, &base)),
    ))
}

async fn scale_for_app(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path((guid, type_)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Warnings, Json<Value>)> {
    let req: ScaleRequest = body::parse(&bytes, SCALE_FIELDS)?;
    let access = Access::of(&caller, &state.caches);
    let (app, mut p) = find_for_app(&state, &access, &guid, &type_)?;
    apply_scale(&mut p, &req)?;
    let (app, p) = save(&state, &caller, &app, p).await?;
    // 202, as CC's `processes_controller#scale` renders it (`status: :accepted`).
    Ok((
        StatusCode::ACCEPTED,
        scale_warnings(&req),
        Json(present(&app, &p, &base)),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthCheckData {
    timeout: Option<i32>,
    invocation_timeout: Option<i32>,
    endpoint: Option<String>,
    /// Accepted as CC accepts it; see [`INTERVAL_IGNORED`].
    interval: Option<i32>,
}

/// Instances are probed at fixed periods (the operator's LRP workload), not at a chosen
/// interval.
const INTERVAL_IGNORED: &str = "Health check intervals are not supported by Smelter and were ignored: instances are checked at fixed intervals.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthCheckRequest {
    #[serde(rename = "type")]
    type_: Option<String>,
    data: Option<HealthCheckData>,
}

#[derive(Deserialize)]
struct UpdateProcess {
    command: Option<Option<String>>,
    health_check: Option<HealthCheckRequest>,
    readiness_health_check: Option<HealthCheckRequest>,
    #[allow(dead_code)]
    metadata: Option<body::MetadataRequest>,
}

fn merge_health_check(current: &HealthCheck, req: HealthCheckRequest) -> ApiResult<HealthCheck> {
    let mut h = current.clone();
    if let Some(t) = req.type_ {
        h.type_ = match t.as_str() {
            "port" => HealthCheckType::Port,
            "http" => HealthCheckType::Http,
            "process" | "none" => HealthCheckType::Process,
            _ => {
                return Err(ApiError::unprocessable(
                    "Health check type must be \"port\", \"process\", or \"http\"",
                ));
            }
        };
    }
    if let Some(d) = req.data {
        if d.timeout.is_some_and(|t| t < 1) || d.invocation_timeout.is_some_and(|t| t < 1) {
            return Err(ApiError::unprocessable(
                "Timeout must be greater than or equal to 1",
            ));
        }
        h.timeout = d.timeout.or(h.timeout);
        h.invocation_timeout = d.invocation_timeout.or(h.invocation_timeout);
        if d.endpoint.is_some() {
            h.endpoint = d.endpoint;
        }
    }
    if h.type_ == HealthCheckType::Http
        && !h.endpoint.as_deref().is_some_and(|e| e.starts_with('/'))
    {
        if h.endpoint.is_none() {
            h.endpoint = Some("/".into());
        } else {
            return Err(ApiError::unprocessable(
                "Health check endpoint must be a valid URI path",
            ));
        }
    }
    Ok(h)
}

async fn update(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<(Warnings, Json<Value>)> {
    let req: UpdateProcess = body::parse(
        &bytes,
        &[
            "command",
            "health_check",
            "readiness_health_check",
            "metadata",
        ],
    )?;
    let interval_given = |h: &Option<HealthCheckRequest>| {
        h.as_ref()
            .and_then(|h| h.data.as_ref())
            .is_some_and(|d| d.interval.is_some())
    };
    let warnings: Warnings = (interval_given(&req.health_check)
        || interval_given(&req.readiness_health_check))
    .then_some(INTERVAL_IGNORED)
    .into_iter()
    .collect();
    let access = Access::of(&caller, &state.caches);
    let (app, mut p) = find(&state, &access, &guid)?;
    if let Some(command) = req.command {
        p.command = command.filter(|c| !c.is_empty());
    }
    if let Some(h) = req.health_check {
        p.health_check = merge_health_check(&p.health_check, h)?;
    }
    if let Some(h) = req.readiness_health_check {
        let current = p.readiness_health_check.clone().unwrap_or(HealthCheck {
            type_: HealthCheckType::Process,
            ..Default::default()
        });
        p.readiness_health_check = Some(merge_health_check(&current, h)?);
    }
    let (app, p) = save(&state, &caller, &app, p).await?;
    Ok((warnings, Json(present(&app, &p, &base))))
}

/// Sidecars are not supported; the CLI lists them for `cf app`, so the list is empty.
async fn sidecars(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    find(&state, &access, &guid)?;
    Ok(Json(json!({
        "pagination": { "total_results": 0, "total_pages": 1, "first": base.link(&format!("/v3/processes/{guid}/sidecars?page=1")), "last": base.link(&format!("/v3/processes/{guid}/sidecars?page=1")), "next": null, "previous": null },
        "resources": [],
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_applies_cc_limits() {
        let mut p = crate::v3::apps::web_process("a");
        let req = |i, m| ScaleRequest {
            instances: i,
            memory_in_mb: m,
            disk_in_mb: None,
            log_rate_limit_in_bytes_per_second: None,
        };
        apply_scale(&mut p, &req(Some(3), Some(64))).unwrap();
        assert_eq!((p.instances, p.memory_in_mb), (3, 64));
        assert!(apply_scale(&mut p, &req(Some(-1), None)).is_err());
        assert!(apply_scale(&mut p, &req(None, Some(0))).is_err());
        assert_eq!(p.instances, 3, "a refused scale changed the process");
    }

    #[test]
    fn http_health_checks_need_a_path() {
        let port = HealthCheck::default();
        let http = |e: Option<&str>| HealthCheckRequest {
            type_: Some("http".into()),
            data: Some(HealthCheckData {
                timeout: None,
                invocation_timeout: None,
                endpoint: e.map(Into::into),
                interval: None,
            }),
        };
        assert_eq!(
            merge_health_check(&port, http(Some("/health")))
                .unwrap()
                .endpoint
                .as_deref(),
            Some("/health")
        );
        assert_eq!(
            merge_health_check(&port, http(None))
                .unwrap()
                .endpoint
                .as_deref(),
            Some("/")
        );
        assert!(merge_health_check(&port, http(Some("health"))).is_err());
    }
}
