//! The blob store: streaming put and ranged get over any object_store backend.

use crate::StorageConfig;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path as ObjPath;
use object_store::{
    GetOptions, GetResultPayload, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

/// Bodies up to this size are written with one put; larger ones go multipart.
const SINGLE_PUT_MAX: usize = 8 << 20;
/// Part size for multipart writes (S3 needs at least 5 MiB).
const PART_SIZE: usize = 8 << 20;
/// Parts in flight while the next is filled: bounds memory per upload.
const PARTS_IN_FLIGHT: usize = 2;
/// Memory for cached small blobs.
const SMALL_CACHE_BYTES: usize = 16 << 20;
/// Local files up to this size are read in one go.
const SMALL_READ: u64 = 64 << 10;
/// Read size when streaming a local file out; two are read ahead, so a
/// download holds at most 12 MiB.
const READ_CHUNK: usize = 4 << 20;

/// Errors of the blob store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("blob not found")]
    NotFound,
    #[error("range not satisfiable")]
    BadRange,
    /// The body stream ended in error (client gone, limit hit); nothing was kept.
    #[error("upload aborted: {0}")]
    Aborted(String),
    #[error("storage configuration: {0}")]
    Config(String),
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// A stream of blob bytes being read.
pub type BlobReader = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Kura's view of the object store.
#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// Set for the local backend, whose crash leftovers need a file-system walk.
    local_root: Option<PathBuf>,
    /// Whole small blobs in memory (immutable, so never stale).
    small: Arc<crate::small_cache::SmallCache>,
}

