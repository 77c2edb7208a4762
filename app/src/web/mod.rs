//! The browser-facing HTTP layer, below the features: a form post or download is one row of a
//! route table ([`route::FormRoute`]: method, path, who may call it, handler), answered the way
//! [`form`] says, and downloads stream as [`download`] does. Each feature lists its rows; the
//! portal's table (`crate::site`) gathers them.
pub mod download;
pub mod encoding;
pub mod form;
pub mod route;

pub use form::{BackTo, Caller, FormError, FormResult, Goto, NoticeCode, redirect};
pub use route::{Access, FormRoute, Method};
