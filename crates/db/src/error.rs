//! Errors of the metadata layer.

/// What went wrong in a repository call.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The record does not exist (in this tenant).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was hit (e.g. a name already used in the folder).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The tenant's capacity would be exceeded.
    #[error("quota exceeded")]
    QuotaExceeded,
    /// An `If-Match` / `If-None-Match` precondition did not hold.
    #[error("precondition failed")]
    PreconditionFailed,
    /// The database URL or configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// A stored value could not be read back as a domain value.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
}

impl DbError {
    /// True when the underlying error is a unique-constraint violation.
    pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
        match e {
            sqlx::Error::Database(d) => {
                d.is_unique_violation()
                    // The Any driver may not classify every backend's code.
                    || d.code().as_deref() == Some("23505")
                    || d.code().as_deref() == Some("2067")
                    || d.message().contains("UNIQUE constraint failed")
            }
            _ => false,
        }
    }
}

impl From<kura_core::CoreError> for DbError {
    fn from(e: kura_core::CoreError) -> Self {
        DbError::Corrupt(e.to_string())
    }
}

/// Maps a unique violation to `Conflict(msg)`, other errors unchanged.
pub(crate) fn conflict_on_unique(e: sqlx::Error, msg: &str) -> DbError {
    if DbError::is_unique_violation(&e) {
        DbError::Conflict(msg.to_string())
    } else {
        DbError::Sqlx(e)
    }
}
