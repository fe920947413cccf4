//! A real api-shim (in-process, on a port of its own) and the operator's controllers, against
//! the test Kubernetes, with a private root namespace per test so tests run side by side. The
//! api-shim's tests use it on tier 1, the node tests (tests/node) on the tier-2 node, where the
//! api-shim listens on the node's address so that staging and app pods fetch blobs from it.

use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{Api, api::PostParams};
use reqwest::Method;
use serde_json::Value;
use smelter_test_support as support;
use std::{
    collections::BTreeMap,
    net::{IpAddr, Ipv4Addr},
};

pub const PASSWORD: &str = "correct horse battery staple";
/// A small package limit, so the oversized-upload test stays small.
pub const MAX_PACKAGE_BYTES: u64 = 8 << 20;

pub struct Shim {
    pub url: String,
    /// The filesystem blobstore's directory; with the S3 backend, only the work directory's
    /// parent (`.work`), and the bits are in a bucket (read them through `state.blobs`).
    pub blobs: std::path::PathBuf,
    pub root: String,
    pub client: kube::Client,
    pub users: BTreeMap<String, String>,
    /// The api-shim's state, for tests that run its background work themselves.
    pub state: std::sync::Arc<smelter_api_shim::AppState>,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A response: status, JSON body (Null when empty or not JSON), the body as text, and
/// headers.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// The CF error detail, for error replies.
    pub fn detail(&self) -> &str {
        self.body["errors"][0]["detail"]
            .as_str()
            .unwrap_or_default()
    }

    pub fn title(&self) -> &str {
        self.body["errors"][0]["title"].as_str().unwrap_or_default()
    }
}

/// Where a test's api-shim keeps bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temp directory (`Shim::blobs`).
    Filesystem,
    /// A fresh bucket on the S3-compatible test server.
    S3,
}

/// Changes to the operator's settings, given the api-shim's URL.
pub type OperatorSetup<'a> = Box<dyn FnOnce(&mut smelter_operator::Config, &str) + 'a>;

/// Where and how a [`Shim`] runs; [`Setup::default`] is what most tests want.
pub struct Setup<'a> {
    /// The address the api-shim listens on (a port is picked): loopback, unless pods must
    /// reach it (the tier-2 node's address).
    pub listen: IpAddr,
    /// The client the operator runs with (a counting one, say); the admin's when `None`.
    pub operator_client: Option<kube::Client>,
    /// Changes to the operator's settings, given the api-shim's URL.
    pub operator: OperatorSetup<'a>,
    /// Where the api-shim keeps bits.
    pub backend: Backend,
    /// Changes to the api-shim's settings (the blob collector's interval and grace, say).
    pub api_shim: Box<dyn FnOnce(&mut smelter_api_shim::Config) + 'a>,
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Self {
            listen: IpAddr::V4(Ipv4Addr::LOCALHOST),
            operator_client: None,
            backend: Backend::Filesystem,
            operator: Box::new(|_, _| {}),
            api_shim: Box::new(|_| {}),
        }
    }
}

impl Shim {
    /// Starts everything with users `admin` (CF admin) and `names` (no roles).
    pub async fn start(names: &[&str]) -> Shim {
        Self::start_with(names, |_| {}).await
    }

    /// [`Shim::start`] with the S3 blobstore.
    pub async fn start_s3(names: &[&str]) -> Shim {
        Self::start_on(Backend::S3, names, |_| {}).await
    }

    /// [`Shim::start_on`] the filesystem blobstore.
    pub async fn start_with(
        names: &[&str],
        configure: impl FnOnce(&mut smelter_api_shim::Config),
    ) -> Shim {
        Self::start_on(Backend::Filesystem, names, configure).await
    }

    /// [`Shim::start`] on `backend`, with settings changed by `configure` (the blob
    /// collector's interval and grace, say). Background work (the blob collector, built-in
    /// buildpacks) is not started: a test that wants it runs it on `state`.
    pub async fn start_on(
        backend: Backend,
        names: &[&str],
        configure: impl FnOnce(&mut smelter_api_shim::Config),
    ) -> Shim {
        Self::start_in(
            names,
            Setup {
                backend,
                api_shim: Box::new(configure),
                ..Setup::default()
            },
        )
        .await
    }

