//! How the operator's writes present themselves to the API server: one field manager for all
//! of them, and the parameters of each kind of write it makes (a create, a JSON patch, a
//! server-side apply). Below both the shared context and the writes, which each need them.

use kube::api::{PatchParams, PostParams};

/// The field manager of every write the operator makes.
pub const FIELD_MANAGER: &str = "smelter-operator";

/// A create's parameters: the operator's field manager, nothing else.
pub(crate) fn post_params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PostParams::default()
    }
}

/// A JSON patch's parameters: the operator's field manager, nothing else.
pub(crate) fn json_patch_params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    }
}

/// A server-side apply's parameters: as [`FIELD_MANAGER`], taking over fields another manager
/// set, and without the API server's check for unknown and duplicate fields. The operator
/// sends typed objects serialized from the same schemas the server has, so the check can find
/// nothing; it costs the server a second YAML parse of every apply (with 1,000 apps created at
/// once, 3% of its CPU in a profile).
pub(crate) fn apply_params() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER)
        .force()
        .validation_ignore()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_names_the_one_field_manager() {
        assert_eq!(post_params().field_manager.as_deref(), Some(FIELD_MANAGER));
        assert_eq!(
            json_patch_params().field_manager.as_deref(),
            Some(FIELD_MANAGER)
        );
        let apply = apply_params();
        assert_eq!(apply.field_manager.as_deref(), Some(FIELD_MANAGER));
        assert!(apply.force, "an apply takes over what another manager set");
        assert!(!json_patch_params().force, "force is for applies only");
    }
}
