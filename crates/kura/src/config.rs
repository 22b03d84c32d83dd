//! Configuration: defaults, then the TOML file, then `KURA_<SECTION>__<KEY>`
//! environment variables, then command-line flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use kura_service::StorageConfig;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Everything Kura reads at start-up. Every field has a default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    #[serde(skip_serializing)]
    pub storage: StorageSection,
    pub limits: LimitsConfig,
    pub auth: AuthConfig,
    pub scan: kura_scan::ScanConfig,
    pub thumbnails: kura_service::ThumbnailConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub listen: String,
    pub data_dir: PathBuf,
    /// Addresses or CIDR ranges of load balancers whose forwarding headers are trusted.
    pub trusted_proxies: Vec<String>,
    pub force_secure_cookies: bool,
    /// The URL browsers use to reach Kura (e.g. `https://files.example.com`);
    /// empty: `http://` and the listen address. Single sign-on's callback
    /// URL is built from it.
    pub public_url: String,
    /// How long in-flight requests may take to finish on shutdown.
    pub shutdown_grace_seconds: u64,
    /// How often the janitor runs (0 disables the periodic run; start-up still runs).
    pub janitor_interval_seconds: u64,
    /// PEM certificate chain: with `tls_key`, Kura serves HTTPS itself and
    /// asks clients for certificates (tenants may require them).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Header in which a trusted proxy passes the client certificate (URL-escaped PEM).
    pub client_cert_header: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./kura-data"),
            trusted_proxies: Vec::new(),
            force_secure_cookies: false,
            public_url: String::new(),
            shutdown_grace_seconds: 30,
            janitor_interval_seconds: 300,
            tls_cert: None,
            tls_key: None,
            client_cert_header: "X-Client-Cert".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://...` or `postgres://...`; empty = SQLite file in the data dir.
    pub url: String,
    /// Read the URL (it may hold a password) from this file instead.
    pub url_file: Option<PathBuf>,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            url_file: None,
            max_connections: 16,
        }
    }
}

/// Wrapper so the storage section (which may hold secrets) is never serialised.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct StorageSection(pub StorageConfig);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    pub default_keep_versions: i64,
    pub default_trash_days: i64,
    /// Unreferenced blobs younger than this are left for their upload to commit.
    pub orphan_grace_seconds: i64,
    /// An unfinished resumable (tus) upload expires this long after its last stored bytes.
    pub upload_expiry_hours: i64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            default_keep_versions: 10,
            default_trash_days: 30,
            orphan_grace_seconds: 3600,
            upload_expiry_hours: 24,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
    /// Seconds a node reuses a token/session lookup (0 = look up every request).
    pub cache_seconds: i64,
    /// Failed sign-ins one client address may make per window on a node (0 = no limit).
    pub login_failures_per_ip: u32,
    pub login_failure_window_minutes: i64,
    /// Accept OpenID issuers over plain http (closed test networks only).
    pub sso_allow_http_issuers: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle_minutes: 720,
            session_max_hours: 168,
            cache_seconds: 5,
            login_failures_per_ip: 50,
            login_failure_window_minutes: 15,
            sso_allow_http_issuers: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter such as `info` or `kura=debug,info`; RUST_LOG wins.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

impl Config {
    /// Loads the layers; `file` is optional, but if named it must exist.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            if !f.exists() {
                anyhow::bail!("config file {} does not exist", f.display());
            }
            fig = fig.merge(Toml::file(f));
        }
        fig = fig.merge(Env::prefixed("KURA_").split("__"));
        let mut cfg: Config = fig.extract()?;
        if let Some(f) = &cfg.database.url_file {
            cfg.database.url = std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("cannot read database.url_file {}: {e}", f.display()))?
                .trim()
                .to_string();
        }
        Ok(cfg)
    }

    /// The database URL, defaulting to a SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.server.data_dir.join("kura.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own error type
    fn env_overrides_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("kura-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("kura.toml");
        std::fs::write(
            &f,
            "[server]\nlisten = \"0.0.0.0:9000\"\n[limits]\ndefault_keep_versions = 3\n",
        )
        .unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("KURA_DATABASE__URL", "postgres://x@127.0.0.1/db");
            jail.set_env("KURA_LIMITS__DEFAULT_TRASH_DAYS", "7");
            let c = Config::load(Some(&f)).unwrap();
            assert_eq!(c.server.listen, "0.0.0.0:9000");
            assert_eq!(c.limits.default_keep_versions, 3);
            assert_eq!(c.limits.default_trash_days, 7);
            assert_eq!(c.database.url, "postgres://x@127.0.0.1/db");
            assert_eq!(c.auth.session_idle_minutes, 720);
            Ok(())
        });
        assert!(Config::load(Some(&dir.join("missing.toml"))).is_err());
    }

    #[test]
    fn the_example_config_loads() {
        let f =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kura.example.toml");
        let c = Config::load(Some(&f)).unwrap();
        assert_eq!(c.scan.mode, kura_scan::ScanMode::Required);
        assert_eq!(c.scan.resolved_stream_max_length(), Ok(100 << 20));
        assert_eq!(c.auth.login_failures_per_ip, 50);
        assert_eq!(c.server.public_url, "");
        assert!(!c.auth.sso_allow_http_issuers);
    }
}