impl BlobStore {
    /// Opens the backend the configuration names; `data_dir` holds local blobs.
    pub fn open(cfg: &StorageConfig, data_dir: &Path) -> Result<Self, StorageError> {
        match cfg.backend.as_str() {
            "local" | "" => {
                let root = cfg.path.clone().unwrap_or_else(|| data_dir.join("blobs"));
                Self::local(&root)
            }
            "s3" => {
                let mut b = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&cfg.bucket)
                    .with_region(&cfg.region)
                    .with_allow_http(cfg.allow_http);
                if let Some(e) = &cfg.endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(k) = &cfg.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(s) = secret(cfg)? {
                    b = b.with_secret_access_key(s);
                }
                Ok(Self::with(Arc::new(b.build()?), None))
            }
            "azure" => {
                let mut b = object_store::azure::MicrosoftAzureBuilder::new()
                    .with_container_name(&cfg.bucket)
                    .with_allow_http(cfg.allow_http)
                    .with_use_emulator(cfg.use_emulator);
                if let Some(a) = &cfg.account {
                    b = b.with_account(a);
                }
                if let Some(e) = &cfg.endpoint {
                    b = b.with_endpoint(e.clone());
                }
                if let Some(s) = secret(cfg)? {
                    b = b.with_access_key(s);
                }
                Ok(Self::with(Arc::new(b.build()?), None))
            }
            other => Err(StorageError::Config(format!(
                "storage.backend must be local, s3 or azure, not {other:?}"
            ))),
        }
    }

    /// A store on a local folder (created if missing).
    pub fn local(root: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(root)?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(root)?
            .with_automatic_cleanup(true);
        Ok(Self::with(Arc::new(fs), Some(root.canonicalize()?)))
    }

    /// Wraps any object store (tests use the in-memory one).
    pub fn from_object_store(inner: Arc<dyn ObjectStore>) -> Self {
        Self::with(inner, None)
    }

    fn with(inner: Arc<dyn ObjectStore>, local_root: Option<PathBuf>) -> Self {
        Self {
            inner,
            local_root,
            small: Arc::new(crate::small_cache::SmallCache::new(SMALL_CACHE_BYTES)),
        }
    }

    /// A fresh, never-used key under the tenant's prefix, in one of 256
    /// folders named by the id's last two (random) hex digits. On local disks
    /// this keeps folders small and lets concurrent uploads create their
    /// files in different folders: one folder for all of a tenant's blobs
    /// made every upload queue on that folder's lock.
    pub fn new_key(tenant_id: i64) -> String {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let shard = id.get(id.len().saturating_sub(2)..).unwrap_or("00");
        format!("t/{tenant_id}/b/{shard}/{id}")
    }

    /// A fresh key for a derived blob (a thumbnail) under the tenant's
    /// prefix; kept apart from `b/` so file blobs and derived ones are told
    /// apart by the orphan sweep.
    pub fn new_derived_key(tenant_id: i64) -> String {
        format!("t/{tenant_id}/d/{}", uuid::Uuid::now_v7().simple())
    }

    /// The prefix every blob of a tenant lives under.
    pub fn tenant_prefix(tenant_id: i64) -> String {
        format!("t/{tenant_id}/b/")
    }

    /// Streams `body` into a new blob at `key` and returns its size. If the
    /// stream fails, whatever was written is removed and nothing is kept.
    pub async fn put_stream<S, E>(&self, key: &str, body: S) -> Result<u64, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let path = ObjPath::from(key);
        let mut body = std::pin::pin!(body);
        // Small bodies (the common case) are written in one put.
        let mut head: Vec<Bytes> = Vec::new();
        let mut head_len = 0usize;
        let mut ended = false;
        while head_len < SINGLE_PUT_MAX {
            match body.next().await {
                Some(Ok(b)) => {
                    head_len += b.len();
                    head.push(b);
                }
                Some(Err(e)) => return Err(StorageError::Aborted(e.to_string())),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if ended {
            self.inner.put(&path, PutPayload::from_iter(head)).await?;
            return Ok(head_len as u64);
        }
        let upload = self.inner.put_multipart(&path).await?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut total = 0u64;
        for b in head {
            total += b.len() as u64;
            w.put(b);
        }
        loop {
            if let Err(e) = w.wait_for_capacity(PARTS_IN_FLIGHT).await {
                w.abort().await.ok();
                return Err(e.into());
            }
            match body.next().await {
                Some(Ok(b)) => {
                    total += b.len() as u64;
                    w.put(b);
                }
                Some(Err(e)) => {
                    w.abort().await.ok();
                    return Err(StorageError::Aborted(e.to_string()));
                }
                None => break,
            }
        }
        w.finish().await?;
        Ok(total)
    }

    /// Writes bytes already in memory as a new blob with one put; returns its size.
    pub async fn put_bytes(&self, key: &str, chunks: Vec<Bytes>) -> Result<u64, StorageError> {
        let size = chunks.iter().map(|c| c.len() as u64).sum();
        self.inner
            .put(&ObjPath::from(key), PutPayload::from_iter(chunks))
            .await?;
        Ok(size)
    }

    /// Opens a blob for reading, whole or a byte range (already validated against its size).
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<BlobReader, StorageError> {
        if let Some(data) = self.small.get(key) {
            let r = range.clone().unwrap_or(0..data.len() as u64);
            let (a, b) = (
                usize::try_from(r.start).unwrap_or(usize::MAX),
                usize::try_from(r.end).unwrap_or(usize::MAX),
            );
            if a <= b && b <= data.len() {
                let part = data.slice(a..b);
                return Ok(Box::pin(futures_util::stream::once(
                    async move { Ok(part) },
                )));
            }
        }
        if let Some(root) = &self.local_root
            && let Some((whole, part)) = read_small_local(root, key, range.clone()).await?
        {
            if let Some(w) = whole {
                self.small.put(key, w);
            }
            return Ok(Box::pin(futures_util::stream::once(
                async move { Ok(part) },
            )));
        }
        let path = ObjPath::from(key);
        let opts = GetOptions::new().with_range(range.clone());
        let res = self.inner.get_opts(&path, opts).await.map_err(not_found)?;
        let len = res.range.end - res.range.start;
        let start = res.range.start;
        match res.payload {
            // object_store reads local files 8 KiB at a time; larger reads are
            // several times faster for big downloads.
            GetResultPayload::File(mut file, _) if len <= SMALL_READ => {
                // Small files in one blocking call instead of seek + reads.
                let data = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
                    use std::io::{Read, Seek};
                    file.seek(std::io::SeekFrom::Start(start))?;
                    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
                    file.read_exact(&mut buf)?;
                    Ok(buf)
                })
                .await
                .map_err(std::io::Error::other)??;
                Ok(Box::pin(futures_util::stream::once(async move {
                    Ok(Bytes::from(data))
                })))
            }
            GetResultPayload::File(file, _) => Ok(read_file_in_thread(file, start, len)),
            GetResultPayload::Stream(s) => Ok(Box::pin(s.map_err(std::io::Error::other))),
        }
    }

    /// Size of a blob.
    pub async fn size(&self, key: &str) -> Result<u64, StorageError> {
        Ok(self
            .inner
            .head(&ObjPath::from(key))
            .await
            .map_err(not_found)?
            .size)
    }

    /// Deletes a blob; deleting a missing blob is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.small.remove(key);
        match self.inner.delete(&ObjPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Copies a blob server-side to a new key.
    pub async fn copy(&self, from: &str, to: &str) -> Result<(), StorageError> {
        self.inner
            .copy(&ObjPath::from(from), &ObjPath::from(to))
            .await
            .map_err(not_found)?;
        Ok(())
    }

    /// Keys under a prefix with their last-modified time (ms since the epoch),
    /// as a stream: a store with millions of blobs is never listed into memory.
    pub fn list(
        &self,
        prefix: &str,
    ) -> futures_util::stream::BoxStream<'static, Result<(String, i64), StorageError>> {
        let p = ObjPath::from(prefix);
        self.inner
            .list(Some(&p))
            .map(|m| {
                m.map(|m| (m.location.to_string(), m.last_modified.timestamp_millis()))
                    .map_err(StorageError::from)
            })
            .boxed()
    }

    /// Removes the staging files a killed process left beside local blobs
    /// (`<key>#<n>`, which object_store hides from listings). Returns how many.
    pub fn remove_local_staging(&self) -> Result<usize, StorageError> {
        let Some(root) = &self.local_root else {
            return Ok(0);
        };
        let mut removed = 0;
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let ty = entry.file_type()?;
                if ty.is_dir() {
                    stack.push(entry.path());
                } else if is_staging_name(&entry.file_name().to_string_lossy()) {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Whether the backend answers (for readiness).
    pub async fn check(&self) -> Result<(), StorageError> {
        let p = ObjPath::from("health/probe");
        match self.inner.head(&p).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Reads a small local blob (or range) with one blocking call: open, size and
/// read together. `None` when it is too large, so the caller streams it.
async fn read_small_local(
    root: &Path,
    key: &str,
    range: Option<Range<u64>>,
) -> Result<Option<(Option<Bytes>, Bytes)>, StorageError> {
    // Keys are made by `new_key` (`t/<id>/b/<uuid>`); refuse anything else here.
    if key
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(StorageError::NotFound);
    }
    let path = root.join(key);
    let want = range.clone();
    let data = tokio::task::spawn_blocking(move || -> std::io::Result<Option<(bool, Vec<u8>)>> {
        use std::io::{Read, Seek};
        let mut f = std::fs::File::open(&path)?;
        let size = f.metadata()?.len();
        if size <= crate::small_cache::MAX_ITEM {
            // Small: read it whole (for the cache), the caller slices the range.
            let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            f.read_to_end(&mut buf)?;
            return Ok(Some((true, buf)));
        }
        let r = range.unwrap_or(0..size);
        // Ranges were checked against the recorded size; this guards the file itself.
        if r.end > size || r.start > r.end {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "range",
            ));
        }
        let len = r.end - r.start;
        if len > SMALL_READ {
            return Ok(None);
        }
        f.seek(std::io::SeekFrom::Start(r.start))?;
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
        f.read_exact(&mut buf)?;
        Ok(Some((false, buf)))
    })
    .await
    .map_err(std::io::Error::other)?;
    match data {
        Ok(Some((true, buf))) => {
            let whole = Bytes::from(buf);
            let r = want.unwrap_or(0..whole.len() as u64);
            let (a, b) = (
                usize::try_from(r.start).unwrap_or(usize::MAX),
                usize::try_from(r.end).unwrap_or(usize::MAX),
            );
            if a > b || b > whole.len() {
                return Err(StorageError::BadRange);
            }
            let part = whole.slice(a..b);
            Ok(Some((Some(whole), part)))
        }
        Ok(Some((false, buf))) => Ok(Some((None, Bytes::from(buf)))),
        Ok(None) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Err(StorageError::BadRange),
        Err(e) => Err(e.into()),
    }
}

