//! Security's vocabulary, below every feature: who may do what ([`access`]: roles,
//! permissions, the sign-in stage, the viewer), who is asking ([`principal`]), and which
//! customers they may see ([`tenant`]). The session layer and the API's gate produce a
//! [`Principal`]; pages, forms, server functions and API handlers all check it the same way.
pub mod access;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod principal;
#[cfg(feature = "ssr")]
pub mod tenant;

pub use access::{Perm, Perms, Role, Stage, Viewer, ViewerCtx};
#[cfg(feature = "ssr")]
pub use principal::{Client, Principal, SessionContext};
#[cfg(feature = "ssr")]
pub use tenant::Tenant;
