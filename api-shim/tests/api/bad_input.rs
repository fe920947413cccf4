//! What a hostile client's campaign sent, answered as Cloud Controller answers it: a CF error
//! (`{"errors":[{"code","title","detail"}]}`, never axum's bare or plain-text answers), the
//! answer reaching the client even for a body over the limit, and nothing written.

use crate::harness::{MAX_PACKAGE_BYTES, Reply, Shim};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CF error as CC sends it.
struct Cf {
    status: u16,
    code: u64,
    title: &'static str,
    detail: Detail,
}

enum Detail {
    Is(String),
    /// Where CC has no text of its own (a body over the limit), or adds the parser's words.
    StartsWith(&'static str),
}

impl Cf {
    fn unprocessable(detail: impl Into<String>) -> Self {
        Self {
            status: 422,
            code: 10008,
            title: "CF-UnprocessableEntity",
            detail: Detail::Is(detail.into()),
        }
    }

    fn unknown_request() -> Self {
        Self {
            status: 404,
            code: 10000,
            title: "CF-NotFound",
            detail: Detail::Is("Unknown request".into()),
        }
    }

    fn invalid_request() -> Self {
        Self {
            status: 400,
            code: 10004,
            title: "CF-InvalidRequest",
            detail: Detail::Is("The request is invalid".into()),
        }
    }

    fn parse_error() -> Self {
        Self {
            status: 400,
            code: 1001,
            title: "CF-MessageParseError",
            detail: Detail::Is("Request invalid due to parse error: invalid request body".into()),
        }
    }

    fn bad_request(detail: &str) -> Self {
        Self {
            status: 400,
            code: 1004,
            title: "CF-BadRequest",
            detail: Detail::Is(detail.into()),
        }
    }

    /// A body over the limit: CC's nginx answers 413 in HTML, which the cf CLI cannot read;
    /// the api-shim answers with a CF error the CLI prints.
    fn too_large() -> Self {
        Self {
            status: 413,
            code: 1004,
            title: "CF-BadRequest",
            detail: Detail::StartsWith("Bad request: "),
        }
    }

    fn starting(mut self, prefix: &'static str) -> Self {
        self.detail = Detail::StartsWith(prefix);
        self
    }

    /// Why `reply` is not this error, if it is not.
    fn mismatch(&self, reply: &Reply) -> Option<String> {
        let json = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        let errors = reply.body["errors"].as_array();
        let e = &reply.body["errors"][0];
        let detail = e["detail"].as_str().unwrap_or_default();
        let detail_ok = match &self.detail {
            Detail::Is(want) => detail == want,
            Detail::StartsWith(prefix) => detail.starts_with(prefix),
        };
        let ok = reply.status == self.status
            && json
            && errors.map(Vec::len) == Some(1)
            && e["code"].as_u64() == Some(self.code)
            && e["title"] == self.title
            && detail_ok;
        let want = match &self.detail {
            Detail::Is(d) => d.clone(),
            Detail::StartsWith(p) => format!("{p}..."),
        };
        (!ok).then(|| {
            format!(
                "got {} {}; want {} {} {} {want:?}",
                reply.status, reply.text, self.status, self.code, self.title
            )
        })
    }
}

/// The requests of one test, every answer unlike CC's kept for one report at the end.
struct Cases<'a> {
    shim: &'a Shim,
    token: &'a str,
    count: usize,
    problems: Vec<String>,
}

impl<'a> Cases<'a> {
    fn new(shim: &'a Shim, token: &'a str) -> Self {
        Self {
            shim,
            token,
            count: 0,
            problems: Vec::new(),
        }
    }

    fn fail(&mut self, what: &str, why: impl std::fmt::Display) {
        self.problems.push(format!("{what}: {why}"));
    }

    /// Sends a request (with the test's token unless `anonymous`) and checks the answer.
    async fn expect(
        &mut self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        want: Cf,
    ) -> Option<Reply> {
        self.send(method, path, Some(self.token), body, want).await
    }

