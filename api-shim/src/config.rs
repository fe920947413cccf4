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
    /// The Secret (in the root namespace) holding the key of signed blob URLs, shared with the
    /// operator; created if absent.
    pub blob_signing_secret: String,
    /// The URL clients reach the API at; absent means: from each request's Host header.
    pub external_url: Option<String>,
    /// The default shared domain apps get routes under (made at start-up if absent).
    pub apps_domain: String,
    /// Scratch space for uploads being assembled (on the same volume as the filesystem
    /// blobstore, ideally, so storing is a rename).
    pub work_dir: std::path::PathBuf,
    /// The work directory belongs to this process alone (the chart's per-pod `emptyDir`), so
    /// whatever uploads left in it when the process was killed is removed at start instead of
    /// an hour later by the blob collector, which must assume another replica's live upload.
    pub work_dir_private: bool,
    /// Where bits are stored.
    pub blobstore: BlobstoreConfig,
    /// The largest package or buildpack zip accepted, in bytes (CC's default: 1 GiB).
    pub max_package_bytes: u64,
    /// The largest droplet or buildpack cache a staging pod may store, in bytes.
    pub max_droplet_bytes: u64,
    /// Seconds an access token lives (UAA's default is 12 hours).
    pub access_token_ttl: u64,
    /// Seconds a refresh token lives (UAA's default is 30 days).
    pub refresh_token_ttl: u64,
    /// How often the blob collector sweeps (`blob_gc`).
    pub blob_gc_interval: std::time::Duration,
    /// How long a blob without an owner is kept before the collector deletes it: owners are
    /// created before their blobs, so this only has to outlast watch-cache lag.
    pub blob_gc_grace: std::time::Duration,
    /// The installation's defaults of feature flags, over CC's (CC's `override_default_flags`);
    /// a flag an admin sets overrides both.
    pub feature_flag_overrides: std::collections::BTreeMap<String, bool>,
    /// What a new password must be (`POST /Users`, `PUT /Users/:guid/password`).
    pub password_policy: crate::auth::passwords::PasswordPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            root_namespace: "cf".into(),
            users_secret: "smelter-users".into(),
            signing_key_secret: "smelter-uaa-signing-key".into(),
            blob_signing_secret: smelter_blobstore::signing::DEFAULT_SECRET.into(),
            external_url: None,
            apps_domain: "apps.smelter.test".into(),
            work_dir: std::env::temp_dir(),
            work_dir_private: false,
            blobstore: BlobstoreConfig::Filesystem(std::env::temp_dir().join("smelter-blobstore")),
            max_package_bytes: 1 << 30,
            max_droplet_bytes: 4 << 30,
            access_token_ttl: 43_199,
            refresh_token_ttl: 2_592_000,
            blob_gc_interval: std::time::Duration::from_secs(60),
            blob_gc_grace: std::time::Duration::from_secs(60),
            // Smelter runs docker images (`cf push --docker-image`) out of the box, as
            // cf-deployment's operators usually enable it.
            feature_flag_overrides: [("diego_docker".to_owned(), true)].into(),
            password_policy: Default::default(),
        }
    }
}

/// Where the blobstore keeps bits.
#[derive(Debug, Clone)]
pub enum BlobstoreConfig {
    /// A directory (a PersistentVolume in a cluster).
    Filesystem(std::path::PathBuf),
    /// An S3-compatible bucket.
    S3(smelter_blobstore::S3Config),
}