fn is_staging_name(name: &str) -> bool {
    name.rsplit_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

fn not_found(e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotFound { .. } => StorageError::NotFound,
        e => StorageError::Store(e),
    }
}

fn secret(cfg: &StorageConfig) -> Result<Option<String>, StorageError> {
    if let Some(f) = &cfg.secret_access_key_file {
        let s = std::fs::read_to_string(f)
            .map_err(|e| StorageError::Config(format!("cannot read {}: {e}", f.display())))?;
        return Ok(Some(s.trim().to_string()));
    }
    Ok(cfg.secret_access_key.clone())
}

/// Streams `len` bytes of a local file from `start` with one blocking task
/// reading straight into fresh buffers (one copy out of the page cache), a few
/// chunks ahead of the client. tokio::fs would take a blocking-pool hop and an
/// extra copy per chunk, which halved big-download speed here.
fn read_file_in_thread(file: std::fs::File, start: u64, len: u64) -> BlobReader {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(2);
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let mut file = file;
        if let Err(e) = file.seek(std::io::SeekFrom::Start(start)) {
            tx.blocking_send(Err(e)).ok();
            return;
        }
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left.min(READ_CHUNK as u64)).unwrap_or(READ_CHUNK);
            let mut buf = bytes::BytesMut::zeroed(want);
            let mut filled = 0;
            while filled < want {
                match file.read(buf.get_mut(filled..).unwrap_or_default()) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        tx.blocking_send(Err(e)).ok();
                        return;
                    }
                }
            }
            if filled == 0 {
                tx.blocking_send(Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the blob is shorter than recorded",
                )))
                .ok();
                return;
            }
            buf.truncate(filled);
            left -= filled as u64;
            // The client went away: stop reading.
            if tx.blocking_send(Ok(buf.freeze())).is_err() {
                return;
            }
        }
    });
    let mut rx = rx;
    Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(n: usize, size: usize) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        futures_util::stream::iter(
            (0..n).map(move |i| Ok(Bytes::from(vec![(i % 251) as u8; size]))),
        )
    }

    #[tokio::test]
    async fn small_and_large_round_trip_and_ranges() {
        let dir = tempdir();
        let s = BlobStore::local(&dir).unwrap();
        let n = s.put_stream("t/1/b/small", chunks(3, 1000)).await.unwrap();
        assert_eq!(n, 3000);
        let n = s
            .put_stream("t/1/b/big", chunks(40, 1 << 20))
            .await
            .unwrap();
        assert_eq!(n, 40 << 20);
        let all: Vec<Bytes> = s
            .get("t/1/b/big", None)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.iter().map(|b| b.len()).sum::<usize>(), 40 << 20);
        let part: Vec<Bytes> = s
            .get("t/1/b/big", Some((1 << 20) - 2..(1 << 20) + 2))
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let flat: Vec<u8> = part.concat();
        assert_eq!(flat, vec![0, 0, 1, 1]);
        assert_eq!(s.size("t/1/b/small").await.unwrap(), 3000);
        s.delete("t/1/b/small").await.unwrap();
        assert!(matches!(
            s.size("t/1/b/small").await,
            Err(StorageError::NotFound)
        ));
        s.delete("t/1/b/small").await.unwrap();
    }

    #[tokio::test]
    async fn failed_stream_leaves_nothing() {
        let dir = tempdir();
        let s = BlobStore::local(&dir).unwrap();
        let body = chunks(20, 1 << 20).chain(futures_util::stream::iter([Err(
            std::io::Error::other("client gone"),
        )]));
        let r = s.put_stream("t/1/b/x", body).await;
        assert!(matches!(r, Err(StorageError::Aborted(_))));
        assert!(matches!(
            s.size("t/1/b/x").await,
            Err(StorageError::NotFound)
        ));
        // Give the abort's blocking cleanup a moment, then no staging file may remain.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(s.remove_local_staging().unwrap(), 0);
    }

    #[test]
    fn staging_names() {
        assert!(is_staging_name("abc#1"));
        assert!(is_staging_name("abc#12"));
        assert!(!is_staging_name("abc"));
        assert!(!is_staging_name("abc#"));
        assert!(!is_staging_name("abc#x"));
    }

    fn tempdir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "kura-storage-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
