//! User-provided service instances and app bindings: create, list with the fields the cf CLI
//! asks for, credentials visible to developers and not to auditors, bind once, `VCAP_SERVICES`
//! in the app's env and in the Secret its instances read, unbind, rename, delete with bindings,
//! manifests that bind, and bad input that changes nothing.

use crate::harness::Shim;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use reqwest::Method;
use serde_json::{Value, json};
use smelter_crds::{ServiceBinding, ServiceInstance};

async fn vcap_services_secret(shim: &Shim, space: &str, app: &str) -> Value {
    let secrets: Api<Secret> = Api::namespaced(shim.client.clone(), space);
    let secret = secrets
        .get(&format!("{app}-services"))
        .await
        .expect("the app's VCAP_SERVICES Secret");
    let raw = &secret.data.expect("data")["VCAP_SERVICES"].0;
    serde_json::from_slice(raw).expect("VCAP_SERVICES is JSON")
}

#[tokio::test]
async fn user_provided_services_bind_into_vcap_services() {
    let shim = Shim::start(&["dev", "auditor"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "svc-org").await;
    let space = shim.space(&admin, &org, "svc-space").await;
    for (user, role) in [("dev", "space_developer"), ("auditor", "space_auditor")] {
        assert_eq!(
            shim.role(&admin, "organization_user", user, ("organization", &org))
                .await
                .status,
            201
        );
        assert_eq!(
            shim.role(&admin, role, user, ("space", &space))
                .await
                .status,
            201
        );
    }
    let dev = shim.token("dev").await;
    let auditor = shim.token("auditor").await;

    // cf create-user-provided-service db -p '{"uri":"postgres://db"}' -t sql,primary
    let create = |name: &str, credentials: Value| {
        json!({
            "type": "user-provided",
            "name": name,
            "relationships": { "space": { "data": { "guid": space } } },
            "credentials": credentials,
            "tags": ["sql", "primary"],
        })
    };
    let made = shim
        .call(
            Method::POST,
            "/v3/service_instances",
            &dev,
            Some(create("db", json!({ "uri": "postgres://db" }))),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["type"], "user-provided");
    assert_eq!(made.body["last_operation"]["type"], "create");
    assert_eq!(made.body["last_operation"]["state"], "succeeded");
    assert_eq!(
        made.body["relationships"]["space"]["data"]["guid"],
        space.as_str()
    );
    let db = made.body["guid"].as_str().expect("guid").to_owned();

    // Bad input: each refused with CC's error and nothing written.
    let before = Api::<ServiceInstance>::namespaced(shim.client.clone(), &space)
        .list(&Default::default())
        .await
        .expect("list")
        .items
        .len();
    let taken = shim
        .call(
            Method::POST,
            "/v3/service_instances",
            &dev,
            Some(create("db", json!({}))),
        )
        .await;
    assert_eq!(
        (taken.status, taken.detail()),
        (422, "The service instance name is taken: db.")
    );
    for (body, detail) in [
        (
            create("x", json!("not an object")),
            "Credentials must be an object",
        ),
        (
            json!({ "type": "managed", "name": "m", "relationships": { "space": { "data": { "guid": space } } } }),
            "Invalid service plan. Ensure that the service plan exists, is available, and you have access to it.",
        ),
        (
            json!({ "type": "user-provided", "name": "y", "relationships": { "space": { "data": { "guid": "nope" } } } }),
            "Invalid space. Ensure that the space exists and you have access to it.",
        ),
        (
            json!({ "type": "user-provided", "name": "z", "bogus": 1, "relationships": { "space": { "data": { "guid": space } } } }),
            "Unknown field(s): 'bogus'",
        ),
    ] {
        let r = shim
            .call(Method::POST, "/v3/service_instances", &dev, Some(body))
            .await;
        assert_eq!((r.status, r.detail()), (422, detail));
    }
    let after = Api::<ServiceInstance>::namespaced(shim.client.clone(), &space)
        .list(&Default::default())
        .await
        .expect("list")
        .items
        .len();
    assert_eq!(before, after, "a refused create wrote an instance");
    // An auditor may not create one.
    let denied = shim
        .call(
            Method::POST,
            "/v3/service_instances",
            &auditor,
            Some(create("a", json!({}))),
        )
        .await;
    assert_eq!(denied.status, 403, "{}", denied.body);

    // cf services: the list with the space and org fields the CLI asks for.
    let listed = shim
        .call(
            Method::GET,
            &format!("/v3/service_instances?space_guids={space}&fields[space]=name,guid&fields[space.organization]=name,guid&fields[service_plan]=name,guid&order_by=name"),
            &auditor,
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["resources"][0]["name"], "db");
    assert_eq!(
        listed.body["included"]["spaces"][0],
        json!({ "guid": space, "name": "svc-space" })
    );
    assert_eq!(
        listed.body["included"]["organizations"][0],
        json!({ "guid": org, "name": "svc-org" })
    );
    assert_eq!(listed.body["included"]["service_plans"], json!([]));
    let bad = shim
        .call(
            Method::GET,
            "/v3/service_instances?fields[app]=name",
            &dev,
            None,
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.title(), "CF-BadQueryParameter");

    // Credentials: the developer reads them, the auditor may not.
    let creds = shim
        .call(
            Method::GET,
            &format!("/v3/service_instances/{db}/credentials"),
            &dev,
            None,
        )
        .await;
    assert_eq!(creds.body, json!({ "uri": "postgres://db" }));
    let hidden = shim
        .call(
            Method::GET,
            &format!("/v3/service_instances/{db}/credentials"),
            &auditor,
            None,
        )
        .await;
    assert_eq!(hidden.status, 403);

    // An app to bind to.
    let app = shim
        .call(
            Method::POST,
            "/v3/apps",
            &dev,
            Some(json!({ "name": "svc-app", "relationships": { "space": { "data": { "guid": space } } } })),
        )
        .await;
    assert_eq!(app.status, 201, "{}", app.body);
    let app = app.body["guid"].as_str().expect("guid").to_owned();

    // cf bind-service svc-app db
    let bind = json!({
        "type": "app",
        "relationships": { "service_instance": { "data": { "guid": db } }, "app": { "data": { "guid": app } } },
    });
    let bound = shim
        .call(
            Method::POST,
            "/v3/service_credential_bindings",
            &dev,
            Some(bind.clone()),
        )
        .await;
    assert_eq!(bound.status, 201, "{}", bound.body);
    assert_eq!(bound.body["type"], "app");
    assert_eq!(
        bound.body["relationships"]["app"]["data"]["guid"],
        app.as_str()
    );
    let binding = bound.body["guid"].as_str().expect("guid").to_owned();
    let mut with_parameters = bind.clone();
    with_parameters["parameters"] = json!({ "x": 1 });
    let refused = shim
        .call(
            Method::POST,
            "/v3/service_credential_bindings",
            &dev,
            Some(with_parameters),
        )
        .await;
    assert_eq!(
        (refused.status, refused.detail()),
        (
            422,
            "Binding parameters are not supported for user-provided service instances"
        )
    );
    let again = shim
        .call(
            Method::POST,
            "/v3/service_credential_bindings",
            &dev,
            Some(bind),
        )
        .await;
    assert_eq!(
        (again.status, again.detail()),
        (422, "The app is already bound to the service instance")
    );

    // VCAP_SERVICES: in the app's env and in the Secret its instances and staging read.
    let env = shim
        .call(Method::GET, &format!("/v3/apps/{app}/env"), &dev, None)
        .await;
    let ups = &env.body["system_env_json"]["VCAP_SERVICES"]["user-provided"];
    assert_eq!(ups[0]["name"], "db");
    assert_eq!(ups[0]["credentials"]["uri"], "postgres://db");
    assert_eq!(ups[0]["tags"], json!(["sql", "primary"]));
    assert_eq!(ups[0]["binding_guid"], binding.as_str());
    assert_eq!(
        vcap_services_secret(&shim, &space, &app).await,
        env.body["system_env_json"]["VCAP_SERVICES"]
    );

    // The bindings list as `cf services` and `cf unbind-service` read it.
    let bindings = shim
        .call(
            Method::GET,
            "/v3/service_credential_bindings?service_instance_names=db&app_names=svc-app&include=app,service_instance",
            &dev,
            None,
        )
        .await;
    assert_eq!(bindings.body["resources"][0]["guid"], binding.as_str());
    assert_eq!(bindings.body["included"]["apps"][0]["name"], "svc-app");
    assert_eq!(
        bindings.body["included"]["service_instances"][0]["name"],
        "db"
    );
    let details = shim
        .call(
            Method::GET,
            &format!("/v3/service_credential_bindings/{binding}/details"),
            &dev,
            None,
        )
        .await;
    assert_eq!(details.body["credentials"]["uri"], "postgres://db");

    // cf update-user-provided-service db -p ...: bound apps' VCAP_SERVICES follow.
    let updated = shim
        .call(
            Method::PATCH,
            &format!("/v3/service_instances/{db}"),
            &dev,
            Some(json!({ "credentials": { "uri": "postgres://db2" } })),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        vcap_services_secret(&shim, &space, &app).await["user-provided"][0]["credentials"]["uri"],
        "postgres://db2"
    );
    let renamed = shim
        .call(
            Method::PATCH,
            &format!("/v3/service_instances/{db}"),
            &dev,
            Some(json!({ "name": "maindb" })),
        )
        .await;
    assert_eq!(renamed.body["name"], "maindb");
    assert_eq!(renamed.body["last_operation"]["type"], "update");

    // cf unbind-service: the binding goes, and VCAP_SERVICES is empty again.
    let unbound = shim
        .call(
            Method::DELETE,
            &format!("/v3/service_credential_bindings/{binding}"),
            &dev,
            None,
        )
        .await;
    assert_eq!(unbound.status, 204, "{}", unbound.body);
    assert_eq!(vcap_services_secret(&shim, &space, &app).await, json!({}));

    // A manifest binds by name; an unknown name is refused before anything is written.
    let manifest =
        |services: &str| format!("applications:\n- name: svc-app\n  services:\n{services}");
    let refused = shim
        .raw(
            Method::POST,
            &format!("/v3/spaces/{space}/actions/apply_manifest"),
            Some(&dev),
            Some(("application/x-yaml", manifest("  - nosuch\n").into_bytes())),
            false,
        )
        .await;
    assert_eq!(
        (refused.status, refused.detail()),
        (
            422,
            "For application 'svc-app': Service instance 'nosuch' not found"
        )
    );
    let applied = shim
        .raw(
            Method::POST,
            &format!("/v3/spaces/{space}/actions/apply_manifest"),
            Some(&dev),
            Some((
                "application/x-yaml",
                manifest("  - name: maindb\n    binding_name: primary\n").into_bytes(),
            )),
            false,
        )
        .await;
    assert_eq!(applied.status, 202, "{}", applied.body);
    let location = applied.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    shim.wait_job(&location, &dev).await;
    let vcap = vcap_services_secret(&shim, &space, &app).await;
    assert_eq!(vcap["user-provided"][0]["name"], "primary");
    assert_eq!(vcap["user-provided"][0]["instance_name"], "maindb");

    // cf delete-service: the instance goes with its bindings and its credentials.
    let deleted = shim
        .call(
            Method::DELETE,
            &format!("/v3/service_instances/{db}"),
            &dev,
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let left = Api::<ServiceBinding>::namespaced(shim.client.clone(), &space)
        .list(&Default::default())
        .await
        .expect("list");
    assert!(left.items.is_empty(), "bindings left: {:?}", left.items);
    assert_eq!(vcap_services_secret(&shim, &space, &app).await, json!({}));
    let gone = shim
        .call(
            Method::GET,
            &format!("/v3/service_instances/{db}"),
            &dev,
            None,
        )
        .await;
    assert_eq!(gone.status, 404);

    // The marketplace is empty: no brokers.
    let offerings = shim
        .call(
            Method::GET,
            "/v3/service_offerings?fields[service_broker]=name,guid",
            &dev,
            None,
        )
        .await;
    assert_eq!(offerings.body["pagination"]["total_results"], 0);
}
