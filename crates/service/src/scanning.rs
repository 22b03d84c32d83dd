//! Virus scanning in the upload path: the body goes to the blob store and to
//! the scanner at the same time, and the caller commits only on a clean
//! verdict. Also the scanner's status for `/readyz` and the admin API, and
//! the list of detections.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use kura_core::OversizePolicy;
use kura_db::{Detection, NewDetection};
use kura_scan::{ScanError, Scanner, Verdict};
use kura_storage::StorageError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Whether uploads are scanned. The default is `Disabled` only so that unit
/// tests and tools need no scanner; `kura serve` always chooses from the
/// configuration, whose default is required scanning.
#[derive(Clone, Default)]
pub enum Scanning {
    #[default]
    Disabled,
    Required(Arc<dyn Scanner>),
}

/// The scanner as reported by `/readyz` and `GET /api/v1/admin/scanner`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScannerStatus {
    /// `required` or `disabled`.
    pub mode: &'static str,
    /// `ok`, `unavailable` or `disabled`.
    pub state: &'static str,
    /// Where the scanner is (`clamd at tcp://...`).
    pub scanner: Option<String>,
    /// Engine and signature version.
    pub engine: Option<String>,
    /// The longest file it can scan, in bytes.
    pub stream_max_length: Option<u64>,
    pub error: Option<String>,
}

/// How long a looked-up engine version is reused (signatures change daily).
const ENGINE_TTL: Duration = Duration::from_secs(60);
/// Chunks in flight towards the store and towards the scanner, each.
const CHANNEL_DEPTH: usize = 8;

/// How far the body got towards the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fed {
    /// Every byte went to the scanner (or scanning is disabled).
    All,
    /// Longer than the scanner's limit; the tenant refuses such files.
    OverLimitRefused,
    /// Longer than the limit; only the first `limit` bytes were scanned.
    OverLimitAccepted,
    /// The scanner gave up while bytes were still coming.
    ScannerGone,
}

/// The result of storing and scanning one body.
pub(crate) struct StoredAndScanned {
    pub stored: std::result::Result<u64, StorageError>,
    pub fed: Fed,
    /// `None` when scanning is disabled.
    pub verdict: Option<std::result::Result<Verdict, ScanError>>,
}

/// What the upload path decided from the verdict.
pub(crate) enum ScanDecision {
    Clean { engine: Option<String> },
    Unscanned { reason: String },
}

impl Service {
    /// Chooses the scanner (`kura serve` calls this once, from the config).
    pub fn with_scanning(mut self, scanning: Scanning) -> Self {
        self.scanning = scanning;
        self
    }

    /// The scanner, if scanning is required.
    pub(crate) fn scanner(&self) -> Option<Arc<dyn Scanner>> {
        match &self.scanning {
            Scanning::Disabled => None,
            Scanning::Required(s) => Some(s.clone()),
        }
    }

    /// True if uploads are stored without a scan (an explicit configuration choice).
    pub fn scanning_disabled(&self) -> bool {
        matches!(self.scanning, Scanning::Disabled)
    }

    /// Asks the scanner whether it answers, and its engine version.
    pub async fn scanner_status(&self) -> ScannerStatus {
        let Some(s) = self.scanner() else {
            return ScannerStatus {
                mode: "disabled",
                state: "disabled",
                scanner: None,
                engine: None,
                stream_max_length: None,
                error: Some(
                    "virus scanning is disabled in the configuration ([scan] mode = \"disabled\"); uploads are stored unscanned".into(),
                ),
            };
        };
        let (state, engine, error) = match s.ping().await {
            Ok(()) => ("ok", self.engine_version().await, None),
            Err(e) => ("unavailable", None, Some(e.to_string())),
        };
        ScannerStatus {
            mode: "required",
            state,
            scanner: Some(s.describe()),
            engine,
            stream_max_length: Some(s.stream_max_length()),
            error,
        }
    }

    /// The engine and signature version, looked up at most once a minute.
    pub(crate) async fn engine_version(&self) -> Option<String> {
        let s = self.scanner()?;
        if let Ok(g) = self.engine_cache.lock()
            && let Some((at, v)) = g.as_ref()
            && at.elapsed() < ENGINE_TTL
        {
            return Some(v.clone());
        }
        let v = s.version().await.ok()?;
        if let Ok(mut g) = self.engine_cache.lock() {
            *g = Some((Instant::now(), v.clone()));
        }
        Some(v)
    }

