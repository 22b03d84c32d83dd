//! Kura's use cases. Every protocol (REST API, web UI, WebDAV, share links)
//! calls these, so each rule (tenant scope, permission, quota, commit, audit)
//! is enforced here once.

mod admin;
mod app_passwords;
mod attribute_csv;
mod attributes;
mod audit_sink;
mod auth;
mod auth_cache;
mod auth_events;
mod client_cert;
mod client_cert_admin;
mod error;
mod files;
mod folders;
mod identity;
mod ip_policy;
mod janitor;
mod login_throttle;
mod my_sessions;
mod otp;
mod password_policy;
mod passwords;
mod paths;
mod people;
mod rescan;
mod saved_searches;
mod scanning;
mod search;
mod sso;
mod sso_config;
mod tenant_policy;
mod thumbnail_config;
mod thumbnail_jobs;
mod thumbnail_render;
mod thumbnails;
mod trash;
mod tree;
mod upload_patch;
mod uploads;
mod versions;
mod zip;

pub use admin::{Bootstrap, NewTenant, NewUser, TenantChanges};
pub use attribute_csv::{CsvEncoding, CsvImportReport, CsvRowError};
pub use attributes::{AttributeChange, AttributeView, NewAttribute};
pub use auth::NewSession;
pub use client_cert::{CertUserMatch, ClientCert};
pub use client_cert_admin::{ClientCaInfo, ClientCrlInfo};
pub use error::{LockOut, Result, ServiceError};
pub use files::{Download, PutOptions, PutResult};
pub use folders::{ListOptions, Page};
pub use identity::{AuthMethod, Identity};
pub use ip_policy::invalid_cidr_lines;
pub use janitor::JanitorReport;
pub use kura_auth::PasswordProblem;
pub use kura_auth::client_cert::CrlInfo;
pub use kura_db::Detection;
pub use kura_db::{Backend, Db, SortKey, TokenInfo, Usage};
pub use kura_storage::{BlobStore, StorageConfig};
pub use my_sessions::SessionView;
pub use otp::{OtpCaller, OtpEnrolment, SessionStage};
pub use passwords::ResetToken;
pub use rescan::{RescanOptions, RescanReport};
pub use saved_searches::SavedSearchView;
pub use scanning::{ScannerStatus, Scanning, refuse_quarantined};
pub use search::{SearchRequest, SearchResult};
pub use sso::{SSO_PENDING_MS, SsoCallback, SsoDone, SsoOption, SsoStart, safe_return_path};
pub use sso_config::{SsoConfigChange, SsoConfigView};
pub use tenant_policy::{TenantPolicy, TenantPolicyChange, policy_range};
pub use thumbnail_config::ThumbnailConfig;
pub use thumbnails::ThumbnailInfo;
pub use trash::TrashItem;
pub use uploads::{Checksum, MAX_UPLOAD_BYTES, NewUpload, OnConflict, PatchOutcome, UploadInfo};
pub use zip::{NameEncoding, ZipDownload, ZipTicket};

use kura_core::Clock;
use std::sync::Arc;

/// Settings of the service layer (from the `[limits]` and `[auth]` config sections).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// A session ends after this long without a request.
    pub session_idle_ms: i64,
    /// A session ends this long after login, whatever its activity.
    pub session_max_ms: i64,
    /// Versions kept per file for new tenants.
    pub default_keep_versions: i64,
    /// Days in the trash for new tenants.
    pub default_trash_days: i64,
    /// Unreferenced blobs younger than this are left alone by the sweeper
    /// (they may belong to an upload still being committed on some node).
    pub orphan_grace_ms: i64,
    /// An unfinished resumable upload expires this long after its last stored bytes.
    pub upload_expiry_ms: i64,
    /// How long a node may reuse a credential lookup (0 = never). Changes made
    /// on this node apply at once; changes made on another node within this time.
    pub auth_cache_ms: i64,
    /// Failed sign-ins one client address may make per window, on one node (0 = no limit).
    pub login_failures_per_ip: u32,
    /// The window of `login_failures_per_ip`.
    pub login_failure_window_ms: i64,
    /// Accept `http://` OpenID issuers (tests and closed networks only).
    pub sso_allow_http_issuers: bool,
    /// Thumbnail jobs (the `[thumbnails]` section).
    pub thumbnails: ThumbnailConfig,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            session_idle_ms: 12 * 3_600_000,
            session_max_ms: 7 * 24 * 3_600_000,
            default_keep_versions: 10,
            default_trash_days: 30,
            orphan_grace_ms: 3_600_000,
            upload_expiry_ms: 24 * 3_600_000,
            auth_cache_ms: 5_000,
            login_failures_per_ip: 50,
            login_failure_window_ms: 15 * 60_000,
            sso_allow_http_issuers: false,
            thumbnails: ThumbnailConfig::default(),
        }
    }
}

