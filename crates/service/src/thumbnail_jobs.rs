//! The thumbnail worker: takes thumbnail jobs from the queue (any node may),
//! reads the version's bytes (bounded), renders off the async runtime under a
//! timeout, stores the result as derived blobs and records it. Never on the
//! request path: an upload only queues the job, in its commit transaction.

use crate::thumbnail_render::{self, DecodeLimits, Made};
use crate::{Result, Service, ThumbnailConfig};
use bytes::Bytes;
use futures_util::StreamExt;
use kura_core::ScanStatus;
use kura_core::thumbnail::{SMALL, Source};
use kura_db::{JOB_THUMBNAIL, Job, ThumbnailRow};
use kura_storage::BlobStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// Claims of one job before it is recorded as failed without another try (a
/// file that crashes or stalls the worker every time must not block the queue).
const MAX_ATTEMPTS: i64 = 3;
/// Wait before retrying a job that failed for a passing reason (store down).
const RETRY_MS: i64 = 60_000;

/// What the thumbnail workers of this node share.
pub(crate) struct ThumbnailRuntime {
    pub cfg: ThumbnailConfig,
    /// Woken by this node's uploads that queued a job.
    pub wake: Notify,
    /// One permit per worker, held by a decode until it really ends: a decode
    /// that timed out still runs on its thread, and still counts.
    pub slots: Arc<Semaphore>,
    /// The PDF renderer, if installed.
    pub pdf_renderer: Option<thumbnail_render::PdfRenderer>,
}

impl ThumbnailRuntime {
    pub fn new(cfg: ThumbnailConfig) -> Self {
        let slots = Arc::new(Semaphore::new(cfg.workers.max(1) as usize));
        let pdf_renderer = cfg
            .pdf_renderer_path()
            .map(|renderer| thumbnail_render::PdfRenderer {
                renderer,
                prlimit: crate::thumbnail_config::find_program("prlimit"),
                max_memory: cfg.max_memory_mb.saturating_mul(1 << 20),
            });
        Self {
            cfg,
            wake: Notify::new(),
            slots,
            pdf_renderer,
        }
    }

    fn limits(&self) -> DecodeLimits {
        DecodeLimits {
            max_dimension: self.cfg.max_dimension.max(1),
            max_pixels: self.cfg.max_megapixels.saturating_mul(1_000_000),
            max_alloc: self.cfg.max_memory_mb.saturating_mul(1 << 20),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.cfg.timeout_seconds.max(1))
    }

    /// Longer than a job can take, so a live worker never loses its lease.
    fn lease_ms(&self) -> i64 {
        i64::try_from(self.cfg.timeout_seconds.saturating_mul(2000)).unwrap_or(i64::MAX / 4)
            + 120_000
    }
}

/// A record of one size with no blob.
fn row(version_id: i64, size: u32, status: &str, detail: Option<String>) -> ThumbnailRow {
    ThumbnailRow {
        version_id,
        size: i64::from(size),
        status: status.into(),
        blob_key: None,
        content_type: None,
        width: None,
        height: None,
        bytes: None,
        detail,
    }
}

/// How one job ended.
enum Outcome {
    /// Renditions to record.
    Done(Vec<Made>),
    /// Nothing can be shown: recorded with this status and reason.
    No(&'static str, String),
}

impl Service {
    /// Starts this node's thumbnail workers (none when `[thumbnails] enabled`
    /// is off). They stop when the database is closed.
    pub fn start_thumbnail_workers(&self) -> Vec<tokio::task::JoinHandle<()>> {
        if !self.thumbs.cfg.enabled {
            return Vec::new();
        }
        if self.thumbs.pdf_renderer.is_none() {
            tracing::info!(
                renderer = %self.thumbs.cfg.pdf_renderer,
                "no PDF renderer found: PDFs get an icon instead of a thumbnail (install poppler-utils)"
            );
        }
        (0..self.thumbs.cfg.workers.max(1))
            .map(|_| {
                let svc = self.clone();
                tokio::spawn(async move { svc.thumbnail_worker().await })
            })
            .collect()
    }

