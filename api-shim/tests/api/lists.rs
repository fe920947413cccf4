//! Every list of the route table, from one table: CC's paging and links, ordering, label
//! selectors, CC's refusals of unknown parameters and orders, and every filter a list accepts
//! answering with what matches (nothing, for a value no object has), never with a 500. What
//! each list accepts is taken from the crate (`Listed::LIST`, `Nested::NESTED`), so a filter
//! added later is covered at once, and a list that accepts a filter it does not apply fails.

use crate::harness::{Reply, Shim, urlencode};
use reqwest::Method;
use serde_json::{Value, json};
use smelter_api_shim::{
    http::query::{Accepts, Refusal},
    read::{Listed, Nested},
    v3::{
        apps::Apps,
        buildpacks::Buildpacks,
        builds::Builds,
        domains::Domains,
        droplets::Droplets,
        empty::{
            Deployments, ServiceBrokers, ServiceOfferings, ServicePlans, ServiceRouteBindings,
        },
        feature_flags::FeatureFlags,
        isolation_segments::IsolationSegments,
        organization_quotas::OrganizationQuotas,
        organizations::Organizations,
        packages::Packages,
        processes::Processes,
        roles::Roles,
        routes::Routes,
        security_groups::{RunningSecurityGroups, SecurityGroups, StagingSecurityGroups},
        service_credential_bindings::ServiceCredentialBindings,
        service_instances::ServiceInstances,
        space_quotas::SpaceQuotas,
        spaces::Spaces,
        stacks::Stacks,
        users::Users,
    },
};
use smelter_crds::{App, IsolationSegment, Org, Package, Space};
use std::{collections::BTreeSet, fmt::Display, time::Duration};

/// The route table, read for the lists it serves.
const ROUTER: &str = include_str!("../../src/router.rs");

/// The lists the route table serves through the generic read path, and the sidecars list.
fn routed_lists() -> BTreeSet<String> {
    let mut lists: BTreeSet<String> = ROUTER
        .split(".route(")
        .skip(1)
        .filter(|route| route.contains("get(list::<") || route.contains("get(nested::<"))
        .filter_map(|route| route.split('"').nth(1).map(str::to_owned))
        .collect();
    lists.insert("/v3/processes/{guid}/sidecars".to_owned());
    lists
}

/// One list: its route, what it accepts, and the seeded object it must show.
struct Row {
    route: &'static str,
    /// The route with its parent's GUID.
    path: String,
    accepts: Accepts,
    /// A seeded object in the list.
    seeded: Option<String>,
    /// A label selector the seeded object alone matches.
    label: Option<&'static str>,
}

impl Row {
    fn new(route: &'static str, accepts: Accepts) -> Self {
        Self {
            route,
            path: route.to_owned(),
            accepts,
            seeded: None,
            label: None,
        }
    }

    fn under(mut self, parent: &str) -> Self {
        self.path = self.route.replace("{guid}", parent);
        self
    }

    fn showing(mut self, guid: &str) -> Self {
        self.seeded = Some(guid.to_owned());
        self
    }

    fn labelled(mut self, selector: &'static str) -> Self {
        self.label = Some(selector);
        self
    }
}

/// One of each object the API can make, labelled `lists=<kind>` where it takes labels; most
/// lists get a second, unlabelled one, so that paging has a second page.
#[derive(Default)]
struct Seeded {
    org: String,
    space: String,
    user: String,
    role: String,
    /// A docker app: the operator stages its builds at once, so it has droplets.
    app: String,
    web: String,
    package: String,
    build: String,
    buildpack: String,
    stack: String,
    domain: String,
    route: String,
    instance: String,
    binding: String,
    org_quota: String,
    space_quota: String,
    segment: String,
    security_group: String,
}

fn labels(kind: &str) -> Value {
    json!({ "labels": { "lists": kind } })
}

/// POSTs `body` and returns the GUID of what it made.
async fn made(shim: &Shim, token: &str, path: &str, body: Value) -> String {
    let r = shim.call(Method::POST, path, token, Some(body)).await;
    assert_eq!(r.status, 201, "POST {path}: {}", r.body);
    r.body["guid"].as_str().expect("guid").to_owned()
}

async fn first_guid(shim: &Shim, token: &str, path: &str) -> String {
    let r = shim.call(Method::GET, path, token, None).await;
    r.body["resources"][0]["guid"]
        .as_str()
        .unwrap_or_else(|| panic!("GET {path}: {}", r.body))
        .to_owned()
}

