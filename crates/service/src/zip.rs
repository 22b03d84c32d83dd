//! Many files as one streamed ZIP archive. `POST /api/v1/zip` checks the
//! paths and stores a short-lived ticket (in the database, so any node can
//! serve it); the download re-reads the tree and streams stored entries
//! straight from the blob store: no temporary copy, memory bounded by a few
//! chunks plus one small record per entry for the central directory.

use crate::identity::Identity;
use crate::{Result, Service, ServiceError};
use bytes::Bytes;
use futures_util::StreamExt;
use kura_core::zip_format::{self, CentralRecord, ZipEntry};
use kura_core::{Name, NodeKind, NodePath, ScanStatus};
use kura_db::ZipTicketRow;
use kura_storage::{BlobReader, BlobStore};
use std::collections::{HashMap, HashSet};
use tokio::sync::mpsc;

/// How long a ticket can be used.
const TICKET_MS: i64 = 10 * 60_000;
/// Paths one request may name (folders count once, whatever they hold).
const MAX_PATHS: usize = 1000;
/// Central directory bytes sent per message.
const CD_BATCH: usize = 64 << 10;

/// How entry names are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameEncoding {
    /// UTF-8 with the language-encoding flag (bit 11): Windows Explorer
    /// (since Windows 7), macOS and every current tool read it.
    Utf8,
    /// Shift_JIS / CP932 without the flag, for old Japanese tools; names it
    /// cannot represent are refused (`name_not_encodable`), never replaced.
    Cp932,
}

impl NameEncoding {
    /// From the request's `name_encoding`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "utf8" | "utf-8" => Ok(Self::Utf8),
            "cp932" | "shift_jis" => Ok(Self::Cp932),
            _ => Err(ServiceError::InvalidInput(format!(
                "name_encoding must be utf8 or cp932, not {s:?}"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "utf8",
            Self::Cp932 => "cp932",
        }
    }
}

/// A ticket to download an archive.
#[derive(Debug, Clone)]
pub struct ZipTicket {
    /// The secret part of the download URL.
    pub token: String,
    /// ms since the epoch.
    pub expires_at: i64,
}

/// An archive being streamed.
pub struct ZipDownload {
    /// The archive's file name (for Content-Disposition).
    pub name: String,
    pub files: usize,
    pub body: BlobReader,
}

/// One entry to write: its path inside the archive and, for files, the blob.
struct Item {
    path: String,
    dir: bool,
    blob_key: Option<String>,
    size: u64,
    modified_at: i64,
}

impl Service {
    /// Checks that every path exists and is readable, and stores a ticket
    /// for the caller alone.
    pub async fn create_zip_ticket(
        &self,
        who: &Identity,
        paths: &[String],
        encoding: NameEncoding,
        name: Option<&str>,
    ) -> Result<ZipTicket> {
        who.require_read()?;
        if paths.is_empty() || paths.len() > MAX_PATHS {
            return Err(ServiceError::InvalidInput(format!(
                "paths must list 1 to {MAX_PATHS} files or folders"
            )));
        }
        let parsed = paths
            .iter()
            .map(|p| NodePath::parse(p))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let name = archive_name(name)?;
        let items = self.zip_items(who, &parsed).await?;
        encode_entries(&items, encoding)?;
        let token = kura_auth::random_secret(32);
        let now = self.now();
        let row = ZipTicketRow {
            token_hash: kura_auth::secret_hash(&token),
            tenant_id: who.tenant_id(),
            user_id: who.user.id,
            paths: serde_json::Value::from(
                parsed.iter().map(ToString::to_string).collect::<Vec<_>>(),
            )
            .to_string(),
            name_encoding: encoding.as_str().to_string(),
            name,
            created_at: now,
            expires_at: now + TICKET_MS,
        };
        self.db.create_zip_ticket(&row).await?;
        Ok(ZipTicket {
            token,
            expires_at: row.expires_at,
        })
    }

