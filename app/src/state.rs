//! The portal's state, shared by every request and background task: the database, the clock,
//! the deployment's facts, and one sub-state per feature that keeps process-wide services
//! (sign-in: text messages and password hashing; SIMs: the bulk-job waker and the exports'
//! progress). Cheap to clone. Handlers take it as axum state, server functions from the
//! context (see `scope::guard`).
use std::sync::Arc;

use crate::clock::Clock;
use crate::crypto::ServerKey;
use crate::db::Db;
use crate::hashing::Hasher;
use crate::mail::Mailer;
use crate::progress::ExportProgress;
use crate::sms::Sms;

pub struct AppInner {
    pub db: Db,
    pub mailer: Mailer,
    pub clock: Clock,
    /// Seals secrets at rest and keys the hashes of codes and tokens.
    pub key: ServerKey,
    /// Where links in emails point, e.g. `https://portal.example.com`.
    pub public_url: String,
    /// Served over HTTPS: cookies get `Secure` and the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    pub auth: AuthServices,
    pub sims: SimsServices,
}

/// Sign-in's services.
pub struct AuthServices {
    pub sms: Sms,
    pub hasher: Hasher,
}

/// The SIMs' process-wide services.
#[derive(Default)]
pub struct SimsServices {
    /// Wakes the bulk-job worker when a job is created.
    pub jobs: Arc<tokio::sync::Notify>,
    /// How far the running exports have got (see `progress`).
    pub exports: ExportProgress,
}

/// The portal's state (see the module's text).
#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
