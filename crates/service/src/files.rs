//! Uploading and downloading files. The upload path is the one every protocol
//! uses: permission, quota, (scan, later), store, commit, audit, in that order.

use crate::identity::Identity;
use crate::scanning::{Fed, ScanDecision};
use crate::{Result, Service, ServiceError};
use bytes::Bytes;
use futures_util::Stream;
use kura_core::{Node, NodeKind, NodePath, OversizePolicy, ScanStatus, Version};
use kura_db::{CommitFile, DbError, ScanRecord};
use kura_storage::{BlobReader, BlobStore};
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Options of an upload.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Create missing parent folders.
    pub parents: bool,
    /// Refuse if the file exists (`If-None-Match: *`).
    pub if_none_match_any: bool,
    /// Replace only if the current etag is this (`If-Match`).
    pub if_match: Option<String>,
    /// The declared body length, if any.
    pub content_length: Option<u64>,
    /// Attribute values to set (`X-Kura-Attributes`), checked before any
    /// byte is stored.
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The committed file.
#[derive(Debug, Clone)]
pub struct PutResult {
    pub node: Node,
    pub created: bool,
}

/// A file opened for download.
pub struct Download {
    pub node: Node,
    pub version: Version,
    /// The byte range served (`None` = whole file).
    pub range: Option<Range<u64>>,
    pub body: BlobReader,
}

/// Bytes of a refused body still read (and dropped) so the client sees the answer.
pub(crate) const DRAIN_MAX: u64 = 32 << 20;

/// Why the body stream was cut short by us (rather than by the client).
#[derive(Debug, Clone)]
enum Cut {
    Quota,
    TooLong,
}

