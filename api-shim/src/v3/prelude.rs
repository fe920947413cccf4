//! What every resource folder uses: the read path, messages, presenter pieces, writes and
//! answers. Each resource module starts with `use crate::v3::prelude::*;` and imports only
//! what is its own beyond these.

pub use crate::{
    http::{
        errors::{ApiError, ApiResult},
        links::BaseUrl,
        message::{Body, Message, MetadataRequest, Related, apply_metadata, verdict},
        paging::Included,
        path::Path,
        present::{
            Base, Guid, Link, Links, Meta, Metadata, NoMetadata, Rel, ToMany, ToOne, View, to_value,
        },
        query::{Accepts, ListQuery},
        reply::{created, ok},
        warnings::Warnings,
    },
    read::{
        Ctx, Found, Kind, Listed, Nested, Objects,
        kinds::{guid_of, space_of},
        list::{any_of, in_org, one_of},
        narrowed,
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
pub use serde::{Deserialize, Serialize};
pub use std::sync::Arc;
