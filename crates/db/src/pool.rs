//! Connecting, migrating and beginning transactions: the only place that knows
//! which backend is in use.

use crate::DbError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database engine holds the metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The metadata database: a connection pool plus the backend it talks to.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer; its busy handler makes waiting writers sleep
    /// in growing steps (1, 2, 5, 10 ms...). Queueing this process's writers
    /// here hands the lock over without sleeping. `None` on PostgreSQL.
    write_gate: Option<Arc<Mutex<()>>>,
    /// SQLite's one write connection (see `connect`); `None` on PostgreSQL.
    write_pool: Option<AnyPool>,
    /// Path lookups, on SQLite only (see path_cache.rs).
    pub(crate) path_cache: Option<Arc<crate::path_cache::PathCache>>,
    /// Upload commits go to the group committer, on SQLite only (see
    /// committer.rs); `None` on PostgreSQL and in the committer's own copy.
    pub(crate) committer: Option<crate::committer::Queue>,
}

/// A write transaction (and, on SQLite, this process's writer slot).
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<(), DbError> {
        self.tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<(), DbError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl Db {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::Config(format!(
                "database.url must start with sqlite: or postgres:, got {:?}",
                url.split(':').next().unwrap_or_default()
            )));
        };
        let opts = |max: u32| {
            let o = AnyPoolOptions::new()
                .max_connections(max.max(1))
                .acquire_timeout(Duration::from_secs(30));
            if backend != Backend::Sqlite {
                // PostgreSQL compiles a query to machine code (JIT) when its
                // estimated cost is high, which searches over a large archive
                // are: the compile took up to 250 ms of a subtree search that
                // runs in 45 ms without it (1M files, p95 318 -> 51 ms).
                // Kura's queries are interactive, never long analytics.
                return o.after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute("SET jit = off").await?;
                        Ok(())
                    })
                });
            }
            // WAL lets readers run beside the single writer; NORMAL sync is
            // durable across application crashes (WAL is fsynced at checkpoints).
            o.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 15000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    // Reads through a shared memory map instead of copying
                    // pages into each connection's 2 MB cache: searches over
                    // a million files touch far more pages than that. The
                    // mapped pages are the OS page cache, shared by every
                    // connection; the map is capped at 1 GiB.
                    conn.execute("PRAGMA mmap_size = 1073741824").await?;
                    Ok(())
                })
            })
        };
        let pool = opts(max_connections).connect(url).await?;
        // SQLite has one writer anyway: a dedicated connection keeps its worker
        // thread and page cache warm instead of every pool connection taking
        // turns (and invalidating each other's caches).
        let write_pool = match backend {
            Backend::Sqlite => Some(opts(1).connect(url).await?),
            Backend::Postgres => None,
        };
        let write_gate = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let path_cache =
            (backend == Backend::Sqlite).then(|| Arc::new(crate::path_cache::PathCache::default()));
        let mut db = Self {
            pool,
            backend,
            write_gate,
            write_pool,
            path_cache,
            committer: None,
        };
        if backend == Backend::Sqlite {
            db.committer = Some(crate::committer::start(db.clone()));
        }
        Ok(db)
    }

    /// The engine in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let m = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.run(&self.pool).await?;
        self.backfill_name_fold().await
    }

    /// Fills the search form of names stored before it existed (once; a few
    /// thousand rows per statement batch).
    async fn backfill_name_fold(&self) -> Result<(), DbError> {
        loop {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, name FROM nodes WHERE name_fold IS NULL ORDER BY id LIMIT 2000",
            )
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write().await?;
            for (id, name) in rows {
                sqlx::query("UPDATE nodes SET name_fold = $2 WHERE id = $1")
                    .bind(id)
                    .bind(kura_core::attributes::search_fold(&name))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock
    /// up front, so two writers queue instead of failing on lock upgrade.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, DbError> {
        let gate = match &self.write_gate {
            Some(g) => Some(g.clone().lock_owned().await),
            None => None,
        };
        let tx = match (&self.write_pool, self.backend) {
            (Some(w), _) => w.begin_with("BEGIN IMMEDIATE").await?,
            (None, Backend::Sqlite) => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            (None, Backend::Postgres) => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _gate: gate })
    }

    /// Called after every committed change to nodes or versions that can
    /// move, hide or reveal a path (see path_cache.rs).
    pub(crate) fn tree_changed(&self) {
        if let Some(c) = &self.path_cache {
            c.bump_tree();
        }
    }

    /// Called after a committed new file or new version.
    pub(crate) fn files_changed(&self) {
        if let Some(c) = &self.path_cache {
            c.bump_files();
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A setting of the database session as Kura's connections run it
    /// (PostgreSQL; `None` on SQLite), e.g. to check `jit`.
    pub async fn session_setting(&self, name: &str) -> Result<Option<String>, DbError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let v: String = sqlx::query_scalar("SELECT current_setting($1)")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(v))
    }

    /// Whether `close` was called (background workers stop then).
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        if let Some(w) = &self.write_pool {
            w.close().await;
        }
        self.pool.close().await;
    }
}