    /// Streams `body` into the blob store under `key` and, when scanning is
    /// required, into the scanner at the same time. Neither waits for the
    /// other beyond a few chunks, so the pair runs at the slower one's pace.
    pub(crate) async fn store_and_scan<S>(
        &self,
        key: &str,
        body: S,
        oversize: OversizePolicy,
        drain_max: u64,
    ) -> StoredAndScanned
    where
        S: Stream<Item = std::result::Result<Bytes, String>> + Send,
    {
        let Some(scanner) = self.scanner() else {
            return StoredAndScanned {
                stored: self.blobs.put_stream(key, body).await,
                fed: Fed::All,
                verdict: None,
            };
        };
        let limit = scanner.stream_max_length();
        let (scan_tx, scan_rx) = mpsc::channel::<Bytes>(CHANNEL_DEPTH);
        let (store_tx, store_rx) =
            mpsc::channel::<std::result::Result<Bytes, String>>(CHANNEL_DEPTH);
        let scanner_at_limit = AtomicBool::new(false);
        let scanner_at_limit = &scanner_at_limit;
        let feed = async move {
            let mut body = std::pin::pin!(body);
            let mut scan_tx = Some(scan_tx);
            let mut sent = 0u64;
            let mut fed = Fed::All;
            while let Some(item) = body.next().await {
                let chunk = match item {
                    Ok(c) => c,
                    Err(e) => {
                        store_tx.send(Err(e)).await.ok();
                        return fed;
                    }
                };
                if let Some(tx) = &scan_tx {
                    let len = chunk.len() as u64;
                    if sent + len > limit {
                        match oversize {
                            OversizePolicy::Refuse => {
                                store_tx.send(Err("over the scan limit".into())).await.ok();
                                drain(body, drain_max).await;
                                return Fed::OverLimitRefused;
                            }
                            OversizePolicy::AcceptUnscanned => {
                                // Closing the channel ends the scanner's
                                // stream: it judges the first part only.
                                scan_tx = None;
                                fed = Fed::OverLimitAccepted;
                            }
                        }
                    } else if tx.send(chunk.clone()).await.is_err() {
                        // The scanner stopped reading. If it stopped at its
                        // own size limit, that is the oversize case.
                        let at_limit = scanner_at_limit.load(Ordering::SeqCst);
                        match (at_limit, oversize) {
                            (true, OversizePolicy::AcceptUnscanned) => {
                                scan_tx = None;
                                fed = Fed::OverLimitAccepted;
                            }
                            (true, OversizePolicy::Refuse) => {
                                store_tx.send(Err("over the scan limit".into())).await.ok();
                                drain(body, drain_max).await;
                                return Fed::OverLimitRefused;
                            }
                            (false, _) => {
                                store_tx
                                    .send(Err("the virus scan failed".into()))
                                    .await
                                    .ok();
                                drain(body, drain_max).await;
                                return Fed::ScannerGone;
                            }
                        }
                    } else {
                        sent += len;
                    }
                }
                if store_tx.send(Ok(chunk)).await.is_err() {
                    return fed;
                }
            }
            fed
        };
        let store = self.blobs.put_stream(key, tokio_stream_from(store_rx));
        // Set in the same poll in which the scanner drops its receiver, so the
        // feed sees it as soon as its send fails.
        let scan = async {
            let v = scanner.scan(scan_rx).await;
            if matches!(v, Ok(Verdict::LimitExceeded(_))) {
                scanner_at_limit.store(true, Ordering::SeqCst);
            }
            v
        };
        let (fed, stored, verdict) = tokio::join!(feed, store, scan);
        StoredAndScanned {
            stored,
            fed,
            verdict: Some(verdict),
        }
    }

