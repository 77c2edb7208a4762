//! Password hashing with argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane). Hashing
//! runs on the blocking pool behind a semaphore, so a flood of sign-ins queues for CPU instead
//! of stalling page rendering; an unknown user is checked against a dummy hash so the answer
//! takes as long as for a real one.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use super::password::{MAX_BYTES, NewPassword, normalise};

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the hashing queue is closed")]
    Closed,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Shared by every request of a process. Cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    runs: Arc<AtomicU64>,
}

impl Hasher {
    /// `max_concurrent` hashes run at once (each holds 19 MiB); the rest wait their turn.
    /// Also prepares the dummy hash now, so the first unknown user is not slower than the rest.
    pub fn new(max_concurrent: usize) -> Hasher {
        dummy_hash();
        Hasher { permits: Arc::new(Semaphore::new(max_concurrent.max(1))), runs: Arc::new(AtomicU64::new(0)) }
    }

    /// How many argon2 computations this hasher has run.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh random salt.
    pub async fn hash(&self, password: &NewPassword) -> Result<String, HashError> {
        self.hash_secret(password.expose()).await
    }

    /// Hashes a generated secret (a temporary password), which the password policy does not see.
    pub async fn hash_secret(&self, secret: &str) -> Result<String, HashError> {
        let secret = secret.to_owned();
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(secret.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError::Hash(e.to_string()))
        })
        .await?
    }

    /// Checks a candidate against a stored hash; `None` (unknown user) verifies against a dummy
    /// hash and answers false. Oversized input is refused before any hashing.
    ///
    /// The candidate is compared in its normal form ([`normalise`]). Hashes stored before
    /// passwords were normalised were made of the bytes as typed: a candidate whose normal form
    /// differs is also tried as typed (one more hash, only for such input).
    pub async fn verify(&self, candidate: &str, stored: Option<&str>) -> Result<bool, HashError> {
        if candidate.len() > MAX_BYTES {
            return Ok(false);
        }
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash()).to_owned();
        let normal = normalise(candidate).into_owned();
        let typed = (normal != candidate).then(|| candidate.to_owned());
        let ok = self
            .run(move || {
                let parsed = PasswordHash::new(&stored).map_err(|e| HashError::Hash(e.to_string()))?;
                let matches = |c: &str| argon2().verify_password(c.as_bytes(), &parsed).is_ok();
                Ok::<_, HashError>(matches(&normal) || typed.as_deref().is_some_and(matches))
            })
            .await??;
        Ok(known && ok)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Closed)?;
        self.runs.fetch_add(1, Ordering::Relaxed);
        Ok(tokio::task::spawn_blocking(work).await?)
    }
}

/// A valid hash of a random secret, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(b"no user has this password: unknown-user path", &salt)
            .expect("hashing a constant")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pw(s: &str) -> NewPassword {
        NewPassword::parse(s, "someone", "someone@example.com").unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let h = Hasher::new(2);
        let hash = h.hash(&pw("tangerine lighthouse 42")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(h.verify("tangerine lighthouse 42", Some(&hash)).await.unwrap());
        assert!(!h.verify("tangerine lighthouse 43", Some(&hash)).await.unwrap());
        let again = h.hash(&pw("tangerine lighthouse 42")).await.unwrap();
        assert_ne!(hash, again, "a fresh salt every time");
    }

    #[tokio::test]
    async fn an_unknown_user_costs_one_full_verification_like_a_known_one() {
        let h = Hasher::new(2);
        let hash = h.hash(&pw("tangerine lighthouse 42")).await.unwrap();
        let before = h.runs();
        assert!(!h.verify("tangerine lighthouse 42", None).await.unwrap(), "no user, no sign-in");
        assert_eq!(h.runs(), before + 1, "the unknown user was checked against the dummy hash");
        h.verify("wrong guess for a known user", Some(&hash)).await.unwrap();
        assert_eq!(h.runs(), before + 2);
    }

    #[tokio::test]
    async fn oversized_input_is_refused_without_hashing() {
        let h = Hasher::new(1);
        let hash = h.hash(&pw("tangerine lighthouse 42")).await.unwrap();
        let before = h.runs();
        assert!(!h.verify(&"a".repeat(1_000_000), Some(&hash)).await.unwrap());
        assert_eq!(h.runs(), before, "no argon2 run for a 1 MB input");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hashes_are_bounded() {
        let h = Hasher::new(2);
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let h = h.clone();
            tasks.push(tokio::spawn(async move { h.hash(&pw("tangerine lighthouse 42")).await.unwrap() }));
        }
        // Each hash takes tens of milliseconds, so both permits are soon held at once.
        let mut saturated = false;
        for _ in 0..2_000 {
            if h.available() == 0 {
                saturated = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(saturated, "two permits in use, the other callers waiting");
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(h.available(), 2);
    }
}
