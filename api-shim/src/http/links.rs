//! Absolute URLs. The cf CLI follows `Location` (jobs) and `pagination.next.href` verbatim,
//! so every URL the API returns is absolute, built from the URL the client used.

use axum::{extract::FromRequestParts, http::request::Parts};
use std::convert::Infallible;

/// The scheme, host and port the client reached the API under, e.g. `https://api.example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(pub String);

impl BaseUrl {
    /// `base` + `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// `{"href": base + path}`, CC's link object.
    pub fn link(&self, path: &str) -> serde_json::Value {
        serde_json::json!({ "href": self.join(path) })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(configured) = parts.extensions.get::<ExternalUrl>() {
            return Ok(BaseUrl(configured.0.clone()));
        }
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        // Behind an ingress the original scheme and host arrive in X-Forwarded-*.
        let scheme = header("x-forwarded-proto").unwrap_or("http");
        let host = header("x-forwarded-host")
            .or_else(|| header("host"))
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("localhost");
        Ok(BaseUrl(format!("{scheme}://{host}")))
    }
}

/// A configured external URL (`--external-url`) that overrides what the request says; put into
/// request extensions by the router.
#[derive(Debug, Clone)]
pub struct ExternalUrl(pub String);
