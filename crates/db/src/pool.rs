//! Connecting, migrating and beginning transactions: the only place that knows
//! which backend is in use.

use crate::DbError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::time::Duration;

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
        let mut opts = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30));
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the single writer; NORMAL sync is
            // durable across application crashes (WAL is fsynced at checkpoints).
            opts = opts.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 15000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            });
        }
        let pool = opts.connect(url).await?;
        Ok(Self { pool, backend })
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
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock
    /// up front, so two writers queue instead of failing on lock upgrade.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, DbError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
