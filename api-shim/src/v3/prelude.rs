//! What every resource folder uses: the read path, messages, presenter pieces, writes and
//! answers. Each resource module starts with `use crate::v3::prelude::*;` and imports only
//! what is its own beyond these.

pub(crate) use crate::read::presented;
pub use crate::{
    http::{
        errors::{ApiError, ApiResult},
        links::BaseUrl,
        message::{Body, Message, MetadataRequest, Related, apply_metadata, verdict},
        paging::Included,
        path::Path,
        present::{Guid, Hrefs, Link, Links, Rel, ToMany, ToOne, View, to_value},
        query::{Accepts, ListQuery},
        reply::{created, ok},
        warnings::Warnings,
    },
    read::{
        Ctx, Findable, Found, Indexed, Kind, Listed, Nested, Objects, Presented, each_once,
        kinds::{guid_of, space_of},
        list::{any_of, in_org, one_of},
        narrowed, rendered,
    },
    storage::{store::By, write},
    v3::jobs::{self, Operation},
};
pub use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
pub use serde::{Deserialize, Serialize, de::IgnoredAny};
pub use std::sync::Arc;