impl Service {
    /// Stores `body` as the file at `path`: a new file, or a new version of it.
    pub async fn put_file<S, E>(
        &self,
        who: &Identity,
        path: &NodePath,
        body: S,
        opts: PutOptions,
    ) -> Result<PutResult>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        who.require_write()?;
        let (parent_path, name) = path
            .split_last()
            .ok_or_else(|| ServiceError::NotAFile("/".into()))?;
        // Missing parents (with `parents`) are created only once the bytes are
        // stored, so a refused or failed upload leaves no folders behind.
        let parent = match self.folder_at(who, &parent_path, false).await {
            Ok(p) => Some(p),
            Err(ServiceError::ParentNotFound(_)) if opts.parents => None,
            Err(e) => return Err(e),
        };
        // Refuse early what the commit would refuse, before any byte is read.
        // (Only when the request has preconditions: otherwise the commit
        // decides, and a refused commit deletes the stored bytes.)
        let has_preconditions = opts.if_none_match_any || opts.if_match.is_some();
        let existing = match &parent {
            Some(p) if has_preconditions => {
                self.db.child(who.tenant_id(), p.id, name.as_str()).await?
            }
            _ => None,
        };
        match &existing {
            Some(n) if n.kind == NodeKind::Folder => {
                return Err(ServiceError::NameConflict(format!("{path} is a folder")));
            }
            Some(_) if opts.if_none_match_any => {
                return Err(ServiceError::PreconditionFailed(path.to_string()));
            }
            None if opts.if_match.is_some() => {
                return Err(ServiceError::PreconditionFailed(path.to_string()));
            }
            Some(n)
                if opts
                    .if_match
                    .as_deref()
                    .is_some_and(|m| !kura_core::model::etag_matches(m, &n.etag)) =>
            {
                return Err(ServiceError::PreconditionFailed(path.to_string()));
            }
            _ => {}
        }
        // Attribute values are checked (and, for a new file, defaults and
        // required ones decided) before any byte is read.
        let exists = async {
            Ok(match (&existing, &parent) {
                (Some(_), _) => true,
                (None, Some(p)) if !has_preconditions => self
                    .db
                    .child(who.tenant_id(), p.id, name.as_str())
                    .await?
                    .is_some(),
                _ => false,
            })
        };
        let attributes = self
            .upload_attributes(who, path, opts.attributes.as_ref(), exists)
            .await?;
        // The tenant as read with the caller's credentials a moment ago; the
        // commit re-checks the capacity atomically.
        let tenant = &who.tenant;
        let available = (tenant.capacity_bytes - tenant.used_bytes).max(0);
        let quota_err = || ServiceError::QuotaExceeded {
            capacity: tenant.capacity_bytes,
            available,
        };
        if let Some(len) = opts.content_length
            && len > available as u64
        {
            return Err(quota_err());
        }
        // A declared length over the scanner's limit is refused before any
        // byte is read, if the tenant refuses unscanned files.
        let scan_limit = self.scanner().map(|s| s.stream_max_length());
        if let (Some(l), Some(len)) = (scan_limit, opts.content_length)
            && len > l
            && tenant.scan_oversize == OversizePolicy::Refuse
        {
            return Err(ServiceError::TooLargeToScan { limit: l });
        }
        // Count bytes as they pass and stop at the quota or the declared length.
        let limit = opts
            .content_length
            .unwrap_or(available as u64)
            .min(available as u64);
        let cut: Arc<Mutex<Option<Cut>>> = Arc::default();
        let mut seen = 0u64;
        let cut_w = cut.clone();
        let declared = opts.content_length;
        // After a cut the rest of the body is read and dropped (up to
        // DRAIN_MAX), so that clients still sending get to read the refusal
        // instead of a broken connection.
        let mut body = Box::pin(body);
        let mut drained = 0u64;
        let mut cut_now = false;
        let counted = futures_util::stream::poll_fn(move |cx| {
            use std::task::Poll;
            loop {
                let chunk = match body.as_mut().poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) if cut_now => {
                        return Poll::Ready(Some(Err("limit reached".to_string())));
                    }
                    Poll::Ready(None) => return Poll::Ready(None),
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.to_string()))),
                    Poll::Ready(Some(Ok(c))) => c,
                };
                seen += chunk.len() as u64;
                if cut_now {
                    drained += chunk.len() as u64;
                    if drained > DRAIN_MAX {
                        return Poll::Ready(Some(Err("limit reached".to_string())));
                    }
                    continue;
                }
                if seen > limit {
                    let why = if declared.is_some_and(|d| seen > d) {
                        Cut::TooLong
                    } else {
                        Cut::Quota
                    };
                    if let Ok(mut c) = cut_w.lock() {
                        *c = Some(why);
                    }
                    cut_now = true;
                    continue;
                }
                return Poll::Ready(Some(Ok(chunk)));
            }
        });
        let key = BlobStore::new_key(who.tenant_id());
        let path_text = path.to_string();
        let run = self
            .store_and_scan(&key, counted, tenant.scan_oversize, DRAIN_MAX)
            .await;
        let stored = match run.stored {
            Ok(n) => n,
            Err(e) => {
                let why = cut.lock().ok().and_then(|c| c.clone());
                return Err(match (why, run.fed) {
                    (Some(Cut::Quota), _) => quota_err(),
                    (Some(Cut::TooLong), _) => ServiceError::LengthMismatch {
                        declared: declared.unwrap_or_default(),
                        got: limit + 1,
                    },
                    (None, Fed::OverLimitRefused) => ServiceError::TooLargeToScan {
                        limit: scan_limit.unwrap_or_default(),
                    },
                    (None, Fed::ScannerGone) => match run.verdict {
                        Some(Err(e)) => ServiceError::ScannerUnavailable(e.to_string()),
                        _ => ServiceError::ScannerUnavailable("the scan broke off".into()),
                    },
                    (None, _) => e.into(),
                });
            }
        };
        // Committed only on a clean verdict (or as unscanned where the
        // configuration or the tenant's policy says so).
        let decision = match self.judge_scan(who, &path_text, run.fed, run.verdict).await {
            Ok(d) => d,
            Err(e) => {
                self.blobs.delete(&key).await.ok();
                return Err(e);
            }
        };
        if let Some(d) = declared
            && stored != d
        {
            self.blobs.delete(&key).await.ok();
            return Err(ServiceError::LengthMismatch {
                declared: d,
                got: stored,
            });
        }
        let parent = match parent {
            Some(p) => p,
            None => match self.folder_at(who, &parent_path, true).await {
                Ok(p) => p,
                Err(e) => {
                    self.blobs.delete(&key).await.ok();
                    return Err(e);
                }
            },
        };
        let size = i64::try_from(stored).map_err(|_| quota_err())?;
        let etag = Self::new_etag();
        let content_type = mime_guess::from_path(name.as_str()).first_raw();
        let scan_at = self.now();
        let scan = match &decision {
            ScanDecision::Clean { engine } => ScanRecord {
                status: ScanStatus::Clean,
                engine: engine.as_deref(),
                at: Some(scan_at),
                detail: None,
            },
            ScanDecision::Unscanned { reason } => ScanRecord {
                status: ScanStatus::Unscanned,
                engine: None,
                at: None,
                detail: Some(reason),
            },
        };
        // Attribute rows (and their audit) go into the same commit.
        let attr_write = async {
            let Some(a) = &attributes else {
                return Ok((Vec::new(), None));
            };
            let existing = match &existing {
                Some(n) => Some(n.id),
                None => self
                    .db
                    .child(who.tenant_id(), parent.id, name.as_str())
                    .await?
                    .map(|n| n.id),
            };
            self.upload_attribute_rows(existing, a).await
        };
        let (attr_rows, attr_audit) = match attr_write.await {
            Ok(r) => r,
            Err(e) => {
                self.blobs.delete(&key).await.ok();
                return Err(e);
            }
        };
        let commit = CommitFile {
            tenant_id: who.tenant_id(),
            parent_id: parent.id,
            name: name.as_str(),
            blob_key: &key,
            size,
            etag: &etag,
            content_type,
            now: self.now(),
            user_id: Some(who.user.id),
            keep_versions: tenant.keep_versions,
            if_none_match_any: opts.if_none_match_any,
            if_match: opts.if_match.as_deref(),
            audit_path: Some(&path_text),
            audit_ip: who.ip.as_deref(),
            scan,
            thumbnail: kura_core::thumbnail::source_of(content_type).is_some(),
            attributes: &attr_rows,
            attributes_audit: attr_audit.as_deref(),
        };
        let outcome = match self.db.commit_file(&commit).await {
            Ok(o) => o,
            Err(e) => {
                // Nothing was committed: the bytes must not stay behind.
                self.blobs.delete(&key).await.ok();
                return Err(match e {
                    DbError::QuotaExceeded => self.quota_exceeded(who.tenant_id()).await,
                    DbError::PreconditionFailed => {
                        ServiceError::PreconditionFailed(path.to_string())
                    }
                    DbError::NotFound => ServiceError::ParentNotFound(parent_path.to_string()),
                    e => e.into(),
                });
            }
        };
        if commit.thumbnail {
            self.thumbnail_queued();
        }
        self.delete_blobs(&outcome.pruned_blobs).await;
        Ok(PutResult {
            node: outcome.node,
            created: outcome.created,
        })
    }

    /// The file at `path` with its current (or given) version, without reading bytes.
    pub async fn file_at(
        &self,
        who: &Identity,
        path: &NodePath,
        version: Option<i64>,
    ) -> Result<(Node, Version)> {
        who.require_read()?;
        let names: Vec<&str> = path.names().iter().map(kura_core::Name::as_str).collect();
        let (node, v) = self
            .db
            .resolve_with_version(who.tenant_id(), who.tenant.root_id, &names, version)
            .await?
            .ok_or_else(|| ServiceError::NotFound(path.to_string()))?;
        if node.kind != NodeKind::File {
            return Err(ServiceError::NotAFile(path.to_string()));
        }
        let v = v.ok_or_else(|| match version {
            Some(vid) => ServiceError::NotFound(format!("version {vid} of {path}")),
            None => ServiceError::NotFound(path.to_string()),
        })?;
        Ok((node, v))
    }

    /// Opens a file's bytes, whole or a range already checked against its size.
    pub async fn open_version(
        &self,
        node: Node,
        version: Version,
        range: Option<Range<u64>>,
    ) -> Result<Download> {
        crate::scanning::refuse_quarantined(&node.name, &version)?;
        let size = u64::try_from(version.size).unwrap_or_default();
        if let Some(r) = &range
            && (r.start >= size || r.end > size || r.start >= r.end)
        {
            return Err(ServiceError::RangeNotSatisfiable(size));
        }
        let body = self.blobs.get(&version.blob_key, range.clone()).await?;
        Ok(Download {
            node,
            version,
            range,
            body,
        })
    }

    /// Records a download in the audit log.
    /// (Batched: downloads are frequent.)
    pub async fn audit_download(&self, who: &Identity, path: &NodePath, version_id: i64) {
        self.audit_sink
            .record(kura_db::NewAuditEvent {
                tenant_id: Some(who.tenant_id()),
                user_id: (who.user.id != 0).then_some(who.user.id),
                action: "file.download".into(),
                target: Some(path.to_string()),
                detail: Some(format!("version {version_id}")),
                ip: who.ip.clone(),
                created_at: self.now(),
            })
            .await;
    }

    /// The quota refusal with the tenant's current figures (read after the
    /// refused commit, so the numbers are what the caller now faces).
    pub(crate) async fn quota_exceeded(&self, tenant_id: i64) -> ServiceError {
        match self.db.tenant_by_id(tenant_id).await {
            Ok(t) => ServiceError::QuotaExceeded {
                capacity: t.capacity_bytes,
                available: (t.capacity_bytes - t.used_bytes).max(0),
            },
            Err(e) => e.into(),
        }
    }

    /// Deletes blobs whose metadata is already gone; failures stay queued for the janitor.
    pub(crate) async fn delete_blobs(&self, keys: &[String]) {
        for k in keys {
            match self.blobs.delete(k).await {
                Ok(()) => {
                    if let Err(e) = self.db.blob_deleted(k).await {
                        tracing::warn!(error = %e, "could not confirm a blob deletion; the janitor will retry");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not delete a blob; the janitor will retry")
                }
            }
        }
    }
}
