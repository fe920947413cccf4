//! The roles list's filters, as CC applies them.

use super::*;
use crate::fixtures;
use crate::v3::roles::message::role_binding;

#[tokio::test]
async fn filters_as_cc() {
    let alice = fixtures::alice();
    let space_role = role_binding("r1", "space_developer", &alice, "o1", Some("s1"), "s1");
    // A space role has no organization of its own, as CC lists them.
    let of_space = "types=space_developer types!=space_manager user_guids=u1 user_guids!=u2 space_guids=s1 space_guids!=s2 organization_guids!=o1";
    fixtures::check_filters::<Roles>(&Arc::new(space_role), &[of_space]).await;
    let org_role = role_binding("r2", "organization_user", &alice, "o1", None, "o1");
    let of_org = "organization_guids=o1 organization_guids!=o2 space_guids!=s1 types=organization_user user_guids=u1";
    fixtures::check_filters::<Roles>(&Arc::new(org_role), &[of_org]).await;
}
