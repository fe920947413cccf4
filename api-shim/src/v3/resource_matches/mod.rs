//! `POST /v3/resource_matches`: which of the files a client would upload the blobstore already
//! has (by SHA-1 and size), so a re-push of an unchanged app uploads almost nothing — CF's
//! resource matching, done for real against the resource pool.

use crate::v3::prelude::*;
use serde_json::json;
use smelter_blobstore::Resource;

/// The most resources one match request may name (the CLI sends chunks of 5,000).
const MAX_RESOURCES: usize = 5000;

#[derive(Deserialize)]
pub struct MatchRequest {
    resources: Vec<Resource>,
}

impl Message for MatchRequest {
    fn validate(&self) -> Result<(), Vec<String>> {
        if self.resources.len() > MAX_RESOURCES {
            return Err(vec![format!(
                "Resources array may not contain more than {MAX_RESOURCES} resources"
            )]);
        }
        Ok(())
    }
}

pub async fn create(ctx: Ctx, Body(req): Body<MatchRequest>) -> ApiResult<Response> {
    let matched = ctx.state.pool.matches(&req.resources);
    Ok(created(json!({ "resources": matched })))
}
