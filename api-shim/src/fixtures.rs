//! Objects the unit tests share: one of each kind, as CC would show them after a plain create.

use crate::{auth::users::User, http::links::BaseUrl, v3::apps::actions::web_process};
use smelter_crds::{
    App, AppSpec, Build, BuildSpec, Checksum, ChecksumType, Org, OrgSpec, ServiceInstance,
    ServiceInstanceSpec, Space, SpaceSpec,
    build::{BuildState, BuildStatus, DetectedBuildpack, Droplet},
    service::ServiceInstanceType,
};

/// A user who is not an admin.
pub fn alice() -> User {
    User {
        guid: "u1".into(),
        name: "alice".into(),
        origin: "uaa".into(),
        admin: false,
        password_hash: String::new(),
    }
}

/// A stopped app `dora` with its web process, in space `s1`.
pub fn app(guid: &str) -> App {
    let mut app = App::new(
        guid,
        AppSpec {
            name: "dora".into(),
            desired_state: Default::default(),
            lifecycle: Default::default(),
            current_droplet_guid: None,
            environment_variables_secret: None,
            processes: vec![web_process(guid)],
        },
    );
    app.metadata.namespace = Some("s1".into());
    app
}

/// A build of app `a1`'s package `p1` that staged droplet `d1` with the staticfile buildpack,
/// in space `s1`.
pub fn staged_build(guid: &str) -> Build {
    let mut build = Build::new(
        guid,
        BuildSpec {
            app_guid: "a1".into(),
            package_guid: "p1".into(),
            lifecycle: Default::default(),
            staging_memory_in_mb: None,
            staging_disk_in_mb: Some(2048),
            staging_log_rate_limit_bytes_per_second: None,
        },
    );
    build.metadata.namespace = Some("s1".into());
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

/// A user-provided service instance `db`, tagged `sql`, in space `s1`.
pub fn user_provided(guid: &str) -> ServiceInstance {
    let mut si = ServiceInstance::new(
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
    );
    si.metadata.namespace = Some("s1".into());
    si
}

/// An organization `demo`.
pub fn org(guid: &str) -> Org {
    Org::new(
        guid,
        OrgSpec {
            name: "demo".into(),
            suspended: false,
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
        },
    );
    space.metadata.namespace = Some("o1".into());
    space
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