    async fn anonymous(&mut self, method: Method, path: &str, want: Cf) -> Option<Reply> {
        self.send(method, path, None, None, want).await
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
        want: Cf,
    ) -> Option<Reply> {
        self.count += 1;
        let what = format!(
            "{method} {path}{}{}",
            if token.is_none() { " (no token)" } else { "" },
            body.as_ref()
                .map(|(_, b)| format!(" ({} bytes)", b.len()))
                .unwrap_or_default()
        );
        match self
            .shim
            .try_request(method, path, token, body, false)
            .await
        {
            Ok(reply) => {
                if let Some(why) = want.mismatch(&reply) {
                    self.fail(&what, why);
                }
                Some(reply)
            }
            Err(e) => {
                self.fail(&what, format_args!("no answer reached the client: {e}"));
                None
            }
        }
    }

    /// A JSON body.
    async fn json(&mut self, method: Method, path: &str, body: Value, want: Cf) {
        let bytes = serde_json::to_vec(&body).expect("json");
        self.expect(method, path, Some(("application/json", bytes)), want)
            .await;
    }

    /// Checks a value the test reads back.
    fn same(&mut self, what: &str, got: &Value, want: &Value) {
        if got != want {
            self.fail(what, format_args!("{got}, want {want}"));
        }
    }

    fn done(self, test: &str) {
        println!("{test}: {} cases", self.count);
        assert!(
            self.problems.is_empty(),
            "{} of {} requests answered unlike CC:\n{}",
            self.problems.len(),
            self.count,
            self.problems.join("\n")
        );
    }
}

/// How many orgs, spaces, apps, routes, domains and packages there are.
async fn counts(shim: &Shim, admin: &str) -> Vec<(&'static str, Value)> {
    let mut counts = Vec::new();
    for list in [
        "/v3/organizations",
        "/v3/spaces",
        "/v3/apps",
        "/v3/routes",
        "/v3/domains",
        "/v3/packages",
    ] {
        let r = shim.call(Method::GET, list, admin, None).await;
        counts.push((list, r.body["pagination"]["total_results"].clone()));
    }
    counts
}

async fn made(shim: &Shim, token: &str, path: &str, body: Value) -> String {
    let r = shim.call(Method::POST, path, token, Some(body)).await;
    assert_eq!(r.status, 201, "POST {path}: {}", r.body);
    r.body["guid"].as_str().expect("guid").to_owned()
}

async fn new_app(shim: &Shim, admin: &str, space: &str, name: &str, lifecycle: &str) -> String {
    made(shim, admin, "/v3/apps", json!({ "name": name, "relationships": { "space": { "data": { "guid": space } } }, "lifecycle": { "type": lifecycle, "data": {} } })).await
}

/// A request written by hand, for a path an HTTP client would resolve before sending it
/// (`/v3/apps/..` goes out as `/v3/`).
async fn by_hand(shim: &Shim, method: &str, path: &str, token: &str) -> Result<Reply, String> {
    let addr = shim.url.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: bearer {token}\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw)
        .await
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let mut headers = reqwest::header::HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && let (Ok(n), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()),
                reqwest::header::HeaderValue::from_str(value.trim()),
            )
        {
            headers.insert(n, v);
        }
    }
    Ok(Reply {
        status,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
        text: body.to_owned(),
        headers,
    })
}

