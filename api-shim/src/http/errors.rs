//! CF API errors: `{"errors":[{"code","title","detail"}]}` with the status, code, title and
//! detail text that Cloud Controller uses, because the cf CLI maps some of them by exact text
//! (`App not found`, `Droplet not found`, `Name must be unique per organization`, ...).

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// One CF API error, ready to be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub title: &'static str,
    pub detail: String,
    /// Further errors of the same kind, each its own entry of `errors` (CC's compound errors,
    /// as a manifest with several problems gets; the cf CLI prints each).
    pub more: Vec<String>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: u32,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            more: Vec::new(),
        }
    }

    /// 422 with one entry per problem (CC's `CompoundError`).
    pub fn unprocessable_each(problems: Vec<String>) -> Self {
        let mut problems = problems.into_iter();
        let mut e = Self::unprocessable(problems.next().unwrap_or_default());
        e.more = problems.collect();
        e
    }

    /// 404 `<Resource> not found`, the exact text the CLI matches for apps and droplets.
    pub fn not_found(resource: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            10010,
            "CF-ResourceNotFound",
            format!("{resource} not found"),
        )
    }

    /// 404 for a path no route serves; the CLI turns it into "API endpoint not found".
    pub fn unknown_request() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            10000,
            "CF-NotFound",
            "Unknown request",
        )
    }

    /// 422 with CC's free-text detail.
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            10008,
            "CF-UnprocessableEntity",
            detail,
        )
    }

    /// 422 for a uniqueness violation (CC's `CF-UniquenessError`).
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            10016,
            "CF-UniquenessError",
            detail,
        )
    }

    /// 400 for a body that is not valid JSON or YAML.
    pub fn message_parse(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            1001,
            "CF-MessageParseError",
            format!("Request invalid due to parse error: {detail}"),
        )
    }

    /// 400 for a query parameter CC would reject.
    pub fn bad_query(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            10005,
            "CF-BadQueryParameter",
            format!("The query parameter is invalid: {detail}"),
        )
    }

    /// 400 for a request CC calls bad (`Bad request: ...`).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 1004, "CF-BadRequest", detail)
    }

    /// 400 for a request that cannot even be routed to a resource (a path parameter that is
    /// not UTF-8): CC's `errors#bad_request`.
    pub fn invalid_request() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            10004,
            "CF-InvalidRequest",
            "The request is invalid",
        )
    }

    /// 413 for a body over `limit` bytes. CC has no error of its own for it (the nginx in front
    /// answers in HTML, which the cf CLI cannot read); this one the CLI prints.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            1004,
            "CF-BadRequest",
            format!("Bad request: the request body is larger than the maximum of {limit} bytes"),
        )
    }

    /// 401 for a token that is expired, forged or malformed.
    pub fn invalid_auth_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            1000,
            "CF-InvalidAuthToken",
            "Invalid Auth Token",
        )
    }

    /// 401 for a request without a token.
    pub fn not_authenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            10002,
            "CF-NotAuthenticated",
            "Authentication error",
        )
    }

    /// 403 for a caller whose roles do not allow the action.
    /// 403 `Feature Disabled: <flag or its custom message>` (CC's `FeatureDisabled`).
    pub fn feature_disabled(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            330002,
            "CF-FeatureDisabled",
            format!("Feature Disabled: {what}"),
        )
    }

    pub fn not_authorized() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            10003,
            "CF-NotAuthorized",
            "You are not authorized to perform the requested action",
        )
    }

    /// 503 while the caches are not yet synced or the API server cannot be reached.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            10015,
            "CF-ServiceUnavailable",
            detail,
        )
    }

    /// 500, logged with its cause; the client sees CC's generic text only.
    pub fn server_error(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            10001,
            "CF-ServerError",
            "Server error",
        )
    }

    /// Maps an error of a write to the API server (made as the caller) to the CF error a
    /// client should see: RBAC refusals are 403, validation failures 422, conflicts 422.
    pub fn from_kube(error: kube::Error) -> Self {
        match &error {
            kube::Error::Api(status) => match status.code {
                // A space quota's ResourceQuota or LimitRange refused it: the API's own checks
                // came first, so this is a race with another write; a quota answer, not 403.
                403 if status.message.contains("exceeded quota")
                    || status.message.contains("maximum memory usage") =>
                {
                    Self::unprocessable(format!("Quota exceeded: {}", status.message))
                }
                403 => Self::not_authorized(),
                404 => Self::new(
                    StatusCode::NOT_FOUND,
                    10010,
                    "CF-ResourceNotFound",
                    "Resource not found",
                ),
                409 => Self::unprocessable(format!(
                    "The request conflicts with the current state: {}",
                    status.message
                )),
                // 413: an object over the API server's size limit (a Secret over 1 MiB).
                422 | 400 | 413 => Self::unprocessable(status.message.clone()),
                429 | 503 | 504 => Self::unavailable(status.message.clone()),
                _ => Self::server_error(&error),
            },
            _ => Self::server_error(&error),
        }
    }

    /// The JSON body CC sends.
    pub fn body(&self) -> serde_json::Value {
        let errors: Vec<serde_json::Value> = std::iter::once(&self.detail)
            .chain(&self.more)
            .map(|detail| json!({ "code": self.code, "title": self.title, "detail": detail }))
            .collect();
        json!({ "errors": errors })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.title,
            self.detail
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_uses_the_text_the_cli_matches() {
        let e = ApiError::not_found("Droplet");
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert_eq!(
            e.body(),
            json!({"errors":[{"code":10010,"title":"CF-ResourceNotFound","detail":"Droplet not found"}]})
        );
    }

    #[test]
    fn compound_errors_have_an_entry_each() {
        let e = ApiError::unprocessable_each(vec!["a".into(), "b".into()]);
        assert_eq!(e.body()["errors"].as_array().map(Vec::len), Some(2));
        assert_eq!(e.body()["errors"][1]["detail"], "b");
    }

    #[test]
    fn kube_refusals_map_to_cf_statuses() {
        let api = |code: u16| {
            kube::Error::Api(Box::new(kube::core::Status {
                code,
                message: "m".into(),
                ..Default::default()
            }))
        };
        assert_eq!(ApiError::from_kube(api(403)).status, StatusCode::FORBIDDEN);
        assert_eq!(
            ApiError::from_kube(api(422)).status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            ApiError::from_kube(api(409)).status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            ApiError::from_kube(api(503)).status,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
