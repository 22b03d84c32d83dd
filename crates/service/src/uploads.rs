//! Resumable uploads (tus 1.0.0): creating one (checked like a PUT before any
//! byte is stored), asking its offset, ending it, and committing it once its
//! last byte is stored. The commit streams the stored pieces, in order,
//! through `put_file`, the one upload path (permission, quota, virus scan,
//! versioning, audit). The state lives in the database and the blob store, so
//! any node can take an upload further.

use crate::files::{PutOptions, PutResult};
use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use bytes::Bytes;
use futures_util::Stream;
use kura_core::{Name, NodeKind, NodePath, OversizePolicy};
use kura_db::UploadRow;
use kura_storage::BlobReader;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Opening one stored piece for reading.
type PieceFuture = Pin<Box<dyn Future<Output = std::io::Result<BlobReader>> + Send>>;

/// The stored pieces of an upload read one after the other as one stream.
/// (A hand-written stream: combinator closures here trip the compiler's
/// Send inference when the HTTP layer spawns the PATCH.)
struct Pieces {
    blobs: kura_storage::BlobStore,
    keys: std::collections::VecDeque<String>,
    opening: Option<PieceFuture>,
    reading: Option<BlobReader>,
}

impl Stream for Pieces {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(r) = self.reading.as_mut() {
                match r.as_mut().poll_next(cx) {
                    Poll::Ready(None) => self.reading = None,
                    other => return other,
                }
            }
            if let Some(f) = self.opening.as_mut() {
                match f.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(r)) => {
                        self.opening = None;
                        self.reading = Some(r);
                        continue;
                    }
                    Poll::Ready(Err(e)) => {
                        self.opening = None;
                        self.keys.clear();
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
            let Some(key) = self.keys.pop_front() else {
                return Poll::Ready(None);
            };
            let blobs = self.blobs.clone();
            self.opening = Some(Box::pin(async move {
                blobs.get(&key, None).await.map_err(std::io::Error::other)
            }));
        }
    }
}

/// The largest upload accepted (`Tus-Max-Size`): S3's largest object.
pub const MAX_UPLOAD_BYTES: u64 = 5 << 40;
/// How long one request may hold a finished upload while committing it
/// before another may try (a node that died mid-commit).
const CLAIM_MS: i64 = 15 * 60_000;

/// What to do when the file already exists at commit time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Add a new version (like PUT).
    Version,
    /// Keep both: the new file gets a free name `name (1).ext`.
    Rename,
    /// Refuse (409 `name_conflict`).
    Fail,
}

impl OnConflict {
    /// From the `on_conflict` metadata value.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "version" => Ok(Self::Version),
            "rename" => Ok(Self::Rename),
            "fail" => Ok(Self::Fail),
            _ => Err(ServiceError::InvalidInput(format!(
                "on_conflict must be version, rename or fail, not {s:?}"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Version => "version",
            Self::Rename => "rename",
            Self::Fail => "fail",
        }
    }
}

/// A resumable upload to create.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// Upload-Length.
    pub length: u64,
    /// The file name (metadata `filename`).
    pub filename: String,
    /// The folder (metadata `parent`, default `/`).
    pub parent: String,
    /// Attribute values, as for `X-Kura-Attributes`.
    pub attributes: Option<Map<String, Value>>,
    pub on_conflict: OnConflict,
    /// The Upload-Metadata header as sent (HEAD answers it back).
    pub metadata: String,
}

/// An upload's progress.
#[derive(Debug, Clone)]
pub struct UploadInfo {
    pub id: String,
    pub offset: u64,
    pub length: u64,
    pub metadata: String,
    /// ms since the epoch.
    pub expires_at: i64,
}

/// The Upload-Checksum of a PATCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

/// What a PATCH did.
#[derive(Debug, Clone)]
pub struct PatchOutcome {
    pub offset: u64,
    pub expires_at: i64,
    /// Set when this PATCH stored the last byte and the file was committed:
    /// the file and its path.
    pub committed: Option<(PutResult, String)>,
}

impl From<&UploadRow> for UploadInfo {
    fn from(r: &UploadRow) -> Self {
        Self {
            id: r.id.clone(),
            offset: u64::try_from(r.upload_offset).unwrap_or_default(),
            length: u64::try_from(r.length).unwrap_or_default(),
            metadata: r.metadata.clone(),
            expires_at: r.expires_at,
        }
    }
}

