//! Pages that belong to no feature yet.
pub mod coming_soon;
pub mod error;
pub mod help;
pub mod not_found;
