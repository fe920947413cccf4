//! CC's `lifecycle` object of apps, builds and droplets: how an app is staged and run (with
//! buildpacks on a stack, or from a Docker image). Apps, builds and droplets all read and show
//! it, so it lives below them.

use crate::http::errors::{ApiError, ApiResult};
use serde::{Deserialize, Serialize, Serializer};
use smelter_crds::{Lifecycle, LifecycleType};

/// The stack apps get when they name none.
pub const DEFAULT_STACK: &str = "cflinuxfs4";

/// `lifecycle` in a request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRequest {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub data: LifecycleData,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleData {
    pub buildpacks: Option<Vec<String>>,
    pub stack: Option<String>,
}

impl LifecycleRequest {
    /// The stored lifecycle, or CC's refusal of the type.
    pub fn into_lifecycle(self) -> ApiResult<Lifecycle> {
        let type_ = match self.type_.as_str() {
            "buildpack" => LifecycleType::Buildpack,
            "docker" => LifecycleType::Docker,
            other => {
                return Err(ApiError::unprocessable(format!(
                    "Lifecycle type is not included in the list: buildpack, docker (got '{other}')"
                )));
            }
        };
        Ok(Lifecycle {
            type_,
            buildpacks: self.data.buildpacks.unwrap_or_default(),
            stack: self.data.stack,
        })
    }
}

/// CC's name of a lifecycle type.
pub fn type_name(t: &LifecycleType) -> &'static str {
    match t {
        LifecycleType::Buildpack => "buildpack",
        LifecycleType::Docker => "docker",
    }
}

/// The stack of a lifecycle, or the default one.
pub fn stack(l: &Lifecycle) -> &str {
    l.stack.as_deref().unwrap_or(DEFAULT_STACK)
}

/// CC's lifecycle object, serialized from the stored lifecycle.
pub struct LifecycleView<'a>(pub &'a Lifecycle);

impl Serialize for LifecycleView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Data<'b> {
            buildpacks: &'b [String],
            stack: &'b str,
        }
        #[derive(Serialize)]
        struct Empty {}
        #[derive(Serialize)]
        struct View<'b, D> {
            #[serde(rename = "type")]
            type_: &'static str,
            data: &'b D,
        }
        match self.0.type_ {
            LifecycleType::Docker => View {
                type_: "docker",
                data: &Empty {},
            }
            .serialize(s),
            LifecycleType::Buildpack => View {
                type_: "buildpack",
                data: &Data {
                    buildpacks: &self.0.buildpacks,
                    stack: stack(self.0),
                },
            }
            .serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::present::to_value;
    use serde_json::json;

    #[test]
    fn lifecycles_render_and_parse_as_cc() {
        assert_eq!(
            to_value(LifecycleView(&Lifecycle::default())),
            json!({ "type": "buildpack", "data": { "buildpacks": [], "stack": "cflinuxfs4" } })
        );
        let docker = Lifecycle {
            type_: LifecycleType::Docker,
            ..Default::default()
        };
        assert_eq!(
            to_value(LifecycleView(&docker)),
            json!({ "type": "docker", "data": {} })
        );
        let req: LifecycleRequest = serde_json::from_value(
            json!({ "type": "buildpack", "data": { "buildpacks": ["go"] } }),
        )
        .unwrap();
        assert_eq!(req.into_lifecycle().unwrap().buildpacks, ["go"]);
        let bad: LifecycleRequest = serde_json::from_value(json!({ "type": "cnb" })).unwrap();
        assert_eq!(bad.into_lifecycle().unwrap_err().status.as_u16(), 422);
    }
}