impl Service {
    /// Creates a resumable upload after the checks a PUT makes before reading
    /// its body: permission, name, parent folder, conflict rule, attribute
    /// values and the declared length against the quota and the scan limit.
    pub async fn create_upload(&self, who: &Identity, u: NewUpload) -> Result<UploadInfo> {
        who.require_write()?;
        if u.length > MAX_UPLOAD_BYTES {
            return Err(ServiceError::UploadTooLarge {
                max: MAX_UPLOAD_BYTES,
            });
        }
        let name = Name::parse(&u.filename)?;
        let parent_path = NodePath::parse(&u.parent)?;
        let path = parent_path.join(&name);
        let parent = self.folder_at(who, &parent_path, false).await?;
        let existing = self
            .db
            .child(who.tenant_id(), parent.id, name.as_str())
            .await?;
        match &existing {
            Some(n) if n.kind == NodeKind::Folder && u.on_conflict != OnConflict::Rename => {
                return Err(ServiceError::NameConflict(format!("{path} is a folder")));
            }
            Some(_) if u.on_conflict == OnConflict::Fail => {
                return Err(ServiceError::NameConflict(format!("{path} already exists")));
            }
            _ => {}
        }
        // A renamed upload always makes a new file (defaults, required values).
        let exists = existing.is_some() && u.on_conflict == OnConflict::Version;
        self.upload_attributes(who, &path, u.attributes.as_ref(), async { Ok(exists) })
            .await?;
        // Unfinished uploads of the tenant hold their declared length, so that
        // many of them cannot together store more than the capacity.
        let tenant = &who.tenant;
        let open = self
            .db
            .open_upload_bytes(who.tenant_id(), self.now())
            .await?;
        let available = (tenant.capacity_bytes - tenant.used_bytes - open).max(0);
        if u.length > available as u64 {
            return Err(ServiceError::QuotaExceeded {
                capacity: tenant.capacity_bytes,
                available,
            });
        }
        if let Some(limit) = self.scanner().map(|s| s.stream_max_length())
            && u.length > limit
            && tenant.scan_oversize == OversizePolicy::Refuse
        {
            return Err(ServiceError::TooLargeToScan { limit });
        }
        let now = self.now();
        let row = UploadRow {
            id: uuid::Uuid::new_v4().simple().to_string(),
            tenant_id: who.tenant_id(),
            user_id: who.user.id,
            parent_path: parent_path.to_string(),
            filename: name.as_str().to_string(),
            on_conflict: u.on_conflict.as_str().to_string(),
            attributes: u
                .attributes
                .map(|a| Value::Object(a).to_string())
                .filter(|a| a != "{}"),
            metadata: u.metadata,
            length: i64::try_from(u.length).map_err(|_| ServiceError::UploadTooLarge {
                max: MAX_UPLOAD_BYTES,
            })?,
            upload_offset: 0,
            claimed_until: 0,
            created_at: now,
            expires_at: now + self.cfg.upload_expiry_ms,
        };
        self.db.create_upload(&row).await?;
        Ok(UploadInfo::from(&row))
    }

