//! Authentication: UAA-compatible JWTs issued by the api-shim itself, users from a Secret, and
//! the `Caller` extractor every CF endpoint uses.

pub mod caller;
pub mod passwords;
pub mod permissions;
pub mod tokens;
pub mod users;

pub use caller::Caller;
pub use permissions::Permissions;
pub use tokens::{Claims, TokenIssuer};
pub use users::{OauthClient, User, Users};