#[tokio::test]
async fn wrong_methods_and_undecodable_paths_are_cc_errors() {
    let shim = Shim::start(&["mallory"]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "methods-org").await;
    let space = shim.space(&admin, &org, "methods-space").await;
    let app = new_app(&shim, &admin, &space, "methods-app", "buildpack").await;
    let role = shim
        .role(
            &admin,
            "organization_user",
            "mallory",
            ("organization", &org),
        )
        .await;
    assert_eq!(role.status, 201, "{}", role.body);
    let role = role.body["guid"].as_str().expect("role").to_owned();
    let before = counts(&shim, &admin).await;
    let mut cases = Cases::new(&shim, &admin);

    // No route for the method: CC's router answers 404 `Unknown request`, token or not.
    let patch_role = format!("/v3/roles/{role}");
    let app_path = format!("/v3/apps/{app}");
    let unrouted: [(Method, &str); 6] = [
        (Method::PUT, "/v3/apps"),
        (Method::DELETE, "/v3/apps"),
        (Method::PATCH, &patch_role),
        (Method::POST, &app_path),
        (Method::PUT, &app_path),
        // What an HTTP client sends for `DELETE /v3/apps/..`: `DELETE /v3/`.
        (Method::DELETE, "/v3/apps/.."),
    ];
    for (method, path) in unrouted {
        let body = Some(("application/json", b"{}".to_vec()));
        cases
            .expect(method.clone(), path, body, Cf::unknown_request())
            .await;
        cases.anonymous(method, path, Cf::unknown_request()).await;
    }
    // `..` as the GUID itself (CC's GUID segment takes no dots, and the nginx in front resolves
    // the path first): no route either.
    cases.count += 1;
    match by_hand(&shim, "DELETE", "/v3/apps/..", &admin).await {
        Ok(reply) => {
            if let Some(why) = Cf::unknown_request().mismatch(&reply) {
                cases.fail("DELETE /v3/apps/.. (as sent)", why);
            }
        }
        Err(e) => cases.fail("DELETE /v3/apps/.. (as sent)", e),
    }

    // A path parameter that is not UTF-8: CC's `errors#bad_request`, before any controller
    // code, so before the token is looked at.
    for (method, path) in [
        (Method::GET, "/v3/apps/%ff%fe"),
        (Method::DELETE, "/v3/apps/%ff%fe"),
        (Method::GET, "/v3/apps/%ff%fe/processes"),
        (Method::GET, "/v3/organizations/%ff%fe/domains"),
    ] {
        cases
            .expect(method.clone(), path, None, Cf::invalid_request())
            .await;
        cases.anonymous(method, path, Cf::invalid_request()).await;
    }
    cases
        .json(
            Method::PATCH,
            "/v3/apps/%ff%fe",
            json!({ "name": "x" }),
            Cf::invalid_request(),
        )
        .await;

    // Nothing was changed or removed.
    let after = shim.call(Method::GET, &app_path, &admin, None).await;
    cases.same(
        "the app after",
        &json!([after.status, &after.body["name"]]),
        &json!([200, "methods-app"]),
    );
    let after = shim.call(Method::GET, &patch_role, &admin, None).await;
    cases.same("the role after", &json!(after.status), &json!(200));
    cases.same(
        "counts",
        &json!(counts(&shim, &admin).await),
        &json!(before),
    );
    cases.done("wrong methods and undecodable paths");
}

/// A JSON object of `size` bytes or a little more: `{"<key>":"xxx..."}`.
fn padded(key: &str, size: usize, rest: &str) -> Vec<u8> {
    format!("{{{rest}\"{key}\":\"{}\"}}", "x".repeat(size)).into_bytes()
}