    /// The caller's own live upload: anyone else's is not found, an expired
    /// one is gone.
    pub(crate) async fn own_upload(&self, who: &Identity, id: &str) -> Result<UploadRow> {
        let row = self
            .db
            .upload(who.tenant_id(), who.user.id, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("upload {id}")))?;
        if row.expires_at <= self.now() {
            return Err(ServiceError::UploadExpired);
        }
        Ok(row)
    }

    /// An upload's offset and length (tus HEAD).
    pub async fn upload_info(&self, who: &Identity, id: &str) -> Result<UploadInfo> {
        who.require_write()?;
        Ok(UploadInfo::from(&self.own_upload(who, id).await?))
    }

    /// Ends an upload and removes what it stored (tus termination).
    pub async fn terminate_upload(&self, who: &Identity, id: &str) -> Result<()> {
        who.require_write()?;
        let row = self
            .db
            .upload(who.tenant_id(), who.user.id, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("upload {id}")))?;
        self.drop_upload(&row.id).await
    }

    /// Deletes an upload's row and stored pieces.
    pub(crate) async fn drop_upload(&self, id: &str) -> Result<()> {
        let keys = self.db.delete_upload(id).await?;
        for k in keys {
            if let Err(e) = self.blobs.delete(&k).await {
                // The orphan sweep removes unreferenced pieces later.
                tracing::warn!(error = %e, key = %k, "could not delete an upload piece");
            }
        }
        Ok(())
    }

    /// Commits a fully stored upload through `put_file`. Refusals that a
    /// retry cannot change (virus, quota, conflict) end the upload; others
    /// (scanner down) leave it for a retry: an empty PATCH at its length.
    pub(crate) async fn finish_upload(
        &self,
        who: &Identity,
        row: &UploadRow,
    ) -> Result<Option<(PutResult, String)>> {
        let now = self.now();
        if !self.db.claim_upload(&row.id, now, now + CLAIM_MS).await? {
            // Another request is committing it right now.
            return Ok(None);
        }
        match self.commit_upload(who, row).await {
            Ok(done) => {
                self.drop_upload(&row.id).await?;
                Ok(Some(done))
            }
            Err(e) => {
                let retryable = matches!(
                    e,
                    ServiceError::ScannerUnavailable(_)
                        | ServiceError::Internal(_)
                        | ServiceError::UploadAborted(_)
                );
                if retryable {
                    self.db.release_upload(&row.id).await?;
                } else {
                    self.drop_upload(&row.id).await?;
                }
                Err(e)
            }
        }
    }

    async fn commit_upload(&self, who: &Identity, row: &UploadRow) -> Result<(PutResult, String)> {
        let parts = self.db.upload_parts(&row.id).await?;
        let mut expect = 0i64;
        for p in &parts {
            if p.part_offset != expect {
                return Err(ServiceError::Internal(format!(
                    "upload {} has a gap at offset {expect}",
                    row.id
                )));
            }
            expect += p.size;
        }
        if expect != row.length {
            return Err(ServiceError::Internal(format!(
                "upload {} holds {expect} of {} bytes",
                row.id, row.length
            )));
        }
        let on_conflict = OnConflict::parse(&row.on_conflict)?;
        let parent = NodePath::parse(&row.parent_path)?;
        let attributes = match &row.attributes {
            Some(a) => match serde_json::from_str::<Value>(a) {
                Ok(Value::Object(m)) => Some(m),
                _ => None,
            },
            None => None,
        };
        // A renamed file takes the first free name; if someone takes it in
        // the meantime, the next one (the pieces can be read again).
        for attempt in 0..3u32 {
            let name = match on_conflict {
                OnConflict::Rename => self.free_name(who, &parent, &row.filename).await?,
                _ => Name::parse(&row.filename)?,
            };
            let path = parent.join(&name);
            let body = Pieces {
                blobs: self.blobs.clone(),
                keys: parts.iter().map(|p| p.blob_key.clone()).collect(),
                opening: None,
                reading: None,
            };
            let opts = PutOptions {
                parents: false,
                if_none_match_any: on_conflict != OnConflict::Version,
                if_match: None,
                content_length: u64::try_from(row.length).ok(),
                attributes: attributes.clone(),
            };
            match self.put_file(who, &path, body, opts).await {
                Ok(r) => return Ok((r, path.to_string())),
                Err(ServiceError::PreconditionFailed(_))
                    if on_conflict == OnConflict::Rename && attempt < 2 => {}
                Err(ServiceError::PreconditionFailed(_)) => {
                    return Err(ServiceError::NameConflict(format!("{path} already exists")));
                }
                Err(e) => return Err(e),
            }
        }
        Err(ServiceError::NameConflict(format!(
            "no free name for {} in {parent}",
            row.filename
        )))
    }

    /// `name`, or the first of `name (1).ext`, `name (2).ext`... not taken in `parent`.
    async fn free_name(&self, who: &Identity, parent: &NodePath, name: &str) -> Result<Name> {
        let folder = self.folder_at(who, parent, false).await?;
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
            _ => (name, String::new()),
        };
        for n in 0..1000u32 {
            let candidate = if n == 0 {
                name.to_string()
            } else {
                format!("{stem} ({n}){ext}")
            };
            let candidate = Name::parse(&candidate)?;
            if self
                .db
                .child(who.tenant_id(), folder.id, candidate.as_str())
                .await?
                .is_none()
            {
                return Ok(candidate);
            }
        }
        Err(ServiceError::NameConflict(format!(
            "no free name for {name} in {parent}"
        )))
    }

    /// Janitor: removes expired uploads and their pieces; returns how many.
    pub(crate) async fn expire_uploads(&self) -> Result<usize> {
        let mut removed = 0;
        loop {
            let ids = self.db.expired_uploads(self.now(), 200).await?;
            if ids.is_empty() {
                return Ok(removed);
            }
            let n = ids.len();
            for id in ids {
                self.drop_upload(&id).await?;
                removed += 1;
            }
            if n < 200 {
                return Ok(removed);
            }
        }
    }
}
