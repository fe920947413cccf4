//! CC's isolation segment JSON.

use crate::v3::prelude::*;
use smelter_crds::IsolationSegment;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
}

pub type IsolationSegmentView<'a> = View<'a, Fields<'a>, 0, 2>;

presented!(IsolationSegment => IsolationSegmentView);

impl<'a> IsolationSegmentView<'a> {
    pub fn of(seg: &'a IsolationSegment, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/isolation_segments/", guid_of(seg));
        View::object(
            &seg.metadata,
            Fields {
                name: &seg.spec.name,
            },
        )
        .links([
            ("self", at.link("")),
            ("organizations", at.link("/organizations")),
        ])
    }
}

#[cfg(test)]
mod tests;
