//! Randomness, hashes and encryption for sign-in secrets. Codes, tokens and recovery codes are
//! stored only as hashes; six-digit codes and recovery codes use a hash keyed with the server
//! key, so a stolen database does not let anyone try all million codes offline. TOTP secrets are
//! sealed with ChaCha20-Poly1305 under a key derived from the same server key.
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use blake2::digest::{Mac, consts::U32};
use blake2::{Blake2b, Blake2bMac, Digest};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("PORTAL_SECRET_KEY must be 64 hexadecimal characters (32 bytes)")]
    BadKey,
    #[error("the server key file {path} cannot be read or written: {reason}")]
    File { path: String, reason: String },
}

/// Fills a buffer from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random generator is unavailable");
    buf
}

/// 256 random bits, URL-safe: session cookies and reset links.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A uniformly random number below `n` (rejection sampling, no modulo bias).
fn below(n: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let v = u32::from_le_bytes(random_bytes::<4>());
        if v < zone {
            return v % n;
        }
    }
}

/// A six-digit code for email and SMS.
pub fn random_code() -> String {
    format!("{:06}", below(1_000_000))
}

/// Letters and digits that cannot be mistaken for each other when copied from an email.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn grouped(groups: usize) -> String {
    (0..groups)
        .map(|_| (0..5).map(|_| ALPHABET[below(ALPHABET.len() as u32) as usize] as char).collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A temporary password: 20 random characters (about 98 bits) in groups of five.
pub fn temp_password() -> String {
    grouped(4)
}

/// A recovery code: 10 random characters (about 49 bits) in two groups; single use and
/// rate-limited like every other code.
pub fn recovery_code() -> String {
    grouped(2)
}

/// Recovery codes are compared without dashes, spaces or case.
pub fn normalise_code(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// An unkeyed hash for high-entropy secrets (session and reset tokens).
pub fn token_hash(token: &str) -> String {
    let digest = Blake2b::<U32>::digest(token.as_bytes());
    hex(&digest)
}

/// The unkeyed hash of any bytes, as hex (the journal's chain).
pub fn digest_hex(bytes: &[u8]) -> String {
    hex(&Blake2b::<U32>::digest(bytes))
}

pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// The server's own secret: from `PORTAL_SECRET_KEY`, or generated once into the data folder.
#[derive(Clone)]
pub struct ServerKey {
    mac_key: [u8; 32],
    seal_key: [u8; 32],
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(***)")
    }
}

impl ServerKey {
    pub fn from_bytes(master: [u8; 32]) -> ServerKey {
        let derive = |label: &[u8]| {
            let mut m = <Blake2bMac<U32> as Mac>::new_from_slice(&master).expect("32-byte keys are valid");
            m.update(label);
            let out: [u8; 32] = m.finalize().into_bytes().into();
            out
        };
        ServerKey { mac_key: derive(b"portal code mac v1"), seal_key: derive(b"portal totp seal v1") }
    }

    pub fn from_hex(s: &str) -> Result<ServerKey, KeyError> {
        let bytes = unhex(s.trim()).ok_or(KeyError::BadKey)?;
        let master: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadKey)?;
        Ok(ServerKey::from_bytes(master))
    }

    /// Reads `file`, or creates it (owner-only) with a fresh key. Several processes starting
    /// at once on one data folder agree on one key: each writes its candidate to a file of its
    /// own and links it into place, which only one link can do; the others read the winner's.
    pub fn load_or_create(file: &Path) -> Result<ServerKey, KeyError> {
        let err = |reason: String| KeyError::File { path: file.display().to_string(), reason };
        match std::fs::read_to_string(file) {
            Ok(s) => ServerKey::from_hex(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let master = random_bytes::<32>();
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                }
                let candidate = file.with_extension(format!("new-{}", hex(&random_bytes::<8>())));
                write_private(&candidate, &hex(&master)).map_err(|e| err(e.to_string()))?;
                let linked = std::fs::hard_link(&candidate, file);
                let _ = std::fs::remove_file(&candidate);
                match linked {
                    Ok(()) => Ok(ServerKey::from_bytes(master)),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let s = std::fs::read_to_string(file).map_err(|e| err(e.to_string()))?;
                        ServerKey::from_hex(&s)
                    }
                    Err(e) => Err(err(e.to_string())),
                }
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// A keyed hash for low-entropy codes.
    pub fn code_hash(&self, purpose: &str, code: &str) -> String {
        let mut m = <Blake2bMac<U32> as Mac>::new_from_slice(&self.mac_key).expect("32-byte keys are valid");
        m.update(purpose.as_bytes());
        m.update(b"\0");
        m.update(code.as_bytes());
        hex(&m.finalize().into_bytes())
    }

    pub fn seal(&self, plain: &[u8]) -> String {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.seal_key));
        let nonce = random_bytes::<12>();
        let mut out = nonce.to_vec();
        out.extend(cipher.encrypt(Nonce::from_slice(&nonce), plain).expect("encryption cannot fail"));
        STANDARD_NO_PAD.encode(out)
    }

    /// None if the text was not sealed with this key or was altered.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let raw = STANDARD_NO_PAD.decode(sealed).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, body) = raw.split_at(12);
        ChaCha20Poly1305::new(Key::from_slice(&self.seal_key)).decrypt(Nonce::from_slice(nonce), body).ok()
    }
}

