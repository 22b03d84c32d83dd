//! Time-based one-time passcodes (RFC 6238) as authenticator apps expect
//! them: SHA-1, 6 digits, 30-second steps, one step of tolerance either way.
//! Replay protection (a step is accepted once) is the caller's: it must
//! remember the last accepted step per user.

use qrcodegen::{QrCode, QrCodeEcc};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Digits of a passcode.
pub const DIGITS: u8 = 6;
/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// Errors of OTP handling.
#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    #[error("the stored OTP secret is not valid: {0}")]
    Secret(String),
}

/// A fresh 160-bit secret, base32 (what the user types into an app).
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

fn totp(secret_b32: &str, digits: u8, issuer: &str, account: &str) -> Result<Totp, OtpError> {
    let secret =
        Secret::try_from_base32(secret_b32).map_err(|e| OtpError::Secret(e.to_string()))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(digits)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .with_issuer(Some(issuer))
        .with_account_name(account)
        .build()
        .map_err(|e| OtpError::Secret(e.to_string()))
}

/// The `otpauth://totp/...` URI for authenticator apps. A `:` in the issuer or
/// account (which the URI format forbids) becomes `-`.
pub fn otpauth_url(secret_b32: &str, issuer: &str, account: &str) -> Result<String, OtpError> {
    let clean = |s: &str| s.replace(':', "-");
    totp(secret_b32, DIGITS, &clean(issuer), &clean(account))?
        .to_url()
        .map_err(|e| OtpError::Secret(e.to_string()))
}

/// The step a code matches at `unix_seconds` (±1 step), or `None`. Spaces in
/// the code are ignored; anything but digits never matches.
pub fn check(secret_b32: &str, code: &str, unix_seconds: u64) -> Result<Option<u64>, OtpError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret_b32, DIGITS, "Kura", "check")?.check(&code, unix_seconds))
}

/// The code of a secret at a time, with `digits` digits (tests, and clients
/// that need to compute one).
pub fn code_at(secret_b32: &str, unix_seconds: u64, digits: u8) -> Result<String, OtpError> {
    Ok(totp(secret_b32, digits, "Kura", "code")?
        .generate(unix_seconds)
        .to_string())
}

/// The URI as an SVG QR code (medium error correction, 4-module quiet zone).
pub fn qr_svg(text: &str) -> Result<String, OtpError> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| OtpError::Secret(format!("QR code: {e:?}")))?;
    let border = 4;
    let size = qr.size() + 2 * border;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// Alphabet of recovery codes: no 0/O, 1/I/L, so they can be read aloud.
const RECOVERY_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Ten fresh recovery codes, `XXXX-XXXX-XXXX-XXXX` (about 79 bits each, so a
/// fast hash is enough to store them).
pub fn recovery_codes() -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = (0..16)
                .map(|_| {
                    let i = rng.random_range(0..RECOVERY_ALPHABET.len());
                    RECOVERY_ALPHABET.get(i).copied().map_or('2', char::from)
                })
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// A recovery code as typed (any case, with or without dashes or spaces) in
/// the form it was hashed in; `None` if it cannot be one.
pub fn normalize_recovery_code(code: &str) -> Option<String> {
    let chars: Vec<char> = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != 16 || !chars.iter().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: secret "12345678901234567890", 8 digits.
    #[test]
    fn rfc6238_sha1_vectors() {
        let secret = Secret::new_stack(*b"12345678901234567890").to_base32();
        for (t, want) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(&secret, t, 8).unwrap(), want, "T={t}");
        }
    }

    #[test]
    fn one_step_either_way_is_accepted_and_no_further() {
        let s = new_secret();
        let t = 1_700_000_015u64; // middle of a step
        let step = t / STEP_SECONDS;
        let now = code_at(&s, t, DIGITS).unwrap();
        assert_eq!(check(&s, &now, t).unwrap(), Some(step));
        let prev = code_at(&s, t - 30, DIGITS).unwrap();
        assert_eq!(check(&s, &prev, t).unwrap(), Some(step - 1));
        let next = code_at(&s, t + 30, DIGITS).unwrap();
        assert_eq!(check(&s, &next, t).unwrap(), Some(step + 1));
        let old = code_at(&s, t - 60, DIGITS).unwrap();
        // A code two steps old can coincide with a near one by chance (1e-6).
        if old != now && old != prev && old != next {
            assert_eq!(check(&s, &old, t).unwrap(), None);
        }
        assert_eq!(check(&s, "12345", t).unwrap(), None);
        assert_eq!(check(&s, "abcdef", t).unwrap(), None);
        let spaced = format!("{} {}", &now[..3], &now[3..]);
        assert_eq!(check(&s, &spaced, t).unwrap(), Some(step));
    }

    #[test]
    fn uri_is_what_apps_expect() {
        let s = new_secret();
        assert_eq!(s.len(), 32, "160 bits in base32");
        let url = otpauth_url(&s, "Kura", "acme:alice").unwrap();
        assert!(url.starts_with("otpauth://totp/Kura:acme-alice?"), "{url}");
        assert!(url.contains(&format!("secret={s}")), "{url}");
        assert!(url.contains("issuer=Kura"), "{url}");
        let svg = qr_svg(&url).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<path d=\"M"),
            "{svg}"
        );
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalize() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut u = codes.clone();
        u.sort();
        u.dedup();
        assert_eq!(u.len(), 10);
        let c = &codes[0];
        assert_eq!(c.len(), 19);
        assert_eq!(
            normalize_recovery_code(&c.to_lowercase().replace('-', " ")).as_deref(),
            Some(c.as_str())
        );
        assert_eq!(normalize_recovery_code("too-short"), None);
    }
}
