//! Blob storage through object_store: local files by default, S3 or Azure Blob
//! by configuration, one code path for all. Keys live under a per-tenant prefix
//! (`t/<tenant id>/b/<uuid>`), and bytes always stream.

mod config;
mod small_cache;
mod store;

pub use config::StorageConfig;
pub use store::{BlobReader, BlobStore, StorageError};
