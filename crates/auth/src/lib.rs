//! Credentials: argon2id password hashes, random secrets, and hashes of tokens.
//! One-time passcodes (TOTP) and their recovery codes; client certificates;
//! OpenID Connect sign-in.

pub mod client_cert;
pub mod oidc;
pub mod otp;
mod password_policy;

pub use password_policy::{
    MAX_PASSWORD_BYTES, PasswordProblem, is_common_password, password_check, password_problem,
};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Errors of credential handling.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Hashes a password with argon2id and a fresh random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Checks a password against a stored PHC hash; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash to verify against when the user does not exist, so that a wrong login
/// costs the same time as a wrong password (no user enumeration by timing).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("kura-dummy-password-for-timing").unwrap_or_default())
}

/// A random secret of `bytes` bytes, URL-safe base64 without padding.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a high-entropy secret (session id, API token), hex. Such secrets
/// need no slow hash: they cannot be guessed, only stolen from the database.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in constant time (for CSRF tokens and the like).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Prefix of personal access tokens, so scanners can spot leaked ones.
pub const TOKEN_PREFIX: &str = "kura_";

/// A new personal access token: prefix plus 32 random bytes.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_secret(32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_with_argon2id() {
        let h = hash_password("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("correct horse battery staple").unwrap());
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with("kura_") && a.len() > 40);
        assert_eq!(secret_hash("x"), secret_hash("x"));
        assert_ne!(secret_hash(&a), secret_hash(&b));
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
