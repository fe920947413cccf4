//! The log-cache read API the cf CLI uses (`/api/v1/info`, `/api/v1/read/:source_id`), in the
//! protojson shape it decodes strictly. The source id is an app GUID. Envelopes come from the
//! operator's log collection (staging and app pods); until an app has pods, a read is empty.

use crate::{
    access::Access,
    apps,
    auth::Caller,
    errors::{ApiError, ApiResult},
    state::AppState,
};
use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/info", get(info))
        .route("/api/v1/read/{source_id}", get(read))
}

async fn info() -> Json<Value> {
    // The CLI needs a semver >= 2.0.0 to use the /api/v1 paths.
    Json(json!({ "version": "3.0.0", "vm_uptime": "0" }))
}

/// The read parameters go-log-cache sends.
#[derive(Debug, Deserialize, PartialEq)]
pub struct ReadQuery {
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub limit: Option<u32>,
    #[serde(default)]
    pub descending: bool,
    pub envelope_types: Option<String>,
    pub name_filter: Option<String>,
}

/// Parses and checks a read query the way log-cache does (limit 1..=1000).
pub fn parse_read(raw: Option<&str>) -> ApiResult<ReadQuery> {
    let q: ReadQuery =
        serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(ApiError::bad_query)?;
    if q.limit.is_some_and(|l| l == 0 || l > 1000) {
        return Err(ApiError::bad_query("limit must be between 1 and 1000"));
    }
    if let Some(types) = &q.envelope_types {
        for t in types.split(',') {
            if !["LOG", "COUNTER", "GAUGE", "TIMER", "EVENT", "ANY"].contains(&t) {
                return Err(ApiError::bad_query(format!("unknown envelope type: {t}")));
            }
        }
    }
    Ok(q)
}

async fn read(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(source): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let _query = parse_read(raw.as_deref())?;
    let access = Access::of(&caller, &state.caches);
    apps::visible(&state, &access, &source)?;
    Ok(Json(json!({ "envelopes": { "batch": [] } })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_cli_sends() {
        let q = parse_read(Some(
            "descending=true&envelope_types=LOG&limit=1000&start_time=-6795364578871345152",
        ))
        .unwrap();
        assert_eq!(
            (q.descending, q.limit, q.start_time),
            (true, Some(1000), Some(-6795364578871345152))
        );
        assert!(parse_read(Some("limit=0")).is_err());
        assert!(parse_read(Some("limit=abc")).is_err());
        assert!(parse_read(Some("envelope_types=BOGUS")).is_err());
    }
}
