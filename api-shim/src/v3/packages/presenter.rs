//! CC's package JSON.

use super::{state_name, state_of, type_name};
use crate::v3::prelude::*;
use smelter_crds::{Package, package::PackageType};

#[derive(Serialize)]
struct ChecksumView<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    value: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Data<'a> {
    Bits {
        checksum: ChecksumView<'a>,
        error: Option<&'a str>,
    },
    Docker {
        image: Option<&'a str>,
        username: Option<()>,
        password: Option<()>,
    },
}

#[derive(Serialize)]
pub struct Fields<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    data: Data<'a>,
    state: &'static str,
}

pub type PackageView<'a> = View<'a, Fields<'a>, 1, 4>;

presented!(Package => PackageView);

impl<'a> PackageView<'a> {
    pub fn of(p: &'a Package, base: &'a BaseUrl) -> Self {
        let status = p.status.as_ref();
        let data = match p.spec.type_ {
            PackageType::Bits => Data::Bits {
                checksum: ChecksumView {
                    type_: "sha256",
                    value: status
                        .and_then(|s| s.checksum.as_ref())
                        .map(|c| c.value.as_str()),
                },
                error: status.and_then(|s| s.error.as_deref()),
            },
            PackageType::Docker => Data::Docker {
                image: p.spec.image.as_deref(),
                username: None,
                password: None,
            },
        };
        let fields = Fields {
            type_: type_name(&p.spec.type_),
            data,
            state: state_name(&state_of(p)),
        };
        let at = Hrefs::new(base, "/v3/packages/", guid_of(p));
        View::object(&p.metadata, fields)
            .related([("app", Rel::to(&p.spec.app_guid))])
            .links([
                ("self", at.link("")),
                ("upload", at.post("/upload")),
                ("download", at.get("/download")),
                ("app", Link::to(base, "/v3/apps/", &p.spec.app_guid)),
            ])
    }
}

#[cfg(test)]
mod tests;
