//! The service's errors, each with a stable code that clients can rely on.

use kura_core::CoreError;
use kura_db::DbError;
use kura_storage::StorageError;

/// What a refused change would shut out (`would_lock_out_caller`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockOut {
    /// The caller's own address would not be allowed.
    OwnAddress,
    /// Single sign-on only, but the tenant has no provider.
    NoSsoProvider,
    /// Single sign-on only, but the caller did not sign in through it.
    NotSignedInWithSso,
    /// Client certificates required, but the tenant trusts no CA.
    NoClientCa,
    /// The caller's own client certificate would be refused.
    OwnCertificate,
}

impl LockOut {
    /// The stable reason code (problem+json `reason`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OwnAddress => "own_address",
            Self::NoSsoProvider => "no_sso_provider",
            Self::NotSignedInWithSso => "not_signed_in_with_sso",
            Self::NoClientCa => "no_client_ca",
            Self::OwnCertificate => "own_certificate",
        }
    }
}

/// Why a use case refused or failed. `code()` is part of the public API.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidPath(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("sign-in required")]
    Unauthenticated,
    #[error("the tenant, login or password is wrong")]
    InvalidCredentials,
    #[error("the session or token has expired")]
    Expired,
    #[error(
        "the CSRF token is missing or wrong; send the csrf_token from the login response in the X-CSRF-Token header"
    )]
    CsrfFailed,
    #[error("{0}")]
    Forbidden(String),
    #[error("this tenant is suspended; contact your administrator")]
    TenantSuspended,
    #[error("{0} not found")]
    NotFound(String),
    /// `status`: pending (the job has not run yet), failed, unsupported, none.
    #[error("{path} has no thumbnail ({status})")]
    NoThumbnail { path: String, status: &'static str },
    #[error("the parent folder {0} does not exist (use ?parents=true to create it)")]
    ParentNotFound(String),
    #[error("{0}")]
    NameConflict(String),
    #[error("{0} is a folder, not a file")]
    NotAFile(String),
    #[error("{0} is a file, not a folder")]
    NotAFolder(String),
    #[error("the precondition (If-Match / If-None-Match) does not hold for {0}")]
    PreconditionFailed(String),
    #[error("the requested range is not within the file (size {0} bytes)")]
    RangeNotSatisfiable(u64),
    #[error("the body had {got} bytes but Content-Length said {declared}")]
    LengthMismatch { declared: u64, got: u64 },
    #[error("the upload was interrupted: {0}")]
    UploadAborted(String),
    #[error(
        "the tenant's capacity ({capacity} bytes) would be exceeded; {available} bytes are free"
    )]
    QuotaExceeded { capacity: i64, available: i64 },
    #[error("the file contains a virus ({0}); it was not stored")]
    VirusDetected(String),
    #[error(
        "the virus scanner is not available, so the file was not stored; try again in a minute ({0})"
    )]
    ScannerUnavailable(String),
    #[error(
        "the file is larger than the virus scanner can check ({limit} bytes), and this tenant's policy refuses unscanned files"
    )]
    TooLargeToScan { limit: u64 },
    #[error("{0} is quarantined: a virus scan found {1}; it cannot be downloaded or copied")]
    Quarantined(String, String),
    #[error("access from {0} is not allowed by this tenant's IP allowlist")]
    IpNotAllowed(String),
    #[error(
        "this account is locked after too many failed sign-ins; try again later or ask your administrator to unlock it"
    )]
    AccountLocked,
    /// Why, as a stable reason (for translated messages), and the detail.
    #[error("{1}")]
    WouldLockOutCaller(LockOut, String),
    #[error("{0}")]
    ClientCertificateRequired(String),
    #[error("this password has expired; sign in again with a new_password to change it")]
    PasswordExpired,
    /// A new password that the rules refuse; its code stays `invalid_input`
    /// (as before), the reason lets the UI say why in its language.
    #[error("{0}")]
    PasswordRejected(kura_auth::PasswordProblem),
    #[error("the reset token is unknown, used or expired; ask your administrator for a new one")]
    InvalidResetToken,
    #[error("too many failed sign-ins from this address; try again in {0} seconds")]
    TooManyAttempts(u64),
    #[error(
        "this tenant signs in through its identity provider only (single sign-on); use GET /api/v1/sso/{{tenant}}/login"
    )]
    SsoRequired,
    #[error("single sign-on failed: {0}")]
    SsoFailed(String),
    #[error("the identity provider could not be reached or understood: {0}")]
    SsoProviderUnavailable(String),
    /// A half-signed-in session: the second step is still due.
    #[error("{0}")]
    OtpRequired(String),
    #[error("the one-time passcode or recovery code is wrong or was already used")]
    InvalidOtp,
    #[error("one-time passcodes are already set up for this account")]
    OtpAlreadyEnabled,
    #[error("this app password is read-only; it cannot change anything")]
    ReadOnlyToken,
    /// An attribute value or definition is not valid; names the attribute.
    #[error("attribute {key:?}: {reason}")]
    InvalidAttribute { key: String, reason: String },
    /// A schema change would lose stored values.
    #[error("{0}")]
    AttributeInUse(String),
    /// A CSV import with bad rows (nothing was changed).
    #[error("{} rows of the CSV file have problems; nothing was changed (see errors)", .0.len())]
    InvalidCsv(Vec<crate::attribute_csv::CsvRowError>),
    /// A tus PATCH sent an Upload-Offset other than the upload's offset.
    #[error(
        "the upload is at offset {expected}; send the bytes from there (HEAD tells the offset)"
    )]
    OffsetMismatch { expected: u64 },
    /// The Upload-Checksum of a tus PATCH does not match its bytes (they were discarded).
    #[error("the checksum does not match the bytes received; they were discarded, send them again")]
    ChecksumMismatch,
    /// A resumable upload that was not finished in time.
    #[error("this upload has expired; start a new one")]
    UploadExpired,
    /// The client speaks a tus version this server does not.
    #[error("this server speaks tus 1.0.0 only (Tus-Resumable: 1.0.0)")]
    TusVersionUnsupported,
    /// A declared upload length over the largest this server accepts.
    #[error("the upload is larger than this server accepts ({max} bytes)")]
    UploadTooLarge { max: u64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Names that the chosen ZIP name encoding cannot represent.
    #[error("these names cannot be written in the chosen encoding (use name_encoding utf8, or rename them): {}", .0.join(", "))]
    NameNotEncodable(Vec<String>),
    #[error("internal error")]
    Internal(String),
}

