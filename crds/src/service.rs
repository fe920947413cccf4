//! `ServiceInstance` and `ServiceBinding`: CF services. Credentials live in Secrets; a binding
//! puts an instance's credentials into an app's `VCAP_SERVICES`.

use crate::common::Conditions;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The desired state of a CF service instance.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "ServiceInstance",
    plural = "serviceinstances",
    shortname = "cfsi",
    category = "cf",
    namespaced,
    status = "ServiceStatus",
    doc = "A Cloud Foundry service instance, in its space's namespace. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.type"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.type == oldSelf.type").message("a service instance's type is immutable"))]
pub struct ServiceInstanceSpec {
    /// The instance's name, unique within its space.
    #[schemars(length(max = 255))]
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    /// `user-provided` (credentials given by the user) or `managed` (from a service broker).
    #[serde(rename = "type")]
    pub type_: ServiceInstanceType,
    /// The Secret (in this namespace) holding the credentials as a JSON object under key `credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<String>,
    /// Tags that appear in `VCAP_SERVICES`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Where bound apps' logs are drained to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syslog_drain_url: Option<String>,
    /// A route service URL that traffic passes through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_service_url: Option<String>,
    /// The service plan of a managed instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_plan_guid: Option<String>,
}

/// The kinds of CF service instance.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceInstanceType {
    UserProvided,
    Managed,
}

/// The desired state of a CF service binding (credential binding).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "ServiceBinding",
    plural = "servicebindings",
    shortname = "cfsb",
    category = "cf",
    namespaced,
    status = "ServiceStatus",
    doc = "A Cloud Foundry service credential binding, in its space's namespace. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.type"),
    printcolumn(name = "App", type_ = "string", json_path = ".spec.appGuid"),
    printcolumn(name = "Instance", type_ = "string", json_path = ".spec.serviceInstanceGuid"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self == oldSelf").message("a service binding's spec is immutable"))]
#[x_kube(validation = Rule::new("self.type == 'key' || has(self.appGuid)").message("an app binding needs an appGuid"))]
pub struct ServiceBindingSpec {
    /// `app` (credentials go into the app's `VCAP_SERVICES`) or `key` (a service key).
    #[serde(rename = "type")]
    pub type_: ServiceBindingType,
    /// The binding's name (required for keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The GUID of the bound app (app bindings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_guid: Option<String>,
    /// The GUID of the service instance.
    #[schemars(length(max = 36))]
    pub service_instance_guid: String,
}

/// The kinds of CF service credential binding.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ServiceBindingType {
    App,
    Key,
}

/// The observed state of a service instance or binding.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// CF's `last_operation`: type and state of the last create, update or delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
    /// Standard conditions: `Ready` when the credentials are in place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}

/// CF's `last_operation` of a service instance or binding.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LastOperation {
    /// `create`, `update` or `delete`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `initial`, `in progress`, `succeeded` or `failed`.
    pub state: String,
    /// What happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