#[tokio::test]
async fn bodies_over_the_limit_or_malformed_are_cf_errors() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "bodies-org").await;
    let space = shim.space(&admin, &org, "bodies-space").await;
    let app = new_app(&shim, &admin, &space, "bodies-app", "buildpack").await;
    let set = shim
        .call(
            Method::PATCH,
            &format!("/v3/apps/{app}/environment_variables"),
            &admin,
            Some(json!({ "var": { "KEPT": "yes" } })),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let before = counts(&shim, &admin).await;
    let mut cases = Cases::new(&shim, &admin);

    let app_path = format!("/v3/apps/{app}");
    let env_path = format!("/v3/apps/{app}/environment_variables");
    let in_space =
        format!("\"relationships\":{{\"space\":{{\"data\":{{\"guid\":\"{space}\"}}}}}},");
    let endpoints = [
        (Method::POST, "/v3/apps"),
        (Method::PATCH, app_path.as_str()),
        (Method::PATCH, env_path.as_str()),
        (Method::POST, "/v3/resource_matches"),
    ];

    // 50 MB: read to its end and refused, so the answer reaches the client (and a proxy in
    // front), where an early answer would close the connection under it.
    for (method, path) in &endpoints {
        let body = padded("name", 50 << 20, &in_space);
        cases
            .expect(
                method.clone(),
                path,
                Some(("application/json", body)),
                Cf::too_large(),
            )
            .await;
    }

    // 3 MB, under the limit: parsed, and refused as CC refuses it.
    let too_long = Cf::unprocessable("Name is too long (maximum is 255 characters)");
    let three = 3 << 20;
    cases
        .expect(
            Method::POST,
            "/v3/apps",
            Some(("application/json", padded("name", three, &in_space))),
            too_long,
        )
        .await;
    let too_long = Cf::unprocessable("Name is too long (maximum is 255 characters)");
    cases
        .expect(
            Method::PATCH,
            &app_path,
            Some(("application/json", padded("name", three, ""))),
            too_long,
        )
        .await;
    cases
        .expect(
            Method::PATCH,
            &env_path,
            Some((
                "application/json",
                padded("junk", three, "\"var\":{\"A\":\"1\"},"),
            )),
            Cf::unprocessable("Unknown field(s): 'junk'"),
        )
        .await;
    // About 3 MB of well-formed resources: more than CC matches in one request.
    let resources: Vec<Value> = (0..30_000)
        .map(|i| json!({ "path": format!("f{i:05}"), "mode": "644", "checksum": { "value": format!("{i:040x}") }, "size_in_bytes": 1 }))
        .collect();
    let body = serde_json::to_vec(&json!({ "resources": resources })).expect("json");
    assert!(body.len() > 3 << 20, "{} bytes", body.len());
    cases
        .expect(
            Method::POST,
            "/v3/resource_matches",
            Some(("application/json", body)),
            Cf::unprocessable("Resources can have at most 5000 resources)"),
        )
        .await;

    // Not JSON, and JSON that is not an object (Rails makes it the one key `_json`).
    let routes = [(Method::POST, "/v3/routes"), (Method::POST, "/v3/domains")];
    for (method, path) in endpoints.iter().chain(&routes) {
        let broken = Some(("application/json", b"{\"name\":".to_vec()));
        cases
            .expect(method.clone(), path, broken, Cf::parse_error())
            .await;
        let list = Some(("application/json", b"[]".to_vec()));
        // CC's resource match message takes any keys; it finds no `resources` array.
        let not_an_object = if *path == "/v3/resource_matches" {
            Cf::unprocessable("Resources must be an array, Resources must have at least 1 resource")
        } else {
            Cf::unprocessable("").starting("Unknown field(s): '_json'")
        };
        cases
            .expect(method.clone(), path, list, not_an_object)
            .await;
    }

    let after = shim.call(Method::GET, &app_path, &admin, None).await;
    cases.same("the app's name", &after.body["name"], &json!("bodies-app"));
    let env = shim.call(Method::GET, &env_path, &admin, None).await;
    cases.same("the app's env", &env.body["var"], &json!({ "KEPT": "yes" }));
    cases.same(
        "counts",
        &json!(counts(&shim, &admin).await),
        &json!(before),
    );
    cases.done("bodies");
}

