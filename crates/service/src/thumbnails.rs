//! Serving thumbnails: the same permission checks as a download, then the
//! rendition recorded for the version (or the original, where it stands in).

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use kura_core::NodePath;
use kura_db::JOB_THUMBNAIL;
use kura_storage::BlobReader;

/// A thumbnail found for a file, before its bytes are read.
#[derive(Debug, Clone)]
pub struct ThumbnailInfo {
    /// Changes with the version and the size.
    pub etag: String,
    pub content_type: String,
    pub len: u64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    key: String,
}

impl Service {
    /// The thumbnail of the file at `path` (its current version, or `version`)
    /// closest to `size` pixels. `NoThumbnail` says why there is none.
    pub async fn thumbnail(
        &self,
        who: &Identity,
        path: &NodePath,
        size: u32,
        version: Option<i64>,
    ) -> Result<ThumbnailInfo> {
        let (node, v) = self.file_at(who, path, version).await?;
        crate::scanning::refuse_quarantined(&path.to_string(), &v)?;
        let none = |status| ServiceError::NoThumbnail {
            path: path.to_string(),
            status,
        };
        let rows = self.db.thumbnails(who.tenant_id(), v.id).await?;
        let made: Vec<u32> = rows
            .iter()
            .filter_map(|r| u32::try_from(r.size).ok())
            .collect();
        let Some(pick) = kura_core::thumbnail::pick(&made, size) else {
            let pending = self.db.job_pending(JOB_THUMBNAIL, v.id).await?;
            return Err(none(if pending { "pending" } else { "none" }));
        };
        let Some(r) = rows.into_iter().find(|r| r.size == i64::from(pick)) else {
            return Err(none("none"));
        };
        let etag = format!("{}-t{pick}", v.etag);
        match (r.status.as_str(), r.blob_key) {
            ("ok", Some(key)) => Ok(ThumbnailInfo {
                etag,
                content_type: r.content_type.unwrap_or_else(|| "image/jpeg".into()),
                len: u64::try_from(r.bytes.unwrap_or(0)).unwrap_or(0),
                width: r.width,
                height: r.height,
                key,
            }),
            // The file is its own thumbnail (small, or smaller than one).
            ("original", _) => Ok(ThumbnailInfo {
                etag,
                content_type: node
                    .content_type
                    .unwrap_or_else(|| "application/octet-stream".into()),
                len: u64::try_from(v.size).unwrap_or(0),
                width: r.width,
                height: r.height,
                key: v.blob_key,
            }),
            ("failed", _) => Err(none("failed")),
            _ => Err(none("unsupported")),
        }
    }

    /// Opens a thumbnail's bytes.
    pub async fn open_thumbnail(&self, t: &ThumbnailInfo) -> Result<BlobReader> {
        Ok(self.blobs.get(&t.key, None).await?)
    }
}
