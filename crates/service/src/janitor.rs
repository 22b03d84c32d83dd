//! Cleanup that runs at start-up and periodically on every node: leftovers of
//! killed uploads, blobs whose metadata is gone, expired trash and sessions,
//! expired resumable uploads (rows and stored pieces) and ZIP tickets.

use crate::{Result, Service};
use futures_util::StreamExt;
use std::collections::HashSet;
use std::sync::atomic::Ordering;

/// Keys checked against the database per query.
const BATCH: usize = 500;

/// What one janitor pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JanitorReport {
    pub staging_removed: usize,
    pub queued_blobs_deleted: usize,
    pub orphan_blobs_deleted: usize,
    pub trash_items_purged: usize,
    pub sessions_expired: u64,
    /// Unfinished resumable uploads past their expiry, removed with their pieces.
    pub uploads_expired: usize,
    /// Thumbnail jobs queued at start-up for files stored without one.
    pub thumbnails_queued: u64,
}

impl Service {
    /// One pass. `startup` also removes local staging files (no upload of this
    /// node can be in flight before it serves).
    pub async fn janitor_pass(&self, startup: bool) -> Result<JanitorReport> {
        let mut r = JanitorReport::default();
        if startup {
            r.staging_removed = self.blobs.remove_local_staging()?;
            // Files stored before thumbnails existed (or whose job was lost).
            r.thumbnails_queued = self.enqueue_missing_thumbnails().await?;
        }
        let now = self.now();
        r.sessions_expired = self.db.delete_expired_sessions(now).await?;
        r.uploads_expired = self.expire_uploads().await?;
        self.db.delete_expired_zip_tickets(now).await?;
        // Trash past its tenant's retention.
        loop {
            let expired = self.db.expired_trash(now, 200).await?;
            if expired.is_empty() {
                break;
            }
            for (tenant_id, node_id) in expired {
                let purged = match self.db.purge_node(tenant_id, node_id, now).await {
                    Ok(p) => p,
                    // Already gone: purged with a trashed folder above it
                    // earlier in this pass, or by another node's janitor.
                    Err(kura_db::DbError::NotFound) => continue,
                    Err(e) => return Err(e.into()),
                };
                self.delete_blobs(&purged.blobs).await;
                self.db
                    .audit(
                        Some(tenant_id),
                        None,
                        "trash.expire",
                        Some(&node_id.to_string()),
                        Some(&purged.bytes.to_string()),
                        None,
                        now,
                    )
                    .await?;
                r.trash_items_purged += 1;
            }
        }
        // Blobs queued by committed deletions whose removal did not finish.
        loop {
            let queued = self.db.pending_blob_deletions(BATCH as i64).await?;
            if queued.is_empty() {
                break;
            }
            let n = queued.len();
            for (key, _) in &queued {
                self.blobs.delete(key).await?;
                self.db.blob_deleted(key).await?;
            }
            r.queued_blobs_deleted += n;
            if n < BATCH {
                break;
            }
        }
        // Listing the whole store is costly at millions of blobs, and an orphan
        // cannot be removed before its grace period anyway: sweep at start-up
        // and then once per grace period (at least every 10 minutes apart).
        let every = self.cfg.orphan_grace_ms.max(600_000);
        let last = self.last_orphan_sweep.load(Ordering::Acquire);
        if startup || now.saturating_sub(last) >= every {
            self.last_orphan_sweep.store(now, Ordering::Release);
            r.orphan_blobs_deleted = self.sweep_orphans(now).await?;
        }
        Ok(r)
    }

    /// Deletes blobs no version references, and resumable-upload pieces no
    /// upload records, older than the grace period (a younger one may be an
    /// upload about to commit on some node). The store is listed page by
    /// page; the database is asked once per page.
    async fn sweep_orphans(&self, now: i64) -> Result<usize> {
        let mut pages = self.blobs.list("t").chunks(BATCH);
        let mut removed = 0;
        while let Some(page) = pages.next().await {
            let mut old = Vec::with_capacity(page.len());
            let mut old_parts = Vec::new();
            let mut old_derived = Vec::new();
            for item in page {
                let (k, modified) = item?;
                if now - modified < self.cfg.orphan_grace_ms {
                    continue;
                }
                // File blobs (`/b/`) are referenced by versions, derived
                // ones (`/d/`, thumbnails) by thumbnail records, upload
                // pieces (`/u/`) by unfinished uploads.
                if k.contains("/b/") {
                    old.push(k);
                } else if k.contains("/d/") {
                    old_derived.push(k);
                } else if k.contains("/u/") {
                    old_parts.push(k);
                }
            }
            let mut referenced: HashSet<String> =
                self.db.referenced_blobs(&old).await?.into_iter().collect();
            referenced.extend(self.db.referenced_upload_parts(&old_parts).await?);
            referenced.extend(self.db.referenced_derived_blobs(&old_derived).await?);
            old.extend(old_parts);
            old.extend(old_derived);
            for k in old.iter().filter(|k| !referenced.contains(*k)) {
                tracing::info!(key = %k, "removing an orphaned blob");
                self.blobs.delete(k).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
