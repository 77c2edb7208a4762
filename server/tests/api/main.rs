//! One integration-test binary: every test spawns the real router on port 0 against a fresh
//! database, and storage tests run on SQLite and on PostgreSQL (`TEST_DATABASE_URL`).
mod access;
mod attacks;
mod auth;
mod cli;
mod concurrency;
mod contract;
mod crash;
mod dashboards;
mod helpers;
mod journal;
mod notifications;
mod rest;
mod retention;
mod roles;
mod schemathesis;
mod servers;
mod shell;
mod sims;
mod storage;
mod users;
