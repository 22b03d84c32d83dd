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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::Lang;

    /// The messages these screens name from Rust (templates are checked by
    /// the catalogue's own test), with their placeholders filled.
    #[test]
    fn messages_named_in_code_exist() {
        for key in [
            "error.password_too_short",
            "error.password_too_long",
            "error.password_common",
            "error.password_same",
            "signin.expired_notice",
            "signin.expired_mismatch",
            "reset.mismatch",
            "reset.done",
            "enrol.codes_title",
            "account.otp.codes_title",
            "account.otp.codes_left",
            "account.password_mismatch",
            "account.password_wrong",
            "account.done.password",
            "account.done.otp_enabled",
            "account.done.otp_disabled",
            "account.done.codes_renewed",
            "account.done.session_ended",
            "account.done.token_created",
            "account.done.token_revoked",
            "account.error.otp_required",
            "account.error.current_session",
            "account.error.token_name",
        ] {
            for lang in [Lang::En, Lang::Ja] {
                assert!(Tr(lang).lookup(key).is_some(), "{key} ({lang:?})");
            }
        }
        let e = ServiceError::PasswordRejected(PasswordProblem::TooShort { min: 14 });
        assert_eq!(
            message(Tr(Lang::Ja), &e),
            "パスワードが短すぎます。14 文字以上にしてください。"
        );
        let e = ServiceError::PasswordRejected(PasswordProblem::SameAsCurrent);
        assert!(message(Tr(Lang::En), &e).contains("differ"));
        assert_eq!(
            message(Tr(Lang::En), &ServiceError::InvalidResetToken),
            Tr(Lang::En).error("invalid_reset_token")
        );
    }
}