async fn seed(shim: &Shim, admin: &str) -> Seeded {
    let org = made(
        shim,
        admin,
        "/v3/organizations",
        json!({ "name": "lists-org", "metadata": labels("org") }),
    )
    .await;
    made(
        shim,
        admin,
        "/v3/organizations",
        json!({ "name": "lists-org-2" }),
    )
    .await;
    let in_org = json!({ "organization": { "data": { "guid": org } } });
    let space = made(
        shim,
        admin,
        "/v3/spaces",
        json!({ "name": "lists-space", "relationships": in_org, "metadata": labels("space") }),
    )
    .await;
    made(
        shim,
        admin,
        "/v3/spaces",
        json!({ "name": "lists-space-2", "relationships": in_org }),
    )
    .await;
    let r = shim
        .role(admin, "organization_user", "lister", ("organization", &org))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = shim
        .role(admin, "space_developer", "lister", ("space", &space))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let role = r.body["guid"].as_str().expect("role").to_owned();

    let in_space = json!({ "space": { "data": { "guid": space } } });
    let app = made(shim, admin, "/v3/apps", json!({ "name": "lists-docker", "relationships": in_space, "lifecycle": { "type": "docker", "data": {} }, "metadata": labels("app") })).await;
    let app2 = made(
        shim,
        admin,
        "/v3/apps",
        json!({ "name": "lists-buildpack", "relationships": in_space }),
    )
    .await;
    let web = first_guid(shim, admin, &format!("/v3/apps/{app}/processes")).await;

    let of = |app: &str| json!({ "app": { "data": { "guid": app } } });
    let package = made(shim, admin, "/v3/packages", json!({ "type": "docker", "data": { "image": "nginx:1.27" }, "relationships": of(&app), "metadata": labels("package") })).await;
    made(
        shim,
        admin,
        "/v3/packages",
        json!({ "type": "docker", "data": { "image": "nginx:1.27" }, "relationships": of(&app) }),
    )
    .await;
    made(
        shim,
        admin,
        "/v3/packages",
        json!({ "type": "bits", "relationships": of(&app2) }),
    )
    .await;
    // The operator in the harness stages a docker package at once; the droplet's GUID is
    // the build's.
    let build = made(
        shim,
        admin,
        "/v3/builds",
        json!({ "package": { "guid": package }, "metadata": labels("build") }),
    )
    .await;
    let build2 = made(
        shim,
        admin,
        "/v3/builds",
        json!({ "package": { "guid": package } }),
    )
    .await;
    for b in [&build, &build2] {
        smelter_test_support::wait_for("build STAGED", Duration::from_secs(30), || async {
            shim.call(Method::GET, &format!("/v3/builds/{b}"), admin, None)
                .await
                .body["state"]
                == "STAGED"
        })
        .await;
    }

    let buildpack = made(
        shim,
        admin,
        "/v3/buildpacks",
        json!({ "name": "lists_bp", "metadata": labels("buildpack") }),
    )
    .await;
    made(
        shim,
        admin,
        "/v3/buildpacks",
        json!({ "name": "lists_bp_2" }),
    )
    .await;
    let stack = first_guid(shim, admin, "/v3/stacks").await;

    // Domains and route hosts are unique across the cluster, which other tests share.
    let unique = &smelter_test_support::guid()[..8];
    let domain = made(shim, admin, "/v3/domains", json!({ "name": format!("lists-{unique}.example.com"), "relationships": in_org, "metadata": labels("domain") })).await;
    let shared = first_guid(shim, admin, "/v3/domains?names=apps.smelter.test").await;
    let on =
        json!({ "space": { "data": { "guid": space } }, "domain": { "data": { "guid": shared } } });
    let route = made(shim, admin, "/v3/routes", json!({ "host": format!("lists-{unique}"), "relationships": on, "metadata": labels("route") })).await;
    let route2 = made(
        shim,
        admin,
        "/v3/routes",
        json!({ "host": format!("lists-{unique}-2"), "relationships": on }),
    )
    .await;
    for r in [&route, &route2] {
        let mapped = shim
            .call(
                Method::POST,
                &format!("/v3/routes/{r}/destinations"),
                admin,
                Some(json!({ "destinations": [{ "app": { "guid": app } }] })),
            )
            .await;
        assert_eq!(mapped.status, 200, "{}", mapped.body);
    }

    let instance = made(shim, admin, "/v3/service_instances", json!({ "type": "user-provided", "name": "lists-db", "relationships": in_space, "credentials": {}, "metadata": labels("instance") })).await;
    made(shim, admin, "/v3/service_instances", json!({ "type": "user-provided", "name": "lists-cache", "relationships": in_space, "credentials": {} })).await;
    let bind = |app: &str| json!({ "type": "app", "relationships": { "service_instance": { "data": { "guid": instance } }, "app": { "data": { "guid": app } } } });
    let mut first = bind(&app);
    first["metadata"] = labels("binding");
    let binding = made(shim, admin, "/v3/service_credential_bindings", first).await;
    made(shim, admin, "/v3/service_credential_bindings", bind(&app2)).await;

    // Quotas have no labels; the org and the space are under the first of each.
    let org_quota = made(shim, admin, "/v3/organization_quotas", json!({ "name": format!("lists-{unique}"), "relationships": { "organizations": { "data": [{ "guid": org }] } } })).await;
    made(
        shim,
        admin,
        "/v3/organization_quotas",
        json!({ "name": format!("lists-{unique}-2") }),
    )
    .await;
    let space_quota = made(shim, admin, "/v3/space_quotas", json!({ "name": "lists-space-quota", "relationships": { "organization": { "data": { "guid": org } }, "spaces": { "data": [{ "guid": space }] } } })).await;
    made(
        shim,
        admin,
        "/v3/space_quotas",
        json!({ "name": "lists-space-quota-2", "relationships": in_org }),
    )
    .await;

    let segment = made(
        shim,
        admin,
        "/v3/isolation_segments",
        json!({ "name": format!("lists-{unique}"), "metadata": labels("segment") }),
    )
    .await;
    made(
        shim,
        admin,
        "/v3/isolation_segments",
        json!({ "name": format!("lists-{unique}-2") }),
    )
    .await;
    let entitle = format!("/v3/isolation_segments/{segment}/relationships/organizations");
    let r = shim
        .call(
            Method::POST,
            &entitle,
            admin,
            Some(json!({ "data": [{ "guid": org }] })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let bound = json!({ "data": [{ "guid": space }] });
    let security_group = made(shim, admin, "/v3/security_groups", json!({ "name": format!("lists-{unique}"), "relationships": { "running_spaces": bound, "staging_spaces": bound } })).await;

    Seeded {
        segment,
        security_group,
        org_quota,
        space_quota,
        org,
        space,
        user: shim.users["lister"].clone(),
        role,
        app,
        web,
        package,
        build,
        buildpack,
        stack,
        domain,
        route,
        instance,
        binding,
    }
}

/// Every list, with what the crate says it accepts.
fn table(s: &Seeded) -> Vec<Row> {
    vec![
        Row::new("/v3/organizations", <Organizations as Listed>::LIST)
            .showing(&s.org)
            .labelled("lists=org"),
        Row::new("/v3/spaces", <Spaces as Listed>::LIST)
            .showing(&s.space)
            .labelled("lists=space"),
        Row::new("/v3/roles", <Roles as Listed>::LIST).showing(&s.role),
        Row::new(
            "/v3/organization_quotas",
            <OrganizationQuotas as Listed>::LIST,
        )
        .showing(&s.org_quota),
        Row::new("/v3/space_quotas", <SpaceQuotas as Listed>::LIST).showing(&s.space_quota),
        Row::new(
            "/v3/isolation_segments",
            <IsolationSegments as Listed>::LIST,
        )
        .showing(&s.segment)
        .labelled("lists=segment"),
        Row::new(
            "/v3/isolation_segments/{guid}/organizations",
            <Organizations as Nested<IsolationSegment>>::NESTED,
        )
        .under(&s.segment)
        .showing(&s.org)
        .labelled("lists=org"),
        Row::new("/v3/security_groups", <SecurityGroups as Listed>::LIST)
            .showing(&s.security_group),
        Row::new(
            "/v3/spaces/{guid}/running_security_groups",
            <RunningSecurityGroups as Nested<Space>>::NESTED,
        )
        .under(&s.space)
        .showing(&s.security_group),
        Row::new(
            "/v3/spaces/{guid}/staging_security_groups",
            <StagingSecurityGroups as Nested<Space>>::NESTED,
        )
        .under(&s.space)
        .showing(&s.security_group),
        // Users have no labels of their own here.
        Row::new("/v3/users", <Users as Listed>::LIST).showing(&s.user),
        Row::new("/v3/apps", <Apps as Listed>::LIST)
            .showing(&s.app)
            .labelled("lists=app"),
        // Processes have no labels of their own here (CC's have).
        Row::new("/v3/processes", <Processes as Listed>::LIST).showing(&s.web),
        Row::new("/v3/packages", <Packages as Listed>::LIST)
            .showing(&s.package)
            .labelled("lists=package"),
        Row::new("/v3/builds", <Builds as Listed>::LIST)
            .showing(&s.build)
            .labelled("lists=build"),
        Row::new("/v3/droplets", <Droplets as Listed>::LIST).showing(&s.build),
        Row::new("/v3/buildpacks", <Buildpacks as Listed>::LIST)
            .showing(&s.buildpack)
            .labelled("lists=buildpack"),
        Row::new("/v3/stacks", <Stacks as Listed>::LIST).showing(&s.stack),
        // A flag has no GUID, only its name: no object to look for by `guids`.
        Row::new("/v3/feature_flags", <FeatureFlags as Listed>::LIST),
        Row::new("/v3/domains", <Domains as Listed>::LIST)
            .showing(&s.domain)
            .labelled("lists=domain"),
        Row::new("/v3/routes", <Routes as Listed>::LIST)
            .showing(&s.route)
            .labelled("lists=route"),
        Row::new("/v3/service_instances", <ServiceInstances as Listed>::LIST)
            .showing(&s.instance)
            .labelled("lists=instance"),
        Row::new(
            "/v3/service_credential_bindings",
            <ServiceCredentialBindings as Listed>::LIST,
        )
        .showing(&s.binding)
        .labelled("lists=binding"),
        Row::new(
            "/v3/service_route_bindings",
            <ServiceRouteBindings as Listed>::LIST,
        ),
        Row::new("/v3/service_offerings", <ServiceOfferings as Listed>::LIST),
        Row::new("/v3/service_plans", <ServicePlans as Listed>::LIST),
        Row::new("/v3/service_brokers", <ServiceBrokers as Listed>::LIST),
        Row::new("/v3/deployments", <Deployments as Listed>::LIST),
        Row::new(
            "/v3/organizations/{guid}/domains",
            <Domains as Nested<Org>>::NESTED,
        )
        .under(&s.org)
        .showing(&s.domain)
        .labelled("lists=domain"),
        Row::new("/v3/apps/{guid}/builds", <Builds as Nested<App>>::NESTED)
            .under(&s.app)
            .showing(&s.build)
            .labelled("lists=build"),
        Row::new(
            "/v3/apps/{guid}/droplets",
            <Droplets as Nested<App>>::NESTED,
        )
        .under(&s.app)
        .showing(&s.build),
        Row::new(
            "/v3/apps/{guid}/packages",
            <Packages as Nested<App>>::NESTED,
        )
        .under(&s.app)
        .showing(&s.package)
        .labelled("lists=package"),
        Row::new(
            "/v3/apps/{guid}/processes",
            <Processes as Nested<App>>::NESTED,
        )
        .under(&s.app)
        .showing(&s.web),
        Row::new("/v3/apps/{guid}/routes", <Routes as Nested<App>>::NESTED)
            .under(&s.app)
            .showing(&s.route)
            .labelled("lists=route"),
        Row::new(
            "/v3/packages/{guid}/droplets",
            <Droplets as Nested<Package>>::NESTED,
        )
        .under(&s.package)
        .showing(&s.build),
        // CC's `SidecarsListMessage`: the common parameters only, no `label_selector`.
        Row::new(
            "/v3/processes/{guid}/sidecars",
            Accepts::filters("").without_label_selector(),
        )
        .under(&s.web),
    ]
}

/// A query giving the filter `key` of the list at `path` a value no object has: a fresh
/// GUID, or for CC's enum-like filters a value the list takes that nothing seeded has.
fn matching_nothing(path: &str, key: &str) -> String {
    let value = match key {
        "states" => "EXPIRED",
        "types" if path.starts_with("/v3/roles") => "space_supporter",
        "type" if path.starts_with("/v3/service_instances") => "managed",
        "type" if path.starts_with("/v3/service_credential_bindings") => "key",
        "lifecycle_type" | "lifecycle" => "cnb",
        "default" => "false",
        "current" | "available" => "true",
        "ports" => "8080",
        // CC refuses `origins` without a name filter; admin's origin is uaa.
        "origins" => return "usernames=admin&origins=ldap".to_owned(),
        // The default groups are enabled globally, the seeded one not: nothing is both.
        "globally_enabled_running" | "globally_enabled_staging" => {
            return format!(
                "{key}=true&running_space_guids={}",
                smelter_test_support::guid()
            );
        }
        _ => return format!("{key}={}", smelter_test_support::guid()),
    };
    format!("{key}={value}")
}

/// Checks lists, keeping every answer unlike CC's for one report at the end.
struct Lister<'a> {
    shim: &'a Shim,
    token: &'a str,
    requests: usize,
    problems: Vec<String>,
}

impl<'a> Lister<'a> {
    fn new(shim: &'a Shim, token: &'a str) -> Self {
        Self {
            shim,
            token,
            requests: 0,
            problems: Vec::new(),
        }
    }

    fn fail(&mut self, path: &str, query: &str, why: impl Display) {
        self.problems.push(format!("GET {path}?{query}: {why}"));
    }

    async fn get(&mut self, path: &str, query: &str) -> Option<Reply> {
        self.requests += 1;
        let url = format!("{path}?{query}");
        let reply = self
            .shim
            .try_request(Method::GET, &url, Some(self.token), None, false)
            .await;
        match reply {
            Ok(r) => Some(r),
            Err(e) => {
                self.fail(path, query, format_args!("no answer: {e}"));
                None
            }
        }
    }

    /// The list's body, if it answered 200 with `total` results.
    async fn total(&mut self, path: &str, query: &str, total: u64) -> Option<Value> {
        let r = self.get(path, query).await?;
        if r.status != 200 {
            self.fail(path, query, format_args!("{} {}", r.status, r.text));
            return None;
        }
        let got = &r.body["pagination"]["total_results"];
        if got.as_u64() != Some(total) {
            let guids: Vec<&Value> = resources(&r.body).iter().map(|o| &o["guid"]).collect();
            self.fail(
                path,
                query,
                format_args!("total_results {got}, want {total} (got {guids:?})"),
            );
            return None;
        }
        Some(r.body)
    }

    /// The list answers 200 with exactly the object `guid`.
    async fn only(&mut self, path: &str, query: &str, guid: &str) {
        if let Some(body) = self.total(path, query, 1).await
            && body["resources"][0]["guid"] != guid
        {
            let got = &body["resources"][0]["guid"];
            self.fail(path, query, format_args!("listed {got}, want {guid}"));
        }
    }

    /// The list refuses the query with `problem`, as CC's list (400 or 422) does.
    async fn refused(&mut self, path: &str, query: &str, accepts: &Accepts, problem: &str) {
        let Some(r) = self.get(path, query).await else {
            return;
        };
        let want = match accepts.refusal {
            Refusal::BadQuery => {
                json!({ "errors": [{ "code": 10005, "title": "CF-BadQueryParameter", "detail": format!("The query parameter is invalid: {problem}") }] })
            }
            Refusal::Unprocessable => {
                json!({ "errors": [{ "code": 10008, "title": "CF-UnprocessableEntity", "detail": problem }] })
            }
        };
        let status = match accepts.refusal {
            Refusal::BadQuery => 400,
            Refusal::Unprocessable => 422,
        };
        if (r.status, &r.body) != (status, &want) {
            self.fail(
                path,
                query,
                format_args!("{} {}, want {status} {want}", r.status, r.text),
            );
        }
    }

    /// `per_page=1` pages 1, 2 and one past the end: CC's pagination and links.
    async fn pages(&mut self, path: &str, n: u64) {
        let last = n.max(1);
        let pages: BTreeSet<u64> = [1, 2, n + 2].into();
        for page in pages {
            let query = format!("per_page=1&page={page}");
            let Some(body) = self.total(path, &query, n).await else {
                continue;
            };
            let p = &body["pagination"];
            let on_page = u64::from(page <= n);
            let listed = resources(&body).len() as u64;
            if p["total_pages"].as_u64() != Some(last) || listed != on_page {
                self.fail(
                    path,
                    &query,
                    format_args!(
                        "total_pages {}, {listed} listed; want {last}, {on_page}",
                        p["total_pages"]
                    ),
                );
            }
            // CC links every page before this one, even from past the end.
            let links = [
                ("first", Some(1)),
                ("last", Some(last)),
                ("next", (page < last).then_some(page + 1)),
                ("previous", (page > 1).then_some(page - 1)),
            ];
            for (name, to) in links {
                if let Err(why) = self.link(&p[name], path, to) {
                    self.fail(path, &query, format_args!("{name}: {why}"));
                }
            }
        }
    }

    /// A pagination link: absolute, to `path`, carrying the query (`per_page`) and `page`.
    fn link(&self, link: &Value, path: &str, page: Option<u64>) -> Result<(), String> {
        let Some(page) = page else {
            return if link.is_null() {
                Ok(())
            } else {
                Err(format!("{link}, want null"))
            };
        };
        let href = link["href"]
            .as_str()
            .ok_or(format!("{link}, want a link"))?;
        let url = url::Url::parse(href).map_err(|e| format!("{href}: {e}"))?;
        let pairs: BTreeSet<(String, String)> = url.query_pairs().into_owned().collect();
        let want: BTreeSet<(String, String)> = [
            ("page".to_owned(), page.to_string()),
            ("per_page".to_owned(), "1".to_owned()),
        ]
        .into();
        let at = format!("{}{path}", self.shim.url);
        if !href.starts_with(&format!("{at}?")) || pairs != want {
            return Err(format!("{href}, want {at}?page={page}&per_page=1"));
        }
        Ok(())
    }

    /// Every check of one list.
    async fn check(&mut self, row: &Row) {
        let path = row.path.as_str();
        let accepts = &row.accepts;
        let Some(all) = self.get(path, "per_page=5000").await else {
            return;
        };
        let Some(n) = all.body["pagination"]["total_results"].as_u64() else {
            self.fail(
                path,
                "per_page=5000",
                format_args!("{} {}", all.status, all.text),
            );
            return;
        };
        if let Some(guid) = &row.seeded
            && !resources(&all.body)
                .iter()
                .any(|o| o["guid"] == guid.as_str())
        {
            self.fail(path, "per_page=5000", format_args!("{guid} not listed"));
        }
        self.pages(path, n).await;

        self.total(path, "order_by=-created_at", n).await;
        let orders = ["created_at", "updated_at"]
            .into_iter()
            .chain(accepts.order_by.split_whitespace())
            .collect::<Vec<_>>()
            .join("', '");
        let problem = format!("Order by can only be: '{orders}'");
        self.refused(path, "order_by=bogus", accepts, &problem)
            .await;

        let valid = accepts.valid().join("', '");
        let unknown = |name: &str| {
            format!("Unknown query parameter(s): '{name}'. Valid parameters are: '{valid}'")
        };
        self.refused(path, "bogus=1", accepts, &unknown("bogus"))
            .await;
        if accepts.label_selector {
            if let (Some(label), Some(guid)) = (row.label, &row.seeded) {
                let query = format!("label_selector={}", urlencode(label));
                self.only(path, &query, guid).await;
            }
            self.total(path, "label_selector=lists%3Dnothing", 0).await;
            let problem = "Missing label_selector value";
            self.refused(path, "label_selector=", accepts, problem)
                .await;
        } else {
            let problem = unknown("label_selector");
            self.refused(path, "label_selector=lists%3Dnothing", accepts, &problem)
                .await;
        }

        // CC lists an app's routes with `app_guids` set to the app (`routes#index_by_app`
        // merges it over the query), so that filter finds them all there.
        let app_routes = row.route == "/v3/apps/{guid}/routes";
        for key in accepts.valid() {
            if accepts.is_filter(key) {
                let want = if app_routes && key == "app_guids" {
                    n
                } else {
                    0
                };
                self.total(path, &matching_nothing(path, key), want).await;
            }
        }
        if let Some(guid) = &row.seeded {
            self.only(path, &format!("guids={guid}"), guid).await;
        }
    }
}

fn resources(body: &Value) -> &[Value] {
    body["resources"].as_array().map_or(&[], Vec::as_slice)
}

#[test]
fn the_table_holds_every_list_of_the_route_table() {
    let tabled: BTreeSet<String> = table(&Seeded::default())
        .iter()
        .map(|r| r.route.to_owned())
        .collect();
    assert_eq!(tabled, routed_lists());
}

#[tokio::test]
async fn every_list_pages_orders_selects_and_filters_like_cc() {
    let shim = Shim::start(&["lister"]).await;
    let admin = shim.token("admin").await;
    let seeded = seed(&shim, &admin).await;
    let rows = table(&seeded);
    let mut lister = Lister::new(&shim, &admin);
    for row in &rows {
        lister.check(row).await;
    }
    println!("{} lists, {} requests", rows.len(), lister.requests);
    assert!(
        lister.problems.is_empty(),
        "{} of {} requests answered unlike CC:\n{}",
        lister.problems.len(),
        lister.requests,
        lister.problems.join("\n")
    );
}
