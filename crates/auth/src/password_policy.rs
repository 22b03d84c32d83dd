//! Password rules after NIST SP 800-63B: a minimum length, a maximum that
//! leaves room for passphrases, and a check against common passwords; no
//! composition rules. The list is the 30,000 most common passwords of the
//! zxcvbn project (MIT licence, data/common-passwords.LICENSE.txt).

use std::collections::HashSet;
use std::sync::OnceLock;

static LIST: &str = include_str!("../data/common-passwords.txt");

/// Longest password accepted, in bytes (argon2 takes any length; this bounds work).
pub const MAX_PASSWORD_BYTES: usize = 1024;

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| LIST.lines().filter(|l| !l.is_empty()).collect())
}

/// True if the password (ignoring case and surrounding spaces) is on the list.
pub fn is_common_password(password: &str) -> bool {
    common().contains(password.trim().to_lowercase().as_str())
}

/// Why a new password is refused (the UI words each one in its language).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Fewer characters than the tenant's minimum.
    TooShort { min: usize },
    /// More bytes than `MAX_PASSWORD_BYTES`.
    TooLong { max: usize },
    /// On the list of commonly used passwords.
    Common,
    /// The same as the password it replaces.
    SameAsCurrent,
}

impl std::fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooShort { min } => write!(
                f,
                "a password needs at least {min} characters (a few words make a good one)"
            ),
            Self::TooLong { max } => write!(f, "a password may have at most {max} bytes"),
            Self::Common => f.write_str(
                "this password is on the list of commonly used passwords; choose another",
            ),
            Self::SameAsCurrent => f.write_str("the new password must differ from the current one"),
        }
    }
}

/// Why a password is refused, if it is.
pub fn password_check(password: &str, min_chars: usize) -> Option<PasswordProblem> {
    if password.chars().count() < min_chars {
        return Some(PasswordProblem::TooShort { min: min_chars });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Some(PasswordProblem::TooLong {
            max: MAX_PASSWORD_BYTES,
        });
    }
    if is_common_password(password) {
        return Some(PasswordProblem::Common);
    }
    None
}

/// Why a password is refused, in words for the person choosing it.
pub fn password_problem(password: &str, min_chars: usize) -> Option<String> {
    password_check(password, min_chars).map(|p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(is_common_password("password"));
        assert!(is_common_password(" PassWord "));
        assert!(!is_common_password("correct horse battery staple 蔵"));
        assert!(password_problem("short", 12).is_some());
        // Counted in characters, not bytes: 12 kanji are enough.
        assert_eq!(password_problem("東京都千代田区丸の内一丁目", 12), None);
        assert!(
            password_problem("qwertyuiop123", 12).is_some(),
            "common and long enough"
        );
        assert!(password_problem(&"a".repeat(1025), 12).is_some());
        assert_eq!(password_problem("a-long-password-for-alice", 12), None);
        assert!(common().len() > 29_000);
    }
}
