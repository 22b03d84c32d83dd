//! Group commit of uploads on SQLite.
//!
//! SQLite has one writer, and with small files the upload rate is set by
//! how long each commit holds it: mostly round trips to sqlx's worker thread
//! (see script.rs), plus a WAL append per transaction. So commits are handed
//! to one committer task, and the ones that queued up while it was busy are
//! committed together: one transaction, one checks script and one writes
//! script for all of them.
//!
//! Each upload still gets exactly the result it would get alone:
//! - refusals decided by the checks (a folder of the name, preconditions,
//!   a missing parent) are answered from them, and their reservations given
//!   back in the writes script;
//! - an upload that could not reserve its bytes, and any later upload to a
//!   path already in the batch, is committed after the batch's writes, in
//!   the same transaction, on its own savepoint, so it sees them;
//! - if anything else fails, the transaction is rolled back and every
//!   upload of the batch is committed again on its own.
//!
//! The committer runs as its own task, so an upload whose client goes away
//! cannot cancel the commits of the others.

use crate::commit::{
    CommitFile, CommitOutcome, ScanRecord, UNRESERVE_SQL, commit_in, existing_from, finish, judge,
    node_from, push_checks, push_writes,
};
use crate::script::Script;
use crate::{Backend, Db, DbError};
use kura_core::attributes::StoredValue;
use kura_core::name::name_key;
use kura_core::{ScanStatus, Timestamp};
use std::collections::HashSet;
use tokio::sync::{mpsc, oneshot};

/// Uploads committed in one transaction at most.
const BATCH_MAX: usize = 64;

type Reply = oneshot::Sender<Result<CommitOutcome, DbError>>;

/// A commit waiting for the committer.
pub(crate) struct Queued {
    item: OwnedCommit,
    reply: Reply,
}

pub(crate) type Queue = mpsc::UnboundedSender<Queued>;

/// Starts the committer of `db` (which must not itself have a queue) and
/// returns its queue. The task ends when every sender is gone.
pub(crate) fn start(db: Db) -> Queue {
    let (tx, mut rx) = mpsc::unbounded_channel::<Queued>();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < BATCH_MAX {
                match rx.try_recv() {
                    Ok(q) => batch.push(q),
                    Err(_) => break,
                }
            }
            db.commit_batch(batch).await;
        }
    });
    tx
}

/// Hands a commit to the committer and waits for its result.
pub(crate) async fn submit(q: &Queue, c: &CommitFile<'_>) -> Result<CommitOutcome, DbError> {
    let (reply, rx) = oneshot::channel();
    q.send(Queued {
        item: OwnedCommit::from(c),
        reply,
    })
    .map_err(|_| DbError::Sqlx(sqlx::Error::PoolClosed))?;
    rx.await
        .map_err(|_| DbError::Sqlx(sqlx::Error::PoolClosed))?
}

