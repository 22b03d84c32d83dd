//! Appending bytes to a resumable upload (tus PATCH). The body is cut into
//! pieces of at most `PIECE_MAX` bytes, each stored as its own object under
//! the tenant's prefix (`t/<tenant>/u/<upload>/<uuid>`), so memory per request
//! stays bounded. Without a checksum, each piece is recorded (and the offset
//! advanced by compare-and-set) as soon as it is stored, and a body that
//! breaks off still keeps what arrived: the client resumes from the offset
//! HEAD reports. With a checksum, the pieces count only once the whole body
//! matches it; on a mismatch they are deleted and the offset stays.

use crate::identity::Identity;
use crate::uploads::{Checksum, PatchOutcome};
use crate::{Result, Service, ServiceError};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use kura_db::{UploadPart, UploadRow};

/// Bytes held in memory before they are stored as one piece.
const PIECE_MAX: usize = 8 << 20;

/// A running digest of the body, for Upload-Checksum.
enum Hasher {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    fn new(c: &Checksum) -> Self {
        match c {
            Checksum::Sha1(_) => Self::Sha1(<sha1::Sha1 as sha1::Digest>::new()),
            Checksum::Sha256(_) => Self::Sha256(<sha2::Sha256 as sha2::Digest>::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha1(h) => sha1::Digest::update(h, data),
            Self::Sha256(h) => sha2::Digest::update(h, data),
        }
    }

    fn matches(self, c: &Checksum) -> bool {
        match (self, c) {
            (Self::Sha1(h), Checksum::Sha1(want)) => {
                let got: &[u8] = &sha1::Digest::finalize(h);
                got == want.as_slice()
            }
            (Self::Sha256(h), Checksum::Sha256(want)) => {
                let got: &[u8] = &sha2::Digest::finalize(h);
                got == want.as_slice()
            }
            _ => false,
        }
    }
}

/// Where a PATCH stands while its body streams in.
struct Progress<'a> {
    row: &'a UploadRow,
    /// The offset recorded in the database.
    at: i64,
    /// Pieces stored but not yet recorded (checksum mode).
    pending: Vec<UploadPart>,
    /// Bytes received and not yet stored.
    buf: Vec<Bytes>,
    buf_len: usize,
    /// True: record pieces only at the end (a checksum must match first).
    hold: bool,
    expires_at: i64,
}

