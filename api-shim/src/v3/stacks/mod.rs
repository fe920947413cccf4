//! `/v3/stacks`: the stacks apps stage and run on. Smelter has one, the configured stack image
//! (a cflinuxfs-like root filesystem); its GUID is derived from its name.

use crate::v3::{lifecycle::DEFAULT_STACK, prelude::*};

/// The stack's name.
pub const STACK: &str = DEFAULT_STACK;

/// A stack this installation has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub guid: String,
    pub name: &'static str,
    pub default: bool,
}

/// Every stack: the one stack image.
pub fn all() -> Vec<Stack> {
    vec![Stack {
        guid: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, STACK.as_bytes()).to_string(),
        name: STACK,
        default: true,
    }]
}

/// CC's stack JSON: a stack has no object of its own.
#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    description: &'static str,
    build_rootfs_image: &'a str,
    run_rootfs_image: &'a str,
    default: bool,
}

pub type StackView<'a> = View<'a, Fields<'a>, 0, 1>;

impl<'a> StackView<'a> {
    pub fn of(stack: &'a Stack, base: &'a BaseUrl) -> Self {
        let fields = Fields {
            name: stack.name,
            description: "Cloud Foundry Linux-based filesystem (Ubuntu 22.04), as a Smelter stack image",
            build_rootfs_image: stack.name,
            run_rootfs_image: stack.name,
            default: stack.default,
        };
        View::bare(&stack.guid, fields)
            .links([("self", Link::to(base, "/v3/stacks/", &stack.guid))])
    }
}

/// The stacks list.
pub struct Stacks;

impl Listed for Stacks {
    type Item = Stack;
    const NAME: &'static str = "Stack";
    const LIST: Accepts = Accepts::filters("names default").order_by("name");

    fn candidates(_: &Ctx, _: &ListQuery) -> Vec<Stack> {
        all()
    }

    fn get(_: &Ctx, guid: &str) -> Option<Stack> {
        all().into_iter().find(|s| s.guid == guid)
    }

    fn guid(stack: &Stack) -> &str {
        &stack.guid
    }

    fn matches(_: &Ctx, stack: &Stack, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "names" => one_of(stack.name, wanted),
            "default" => one_of(if stack.default { "true" } else { "false" }, wanted),
            _ => return None,
        })
    }

    fn order_key(stack: &Stack, field: &str) -> Option<String> {
        (field == "name").then(|| stack.name.to_owned())
    }

    fn present<'a>(ctx: &'a Ctx, stack: &'a Stack) -> impl Serialize + Send + 'a {
        StackView::of(stack, &ctx.base)
    }

    fn check(query: &ListQuery) -> Vec<String> {
        match query.filter("default") {
            Some([v]) if v == "true" || v == "false" => vec![],
            None => vec![],
            Some(_) => vec!["Default must be 'true' or 'false'".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::present::to_value;

    #[test]
    fn the_one_stack_renders_as_cc() {
        let stack = &all()[0];
        let base = crate::fixtures::base();
        let v = to_value(StackView::of(stack, &base));
        assert_eq!(v["name"], "cflinuxfs4");
        assert_eq!(v["default"], true);
        assert_eq!(v["guid"].as_str(), Some(stack.guid.as_str()));
        let q = |s: &str| ListQuery::parse(Some(s), &Stacks::LIST).unwrap();
        assert!(Stacks::check(&q("default=true")).is_empty());
        assert_eq!(
            Stacks::check(&q("default=yes")),
            ["Default must be 'true' or 'false'"]
        );
    }

    #[tokio::test]
    async fn filters_as_cc() {
        let own = "names=cflinuxfs4 names!=cflinuxfs3 default=true default!=false";
        crate::fixtures::check_filters::<Stacks>(&all()[0], &[own]).await;
    }
}
