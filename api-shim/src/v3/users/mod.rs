//! `/v3/users`: the CF users the caller may see (admins: all; others: themselves and the users
//! holding roles in orgs they can see). Users live in the users Secret; `POST` and `DELETE`
//! mark them as Cloud Controller's ([`handlers`]), UAA's `/Users` makes and removes them.

pub mod handlers;
pub mod message;

use crate::{
    auth::{Permissions, User},
    storage::cache::USER_GUID_LABEL,
    v3::prelude::*,
};
use std::collections::BTreeSet;

/// CC's user JSON. Users have no object of their own, so no timestamps.
#[derive(Serialize)]
pub struct Fields<'a> {
    username: Option<&'a str>,
    presentation_name: &'a str,
    origin: Option<&'a str>,
}

pub type UserView<'a> = View<'a, Fields<'a>, 0, 1>;

impl<'a> UserView<'a> {
    pub fn of(user: &'a User, base: &'a BaseUrl) -> Self {
        // A user UAA does not know (a client's id) has no name or origin, as in CC.
        let known = !user.origin.is_empty();
        let fields = Fields {
            username: known.then_some(user.name.as_str()),
            presentation_name: &user.name,
            origin: known.then_some(user.origin.as_str()),
        };
        View::bare(&user.guid, fields).links([("self", Link::to(base, "/v3/users/", &user.guid))])
    }
}

/// The users list.
pub struct Users;

/// The GUIDs of the users the caller may see; `None` for all.
fn visible(ctx: &Ctx) -> Option<BTreeSet<String>> {
    let Permissions::Roles(roles) = &ctx.perms else {
        return None;
    };
    let bindings = &ctx.state.caches.role_bindings;
    let mut guids: BTreeSet<String> = roles
        .orgs
        .iter()
        .flat_map(|org| bindings.by(By::Org, org))
        .filter_map(|rb| rb.metadata.labels.as_ref()?.get(USER_GUID_LABEL).cloned())
        .collect();
    guids.insert(ctx.caller.guid().to_owned());
    Some(guids)
}

impl Listed for Users {
    type Item = User;
    const NAME: &'static str = "User";
    const LIST: Accepts = Accepts::filters("usernames partial_usernames origins").unprocessable();

    fn candidates(ctx: &Ctx, _: &ListQuery) -> Vec<User> {
        let visible = visible(ctx);
        ctx.state
            .users
            .all()
            .into_iter()
            .filter(|u| visible.as_ref().is_none_or(|v| v.contains(&u.guid)))
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<User> {
        let visible = visible(ctx);
        // A client is a user of CC's once it holds a role (CC makes it then).
        ctx.state
            .users
            .role_holder(guid)
            .filter(|u| u.registered)
            .filter(|u| visible.as_ref().is_none_or(|v| v.contains(&u.guid)))
    }

    fn guid(user: &User) -> &str {
        &user.guid
    }

    fn matches(_: &Ctx, user: &User, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "usernames" => one_of(&user.name, wanted),
            "partial_usernames" => wanted.iter().any(|p| user.name.contains(p.as_str())),
            "origins" => one_of(&user.origin, wanted),
            _ => return None,
        })
    }

    /// Users have no creation time here; they are listed by name.
    fn order_key(user: &User, _: &str) -> Option<String> {
        Some(user.name.clone())
    }

    fn present<'a>(ctx: &'a Ctx, user: &'a User) -> impl Serialize + Send + 'a {
        UserView::of(user, &ctx.base)
    }

    fn check(query: &ListQuery) -> Vec<String> {
        let (names, partial) = (
            query.filter("usernames").is_some(),
            query.filter("partial_usernames").is_some(),
        );
        let origins_alone = query.filter("origins").is_some() && !names && !partial;
        [
            origins_alone.then_some(
                "Origins filter cannot be provided without usernames or partial_usernames filter.",
            ),
            (names && partial).then_some(
                "Usernames filter cannot be provided with both usernames and partial_usernames filter.",
            ),
        ]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use serde_json::json;

    #[test]
    fn renders_as_cc() {
        let base = fixtures::base();
        assert_eq!(
            to_value(UserView::of(&fixtures::alice(), &base)),
            json!({
                "guid": "u1", "created_at": null, "updated_at": null, "username": "alice",
                "presentation_name": "alice", "origin": "uaa",
                "metadata": { "labels": {}, "annotations": {} },
                "links": { "self": { "href": "https://api.x/v3/users/u1" } },
            })
        );
    }

    #[test]
    fn origins_need_a_name_filter() {
        let q = |s: &str| ListQuery::parse(Some(s), &Users::LIST).unwrap();
        assert_eq!(Users::check(&q("origins=uaa")).len(), 1);
        assert!(Users::check(&q("origins=uaa&usernames=a")).is_empty());
        assert_eq!(Users::check(&q("usernames=a&partial_usernames=b")).len(), 1);
    }

    #[tokio::test]
    async fn filters_as_cc() {
        let own = "usernames=alice usernames!=al partial_usernames=lic partial_usernames!=bob origins=uaa origins!=ldap";
        fixtures::check_filters::<Users>(&fixtures::alice(), &[own]).await;
    }
}