#[tokio::test]
async fn names_with_control_characters_or_only_blanks_are_refused() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "names-org").await;
    let space = shim.space(&admin, &org, "names-space").await;
    let app = new_app(&shim, &admin, &space, "names-app", "buildpack").await;
    let before = counts(&shim, &admin).await;
    let mut cases = Cases::new(&shim, &admin);

    let blank = "   ";
    let controls = ["a\u{0}b", "a\u{1b}[31mb", "line\nbreak"];
    let escaped = "Name must not contain escaped characters";
    let in_org = json!({ "organization": { "data": { "guid": org } } });
    let in_space = json!({ "space": { "data": { "guid": space } } });

    // Creates: CC's messages.
    for name in std::iter::once(blank).chain(controls) {
        let (orgs, spaces, apps) = if name == blank {
            (
                "Name can't be blank",
                "Name can't be blank",
                "name presence, name format",
            )
        } else {
            (escaped, escaped, "name format")
        };
        cases
            .json(
                Method::POST,
                "/v3/organizations",
                json!({ "name": name }),
                Cf::unprocessable(orgs),
            )
            .await;
        cases
            .json(
                Method::POST,
                "/v3/spaces",
                json!({ "name": name, "relationships": in_org }),
                Cf::unprocessable(spaces),
            )
            .await;
        cases
            .json(
                Method::POST,
                "/v3/apps",
                json!({ "name": name, "relationships": in_space }),
                Cf::unprocessable(apps),
            )
            .await;
    }

    // Renames: blanks pass CC's update messages and are refused by its models, which strip
    // them to nothing (`name presence, name format`); control characters by the messages.
    let org_path = format!("/v3/organizations/{org}");
    let space_path = format!("/v3/spaces/{space}");
    let app_path = format!("/v3/apps/{app}");
    for name in std::iter::once(blank).chain(controls) {
        let (orgs, apps) = if name == blank {
            ("name presence, name format", "name presence, name format")
        } else {
            (escaped, "name format")
        };
        for (path, want) in [(&org_path, orgs), (&space_path, orgs), (&app_path, apps)] {
            cases
                .json(
                    Method::PATCH,
                    path,
                    json!({ "name": name }),
                    Cf::unprocessable(want),
                )
                .await;
        }
    }

    for (path, name) in [
        (&org_path, "names-org"),
        (&space_path, "names-space"),
        (&app_path, "names-app"),
    ] {
        let r = shim.call(Method::GET, path, &admin, None).await;
        cases.same(
            &format!("{path} after"),
            &json!([r.status, &r.body["name"]]),
            &json!([200, name]),
        );
    }
    cases.same(
        "counts",
        &json!(counts(&shim, &admin).await),
        &json!(before),
    );
    // The org still works: a space can be made in it.
    shim.space(&admin, &org, "names-space-2").await;
    cases.done("names");
}

#[tokio::test]
async fn route_paths_and_private_domains_are_checked() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "paths-org").await;
    let space = shim.space(&admin, &org, "paths-space").await;
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
    let before = counts(&shim, &admin).await;
    let mut cases = Cases::new(&shim, &admin);

    let host = format!("paths-{}", &smelter_test_support::guid()[..8]);
    for (path, want) in [
        ("/../..", "Path is invalid."),
        ("/a/../../b", "Path is invalid."),
        ("/a//b", "Path is invalid."),
        ("/a?b", "Path cannot contain ?"),
    ] {
        cases
            .json(
                Method::POST,
                "/v3/routes",
                json!({ "host": host, "path": path, "relationships": { "space": { "data": { "guid": space } }, "domain": { "data": { "guid": domain } } } }),
                Cf::unprocessable(want),
            )
            .await;
    }

    let nowhere = smelter_test_support::guid();
    let name = format!("{}.example.com", &nowhere[..8]);
    cases
        .json(
            Method::POST,
            "/v3/domains",
            json!({ "name": name, "relationships": { "organization": { "data": { "guid": nowhere } } } }),
            Cf::unprocessable(format!(
                "Organization with guid '{nowhere}' does not exist or you do not have access to it."
            )),
        )
        .await;

    let listed = shim
        .call(
            Method::GET,
            &format!("/v3/domains?names={name}"),
            &admin,
            None,
        )
        .await;
    cases.same(
        "the domain",
        &listed.body["pagination"]["total_results"],
        &json!(0),
    );
    cases.same(
        "counts",
        &json!(counts(&shim, &admin).await),
        &json!(before),
    );
    cases.done("routes and domains");
}

