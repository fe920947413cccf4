//! Binding an instance to an app, shared by `POST /v3/service_credential_bindings` and
//! manifests' `services:`.

use crate::{
    http::{
        errors::{ApiError, ApiResult},
        message::{MetadataRequest, apply_metadata, valid_name},
    },
    read::{Ctx, kinds::space_of},
    storage::owner,
    v3::vcap::{self, SERVICE_INSTANCE_LABEL},
};
use smelter_crds::{
    App, ServiceBinding, ServiceBindingSpec, ServiceInstance, labels, service::ServiceBindingType,
};

/// CC's error when the app already has a binding to the instance
/// (`service_credential_binding_app_create.rb`); the cf CLI matches it.
fn already_bound() -> ApiError {
    ApiError::unprocessable("The app is already bound to the service instance")
}

/// Binds `si` to `app` as the caller: creates the binding, then the app's `VCAP_SERVICES`; if
/// that cannot be written, the binding goes again.
pub async fn bind(
    ctx: &Ctx,
    app: &App,
    si: &ServiceInstance,
    name: Option<String>,
    metadata: Option<&MetadataRequest>,
) -> ApiResult<ServiceBinding> {
    let app_guid = app.metadata.name.clone().unwrap_or_default();
    let si_guid = si.metadata.name.clone().unwrap_or_default();
    if space_of(si) != space_of(app) {
        return Err(ApiError::unprocessable(
            "The service instance and the app are in different spaces",
        ));
    }
    let existing = vcap::bindings_of_app(ctx, &app_guid);
    if existing
        .iter()
        .any(|b| b.spec.service_instance_guid == si_guid)
    {
        return Err(already_bound());
    }
    if let Some(n) = &name {
        valid_name(n)?;
        if existing.iter().any(|b| b.spec.name.as_ref() == Some(n)) {
            return Err(ApiError::unprocessable(format!(
                "The binding name is invalid. Binding names must be unique for a given service instance and app. The app already has a binding with name '{n}'."
            )));
        }
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut binding = ServiceBinding::new(
        &guid,
        ServiceBindingSpec {
            type_: ServiceBindingType::App,
            name,
            app_guid: Some(app_guid.clone()),
            service_instance_guid: si_guid.clone(),
        },
    );
    binding.metadata.labels = Some(
        [
            (labels::APP_GUID.to_owned(), app_guid),
            (SERVICE_INSTANCE_LABEL.to_owned(), si_guid),
        ]
        .into(),
    );
    // Owned by the app: deleting the app deletes its bindings (CC does the same).
    binding.metadata.owner_references = Some(vec![owner::owned_by(app)]);
    apply_metadata(&mut binding.metadata, metadata);
    let made = ctx.create(space_of(app), &binding).await?;
    if let Err(e) = vcap::refresh_app(ctx, app).await {
        if let Err(undo) = vcap::unbind(ctx, &made).await {
            tracing::warn!(binding = %guid, error = %undo.detail, "could not remove a half-made binding");
        }
        return Err(e);
    }
    Ok(made)
}