    async fn thumbnail_worker(self) {
        let idle = Duration::from_secs(self.thumbs.cfg.poll_seconds.max(1));
        loop {
            if self.db.is_closed() {
                return;
            }
            match self.run_one_thumbnail_job().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    if self.db.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "thumbnail worker: the queue is not reachable");
                }
            }
            tokio::select! {
                () = self.thumbs.wake.notified() => {}
                () = tokio::time::sleep(idle) => {}
            }
        }
    }

    /// Wakes a worker of this node (after a commit that queued a job).
    pub(crate) fn thumbnail_queued(&self) {
        self.thumbs.wake.notify_one();
    }

    /// Queues thumbnail jobs for files stored before thumbnails existed (a
    /// batch per call; the janitor calls it at start-up).
    pub(crate) async fn enqueue_missing_thumbnails(&self) -> Result<u64> {
        let n = self
            .db
            .enqueue_missing_thumbnails(kura_core::thumbnail::CONTENT_TYPES, self.now(), 10_000)
            .await?;
        if n > 0 {
            self.thumbnail_queued();
        }
        Ok(n)
    }

    /// Claims and runs one due job; false when none is due.
    pub async fn run_one_thumbnail_job(&self) -> Result<bool> {
        let now = self.now();
        let Some(job) = self
            .db
            .claim_job(JOB_THUMBNAIL, now, self.thumbs.lease_ms())
            .await?
        else {
            return Ok(false);
        };
        let outcome = if job.attempts > MAX_ATTEMPTS {
            Ok(Outcome::No(
                "failed",
                format!("gave up after {} attempts", job.attempts - 1),
            ))
        } else {
            self.make_thumbnails(&job).await
        };
        match outcome {
            Ok(o) => self.record_thumbnails(&job, o).await?,
            Err(e) => {
                tracing::warn!(error = %e, version = job.version_id, attempt = job.attempts, "thumbnail job will be retried");
                self.db
                    .retry_job(job.id, self.now().saturating_add(RETRY_MS * job.attempts))
                    .await?;
            }
        }
        Ok(true)
    }

    /// Renders a job's version. An `Err` is a passing failure (retried);
    /// a file that cannot be shown is an `Ok(Outcome::No)`.
    async fn make_thumbnails(&self, job: &Job) -> Result<Outcome> {
        let version = match self.db.version(job.tenant_id, job.version_id).await {
            Ok(v) => v,
            Err(kura_db::DbError::NotFound) => return Ok(Outcome::Done(Vec::new())),
            Err(e) => return Err(e.into()),
        };
        if version.scan_status == ScanStatus::Quarantined {
            return Ok(Outcome::No("unsupported", "quarantined".into()));
        }
        let node = self.db.node(job.tenant_id, version.node_id).await?;
        let Some(source) = kura_core::thumbnail::source_of(node.content_type.as_deref()) else {
            return Ok(Outcome::No("unsupported", "not an image or PDF".into()));
        };
        if source == Source::Pdf && self.thumbs.pdf_renderer.is_none() {
            return Ok(Outcome::No("unsupported", "no PDF renderer".into()));
        }
        let max = self.thumbs.cfg.max_source_mb.saturating_mul(1 << 20);
        let size = u64::try_from(version.size).unwrap_or(u64::MAX);
        if size > max {
            return Ok(Outcome::No(
                "unsupported",
                format!("larger than {} MB", self.thumbs.cfg.max_source_mb),
            ));
        }
        // Whole in memory, but never more than the limit (the stored size is
        // checked above; the stream is counted too).
        let mut body = self.blobs.get(&version.blob_key, None).await?;
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(kura_storage::StorageError::from)?;
            if (buf.len() + chunk.len()) as u64 > max {
                return Ok(Outcome::No("unsupported", "larger than the limit".into()));
            }
            buf.extend_from_slice(&chunk);
        }
        let bytes = Bytes::from(buf);
        let timeout = self.thumbs.timeout();
        let made = match (source, &self.thumbs.pdf_renderer) {
            (Source::Pdf, Some(renderer)) => {
                let _slot = self.thumbs.slots.clone().acquire_owned().await;
                thumbnail_render::render_pdf(renderer, bytes, timeout)
                    .await
                    .map(|m| vec![m])
            }
            (Source::Pdf, None) => return Ok(Outcome::No("unsupported", "no PDF renderer".into())),
            (Source::Image, _) => {
                let slot = self.thumbs.slots.clone().acquire_owned().await;
                let limits = self.thumbs.limits();
                let task = tokio::task::spawn_blocking(move || {
                    let _slot = slot;
                    thumbnail_render::render_image(&bytes, limits)
                });
                match tokio::time::timeout(timeout, task).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => Err(format!("the decoder stopped: {e}")),
                    Err(_) => Err("timed out".into()),
                }
            }
        };
        Ok(match made {
            Ok(m) => Outcome::Done(m),
            Err(why) => {
                tracing::info!(version = job.version_id, why, "no thumbnail");
                Outcome::No("failed", why)
            }
        })
    }

    /// Stores the renditions as derived blobs and records them (and ends the
    /// job) in one transaction; blobs the record did not take are deleted.
    async fn record_thumbnails(&self, job: &Job, outcome: Outcome) -> Result<()> {
        let made = match outcome {
            Outcome::Done(m) => m,
            Outcome::No(status, why) => {
                let rows = [row(job.version_id, SMALL, status, Some(why))];
                self.db
                    .finish_thumbnail_job(job.id, job.tenant_id, &rows, self.now())
                    .await?;
                return Ok(());
            }
        };
        let mut rows = Vec::with_capacity(made.len());
        let mut stored = Vec::new();
        for m in made {
            rows.push(match m {
                Made::Image {
                    size,
                    bytes,
                    content_type,
                    width,
                    height,
                } => {
                    let key = BlobStore::new_derived_key(job.tenant_id);
                    let len = bytes.len();
                    let body = futures_util::stream::once(async move {
                        Ok::<_, std::convert::Infallible>(Bytes::from(bytes))
                    });
                    if let Err(e) = self.blobs.put_stream(&key, body).await {
                        self.delete_derived(&stored).await;
                        return Err(e.into());
                    }
                    stored.push(key.clone());
                    ThumbnailRow {
                        version_id: job.version_id,
                        size: i64::from(size),
                        status: "ok".into(),
                        blob_key: Some(key),
                        content_type: Some(content_type.into()),
                        width: Some(i64::from(width)),
                        height: Some(i64::from(height)),
                        bytes: i64::try_from(len).ok(),
                        detail: None,
                    }
                }
                Made::Original {
                    size,
                    width,
                    height,
                } => ThumbnailRow {
                    width: Some(i64::from(width)),
                    height: Some(i64::from(height)),
                    ..row(job.version_id, size, "original", None)
                },
                Made::Unsupported { size, detail } => {
                    row(job.version_id, size, "unsupported", Some(detail))
                }
            });
        }
        match self
            .db
            .finish_thumbnail_job(job.id, job.tenant_id, &rows, self.now())
            .await
        {
            Ok(unused) => {
                self.delete_derived(&unused).await;
                Ok(())
            }
            Err(e) => {
                self.delete_derived(&stored).await;
                Err(e.into())
            }
        }
    }

    /// Deletes derived blobs no record refers to (the orphan sweep catches
    /// any this misses).
    async fn delete_derived(&self, keys: &[String]) {
        for k in keys {
            if let Err(e) = self.blobs.delete(k).await {
                tracing::warn!(error = %e, "could not delete an unused thumbnail; the janitor will");
            }
        }
    }
}
