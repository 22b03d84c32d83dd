//! Errors raised by domain rules (validation of names, paths, sizes, codes).

/// A domain rule was broken by the input; each variant carries a message a person understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error("invalid name: {0}")]
    InvalidName(String),
    #[error("invalid path: {0}")]
    InvalidPath(String),
    #[error("invalid size: {0}")]
    InvalidSize(String),
    #[error("invalid tenant code: {0}")]
    InvalidTenantCode(String),
    #[error("invalid value: {0}")]
    InvalidValue(String),
}
