//! Why a new password was refused, in the page's language (sign-in with an
//! expired password, the reset page, the account page).

use super::i18n::Tr;
use kura_service::{PasswordProblem, ServiceError};

/// The message for a refused password change: the rule that was broken, or
/// the translated message of the error's code.
pub fn message(t: Tr, e: &ServiceError) -> String {
    match e {
        ServiceError::PasswordRejected(p) => match p {
            PasswordProblem::TooShort { min } => t
                .get("error.password_too_short")
                .replace("{min}", &min.to_string()),
            PasswordProblem::TooLong { max } => t
                .get("error.password_too_long")
                .replace("{max}", &max.to_string()),
            PasswordProblem::Common => t.get("error.password_common").to_string(),
            PasswordProblem::SameAsCurrent => t.get("error.password_same").to_string(),
        },
        other => t.error(other.code()).to_string(),
    }
}

/// The two new-password fields must agree before anything is sent on.
pub fn repeated(new: &str, again: &str) -> bool {
    new == again
}
