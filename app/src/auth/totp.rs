//! Authenticator apps (RFC 6238: SHA-1, 6 digits, 30-second steps) through `totp-rs`, and the
//! enrolment QR code drawn as SVG on the server with `qrcode`.
use totp_rs::{Algorithm, TOTP};

pub const STEP: i64 = 30;
const ISSUER: &str = "IoT Portal";

/// 160 random bits, the size RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    crate::crypto::random_bytes::<20>().to_vec()
}

fn totp(secret: &[u8], account: &str) -> Option<TOTP> {
    // ':' separates issuer and account in otpauth URLs; usernames cannot hold one anyway.
    TOTP::new(Algorithm::SHA1, 6, 1, STEP as u64, secret.to_vec(), Some(ISSUER.into()), account.replace(':', "_")).ok()
}

/// The secret as people type it into an app: base32 in groups of four.
pub fn secret_text(secret: &[u8]) -> String {
    let b32 = totp(secret, "x").map(|t| t.get_secret_base32()).unwrap_or_default();
    b32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// The `otpauth://` enrolment URL as an SVG QR code.
pub fn qr_svg(secret: &[u8], account: &str) -> String {
    let Some(url) = totp(secret, account).map(|t| t.get_url()) else { return String::new() };
    match qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
        Err(_) => String::new(),
    }
}

/// The time step `code` belongs to, if it matches one within ±1 step of `now`.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "x")?;
    let current = now / STEP;
    // Check all three steps, so the time taken does not tell which one matched.
    let mut found = None;
    for step in [current - 1, current, current + 1] {
        if step >= 0 && crate::crypto::ct_eq(&t.generate((step * STEP) as u64), &code) {
            found = Some(step);
        }
    }
    found
}

/// The code an app shows at `now` (for tests and the benchmark).
pub fn code_at(secret: &[u8], now: i64) -> String {
    totp(secret, "x").map(|t| t.generate(now as u64)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 → 94287082 (8 digits); its last 6 digits:
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
    }

    #[test]
    fn accepts_one_step_of_skew_and_no_more() {
        let s = new_secret();
        let now = 1_700_000_015;
        assert_eq!(matching_step(&s, &code_at(&s, now), now), Some(now / STEP));
        assert_eq!(matching_step(&s, &code_at(&s, now - 30), now), Some(now / STEP - 1));
        assert_eq!(matching_step(&s, &code_at(&s, now + 30), now), Some(now / STEP + 1));
        assert_eq!(matching_step(&s, &code_at(&s, now - 90), now), None);
        assert_eq!(matching_step(&s, "12345", now), None);
    }

    #[test]
    fn qr_code_is_an_svg_and_secret_text_is_base32() {
        let s = new_secret();
        assert!(qr_svg(&s, "ada").starts_with("<?xml") || qr_svg(&s, "ada").contains("<svg"));
        let text = secret_text(&s);
        assert_eq!(text.replace(' ', "").len(), 32);
    }
}
