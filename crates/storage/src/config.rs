//! The `[storage]` section of the configuration.

use serde::Deserialize;
use std::path::PathBuf;

/// Where blobs go. `backend` is `local` (default), `s3` or `azure`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    pub backend: String,
    /// Local folder for blobs; default `<data dir>/blobs`.
    pub path: Option<PathBuf>,
    /// S3 bucket or Azure container.
    pub bucket: String,
    pub region: String,
    /// Custom endpoint (MinIO, an emulator, another S3-compatible service).
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Read the secret from this file instead (keeps it out of the config file).
    pub secret_access_key_file: Option<PathBuf>,
    /// Azure storage account.
    pub account: Option<String>,
    /// Talk to the Azurite emulator (its URL comes from AZURITE_BLOB_STORAGE_URL).
    pub use_emulator: bool,
    /// Permit plain http endpoints (emulators on loopback only).
    pub allow_http: bool,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            backend: "local".into(),
            path: None,
            bucket: "kura".into(),
            region: "us-east-1".into(),
            endpoint: None,
            access_key_id: None,
            secret_access_key: None,
            secret_access_key_file: None,
            account: None,
            use_emulator: false,
            allow_http: false,
        }
    }
}
