//! Rescanning stored files with the scanner's current signatures. A version a
//! new signature matches is quarantined (kept, but not downloadable, not
//! copyable, shown as quarantined, audited), never deleted.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use futures_util::StreamExt;
use kura_core::{ScanStatus, Timestamp};
use kura_db::{NewDetection, RescanItem};
use kura_scan::{Scanner, Verdict};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Which stored versions to rescan.
#[derive(Debug, Clone, Default)]
pub struct RescanOptions {
    /// One tenant's code, or every tenant.
    pub tenant: Option<String>,
    /// Only versions stored at or after this time (ms since the epoch).
    pub since: Option<Timestamp>,
}

/// What a rescan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RescanReport {
    pub scanned: u64,
    pub clean: u64,
    pub quarantined: u64,
    /// Longer than the scanner accepts: left as they were.
    pub skipped_too_large: u64,
    /// Bytes missing or unreadable (logged).
    pub failed: u64,
}

/// Versions read per batch.
const BATCH: i64 = 200;

enum One {
    Clean,
    Quarantined,
    TooLarge,
    Failed,
}

impl Service {
    /// Rescans stored versions (operator only). Stops at the first scanner
    /// outage: nothing is marked clean without a verdict.
    pub async fn rescan(&self, who: &Identity, opts: &RescanOptions) -> Result<RescanReport> {
        who.require_operator()?;
        let scanner = self.scanner().ok_or_else(|| {
            ServiceError::InvalidInput(
                "virus scanning is disabled in the configuration; there is nothing to rescan with"
                    .into(),
            )
        })?;
        let tenant_id = match &opts.tenant {
            Some(code) => Some(self.db.tenant_by_code(code).await?.id),
            None => None,
        };
        let parallel = 4;
        let mut report = RescanReport::default();
        let mut after = 0i64;
        loop {
            let batch = self
                .db
                .rescan_batch(tenant_id, opts.since, after, BATCH)
                .await?;
            let Some(last) = batch.last() else { break };
            after = last.version_id;
            let results: Vec<Result<One>> = futures_util::stream::iter(batch)
                .map(|item| self.rescan_one(scanner.clone(), item))
                .buffer_unordered(parallel)
                .collect()
                .await;
            for r in results {
                report.scanned += 1;
                match r? {
                    One::Clean => report.clean += 1,
                    One::Quarantined => report.quarantined += 1,
                    One::TooLarge => report.skipped_too_large += 1,
                    One::Failed => report.failed += 1,
                }
            }
        }
        tracing::info!(?report, "rescan finished");
        Ok(report)
    }

    async fn rescan_one(&self, scanner: Arc<dyn Scanner>, item: RescanItem) -> Result<One> {
        if u64::try_from(item.size).unwrap_or(u64::MAX) > scanner.stream_max_length() {
            return Ok(One::TooLarge);
        }
        let mut body = match self.blobs.get(&item.blob_key, None).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, version = item.version_id, "rescan: cannot read the stored bytes");
                return Ok(One::Failed);
            }
        };
        let (tx, rx) = mpsc::channel(8);
        let feed = async move {
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(c) => {
                        if tx.send(c).await.is_err() {
                            return true;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "rescan: reading stored bytes failed");
                        return false;
                    }
                }
            }
            true
        };
        let (read_ok, verdict) = tokio::join!(feed, scanner.scan(rx));
        let verdict = verdict.map_err(|e| ServiceError::ScannerUnavailable(e.to_string()))?;
        if !read_ok {
            return Ok(One::Failed);
        }
        let engine = self.engine_version().await;
        let now = self.now();
        match verdict {
            Verdict::Clean => {
                self.db
                    .set_scan_result(
                        item.version_id,
                        ScanStatus::Clean,
                        engine.as_deref(),
                        now,
                        None,
                    )
                    .await?;
                Ok(One::Clean)
            }
            Verdict::LimitExceeded(_) => Ok(One::TooLarge),
            Verdict::Infected(sig) => {
                let node = self.db.node(item.tenant_id, item.node_id).await?;
                let path = self.path_of(item.tenant_id, &node).await?;
                self.db
                    .quarantine_version(&NewDetection {
                        tenant_id: item.tenant_id,
                        user_id: None,
                        ip: None,
                        path: &path,
                        signature: &sig,
                        source: "rescan",
                        version_id: Some(item.version_id),
                        engine: engine.as_deref(),
                        now,
                    })
                    .await?;
                tracing::warn!(tenant = item.tenant_id, path, signature = %sig, version = item.version_id, "rescan quarantined a stored file");
                Ok(One::Quarantined)
            }
        }
    }
}
