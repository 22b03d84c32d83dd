//! The one transaction that makes an uploaded file visible: reserve its bytes
//! against the tenant's capacity, create the file or add a version, queue its
//! thumbnail, drop versions beyond the kept count, write its attributes and
//! its audit events.
//!
//! Small uploads are limited by how long this transaction holds SQLite's one
//! write lock, and that is mostly round trips to sqlx's worker thread, one
//! per statement (see script.rs). So the statements go in two scripts: the
//! checks (parent, existing child, a first try at reserving the bytes), then
//! the writes. Pruning and attribute rows, which only some uploads have,
//! follow as statements of their own.
//!
//! On SQLite, commits are also grouped (group commit, see committer.rs):
//! the uploads waiting for the write lock are committed together in one
//! transaction, with one checks script and one writes script for all of
//! them, so a batch of uploads costs four round trips instead of four each.

use crate::audit::{EventRef, event_stmt};
use crate::rows::{NODE_COLS, NodeRow};
use crate::script::{Arg, Outcome, Script};
use crate::{Backend, Db, DbError};
use kura_core::attributes::search_fold;
use kura_core::name::name_key;
use kura_core::{Node, NodeKind, ScanStatus, Timestamp};
use sqlx::{AnyConnection, Row};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Everything the upload transaction needs.
#[derive(Debug, Clone)]
pub struct CommitFile<'a> {
    pub tenant_id: i64,
    pub parent_id: i64,
    pub name: &'a str,
    pub blob_key: &'a str,
    pub size: i64,
    pub etag: &'a str,
    pub content_type: Option<&'a str>,
    pub now: Timestamp,
    pub user_id: Option<i64>,
    /// Versions kept per file, the new one included.
    pub keep_versions: i64,
    /// `If-None-Match: *`: fail if the file exists.
    pub if_none_match_any: bool,
    /// `If-Match`: fail unless the current etag is this one.
    pub if_match: Option<&'a str>,
    /// When set, a `file.upload` audit event for this path is written in the
    /// same transaction, so the log never misses or invents an upload.
    pub audit_path: Option<&'a str>,
    pub audit_ip: Option<&'a str>,
    /// How the bytes were checked for viruses.
    pub scan: ScanRecord<'a>,
    /// Queue a thumbnail job for the new version in the same transaction.
    pub thumbnail: bool,
    /// Attribute values set with the upload, `(attr_id, rows)` (no rows:
    /// cleared), written in the same transaction as the version.
    pub attributes: &'a [(i64, Vec<kura_core::attributes::StoredValue>)],
    /// The audit detail of those values (`attributes.update`), if any changed.
    pub attributes_audit: Option<&'a str>,
}

/// A version's scan result, as stored with it.
#[derive(Debug, Clone, Copy)]
pub struct ScanRecord<'a> {
    pub status: ScanStatus,
    /// Engine and signature version.
    pub engine: Option<&'a str>,
    pub at: Option<Timestamp>,
    /// Why unscanned, or the signature of a quarantined version.
    pub detail: Option<&'a str>,
}

/// What the upload transaction did.
#[derive(Debug, Clone)]
pub struct CommitOutcome {
    pub node: Node,
    /// True if the file did not exist before.
    pub created: bool,
    /// Blobs of versions dropped beyond the kept count; delete them, then
    /// call [`Db::blob_deleted`].
    pub pruned_blobs: Vec<String>,
}

impl Db {
    /// Makes an uploaded blob the current version of a file, in one transaction:
    /// reserves the bytes against the tenant's capacity, creates the file or
    /// adds a version, and drops versions beyond the kept count.
    pub async fn commit_file(&self, c: &CommitFile<'_>) -> Result<CommitOutcome, DbError> {
        if let Some(q) = &self.committer {
            return crate::committer::submit(q, c).await;
        }
        self.commit_single(c).await
    }