/// The service: the database, the blob store, the clock and the settings.
#[derive(Clone)]
pub struct Service {
    db: Db,
    blobs: BlobStore,
    clock: Arc<dyn Clock>,
    cfg: ServiceConfig,
    audit_sink: audit_sink::AuditSink,
    auth_cache: Arc<auth_cache::AuthCache>,
    /// When this node last swept the store for orphaned blobs (service clock).
    last_orphan_sweep: Arc<std::sync::atomic::AtomicI64>,
    /// Whether uploads are scanned, and by what.
    scanning: Scanning,
    /// The scanner's engine version and when it was looked up.
    engine_cache: Arc<std::sync::Mutex<Option<(std::time::Instant, String)>>>,
    /// Failed sign-ins per client address.
    login_throttle: Arc<login_throttle::LoginThrottle>,
    /// The OpenID Connect relying party (provider metadata cache).
    oidc: Arc<kura_auth::oidc::Oidc>,
    /// Tenants' attribute schemas, briefly.
    schema_cache: Arc<attributes::SchemaCache>,
    /// Tenants' client-certificate trust (CAs, CRL), cached like credentials.
    client_trust: Arc<client_cert::TrustCache>,
    /// This node's thumbnail workers' shared state.
    thumbs: Arc<thumbnail_jobs::ThumbnailRuntime>,
}

impl Service {
    /// Builds the service over already-opened backends. Must run inside a
    /// tokio runtime (it starts the batched audit writer).
    pub fn new(db: Db, blobs: BlobStore, clock: Arc<dyn Clock>, cfg: ServiceConfig) -> Self {
        let audit_sink = audit_sink::AuditSink::start(db.clone());
        let ttl = std::time::Duration::from_millis(u64::try_from(cfg.auth_cache_ms).unwrap_or(0));
        let auth_cache = Arc::new(auth_cache::AuthCache::new(ttl));
        let login_throttle = Arc::new(login_throttle::LoginThrottle::new(
            cfg.login_failures_per_ip,
            cfg.login_failure_window_ms,
        ));
        let client_trust = Arc::new(client_cert::TrustCache::new(ttl));
        let thumbs = Arc::new(thumbnail_jobs::ThumbnailRuntime::new(
            cfg.thumbnails.clone(),
        ));
        Self {
            db,
            blobs,
            clock,
            cfg,
            audit_sink,
            auth_cache,
            last_orphan_sweep: Arc::new(std::sync::atomic::AtomicI64::new(i64::MIN)),
            scanning: Scanning::default(),
            engine_cache: Arc::default(),
            login_throttle,
            oidc: Arc::new(kura_auth::oidc::Oidc::new()),
            schema_cache: Arc::default(),
            client_trust,
            thumbs,
        }
    }

    /// Writes every batched audit event queued so far (call before shutdown).
    pub async fn flush_audit(&self) {
        self.audit_sink.flush().await;
    }

    /// The metadata database (for readiness checks and admin tooling).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The blob store (for readiness checks).
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The service clock's now, in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A new opaque etag.
    fn new_etag() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }
}