impl Service {
    /// Appends `body` at `offset` (which must be the upload's offset), and
    /// commits the file once the last byte is stored.
    pub async fn patch_upload<S, E>(
        &self,
        who: &Identity,
        id: &str,
        offset: u64,
        checksum: Option<Checksum>,
        content_length: Option<u64>,
        body: S,
    ) -> Result<PatchOutcome>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        who.require_write()?;
        let row = self.own_upload(who, id).await?;
        let current = u64::try_from(row.upload_offset).unwrap_or_default();
        if offset != current {
            return Err(ServiceError::OffsetMismatch { expected: current });
        }
        let length = u64::try_from(row.length).unwrap_or_default();
        let remaining = length - current.min(length);
        let too_long = || {
            ServiceError::InvalidInput(format!(
                "the body goes past Upload-Length: {remaining} bytes remain to be sent"
            ))
        };
        if content_length.is_some_and(|l| l > remaining) {
            return Err(too_long());
        }
        let mut p = Progress {
            row: &row,
            at: row.upload_offset,
            pending: Vec::new(),
            buf: Vec::new(),
            buf_len: 0,
            hold: checksum.is_some(),
            expires_at: row.expires_at,
        };
        let mut hasher = checksum.as_ref().map(Hasher::new);
        let mut received = 0u64;
        let mut failure = None;
        let mut body = std::pin::pin!(body);
        while let Some(item) = body.next().await {
            let chunk = match item {
                Ok(c) => c,
                Err(e) => {
                    failure = Some(ServiceError::UploadAborted(e.to_string()));
                    break;
                }
            };
            if received + chunk.len() as u64 > remaining {
                failure = Some(too_long());
                break;
            }
            received += chunk.len() as u64;
            if let Some(h) = hasher.as_mut() {
                h.update(&chunk);
            }
            p.buf_len += chunk.len();
            p.buf.push(chunk);
            if p.buf_len >= PIECE_MAX
                && let Err(e) = self.store_piece(&mut p).await
            {
                self.discard(&mut p).await;
                return Err(e);
            }
        }
        if let Some(e) = failure {
            // A body that broke off keeps what arrived, unless a checksum
            // must vouch for the whole of it.
            if p.hold {
                self.discard(&mut p).await;
            } else if let Err(e2) = self.store_piece(&mut p).await {
                tracing::warn!(error = %e2, upload = %row.id, "could not keep the bytes of an interrupted PATCH");
            }
            return Err(e);
        }
        if let Err(e) = self.store_piece(&mut p).await {
            self.discard(&mut p).await;
            return Err(e);
        }
        if p.hold {
            let (Some(h), Some(c)) = (hasher, checksum.as_ref()) else {
                return Err(ServiceError::Internal("checksum state lost".into()));
            };
            if !h.matches(c) {
                self.discard(&mut p).await;
                return Err(ServiceError::ChecksumMismatch);
            }
            self.record(&mut p).await?;
        }
        let mut outcome = PatchOutcome {
            offset: u64::try_from(p.at).unwrap_or_default(),
            expires_at: p.expires_at,
            committed: None,
        };
        if p.at == row.length {
            outcome.committed = self.finish_upload(who, &row).await?;
        }
        Ok(outcome)
    }

    /// Stores the buffered bytes as one piece (and records it, unless held).
    async fn store_piece(&self, p: &mut Progress<'_>) -> Result<()> {
        if p.buf.is_empty() {
            return Ok(());
        }
        let key = format!(
            "t/{}/u/{}/{}",
            p.row.tenant_id,
            p.row.id,
            uuid::Uuid::now_v7().simple()
        );
        let chunks = std::mem::take(&mut p.buf);
        p.buf_len = 0;
        let size = self.blobs.put_bytes(&key, chunks).await?;
        let offset = p.at + p.pending.iter().map(|x| x.size).sum::<i64>();
        p.pending.push(UploadPart {
            part_offset: offset,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            blob_key: key,
        });
        if p.hold {
            return Ok(());
        }
        self.record(p).await
    }

    /// Records the pending pieces if the upload's offset is still ours.
    async fn record(&self, p: &mut Progress<'_>) -> Result<()> {
        if p.pending.is_empty() {
            return Ok(());
        }
        let expires_at = self.now() + self.cfg.upload_expiry_ms;
        let ok = self
            .db
            .advance_upload(&p.row.id, p.at, &p.pending, expires_at)
            .await?;
        if !ok {
            // Another request appended first: ours must not count.
            self.discard(p).await;
            let now = self
                .db
                .upload(p.row.tenant_id, p.row.user_id, &p.row.id)
                .await?
                .map(|r| u64::try_from(r.upload_offset).unwrap_or_default());
            return Err(match now {
                Some(expected) => ServiceError::OffsetMismatch { expected },
                None => ServiceError::NotFound(format!("upload {}", p.row.id)),
            });
        }
        p.at += p.pending.iter().map(|x| x.size).sum::<i64>();
        p.expires_at = expires_at;
        p.pending.clear();
        Ok(())
    }

    /// Deletes stored pieces that were not recorded.
    async fn discard(&self, p: &mut Progress<'_>) {
        p.buf.clear();
        p.buf_len = 0;
        for part in p.pending.drain(..) {
            if let Err(e) = self.blobs.delete(&part.blob_key).await {
                tracing::warn!(error = %e, key = %part.blob_key, "could not delete an unrecorded upload piece");
            }
        }
    }
}