    /// One commit in a transaction of its own.
    pub(crate) async fn commit_single(&self, c: &CommitFile<'_>) -> Result<CommitOutcome, DbError> {
        // Two uploads creating the same new name race on the unique index on
        // PostgreSQL; the loser retries and becomes a new version instead.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut tx = self.begin_write().await?;
            match commit_in(&mut tx, c, self.backend()).await {
                Ok(out) => {
                    tx.commit().await?;
                    self.files_changed();
                    return Ok(out);
                }
                Err(DbError::Sqlx(e)) if attempts < 3 && DbError::is_unique_violation(&e) => {
                    tx.rollback().await?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The parent (which must be a live folder) and its live child of the name;
/// built once, as every commit runs it.
static LOOKUP_SQL: LazyLock<String> = LazyLock::new(|| {
    let cols = NODE_COLS
        .split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT p.kind AS p_kind, p.trashed_at AS p_trashed_at, {cols} FROM nodes p
         LEFT JOIN nodes c ON c.tenant_id = p.tenant_id AND c.parent_id = p.id AND c.name_key = $3 AND c.trashed_at IS NULL
         WHERE p.tenant_id = $1 AND p.id = $2"
    )
});

/// Adds `bytes` to the tenant's usage if it stays within the capacity.
const RESERVE_SQL: &str = "UPDATE tenants SET used_bytes = used_bytes + $2
     WHERE id = $1 AND used_bytes + $2 <= capacity_bytes AND status = 'active'";

/// Gives back bytes reserved by a commit that then did not happen.
pub(crate) const UNRESERVE_SQL: &str =
    "UPDATE tenants SET used_bytes = used_bytes - $2 WHERE id = $1";

/// Adds the two checks of a commit: the lookup, then the reservation.
pub(crate) fn push_checks<'a>(s: &mut Script<'a>, c: &CommitFile<'a>, key: &'a str) {
    s.push(
        LOOKUP_SQL.as_str(),
        vec![c.tenant_id.into(), c.parent_id.into(), key.into()],
    );
    s.push(RESERVE_SQL, vec![c.tenant_id.into(), c.size.into()]);
}

/// The live child from the lookup row; `NotFound` unless the parent is a live folder.
pub(crate) fn existing_from(row: Option<&sqlx::any::AnyRow>) -> Result<Option<Node>, DbError> {
    let row = row.ok_or(DbError::NotFound)?;
    let kind: String = row.try_get("p_kind")?;
    let trashed: Option<i64> = row.try_get("p_trashed_at")?;
    if kind != "folder" || trashed.is_some() {
        return Err(DbError::NotFound);
    }
    let child_id: Option<i64> = row.try_get("id")?;
    if child_id.is_none() {
        return Ok(None);
    }
    let child: NodeRow = sqlx::FromRow::from_row(row)?;
    Ok(Some(child.try_into()?))
}

/// The refusals decided by what exists: a folder of the name, and the
/// `If-None-Match` / `If-Match` preconditions.
pub(crate) fn judge(c: &CommitFile<'_>, existing: &Option<Node>) -> Result<(), DbError> {
    if let Some(e) = existing {
        if e.kind == NodeKind::Folder {
            return Err(DbError::Conflict(
                "a folder with this name already exists".into(),
            ));
        }
        if c.if_none_match_any {
            return Err(DbError::PreconditionFailed);
        }
    }
    if let Some(want) = c.if_match {
        match existing {
            Some(e) if kura_core::model::etag_matches(want, &e.etag) => {}
            _ => return Err(DbError::PreconditionFailed),
        }
    }
    Ok(())
}

/// The statements' reference to the file: its id once it exists, else the
/// live node of the name (the one the script's insert just created).
#[derive(Clone, Copy)]
enum FileRef<'a> {
    Id(i64),
    Named {
        tenant_id: i64,
        parent_id: i64,
        key: &'a str,
    },
}

impl<'a> FileRef<'a> {
    /// The SQL for the file's id, its parameters numbered from `first`.
    fn sql(self, first: usize) -> (String, Vec<Arg<'a>>) {
        match self {
            FileRef::Id(id) => (format!("${first}"), vec![id.into()]),
            FileRef::Named {
                tenant_id,
                parent_id,
                key,
            } => (
                format!(
                    "(SELECT id FROM nodes WHERE tenant_id = ${first} AND parent_id = ${} AND name_key = ${} AND trashed_at IS NULL)",
                    first + 1,
                    first + 2
                ),
                vec![tenant_id.into(), parent_id.into(), key.into()],
            ),
        }
    }
}

/// Adds the writes of a commit whose checks passed: the file (if new), the
/// version, the file's new state (returned; the index of that statement is
/// the result), the thumbnail job and the audit events.
pub(crate) fn push_writes<'a>(
    s: &mut Script<'a>,
    c: &CommitFile<'a>,
    key: &'a str,
    existing: Option<&Node>,
) -> usize {
    let created = existing.is_none();
    let file = match existing {
        Some(e) => FileRef::Id(e.id),
        None => FileRef::Named {
            tenant_id: c.tenant_id,
            parent_id: c.parent_id,
            key,
        },
    };
    if created {
        s.push(
            "INSERT INTO nodes (tenant_id, parent_id, kind, name, name_key, etag, created_at, modified_at, modified_by, name_fold)
             VALUES ($1, $2, 'file', $3, $4, $5, $6, $6, $7, $8)",
            vec![
                c.tenant_id.into(),
                c.parent_id.into(),
                c.name.into(),
                key.into(),
                c.etag.into(),
                c.now.into(),
                c.user_id.into(),
                search_fold(c.name).into(),
            ],
        );
    }
    let (node_sql, node_args) = file.sql(11);
    let mut args: Vec<Arg> = vec![
        c.tenant_id.into(),
        c.blob_key.into(),
        c.size.into(),
        c.etag.into(),
        c.now.into(),
        c.user_id.into(),
        c.scan.status.as_str().into(),
        c.scan.engine.into(),
        c.scan.at.into(),
        c.scan.detail.into(),
    ];
    args.extend(node_args);
    s.push(
        format!(
            "INSERT INTO versions (tenant_id, node_id, blob_key, size, etag, created_at, created_by,
                                   scan_status, scan_engine, scanned_at, scan_detail)
             VALUES ($1, {node_sql}, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        args,
    );
    // The version is found by its blob key, which is unique.
    let (node_sql, node_args) = file.sql(8);
    let mut args: Vec<Arg> = vec![
        c.blob_key.into(),
        c.size.into(),
        c.etag.into(),
        c.content_type.into(),
        c.now.into(),
        c.user_id.into(),
        c.scan.status.as_str().into(),
    ];
    args.extend(node_args);
    s.push(
        format!(
            "UPDATE nodes SET current_version_id = (SELECT v.id FROM versions v WHERE v.blob_key = $1),
                 size = $2, etag = $3, content_type = $4, modified_at = $5, modified_by = $6, scan_status = $7
             WHERE id = {node_sql} RETURNING {NODE_COLS}"
        ),
        args,
    );
    let node_at = s.len() - 1;
    if c.thumbnail {
        let (sql, args) = crate::jobs::enqueue_for_blob_stmt(
            crate::jobs::JOB_THUMBNAIL,
            c.tenant_id,
            c.blob_key,
            c.now,
        );
        s.push(sql, args);
    }
    let event = |action, target, detail: Cow<'a, str>| {
        event_stmt(&EventRef {
            tenant_id: Some(c.tenant_id),
            user_id: c.user_id,
            action,
            target: Some(target),
            detail: Some(detail),
            ip: c.audit_ip,
            user_agent: None,
            at: c.now,
        })
    };
    if let (Some(target), Some(detail)) = (c.audit_path, c.attributes_audit) {
        let (sql, args) = event("attributes.update", target, detail.into());
        s.push(sql, args);
    }
    if let Some(target) = c.audit_path {
        let mut detail = format!(
            "{} bytes, {}",
            c.size,
            if created { "new file" } else { "new version" }
        );
        // Unscanned files are flagged in the log itself, with the reason.
        if c.scan.status == ScanStatus::Unscanned {
            detail.push_str(&format!(
                ", UNSCANNED: {}",
                c.scan.detail.unwrap_or("not scanned")
            ));
        }
        let (sql, args) = event("file.upload", target, detail.into());
        s.push(sql, args);
    }
    node_at
}