impl Db {
    async fn commit_batch(&self, batch: Vec<Queued>) {
        let items: Vec<CommitFile> = batch.iter().map(|q| q.item.view()).collect();
        let results = match self.try_batch(&items).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, size = items.len(), "group commit failed; committing one by one");
                let mut r = Vec::with_capacity(items.len());
                for c in &items {
                    r.push(self.commit_single(c).await);
                }
                r
            }
        };
        drop(items);
        for (q, r) in batch.into_iter().zip(results) {
            // The uploader may have gone; its file is committed all the same.
            q.reply.send(r).ok();
        }
    }

    /// The batch in one transaction; `Err` if it has to be redone one by one.
    async fn try_batch(
        &self,
        items: &[CommitFile<'_>],
    ) -> Result<Vec<Result<CommitOutcome, DbError>>, DbError> {
        let keys: Vec<String> = items.iter().map(|c| name_key(c.name)).collect();
        let mut tx = self.begin_write().await?;
        let mut checks = Script::new();
        for (c, key) in items.iter().zip(&keys) {
            push_checks(&mut checks, c, key);
        }
        let checked = checks.run(&mut tx, Backend::Sqlite).await?;
        enum Plan {
            Done(DbError),
            Fast { created: bool, node_at: usize },
            Later,
        }
        let mut plans = Vec::with_capacity(items.len());
        let mut writes = Script::new();
        let mut paths = HashSet::new();
        for (i, (c, key)) in items.iter().zip(&keys).enumerate() {
            let lookup = checked.get(2 * i).and_then(|o| o.rows.first());
            let reserved = checked.get(2 * i + 1).is_some_and(|o| o.affected == 1);
            let existing = existing_from(lookup).and_then(|e| judge(c, &e).map(|()| e));
            let first_here = paths.insert((c.tenant_id, c.parent_id, key.as_str()));
            let plan = match existing {
                Err(e) => Plan::Done(e),
                Ok(existing) if reserved && first_here => {
                    let node_at = push_writes(&mut writes, c, key, existing.as_ref());
                    Plan::Fast {
                        created: existing.is_none(),
                        node_at,
                    }
                }
                Ok(_) => Plan::Later,
            };
            if reserved && !matches!(plan, Plan::Fast { .. }) {
                writes.push(UNRESERVE_SQL, vec![c.tenant_id.into(), c.size.into()]);
            }
            plans.push(plan);
        }
        let written = writes.run(&mut tx, Backend::Sqlite).await?;
        let mut results = Vec::with_capacity(items.len());
        for (c, plan) in items.iter().zip(plans) {
            results.push(match plan {
                Plan::Done(e) => Some(Err(e)),
                Plan::Fast { created, node_at } => {
                    let node = node_from(&written, node_at)?;
                    Some(Ok(finish(&mut tx, c, node, created, true).await?))
                }
                Plan::Later => None,
            });
        }
        // The rest, each on a savepoint, after (and seeing) the batch's writes.
        for (c, r) in items.iter().zip(results.iter_mut()) {
            if r.is_some() {
                continue;
            }
            crate::script::run_single(&mut tx, "SAVEPOINT kura_commit", vec![]).await?;
            let out = commit_in(&mut tx, c, Backend::Sqlite).await;
            let mut end = Script::new();
            if out.is_err() {
                end.push("ROLLBACK TO kura_commit", vec![]);
            }
            end.push("RELEASE kura_commit", vec![]);
            end.run(&mut tx, Backend::Sqlite).await?;
            *r = Some(out);
        }
        tx.commit().await?;
        self.files_changed();
        // Every upload was answered above, by its plan or on its savepoint.
        Ok(results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(DbError::Corrupt("a batched commit went unanswered".into()))
                })
            })
            .collect())
    }
}

/// A [`CommitFile`] that owns its data, to wait in the queue.
struct OwnedCommit {
    tenant_id: i64,
    parent_id: i64,
    name: String,
    blob_key: String,
    size: i64,
    etag: String,
    content_type: Option<String>,
    now: Timestamp,
    user_id: Option<i64>,
    keep_versions: i64,
    if_none_match_any: bool,
    if_match: Option<String>,
    audit_path: Option<String>,
    audit_ip: Option<String>,
    scan_status: ScanStatus,
    scan_engine: Option<String>,
    scan_at: Option<Timestamp>,
    scan_detail: Option<String>,
    thumbnail: bool,
    attributes: Vec<(i64, Vec<StoredValue>)>,
    attributes_audit: Option<String>,
}

impl From<&CommitFile<'_>> for OwnedCommit {
    fn from(c: &CommitFile<'_>) -> Self {
        Self {
            tenant_id: c.tenant_id,
            parent_id: c.parent_id,
            name: c.name.to_string(),
            blob_key: c.blob_key.to_string(),
            size: c.size,
            etag: c.etag.to_string(),
            content_type: c.content_type.map(str::to_string),
            now: c.now,
            user_id: c.user_id,
            keep_versions: c.keep_versions,
            if_none_match_any: c.if_none_match_any,
            if_match: c.if_match.map(str::to_string),
            audit_path: c.audit_path.map(str::to_string),
            audit_ip: c.audit_ip.map(str::to_string),
            scan_status: c.scan.status,
            scan_engine: c.scan.engine.map(str::to_string),
            scan_at: c.scan.at,
            scan_detail: c.scan.detail.map(str::to_string),
            thumbnail: c.thumbnail,
            attributes: c.attributes.to_vec(),
            attributes_audit: c.attributes_audit.map(str::to_string),
        }
    }
}

impl OwnedCommit {
    fn view(&self) -> CommitFile<'_> {
        CommitFile {
            tenant_id: self.tenant_id,
            parent_id: self.parent_id,
            name: &self.name,
            blob_key: &self.blob_key,
            size: self.size,
            etag: &self.etag,
            content_type: self.content_type.as_deref(),
            now: self.now,
            user_id: self.user_id,
            keep_versions: self.keep_versions,
            if_none_match_any: self.if_none_match_any,
            if_match: self.if_match.as_deref(),
            audit_path: self.audit_path.as_deref(),
            audit_ip: self.audit_ip.as_deref(),
            scan: ScanRecord {
                status: self.scan_status,
                engine: self.scan_engine.as_deref(),
                at: self.scan_at,
                detail: self.scan_detail.as_deref(),
            },
            thumbnail: self.thumbnail,
            attributes: &self.attributes,
            attributes_audit: self.attributes_audit.as_deref(),
        }
    }
}
