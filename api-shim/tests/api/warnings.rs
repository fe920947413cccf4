//! `X-Cf-Warnings`: what the api-shim tells the cf CLI it accepted but does not do, encoded as
//! Cloud Controller encodes it (each warning CGI-escaped, joined by commas, in one header).

use crate::{
    harness::{Reply, Shim},
    manifests::apply,
    upload::app,
};
use reqwest::Method;
use serde_json::{Value, json};

const LOG_RATE: &str = "Log rate limits are not enforced by Smelter: the limit is recorded, but an app's logs are not throttled.";

/// The header as sent, if any; CC and the api-shim send at most one.
fn raw_header(reply: &Reply) -> Option<String> {
    let all: Vec<_> = reply.headers.get_all("x-cf-warnings").iter().collect();
    assert!(all.len() <= 1, "one X-Cf-Warnings header at most: {all:?}");
    all.first()
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
}

/// The warnings as the cf CLI reads them: the header split on commas, each part unescaped
/// (`+` is a space) and trimmed.
fn warnings(reply: &Reply) -> Vec<String> {
    raw_header(reply)
        .map(|h| {
            h.split(',')
                .map(|part| {
                    url::form_urlencoded::parse(format!("w={part}").as_bytes())
                        .map(|(_, v)| v.trim().to_owned())
                        .next()
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn apply_manifest_warns_of_what_smelter_ignores() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "w-org").await;
    let space = shim.space(&admin, &org, "w-space").await;
    // Route hosts are unique across the cluster, which other tests share: fresh names.
    let name = format!("warned-{}", &smelter_test_support::guid()[..8]);
    let route = format!("{name}.apps.smelter.test");

    let yaml = format!(
        "applications:\n- name: {name}\n  memory: 64M\n  log-rate-limit-per-second: 1K\n  features:\n    ssh: true\n  sidecars:\n  - name: side\n    command: ./side\n  routes:\n  - route: {route}\n    protocol: http2\n  processes:\n  - type: worker\n    user: vcap\n"
    );
    let reply = apply(&shim, &admin, &space, &yaml).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let want = [
        format!(
            "For application '{name}': these manifest keys are not supported and were ignored: 'features', 'sidecars'"
        ),
        format!(
            "For application '{name}': these keys of process 'worker' are not supported and were ignored: 'user'"
        ),
        format!("For application '{name}': {LOG_RATE}"),
        format!(
            "For application '{name}': route '{route}' asks for protocol 'http2', which Smelter does not support; it is routed over HTTP/1.1."
        ),
    ];
    assert_eq!(warnings(&reply), want);
    let raw = raw_header(&reply).expect("header");
    assert!(
        raw.starts_with(&format!(
            "For+application+%27{name}%27%3A+these+manifest+keys+are+not+supported+and+were+ignored%3A+%27features%27%2C+%27sidecars%27,For+application"
        )),
        "CGI-escaped, commas inside a warning escaped, warnings joined by a bare comma: {raw}"
    );
    // The manifest was applied all the same; the job, already COMPLETE, has no warnings of its
    // own (CC's apply_manifest job never has any).
    let location = reply.headers["location"].to_str().expect("location");
    let job = shim.call(Method::GET, location, &admin, None).await;
    assert_eq!(
        (&job.body["state"], &job.body["warnings"]),
        (&json!("COMPLETE"), &json!([]))
    );
    let apps = shim
        .call(
            Method::GET,
            &format!("/v3/apps?names={name}&space_guids={space}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(apps.body["pagination"]["total_results"], 1);

    // What Smelter does draws no header at all.
    let plain = apply(
        &shim,
        &admin,
        &space,
        &format!(
            "applications:\n- name: {name}\n  instances: 1\n  log-rate-limit-per-second: -1\n"
        ),
    )
    .await;
    assert_eq!(plain.status, 202, "{}", plain.body);
    assert_eq!(raw_header(&plain), None);

    // A second app given the first one's route: both get its traffic, nothing to warn of.
    let other = format!("{name}-b");
    let shared = apply(
        &shim,
        &admin,
        &space,
        &format!("applications:\n- name: {other}\n  routes:\n  - route: {route}\n"),
    )
    .await;
    assert_eq!(shared.status, 202, "{}", shared.body);
    assert_eq!(raw_header(&shared), None);
}

#[tokio::test]
async fn scale_and_health_checks_warn_of_what_is_recorded_but_not_done() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "ws-org").await;
    let space = shim.space(&admin, &org, "ws-space").await;
    let guid = app(&shim, &admin, &space, "scaled").await;
    let web = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{guid}/processes/web"),
            &admin,
            None,
        )
        .await;
    let process = web.body["guid"].as_str().expect("process guid").to_owned();
    let scale = |body: Value| {
        let (shim, admin, process) = (&shim, &admin, &process);
        async move {
            shim.call(
                Method::POST,
                &format!("/v3/processes/{process}/actions/scale"),
                admin,
                Some(body),
            )
            .await
        }
    };

    let limited = scale(json!({ "log_rate_limit_in_bytes_per_second": 1024 })).await;
    assert_eq!(limited.status, 202, "{}", limited.body);
    assert_eq!(
        limited.body["log_rate_limit_in_bytes_per_second"], 1024,
        "recorded"
    );
    assert_eq!(
        raw_header(&limited).as_deref(),
        Some(
            "Log+rate+limits+are+not+enforced+by+Smelter%3A+the+limit+is+recorded%2C+but+an+app%27s+logs+are+not+throttled."
        ),
        "exactly as CGI.escape writes it"
    );
    assert_eq!(warnings(&limited), [LOG_RATE]);
    let by_type = shim
        .call(
            Method::POST,
            &format!("/v3/apps/{guid}/processes/web/actions/scale"),
            &admin,
            Some(json!({ "log_rate_limit_in_bytes_per_second": 2048 })),
        )
        .await;
    assert_eq!(warnings(&by_type), [LOG_RATE]);
    for body in [
        json!({ "instances": 2 }),
        json!({ "log_rate_limit_in_bytes_per_second": -1 }),
    ] {
        let r = scale(body.clone()).await;
        assert_eq!(r.status, 202, "{body}: {}", r.body);
        assert_eq!(raw_header(&r), None, "{body}");
    }

    let update = |body: Value| {
        let (shim, admin, process) = (&shim, &admin, &process);
        async move {
            shim.call(
                Method::PATCH,
                &format!("/v3/processes/{process}"),
                admin,
                Some(body),
            )
            .await
        }
    };
    let interval =
        update(json!({ "health_check": { "type": "port", "data": { "interval": 5 } } })).await;
    assert_eq!(interval.status, 200, "{}", interval.body);
    assert_eq!(
        warnings(&interval),
        [
            "Health check intervals are not supported by Smelter and were ignored: instances are checked at fixed intervals."
        ]
    );
    let timeout =
        update(json!({ "health_check": { "type": "port", "data": { "timeout": 30 } } })).await;
    assert_eq!(timeout.status, 200, "{}", timeout.body);
    assert_eq!(raw_header(&timeout), None, "timeouts are applied");
}

#[tokio::test]
async fn routes_warn_of_ignored_options_and_destinations_without_traffic() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "wr-org").await;
    let space = shim.space(&admin, &org, "wr-space").await;
    let domains = shim
        .call(
            Method::GET,
            "/v3/domains?names=apps.smelter.test",
            &admin,
            None,
        )
        .await;
    let domain = domains.body["resources"][0]["guid"]
        .as_str()
        .expect("the default domain")
        .to_owned();
    let host = format!("wr-{}", &smelter_test_support::guid()[..8]);
    let create = |extra: Value| {
        let mut body = json!({ "host": host, "relationships": { "space": { "data": { "guid": space } }, "domain": { "data": { "guid": domain } } } });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let (shim, admin) = (&shim, &admin);
        async move {
            shim.call(Method::POST, "/v3/routes", admin, Some(body))
                .await
        }
    };

    let with_port = create(json!({ "port": 8080 })).await;
    assert_eq!(
        (with_port.status, with_port.detail()),
        (422, "Routes with protocol 'http' do not support ports."),
        "CC's refusal: every Smelter domain is an HTTP domain"
    );
    let created = create(json!({ "options": { "loadbalancing": "least-connection" } })).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        warnings(&created),
        ["Route options are not supported by Smelter and were ignored: 'loadbalancing'"]
    );
    assert_eq!(created.body["options"], json!({}), "not recorded either");
    let route = created.body["guid"].as_str().expect("guid").to_owned();
    let updated = shim
        .call(
            Method::PATCH,
            &format!("/v3/routes/{route}"),
            &admin,
            Some(json!({ "options": { "loadbalancing": "round-robin" } })),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        warnings(&updated),
        ["Route options are not supported by Smelter and were ignored: 'loadbalancing'"]
    );

    let blue = app(&shim, &admin, &space, "blue").await;
    let green = app(&shim, &admin, &space, "green").await;
    let map = |app: &str, protocol: Option<&str>| {
        let mut dest = json!({ "app": { "guid": app } });
        if let Some(p) = protocol {
            dest["protocol"] = json!(p);
        }
        let (shim, admin, route) = (&shim, &admin, &route);
        async move {
            shim.call(
                Method::POST,
                &format!("/v3/routes/{route}/destinations"),
                admin,
                Some(json!({ "destinations": [dest] })),
            )
            .await
        }
    };
    let first = map(&blue, None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(raw_header(&first), None, "one destination is routed");
    let second = map(&green, Some("http2")).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let url = format!("{host}.apps.smelter.test");
    assert_eq!(
        warnings(&second),
        [format!(
            "Destination protocol 'http2' is not supported by Smelter; route '{url}' reaches app 'green' over HTTP/1.1."
        ),]
    );
    let replaced = shim
        .call(
            Method::PATCH,
            &format!("/v3/routes/{route}/destinations"),
            &admin,
            Some(json!({ "destinations": [{ "app": { "guid": green } }] })),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(raw_header(&replaced), None, "one destination again");
}