/// The file's new state, as returned by the writes script.
pub(crate) fn node_from(out: &[Outcome], at: usize) -> Result<Node, DbError> {
    let row = out
        .get(at)
        .and_then(|o| o.rows.first())
        .ok_or_else(|| DbError::Corrupt("the new version's file was not updated".into()))?;
    let node: NodeRow = sqlx::FromRow::from_row(row)?;
    Node::try_from(node)
}

/// What follows the writes: pruning old versions (replacements), the
/// reservation if the checks could not make it, and attribute rows.
pub(crate) async fn finish(
    tx: &mut AnyConnection,
    c: &CommitFile<'_>,
    node: Node,
    created: bool,
    reserved: bool,
) -> Result<CommitOutcome, DbError> {
    let pruned_blobs = if created {
        Vec::new()
    } else {
        crate::versions::prune_in(tx, c.tenant_id, node.id, c.keep_versions.max(1), c.now).await?
    };
    // A replacement is judged by the net change: after pruning released the
    // dropped versions' bytes. A refusal rolls everything back.
    if !reserved {
        let again =
            crate::script::run_single(tx, RESERVE_SQL, vec![c.tenant_id.into(), c.size.into()])
                .await?;
        if again.affected != 1 {
            return Err(DbError::QuotaExceeded);
        }
    }
    if !c.attributes.is_empty() {
        let changes: Vec<(i64, i64, &[kura_core::attributes::StoredValue])> = c
            .attributes
            .iter()
            .map(|(attr_id, rows)| (node.id, *attr_id, rows.as_slice()))
            .collect();
        crate::attributes::replace_values_in(tx, c.tenant_id, &changes).await?;
    }
    Ok(CommitOutcome {
        node,
        created,
        pruned_blobs,
    })
}

/// One commit on a transaction (or savepoint) of the caller's.
pub(crate) async fn commit_in(
    tx: &mut AnyConnection,
    c: &CommitFile<'_>,
    backend: Backend,
) -> Result<CommitOutcome, DbError> {
    let key = name_key(c.name);
    // Checks and a first try at reserving the bytes, in one round trip. For a
    // replacement that does not fit before its old versions are pruned, the
    // reservation is tried again after pruning (in `finish`).
    let mut checks = Script::new();
    push_checks(&mut checks, c, &key);
    let out = checks.run(tx, backend).await?;
    let existing = existing_from(out.first().and_then(|o| o.rows.first()))?;
    let reserved = out.get(1).is_some_and(|o| o.affected == 1);
    judge(c, &existing)?;
    if existing.is_none() && !reserved {
        return Err(DbError::QuotaExceeded);
    }
    let mut writes = Script::new();
    let node_at = push_writes(&mut writes, c, &key, existing.as_ref());
    let out = writes.run(tx, backend).await?;
    let node = node_from(&out, node_at)?;
    finish(tx, c, node, existing.is_none(), reserved).await
}