#[cfg(unix)]
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(file)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(file, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..50).map(|_| random_code()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.len() > 40);
    }

    #[test]
    fn temporary_passwords_are_long_and_unambiguous() {
        let p = temp_password();
        assert_eq!(p.len(), 23);
        assert!(p.chars().filter(|c| *c != '-').count() >= 16);
        assert!(!p.contains(['0', 'o', '1', 'l', 'i']));
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key() {
        let k = ServerKey::from_bytes([7; 32]);
        let sealed = k.seal(b"JBSWY3DPEHPK3PXP");
        assert!(!sealed.contains("JBSWY3DP"));
        assert_eq!(k.open(&sealed).as_deref(), Some(&b"JBSWY3DPEHPK3PXP"[..]));
        assert_eq!(ServerKey::from_bytes([8; 32]).open(&sealed), None);
        let mut tampered = sealed.clone();
        tampered.replace_range(20..21, if &sealed[20..21] == "A" { "B" } else { "A" });
        assert_eq!(k.open(&tampered), None);
    }

    #[test]
    fn code_hashes_depend_on_the_key_and_purpose() {
        let a = ServerKey::from_bytes([1; 32]);
        let b = ServerKey::from_bytes([2; 32]);
        assert_ne!(a.code_hash("mfa", "123456"), b.code_hash("mfa", "123456"));
        assert_ne!(a.code_hash("mfa", "123456"), a.code_hash("phone", "123456"));
        assert!(ct_eq(&a.code_hash("mfa", "1"), &a.code_hash("mfa", "1")));
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("portal-key-{}", crate::util::short_id()));
        let file = dir.join("secret.key");
        let k1 = ServerKey::load_or_create(&file).unwrap();
        let k2 = ServerKey::load_or_create(&file).unwrap();
        assert_eq!(k1.code_hash("x", "1"), k2.code_hash("x", "1"));
        assert!(ServerKey::from_hex("abc").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn processes_starting_at_once_agree_on_one_key() {
        let dir = std::env::temp_dir().join(format!("portal-key-{}", crate::util::short_id()));
        let file = dir.join("secret.key");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let keys: Vec<String> = (0..8)
            .map(|_| {
                let (file, barrier) = (file.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    ServerKey::load_or_create(&file).unwrap().code_hash("x", "1")
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert!(keys.iter().all(|k| *k == keys[0]), "every starter uses the key on file");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no candidate file is left behind");
        let _ = std::fs::remove_dir_all(dir);
    }
}
