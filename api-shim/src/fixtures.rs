//! Objects the unit tests share: one of each kind, as CC would show them after a plain create.

use crate::{
    auth::{Caller, Permissions, TokenIssuer, Users, tokens::generate_key_pem, users::User},
    config::Config,
    http::links::BaseUrl,
    read::{Ctx, Listed},
    state::{AppState, KubeClients},
    storage::cache::Caches,
    v3::apps::actions::web_process,
};
use kube::runtime::watcher;
use smelter_crds::{
    App, AppSpec, Build, BuildSpec, Checksum, ChecksumType, Org, OrgSpec, Route, RouteSpec,
    ServiceInstance, ServiceInstanceSpec, Space, SpaceSpec,
    build::{BuildState, BuildStatus, DetectedBuildpack, Droplet},
    route::Destination,
    service::ServiceInstanceType,
};
use std::sync::Arc;

/// An admin.
pub fn admin() -> User {
    User {
        guid: "u0".into(),
        name: "admin".into(),
        origin: "uaa".into(),
        admin: true,
        password_hash: String::new(),
        registered: true,
    }
}

/// A user who is not an admin.
pub fn alice() -> User {
    User {
        guid: "u1".into(),
        name: "alice".into(),
        origin: "uaa".into(),
        admin: false,
        password_hash: String::new(),
        registered: true,
    }
}

/// A stopped app `dora` with its web process, in space `s1`.
pub fn app(guid: &str) -> App {
    in_s1(App::new(
        guid,
        AppSpec {
            name: "dora".into(),
            desired_state: Default::default(),
            lifecycle: Default::default(),
            current_droplet_guid: None,
            environment_variables_secret: None,
            processes: vec![web_process(guid)],
        },
    ))
}