#[tokio::test]
async fn manifests_are_checked_before_anything_is_written() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "manifest-org").await;
    let space = shim.space(&admin, &org, "manifest-space").await;
    let before = counts(&shim, &admin).await;
    let mut cases = Cases::new(&shim, &admin);

    let diff = format!("/v3/spaces/{space}/manifest_diff");
    let apply = format!("/v3/spaces/{space}/actions/apply_manifest");
    let yaml = |text: &str| Some(("application/x-yaml", text.as_bytes().to_vec()));
    let memory = "For application 'x': Process \"web\": Memory is not a number";
    cases
        .expect(
            Method::POST,
            &diff,
            yaml("applications:\n- name: x\n  memory: abc\n"),
            Cf::unprocessable(memory),
        )
        .await;

    // Both problems, each its own entry of `errors`, memory first (CC checks the web
    // process's sizes before its scale).
    let both = "applications:\n- name: x\n  memory: abc\n  instances: -1\n";
    let want = json!({ "errors": [
        { "code": 10008, "title": "CF-UnprocessableEntity", "detail": memory },
        { "code": 10008, "title": "CF-UnprocessableEntity", "detail": "For application 'x': Process \"web\": Instances must be greater than or equal to 0" },
    ] });
    for path in [&diff, &apply] {
        cases.count += 1;
        let what = format!("POST {path} (two problems)");
        match shim
            .try_request(Method::POST, path, Some(&admin), yaml(both), false)
            .await
        {
            Ok(r) => cases.same(&what, &json!([r.status, r.body]), &json!([422, want])),
            Err(e) => cases.fail(&what, e),
        }
    }

    let not_yaml = "Bad request: Content-Type must be yaml";
    let too_big = "Bad request: Manifest size is too large. The maximum supported size is 1MB.";
    let big = format!(
        "applications:\n- name: x\n{}",
        "# padding padding padding padding padding padding padding padding\n".repeat(24_000)
    );
    assert!(big.len() > 3 << 19, "{} bytes", big.len());
    for path in [&diff, &apply] {
        for content_type in ["application/json", "text/plain"] {
            cases
                .expect(
                    Method::POST,
                    path,
                    Some((content_type, b"applications:\n- name: x\n".to_vec())),
                    Cf::bad_request(not_yaml),
                )
                .await;
        }
        cases
            .expect(Method::POST, path, yaml(&big), Cf::bad_request(too_big))
            .await;
    }

    cases.same(
        "counts",
        &json!(counts(&shim, &admin).await),
        &json!(before),
    );
    cases.done("manifests");
}

#[tokio::test]
async fn scale_refuses_what_cc_refuses_and_changes_nothing() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "scale-org").await;
    let space = shim.space(&admin, &org, "scale-space").await;
    let app = new_app(&shim, &admin, &space, "scale-app", "buildpack").await;
    let web_path = format!("/v3/apps/{app}/processes/web");
    let web = shim.call(Method::GET, &web_path, &admin, None).await;
    let guid = web.body["guid"].as_str().expect("process").to_owned();
    let sizes = |p: &Value| json!([p["instances"], p["memory_in_mb"], p["disk_in_mb"]]);
    let before = sizes(&web.body);
    let mut cases = Cases::new(&shim, &admin);

    let scale = format!("/v3/processes/{guid}/actions/scale");
    let scale_web = format!("{web_path}/actions/scale");
    let cases_of: [(Value, &str); 7] = [
        (
            json!({ "memory_in_mb": 4_611_686_018_427_387_904_u64 }),
            "Memory in mb must be less than or equal to 2147483647",
        ),
        (
            json!({ "instances": -1 }),
            "Instances must be greater than or equal to 0",
        ),
        (
            json!({ "disk_in_mb": 1.5 }),
            "Disk in mb must be an integer",
        ),
        (json!({ "instances": "abc" }), "Instances is not a number"),
        (
            json!({ "memory_in_mb": "abc" }),
            "Memory in mb is not a number",
        ),
        (
            json!({ "memory_in_mb": 0 }),
            "Memory in mb must be greater than 0",
        ),
        (
            json!({ "instances": -1, "memory_in_mb": 0, "disk_in_mb": 1.5 }),
            "Instances must be greater than or equal to 0, Memory in mb must be greater than 0, Disk in mb must be an integer",
        ),
    ];
    for (body, want) in cases_of {
        for path in [&scale, &scale_web] {
            cases
                .json(Method::POST, path, body.clone(), Cf::unprocessable(want))
                .await;
        }
    }

    let after = shim.call(Method::GET, &web_path, &admin, None).await;
    cases.same("the process after", &sizes(&after.body), &before);
    cases.done("scale");
}

