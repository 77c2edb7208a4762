//! How far a running export has got, for the page that started it: rows written so far and the
//! total the list's count expects. Kept in this process's memory, per user and per token the
//! page made up, for a few minutes; a poll that reaches another process (or comes too late)
//! just finds nothing, and the page then shows an indefinite bar.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a finished or abandoned export's figures stay readable.
const KEEP: Duration = Duration::from_secs(600);
/// Exports followed at once, at most (the oldest are forgotten first).
const MAX_ENTRIES: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub done: i64,
    /// `None` while unknown, or when only a lower bound is known.
    pub total: Option<i64>,
    pub finished: bool,
}

impl Progress {
    /// The text the page polls: `done total finished`, `-` for an unknown total.
    pub fn to_text(self) -> String {
        let total = self.total.map_or_else(|| "-".to_string(), |t| t.to_string());
        format!("{} {total} {}", self.done, u8::from(self.finished))
    }

    pub fn parse(text: &str) -> Option<Progress> {
        let mut parts = text.split_whitespace();
        let done = parts.next()?.parse().ok()?;
        let total = match parts.next()? {
            "-" => None,
            t => Some(t.parse().ok()?),
        };
        let finished = parts.next()? == "1";
        Some(Progress { done, total, finished })
    }
}

/// A token as the page makes it: 8 to 40 letters, digits, `-` or `_`.
pub fn token_ok(token: &str) -> bool {
    (8..=40).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Default)]
pub struct ExportProgress(Mutex<HashMap<(i64, String), (Progress, Instant)>>);

impl ExportProgress {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<(i64, String), (Progress, Instant)>) -> T) -> T {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut map)
    }

    /// An export of `user` begins: its figures start at zero.
    pub fn start(&self, user: i64, token: &str) {
        self.with(|m| {
            let now = Instant::now();
            m.retain(|_, (_, at)| now.duration_since(*at) < KEEP);
            if m.len() >= MAX_ENTRIES
                && let Some(oldest) = m.iter().min_by_key(|(_, (_, at))| *at).map(|(k, _)| k.clone())
            {
                m.remove(&oldest);
            }
            m.insert((user, token.to_string()), (Progress { done: 0, total: None, finished: false }, now));
        });
    }

    pub fn update(&self, user: i64, token: &str, f: impl FnOnce(&mut Progress)) {
        self.with(|m| {
            if let Some((p, at)) = m.get_mut(&(user, token.to_string())) {
                f(p);
                *at = Instant::now();
            }
        });
    }

    /// The figures of `user`'s export `token` (another user's token reads as unknown).
    pub fn get(&self, user: i64, token: &str) -> Option<Progress> {
        self.with(|m| m.get(&(user, token.to_string())).map(|(p, _)| *p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_back_what_it_wrote() {
        for p in [
            Progress { done: 0, total: None, finished: false },
            Progress { done: 12_000, total: Some(56_000), finished: true },
        ] {
            assert_eq!(Progress::parse(&p.to_text()), Some(p));
        }
        assert_eq!(Progress::parse("x - 0"), None);
    }

    #[test]
    fn figures_belong_to_the_user_who_started_the_export() {
        let (reg, ada, bob) = (ExportProgress::default(), 1, 2);
        reg.start(ada, "abcdefgh");
        reg.update(ada, "abcdefgh", |p| p.done += 2_000);
        assert_eq!(reg.get(ada, "abcdefgh").map(|p| p.done), Some(2_000));
        assert_eq!(reg.get(bob, "abcdefgh"), None);
        reg.update(bob, "abcdefgh", |p| p.done = 9);
        assert_eq!(reg.get(ada, "abcdefgh").map(|p| p.done), Some(2_000));
    }

    #[test]
    fn tokens_are_short_plain_words() {
        assert!(token_ok("a1B2c3D4-_"));
        assert!(!token_ok("short") && !token_ok("has space x") && !token_ok(&"x".repeat(41)));
    }
}
