//! Virus scanning: the [`Scanner`] trait and its clamd implementation.
//!
//! The service layer feeds every uploaded byte to a scanner while it stores the
//! same bytes, and commits the file only after the scanner's verdict. Nothing
//! here decides policy (what to do with an oversize file, a detection or an
//! outage); it only reports what clamd said, or that it could not say.

mod clamd;
mod config;
mod reply;

pub use clamd::ClamdScanner;
pub use config::{ClamdAddress, ScanConfig, ScanMode, read_stream_max_length};
pub use reply::{Verdict, parse_reply};

use bytes::Bytes;
use tokio::sync::mpsc;

/// Why a scanner could not give a verdict. Every one of these means "not
/// known to be clean": callers fail closed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Could not connect, or the connection broke.
    #[error("virus scanner unavailable: {0}")]
    Unavailable(String),
    /// The scanner stopped reading or answering within the configured time.
    #[error("virus scanner timed out: {0}")]
    Timeout(String),
    /// The scanner answered something that is neither a verdict nor a known error.
    #[error("virus scanner answered unexpectedly: {0}")]
    Protocol(String),
}

/// A virus scanner fed by a stream of chunks.
#[async_trait::async_trait]
pub trait Scanner: Send + Sync + 'static {
    /// Scans the bytes received from `chunks` until the sender is dropped.
    /// (If the scanner fails first it drops the receiver, so a sender sees
    /// the failure at its next send.)
    async fn scan(&self, chunks: mpsc::Receiver<Bytes>) -> Result<Verdict, ScanError>;

    /// Checks that the scanner answers.
    async fn ping(&self) -> Result<(), ScanError>;

    /// The engine and signature version, e.g. `ClamAV 1.4.6/27470/Tue Nov 24 09:33:02 2026`.
    async fn version(&self) -> Result<String, ScanError>;

    /// The longest stream the scanner accepts, in bytes.
    fn stream_max_length(&self) -> u64;

    /// Where the scanner is, for status pages (no secrets).
    fn describe(&self) -> String;
}