    /// Opens the archive of a ticket (the caller's own, unexpired) and
    /// starts streaming it. The tree is read again: what changed since the
    /// ticket was made is what the archive holds.
    pub async fn open_zip(&self, who: &Identity, token: &str) -> Result<ZipDownload> {
        who.require_read()?;
        let row = self
            .db
            .zip_ticket(
                &kura_auth::secret_hash(token),
                who.tenant_id(),
                who.user.id,
                self.now(),
            )
            .await?
            .ok_or_else(|| ServiceError::NotFound("the ZIP download".into()))?;
        let paths: Vec<String> = serde_json::from_str(&row.paths)
            .map_err(|e| ServiceError::Internal(format!("zip ticket paths: {e}")))?;
        let parsed = paths
            .iter()
            .map(|p| NodePath::parse(p))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let encoding = NameEncoding::parse(&row.name_encoding)?;
        let items = self.zip_items(who, &parsed).await?;
        let entries = encode_entries(&items, encoding)?;
        let files = items.iter().filter(|i| !i.dir).count();
        let folders = items.len() - files;
        let bytes: u64 = items.iter().map(|i| i.size).sum();
        let mut listed = paths.join(", ");
        if listed.len() > 1000 {
            let cut = (0..=1000).rev().find(|i| listed.is_char_boundary(*i));
            listed.truncate(cut.unwrap_or(0));
            listed.push('…');
        }
        self.audit(
            who,
            "zip.download",
            &row.name,
            Some(&format!(
                "{files} files, {folders} folders, {bytes} bytes: {listed}"
            )),
        )
        .await?;
        let work: Vec<(ZipEntry, Option<String>)> = entries
            .into_iter()
            .zip(items)
            .map(|(e, i)| (e, i.blob_key))
            .collect();
        Ok(ZipDownload {
            name: row.name,
            files,
            body: stream_zip(self.blobs.clone(), work),
        })
    }

    /// The entries for the requested paths: files by their name, folders
    /// with everything below them (empty folders too); trashed and
    /// quarantined files inside folders are left out. Top-level names that
    /// collide get ` (1)`, ` (2)`...
    async fn zip_items(&self, who: &Identity, paths: &[NodePath]) -> Result<Vec<Item>> {
        let mut out = Vec::new();
        let mut tops: HashSet<String> = HashSet::new();
        let mut seen: HashSet<String> = HashSet::new();
        for path in paths {
            if !seen.insert(path.to_string()) {
                continue;
            }
            if path.is_root() {
                let root = who.tenant.root_id;
                self.folder_items(who, root, "", &mut out).await?;
                continue;
            }
            let node = self.node_at(who, path).await?;
            match node.kind {
                NodeKind::File => {
                    let (node, version) = self.file_at(who, path, None).await?;
                    crate::scanning::refuse_quarantined(&path.to_string(), &version)?;
                    let top = unique_top(&mut tops, &node.name, false);
                    out.push(Item {
                        path: top,
                        dir: false,
                        blob_key: Some(version.blob_key),
                        size: u64::try_from(version.size).unwrap_or_default(),
                        modified_at: node.modified_at,
                    });
                }
                NodeKind::Folder => {
                    let top = unique_top(&mut tops, &node.name, true);
                    out.push(Item {
                        path: format!("{top}/"),
                        dir: true,
                        blob_key: None,
                        size: 0,
                        modified_at: node.modified_at,
                    });
                    self.folder_items(who, node.id, &format!("{top}/"), &mut out)
                        .await?;
                }
            }
        }
        Ok(out)
    }

    /// Everything below folder `id`, each path prefixed with `prefix`.
    async fn folder_items(
        &self,
        who: &Identity,
        id: i64,
        prefix: &str,
        out: &mut Vec<Item>,
    ) -> Result<()> {
        let rows = self.db.tree_items(who.tenant_id(), id).await?;
        // Parents come before their children, so each parent's path is known.
        let mut dirs: HashMap<i64, String> = HashMap::new();
        dirs.insert(id, prefix.to_string());
        for r in rows {
            let Some(parent) = dirs.get(&r.parent_id) else {
                continue;
            };
            let path = format!("{parent}{}", r.name);
            if r.kind == NodeKind::Folder.as_str() {
                let dir = format!("{path}/");
                dirs.insert(r.id, dir.clone());
                out.push(Item {
                    path: dir,
                    dir: true,
                    blob_key: None,
                    size: 0,
                    modified_at: r.modified_at,
                });
                continue;
            }
            if r.scan_status.as_deref() == Some(ScanStatus::Quarantined.as_str()) {
                continue;
            }
            let Some(key) = r.blob_key else { continue };
            out.push(Item {
                path,
                dir: false,
                blob_key: Some(key),
                size: u64::try_from(r.size.unwrap_or_default()).unwrap_or_default(),
                modified_at: r.modified_at,
            });
        }
        Ok(())
    }
}

/// The archive's file name: the given one (a valid name, `.zip` added if
/// missing) or `download.zip`.
fn archive_name(name: Option<&str>) -> Result<String> {
    let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok("download.zip".into());
    };
    let n = if n.to_lowercase().ends_with(".zip") {
        n.to_string()
    } else {
        format!("{n}.zip")
    };
    Ok(Name::parse(&n)?.as_str().to_string())
}