    /// Keys of blob writes begun and neither published nor cleaned up: the filesystem
    /// store's staging files (`<key>#<n>`), or the bucket's open multipart uploads.
    pub fn open_uploads(&self) -> Vec<String> {
        match &self.state.config.blobstore {
            smelter_api_shim::config::BlobstoreConfig::Filesystem(dir) => {
                let mut open = Vec::new();
                let mut dirs = vec![dir.clone()];
                while let Some(d) = dirs.pop() {
                    for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                        let path = entry.path();
                        let key = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy();
                        if path.is_dir() {
                            dirs.push(path.clone());
                        } else if let Some((key, _)) = key.split_once('#') {
                            open.push(key.to_owned());
                        }
                    }
                }
                open.sort();
                open
            }
            smelter_api_shim::config::BlobstoreConfig::S3(s3) => {
                support::s3::open_uploads(&s3.bucket)
            }
        }
    }

    /// The bytes stored at `key`, read through the api-shim's blobstore (either backend).
    pub async fn stored(&self, key: &str) -> Option<Vec<u8>> {
        use futures::TryStreamExt;
        let download = self
            .state
            .blobs
            .get_stream(key)
            .await
            .expect("read a blob")?;
        let body = download
            .stream
            .try_fold(Vec::new(), |mut body, chunk| async move {
                body.extend_from_slice(&chunk);
                Ok(body)
            })
            .await
            .expect("read a blob");
        Some(body)
    }

    /// [`Shim::start`] as `setup` says.
    pub async fn start_in(names: &[&str], setup: Setup<'_>) -> Shim {
        // The operator's and api-shim's logs, shown with a failing test's output (RUST_LOG
        // filters them).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "warn".into()),
            )
            .with_test_writer()
            .try_init();
        let client = support::client().await;
        support::install_crds(&client).await;
        support::install_cf_roles().await;
        let root = support::namespace(&client, "cf-root").await;
        let users = users_secret(&client, &root, names).await;

        let listener = tokio::net::TcpListener::bind((setup.listen, 0))
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let operator_shutdown = async move {
            let _ = stopped.await;
        };
        let mut operator = smelter_operator::Config::new(root.clone());
        (setup.operator)(&mut operator, &url);
        tokio::spawn(smelter_operator::run(
            setup.operator_client.unwrap_or_else(|| client.clone()),
            operator,
            smelter_operator::metrics::Metrics::default(),
            smelter_common::health::Health::new(Default::default()),
            operator_shutdown,
        ));

        let blobs = tempfile::tempdir().expect("blobstore dir").keep();
        let blobstore = match setup.backend {
            Backend::Filesystem => {
                smelter_api_shim::config::BlobstoreConfig::Filesystem(blobs.clone())
            }
            Backend::S3 => {
                smelter_api_shim::config::BlobstoreConfig::S3(support::s3::bucket().await)
            }
        };
        let mut config = smelter_api_shim::Config {
            root_namespace: root.clone(),
            work_dir: blobs.join(".work"),
            blobstore,
            max_package_bytes: MAX_PACKAGE_BYTES,
            ..Default::default()
        };
        (setup.api_shim)(&mut config);
        let state =
            smelter_api_shim::build_state(support::kube_config().await, config, Default::default())
                .await
                .expect("api-shim state");
        state.caches.wait_until_ready().await.expect("caches sync");
        let router = smelter_api_shim::router(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        // Wait for the users Secret to reach the cache.
        let shim = Shim {
            blobs,
            url,
            root,
            client,
            users,
            state,
            http: reqwest::Client::new(),
            _stop: stop,
        };
        support::wait_for(
            "users in cache",
            std::time::Duration::from_secs(10),
            || async { shim.password_grant("admin", PASSWORD).await.status == 200 },
        )
        .await;
        shim
    }

    /// `POST /oauth/token` with `form`, as the client `cf` (HTTP Basic `cf:`) or without one.
    pub async fn token_request(&self, form: &str, as_cf: bool) -> Reply {
        let body = (
            "application/x-www-form-urlencoded",
            form.as_bytes().to_vec(),
        );
        self.raw(Method::POST, "/oauth/token", None, Some(body), as_cf)
            .await
    }

    pub async fn password_grant(&self, user: &str, password: &str) -> Reply {
        let form = format!(
            "grant_type=password&username={}&password={}",
            urlencode(user),
            urlencode(password)
        );
        self.token_request(&form, true).await
    }

    pub async fn refresh_grant(&self, refresh_token: &str) -> Reply {
        let form = format!("grant_type=refresh_token&refresh_token={refresh_token}");
        self.token_request(&form, true).await
    }

    /// An access token for `user`.
    pub async fn token(&self, user: &str) -> String {
        let reply = self.password_grant(user, PASSWORD).await;
        assert_eq!(reply.status, 200, "login {user}: {}", reply.body);
        reply.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// A JSON request as `token`'s bearer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| ("application/json", serde_json::to_vec(&b).expect("json")));
        self.raw(method, path, Some(token), body, false).await
    }

    /// Any request; `path` may also be an absolute URL (as pagination and Location give). A
    /// server error fails the test.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
        basic_cf: bool,
    ) -> Reply {
        let reply = self
            .try_request(method, path, token, body, basic_cf)
            .await
            .expect("request");
        assert!(
            reply.status < 500,
            "server error {}: {}",
            reply.status,
            reply.text
        );
        reply
    }

    /// [`Shim::raw`], whatever the status, and with the error if no answer came (the
    /// connection closed under the request): for tests that report these themselves.
    pub async fn try_request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
        basic_cf: bool,
    ) -> Result<Reply, reqwest::Error> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.url)
        };
        let mut req = self.http.request(method, url);
        if let Some(t) = token {
            req = req.header("Authorization", format!("bearer {t}"));
        }
        if basic_cf {
            req = req.header("Authorization", "Basic Y2Y6");
        }
        if let Some((content_type, bytes)) = body {
            req = req.header("Content-Type", content_type).body(bytes);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Reply {
            status,
            body,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            headers,
        })
    }

    /// Polls a job `Location` until COMPLETE.
    pub async fn wait_job(&self, location: &str, token: &str) {
        for _ in 0..300 {
            let job = self.call(Method::GET, location, token, None).await;
            assert_eq!(job.status, 200, "job: {}", job.body);
            match job.body["state"].as_str() {
                Some("COMPLETE") => return,
                Some("FAILED") => panic!("job failed: {}", job.body),
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        panic!("job {location} did not complete in 30 s");
    }

    /// Creates an org as admin and returns its GUID.
    pub async fn org(&self, admin: &str, name: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/v3/organizations",
                admin,
                Some(serde_json::json!({ "name": name })),
            )
            .await;
        assert_eq!(r.status, 201, "create org: {}", r.body);
        r.body["guid"].as_str().expect("guid").to_owned()
    }

    /// Creates a space as admin and returns its GUID.
    pub async fn space(&self, admin: &str, org: &str, name: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/v3/spaces",
                admin,
                Some(serde_json::json!({ "name": name, "relationships": { "organization": { "data": { "guid": org } } } })),
            )
            .await;
        assert_eq!(r.status, 201, "create space: {}", r.body);
        r.body["guid"].as_str().expect("guid").to_owned()
    }

    /// Gives `user` (a name of [`Shim::users`]) a role (org or space) as admin.
    pub async fn role(
        &self,
        admin: &str,
        role_type: &str,
        user: &str,
        target: (&str, &str),
    ) -> Reply {
        self.role_of_guid(admin, role_type, &self.users[user], target)
            .await
    }

    /// Gives the user (or client) with GUID `user` a role, `target` being `("organization" |
    /// "space", GUID)`, as admin.
    pub async fn role_of_guid(
        &self,
        admin: &str,
        role_type: &str,
        user: &str,
        target: (&str, &str),
    ) -> Reply {
        let (kind, guid) = target;
        self.call(
            Method::POST,
            "/v3/roles",
            admin,
            Some(serde_json::json!({
                "type": role_type,
                "relationships": { "user": { "data": { "guid": user } }, kind: { "data": { "guid": guid } } },
            })),
        )
        .await
    }
}