impl ServiceError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidName(_) => "invalid_name",
            Self::InvalidPath(_) => "invalid_path",
            Self::InvalidInput(_) => "invalid_input",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Expired => "expired",
            Self::CsrfFailed => "csrf_failed",
            Self::Forbidden(_) => "forbidden",
            Self::TenantSuspended => "tenant_suspended",
            Self::NotFound(_) => "not_found",
            Self::NoThumbnail { .. } => "no_thumbnail",
            Self::ParentNotFound(_) => "parent_not_found",
            Self::NameConflict(_) => "name_conflict",
            Self::NotAFile(_) => "not_a_file",
            Self::NotAFolder(_) => "not_a_folder",
            Self::PreconditionFailed(_) => "precondition_failed",
            Self::RangeNotSatisfiable(_) => "range_not_satisfiable",
            Self::LengthMismatch { .. } => "length_mismatch",
            Self::UploadAborted(_) => "upload_aborted",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::VirusDetected(_) => "virus_detected",
            Self::ScannerUnavailable(_) => "scanner_unavailable",
            Self::TooLargeToScan { .. } => "too_large_to_scan",
            Self::Quarantined(..) => "file_quarantined",
            Self::IpNotAllowed(_) => "ip_not_allowed",
            Self::AccountLocked => "account_locked",
            Self::TooManyAttempts(_) => "too_many_attempts",
            Self::PasswordExpired => "password_expired",
            Self::PasswordRejected(_) => "invalid_input",
            Self::WouldLockOutCaller(..) => "would_lock_out_caller",
            Self::ClientCertificateRequired(_) => "client_certificate_required",
            Self::InvalidResetToken => "invalid_reset_token",
            Self::SsoRequired => "sso_required",
            Self::SsoFailed(_) => "sso_failed",
            Self::SsoProviderUnavailable(_) => "sso_provider_unavailable",
            Self::OtpRequired(_) => "otp_required",
            Self::InvalidOtp => "invalid_otp",
            Self::OtpAlreadyEnabled => "otp_already_enabled",
            Self::ReadOnlyToken => "read_only_token",
            Self::InvalidAttribute { .. } => "invalid_attribute",
            Self::AttributeInUse(_) => "attribute_in_use",
            Self::InvalidCsv(_) => "invalid_csv",
            Self::OffsetMismatch { .. } => "offset_mismatch",
            Self::ChecksumMismatch => "checksum_mismatch",
            Self::UploadExpired => "upload_expired",
            Self::TusVersionUnsupported => "tus_version_unsupported",
            Self::UploadTooLarge { .. } => "upload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::NameNotEncodable(_) => "name_not_encodable",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<CoreError> for ServiceError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::InvalidName(m) => Self::InvalidName(m),
            CoreError::InvalidPath(m) => Self::InvalidPath(m),
            CoreError::InvalidSize(m)
            | CoreError::InvalidTenantCode(m)
            | CoreError::InvalidValue(m) => Self::InvalidInput(m),
        }
    }
}

impl From<DbError> for ServiceError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => Self::NotFound("the item".into()),
            DbError::Conflict(m) => Self::NameConflict(m),
            DbError::PreconditionFailed => Self::PreconditionFailed("the item".into()),
            DbError::QuotaExceeded => Self::QuotaExceeded {
                capacity: 0,
                available: 0,
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => Self::Internal("blob missing from the store".into()),
            StorageError::Aborted(m) => Self::UploadAborted(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Result of a use case.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
