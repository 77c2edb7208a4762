//! Sign-in and account security. So far: the password policy and password hashing; the sign-in
//! flow itself (issue 3) builds on these.
#[cfg(feature = "ssr")]
pub mod hashing;
pub mod password;
