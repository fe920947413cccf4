//! CC's route and destination JSON.

use super::url;
use crate::v3::prelude::*;
use smelter_crds::{Route, route::Destination};

#[derive(Serialize)]
struct ProcessType<'a> {
    #[serde(rename = "type")]
    type_: &'a str,
}

#[derive(Serialize)]
struct DestinationApp<'a> {
    guid: &'a str,
    process: ProcessType<'a>,
}

/// CC's destination JSON.
#[derive(Serialize)]
pub struct DestinationView<'a> {
    guid: &'a str,
    app: DestinationApp<'a>,
    weight: Option<i32>,
    port: i32,
    protocol: &'a str,
}

impl<'a> DestinationView<'a> {
    pub fn of(d: &'a Destination) -> Self {
        Self {
            guid: &d.guid,
            app: DestinationApp {
                guid: &d.app_guid,
                process: ProcessType {
                    type_: &d.process_type,
                },
            },
            weight: d.weight,
            port: d.port.unwrap_or(8080),
            protocol: d.protocol.as_deref().unwrap_or("http1"),
        }
    }
}

#[derive(Serialize)]
struct NoOptions {}

#[derive(Serialize)]
pub struct Fields<'a> {
    protocol: &'static str,
    port: Option<()>,
    host: &'a str,
    path: &'a str,
    url: String,
    destinations: Vec<DestinationView<'a>>,
    options: NoOptions,
}

pub type RouteView<'a> = View<'a, Fields<'a>, 2, 4>;

impl<'a> RouteView<'a> {
    /// `domain` is the name of the route's domain.
    pub fn of(r: &'a Route, domain: String, base: &'a BaseUrl) -> Self {
        let (at, space, spec) = (
            Hrefs::new(base, "/v3/routes/", guid_of(r)),
            space_of(r),
            &r.spec,
        );
        let fields = Fields {
            protocol: "http",
            port: None,
            host: &spec.host,
            path: &spec.path,
            url: url(&spec.host, &domain, &spec.path),
            destinations: spec.destinations.iter().map(DestinationView::of).collect(),
            options: NoOptions {},
        };
        View::object(&r.metadata, fields)
            .related([
                ("space", Rel::to(space)),
                ("domain", Rel::to(&spec.domain_guid)),
            ])
            .links([
                ("self", at.link("")),
                ("space", Link::to(base, "/v3/spaces/", space)),
                ("domain", Link::to(base, "/v3/domains/", &spec.domain_guid)),
                ("destinations", at.link("/destinations")),
            ])
    }
}

/// The destinations of a route, with their links.
#[derive(Serialize)]
pub struct DestinationsView<'a> {
    destinations: Vec<DestinationView<'a>>,
    links: Links<'a, 2>,
}

impl<'a> DestinationsView<'a> {
    pub fn of(r: &'a Route, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/routes/", guid_of(r));
        Self {
            destinations: r
                .spec
                .destinations
                .iter()
                .map(DestinationView::of)
                .collect(),
            links: Links([("self", at.link("/destinations")), ("route", at.link(""))]),
        }
    }
}

impl Presented for Route {
    fn present<'a>(&'a self, ctx: &'a Ctx) -> impl Serialize + Send + 'a {
        RouteView::of(self, super::domain_name(ctx, self), &ctx.base)
    }
}

#[cfg(test)]
mod tests;
