//! Test support: an in-process Kura on port 0 with a fresh database (SQLite
//! file or a new PostgreSQL database) and a fresh blob folder per server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod clamd;
pub mod oidc;

use kura_core::Role;
use kura_core::clock::ManualClock;
use kura_http::{AppState, HttpConfig};
use kura_service::{BlobStore, Db, NewTenant, NewUser, Scanning, Service, ServiceConfig};
use std::path::PathBuf;
use std::sync::Arc;

/// Which metadata backend a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL server for tests (`KURA_TEST_PG_URL`, default the local trust-auth server).
pub fn pg_admin_url() -> String {
    std::env::var("KURA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A running in-process server.
pub struct TestServer {
    pub base: String,
    pub svc: Service,
    pub clock: ManualClock,
    pub data_dir: PathBuf,
    pub backend: Backend,
    pub db_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A user with their credentials and a bearer token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub tenant: String,
    pub login: String,
    pub password: String,
    pub token: String,
}

impl TestServer {
    /// Starts a server with default settings.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, ServiceConfig::default(), HttpConfig::default()).await
    }

    /// Starts a server with the given settings.
    pub async fn start_with(backend: Backend, cfg: ServiceConfig, http: HttpConfig) -> Self {
        let data_dir =
            std::env::temp_dir().join(format!("kura-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let db_url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", data_dir.join("kura.db").display()),
            Backend::Postgres => fresh_pg_database().await,
        };
        Self::start_on(backend, db_url, data_dir, cfg, http).await
    }

    /// Starts a server that scans uploads with the scanner `scan` describes.
    pub async fn start_scanning(backend: Backend, scan: &kura_scan::ScanConfig) -> Self {
        let scanner = kura_scan::ClamdScanner::new(scan).unwrap();
        let data_dir =
            std::env::temp_dir().join(format!("kura-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let db_url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", data_dir.join("kura.db").display()),
            Backend::Postgres => fresh_pg_database().await,
        };
        Self::start_on_with(
            backend,
            db_url,
            data_dir,
            ServiceConfig::default(),
            HttpConfig::default(),
            Scanning::Required(Arc::new(scanner)),
        )
        .await
    }

    /// Starts a server over an existing database and data folder (restart tests).
    pub async fn start_on(
        backend: Backend,
        db_url: String,
        data_dir: PathBuf,
        cfg: ServiceConfig,
        http: HttpConfig,
    ) -> Self {
        Self::start_on_with(backend, db_url, data_dir, cfg, http, Scanning::Disabled).await
    }

    /// Starts a server that serves HTTPS itself with `tls` (and so asks
    /// clients for certificates); `base` is `https://127.0.0.1:<port>`.
    pub async fn start_tls(
        backend: Backend,
        cfg: ServiceConfig,
        http: HttpConfig,
        tls: kura_http::TlsConfig,
    ) -> Self {
        let data_dir =
            std::env::temp_dir().join(format!("kura-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let db_url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", data_dir.join("kura.db").display()),
            Backend::Postgres => fresh_pg_database().await,
        };
        Self::launch(
            backend,
            db_url,
            data_dir,
            cfg,
            http,
            Scanning::Disabled,
            Some(tls),
        )
        .await
    }

    /// `start_on` with a choice of scanning.
    pub async fn start_on_with(
        backend: Backend,
        db_url: String,
        data_dir: PathBuf,
        cfg: ServiceConfig,
        http: HttpConfig,
        scanning: Scanning,
    ) -> Self {
        Self::launch(backend, db_url, data_dir, cfg, http, scanning, None).await
    }

    async fn launch(
        backend: Backend,
        db_url: String,
        data_dir: PathBuf,
        cfg: ServiceConfig,
        http: HttpConfig,
        scanning: Scanning,
        tls: Option<kura_http::TlsConfig>,
    ) -> Self {
        let db = Db::connect(&db_url, 8).await.unwrap();
        db.migrate().await.unwrap();
        let blobs = BlobStore::local(&data_dir.join("blobs")).unwrap();
        let clock = ManualClock::default();
        let svc = Service::new(db, blobs, Arc::new(clock.clone()), cfg).with_scanning(scanning);
        svc.janitor_pass(true).await.unwrap();
        svc.start_thumbnail_workers();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut http = http;
        if http.public_url.is_empty() {
            http.public_url = base.clone();
        }
        let state = AppState::new(svc.clone(), http);
        let stop = async move {
            rx.await.ok();
        };
        let task = match tls {
            Some(tls) => tokio::spawn(kura_http::serve_tls(listener, tls, state, stop)),
            None => tokio::spawn(kura_http::serve(listener, state, stop)),
        };
        Self {
            base,
            svc,
            clock,
            data_dir,
            backend,
            db_url,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops serving (in-flight requests finish) and closes the database.
    pub async fn stop(mut self) -> (String, PathBuf) {
        if let Some(tx) = self.stop.take() {
            tx.send(()).ok();
        }
        if let Some(t) = self.task.take() {
            t.await.ok();
        }
        self.svc.flush_audit().await;
        self.svc.db().close().await;
        (self.db_url.clone(), self.data_dir.clone())
    }

    /// Full URL of a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The operator account (made on first use) with a token. Its password is
    /// known only to the call that made the account (empty otherwise).
    pub async fn operator(&self) -> TestUser {
        let boot = self.svc.ensure_operator().await.unwrap();
        let token = self
            .svc
            .create_token_for("system", "operator", "test")
            .await
            .unwrap();
        TestUser {
            tenant: "system".into(),
            login: "operator".into(),
            password: boot.map(|b| b.password).unwrap_or_default(),
            token,
        }
    }

    /// Creates a tenant with an admin user and a token for them.
    pub async fn tenant(&self, code: &str, capacity: u64) -> TestUser {
        let cli = self.svc.cli_identity().await.unwrap();
        self.svc
            .create_tenant(
                &cli,
                NewTenant {
                    code: code.into(),
                    name: format!("{code} corp"),
                    capacity_bytes: capacity,
                    keep_versions: None,
                    trash_days: None,
                },
            )
            .await
            .unwrap();
        self.user(code, "admin", Role::Admin).await
    }

    /// Creates a user with a password and a token in an existing tenant.
    pub async fn user(&self, tenant: &str, login: &str, role: Role) -> TestUser {
        let cli = self.svc.cli_identity().await.unwrap();
        let password = format!("{login}-secret-password");
        self.svc
            .create_user(
                &cli,
                Some(tenant),
                NewUser {
                    login: login.into(),
                    display_name: None,
                    email: None,
                    role,
                    password: Some(password.clone()),
                },
            )
            .await
            .unwrap();
        let token = self
            .svc
            .create_token_for(tenant, login, "test")
            .await
            .unwrap();
        TestUser {
            tenant: tenant.into(),
            login: login.into(),
            password,
            token,
        }
    }

    /// Every file under the blob folder (including staging leftovers).
    pub fn blob_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.data_dir.join("blobs")];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    stack.push(e.path());
                } else {
                    out.push(e.path());
                }
            }
        }
        out
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            tx.send(()).ok();
        }
    }
}

/// Creates an empty PostgreSQL database for one test server.
pub async fn fresh_pg_database() -> String {
    sqlx::any::install_default_drivers();
    let admin = pg_admin_url();
    let name = format!("kura_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("PostgreSQL must run for these tests (see README: the test command starts it)");
    sqlx::Executor::execute(
        &mut conn,
        sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
    )
    .await
    .unwrap();
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin.clone());
    format!("{base}/{name}")
}

/// An HTTP client that keeps no cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// An HTTP client with a cookie jar (for session tests).
pub fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap()
}
