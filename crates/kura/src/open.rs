//! Opening the configured backends and logging: shared by every subcommand.

use crate::config::Config;
use anyhow::Context;
use kura_core::SystemClock;
use kura_scan::{ClamdScanner, ScanMode};
use kura_service::{BlobStore, Db, Scanning, Service, ServiceConfig};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// Sets up tracing to standard error, as text or JSON.
pub fn init_logging(cfg: &Config) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cfg.log.level))
        .context("log.level is not a valid filter")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let res = if cfg.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    res.map_err(|e| anyhow::anyhow!("logging: {e}"))
}

/// Opens the database (migrating it), the blob store, and the service.
pub async fn service(cfg: &Config, max_connections: u32) -> anyhow::Result<Service> {
    std::fs::create_dir_all(&cfg.server.data_dir).with_context(|| {
        format!(
            "cannot create the data dir {}",
            cfg.server.data_dir.display()
        )
    })?;
    let url = cfg.database_url();
    let db = Db::connect(&url, max_connections)
        .await
        .context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    let blobs = BlobStore::open(&cfg.storage.0, &cfg.server.data_dir)
        .context("cannot open the blob store")?;
    let scfg = ServiceConfig {
        session_idle_ms: cfg.auth.session_idle_minutes.max(1) * 60_000,
        session_max_ms: cfg.auth.session_max_hours.max(1) * 3_600_000,
        default_keep_versions: cfg.limits.default_keep_versions,
        default_trash_days: cfg.limits.default_trash_days,
        orphan_grace_ms: cfg.limits.orphan_grace_seconds.max(0) * 1000,
        upload_expiry_ms: cfg.limits.upload_expiry_hours.max(1) * 3_600_000,
        auth_cache_ms: cfg.auth.cache_seconds.max(0) * 1000,
        login_failures_per_ip: cfg.auth.login_failures_per_ip,
        login_failure_window_ms: cfg.auth.login_failure_window_minutes.max(1) * 60_000,
        sso_allow_http_issuers: cfg.auth.sso_allow_http_issuers,
        thumbnails: cfg.thumbnails.clone(),
    };
    let scanning = match cfg.scan.mode {
        ScanMode::Disabled => Scanning::Disabled,
        ScanMode::Required => Scanning::Required(Arc::new(
            ClamdScanner::new(&cfg.scan).map_err(|e| anyhow::anyhow!("[scan]: {e}"))?,
        )),
    };
    Ok(Service::new(db, blobs, Arc::new(SystemClock), scfg).with_scanning(scanning))
}
