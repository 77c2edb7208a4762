//! The portal's server: configuration, HTTP stack, command line, demo data and benchmarks.
pub mod cli;
pub mod config;
pub mod demo;
pub mod headers;
pub mod stalled_render;
pub mod startup;
pub mod telemetry;