/// `name`, or `name (1).ext`... if a top-level entry already has it
/// (ignoring case, as Windows and macOS do).
fn unique_top(tops: &mut HashSet<String>, name: &str, dir: bool) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !dir && !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    let mut n = 0u32;
    loop {
        let candidate = if n == 0 {
            name.to_string()
        } else {
            format!("{stem} ({n}){ext}")
        };
        if tops.insert(candidate.to_lowercase()) {
            return candidate;
        }
        n += 1;
    }
}

/// Each item's ZIP entry with its name in the chosen encoding; refuses
/// names CP932 cannot write (naming up to 20 of them).
fn encode_entries(items: &[Item], encoding: NameEncoding) -> Result<Vec<ZipEntry>> {
    let mut bad = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        let (name, utf8) = match encoding {
            NameEncoding::Utf8 => (i.path.as_bytes().to_vec(), true),
            NameEncoding::Cp932 => {
                let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&i.path);
                if unmappable {
                    if bad.len() < 20 {
                        bad.push(i.path.clone());
                    }
                    continue;
                }
                (bytes.into_owned(), false)
            }
        };
        let (dos_time, dos_date) = zip_format::dos_datetime(i.modified_at);
        out.push(ZipEntry {
            name,
            utf8,
            dir: i.dir,
            dos_time,
            dos_date,
            zip64: !i.dir && zip_format::needs_zip64(i.size),
        });
    }
    if !bad.is_empty() {
        return Err(ServiceError::NameNotEncodable(bad));
    }
    Ok(out)
}

/// Streams the archive from a task of its own, a few messages ahead of the
/// client; stops when the client goes away.
fn stream_zip(blobs: BlobStore, entries: Vec<(ZipEntry, Option<String>)>) -> BlobReader {
    let (tx, mut rx) = mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::spawn(async move {
        if let Err(e) = write_zip(&blobs, entries, &tx).await {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                tracing::warn!(error = %e, "a ZIP download broke off");
            }
            tx.send(Err(e)).await.ok();
        }
    });
    Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

async fn send(tx: &mpsc::Sender<std::io::Result<Bytes>>, b: Bytes) -> std::io::Result<u64> {
    let n = b.len() as u64;
    tx.send(Ok(b))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))?;
    Ok(n)
}

async fn write_zip(
    blobs: &BlobStore,
    entries: Vec<(ZipEntry, Option<String>)>,
    tx: &mpsc::Sender<std::io::Result<Bytes>>,
) -> std::io::Result<()> {
    let mut offset = 0u64;
    let mut central = Vec::with_capacity(entries.len());
    for (entry, key) in entries {
        let start = offset;
        offset += send(tx, Bytes::from(zip_format::local_header(&entry))).await?;
        let (crc, size) = match key {
            Some(key) => {
                let mut hasher = crc32fast::Hasher::new();
                let mut size = 0u64;
                let mut body = blobs.get(&key, None).await.map_err(std::io::Error::other)?;
                while let Some(chunk) = body.next().await {
                    let chunk = chunk?;
                    hasher.update(&chunk);
                    size += send(tx, chunk).await?;
                }
                let crc = hasher.finalize();
                if !entry.zip64 && zip_format::needs_zip64(size) {
                    return Err(std::io::Error::other(
                        "a blob is larger than its recorded size",
                    ));
                }
                offset += size;
                let d = zip_format::data_descriptor(&entry, crc, size);
                offset += send(tx, Bytes::from(d)).await?;
                (crc, size)
            }
            None => (0, 0),
        };
        central.push(CentralRecord {
            entry,
            crc,
            size,
            offset: start,
        });
    }
    let cd_offset = offset;
    let mut cd_size = 0u64;
    let mut batch = Vec::with_capacity(CD_BATCH + 512);
    for r in &central {
        batch.extend_from_slice(&zip_format::central_header(r));
        if batch.len() >= CD_BATCH {
            cd_size += send(tx, Bytes::from(std::mem::take(&mut batch))).await?;
        }
    }
    if !batch.is_empty() {
        cd_size += send(tx, Bytes::from(batch)).await?;
    }
    let end = zip_format::end_records(central.len() as u64, cd_offset, cd_size);
    send(tx, Bytes::from(end)).await?;
    Ok(())
}