/// A multipart body of `parts` (name, content), as the cf CLI sends an upload.
fn multipart(boundary: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, content) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.zip\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn uploads_and_docker_images_are_checked_and_leave_nothing() {
    let shim = Shim::start(&[]).await;
    let admin = shim.token("admin").await;
    let org = shim.org(&admin, "upload-org").await;
    let space = shim.space(&admin, &org, "upload-space").await;
    let app = new_app(&shim, &admin, &space, "upload-app", "buildpack").await;
    let image_app = new_app(&shim, &admin, &space, "image-app", "docker").await;
    let package = made(
        &shim,
        &admin,
        "/v3/packages",
        json!({ "type": "bits", "relationships": { "app": { "data": { "guid": app } } } }),
    )
    .await;
    let before = counts(&shim, &admin).await;
    let mut cases = Cases::new(&shim, &admin);

    let upload = format!("/v3/packages/{package}/upload");
    let boundary = "bad-input-boundary";
    let typed = format!("multipart/form-data; boundary={boundary}");
    let nothing = "Upload must include either resources or bits";
    for (what, body) in [
        ("no parts", multipart(boundary, &[])),
        ("an empty resources list", {
            let mut b = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"resources\"\r\n\r\n[]\r\n"
            )
            .into_bytes();
            b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            b
        }),
    ] {
        let r = cases
            .expect(
                Method::POST,
                &upload,
                Some((&typed, body)),
                Cf::unprocessable(nothing),
            )
            .await;
        if r.is_none() {
            cases.fail(what, "no answer");
        }
    }
    let no_boundary = multipart(boundary, &[("bits", &b"PK"[..])]);
    cases
        .expect(
            Method::POST,
            &upload,
            Some(("multipart/form-data", no_boundary)),
            Cf::parse_error().starting("Request invalid due to parse error"),
        )
        .await;
    // Bits over the package limit, and a body over the route's limit (the package limit plus
    // 16 MiB for the multipart's overhead): refused, and the refusal reaches the client.
    let over = vec![b'x'; (MAX_PACKAGE_BYTES + (17 << 20)) as usize];
    cases
        .expect(
            Method::POST,
            &upload,
            Some((&typed, multipart(boundary, &[("bits", over.as_slice())]))),
            Cf::unprocessable(format!(
                "The package is larger than the maximum of {MAX_PACKAGE_BYTES} bytes"
            )),
        )
        .await;
    let padded = [("padding", over.as_slice()), ("bits", &b"PK"[..])];
    cases
        .expect(
            Method::POST,
            &upload,
            Some((&typed, multipart(boundary, &padded))),
            Cf::too_large(),
        )
        .await;

    let after = shim
        .call(
            Method::GET,
            &format!("/v3/packages/{package}"),
            &admin,
            None,
        )
        .await;
    cases.same(
        "the package after",
        &after.body["state"],
        &json!("AWAITING_UPLOAD"),
    );
    let stored = shim
        .stored(&smelter_blobstore::keys::package(&package))
        .await;
    cases.same("a blob", &json!(stored.is_some()), &json!(false));

    let image = "evil/../../x";
    cases
        .json(
            Method::POST,
            "/v3/packages",
            json!({ "type": "docker", "data": { "image": image }, "relationships": { "app": { "data": { "guid": image_app } } } }),
            Cf::unprocessable(format!(
                "Data Image '{image}' is not a valid Docker image reference"
            )),
        )
        .await;
    let listed = shim
        .call(
            Method::GET,
            &format!("/v3/apps/{image_app}/packages"),
            &admin,
            None,
        )
        .await;
    cases.same(
        "the docker app's packages",
        &listed.body["pagination"]["total_results"],
        &json!(0),
    );
    cases.same(
        "counts",
        &json!(counts(&shim, &admin).await),
        &json!(before),
    );
    cases.done("uploads and images");
}