    /// Turns a finished scan into a decision, or the refusal to answer.
    /// On refusal the caller deletes the stored bytes.
    pub(crate) async fn judge_scan(
        &self,
        who: &Identity,
        path: &str,
        fed: Fed,
        verdict: Option<std::result::Result<Verdict, ScanError>>,
    ) -> Result<ScanDecision> {
        let Some(verdict) = verdict else {
            return Ok(ScanDecision::Unscanned {
                reason: "virus scanning is disabled".into(),
            });
        };
        let limit = self
            .scanner()
            .map(|s| s.stream_max_length())
            .unwrap_or_default();
        match verdict {
            Err(e) => {
                tracing::warn!(error = %e, path, "upload refused: the virus scanner did not answer");
                Err(ServiceError::ScannerUnavailable(e.to_string()))
            }
            Ok(Verdict::Infected(sig)) => {
                let engine = self.engine_version().await;
                let detection = NewDetection {
                    tenant_id: who.tenant_id(),
                    user_id: (who.user.id != 0).then_some(who.user.id),
                    ip: who.ip.as_deref(),
                    path,
                    signature: &sig,
                    source: "upload",
                    version_id: None,
                    engine: engine.as_deref(),
                    now: self.now(),
                };
                if let Err(e) = self.db.record_detection(&detection).await {
                    tracing::error!(error = %e, path, signature = %sig, "could not record a virus detection");
                }
                tracing::warn!(tenant = %who.tenant.code, path, signature = %sig, "virus detected in an upload");
                Err(ServiceError::VirusDetected(sig))
            }
            Ok(Verdict::LimitExceeded(detail)) => {
                if detail.contains("size limit exceeded") {
                    // Kura sends at most its configured limit, so clamd's is lower.
                    tracing::warn!(
                        kura_limit = limit,
                        "clamd refused a stream below scan.stream_max_length: set it to clamd's StreamMaxLength (or point scan.clamd_conf at clamd.conf)"
                    );
                }
                self.oversize_decision(who, limit, detail)
            }
            Ok(Verdict::Clean) if fed == Fed::OverLimitAccepted => Ok(ScanDecision::Unscanned {
                reason: format!(
                    "larger than the scan limit of {limit} bytes; only the first {limit} bytes were scanned"
                ),
            }),
            Ok(Verdict::Clean) => Ok(ScanDecision::Clean {
                engine: self.engine_version().await,
            }),
        }
    }

    /// A scan stopped by a size limit: the tenant's oversize policy decides.
    fn oversize_decision(
        &self,
        who: &Identity,
        limit: u64,
        detail: String,
    ) -> Result<ScanDecision> {
        match who.tenant.scan_oversize {
            OversizePolicy::Refuse => Err(ServiceError::TooLargeToScan { limit }),
            OversizePolicy::AcceptUnscanned => Ok(ScanDecision::Unscanned {
                reason: format!("the scanner stopped at a size limit ({detail})"),
            }),
        }
    }

    /// Virus detections: the caller's tenant (tenant admin), or any or one
    /// tenant (operator), newest first.
    pub async fn detections(
        &self,
        who: &Identity,
        tenant_code: Option<&str>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Detection>> {
        who.require_tenant_admin()?;
        let tenant_id = if who.user.role == kura_core::Role::Operator {
            match tenant_code {
                Some(c) => Some(self.tenant(who, c).await?.id),
                None => None,
            }
        } else {
            Some(who.tenant_id())
        };
        Ok(self
            .db
            .detections(tenant_id, before_id, limit.clamp(1, 1000))
            .await?)
    }
}

/// Reads and drops the rest of a refused body (up to `max` bytes), so a
/// client still sending reads the refusal instead of a reset connection.
async fn drain<S>(mut body: std::pin::Pin<&mut S>, max: u64)
where
    S: Stream<Item = std::result::Result<Bytes, String>>,
{
    let mut seen = 0u64;
    while let Some(Ok(c)) = body.next().await {
        seen += c.len() as u64;
        if seen > max {
            break;
        }
    }
}

fn tokio_stream_from<T: Send + 'static>(mut rx: mpsc::Receiver<T>) -> impl Stream<Item = T> + Send {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// A stored version's scan result, carried over to a copy of its bytes
/// (copies and restored versions are the same bytes, judged the same).
pub(crate) fn carried_scan(v: &kura_core::Version) -> kura_db::ScanRecord<'_> {
    kura_db::ScanRecord {
        status: v.scan_status,
        engine: v.scan_engine.as_deref(),
        at: v.scanned_at,
        detail: v.scan_detail.as_deref(),
    }
}

/// Refuses to hand out or duplicate the bytes of a quarantined version.
pub fn refuse_quarantined(path: &str, v: &kura_core::Version) -> Result<()> {
    if v.scan_status == kura_core::ScanStatus::Quarantined {
        return Err(ServiceError::Quarantined(
            path.to_string(),
            v.scan_detail.clone().unwrap_or_else(|| "a virus".into()),
        ));
    }
    Ok(())
}