/// A build of app `a1`'s package `p1` that staged droplet `d1` with the staticfile buildpack,
/// in space `s1`.
pub fn staged_build(guid: &str) -> Build {
    let mut build = in_s1(Build::new(
        guid,
        BuildSpec {
            app_guid: "a1".into(),
            package_guid: "p1".into(),
            lifecycle: Default::default(),
            staging_memory_in_mb: None,
            staging_disk_in_mb: Some(2048),
            staging_log_rate_limit_bytes_per_second: None,
        },
    ));
    build.status = Some(BuildStatus {
        state: BuildState::Staged,
        droplet: Some(Droplet {
            guid: "d1".into(),
            checksum: Some(Checksum {
                type_: ChecksumType::Sha256,
                value: "ab".repeat(32),
            }),
            process_types: [("web".to_owned(), "./serve".to_owned())].into(),
            buildpacks: vec![DetectedBuildpack {
                name: "staticfile_buildpack".into(),
                detect_output: Some("staticfile".into()),
                buildpack_name: Some("staticfile".into()),
                version: Some("1.0.0".into()),
            }],
            stack: Some("cflinuxfs4".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    build
}

/// A route `dora` on domain `d1` with path `/api`, to app `a1`'s web process, in space `s1`.
pub fn route(guid: &str) -> Route {
    let destination = Destination {
        guid: "x1".into(),
        app_guid: "a1".into(),
        process_type: "web".into(),
        port: None,
        weight: None,
        protocol: None,
    };
    let spec = RouteSpec {
        host: "dora".into(),
        path: "/api".into(),
        domain_guid: "d1".into(),
        destinations: vec![destination],
    };
    in_s1(Route::new(guid, spec))
}

/// A user-provided service instance `db`, tagged `sql`, in space `s1`.
pub fn user_provided(guid: &str) -> ServiceInstance {
    in_s1(ServiceInstance::new(
        guid,
        ServiceInstanceSpec {
            name: "db".into(),
            type_: ServiceInstanceType::UserProvided,
            credentials_secret: None,
            tags: vec!["sql".into()],
            syslog_drain_url: None,
            route_service_url: None,
            service_plan_guid: None,
        },
    ))
}

/// An organization `demo`.
pub fn org(guid: &str) -> Org {
    Org::new(
        guid,
        OrgSpec {
            name: "demo".into(),
            suspended: false,
            ..Default::default()
        },
    )
}

/// A space `dev` in organization `o1`.
pub fn space(guid: &str) -> Space {
    let mut space = Space::new(
        guid,
        SpaceSpec {
            name: "dev".into(),
            allow_ssh: false,
            ..Default::default()
        },
    );
    space.metadata.namespace = Some("o1".into());
    space
}

/// `obj` in space `s1` (its namespace).
fn in_s1<K: kube::Resource>(mut obj: K) -> K {
    obj.meta_mut().namespace = Some("s1".into());
    obj
}

/// The API's address in presenter tests.
pub fn base() -> BaseUrl {
    BaseUrl("https://api.x".into())
}

/// A table test of one of CC's pure checks: each of `ok` passes (no problems) and each
/// `(input, text)` of `refused` is refused with `text` among its problems.
pub fn check_table(problems: impl Fn(&str) -> Vec<String>, ok: &[&str], refused: &[(&str, &str)]) {
    for input in ok {
        assert_eq!(problems(input), Vec::<String>::new(), "{input:?}");
    }
    for (input, text) in refused {
        let found = problems(input);
        assert!(found.iter().any(|p| p == text), "{input:?}: {found:?}");
    }
}

/// An API call by `user` on no cluster: caches that hold what the test applies to them
/// (`ctx.state.caches.apps.apply(watcher::Event::Apply(app))`), a blobstore in a fresh
/// temporary directory, and a Kubernetes client that points nowhere (the pure parts under
/// test never write).
pub async fn ctx(user: &User) -> Ctx {
    let dir = std::env::temp_dir().join(format!("smelter-unit-{}", uuid::Uuid::new_v4()));
    let blobs = smelter_blobstore::Blobstore::filesystem(&dir).expect("blobstore");
    let pool = smelter_blobstore::ResourcePool::load(blobs.clone())
        .await
        .expect("resource pool");
    let key = generate_key_pem().expect("signing key");
    let tokens = TokenIssuer::new(&key, "smelter-unit".into(), 600, 600).expect("issuer");
    let nowhere = kube::Config::new("http://127.0.0.1:9".parse().expect("URL"));
    let caches = Caches::unwatched();
    let state = Arc::new(AppState {
        config: Config::default(),
        users: Users::new(
            caches.root_secrets.clone(),
            "root".into(),
            "smelter-users".into(),
        ),
        caches,
        tokens,
        kube: KubeClients::new(nowhere, Default::default()).expect("client"),
        blobs,
        pool,
        limits: Default::default(),
        signer: smelter_blobstore::UrlSigner::new(smelter_blobstore::signing::generate_key()),
        metrics: Default::default(),
        buildpack_order: Default::default(),
        lockout: Default::default(),
    });
    let (_, _, claims) = state.tokens.issue(user, "password").expect("token");
    let caller = Caller { claims };
    Ctx {
        perms: Permissions::of(&caller, &state.caches),
        state,
        caller,
        base: base(),
        path: "/v3/unit".into(),
        query: None,
    }
}

/// The filter rows of every list of things in a space, for an item in space `s1` of org `o1`
/// (see [`check_filters`]).
pub const IN_SPACE_S1: &str =
    "space_guids=s1 space_guids!=s2 organization_guids=o1 organization_guids!=o2";

/// A table test of a list's filters on one item, as an admin sees it with space `s1` of org
/// `o1` in the caches. Each row of the tables is `filter=value` (the item passes) or
/// `filter!=value` (it does not), as `R::matches` must answer; every filter the list accepts
/// needs a row, so a new filter cannot go untested, nor be accepted and not applied.
pub async fn check_filters<R: Listed>(item: &R::Item, tables: &[&str]) {
    check_filters_with::<R>(|_| {}, item, tables).await;
}

/// The same, with what `setup` puts in the caches besides (the objects a filter looks up).
pub async fn check_filters_with<R: Listed>(
    setup: impl FnOnce(&Caches),
    item: &R::Item,
    tables: &[&str],
) {
    let ctx = ctx(&admin()).await;
    let caches = &ctx.state.caches;
    caches.spaces.apply(watcher::Event::Apply(space("s1")));
    setup(caches);
    let rows: Vec<(&str, &str, bool)> = tables
        .iter()
        .flat_map(|t| t.split_whitespace())
        .map(|row| match row.split_once("!=") {
            Some((key, value)) => (key, value, false),
            None => row.split_once('=').map(|(k, v)| (k, v, true)).expect(row),
        })
        .collect();
    for &(key, value, passes) in &rows {
        let answer = R::matches(&ctx, item, key, &[value.to_owned()]);
        assert_eq!(answer, Some(passes), "{} list, {key}={value}", R::NAME);
    }
    let filters = R::LIST.keys.split_whitespace();
    for key in filters.filter(|k| !matches!(*k, "include" | "fields")) {
        assert!(
            rows.iter().any(|(k, _, _)| *k == key),
            "{} list: no row for its filter {key}",
            R::NAME
        );
    }
}
