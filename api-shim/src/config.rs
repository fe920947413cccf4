//! The api-shim's settings, from flags or environment (see main.rs).

/// Everything the handlers need to know about the installation.
#[derive(Debug, Clone)]
pub struct Config {
    /// The namespace holding Orgs, shared Domains, admin Buildpacks, users and the signing key.
    pub root_namespace: String,
    /// The Secret (in the root namespace) listing users.
    pub users_secret: String,
    /// The Secret (in the root namespace) holding the token signing key; created if absent.
    pub signing_key_secret: String,
    /// The URL clients reach the API at; absent means: from each request's Host header.
    pub external_url: Option<String>,
    /// The default shared domain apps get routes under (made at start-up if absent).
    pub apps_domain: String,
    /// Seconds an access token lives (UAA's default is 12 hours).
    pub access_token_ttl: u64,
    /// Seconds a refresh token lives (UAA's default is 30 days).
    pub refresh_token_ttl: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            root_namespace: "cf".into(),
            users_secret: "smelter-users".into(),
            signing_key_secret: "smelter-uaa-signing-key".into(),
            external_url: None,
            apps_domain: "apps.smelter.test".into(),
            access_token_ttl: 43_199,
            refresh_token_ttl: 2_592_000,
        }
    }
}