/// The Secret `smelter-users` in `root` with `admin` (a CF admin) and `names` (no roles), all
/// with [`PASSWORD`]; returns each user's GUID by name.
async fn users_secret(
    client: &kube::Client,
    root: &str,
    names: &[&str],
) -> BTreeMap<String, String> {
    let mut users = BTreeMap::new();
    let mut data = BTreeMap::new();
    for (name, admin) in std::iter::once(("admin", true)).chain(names.iter().map(|n| (*n, false))) {
        let guid = support::guid();
        // Cost 4, bcrypt's minimum, keeps test logins fast; the chart uses the default.
        let entry =
            smelter_api_shim::auth::users::entry_json(&guid, PASSWORD, admin, 4).expect("hash");
        data.insert(name.to_owned(), ByteString(entry.into_bytes()));
        users.insert(name.to_owned(), guid);
    }
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some("smelter-users".into()),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    };
    Api::<Secret>::namespaced(client.clone(), root)
        .create(&PostParams::default(), &secret)
        .await
        .expect("users secret");
    users
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Shim {
    /// `POST /v3/packages/:guid/upload` as the cf CLI sends it: a `resources` part, then a
    /// `bits` part when anything is left to upload.
    pub async fn upload(
        &self,
        package: &str,
        token: &str,
        resources: &serde_json::Value,
        bits: Option<&[u8]>,
    ) -> Reply {
        let boundary = "smelter-test-boundary-7d1f";
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"resources\"\r\n\r\n{resources}\r\n").as_bytes());
        if let Some(bits) = bits {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"bits\"; filename=\"package.zip\"\r\nContent-Type: application/zip\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bits);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.raw(
            Method::POST,
            &format!("/v3/packages/{package}/upload"),
            Some(token),
            Some((&content_type, body)),
            false,
        )
        .await
    }
}

impl Shim {
    /// POSTs a multipart body with one file part, `part`, as the cf CLI sends bits.
    pub async fn upload_file(
        &self,
        path: &str,
        token: &str,
        part: &str,
        filename: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "smelter-test-boundary-5e2a";
        let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.raw(
            Method::POST,
            path,
            Some(token),
            Some((&content_type, body)),
            false,
        )
        .await
    }
}
